/**
 * The client driver: connect to one of the config's remotes, take the
 * server's pushed options, carry packets between the TUN device and the
 * server, and keep doing so across server restarts.
 *
 * ```
 *  run() ── loop over remotes (remote-random shuffles once) ──────────────────────┐
 *    resolve host (resolv-retry) → UDP socket → control plane.start()             │
 *    established: pushed options → TUN (opened once) → ip addr/route → up script  │
 *    connection ends: ping-restart, server exit notice / RESTART, handshake       │
 *      timeout → back-off (connect-retry, doubling) → next remote ─────────────────┘
 *    AUTH_FAILED or an unacceptable push → stop with an error (nothing configured)
 *  stop(): exit notices + control close, routes/addresses removed, down script.
 * ```
 *
 * State by lifetime: the TUN device and the applied network configuration
 * live for the whole run (OpenVPN's persist-tun: a reconnect that gets the
 * same options changes nothing on the host; different options are re-applied);
 * `Connection` lives for one attempt and owns the socket, the control plane
 * and the data channel.
 * @module
 */

import { lookup } from 'node:dns/promises';
import type { ClientConfig, Remote } from '../config/model.js';
import { PqvpnError } from '../errors.js';
import type { Logger } from '../log.js';
import type { CommandRunner } from '../net/iproute2.js';
import { endpoint, openUdpTransport, type UdpEndpoint, type UdpTransport } from '../net/udp-transport.js';
import {
  DataChannel,
  type DataChannelEvent,
  type DataKeyMaterial,
  ExitReason,
  OPCODE_DATA,
  OPCODE_SHIFT,
  wipeDataKeyMaterial,
} from '../protocol/data/index.js';
import type { ExtraSecretInput, SessionEvent } from '../protocol/handshake/types.js';
import type { ClientControlPlane, ClientControlPlaneSink } from '../runtime/control-plane.js';
import type { TunBackend } from '../tun/tun-device.js';
import { ClientHost } from './client-host.js';
import { dataChannelOptions } from './data-options.js';
import { Inactivity } from './inactivity.js';
import { PushedOptionError, type PushedPlan, parsePushedOptions } from './pushed-options.js';
import { QKD_KEYS_EXPIRED, QkdPolicy, type QkdSessionState, qkdModeOf } from './qkd-policy.js';
import type { ExtraSecretSource } from './seams.js';
import { suiteOf } from './suite.js';
import { printable } from './text.js';

export interface TunnelClientOptions {
  readonly config: ClientConfig;
  readonly log: Logger;
  readonly tun: TunBackend;
  /** A fresh control plane (one session) per connection attempt. */
  readonly createControlPlane: (sink: ClientControlPlaneSink) => Promise<ClientControlPlane>;
  /** Runs `ip`; tests pass a recorder. */
  readonly ip: CommandRunner;
  readonly extraSecrets?: ExtraSecretSource;
  /** Name resolution; default dns.lookup (all addresses). */
  readonly resolve?: (host: string, family: 0 | 4 | 6) => Promise<readonly string[]>;
  readonly clock?: () => number;
  readonly tickMs?: number;
  /** Called once per successful connection (tests, the demo). */
  readonly onConnected?: (info: { readonly plan: PushedPlan; readonly server: UdpEndpoint }) => void;
}

export class TunnelClientError extends PqvpnError {}

/** Why a connection ended. */
type Ending =
  | { readonly kind: 'stopped' }
  | { readonly kind: 'restart'; readonly reason: string }
  | { readonly kind: 'fatal'; readonly error: PqvpnError };

const DEFAULT_TICK_MS = 250;

interface Connection {
  /** Where the server is; with `float`, moved by an authentic data packet from elsewhere. */
  server: UdpEndpoint;
  readonly transport: UdpTransport;
  control: ClientControlPlane | undefined;
  data: DataChannel | undefined;
  readonly pendingKeys: { keys: DataKeyMaterial; sending: boolean }[];
  established: boolean;
  pingExit: boolean;
  /** With qkd-*: the QKD keys of this connection's key epochs, and a rekey waiting for one. */
  readonly qkd: QkdSessionState | undefined;
  finish: (ending: Ending) => void;
  readonly done: Promise<Ending>;
}

