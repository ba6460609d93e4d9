/**
 * What client and server sessions share: the datagram pipeline, key epochs,
 * alerts and closing, timers, and rekeying (docs/PROTOCOL.md §6, §9, §10).
 *
 * A session owns one control channel between two session ids and, over its
 * life, a sequence of *key epochs* — the initial handshake (key id 0) and one
 * rekey handshake per later key id. Each epoch has its own reliability state
 * (`ControlTransport`) and transcript; at most two epochs are alive at once
 * (the current one and the previous or next).
 *
 * Pipeline for an incoming datagram: tls-crypt unwrap (if configured) →
 * opcode → control header → session ids → epoch by key id → packet
 * authentication and reassembly → handshake messages in order → the
 * subclass's state machine. Any failure before a message is authenticated is
 * a counted drop (`drops[reason]`) and changes nothing; a message that is
 * authenticated but wrong ends the session with an alert.
 *
 * Nothing here throws on untrusted input: `receive` converts an unexpected
 * exception into an INTERNAL_ERROR close (and keeps it in `internalError` for
 * tests). Misuse by the driver (calling `startRekey` before the session is
 * established, say) throws.
 * @module
 */

import { PqvpnError } from '../../errors.js';
import {
  isZeroSessionId,
  opcodeOf,
  type ParsedControlPacket,
  parseControlPacket,
  ZERO_SESSION_ID,
} from '../control/packet.js';
import { ControlTransport, type ReceivedMessage } from '../control/reliability.js';
import {
  type Direction,
  deriveTlsCryptKeys,
  TLS_CRYPT_NONCE_LENGTH,
  TLS_CRYPT_OVERHEAD,
  type TlsCryptKeys,
  tlsCryptUnwrap,
  tlsCryptWrap,
} from '../control/tls-crypt.js';
import {
  ALERT_NAMES,
  AlertCode,
  DEFAULT_CONTROL_MTU,
  DEFAULT_HANDSHAKE_TIMEOUT_MS,
  DEFAULT_INITIAL_RTO_MS,
  DEFAULT_LINGER_MS,
  DEFAULT_TRANSITION_WINDOW_MS,
  ExtraSecretMode,
  Level,
  MAX_RTO_MS,
  MessageType,
  MIN_CONTROL_MTU,
  Opcode,
} from './constants.js';
import type { HandshakeCrypto } from './crypto-provider.js';
import { constantTimeEqual, type TrafficKeys } from './key-schedule.js';
import { decodeBody, type ExtraSecretOffer, encodeMessage, type HandshakeMessage } from './messages.js';
import { Transcript } from './transcript.js';
import type {
  CommonSessionConfig,
  ExtraSecretInput,
  SessionAction,
  SessionEvent,
  SessionPhase,
} from './types.js';
import { WireError } from './wire.js';

/** Tunables after defaults. */
export interface ResolvedTunables {
  readonly mtu: number;
  readonly initialRtoMs: number;
  readonly maxRtoMs: number;
  readonly handshakeTimeoutMs: number;
  readonly lingerMs: number;
  readonly transitionWindowMs: number;
  readonly maxInFlight: number;
}

export function resolveTunables(c: CommonSessionConfig): ResolvedTunables {
  const mtu = c.mtu ?? DEFAULT_CONTROL_MTU;
  if (!Number.isInteger(mtu) || mtu < MIN_CONTROL_MTU || mtu > 65_507) {
    throw new PqvpnError('CONTROL_CONFIG', `control MTU must be ${MIN_CONTROL_MTU}..65507, got ${mtu}`);
  }
  return {
    mtu,
    initialRtoMs: c.initialRtoMs ?? DEFAULT_INITIAL_RTO_MS,
    maxRtoMs: c.maxRtoMs ?? MAX_RTO_MS,
    handshakeTimeoutMs: c.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS,
    lingerMs: c.lingerMs ?? DEFAULT_LINGER_MS,
    transitionWindowMs: c.transitionWindowMs ?? DEFAULT_TRANSITION_WINDOW_MS,
    maxInFlight: c.maxInFlight ?? 32,
  };
}

