/**
 * pqvpn under test, driven as a user would: `pqvpn pki` for a throwaway
 * ML-DSA PKI, config files like configs/*.ovpn, and `pqvpn server --config` /
 * `pqvpn client --config` (the compiled CLI, bin/pqvpn.js over dist/).
 *
 * Two modes: certificate mode (the benchmark, comparable with OpenVPN's
 * certificate mode, no tls-crypt) and password-database mode with tls-crypt
 * (the demo, the README's main job). Config text is built by pure functions so
 * the test can check it without root.
 * @module
 */

import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from './proc.js';
import { findRepoRoot, pqvpnCli } from './repo.js';
import type { ConnectPhases, Launch, LaunchOptions, TunnelSetup, TunnelUnderTest } from './tunnel.js';

export interface PqvpnConfigOptions {
  readonly mode: 'cert' | 'passdb';
  readonly tlsCrypt: boolean;
  /** Tunnel network, e.g. '10.99.2.0' (a /24; the server takes .1). */
  readonly network: string;
  readonly port: number;
  readonly underlayServerAddress: string;
  readonly verb: number;
}

/** File names inside the working directory (relative paths resolve against the config file's folder). */
export const FILES = {
  pki: 'pki',
  ca: 'pki/ca.crt',
  serverCert: 'pki/issued/server.crt',
  serverKey: 'pki/private/server.key',
  clientCert: 'pki/issued/client.crt',
  clientKey: 'pki/private/client.key',
  tlsCrypt: 'tls-crypt.key',
  passdb: 'passdb',
  auth: 'client.auth',
  serverConfig: 'pqvpn-server.ovpn',
  clientConfig: 'pqvpn-client.ovpn',
} as const;

export function serverConfigText(o: PqvpnConfigOptions): string {
  return lines([
    '# pqvpn server made by scripts/bench (throwaway)',
    `port ${o.port}`,
    'proto udp',
    'dev tun',
    `ca ${FILES.ca}`,
    `cert ${FILES.serverCert}`,
    `key ${FILES.serverKey}`,
    o.tlsCrypt ? `tls-crypt ${FILES.tlsCrypt}` : '',
    ...(o.mode === 'passdb'
      ? ['verify-client-cert none', `passdb ${FILES.passdb}`, 'username-as-common-name']
      : ['remote-cert-tls client']),
    'topology subnet',
    `server ${o.network} 255.255.255.0`,
    'keepalive 10 60',
    `verb ${o.verb}`,
  ]);
}

export function clientConfigText(o: PqvpnConfigOptions): string {
  return lines([
    '# pqvpn client made by scripts/bench (throwaway)',
    'client',
    'dev tun',
    'proto udp',
    `remote ${o.underlayServerAddress} ${o.port}`,
    'nobind',
    `ca ${FILES.ca}`,
    ...(o.mode === 'passdb'
      ? [`auth-user-pass ${FILES.auth}`]
      : [`cert ${FILES.clientCert}`, `key ${FILES.clientKey}`]),
    'remote-cert-tls server',
    o.tlsCrypt ? `tls-crypt ${FILES.tlsCrypt}` : '',
    `verb ${o.verb}`,
  ]);
}

function lines(items: readonly string[]): string {
  return `${items.filter(Boolean).join('\n')}\n`;
}

/** The server's tunnel address: .1 of the /24. */
export function firstHost(network: string): string {
  return network.replace(/\.\d+$/, '.1');
}

/**
 * Makes the PKI (CA, server and client certificates), and for passdb mode a
 * user with a random password in a fresh database plus the client's 0600
 * credentials file; a tls-crypt key when asked; then both config files.
 */