export class TunnelClient {
  readonly #o: TunnelClientOptions;
  readonly #log: Logger;
  readonly #clock: () => number;
  readonly #host: ClientHost;
  #current: Connection | undefined;
  #tick: NodeJS.Timeout | undefined;
  #stopping = false;
  #wake: (() => void) | undefined;
  #fatal: TunnelClientError | undefined;
  /** Bytes through the TUN device both ways (for `inactive`). */
  #tunBytes = 0;
  #inactive: Inactivity | undefined;
  readonly #qkd: QkdPolicy | undefined;
  readonly drops: Record<string, number> = {};

  constructor(options: TunnelClientOptions) {
    this.#o = options;
    this.#log = options.log;
    this.#clock = options.clock ?? Date.now;
    this.#qkd = options.extraSecrets
      ? new QkdPolicy({
          source: options.extraSecrets,
          mode: qkdModeOf(options.config.qkd?.mode, options.extraSecrets),
          log: options.log,
          graceMs: options.config.handWindow * 1000,
        })
      : undefined;
    this.#host = new ClientHost({
      config: options.config,
      log: options.log,
      tun: options.tun,
      ip: options.ip,
      onPackets: (packets) => this.#onTunPackets(packets),
      onTunError: (error) => {
        this.#fatal = new TunnelClientError('TUN_FAILED', `the TUN device stopped reading: ${error.message}`);
        this.#current?.finish({ kind: 'fatal', error: this.#fatal });
      },
    });
  }

  get tunName(): string | undefined {
    return this.#host.tun?.name;
  }

  /** Connects and reconnects until `stop()` or a fatal error (rejects with it, after cleaning up). */
  async run(): Promise<void> {
    const c = this.#o.config;
    const remotes = c.remoteRandom ? shuffle(c.remotes) : [...c.remotes];
    let failures = 0;
    let attempts = 0;
    this.#tick = setInterval(() => this.#onTick(), this.#o.tickMs ?? DEFAULT_TICK_MS);
    try {
      for (let i = 0; !this.#stopping; i = (i + 1) % remotes.length) {
        const remote = remotes[i]!;
        attempts++;
        const ending = await this.#attempt(remote);
        if (ending.kind === 'stopped' || this.#stopping) break;
        if (ending.kind === 'fatal') throw ending.error;
        if (this.#fatal) throw this.#fatal;
        if (this.#current?.established) failures = 0;
        this.#current = undefined;
        if (c.connectRetryMax !== undefined && attempts >= c.connectRetryMax * remotes.length)
          throw new TunnelClientError('CONNECT_RETRY_MAX', `gave up after ${attempts} connection attempts`);
        const delay = Math.min(c.connectRetry.initial * 2 ** failures, c.connectRetry.max) * 1000;
        failures++;
        this.#log.info(`restarting in ${delay / 1000} s (${ending.reason})`);
        await this.#sleep(delay);
      }
    } finally {
      await this.#cleanup();
    }
  }

  /** OpenVPN's SIGUSR1: drop the connection (telling the server) and reconnect, keeping the TUN device. */
  restart(reason: string): void {
    const conn = this.#current;
    if (!conn || this.#stopping) return;
    this.#sendExitNotices(conn, ExitReason.restarting);
    conn.finish({ kind: 'restart', reason });
  }

  /** OpenVPN's SIGUSR2: one log line with the connection's state and counters. */
  describe(): string {
    const conn = this.#current;
    const stats = conn?.data?.stats();
    if (!conn || !stats) return 'not connected';
    return (
      `connected to ${conn.server.key} as ${this.#host.plan?.ifconfig.local ?? '?'}: ` +
      `${stats.bytesReceived} bytes in, ${stats.bytesSent} out, key id ${conn.data?.sendKeyId ?? '?'}`
    );
  }

  /**
   * Leaves: exit notices to the server (`explicit-exit-notify`, at least one),
   * a control close, then `run()` removes what it configured and resolves.
   */
  stop(): void {
    if (this.#stopping) return;
    this.#stopping = true;
    this.#wake?.();
    const conn = this.#current;
    if (!conn) return;
    this.#sendExitNotices(conn, ExitReason.shuttingDown);
    conn.finish({ kind: 'stopped' });
  }

  #sendExitNotices(conn: Connection, reason: number): void {
    const data = conn.data;
    if (data?.sendKeyId === undefined) return;
    const now = this.#clock();
    for (let i = Math.max(1, this.#o.config.explicitExitNotify); i > 0; i--) {
      const r = data.exitNotice(now, reason);
      if (r.ok) conn.transport.send(r.datagram, conn.server);
    }
  }

  // ── One connection attempt ─────────────────────────────────────────────────

  async #attempt(remote: Remote): Promise<Ending> {
    const c = this.#o.config;
    let server: UdpEndpoint;
    try {
      server = await this.#resolve(remote);
    } catch (error) {
      if (this.#stopping) return { kind: 'stopped' };
      if (error instanceof TunnelClientError && error.code === 'RESOLVE_GAVE_UP')
        return { kind: 'fatal', error };
      return { kind: 'restart', reason: (error as Error).message };
    }
    if (this.#stopping) return { kind: 'stopped' };
    let transport: UdpTransport;
    try {
      transport = await openUdpTransport({
        proto: server.family === 4 ? 'udp4' : 'udp6',
        port: c.nobind ? 0 : c.lport,
        ...(c.float ? {} : { connect: server }),
        ...(c.local !== undefined ? { address: c.local } : {}),
        ...(c.rcvbuf ? { receiveBufferBytes: c.rcvbuf } : {}),
        ...(c.sndbuf ? { sendBufferBytes: c.sndbuf } : {}),
      });
    } catch (error) {
      const where = `${c.local ?? (server.family === 4 ? '0.0.0.0' : '::')}:${c.nobind ? 0 : c.lport}`;
      return {
        kind: 'fatal',
        error: new TunnelClientError(
          'UDP_BIND_FAILED',
          `cannot bind UDP ${where}: ${(error as Error).message}`,
        ),
      };
    }
    let finish!: (e: Ending) => void;
    const done = new Promise<Ending>((resolve) => {
      finish = resolve;
    });
    const conn: Connection = {
      server,
      transport,
      control: undefined,
      data: undefined,
      pendingKeys: [],
      established: false,
      pingExit: false,
      qkd: this.#qkd?.session(),
      finish: (e) => finish(e),
      done,
    };
    this.#current = conn;
    this.#log.info(`connecting to ${remote.host} ${server.key} from ${transport.local.key}`);
    transport.onDatagram((datagram, from) => this.#onDatagram(conn, datagram, from));
    // Only for getting connected: an established connection outlives it (hand-window is also the QKD grace).
    const timeout = setTimeout(() => {
      if (!conn.established)
        conn.finish({ kind: 'restart', reason: `no connection within ${c.serverPollTimeout} s` });
    }, Math.min(c.serverPollTimeout, c.handWindow) * 1000);
    try {
      conn.control = await this.#o.createControlPlane({
        send: (datagram) => transport.send(datagram, conn.server),
        event: (event) => this.#onControlEvent(conn, event),
      });
      const first = await this.#firstKey(conn);
      if (first === 'wait')
        return { kind: 'restart', reason: 'qkd-mode required and no QKD key for the handshake' };
      if (this.#stopping) return { kind: 'stopped' };
      conn.control.start(first);
      const ending = await done;
      return ending;
    } catch (error) {
      return { kind: 'fatal', error: asPqvpnError(error) };
    } finally {
      clearTimeout(timeout);
      conn.data?.close();
      for (const p of conn.pendingKeys) wipeDataKeyMaterial(p.keys);
      await conn.control?.shutdown('shutdown').catch(() => {});
      // Let the close alert leave before the socket goes.
      await new Promise((r) => setImmediate(r));
      await transport.close();
    }
  }

  async #resolve(remote: Remote): Promise<UdpEndpoint> {
    const c = this.#o.config;
    const family = remote.proto === 'udp4' ? 4 : remote.proto === 'udp6' ? 6 : 0;
    const resolve =
      this.#o.resolve ??
      (async (host: string, fam: 0 | 4 | 6) =>
        (await lookup(host, { all: true, family: fam })).map((a) => a.address));
    const started = this.#clock();
    for (let delay = 1000; ; delay = Math.min(delay * 2, 30_000)) {
      try {
        const addresses = await resolve(remote.host, family);
        const address = addresses[0];
        if (address !== undefined) return endpoint(address, remote.port);
        throw new Error('no address');
      } catch (error) {
        const limit = c.resolvRetry === 'infinite' ? Number.POSITIVE_INFINITY : c.resolvRetry * 1000;
        const message = `cannot resolve ${remote.host}: ${(error as Error).message}`;
        if (this.#clock() - started >= limit || this.#stopping)
          throw new TunnelClientError('RESOLVE_GAVE_UP', message);
        this.#log.warn(`${message}; retrying`);
        await this.#sleep(delay);
      }
    }
  }

  /**
   * The QKD key for the first handshake (qkd-policy.ts). 'wait': qkd-mode
   * required and no key — this attempt ends and the usual back-off retries.
   */
  async #firstKey(conn: Connection): Promise<ExtraSecretInput | undefined | 'wait'> {
    if (!this.#qkd || !conn.qkd) return undefined;
    const d = await this.#qkd.initiator('', 'handshake');
    if (d.kind === 'wait') return 'wait';
    conn.qkd.initialKey(d.kind === 'key' ? d.keyId : undefined);
    conn.qkd.epochStarted(0); // the first handshake's key id
    return d.kind === 'key' ? d.extra : undefined;
  }

  /** A rekey we start: with QKD a fresh key first; qkd-mode required without one waits (#onTick retries). */
  async #startRekey(conn: Connection, retry = false): Promise<void> {
    const qkd = this.#qkd;
    const state = conn.qkd;
    if (!qkd || !state) return void conn.control?.startRekey();
    if (!retry && !state.rekeyNeeded(this.#clock())) return;
    const d = await qkd.initiator('', 'rekey');
    if (conn !== this.#current) return;
    if (d.kind === 'wait') {
      const now = this.#clock();
      const { retryAt, expiresAt } = state.rekeyBlocked(now);
      this.#log.info(
        `QKD: keeping the current keys; rekey retried in ${((retryAt - now) / 1000).toFixed(1)} s, ` +
          `keys expire in ${((expiresAt - now) / 1000).toFixed(1)} s`,
      );
      return;
    }
    state.rekeyStarting(d.kind === 'key' ? d.keyId : undefined);
    conn.control?.startRekey(d.kind === 'key' ? d.extra : undefined);
  }

  // ── Datagrams and packets ──────────────────────────────────────────────────

  #onDatagram(conn: Connection, datagram: Buffer, from: UdpEndpoint): void {
    if (conn !== this.#current || datagram.length === 0) return;
    if (from.key !== conn.server.key && !this.#o.config.float) {
      this.#drop('wrong-source');
      return;
    }
    if (datagram[0]! >>> OPCODE_SHIFT !== OPCODE_DATA) {
      conn.control?.receive(datagram);
      return;
    }
    const data = conn.data;
    if (!data) {
      this.#drop('data-before-keys');
      return;
    }
    const r = data.decrypt(this.#clock(), datagram);
    if (r.type !== 'drop' && from.key !== conn.server.key) {
      // `float`: only a packet that authenticated moves the server (a forged or replayed one was dropped).
      this.#log.info(`the server floated from ${conn.server.key} to ${from.key}`);
      conn.server = from;
    }
    if (r.type === 'ip') {
      this.#tunBytes += r.packet.length;
      this.#host.tun?.write(r.packet);
    } else if (r.type === 'exit')
      conn.finish({
        kind: 'restart',
        reason: `the server is ${r.reason === ExitReason.restarting ? 'restarting' : 'shutting down'} (exit notice)`,
      });
  }

  #onTunPackets(packets: readonly Uint8Array[]): void {
    const conn = this.#current;
    const data = conn?.data;
    if (!conn || !data) return;
    const now = this.#clock();
    for (const packet of packets) {
      this.#tunBytes += packet.length;
      const r = data.encrypt(now, packet);
      if (r.ok) conn.transport.send(r.datagram, conn.server);
    }
  }

  // ── Control events ─────────────────────────────────────────────────────────

  #onControlEvent(conn: Connection, e: SessionEvent): void {
    if (conn !== this.#current) {
      if (e.type === 'keys-installed') wipeDataKeyMaterial(e.keys);
      return;
    }
    const now = this.#clock();
    switch (e.type) {
      case 'keys-installed':
        if (conn.qkd) this.#qkd?.installed('', conn.qkd, e.keys.keyId, now);
        if (conn.data) conn.data.installKeys(now, e.keys, { activate: e.sending });
        else conn.pendingKeys.push({ keys: e.keys, sending: e.sending });
        if (conn.data) wipeDataKeyMaterial(e.keys);
        return;
      case 'keys-activated':
        conn.data?.activateSendKey(now, e.keyId);
        return;
      case 'established':
        void this.#established(conn, e).catch((error) =>
          conn.finish({ kind: 'fatal', error: asPqvpnError(error) }),
        );
        return;
      case 'extra-secret-needed':
        void this.#extraSecret(conn, e);
        return;
      case 'rekey-started':
        this.#log.verbose(
          `rekey to key id ${e.keyId} started by ${e.initiator === 'local' ? 'us' : 'the server'}`,
        );
        if (e.initiator === 'local') conn.qkd?.epochStarted(e.keyId);
        return;
      case 'auth-needed':
        return; // server-only event
      case 'closed': {
        const why = this.#qkd?.explainClose(e.reason, e.by);
        const text = why ? `${e.detail ? `${e.detail}; ` : ''}${why}` : e.detail;
        const detail = text ? ` (${printable(text, why ? 400 : 120)})` : '';
        if (e.reason === 'AUTH_FAILED') {
          conn.finish({
            kind: 'fatal',
            error: new TunnelClientError(
              'AUTH_FAILED',
              `AUTH_FAILED: the server refused our credentials${detail}`,
            ),
          });
        } else if (e.by === 'peer' || !this.#stopping) {
          conn.finish({
            kind: 'restart',
            reason: `session closed: ${e.reason}${e.by === 'peer' ? ' by the server' : ''}${detail}`,
          });
        }
        return;
      }
    }
  }

  async #established(conn: Connection, e: Extract<SessionEvent, { type: 'established' }>): Promise<void> {
    const c = this.#o.config;
    let plan: PushedPlan;
    try {
      const parsed = parsePushedOptions(e.pushOptions, {
        pullFilters: c.pullFilters,
        routeNopull: c.routeNopull,
      });
      plan = parsed.plan;
      for (const i of parsed.ignored)
        this.#log.info(`pushed option '${printable(i.option)}' ignored (${i.why})`);
    } catch (error) {
      if (error instanceof PushedOptionError) return conn.finish({ kind: 'fatal', error });
      throw error;
    }
    const now = this.#clock();
    const pingRestart = plan.pingRestart ?? c.pingRestart;
    const pingExit = plan.pingExit ?? c.pingExit;
    conn.pingExit = pingExit > 0 && (pingRestart === 0 || pingExit <= pingRestart);
    conn.data = new DataChannel(
      dataChannelOptions(c, e.peerId, now, {
        pingSeconds: plan.ping ?? c.ping,
        pingRestartSeconds: conn.pingExit ? pingExit : pingRestart,
      }),
    );
    for (const p of conn.pendingKeys.splice(0)) {
      conn.data.installKeys(now, p.keys, { activate: p.sending });
      wipeDataKeyMaterial(p.keys);
    }
    conn.established = true;
    if (plan.rcvbuf || plan.sndbuf) conn.transport.setBuffers(plan.rcvbuf, plan.sndbuf);
    const inactive = plan.inactive ?? c.inactive;
    this.#inactive =
      inactive && inactive.seconds > 0 ? new Inactivity(inactive, now, this.#tunBytes) : undefined;
    await this.#host.apply(plan, conn.server);
    if (conn !== this.#current) return;
    const who = e.peer.commonName !== undefined ? ` '${printable(e.peer.commonName)}'` : '';
    this.#log.info(
      `connected to server${who} at ${conn.server.key}: peer id ${e.peerId}, address ${plan.ifconfig.local}/${plan.ifconfig.prefixLength}` +
        `${plan.ifconfigIpv6 ? ` and ${plan.ifconfigIpv6.local}/${plan.ifconfigIpv6.prefixLength}` : ''} on ${this.#host.tun?.name}`,
    );
    this.#log.info(`negotiated suite: ${suiteOf(e)}, data channel AES-256-GCM`);
    this.#log.info('Initialization Sequence Completed');
    this.#o.onConnected?.({ plan, server: conn.server });
  }

  async #extraSecret(
    conn: Connection,
    e: Extract<SessionEvent, { type: 'extra-secret-needed' }>,
  ): Promise<void> {
    const got = this.#qkd ? await this.#qkd.responder('', e) : undefined;
    conn.qkd?.responded(e.keyId, got?.keyId);
    const hold = got || !this.#qkd ? 0 : this.#qkd.refusalHoldMs(conn.established, e.mode);
    if (hold > 0) {
      this.#log.info(
        `QKD: the current keys stay for ${(hold / 1000).toFixed(1)} s, then key id ${e.keyId} is refused`,
      );
      await new Promise((r) => setTimeout(r, hold).unref()); // unref: a stop does not wait for it
    }
    if (conn === this.#current) conn.control?.provideExtraSecret(e.keyId, got?.secret);
  }

  // ── Timers ─────────────────────────────────────────────────────────────────

  #onTick(): void {
    const conn = this.#current;
    const data = conn?.data;
    if (!conn || !data || data.closed) return;
    const now = this.#clock();
    if (this.#inactive?.expired(now, this.#tunBytes)) {
      this.#log.info(`inactivity timeout (${this.#inactive}), exiting`);
      this.stop();
      return;
    }
    if (conn.qkd?.prefetchDue(now, this.#o.config.renegSec * 1000)) this.#qkd?.prefetch();
    const qkdDue = conn.qkd?.poll(now);
    if (qkdDue === 'retry') void this.#startRekey(conn, true);
    else if (qkdDue === 'expire') {
      const waited = now - (conn.qkd?.summary().waitingSince ?? now);
      const detail = this.#qkd!.expired('', waited);
      conn.finish({ kind: 'restart', reason: `${QKD_KEYS_EXPIRED}: ${detail}` });
      return;
    }
    const next = data.nextTimer();
    if (next !== undefined && next > now) return;
    for (const a of data.onTimer(now)) {
      if (a.type === 'send') conn.transport.send(a.datagram, conn.server);
      else if (a.type !== 'timer') this.#onDataEvent(conn, a);
    }
  }

  #onDataEvent(conn: Connection, e: DataChannelEvent): void {
    switch (e.type) {
      case 'rekey-needed':
        this.#log.verbose(`rekey needed (${e.reason}) for key id ${e.keyId}`);
        void this.#startRekey(conn);
        return;
      case 'peer-dead': {
        const silent = Math.round((this.#clock() - e.lastReceived) / 1000);
        if (conn.pingExit) {
          this.#log.info(`nothing heard from the server for ${silent} s: exiting (ping-exit)`);
          this.stop();
        } else
          conn.finish({
            kind: 'restart',
            reason: `nothing heard from the server for ${silent} s (ping-restart)`,
          });
        return;
      }
      default:
        this.#log.debug(`data channel: ${e.type}`);
    }
  }

  // ── Leaving ────────────────────────────────────────────────────────────────

  async #cleanup(): Promise<void> {
    if (this.#tick) clearInterval(this.#tick);
    this.#tick = undefined;
    this.#current = undefined;
    await this.#host.teardown();
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.#wake = undefined;
        resolve();
      }, ms);
      this.#wake = () => {
        clearTimeout(t);
        this.#wake = undefined;
        resolve();
      };
    });
  }

  #drop(reason: string): void {
    this.drops[reason] = (this.drops[reason] ?? 0) + 1;
  }

  /** The plan currently applied to the host (tests). */
  get appliedPlan(): PushedPlan | undefined {
    return this.#host.plan;
  }
}

function shuffle<T>(items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function asPqvpnError(error: unknown): PqvpnError {
  if (error instanceof PqvpnError) return error;
  return new PqvpnError('TUNNEL_FAILED', error instanceof Error ? error.message : String(error), {
    cause: error,
  });
}