/** One key epoch: an initial or rekey handshake and, once done, the control channel under its keys. */
export interface Epoch {
  readonly keyId: number;
  readonly kind: 'initial' | 'rekey';
  readonly transport: ControlTransport;
  transcript: Transcript;
  readonly startedAt: number;
  /** The handshake of this epoch has completed (or failed). */
  done: boolean;
  /** Waiting for the driver (auth result, extra secret): handshake timeout still applies. */
}

export type ExtraDecision =
  | { readonly kind: 'none' }
  | { readonly kind: 'fetch' }
  | { readonly kind: 'fail'; readonly detail: string };

export abstract class SessionCore {
  readonly role: 'client' | 'server';
  readonly localSessionId: Uint8Array;
  /** Datagrams dropped before authentication, by reason (the "named drop reason and a counter"). */
  readonly drops: Record<string, number> = {};
  /** An unexpected exception converted into an INTERNAL_ERROR close (should never happen). */
  internalError: unknown;

  protected readonly crypto: HandshakeCrypto;
  protected readonly tunables: ResolvedTunables;
  protected readonly common: CommonSessionConfig;
  protected peerSessionId: Uint8Array = ZERO_SESSION_ID;
  protected readonly epochs = new Map<number, Epoch>();
  /** Key id of the current established epoch; -1 before the first handshake completes. */
  protected currentKeyId = -1;
  protected phaseValue: SessionPhase = 'handshaking';
  protected closeReason: string | undefined;
  private readonly tlsCrypt: TlsCryptKeys | undefined;
  private out: SessionAction[] = [];
  private lingerUntil = Number.POSITIVE_INFINITY;
  private retire: { keyId: number; at: number } | undefined;

  protected constructor(
    role: 'client' | 'server',
    common: CommonSessionConfig,
    crypto: HandshakeCrypto,
    localSessionId: Uint8Array,
  ) {
    this.role = role;
    this.common = common;
    this.crypto = crypto;
    this.tunables = resolveTunables(common);
    this.localSessionId = localSessionId;
    this.tlsCrypt = common.tlsCryptKey ? deriveTlsCryptKeys(common.tlsCryptKey) : undefined;
  }

  // ------------------------------------------------------------------ public API

  get phase(): SessionPhase {
    return this.phaseValue;
  }

  /** The key id of the current established key epoch (-1 before). */
  get keyId(): number {
    return this.currentKeyId;
  }

  /** True once the session is closed and its linger time is over: the driver may forget it. */
  isFinished(now: number): boolean {
    return this.phaseValue === 'closed' && now >= this.lingerUntil;
  }

  /** Why the session closed (stable code), once closed. */
  get closedReason(): string | undefined {
    return this.closeReason;
  }

  receive(now: number, datagram: Uint8Array): SessionAction[] {
    return this.run(now, true, () => this.receiveDatagram(now, datagram));
  }

  onTimer(now: number): SessionAction[] {
    return this.run(now, false, () => this.timers(now));
  }

  /** Sends a close alert (shutdown or restart) and closes. */
  close(now: number, reason: 'shutdown' | 'restart' = 'shutdown'): SessionAction[] {
    return this.run(now, false, () => {
      if (this.phaseValue === 'closed') return;
      const code = reason === 'restart' ? AlertCode.restart : AlertCode.closeNotify;
      this.sendAlert(this.activeEpoch(), code);
      this.enterClosed(now, ALERT_NAMES[code], 'local', undefined);
    });
  }

  /**
   * Starts a rekey: a new ephemeral key exchange under the next key id. The
   * initiator's driver passes the extra secret it fetched (QKD) when one is
   * configured. A no-op while another rekey is in progress or after close.
   */
  startRekey(now: number, extra?: ExtraSecretInput): SessionAction[] {
    if (this.phaseValue === 'handshaking') {
      throw new PqvpnError('SESSION_MISUSE', 'startRekey before the session is established');
    }
    return this.run(now, false, () => {
      if (this.phaseValue !== 'established' || this.rekeyInProgress()) return;
      this.beginRekey(now, extra);
    });
  }

