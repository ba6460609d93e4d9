/**
 * A reader and a linter for pqvpn's systemd unit files (packaging/systemd).
 *
 * `parseUnit` reads the subset of systemd's ini syntax the units use: `[Section]`
 * headers, `Key=Value` lines, `#`/`;` comments, backslash continuations, and the
 * rule that an empty assignment (`AmbientCapabilities=`) resets a list.
 * `lintUnit` checks a unit against what pqvpn actually does at run time and
 * returns every problem with a stable code, so tests can feed it broken units
 * and expect the specific complaint:
 *
 * - it opens /dev/net/tun and runs `ip` (netlink): CAP_NET_ADMIN, the device
 *   allowed, AF_NETLINK; Node's child-process pipes and name lookups: AF_UNIX;
 * - V8 JIT-compiles: MemoryDenyWriteExecute would kill it at start;
 * - it runs as root with a narrowed bounding set, so LimitNPROC (counted per
 *   user, host-wide) would starve its threads; TasksMax is the per-unit limit;
 * - SIGTERM is its clean stop; exit 2 (usage/config) must not be retried;
 * - status, log and pool files must land in writable paths.
 * @module
 */

import { posix } from 'node:path';

/** One unit file: section → key → values in file order (after list resets). */
export type UnitFile = ReadonlyMap<string, ReadonlyMap<string, readonly string[]>>;

export function parseUnit(text: string): UnitFile {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    let line = (lines[i] ?? '').trim();
    while (line.endsWith('\\') && i + 1 < lines.length) {
      i++;
      line = `${line.slice(0, -1).trimEnd()} ${(lines[i] ?? '').trim()}`;
    }
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[([A-Za-z]+)\]$/.exec(line);
    if (header?.[1] !== undefined) {
      current = sections.get(header[1]) ?? new Map();
      sections.set(header[1], current);
      continue;
    }
    const eq = line.indexOf('=');
    if (eq <= 0 || current === undefined)
      throw new Error(`line ${i + 1}: not a Key=Value in a section: ${line}`);
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    const values = current.get(key) ?? [];
    if (value === '') values.length = 0;
    else values.push(value);
    current.set(key, values);
  }
  return sections;
}

/** All values of `Section.Key` (a list setting may be given on several lines). */
export function values(unit: UnitFile, section: string, key: string): readonly string[] {
  return unit.get(section)?.get(key) ?? [];
}

/** The last value of `Section.Key` (what systemd uses for a single-valued setting). */
export function value(unit: UnitFile, section: string, key: string): string | undefined {
  return values(unit, section, key).at(-1);
}

/** Space-separated words of every value of a list setting. */
export function words(unit: UnitFile, section: string, key: string): string[] {
  return values(unit, section, key).flatMap((v) => v.split(/\s+/).filter((w) => w !== ''));
}

function yes(v: string | undefined): boolean {
  return v !== undefined && ['yes', 'true', 'on', '1'].includes(v.toLowerCase());
}

/** Directories the service may write: ReadWritePaths plus the directories systemd creates for it. */
export function writablePaths(unit: UnitFile): string[] {
  const rw = words(unit, 'Service', 'ReadWritePaths').map((p) => p.replace(/^[-+]+/, ''));
  const under = (root: string, key: string) =>
    words(unit, 'Service', key).map((d) => posix.join(root, d.split(':')[0] ?? d));
  return [
    ...rw,
    ...under('/var/lib', 'StateDirectory'),
    ...under('/var/log', 'LogsDirectory'),
    ...under('/run', 'RuntimeDirectory'),
    ...under('/var/cache', 'CacheDirectory'),
  ];
}

export function isWritable(unit: UnitFile, path: string): boolean {
  if (value(unit, 'Service', 'ProtectSystem') !== 'strict') return true; // not what we ship; the lint says so
  return writablePaths(unit).some((dir) => path === dir || path.startsWith(`${dir}/`));
}

export interface UnitProblem {
  readonly code: string;
  readonly detail: string;
}

export interface LintOptions {
  readonly role: 'server' | 'client';
  /** Where the unit expects pqvpn to be installed. */
  readonly bin: string;
  /** The exit code pqvpn uses for usage and configuration errors (src/errors.ts). */
  readonly usageExitCode: number;
}

/** Every capability pqvpn may hold; the server may also bind a port below 1024. */
const ALLOWED_CAPS = {
  server: ['CAP_NET_ADMIN', 'CAP_NET_BIND_SERVICE'],
  client: ['CAP_NET_ADMIN'],
} as const;

const REQUIRED_FAMILIES = ['AF_INET', 'AF_INET6', 'AF_NETLINK', 'AF_UNIX'] as const;

const REQUIRED_YES = ['NoNewPrivileges', 'ProtectHome', 'PrivateTmp'] as const;

