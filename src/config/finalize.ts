/**
 * The second half of validation: directives that are each fine but must agree
 * with each other, the required ones, and the defaults.
 *
 * Authentication matrix (docs/CONFIG.md "Authentication"):
 *
 * | side   | settings                                         | clients authenticate with         |
 * |--------|--------------------------------------------------|-----------------------------------|
 * | server | verify-client-cert require (default)             | certificate (+ password if passdb or auth-user-pass-verify) |
 * | server | verify-client-cert optional + passdb/script      | certificate or password, or both  |
 * | server | verify-client-cert none + passdb/script          | username and password only        |
 * | client | cert + key                                       | certificate                       |
 * | client | cert + key + auth-user-pass                      | certificate and password          |
 * | client | auth-user-pass, no cert/key                      | username and password only        |
 *
 * A server always needs `server`, `ca`, `cert` and `key` (clients always check
 * the server's certificate); a client always needs `remote` and `ca`. `none` or
 * `optional` without a password check would let anyone in, so it is an error;
 * so is having both `passdb` and `auth-user-pass-verify` (choose one).
 * @module
 */

import { DEFAULT_REPLAY_WINDOW } from '../protocol/data/replay-window.js';
import type { Draft } from './draft.js';
import {
  type ClientConfig,
  type CommonConfig,
  DATA_CIPHER,
  KEM_SUITE_NAMES,
  type PqvpnConfig,
  type PushedOption,
  type QkdConfig,
  type ServerConfig,
} from './model.js';
import type { ConfigSource } from './tokenizer.js';

export interface FinalizeContext {
  readonly source: ConfigSource;
  readonly signatureSchemes: readonly string[];
  /** Directives that were given, valid or not: a given-but-invalid one is not also reported missing. */
  readonly attempted: ReadonlySet<string>;
  /** Reports a problem at the last location of `directive` (or the file when absent). */
  error(code: string, message: string, directive?: string): void;
  warn(code: string, message: string, directive?: string): void;
}

export const DEFAULT_PORT = 1194;

/** `{ key: value }`, or `{}` when value is undefined (for exactOptionalPropertyTypes). */
function opt<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

const QKD_REQUIRED = [
  ['qkd-kme', 'qkdKme'],
  ['qkd-sae-id', 'qkdSaeId'],
  ['qkd-peer-sae-id', 'qkdPeerSaeId'],
  ['qkd-ca', 'qkdCa'],
  ['qkd-cert', 'qkdCert'],
  ['qkd-key', 'qkdKey'],
] as const;

function finalizeQkd(
  d: Draft,
  ctx: FinalizeContext,
  or: <T>(v: T | undefined, f: T, n: string) => T,
): QkdConfig | undefined {
  const given = [...d.seen.keys()].filter((n) => n.startsWith('qkd-'));
  if (given.length === 0) return undefined;
  const missing = QKD_REQUIRED.filter(([, key]) => d[key] === undefined).map(([name]) => name);
  if (
    missing.length > 0 ||
    !d.qkdKme ||
    !d.qkdSaeId ||
    !d.qkdPeerSaeId ||
    !d.qkdCa ||
    !d.qkdCert ||
    !d.qkdKey
  ) {
    ctx.error(
      'CONFIG_QKD_INCOMPLETE',
      `QKD is configured (${given.join(', ')}) but incomplete: add ${missing.join(', ')}`,
      given[0],
    );
    return undefined;
  }
  return {
    kme: d.qkdKme,
    saeId: d.qkdSaeId,
    peerSaeId: d.qkdPeerSaeId,
    ca: d.qkdCa,
    cert: d.qkdCert,
    key: d.qkdKey,
    keySize: or(d.qkdKeySize, 256, 'qkd-key-size'),
    mode: or(d.qkdMode, 'required', 'qkd-mode'),
  };
}