  /** Answers `extra-secret-needed` for key epoch `keyId`; `undefined` = the key could not be fetched. */
  provideExtraSecret(now: number, keyId: number, secret: Uint8Array | undefined): SessionAction[] {
    return this.run(now, false, () => {
      if (this.phaseValue === 'closed') return;
      const epoch = this.epochs.get(keyId);
      if (!epoch)
        throw new PqvpnError('SESSION_MISUSE', `no key epoch ${keyId} is waiting for an extra secret`);
      this.onExtraSecret(now, epoch, secret);
    });
  }

  // ------------------------------------------------------------------ for subclasses

  protected abstract onInitialMessage(
    now: number,
    epoch: Epoch,
    message: HandshakeMessage,
    level: Level,
    raw: Uint8Array,
  ): void;
  protected abstract onExtraSecret(now: number, epoch: Epoch, secret: Uint8Array | undefined): void;
  protected abstract rekeyInProgress(): boolean;
  protected abstract beginRekey(now: number, extra: ExtraSecretInput | undefined): void;
  protected abstract onRekeyMessage(
    now: number,
    epoch: Epoch,
    message: HandshakeMessage,
    level: Level,
    raw: Uint8Array,
  ): void;
  /** A packet arrived under the next key id: create the responder epoch for it, or refuse (undefined). */
  protected abstract peerRekeyEpoch(now: number, keyId: number): Epoch | undefined;
  protected onCookieReply(_now: number, _inner: Uint8Array): void {
    this.drop('unexpected-cookie-reply');
  }
  /** Called after every accepted packet of `epoch` (acknowledgements may have arrived). */
  protected afterPacket(_epoch: Epoch): void {}
  /** Forgets an epoch created for a packet that then failed authentication: no trace may remain. */
  protected abandonEpoch(keyId: number): void {
    this.epochs.delete(keyId);
  }
  /** Called when the session closes: wipe secrets. */
  protected abstract wipe(): void;

  protected emit(event: SessionEvent): void {
    this.out.push(event);
  }

  protected drop(reason: string): void {
    this.drops[reason] = (this.drops[reason] ?? 0) + 1;
  }

  protected newTransport(keyId: number, addressValidated: boolean): ControlTransport {
    const t = new ControlTransport({
      keyId,
      localSessionId: this.localSessionId,
      mtu: this.tunables.mtu,
      wrapOverhead: this.tlsCrypt ? TLS_CRYPT_OVERHEAD : 0,
      initialRtoMs: this.tunables.initialRtoMs,
      maxRtoMs: this.tunables.maxRtoMs,
      maxInFlight: this.tunables.maxInFlight,
      addressValidated,
      padInitial: this.role === 'client',
      answerProbes: this.role === 'server',
      discardInitial: true,
    });
    t.peerSessionId = this.peerSessionId;
    return t;
  }

  protected newEpoch(
    keyId: number,
    kind: 'initial' | 'rekey',
    now: number,
    addressValidated: boolean,
  ): Epoch {
    const epoch: Epoch = {
      keyId,
      kind,
      transport: this.newTransport(keyId, addressValidated),
      transcript: new Transcript(),
      startedAt: now,
      done: false,
    };
    this.epochs.set(keyId, epoch);
    return epoch;
  }

  /** Installs a level's keys from this endpoint's point of view (client/server secrets). */
  protected installKeys(
    epoch: Epoch,
    level: Level,
    client: TrafficKeys,
    server: TrafficKeys,
    peerHas: boolean,
  ): void {
    const [send, receive] = this.role === 'client' ? [client, server] : [server, client];
    epoch.transport.setKeys(level, send, receive, peerHas);
  }

  /** Queues a handshake message at `level` and adds it to the transcript. Returns its encoding. */
  protected sendMessage(
    epoch: Epoch,
    level: Level,
    message: HandshakeMessage,
    addToTranscript = true,
  ): Uint8Array {
    const raw = encodeMessage(message);
    epoch.transport.queue(level, raw);
    if (addToTranscript) epoch.transcript.add(raw);
    return raw;
  }