export function lintUnit(unit: UnitFile, options: LintOptions): UnitProblem[] {
  const problems: UnitProblem[] = [];
  const bad = (code: string, detail: string) => problems.push({ code, detail });
  const svc = (key: string) => value(unit, 'Service', key);

  if (!value(unit, 'Unit', 'Description')) bad('MISSING_DESCRIPTION', '[Unit] Description= is required');
  if (!value(unit, 'Install', 'WantedBy')) bad('MISSING_INSTALL', '[Install] WantedBy= is required');

  // pqvpn has no sd_notify: Type=notify would make every start time out.
  const type = svc('Type') ?? 'simple';
  if (type !== 'simple' && type !== 'exec') bad('BAD_TYPE', `Type=${type}: pqvpn does not speak sd_notify`);

  const exec = values(unit, 'Service', 'ExecStart');
  const argv = (exec.length === 1 ? (exec[0] ?? '') : '').split(/\s+/);
  const config = `/etc/pqvpn/${options.role}/%i.conf`;
  if (exec.length !== 1) bad('BAD_EXECSTART', `exactly one ExecStart= expected, found ${exec.length}`);
  else if (argv[0] !== options.bin || argv[1] !== options.role)
    bad(
      'BAD_EXECSTART',
      `ExecStart= must run "${options.bin} ${options.role}", not "${argv.slice(0, 2).join(' ')}"`,
    );
  else if (argv[argv.indexOf('--config') + 1] !== config || !argv.includes('--config'))
    bad('BAD_EXECSTART', `ExecStart= must pass --config ${config}`);

  if (svc('Restart') !== 'on-failure') bad('BAD_RESTART', `Restart=${svc('Restart')}, expected on-failure`);
  if (!words(unit, 'Service', 'RestartPreventExitStatus').includes(String(options.usageExitCode)))
    bad('RESTARTS_CONFIG_ERRORS', `RestartPreventExitStatus= must hold ${options.usageExitCode}`);
  if ((svc('KillSignal') ?? 'SIGTERM') !== 'SIGTERM')
    bad('BAD_KILL_SIGNAL', 'pqvpn stops cleanly on SIGTERM');

  const caps = words(unit, 'Service', 'CapabilityBoundingSet');
  if (caps.length === 0 || caps[0]?.startsWith('~'))
    bad('CAPS_NOT_BOUNDED', 'CapabilityBoundingSet= must list what pqvpn may keep');
  if (!caps.includes('CAP_NET_ADMIN'))
    bad('MISSING_CAP_NET_ADMIN', 'TUN devices and `ip` need CAP_NET_ADMIN');
  const allowed: readonly string[] = ALLOWED_CAPS[options.role];
  for (const cap of caps)
    if (!allowed.includes(cap)) bad('EXTRA_CAPABILITY', `${cap} is more than a pqvpn ${options.role} needs`);
  for (const cap of words(unit, 'Service', 'AmbientCapabilities'))
    if (!caps.includes(cap)) bad('EXTRA_CAPABILITY', `ambient ${cap} is outside the bounding set`);

  if (!values(unit, 'Service', 'DeviceAllow').some((d) => /^\/dev\/net\/tun\s+rw?m?$/.test(d)))
    bad('TUN_NOT_ALLOWED', 'DeviceAllow=/dev/net/tun rw is required');
  if (yes(svc('PrivateDevices'))) bad('TUN_HIDDEN', 'PrivateDevices=yes hides /dev/net/tun');
  if (yes(svc('MemoryDenyWriteExecute'))) bad('JIT_FORBIDDEN', "MemoryDenyWriteExecute=yes breaks V8's JIT");
  if (yes(svc('PrivateNetwork'))) bad('NETWORK_HIDDEN', 'PrivateNetwork=yes leaves a VPN no network');
  if (svc('LimitNPROC') !== undefined && svc('User') === undefined)
    bad('NPROC_FOR_ROOT', 'LimitNPROC counts every uid-0 process on the host; use TasksMax=');
  if (svc('TasksMax') === undefined) bad('NO_TASKS_MAX', 'TasksMax= bounds the unit’s threads and children');

  const families = words(unit, 'Service', 'RestrictAddressFamilies');
  if (families[0]?.startsWith('~'))
    bad('FAMILIES_DENY_LIST', 'RestrictAddressFamilies= must be an allow list');
  for (const f of REQUIRED_FAMILIES)
    if (!families.includes(f)) bad('MISSING_ADDRESS_FAMILY', `RestrictAddressFamilies= lacks ${f}`);

  if (svc('ProtectSystem') !== 'strict') bad('WEAK_PROTECT_SYSTEM', 'ProtectSystem=strict expected');
  for (const key of REQUIRED_YES) if (!yes(svc(key))) bad('MISSING_HARDENING', `${key}=yes expected`);
  return problems;
}
