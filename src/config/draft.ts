/**
 * The mutable scratch record that directive parsers write into while a config
 * is built, before `finalize` checks the combination, fills defaults and freezes
 * it into a `ServerConfig` or `ClientConfig`.
 *
 * Single-valued fields are plain optional properties, so a later directive (or a
 * command-line override) replaces an earlier one simply by assigning — OpenVPN's
 * "last one wins". Repeatable directives append to arrays.
 * @module
 */

import type { SourceLocation } from '../errors.js';
import type {
  DhcpOption,
  FileSource,
  KemSuiteName,
  Proto,
  PushedOption,
  RedirectFlag,
  Route,
  RouteIpv6,
  ScriptCommand,
} from './model.js';

/** A `remote` line before defaults: port and proto may come from `rport`/`proto`. */
export interface DraftRemote {
  host: string;
  port?: number;
  proto?: Proto;
}

export interface Draft {
  // Mode markers (the builder decides the mode before applying; these record what was said).
  client?: boolean;
  modeServer?: boolean;
  server?: { network: string; netmask: string; prefixLength: number };
  serverIpv6?: { network: string; prefixLength: number };

  dev?: string;
  devType?: 'tun';
  proto?: Proto;
  topology?: 'subnet';
  local?: string;
  lport?: number;
  rport?: number;
  bind?: { ipv6only: boolean };
  nobind?: boolean;
  float?: boolean;
  tunMtu?: number;
  sndbuf?: number;
  rcvbuf?: number;
  txqueuelen?: number;
  routes: Route[];
  routesIpv6: RouteIpv6[];
  routeMetric?: number;
  routeGateway?: string;
  routeNoexec?: boolean;
  routeNopull?: boolean;
  ifconfigNoexec?: boolean;
  // Only valid when pushed (or in a client-config-dir file); validated, then dropped.
  ifconfig?: { local: string; netmask: string };
  ifconfigIpv6?: { address: string; prefixLength: number; remote?: string };

  ca?: FileSource;
  cert?: FileSource;
  key?: FileSource;
  crlVerify?: { source: FileSource; dir: boolean };
  tlsCrypt?: FileSource;
  remoteCertTls?: 'server' | 'client';
  remoteCertEku?: string;
  remoteCertKu?: number[];
  verifyX509Name?: { name: string; type: 'subject' | 'name' | 'name-prefix' };
  kemSuites?: KemSuiteName[];
  sigSchemes?: string[];
  sigPlugins: string[];
  psk?: FileSource;
  qkdKme?: string;
  qkdSaeId?: string;
  qkdPeerSaeId?: string;
  qkdCa?: FileSource;
  qkdCert?: FileSource;
  qkdKey?: FileSource;
  qkdKeySize?: number;
  qkdMode?: 'required' | 'optional';
  dataCiphers?: string[];

  keepalive?: { interval: number; timeout: number };
  ping?: number;
  pingRestart?: number;
  pingExit?: number;
  pingTimerRem?: boolean;
  inactive?: { seconds: number; bytes: number };
  renegSec?: number;
  renegBytes?: number;
  renegPkts?: number;
  handWindow?: number;
  tranWindow?: number;
  replayWindow?: number;
  explicitExitNotify?: number;

  user?: string;
  group?: string;
  persistTun?: boolean;
  persistKey?: boolean;
  cd?: string;
  writepid?: string;
  tmpDir?: string;
  status?: { path: string; seconds: number };
  log?: { path: string; append: boolean };
  verb?: number;
  mute?: number;
  suppressTimestamps?: boolean;
  scriptSecurity?: number;
  up?: ScriptCommand;
  down?: ScriptCommand;
  setenv: { name: string; value: string }[];

  // Server.
  ifconfigPoolPersist?: { path: string; seconds: number };
  push: PushedOption[];
  clientToClient?: boolean;
  maxClients?: number;
  duplicateCn?: boolean;
  verifyClientCert?: 'none' | 'optional' | 'require';
  passdb?: string;
  authUserPassVerify?: { command: ScriptCommand; method: 'via-env' | 'via-file' };
  usernameAsCommonName?: boolean;
  clientConfigDir?: string;
  ccdExclusive?: boolean;

  // Client.
  remotes: DraftRemote[];
  remoteRandom?: boolean;
  resolvRetry?: number | 'infinite';
  connectRetry?: { initial: number; max: number };
  connectRetryMax?: number;
  serverPollTimeout?: number;
  authUserPass?: { source?: FileSource };
  authRetry?: 'none' | 'nointeract' | 'interact';
  redirectGateway?: RedirectFlag[];
  redirectPrivate?: RedirectFlag[];
  dhcpOptions: DhcpOption[];
  pullFilters: { action: 'accept' | 'ignore' | 'reject'; text: string }[];

  // Client-config-dir files.
  iroutes: Route[];
  iroutesIpv6: RouteIpv6[];
  ifconfigPush?: { local: string; netmask: string };
  ifconfigIpv6Push?: { address: string; prefixLength: number; remote?: string };
  pushReset?: boolean;
  pushRemove: string[];
  disable?: boolean;

  /** Names of directives given to the parser that are not ignored, with their last location. */
  seen: Map<string, SourceLocation>;
}

export function emptyDraft(): Draft {
  return {
    routes: [],
    routesIpv6: [],
    sigPlugins: [],
    setenv: [],
    push: [],
    remotes: [],
    dhcpOptions: [],
    pullFilters: [],
    iroutes: [],
    iroutesIpv6: [],
    pushRemove: [],
    seen: new Map(),
  };
}