  /** The epoch alerts and closes travel in: the current one, or the one being negotiated. */
  protected activeEpoch(): Epoch | undefined {
    return this.epochs.get(this.currentKeyId) ?? [...this.epochs.values()].find((e) => !e.done);
  }

  protected sendAlert(epoch: Epoch | undefined, code: AlertCode): void {
    const level = epoch?.transport.bestLevel();
    if (!epoch || level === undefined) return;
    epoch.transport.queue(level, encodeMessage({ type: MessageType.alert, code }));
  }

  /** Ends the session because of a local failure: alert to the peer, `closed` event. */
  protected fail(now: number, epoch: Epoch | undefined, code: AlertCode, detail: string): void {
    if (this.phaseValue === 'closed') return;
    this.sendAlert(epoch, code);
    this.enterClosed(now, ALERT_NAMES[code], 'local', detail);
  }

  protected enterClosed(now: number, reason: string, by: 'local' | 'peer', detail: string | undefined): void {
    if (this.phaseValue === 'closed') return;
    this.phaseValue = 'closed';
    this.closeReason = reason;
    this.lingerUntil = now + this.tunables.lingerMs;
    for (const e of this.epochs.values()) e.done = true;
    this.wipe();
    this.emit(detail === undefined ? { type: 'closed', reason, by } : { type: 'closed', reason, by, detail });
  }

  /** Makes `epoch` the current one; the previous epoch lingers for the transition window. */
  protected promote(now: number, epoch: Epoch): void {
    const old = this.currentKeyId;
    this.currentKeyId = epoch.keyId;
    if (old >= 0 && old !== epoch.keyId)
      this.retire = { keyId: old, at: now + this.tunables.transitionWindowMs };
  }

  /** Forgets a superseded epoch at once (before a new rekey starts: at most two epochs live). */
  protected retirePrevious(): void {
    if (this.retire) {
      this.epochs.delete(this.retire.keyId);
      this.retire = undefined;
    }
  }

  /** Responder-side decision on a peer's extra-secret offer (docs/PROTOCOL.md §6.3). */
  protected decideExtra(offer: ExtraSecretOffer): ExtraDecision {
    const local = this.common.extraSecret;
    const localRequired = local?.mode === 'required';
    const peerRequired = offer.mode === ExtraSecretMode.required;
    const failOrNone = (detail: string): ExtraDecision =>
      localRequired || peerRequired ? { kind: 'fail', detail } : { kind: 'none' };
    if (offer.mode === ExtraSecretMode.none) {
      return localRequired
        ? { kind: 'fail', detail: 'peer offers no extra secret but it is required' }
        : { kind: 'none' };
    }
    if (offer.keyId.length === 0) return failOrNone('peer has no extra-secret key for this epoch');
    if (!local) return failOrNone('peer requires an extra secret; none is configured here');
    if (offer.responderSaeId !== local.localSaeId || offer.initiatorSaeId !== local.peerSaeId) {
      return failOrNone(
        `extra-secret SAE ids do not match (peer says ${offer.initiatorSaeId} -> ${offer.responderSaeId})`,
      );
    }
    return { kind: 'fetch' };
  }

  /**
   * Initiator side: checks the responder's answer (ServerHello or
   * RekeyResponse) about the extra secret we offered; `peer` names it in the
   * detail. Claiming one we did not offer is illegal; leaving out one we
   * require fails the epoch (docs/PROTOCOL.md §6.3).
   */
  protected extraAnswerRefusal(
    extraUsed: boolean,
    offered: boolean,
    peer: string,
  ): { readonly alert: AlertCode; readonly detail: string } | undefined {
    if (extraUsed && !offered)
      return { alert: AlertCode.illegalParameter, detail: `${peer} claims an extra secret we did not offer` };
    if (!extraUsed && offered && this.common.extraSecret?.mode === 'required')
      return {
        alert: AlertCode.extraSecretUnavailable,
        detail: `${peer} did not use the required extra secret`,
      };
    return undefined;
  }

