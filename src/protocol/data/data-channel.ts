/**
 * The data channel of one session: IP packets in, DATA datagrams out, and back.
 *
 * A sans-I/O state machine (boringtun's `encapsulate`/`decapsulate`/
 * `update_timers` shape). The driver owns the socket, the TUN device and the
 * one timer; this object owns the keys, counters, replay windows, usage limits
 * and liveness timers, and tells the driver what to do:
 *
 * - `encrypt(now, ipPacket)` → `{ ok: true, datagram }` or `{ ok: false, reason }`.
 * - `decrypt(now, datagram)` → `{ type: 'ip', packet }`, `{ type: 'keepalive' }`,
 *   `{ type: 'exit', reason }` or `{ type: 'drop', reason }`. Untrusted input is
 *   never thrown on; every drop is counted by reason in `stats().drops`.
 * - `onTimer(now)` → actions: `{ type: 'send', datagram }` (a keepalive), events,
 *   and a final `{ type: 'timer', at }` with the next deadline.
 * - `nextTimer()` → the earliest deadline. Any call may move it (installing keys
 *   adds the `reneg-sec` deadline, sending pushes the keepalive back), so the
 *   driver re-arms from `nextTimer()` after each batch of calls. `onTimer` is
 *   idempotent: an early wake-up does nothing.
 * - `drainEvents()` → events raised inside `encrypt`/`decrypt`/`installKeys`
 *   (`onTimer` drains them too): `rekey-needed`, `key-activated`,
 *   `key-expired`, `peer-exited`, `peer-dead`.
 *
 * Liveness (OpenVPN's `ping` / `ping-restart`): when nothing was sent for
 * `pingIntervalMs`, a keepalive goes out; when nothing authentic was received
 * for `pingRestartMs`, one `peer-dead` event is raised (again only after
 * something is received and the silence repeats). Authenticated control-channel
 * traffic counts too: the driver reports it with `markSent`/`markReceived`.
 * `exitNotice(now, reason)` builds the explicit exit notice; send it a few times
 * (OpenVPN's `explicit-exit-notify n`), each copy has a fresh counter.
 *
 * Rekeying: see key-slots.ts for the install/activate/retire rules and
 * usage-limits.ts for the triggers.
 * @module
 */

import {
  DATA_OVERHEAD,
  DEFAULT_TRAN_WINDOW_MS,
  ExitReason,
  MAX_DATA_PLAINTEXT,
  MAX_PACKET_COUNTER,
  MAX_PEER_ID,
  OPCODE_DATA,
} from './constants.js';
import { counterOf, keyIdOf, opcodeOf, peerIdOf } from './data-packet.js';
import { type DropCounters, DropReason, emptyDropCounters } from './drop-reasons.js';
import { DataChannelError } from './errors.js';
import { type KeySlot, type KeySlotEvent, KeySlots, type SlotRole } from './key-slots.js';
import type { DataKeyMaterial } from './keys.js';
import {
  classifyPlaintext,
  exitNoticePlaintext,
  ipPacketProblem,
  keepalivePlaintext,
  type Payload,
} from './payload.js';
import { DEFAULT_REPLAY_WINDOW, MAX_REPLAY_WINDOW, MIN_REPLAY_WINDOW } from './replay-window.js';
import {
  type AeadLimits,
  blocksForPlaintext,
  type KeyUsage,
  policyTrigger,
  type RekeyPolicy,
  type RekeyReason,
  resolveAeadLimits,
  resolveRekeyPolicy,
} from './usage-limits.js';

export interface DataChannelOptions {
  /** The 24-bit peer id the server assigned to this session; carried in both directions. */
  readonly peerId: number;
  /** Creation time (ms): liveness timers count from here. */
  readonly now: number;
  /** `ping`: send a keepalive after this long without sending. 0 (default) disables. */
  readonly pingIntervalMs?: number;
  /** `ping-restart`: raise `peer-dead` after this long without receiving. 0 (default) disables. */
  readonly pingRestartMs?: number;
  /** `tran-window`: how long the previous key keeps opening packets. Default 60 s. */
  readonly tranWindowMs?: number;
  /** Replay window per key, a multiple of 32, at least 2048. Default 8192. */
  readonly replayWindow?: number;
  readonly rekey?: Partial<RekeyPolicy>;
  /** Lower the AEAD limits (tests); never above the specification's values. */
  readonly aeadLimits?: Partial<AeadLimits>;
}

export type EncryptResult =
  | { readonly ok: true; readonly datagram: Uint8Array }
  | { readonly ok: false; readonly reason: DropReason };

export type DecryptResult = Payload;

export type DataChannelEvent =
  | KeySlotEvent
  | { readonly type: 'rekey-needed'; readonly keyId: number; readonly reason: RekeyReason }
  | { readonly type: 'peer-dead'; readonly lastReceived: number }
  | { readonly type: 'peer-exited'; readonly reason: number };

