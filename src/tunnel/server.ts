/**
 * The server driver: one UDP socket and one TUN device for every client.
 *
 * ```
 *  UDP datagram ─ byte 0 opcode ─┬─ DATA (9): peer id → that session's DataChannel.decrypt
 *                                │     ip → SessionRoutes.fromClient → TUN write | another client | drop
 *                                │     exit notice → end the session
 *                                └─ anything else → ServerControlPlane.receive
 *  TUN batch → SessionRoutes.forTunPacket → DataChannel.encrypt → UDP send
 *  ServerControlPlane events:
 *     auth-needed → Authenticate → AddressPool.acquire → authResult(peer id, pushed options)
 *     keys-installed / keys-activated → DataChannel.installKeys / activateSendKey
 *     established → route the client's addresses to it;  closed → free everything
 *  tick (every TICK_MS) → DataChannel.onTimer: keepalives, ping-restart, rekey triggers
 * ```
 *
 * State is grouped by lifetime: `Server` (process), `Peer` (one control
 * session; it owns its DataChannel, lease and routes, and "ending" a peer is
 * one function that releases all of them).
 *
 * Float: a datagram that decrypts for peer id X but comes from a new address
 * moves X there — only after it authenticated, so a forged packet moves
 * nothing — and the control plane is told (`updateAddress`).
 *
 * SIGTERM (`stop('restart')`): every client gets data-channel exit notices
 * ("restarting", `explicit-exit-notify` copies, at least one) and a control
 * RESTART alert, so clients reconnect at once — OpenVPN 2.6's server
 * behaviour with explicit-exit-notify, done always because a client can
 * otherwise only find out after ping-restart.
 * @module
 */

import type { ServerConfig } from '../config/model.js';
import type { Logger } from '../log.js';
import {
  openUdpTransport,
  parseEndpoint,
  type UdpEndpoint,
  type UdpTransport,
} from '../net/udp-transport.js';
import type { EndpointEvent } from '../protocol/control/server-endpoint.js';
import {
  type DataChannelEvent,
  type DataChannelStats,
  ExitReason,
  MAX_PEER_ID,
  OPCODE_DATA,
  OPCODE_SHIFT,
  wipeDataKeyMaterial,
} from '../protocol/data/index.js';
import type { ServerControlPlane, ServerControlPlaneSink } from '../runtime/control-plane.js';
import type { TunBackend, TunDevice } from '../tun/tun-device.js';
import { AddressPool } from './address-pool.js';
import { allocate, authorize, describeClient, networksOf, pushOptionsFor } from './admission.js';
import { PoolFileWriter, readPoolFile } from './pool-file.js';
import {
  QKD_KEYS_EXPIRED,
  QkdPolicy,
  type QkdSessionState,
  qkdModeOf,
  qkdStatusLines,
} from './qkd-policy.js';
import { SessionRoutes } from './routing.js';
import type { Authenticate, ExtraSecretSource } from './seams.js';
import { Peer, type PeerEnd } from './server-peer.js';
import { StatusWriter } from './status-file.js';
import { suiteOf } from './suite.js';
import { printable } from './text.js';
import { tunName } from './tun-name.js';

export interface TunnelServerOptions {
  readonly config: ServerConfig;
  readonly log: Logger;
  readonly tun: TunBackend;
  readonly createControlPlane: (sink: ServerControlPlaneSink) => Promise<ServerControlPlane>;
  readonly authenticate: Authenticate;
  readonly extraSecrets?: ExtraSecretSource;
  /** Milliseconds since the epoch; default Date.now. */
  readonly clock?: () => number;
  /** Something the server cannot continue after (the TUN device failed). Default: throw from the event loop. */
  readonly onFatal?: (error: Error) => void;
  /** How often data-channel timers run. Default 250 ms. */
  readonly tickMs?: number;
}

export interface PeerSummary {
  readonly name: string;
  readonly endpoint: string;
  readonly peerId: number;
  readonly ipv4: string;
  readonly ipv6?: string;
  readonly stats: DataChannelStats;
}

/** Liveness and rekey timers need no finer resolution than this. */
const DEFAULT_TICK_MS = 250;