  /** The initiator's offer for its driver-supplied extra secret. Throws on misuse. */
  protected extraOffer(extra: ExtraSecretInput | undefined): ExtraSecretOffer {
    const local = this.common.extraSecret;
    if (!local) {
      if (extra) throw new PqvpnError('SESSION_MISUSE', 'an extra secret was given but none is configured');
      return { mode: ExtraSecretMode.none, initiatorSaeId: '', responderSaeId: '', keyId: new Uint8Array(0) };
    }
    if (!extra && local.mode === 'required') {
      throw new PqvpnError(
        'EXTRA_SECRET_MISSING',
        'extra secret mode is required but no extra secret was given',
      );
    }
    if (extra && (extra.keyId.length === 0 || extra.secret.length === 0)) {
      throw new PqvpnError('SESSION_MISUSE', 'extra secret and its key id must not be empty');
    }
    return {
      mode: local.mode === 'required' ? ExtraSecretMode.required : ExtraSecretMode.optional,
      initiatorSaeId: local.localSaeId,
      responderSaeId: local.peerSaeId,
      keyId: extra ? Uint8Array.from(extra.keyId) : new Uint8Array(0),
    };
  }

  protected finishedMatches(expected: Uint8Array, received: Uint8Array): boolean {
    return constantTimeEqual(expected, received);
  }

  // ------------------------------------------------------------------ internals

  protected run(now: number, untrusted: boolean, body: () => void): SessionAction[] {
    this.out = [];
    if (this.isFinished(now)) {
      if (untrusted) this.drop('session-finished');
      return [{ type: 'timer', at: Number.POSITIVE_INFINITY }];
    }
    try {
      body();
    } catch (e) {
      if (!untrusted) throw e;
      this.internalError = e;
      this.fail(now, this.activeEpoch(), AlertCode.internalError, `internal error: ${(e as Error).message}`);
    }
    return this.output(now);
  }

  private direction(outgoing: boolean): Direction {
    const clientSending = (this.role === 'client') === outgoing;
    return clientSending ? 'client-to-server' : 'server-to-client';
  }

  /** Wraps an outgoing inner packet with tls-crypt when configured. */
  protected wrap(inner: Uint8Array): Uint8Array {
    if (!this.tlsCrypt) return inner;
    return tlsCryptWrap(
      this.tlsCrypt,
      this.direction(true),
      inner,
      this.crypto.randomBytes(TLS_CRYPT_NONCE_LENGTH),
    );
  }

  private receiveDatagram(now: number, datagram: Uint8Array): void {
    let inner: Uint8Array | undefined = datagram;
    if (this.tlsCrypt) {
      inner = tlsCryptUnwrap(this.tlsCrypt, this.direction(false), datagram);
      if (!inner) return void this.drop('tls-crypt-auth');
    }
    const op = opcodeOf(inner);
    if (op === Opcode.cookieReply) return void this.onCookieReply(now, inner);
    if (op !== Opcode.control) return void this.drop('unknown-opcode');
    let parsed: ParsedControlPacket;
    try {
      parsed = parseControlPacket(inner);
    } catch (e) {
      if (e instanceof WireError) return void this.drop('malformed');
      throw e;
    }
    this.receivePacket(now, parsed, datagram.length);
  }

