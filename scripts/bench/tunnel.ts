/**
 * What the rig needs to know about a tunnel implementation to measure it:
 * how to make its keys and configs, and the command lines of its server and
 * client. pqvpn and OpenVPN each provide one (pqvpn.ts, openvpn.ts); the
 * measurement code (measure.ts) treats them identically.
 * @module
 */

export interface TunnelSetup {
  /** Working directory for keys, configs and logs (already exists, root-only). */
  readonly dir: string;
  readonly underlayServerAddress: string;
}

export interface LaunchOptions {
  /**
   * When set, the process is prepared for profiling: it starts a V8 CPU profile
   * at the first SIGURG and writes it to this file at the second (Node programs only).
   */
  readonly profileFile?: string;
  /** When set, the process profiles itself from start-up until the first SIGURG and writes this file. */
  readonly startupProfileFile?: string;
}

/** A command line and extra environment variables. */
export interface Launch {
  readonly argv: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
}

export interface TunnelUnderTest {
  /** Short name for tables and logs. */
  readonly label: string;
  /** The server's address inside the tunnel: what the client pings and iperf3 connects to. */
  readonly serverTunnelAddress: string;
  /** UDP port the server listens on (readiness check). */
  readonly port: number;
  /** Makes keys and config files in setup.dir. */
  prepare(setup: TunnelSetup): Promise<void>;
  server(setup: TunnelSetup, options?: LaunchOptions): Launch;
  client(setup: TunnelSetup, options?: LaunchOptions): Launch;
  /** Whether this tunnel's processes can be profiled with LaunchOptions.profileFile. */
  readonly profilable: boolean;
  /**
   * Splits the connect time using the client's own log (when its timestamps are
   * precise enough): milliseconds from `startedAt` (epoch ms) to the first
   * handshake packet, and from there to the tunnel being configured.
   */
  connectPhases?(clientLog: string, startedAt: number): ConnectPhases | undefined;
}

export interface ConnectPhases {
  /** Process start → the client says it is connecting (start-up: runtime, modules, config, keys). */
  readonly startupMs: number;
  /** Connecting → connected with the address configured (handshake, push, TUN and routes). */
  readonly handshakeMs: number;
}