export async function preparePqvpn(dir: string, o: PqvpnConfigOptions, root = findRepoRoot()): Promise<void> {
  const cli = (args: string[], input?: string) =>
    run([...pqvpnCli(root), ...args], { timeoutMs: 60_000, ...(input === undefined ? {} : { input }) });
  const pki = join(dir, FILES.pki);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await cli(['pki', '--pki', pki, 'init', '--cn', 'pqvpn bench CA', '--days', '2']);
  await cli(['pki', '--pki', pki, 'issue', 'server', 'server', '--days', '2']);
  if (o.mode === 'cert') await cli(['pki', '--pki', pki, 'issue', 'client', 'client', '--days', '2']);
  if (o.tlsCrypt) await cli(['genkey', 'tls-crypt', join(dir, FILES.tlsCrypt)]);
  if (o.mode === 'passdb') {
    const password = randomPassword();
    await cli(['passwd', 'add', 'demo', '--db', join(dir, FILES.passdb), '--stdin'], `${password}\n`);
    await writeFile(join(dir, FILES.auth), `demo\n${password}\n`, { mode: 0o600 });
    await chmod(join(dir, FILES.auth), 0o600);
  }
  await writeFile(join(dir, FILES.serverConfig), serverConfigText(o));
  await writeFile(join(dir, FILES.clientConfig), clientConfigText(o));
}

function randomPassword(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(18))).toString('base64url');
}

/**
 * The connect phases from a pqvpn client log: lines start with an ISO-8601
 * timestamp in milliseconds; `connecting to …` is logged as the first handshake
 * packet goes out, `connected to server …` once the address is configured.
 */
export function pqvpnConnectPhases(log: string, startedAt: number): ConnectPhases | undefined {
  const at = (pattern: RegExp) => {
    const m = new RegExp(`^(\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z) ${pattern.source}`, 'm').exec(log);
    const t = m ? Date.parse(m[1]!) : Number.NaN;
    return Number.isFinite(t) ? t : undefined;
  };
  const connecting = at(/connecting to /);
  const connected = at(/connected to server/);
  if (connecting === undefined || connected === undefined) return undefined;
  return { startupMs: connecting - startedAt, handshakeMs: connected - connecting };
}

/** The compiled profiling preload, next to this module's compiled form. */
const PRELOAD = new URL('./cpu-profile-preload.js', import.meta.url).href;

/** `pqvpn server|client --config FILE`, prepared for windowed CPU profiling when asked. */
export function pqvpnLaunch(
  root: string,
  dir: string,
  role: 'server' | 'client',
  options?: LaunchOptions,
): Launch {
  const config = join(dir, role === 'server' ? FILES.serverConfig : FILES.clientConfig);
  if (!options?.profileFile && !options?.startupProfileFile)
    return { argv: [...pqvpnCli(root), role, '--config', config] };
  return {
    argv: [...pqvpnCli(root, [`--import=${PRELOAD}`]), role, '--config', config],
    env: {
      ...(options.profileFile ? { PQVPN_BENCH_PROFILE_OUT: options.profileFile } : {}),
      ...(options.startupProfileFile ? { PQVPN_BENCH_PROFILE_STARTUP_OUT: options.startupProfileFile } : {}),
    },
  };
}

/** pqvpn for the benchmark: certificate mode, no tls-crypt, 10.99.2.0/24, port 1195. */
export function pqvpnTunnel(root = findRepoRoot()): TunnelUnderTest {
  const network = '10.99.2.0';
  const options = (s: TunnelSetup): PqvpnConfigOptions => ({
    mode: 'cert',
    tlsCrypt: false,
    network,
    port: 1195,
    underlayServerAddress: s.underlayServerAddress,
    verb: 3,
  });
  return {
    label: 'pqvpn',
    serverTunnelAddress: firstHost(network),
    port: 1195,
    profilable: true,
    connectPhases: pqvpnConnectPhases,
    prepare: (s) => preparePqvpn(s.dir, options(s), root),
    server: (s, o) => pqvpnLaunch(root, s.dir, 'server', o),
    client: (s, o) => pqvpnLaunch(root, s.dir, 'client', o),
  };
}