function checkCommon(d: Draft, mode: 'server' | 'client', ctx: FinalizeContext): void {
  if (d.dev !== undefined && !d.dev.startsWith('tun') && d.devType === undefined)
    ctx.error(
      'CONFIG_MISSING_REQUIRED',
      `device '${d.dev}' does not start with tun: add 'dev-type tun'`,
      'dev',
    );
  if (!d.ca && !ctx.attempted.has('ca'))
    ctx.error(
      'CONFIG_MISSING_REQUIRED',
      mode === 'server'
        ? "a server needs 'ca FILE' (the CA that issued the client certificates)"
        : "a client needs 'ca FILE' (the CA that issued the server certificate)",
    );
  if (!ctx.attempted.has('cert') !== !ctx.attempted.has('key'))
    ctx.error(
      'CONFIG_MISSING_REQUIRED',
      "'cert' and 'key' go together: give both or neither",
      d.cert ? 'cert' : 'key',
    );
  const expected = mode === 'server' ? 'client' : 'server';
  if (d.remoteCertTls !== undefined && d.remoteCertTls !== expected)
    ctx.error(
      'CONFIG_CONFLICT',
      `a ${mode} checks the ${expected}'s certificate: write 'remote-cert-tls ${expected}'`,
      'remote-cert-tls',
    );
  if (d.keepalive) {
    const clash = ['ping', 'ping-restart', 'ping-exit'].find((n) => d.seen.has(n));
    if (clash)
      ctx.error(
        'CONFIG_CONFLICT',
        `keepalive sets ping and ping-restart itself; remove '${clash}'`,
        'keepalive',
      );
  }
  if (d.bind && d.nobind) ctx.error('CONFIG_CONFLICT', "'bind' and 'nobind' contradict each other", 'nobind');
  if (d.ccdExclusive && !d.clientConfigDir)
    ctx.error('CONFIG_MISSING_REQUIRED', "ccd-exclusive needs 'client-config-dir DIR'", 'ccd-exclusive');
  const level = d.scriptSecurity ?? 1;
  for (const [name, cmd] of [
    ['up', d.up],
    ['down', d.down],
    ['auth-user-pass-verify', d.authUserPassVerify],
  ] as const) {
    if (cmd !== undefined && level < 2)
      ctx.error(
        'CONFIG_SCRIPT_SECURITY',
        `scripts only run with 'script-security 2' or higher (it is ${level}); ${name} would never run`,
        name,
      );
  }
  if (d.authUserPassVerify?.method === 'via-env' && level < 3)
    ctx.error(
      'CONFIG_SCRIPT_SECURITY',
      "via-env puts the password in the script's environment and needs 'script-security 3'; via-file needs only 2",
      'auth-user-pass-verify',
    );
  if ((d.user !== undefined || d.group !== undefined) && !(d.persistTun && d.persistKey))
    ctx.warn(
      'CONFIG_ADVICE',
      'after dropping privileges pqvpn cannot reopen the device or reread keys on restart: add persist-tun and persist-key',
      d.user !== undefined ? 'user' : 'group',
    );
  if (d.serverIpv6 && d.tunMtu !== undefined && d.tunMtu < 1280)
    ctx.error('CONFIG_CONFLICT', 'IPv6 needs an MTU of at least 1280', 'tun-mtu');
  if (d.kemSuites?.length === 0) ctx.error('CONFIG_BAD_VALUE', 'kem-suites is empty', 'kem-suites');
}

function checkSchemes(d: Draft, ctx: FinalizeContext): string[] {
  const known = new Set(ctx.signatureSchemes.map((n) => n.toLowerCase()));
  if (d.sigSchemes === undefined) return [...known].filter((n) => n.startsWith('ml-dsa-'));
  for (const name of d.sigSchemes.filter((n) => !known.has(n))) {
    if (d.sigPlugins.length > 0)
      ctx.warn(
        'CONFIG_PLUGIN_SCHEME',
        `'${name}' is not built in; a sig-plugin must provide it (checked when the plugins load)`,
        'sig-schemes',
      );
    else
      ctx.error(
        'CONFIG_BAD_CHOICE',
        `unknown signature scheme '${name}' (known: ${[...known].join(', ')}; or load one with sig-plugin)`,
        'sig-schemes',
      );
  }
  return d.sigSchemes;
}