export type DataChannelAction =
  | { readonly type: 'send'; readonly datagram: Uint8Array }
  | { readonly type: 'timer'; readonly at: number }
  | DataChannelEvent;

export interface KeySlotStats {
  readonly keyId: number;
  readonly role: SlotRole;
  readonly installedAt: number;
  readonly retireAt: number;
  readonly lastCounter: number;
  readonly replayHighest: number;
  readonly usage: Readonly<KeyUsage>;
}

export interface DataChannelStats {
  readonly packetsSent: number;
  readonly bytesSent: number;
  readonly packetsReceived: number;
  readonly bytesReceived: number;
  readonly keepalivesSent: number;
  readonly keepalivesReceived: number;
  readonly drops: Readonly<DropCounters>;
  readonly keys: readonly KeySlotStats[];
}

const CLOSED_OUT = Object.freeze({ ok: false, reason: DropReason.closed } as const);

export class DataChannel {
  readonly peerId: number;
  readonly #slots: KeySlots;
  readonly #policy: RekeyPolicy;
  readonly #limits: AeadLimits;
  readonly #pingIntervalMs: number;
  readonly #pingRestartMs: number;
  readonly #drops = emptyDropCounters();
  #events: DataChannelEvent[] = [];
  #lastSent: number;
  #lastReceived: number;
  #peerDeadRaised = false;
  #closed = false;
  #packetsSent = 0;
  #bytesSent = 0;
  #packetsReceived = 0;
  #bytesReceived = 0;
  #keepalivesSent = 0;
  #keepalivesReceived = 0;

  constructor(options: DataChannelOptions) {
    const { peerId, now } = options;
    if (!Number.isInteger(peerId) || peerId < 0 || peerId > MAX_PEER_ID) {
      throw new DataChannelError('DATA_CONFIG_INVALID', `peer id must be 0..0xFFFFFE, got ${peerId}`);
    }
    checkTime(now, 'now');
    const replayWindow = options.replayWindow ?? DEFAULT_REPLAY_WINDOW;
    if (
      !Number.isInteger(replayWindow) ||
      replayWindow < MIN_REPLAY_WINDOW ||
      replayWindow > MAX_REPLAY_WINDOW ||
      replayWindow % 32 !== 0
    ) {
      throw new DataChannelError(
        'DATA_CONFIG_INVALID',
        `replay window must be a multiple of 32 in ${MIN_REPLAY_WINDOW}..${MAX_REPLAY_WINDOW}, got ${replayWindow}`,
      );
    }
    this.peerId = peerId;
    this.#pingIntervalMs = checkDuration(options.pingIntervalMs ?? 0, 'pingIntervalMs');
    this.#pingRestartMs = checkDuration(options.pingRestartMs ?? 0, 'pingRestartMs');
    const tranWindowMs = checkDuration(options.tranWindowMs ?? DEFAULT_TRAN_WINDOW_MS, 'tranWindowMs');
    this.#policy = resolveRekeyPolicy(options.rekey);
    this.#limits = resolveAeadLimits(options.aeadLimits);
    this.#slots = new KeySlots({ peerId, tranWindowMs, replayWindow });
    this.#lastSent = now;
    this.#lastReceived = now;
  }