export class TunnelServer {
  readonly pool: AddressPool;
  readonly #o: TunnelServerOptions;
  readonly #log: Logger;
  readonly #clock: () => number;
  readonly #routes = new SessionRoutes<Peer>();
  readonly #bySession = new Map<string, Peer>();
  readonly #byPeerId = new Map<number, Peer>();
  /** Sessions whose `auth-needed` is being decided. */
  readonly #pendingAuth = new Set<string>();
  #transport: UdpTransport | undefined;
  #tun: TunDevice | undefined;
  #control: ServerControlPlane | undefined;
  #poolFile: PoolFileWriter | undefined;
  #tick: NodeJS.Timeout | undefined;
  #status: StatusWriter | undefined;
  #nextPeerId = 0;
  #stopping = false;
  /** With qkd-* (an extra-secret source): the policy, and each control session's QKD record. */
  readonly #qkd: QkdPolicy | undefined;
  readonly #qkdSessions = new Map<string, QkdSessionState>();
  /** Counters of what the driver dropped, by reason (the data channels count their own). */
  readonly drops: Record<string, number> = {};

  private constructor(options: TunnelServerOptions) {
    this.#o = options;
    this.#log = options.log;
    this.#clock = options.clock ?? Date.now;
    const c = options.config;
    this.#qkd = options.extraSecrets
      ? new QkdPolicy({
          source: options.extraSecrets,
          mode: qkdModeOf(c.qkd?.mode, options.extraSecrets),
          log: options.log,
          graceMs: c.handWindow * 1000,
        })
      : undefined;
    this.pool = new AddressPool({
      network: c.server.network,
      prefixLength: c.server.prefixLength,
      ...(c.serverIpv6 ? { ipv6: c.serverIpv6 } : {}),
      maxClients: c.maxClients,
      duplicateCn: c.duplicateCn,
    });
  }

  /** Opens the TUN device and the socket and starts serving. */
  static async start(options: TunnelServerOptions): Promise<TunnelServer> {
    const server = new TunnelServer(options);
    try {
      await server.#start();
    } catch (error) {
      await server.stop('shutdown');
      throw error;
    }
    return server;
  }

  get local(): UdpEndpoint | undefined {
    return this.#transport?.local;
  }

  get tunName(): string | undefined {
    return this.#tun?.name;
  }

  get peerCount(): number {
    return this.#bySession.size;
  }

