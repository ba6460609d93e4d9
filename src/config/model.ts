/**
 * The validated configuration: what `buildConfig` produces and what the server,
 * client and tunnel read. A discriminated union on `mode`:
 * `ServerConfig | ClientConfig`, both extending `CommonConfig`.
 *
 * Every value here has been checked: addresses parse, ports are in range, files
 * exist (unless the caller turned file checks off), the directive combination is
 * consistent. Defaults are filled in; `defaulted` names the directives whose value
 * is a default, `locations` where each explicit one was given.
 *
 * Key material from inline blocks is held in `InlineContent`, whose `toString`,
 * `toJSON` and `util.inspect` print `[inline, N bytes]`, so logging or dumping a
 * config never reveals a key or a password. Only `.text` gives the content.
 * @module
 */

import type { SourceLocation } from '../errors.js';

/** A file argument given as a path; `path` is absolute, resolved against the config's folder (or `cd`). */
export interface FileOnDisk {
  readonly kind: 'file';
  readonly path: string;
}

/** A file argument given as an inline `<name>…</name>` block. Redacted when printed. */
export class InlineContent {
  readonly kind = 'inline' as const;
  readonly text: string;
  constructor(text: string) {
    this.text = text;
    Object.freeze(this);
  }
  get bytes(): number {
    return Buffer.byteLength(this.text, 'utf8');
  }
  toString(): string {
    return `[inline, ${this.bytes} bytes]`;
  }
  toJSON(): string {
    return this.toString();
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

export type FileSource = FileOnDisk | InlineContent;

/** A script to run: the line as written, and its words (`argv[0]` resolved to an absolute path). */
export interface ScriptCommand {
  readonly line: string;
  readonly argv: readonly string[];
}

/** OpenVPN's special route addresses. */
export type RouteKeyword = 'vpn_gateway' | 'net_gateway' | 'remote_host';

export interface Route {
  /** An IPv4 network address, or a keyword. */
  readonly network: string;
  readonly netmask: string;
  /** An IPv4 address or a keyword; absent means the VPN gateway. */
  readonly gateway?: string;
  readonly metric?: number;
}

export interface RouteIpv6 {
  readonly network: string;
  readonly prefixLength: number;
  readonly gateway?: string;
  readonly metric?: number;
}

export type Proto = 'udp' | 'udp4' | 'udp6';

export interface Remote {
  readonly host: string;
  readonly port: number;
  readonly proto: Proto;
}

/** Key-exchange suites pqvpn offers (src/protocol/handshake/kem-suites.ts). */
export const KEM_SUITE_NAMES = ['x-wing', 'ml-kem-1024'] as const;
export type KemSuiteName = (typeof KEM_SUITE_NAMES)[number];

/** The one data-channel cipher. */
export const DATA_CIPHER = 'AES-256-GCM';

export interface QkdConfig {
  /** Base URL of the Key Management Entity (ETSI GS QKD 014), always https. */
  readonly kme: string;
  readonly saeId: string;
  readonly peerSaeId: string;
  readonly ca: FileSource;
  readonly cert: FileSource;
  readonly key: FileSource;
  readonly keySize: number;
  readonly mode: 'required' | 'optional';
}

/** The flags of `redirect-gateway` (and `redirect-private`), in OpenVPN's spelling. */
export const REDIRECT_FLAGS = [
  'local',
  'autolocal',
  'def1',
  'bypass-dhcp',
  'bypass-dns',
  'block-local',
  'ipv6',
  '!ipv4',
] as const;

export type RedirectFlag = (typeof REDIRECT_FLAGS)[number];

export interface DhcpOption {
  readonly type: string;
  readonly value?: string;
}

/** A `push "…"` option, already parsed and validated as a client directive. */
export interface PushedOption {
  readonly name: string;
  readonly args: readonly string[];
  /** The option as sent to clients. */
  readonly text: string;
  /** Where it came from: a `push` line, or implied by `keepalive` on a server. */
  readonly origin: 'push' | 'keepalive';
}

export interface CommonConfig {
  /** The config file and the folder its relative paths were resolved against. */
  readonly source: { readonly file: string; readonly dir: string };
  readonly dev: string;
  readonly devType: 'tun';
  readonly proto: Proto;
  readonly topology: 'subnet';
  readonly local?: string;
  readonly lport: number;
  readonly bind: { readonly ipv6only: boolean };
  readonly float: boolean;
  readonly tunMtu: number;
  readonly sndbuf?: number;
  readonly rcvbuf?: number;
  readonly txqueuelen?: number;
  readonly routes: readonly Route[];
  readonly routesIpv6: readonly RouteIpv6[];
  readonly routeMetric?: number;
  readonly routeNoexec: boolean;
  readonly ifconfigNoexec: boolean;

  readonly ca: FileSource;
  readonly cert?: FileSource;
  readonly key?: FileSource;
  readonly crlVerify?: { readonly source: FileSource; readonly dir: boolean };
  readonly tlsCrypt?: FileSource;
  readonly remoteCertTls?: 'server' | 'client';
  readonly remoteCertEku?: string;
  readonly remoteCertKu?: readonly number[];
  readonly verifyX509Name?: { readonly name: string; readonly type: 'subject' | 'name' | 'name-prefix' };
  readonly kemSuites: readonly KemSuiteName[];
  readonly sigSchemes: readonly string[];
  readonly sigPlugins: readonly string[];
  readonly psk?: FileSource;
  readonly qkd?: QkdConfig;
  readonly dataCiphers: readonly string[];

  readonly keepalive?: { readonly interval: number; readonly timeout: number };
  /** Effective ping interval (0 = off), after `keepalive` is expanded. */
  readonly ping: number;
  readonly pingRestart: number;
  readonly pingExit: number;
  readonly pingTimerRem: boolean;
  readonly inactive?: { readonly seconds: number; readonly bytes: number };
  readonly renegSec: number;
  readonly renegBytes: number;
  readonly renegPkts: number;
  readonly handWindow: number;
  readonly tranWindow: number;
  readonly replayWindow: number;
  readonly explicitExitNotify: number;

  readonly user?: string;
  readonly group?: string;
  readonly persistTun: boolean;
  readonly persistKey: boolean;
  readonly cd?: string;
  readonly writepid?: string;
  readonly tmpDir?: string;
  readonly status?: { readonly path: string; readonly seconds: number };
  readonly log?: { readonly path: string; readonly append: boolean };
  readonly verb: number;
  readonly mute: number;
  readonly suppressTimestamps: boolean;
  readonly scriptSecurity: number;
  readonly up?: ScriptCommand;
  readonly down?: ScriptCommand;
  readonly setenv: readonly { readonly name: string; readonly value: string }[];

  /** Directive names whose value is pqvpn's default rather than given. */
  readonly defaulted: readonly string[];
  /** Where each explicitly given directive was (the last occurrence for single-valued ones). */
  readonly locations: Readonly<Record<string, SourceLocation>>;
}

export interface ServerConfig extends CommonConfig {
  readonly mode: 'server';
  readonly server: { readonly network: string; readonly netmask: string; readonly prefixLength: number };
  readonly serverIpv6?: { readonly network: string; readonly prefixLength: number };
  readonly ifconfigPoolPersist?: { readonly path: string; readonly seconds: number };
  readonly push: readonly PushedOption[];
  readonly clientToClient: boolean;
  readonly maxClients: number;
  readonly duplicateCn: boolean;
  readonly verifyClientCert: 'none' | 'optional' | 'require';
  readonly passdb?: string;
  readonly authUserPassVerify?: { readonly command: ScriptCommand; readonly method: 'via-env' | 'via-file' };
  readonly usernameAsCommonName: boolean;
  readonly clientConfigDir?: string;
  readonly ccdExclusive: boolean;
  readonly cert: FileSource;
  readonly key: FileSource;
}

export interface ClientConfig extends CommonConfig {
  readonly mode: 'client';
  readonly remotes: readonly Remote[];
  readonly remoteRandom: boolean;
  readonly rport: number;
  readonly nobind: boolean;
  readonly resolvRetry: number | 'infinite';
  readonly connectRetry: { readonly initial: number; readonly max: number };
  readonly connectRetryMax?: number;
  readonly serverPollTimeout: number;
  /** `undefined` source: ask on the terminal. */
  readonly authUserPass?: { readonly source?: FileSource };
  readonly authRetry: 'none' | 'nointeract' | 'interact';
  readonly redirectGateway?: readonly RedirectFlag[];
  readonly redirectPrivate?: readonly RedirectFlag[];
  readonly dhcpOptions: readonly DhcpOption[];
  readonly routeGateway?: string;
  readonly routeNopull: boolean;
  readonly pullFilters: readonly { readonly action: 'accept' | 'ignore' | 'reject'; readonly text: string }[];
}

export type PqvpnConfig = ServerConfig | ClientConfig;

/** A problem that does not stop the config from loading (an ignored directive, a loose file mode…). */
export interface ConfigWarning {
  readonly code: string;
  readonly message: string;
  readonly location?: SourceLocation;
  readonly directive?: string;
}