  /** Key id we currently send under, if any. */
  get sendKeyId(): number | undefined {
    return this.#slots.current?.keyId;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Install keys from a completed handshake (the handshake's `keys-installed`
   * event). `activate: true` — for the side that installs second, whose peer
   * provably holds the keys — sends under them at once; `false` — for the side
   * that installs first — opens with them now and sends under them after
   * `activateSendKey` (the handshake's `keys-activated`) or the first authentic
   * packet under them, whichever comes first. The bytes are copied; the caller
   * wipes its own.
   */
  installKeys(now: number, material: DataKeyMaterial, options: { readonly activate: boolean }): void {
    this.#assertOpen();
    this.#slots.install(now, material, options.activate, this.#events);
  }

  /** The peer proved it holds key `keyId`: send under it. False if it is not pending or current. */
  activateSendKey(now: number, keyId: number): boolean {
    this.#assertOpen();
    return this.#slots.activate(now, keyId, this.#events);
  }

  /** Seal an IP packet from the TUN device. */
  encrypt(now: number, ipPacket: Uint8Array): EncryptResult {
    if (this.#closed) return this.#drop(CLOSED_OUT);
    const problem = ipPacketProblem(ipPacket);
    if (problem !== undefined) return this.#drop({ ok: false, reason: problem });
    return this.#seal(now, ipPacket);
  }

  /** Build an explicit exit notice (send it a few times; each has a fresh counter). */
  exitNotice(now: number, reason: number = ExitReason.shuttingDown): EncryptResult {
    if (!Number.isInteger(reason) || reason < 0 || reason > 255) {
      throw new DataChannelError('DATA_MISUSE', `exit reason must be a byte, got ${reason}`);
    }
    if (this.#closed) return this.#drop(CLOSED_OUT);
    return this.#seal(now, exitNoticePlaintext(reason));
  }

  /** Open a datagram from the network. Never throws on its contents. */
  decrypt(now: number, datagram: Uint8Array): DecryptResult {
    if (this.#closed) return this.#dropIn(DropReason.closed);
    const length = datagram.length;
    if (length < DATA_OVERHEAD + 1) return this.#dropIn(DropReason.truncated);
    if (length > DATA_OVERHEAD + MAX_DATA_PLAINTEXT) return this.#dropIn(DropReason.oversizedDatagram);
    if (opcodeOf(datagram) !== OPCODE_DATA) return this.#dropIn(DropReason.notData);
    if (peerIdOf(datagram) !== this.peerId) return this.#dropIn(DropReason.peerIdMismatch);
    const slot = this.#slots.slot(keyIdOf(datagram));
    if (slot === undefined) return this.#dropIn(DropReason.unknownKeyId);
    if (slot.role === 'retiring' && now >= slot.retireAt) {
      this.#slots.expire(now, this.#events);
      return this.#dropIn(DropReason.unknownKeyId);
    }
    if (slot.receiveExhausted) return this.#dropIn(DropReason.receiveKeyExhausted);
    const counter = counterOf(datagram);
    if (counter < 1 || counter > MAX_PACKET_COUNTER) return this.#dropIn(DropReason.counterOutOfRange);
    const verdict = slot.replay.check(counter);
    if (verdict !== 'fresh')
      return this.#dropIn(verdict === 'duplicate' ? DropReason.replayed : DropReason.tooOld);

    const plaintext = slot.opener.open(datagram);
    if (plaintext === undefined) {
      this.#authFailed(slot);
      return this.#dropIn(DropReason.authFailed);
    }
    slot.replay.commit(counter);
    this.#lastReceived = now;
    this.#peerDeadRaised = false;
    slot.usage.packetsReceived++;
    slot.usage.bytesReceived += plaintext.length;
    this.#packetsReceived++;
    this.#bytesReceived += plaintext.length;
    if (slot.role === 'pending') this.#slots.activate(now, slot.keyId, this.#events);
    this.#checkPolicy(now);

    const payload = classifyPlaintext(plaintext);
    switch (payload.type) {
      case 'ip':
        break;
      case 'keepalive':
        this.#keepalivesReceived++;
        break;
      case 'exit':
        this.#events.push({ type: 'peer-exited', reason: payload.reason });
        break;
      case 'drop':
        this.#drops[payload.reason]++;
        break;
    }
    return payload;
  }

  /** Authenticated control traffic was sent: it counts for the keepalive timer. */
  markSent(now: number): void {
    if (now > this.#lastSent) this.#lastSent = now;
  }

  /** Authenticated control traffic was received: it counts for dead-peer detection. */
  markReceived(now: number): void {
    if (now > this.#lastReceived) this.#lastReceived = now;
    this.#peerDeadRaised = false;
  }

  /** Fire whatever is due; returns sends, events and the next `timer`. */
  onTimer(now: number): DataChannelAction[] {
    const actions: DataChannelAction[] = [];
    if (!this.#closed) {
      this.#slots.expire(now, this.#events);
      this.#checkPolicy(now);
      if (
        this.#pingRestartMs > 0 &&
        !this.#peerDeadRaised &&
        now - this.#lastReceived >= this.#pingRestartMs
      ) {
        this.#peerDeadRaised = true;
        this.#events.push({ type: 'peer-dead', lastReceived: this.#lastReceived });
      }
      if (this.#pingIntervalMs > 0 && this.#canSend() && now - this.#lastSent >= this.#pingIntervalMs) {
        const result = this.#seal(now, keepalivePlaintext());
        if (result.ok) {
          this.#keepalivesSent++;
          actions.push({ type: 'send', datagram: result.datagram });
        }
      }
    }
    actions.push(...this.drainEvents());
    actions.push({ type: 'timer', at: this.nextTimer() ?? Number.POSITIVE_INFINITY });
    return actions;
  }

  /** Earliest time `onTimer` has work, or undefined when nothing is scheduled. */
  nextTimer(): number | undefined {
    if (this.#closed) return undefined;
    let next = this.#slots.nextExpiry();
    if (this.#pingIntervalMs > 0 && this.#canSend())
      next = Math.min(next, this.#lastSent + this.#pingIntervalMs);
    if (this.#pingRestartMs > 0 && !this.#peerDeadRaised) {
      next = Math.min(next, this.#lastReceived + this.#pingRestartMs);
    }
    const current = this.#slots.current;
    if (current !== undefined && !current.rekeyRequested && this.#policy.renegMs > 0) {
      next = Math.min(next, current.installedAt + this.#policy.renegMs);
    }
    return next === Number.POSITIVE_INFINITY ? undefined : next;
  }

  /** Events raised since the last drain, oldest first. */
  drainEvents(): DataChannelEvent[] {
    const events = this.#events;
    this.#events = [];
    return events;
  }

  /** Wipe every key; afterwards everything is dropped as `closed`. Events: `key-expired` per key. */
  close(): DataChannelEvent[] {
    if (!this.#closed) {
      this.#slots.clear(this.#events);
      this.#closed = true;
    }
    return this.drainEvents();
  }

  stats(): DataChannelStats {
    return {
      packetsSent: this.#packetsSent,
      bytesSent: this.#bytesSent,
      packetsReceived: this.#packetsReceived,
      bytesReceived: this.#bytesReceived,
      keepalivesSent: this.#keepalivesSent,
      keepalivesReceived: this.#keepalivesReceived,
      drops: { ...this.#drops },
      keys: this.#slots.list().map((slot) => ({
        keyId: slot.keyId,
        role: slot.role,
        installedAt: slot.installedAt,
        retireAt: slot.retireAt,
        lastCounter: slot.lastCounter,
        replayHighest: slot.replay.highest,
        usage: { ...slot.usage },
      })),
    };
  }

  #canSend(): boolean {
    const current = this.#slots.current;
    return current !== undefined && !current.sendExhausted;
  }

  #seal(now: number, plaintext: Uint8Array): EncryptResult {
    const slot = this.#slots.current;
    if (slot === undefined) return this.#drop({ ok: false, reason: DropReason.noSendKey });
    if (slot.sendExhausted) return this.#drop({ ok: false, reason: DropReason.sendKeyExhausted });
    const blocks = blocksForPlaintext(plaintext.length);
    if (
      slot.usage.blocksSent + blocks > this.#limits.confidentialityHardBlocks ||
      slot.lastCounter >= MAX_PACKET_COUNTER
    ) {
      // Hard limit: this key seals nothing more. The receive direction (a different key) stays usable.
      slot.sendExhausted = true;
      this.#requestRekey(slot, 'aead-confidentiality-limit');
      return this.#drop({ ok: false, reason: DropReason.sendKeyExhausted });
    }
    const counter = ++slot.lastCounter;
    const datagram = slot.sealer.seal(counter, plaintext);
    slot.usage.packetsSent++;
    slot.usage.bytesSent += plaintext.length;
    slot.usage.blocksSent += blocks;
    this.#packetsSent++;
    this.#bytesSent += plaintext.length;
    if (now > this.#lastSent) this.#lastSent = now;
    if (slot.usage.blocksSent >= this.#limits.confidentialitySoftBlocks) {
      this.#requestRekey(slot, 'aead-confidentiality-limit');
    }
    this.#checkPolicy(now);
    return { ok: true, datagram };
  }

  #authFailed(slot: KeySlot): void {
    const failures = ++slot.usage.authFailures;
    if (failures >= this.#limits.integrityHardFailures) slot.receiveExhausted = true;
    // A retiring key is about to go anyway; only the keys we rely on call for a rekey.
    if (failures >= this.#limits.integritySoftFailures && slot.role !== 'retiring') {
      this.#requestRekey(slot, 'aead-integrity-limit');
    }
  }

  #checkPolicy(now: number): void {
    const current = this.#slots.current;
    if (current === undefined || current.rekeyRequested) return;
    const reason = policyTrigger(this.#policy, current.usage, now - current.installedAt);
    if (reason !== undefined) this.#requestRekey(current, reason);
  }

  #requestRekey(slot: KeySlot, reason: RekeyReason): void {
    if (slot.rekeyRequested) return;
    slot.rekeyRequested = true;
    this.#events.push({ type: 'rekey-needed', keyId: slot.keyId, reason });
  }

  #dropIn(reason: DropReason): DecryptResult {
    this.#drops[reason]++;
    return { type: 'drop', reason };
  }

  #drop(result: EncryptResult & { readonly ok: false }): EncryptResult {
    this.#drops[result.reason]++;
    return result;
  }

  #assertOpen(): void {
    if (this.#closed) throw new DataChannelError('DATA_MISUSE', 'the data channel is closed');
  }
}

function checkTime(value: number, name: string): void {
  if (!Number.isFinite(value))
    throw new DataChannelError('DATA_CONFIG_INVALID', `${name} must be finite, got ${value}`);
}

function checkDuration(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new DataChannelError(
      'DATA_CONFIG_INVALID',
      `${name} must be a non-negative integer (ms), got ${value}`,
    );
  }
  return value;
}