  /** The connected clients: who, where, which address, and their data-channel counters. */
  peers(): PeerSummary[] {
    return [...this.#bySession.values()].map((p) => ({
      name: p.name,
      endpoint: p.endpoint.key,
      peerId: p.peerId,
      ipv4: p.lease.ipv4,
      ...(p.lease.ipv6 !== undefined ? { ipv6: p.lease.ipv6 } : {}),
      stats: p.data.stats(),
    }));
  }

  async #start(): Promise<void> {
    const c = this.#o.config;
    const log = this.#log;
    if (c.ifconfigPoolPersist) {
      const text = await readPoolFile(c.ifconfigPoolPersist.path);
      const { loaded, skipped } = this.pool.loadReservations(text);
      for (const s of skipped) log.warn(`ifconfig-pool-persist ${c.ifconfigPoolPersist.path}: ${s}`);
      log.info(`ifconfig-pool-persist: ${loaded} reservation(s) from ${c.ifconfigPoolPersist.path}`);
      this.#poolFile = new PoolFileWriter(c.ifconfigPoolPersist.path, (e) =>
        log.warn(`could not write ${c.ifconfigPoolPersist?.path}: ${(e as Error).message}`),
      );
    }
    const tun = await this.#o.tun.open({
      name: tunName(c.dev),
      mtu: c.tunMtu,
      onError: (error) => {
        this.#log.error(`TUN device stopped reading: ${error.message}; shutting down`);
        if (!this.#o.onFatal) throw error;
        this.#o.onFatal(error);
      },
    });
    this.#tun = tun;
    await tun.addAddress({ family: 4, address: this.pool.serverIpv4, prefixLength: this.pool.prefixLength });
    if (this.pool.serverIpv6 !== undefined && this.pool.ipv6PrefixLength !== undefined)
      await tun.addAddress({
        family: 6,
        address: this.pool.serverIpv6,
        prefixLength: this.pool.ipv6PrefixLength,
      });
    await tun.setUp();
    log.info(
      `TUN ${tun.name} up, mtu ${tun.mtu}, ${this.pool.serverIpv4}/${this.pool.prefixLength}` +
        (this.pool.serverIpv6 ? `, ${this.pool.serverIpv6}/${this.pool.ipv6PrefixLength}` : ''),
    );

    this.#control = await this.#o.createControlPlane({
      send: (datagram, to) => this.#sendControl(datagram, to),
      event: (event) => this.#onControlEvent(event),
    });
    const transport = await openUdpTransport({
      proto: c.proto,
      ...(c.local !== undefined ? { address: c.local } : {}),
      port: c.lport,
      ipv6Only: c.bind.ipv6only,
      ...(c.rcvbuf ? { receiveBufferBytes: c.rcvbuf } : {}),
      ...(c.sndbuf ? { sendBufferBytes: c.sndbuf } : {}),
    });
    this.#transport = transport;
    log.info(
      `UDP listening on ${transport.local.key} (${transport.dualStack ? 'IPv6 and IPv4' : `IPv${transport.family} only`}), ` +
        `socket buffers receive ${transport.buffers.receive} / send ${transport.buffers.send} bytes`,
    );
    transport.onDatagram((datagram, from) => this.#onDatagram(datagram, from));
    tun.onPackets((packets) => this.#onTunPackets(packets));
    this.#tick = setInterval(() => this.#onTick(), this.#o.tickMs ?? DEFAULT_TICK_MS);
    if (c.status) {
      this.#status = new StatusWriter(
        c.status,
        () => [...this.#bySession.values()],
        this.#clock,
        log,
        this.#qkd ? () => this.#qkdStatus() : undefined,
      );
      this.#status.start();
    }
    log.info('Initialization Sequence Completed');
  }

  // ── Datagrams from the network ─────────────────────────────────────────────

  #onDatagram(datagram: Buffer, from: UdpEndpoint): void {
    if (datagram.length === 0) return;
    if (datagram[0]! >>> OPCODE_SHIFT !== OPCODE_DATA) {
      this.#control?.receive(datagram, from.key);
      return;
    }
    if (datagram.length < 4) {
      this.#drop('data-truncated');
      return;
    }
    const peerId = (datagram[1]! << 16) | (datagram[2]! << 8) | datagram[3]!;
    const peer = this.#byPeerId.get(peerId);
    if (peer === undefined || peer.data === undefined) {
      this.#drop('data-unknown-peer');
      return;
    }
    const now = this.#clock();
    const result = peer.data.decrypt(now, datagram);
    if (result.type === 'drop') return;
    if (from.key !== peer.endpoint.key) this.#float(peer, from);
    if (result.type === 'ip') {
      const decision = this.#routes.fromClient(peer, result.packet, this.#o.config.clientToClient);
      if (decision.kind === 'tun') this.#tun?.write(result.packet);
      else if (decision.kind === 'peer') this.#sendTo(decision.peer, result.packet, now);
      else this.#drop(`from-client-${decision.reason}`);
    } else if (result.type === 'exit') {
      this.#endPeer(peer, { reason: 'EXIT_NOTICE', detail: 'the client said it is leaving', tell: false });
    }
  }

  #float(peer: Peer, to: UdpEndpoint): void {
    this.#log.info(`${peer.label}: floated from ${peer.endpoint.key} to ${to.key}`);
    peer.endpoint = to;
    this.#control?.updateAddress(peer.session, to.key);
  }

  // ── Packets from the TUN device ────────────────────────────────────────────

  #onTunPackets(packets: readonly Uint8Array[]): void {
    const now = this.#clock();
    for (const packet of packets) {
      const peer = this.#routes.forTunPacket(packet);
      if (peer === undefined) this.#drop('tun-no-route');
      else this.#sendTo(peer, packet, now);
    }
  }

  #sendTo(peer: Peer, packet: Uint8Array, now: number): void {
    const r = peer.data?.encrypt(now, packet);
    if (r?.ok) this.#transport?.send(r.datagram, peer.endpoint);
  }

  #sendControl(datagram: Uint8Array, to: string): void {
    const peer = this.#peerAt(to);
    let endpoint: UdpEndpoint;
    try {
      endpoint = peer?.endpoint.key === to ? peer.endpoint : parseEndpoint(to);
    } catch {
      this.#drop('control-bad-address');
      return;
    }
    this.#transport?.send(datagram, endpoint);
  }

  #peerAt(key: string): Peer | undefined {
    for (const p of this.#bySession.values()) if (p.endpoint.key === key) return p;
    return undefined;
  }

  // ── Control-plane events ───────────────────────────────────────────────────

  #onControlEvent(e: EndpointEvent): void {
    const peer = this.#bySession.get(e.session);
    switch (e.type) {
      case 'auth-needed':
        this.#pendingAuth.add(e.session);
        void this.#authenticate(e);
        return;
      case 'keys-installed':
        if (peer?.data && !peer.data.closed)
          peer.data.installKeys(this.#clock(), e.keys, { activate: e.sending });
        this.#qkd?.installed(
          `${peer?.label ?? e.address}: `,
          this.#qkdOf(e.session),
          e.keys.keyId,
          this.#clock(),
        );
        wipeDataKeyMaterial(e.keys);
        return;
      case 'keys-activated':
        if (peer?.data && !peer.data.closed) peer.data.activateSendKey(this.#clock(), e.keyId);
        return;
      case 'established':
        if (peer) this.#established(peer, e);
        return;
      case 'extra-secret-needed':
        void this.#extraSecret(e);
        return;
      case 'rekey-started':
        this.#log.verbose(
          `${peer?.label ?? e.session}: rekey to key id ${e.keyId} started by ${e.initiator}`,
        );
        if (e.initiator === 'local') this.#qkdSessions.get(e.session)?.epochStarted(e.keyId);
        return;
      case 'closed': {
        this.#pendingAuth.delete(e.session); // an answer still being computed is dropped
        this.#qkdSessions.delete(e.session);
        const why = this.#qkd?.explainClose(e.reason, e.by);
        const detail = why ? `${e.detail ? `${e.detail}; ` : ''}${why}` : e.detail;
        if (peer) this.#endPeer(peer, { reason: e.reason, detail, by: e.by, tell: false });
        else if (e.reason !== 'CLOSE_NOTIFY')
          this.#log.info(
            `${e.address}: handshake ended: ${e.reason}${detail ? ` (${printable(detail, 400)})` : ''}`,
          );
        return;
      }
    }
  }

  async #authenticate(e: Extract<EndpointEvent, { type: 'auth-needed' }>): Promise<void> {
    const c = this.#o.config;
    const who = describeClient(e);
    const auth = await authorize(c, this.#o.authenticate, e);
    const control = this.#control;
    // The session may have ended (timeout, peer closed) while we were deciding: nothing to answer.
    if (!this.#pendingAuth.delete(e.session) || this.#stopping || !control) return;
    if (!auth.ok) {
      this.#log.info(`${e.address} [${who}]: authentication failed: ${auth.reason}`);
      control.authResult(e.session, { ok: false, reason: auth.reason });
      return;
    }
    for (const note of auth.notes) this.#log.verbose(`${e.address} [${who}]: ${note}`);
    const lease = allocate(this.pool, e.session, auth.name, auth.file);
    if (!lease.ok) {
      // Not the client's fault: no AUTH_FAILED (which would make it give up) but RESTART, so it retries
      // with back-off, as an OpenVPN client does when a full server does not answer.
      this.#log.warn(`${e.address} [${who}]: refused for now: ${lease.reason}`);
      control.close(e.session, 'restart');
      return;
    }
    const old = lease.replaced === undefined ? undefined : this.#bySession.get(lease.replaced);
    if (old) {
      this.#log.info(`${old.label}: replaced by a new connection of the same name (no duplicate-cn)`);
      this.#endPeer(old, {
        reason: 'REPLACED',
        detail: 'same name connected again',
        tell: true,
        keepLease: true,
      });
    }
    const peerId = this.#allocatePeerId();
    const peer = new Peer({
      session: e.session,
      peerId,
      name: auth.name,
      who,
      endpoint: parseEndpoint(e.address),
      lease: lease.lease,
      networks: networksOf(auth.file),
      now: this.#clock(),
      config: c,
    });
    this.#bySession.set(e.session, peer);
    this.#byPeerId.set(peerId, peer);
    this.#poolFile?.write(this.pool.formatReservations());
    control.authResult(e.session, {
      ok: true,
      peerId,
      pushOptions: pushOptionsFor(c, this.pool, lease.lease, auth.file),
    });
  }

  #established(peer: Peer, e: Extract<EndpointEvent, { type: 'established' }>): void {
    peer.establishedAt = this.#clock();
    this.#routes.add(peer, peer.lease.ipv4, peer.lease.ipv6, peer.networks);
    this.#log.info(
      `${peer.label}: connected from ${peer.endpoint.key}, peer id ${peer.peerId}, ` +
        `assigned ${peer.lease.ipv4}${peer.lease.ipv6 ? ` and ${peer.lease.ipv6}` : ''}, key id ${e.keyId}, ` +
        `suite ${suiteOf(e)}`,
    );
  }

  /** The peer starts a key epoch with a QKD key: fetch the same key (qkd-policy.ts decides without one). */
  async #extraSecret(e: Extract<EndpointEvent, { type: 'extra-secret-needed' }>): Promise<void> {
    const peer = this.#bySession.get(e.session);
    const who = `${peer?.label ?? e.address}: `;
    const got = this.#qkd ? await this.#qkd.responder(who, e) : undefined;
    if (this.#qkd) this.#qkdOf(e.session).responded(e.keyId, got?.keyId);
    const hold = got || !this.#qkd ? 0 : this.#qkd.refusalHoldMs(peer?.establishedAt !== undefined, e.mode);
    if (hold > 0) {
      this.#log.info(
        `${who}QKD: the current keys stay for ${seconds(hold)} s, then key id ${e.keyId} is refused`,
      );
      await new Promise((r) => setTimeout(r, hold).unref()); // unref: a stop does not wait for it
      if (!this.#bySession.has(e.session)) return; // ended meanwhile
    }
    if (!this.#stopping) this.#control?.provideExtraSecret(e.session, e.keyId, got?.secret);
  }

  /**
   * A rekey we start: with QKD, a fresh key first; in qkd-mode required
   * without one the rekey waits (current keys stay) and #onTick retries it.
   */
  async #startRekey(peer: Peer, retry = false): Promise<void> {
    const qkd = this.#qkd;
    if (!qkd) return void this.#control?.startRekey(peer.session);
    const state = this.#qkdOf(peer.session);
    if (!retry && !state.rekeyNeeded(this.#clock())) return;
    const d = await qkd.initiator(`${peer.label}: `, 'rekey');
    if (peer.ended) return;
    if (d.kind === 'wait') {
      const now = this.#clock();
      const { retryAt, expiresAt } = state.rekeyBlocked(now);
      this.#log.info(
        `${peer.label}: QKD: keeping the current keys; rekey retried in ${seconds(retryAt - now)} s, keys expire in ${seconds(expiresAt - now)} s`,
      );
      return;
    }
    state.rekeyStarting(d.kind === 'key' ? d.keyId : undefined);
    this.#control?.startRekey(peer.session, d.kind === 'key' ? d.extra : undefined);
  }

  #qkdOf(session: string): QkdSessionState {
    let state = this.#qkdSessions.get(session);
    if (!state) {
      state = this.#qkd!.session();
      this.#qkdSessions.set(session, state);
    }
    return state;
  }

  /** The status file's QKD section: established clients only, as in the rest of the file. */
  #qkdStatus(): string[] {
    return qkdStatusLines(
      [...this.#bySession.values()]
        .filter((p) => p.establishedAt !== undefined && !p.ended)
        .map((p) => ({ name: p.name, address: p.endpoint.key, qkd: this.#qkdOf(p.session) })),
    );
  }

  // ── Timers ─────────────────────────────────────────────────────────────────

  #onTick(): void {
    const now = this.#clock();
    for (const peer of [...this.#bySession.values()]) {
      const data = peer.data;
      if (!data || peer.ended) continue;
      if (this.#qkd && this.#qkdPoll(peer, now)) continue;
      const next = data.nextTimer();
      if (next !== undefined && next > now) continue;
      for (const a of data.onTimer(now)) {
        if (a.type === 'send') this.#transport?.send(a.datagram, peer.endpoint);
        else if (a.type !== 'timer') this.#onDataEvent(peer, a);
      }
    }
  }

  /** Required mode: retries a rekey that waits for a QKD key, or ends the session once its keys expired. */
  #qkdPoll(peer: Peer, now: number): boolean {
    const state = this.#qkdOf(peer.session);
    if (state.prefetchDue(now, this.#o.config.renegSec * 1000)) this.#qkd!.prefetch();
    const due = state.poll(now);
    if (due === 'retry') void this.#startRekey(peer, true);
    if (due !== 'expire') return false;
    const detail = this.#qkd!.expired(`${peer.label}: `, now - (state.summary().waitingSince ?? now));
    this.#endPeer(peer, { reason: QKD_KEYS_EXPIRED, detail, tell: true });
    return true;
  }

  #onDataEvent(peer: Peer, e: DataChannelEvent): void {
    switch (e.type) {
      case 'rekey-needed':
        this.#log.verbose(`${peer.label}: rekey needed (${e.reason}) for key id ${e.keyId}`);
        void this.#startRekey(peer);
        return;
      case 'peer-dead':
        this.#endPeer(peer, {
          reason: 'PING_RESTART',
          detail: `nothing heard for ${Math.round((this.#clock() - e.lastReceived) / 1000)} s (keepalive timeout)`,
          tell: true,
        });
        return;
      case 'peer-exited':
        return; // handled where the notice was decrypted
      default:
        this.#log.debug(`${peer.label}: ${e.type}`);
    }
  }

  // ── Ending sessions ────────────────────────────────────────────────────────

  #endPeer(peer: Peer, end: PeerEnd): void {
    if (peer.ended) return;
    peer.ended = true;
    peer.data?.close();
    this.#routes.remove(peer);
    this.#bySession.delete(peer.session);
    this.#byPeerId.delete(peer.peerId);
    this.#qkdSessions.delete(peer.session);
    if (!end.keepLease) this.pool.release(peer.session);
    if (end.tell) this.#control?.close(peer.session, 'restart');
    const by = end.by === 'peer' ? ' (by the client)' : '';
    const stats = peer.data.stats();
    this.#log.info(
      `${peer.label}: session ended: ${end.reason}${by}${end.detail ? `: ${printable(end.detail)}` : ''}; ` +
        `${end.keepLease ? 'address kept for the new session' : `released ${peer.lease.ipv4}`}; ` +
        `${stats.bytesReceived} bytes in, ${stats.bytesSent} out`,
    );
  }

  #allocatePeerId(): number {
    for (let n = 0; n <= MAX_PEER_ID; n++) {
      const id = (this.#nextPeerId + n) % (MAX_PEER_ID + 1);
      if (!this.#byPeerId.has(id)) {
        this.#nextPeerId = (id + 1) % (MAX_PEER_ID + 1);
        return id;
      }
    }
    throw new Error('no free peer id'); // max-clients is far below 2^24
  }

  #drop(reason: string): void {
    this.drops[reason] = (this.drops[reason] ?? 0) + 1;
  }

  /**
   * Stops serving: tells every client (exit notices and a control alert;
   * 'restart' asks them to reconnect), closes the socket and the TUN device,
   * and flushes the pool file. Idempotent.
   */
  async stop(reason: 'shutdown' | 'restart' = 'restart'): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    if (this.#tick) clearInterval(this.#tick);
    const now = this.#clock();
    const copies = Math.max(1, this.#o.config.explicitExitNotify);
    const exitReason = reason === 'restart' ? ExitReason.restarting : ExitReason.shuttingDown;
    for (const peer of this.#bySession.values()) {
      for (let i = 0; i < copies; i++) {
        const r = peer.data?.exitNotice(now, exitReason);
        if (r?.ok) this.#transport?.send(r.datagram, peer.endpoint);
      }
    }
    const count = this.#bySession.size;
    await this.#control?.shutdown(reason);
    for (const peer of [...this.#bySession.values()])
      this.#endPeer(peer, { reason: 'SHUTDOWN', detail: `server ${reason}`, tell: false, keepLease: false });
    if (count > 0)
      this.#log.info(
        `told ${count} client(s) the server is ${reason === 'restart' ? 'restarting' : 'shutting down'}`,
      );
    // Let the notices leave before the socket closes.
    await new Promise((r) => setImmediate(r));
    await this.#transport?.close();
    this.#tun?.close();
    await this.#status?.stop();
    if (this.#poolFile) {
      this.#poolFile.write(this.pool.formatReservations());
      await this.#poolFile.flush();
    }
  }
}

function seconds(ms: number): string {
  return (Math.max(0, ms) / 1000).toFixed(ms < 10_000 ? 1 : 0);
}