/** Freezes the draft into a config; reports problems through `ctx` (the caller throws if any). */
export function finalize(d: Draft, mode: 'server' | 'client', ctx: FinalizeContext): PqvpnConfig | undefined {
  const defaulted: string[] = [];
  const or = <T>(value: T | undefined, fallback: T, directive: string): T => {
    if (value !== undefined) return value;
    defaulted.push(directive);
    return fallback;
  };
  checkCommon(d, mode, ctx);
  const sigSchemes = checkSchemes(d, ctx);
  if (d.sigSchemes === undefined) defaulted.push('sig-schemes');
  const qkd = finalizeQkd(d, ctx, or);

  const keepalive = d.keepalive;
  const common: Omit<CommonConfig, 'ca' | 'defaulted' | 'locations'> = {
    source: { file: ctx.source.file, dir: ctx.source.dir },
    dev: or(d.dev, 'tun', 'dev'),
    devType: or(d.devType, 'tun', 'dev-type'),
    proto: or(d.proto, 'udp', 'proto'),
    topology: or(d.topology, 'subnet', 'topology'),
    ...opt('local', d.local),
    lport: or(d.lport, DEFAULT_PORT, 'lport'),
    bind: d.bind ?? { ipv6only: false },
    float: d.float ?? false,
    tunMtu: or(d.tunMtu, 1500, 'tun-mtu'),
    ...opt('sndbuf', d.sndbuf),
    ...opt('rcvbuf', d.rcvbuf),
    ...opt('txqueuelen', d.txqueuelen),
    routes: d.routes,
    routesIpv6: d.routesIpv6,
    ...opt('routeMetric', d.routeMetric),
    routeNoexec: d.routeNoexec ?? false,
    ifconfigNoexec: d.ifconfigNoexec ?? false,
    ...opt('cert', d.cert),
    ...opt('key', d.key),
    ...opt('crlVerify', d.crlVerify),
    ...opt('tlsCrypt', d.tlsCrypt),
    ...opt('remoteCertTls', d.remoteCertTls),
    ...opt('remoteCertEku', d.remoteCertEku),
    ...opt('remoteCertKu', d.remoteCertKu),
    ...opt('verifyX509Name', d.verifyX509Name),
    kemSuites: or(d.kemSuites, [...KEM_SUITE_NAMES], 'kem-suites'),
    sigSchemes,
    sigPlugins: d.sigPlugins,
    ...opt('psk', d.psk),
    ...opt('qkd', qkd),
    dataCiphers: or(d.dataCiphers, [DATA_CIPHER], 'data-ciphers'),
    ...opt('keepalive', keepalive),
    ping: keepalive ? keepalive.interval : or(d.ping, 0, 'ping'),
    pingRestart: keepalive
      ? mode === 'server'
        ? 2 * keepalive.timeout
        : keepalive.timeout
      : or(d.pingRestart, 0, 'ping-restart'),
    pingExit: or(d.pingExit, 0, 'ping-exit'),
    pingTimerRem: d.pingTimerRem ?? false,
    ...opt('inactive', d.inactive),
    renegSec: or(d.renegSec, 3600, 'reneg-sec'),
    renegBytes: or(d.renegBytes, 0, 'reneg-bytes'),
    renegPkts: or(d.renegPkts, 0, 'reneg-pkts'),
    handWindow: or(d.handWindow, 60, 'hand-window'),
    tranWindow: or(d.tranWindow, 3600, 'tran-window'),
    replayWindow: or(d.replayWindow, DEFAULT_REPLAY_WINDOW, 'replay-window'),
    explicitExitNotify: or(d.explicitExitNotify, 0, 'explicit-exit-notify'),
    ...opt('user', d.user),
    ...opt('group', d.group),
    persistTun: d.persistTun ?? false,
    persistKey: d.persistKey ?? false,
    ...opt('cd', d.cd),
    ...opt('writepid', d.writepid),
    ...opt('tmpDir', d.tmpDir),
    ...opt('status', d.status),
    ...opt('log', d.log),
    verb: or(d.verb, 1, 'verb'),
    mute: or(d.mute, 0, 'mute'),
    suppressTimestamps: d.suppressTimestamps ?? false,
    scriptSecurity: or(d.scriptSecurity, 1, 'script-security'),
    ...opt('up', d.up),
    ...opt('down', d.down),
    setenv: d.setenv,
  };
  if (!d.ca) return undefined;
  // `defaulted` is filled in while the mode-specific part runs, so it is shared, not copied.
  const base: CommonConfig = { ...common, ca: d.ca, defaulted, locations: Object.fromEntries(d.seen) };
  const config = mode === 'server' ? finalizeServer(d, base, ctx, or) : finalizeClient(d, base, ctx, or);
  return config && deepFreeze(config);
}

type Or = <T>(value: T | undefined, fallback: T, directive: string) => T;

