/**
 * The programs the rig runs, and the Debian packages that provide them. The
 * benchmark installs missing ones with apt-get (it runs as root anyway);
 * `--no-recommends` keeps the install to what is needed.
 * @module
 */

import { execFileSync } from 'node:child_process';
import { BenchError } from './errors.js';
import { run } from './proc.js';

/** Program → Debian package. */
export const TOOLS: Readonly<Record<string, string>> = {
  ip: 'iproute2',
  ss: 'iproute2',
  ping: 'iputils-ping',
  openssl: 'openssl',
  iperf3: 'iperf3',
  openvpn: 'openvpn',
};

export function hasProgram(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Which packages provide the missing programs among `programs`. */
export function missingPackages(
  programs: readonly string[],
  has: (p: string) => boolean = hasProgram,
): string[] {
  return [...new Set(programs.filter((p) => !has(p)).map((p) => TOOLS[p] ?? p))];
}

/** Installs the packages for missing programs (apt-get update only when the first try fails). */
export async function ensureTools(programs: readonly string[], say: (t: string) => void): Promise<void> {
  const missing = missingPackages(programs);
  if (missing.length === 0) return;
  say(`installing ${missing.join(' ')} with apt-get…`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () =>
    run(['apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...missing], {
      timeoutMs: 300_000,
      allowFailure: true,
      env,
    });
  let result = await install();
  if (result.code !== 0) {
    await run(['apt-get', 'update', '-qq'], { timeoutMs: 300_000, allowFailure: true, env });
    result = await install();
  }
  const still = missingPackages(programs);
  if (still.length > 0)
    throw new BenchError(
      'TOOLS_MISSING',
      `could not install ${still.join(' ')}: ${result.stderr.trim().split('\n').slice(-2).join(' ')}`,
    );
}