  private receivePacket(now: number, parsed: ParsedControlPacket, size: number): void {
    const h = parsed.header;
    const toUs = constantTimeEqual(h.dstSessionId, this.localSessionId);
    const firstContact =
      this.role === 'server' && h.level === Level.initial && isZeroSessionId(h.dstSessionId);
    if (!toUs && !firstContact) return void this.drop('wrong-session');
    if (!isZeroSessionId(this.peerSessionId) && !constantTimeEqual(h.srcSessionId, this.peerSessionId)) {
      return void this.drop('wrong-session');
    }
    let epoch = this.epochs.get(h.keyId);
    let fresh = false;
    if (!epoch) {
      epoch = this.peerRekeyEpoch(now, h.keyId);
      if (!epoch) return void this.drop('unknown-key-id');
      fresh = true;
    }
    const outcome = epoch.transport.receive(now, parsed, size);
    if (fresh && outcome.kind !== 'accepted') this.abandonEpoch(h.keyId);
    switch (outcome.kind) {
      case 'dropped':
        return void this.drop(outcome.reason);
      case 'buffered':
        return void this.drop('buffered-awaiting-keys');
      case 'violation':
        return void this.fail(
          now,
          epoch,
          AlertCode.decodeError,
          `peer broke the stream format: ${outcome.reason}`,
        );
      case 'accepted':
        break;
    }
    if (fresh) this.emit({ type: 'rekey-started', keyId: epoch.keyId, initiator: 'peer' });
    if (isZeroSessionId(this.peerSessionId)) {
      this.peerSessionId = h.srcSessionId.slice();
      for (const e of this.epochs.values()) e.transport.peerSessionId = this.peerSessionId;
    }
    for (const m of outcome.messages) {
      if (this.phaseValue === 'closed' && m.type !== MessageType.alert) continue;
      this.onMessage(now, epoch, m);
    }
    this.afterPacket(epoch);
    for (const p of epoch.transport.takeBuffered())
      this.receivePacket(now, p, p.aad.length + p.sealed.length);
  }

  private onMessage(now: number, epoch: Epoch, m: ReceivedMessage): void {
    let message: HandshakeMessage;
    try {
      message = decodeBody(m.type, m.body);
    } catch (e) {
      if (e instanceof WireError) return void this.fail(now, epoch, AlertCode.decodeError, e.message);
      throw e;
    }
    if (message.type === MessageType.alert) {
      if (this.phaseValue === 'closed') return;
      const name = ALERT_NAMES[message.code];
      return void this.enterClosed(now, name, 'peer', `peer sent alert ${name}`);
    }
    if (epoch.kind === 'initial') this.onInitialMessage(now, epoch, message, m.level, m.raw);
    else this.onRekeyMessage(now, epoch, message, m.level, m.raw);
  }

  private timers(now: number): void {
    for (const e of this.epochs.values()) e.transport.onTimer(now);
    if (this.retire && now >= this.retire.at) this.retirePrevious();
    if (this.phaseValue === 'closed') return;
    for (const e of this.epochs.values()) {
      if (!e.done && now >= e.startedAt + this.tunables.handshakeTimeoutMs) {
        return void this.enterClosed(
          now,
          'HANDSHAKE_TIMEOUT',
          'local',
          `key epoch ${e.keyId} did not complete in time`,
        );
      }
    }
  }

  private output(now: number): SessionAction[] {
    const actions = this.out;
    this.out = [];
    const finished = this.isFinished(now);
    let deadline = Number.POSITIVE_INFINITY;
    for (const e of this.epochs.values()) {
      if (!finished)
        for (const d of e.transport.flush(now)) actions.push({ type: 'send', datagram: this.wrap(d) });
      deadline = Math.min(deadline, e.transport.nextDeadline());
      if (!e.done && this.phaseValue !== 'closed')
        deadline = Math.min(deadline, e.startedAt + this.tunables.handshakeTimeoutMs);
    }
    if (this.retire) deadline = Math.min(deadline, this.retire.at);
    if (this.phaseValue === 'closed')
      deadline = finished ? Number.POSITIVE_INFINITY : Math.min(deadline, this.lingerUntil);
    actions.push({ type: 'timer', at: deadline });
    return actions;
  }

  /** Externally visible state, for tests that check a dropped input changed nothing. */
  snapshot(): string {
    const epochs = [...this.epochs.values()].map((e) => ({
      keyId: e.keyId,
      kind: e.kind,
      done: e.done,
      transcript: e.transcript.messageCount,
      transport: e.transport.stats(),
    }));
    return JSON.stringify({
      phase: this.phaseValue,
      key: this.currentKeyId,
      peer: Buffer.from(this.peerSessionId).toString('hex'),
      epochs,
      extra: this.stateSummary(),
    });
  }

  protected abstract stateSummary(): unknown;
}