function finalizeServer(
  d: Draft,
  base: CommonConfig,
  ctx: FinalizeContext,
  or: Or,
): ServerConfig | undefined {
  if (!d.server && !ctx.attempted.has('server'))
    ctx.error('CONFIG_MISSING_REQUIRED', "a server needs 'server NETWORK NETMASK' (the client address pool)");
  if (!ctx.attempted.has('cert') && !ctx.attempted.has('key'))
    ctx.error(
      'CONFIG_MISSING_REQUIRED',
      "a server needs 'cert' and 'key': clients always check the server's certificate",
    );
  const verify = or(d.verifyClientCert, 'require', 'verify-client-cert');
  // Given but invalid counts as given: its own error is already reported.
  const passwordCheck = ctx.attempted.has('passdb') || ctx.attempted.has('auth-user-pass-verify');
  if (verify !== 'require' && !passwordCheck)
    ctx.error(
      'CONFIG_MISSING_REQUIRED',
      `verify-client-cert ${verify} lets clients in without a certificate, so it needs 'passdb FILE' or 'auth-user-pass-verify'`,
      'verify-client-cert',
    );
  if (d.passdb !== undefined && d.authUserPassVerify !== undefined)
    ctx.error(
      'CONFIG_CONFLICT',
      "use either 'passdb' or 'auth-user-pass-verify' to check passwords, not both",
      'passdb',
    );
  if (d.usernameAsCommonName && !passwordCheck)
    ctx.error(
      'CONFIG_MISSING_REQUIRED',
      "username-as-common-name needs a password check ('passdb' or 'auth-user-pass-verify')",
      'username-as-common-name',
    );
  if (d.maxClients !== undefined && d.server) {
    const pool = 2 ** (32 - d.server.prefixLength) - 3;
    if (d.maxClients > pool)
      ctx.warn(
        'CONFIG_ADVICE',
        `max-clients ${d.maxClients} exceeds the ${pool} addresses of the server subnet`,
        'max-clients',
      );
  }
  if (!d.server || !d.cert || !d.key) return undefined;
  const push: PushedOption[] = [...d.push];
  if (d.keepalive)
    push.push(
      {
        name: 'ping',
        args: [String(d.keepalive.interval)],
        text: `ping ${d.keepalive.interval}`,
        origin: 'keepalive',
      },
      {
        name: 'ping-restart',
        args: [String(d.keepalive.timeout)],
        text: `ping-restart ${d.keepalive.timeout}`,
        origin: 'keepalive',
      },
    );
  return {
    ...base,
    mode: 'server',
    cert: d.cert,
    key: d.key,
    server: d.server,
    ...opt('serverIpv6', d.serverIpv6),
    ...opt('ifconfigPoolPersist', d.ifconfigPoolPersist),
    push,
    clientToClient: d.clientToClient ?? false,
    maxClients: or(d.maxClients, 1024, 'max-clients'),
    duplicateCn: d.duplicateCn ?? false,
    verifyClientCert: verify,
    ...opt('passdb', d.passdb),
    ...opt('authUserPassVerify', d.authUserPassVerify),
    usernameAsCommonName: d.usernameAsCommonName ?? false,
    ...opt('clientConfigDir', d.clientConfigDir),
    ccdExclusive: d.ccdExclusive ?? false,
  };
}

function finalizeClient(
  d: Draft,
  base: CommonConfig,
  ctx: FinalizeContext,
  or: Or,
): ClientConfig | undefined {
  if (!ctx.attempted.has('remote'))
    ctx.error('CONFIG_MISSING_REQUIRED', "a client needs at least one 'remote HOST [PORT]'");
  if (!['cert', 'key', 'auth-user-pass'].some((n) => ctx.attempted.has(n)))
    ctx.error(
      'CONFIG_MISSING_REQUIRED',
      "a client needs 'cert' and 'key', or 'auth-user-pass' for a username and password (or both)",
    );
  const rport = or(d.rport, DEFAULT_PORT, 'rport');
  const proto = base.proto;
  return {
    ...base,
    mode: 'client',
    remotes: d.remotes.map((r) => ({ host: r.host, port: r.port ?? rport, proto: r.proto ?? proto })),
    remoteRandom: d.remoteRandom ?? false,
    rport,
    nobind: d.nobind ?? false,
    resolvRetry: or(d.resolvRetry, 'infinite', 'resolv-retry'),
    connectRetry: or(d.connectRetry, { initial: 1, max: 300 }, 'connect-retry'),
    ...opt('connectRetryMax', d.connectRetryMax),
    serverPollTimeout: or(d.serverPollTimeout, 120, 'server-poll-timeout'),
    ...opt('authUserPass', d.authUserPass),
    authRetry: or(d.authRetry, 'none', 'auth-retry'),
    ...opt('redirectGateway', d.redirectGateway),
    ...opt('redirectPrivate', d.redirectPrivate),
    dhcpOptions: d.dhcpOptions,
    ...opt('routeGateway', d.routeGateway),
    routeNopull: d.routeNopull ?? false,
    pullFilters: d.pullFilters,
  };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
