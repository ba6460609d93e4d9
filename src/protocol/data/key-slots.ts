/**
 * The keys of one session, by key id, and the rules for moving between them.
 *
 * Up to eight slots (key ids 0–7). Each slot holds one key id's sealer, opener,
 * replay window, send counter and usage, and has a role:
 *
 * - `current`  — the one key we send under; also opens packets.
 * - `pending`  — installed and opening packets, but we do not send under it yet
 *                because the peer has not proven it holds the key.
 * - `retiring` — the previous key: still opens packets until `retireAt`
 *                (install time of its successor + `tran-window`, default 60 s),
 *                so packets in flight or reordered across a rekey are not lost;
 *                never used for sending.
 *
 * Transitions (the rekey contract, docs/PROTOCOL.md §11.6):
 *
 * - `install(material, activate: true)`  — for the side that installs
 *   second: the peer's final handshake message, which told us to install,
 *   proves the peer already holds the key, so we send under it at once. The
 *   old current key (and any pending one) becomes retiring.
 * - `install(material, activate: false)` — for the side that installs first:
 *   the new key becomes pending (it opens packets at once, so the peer may
 *   switch whenever it likes); we keep sending under the old one.
 * - `activate(keyId)` — pending → current, old current → retiring. Called by
 *   the control plane when the peer proves it has the key (its handshake
 *   confirmation), and by the data channel itself when a packet authenticates
 *   under the pending key (the peer is evidently sending under it).
 * - expiry — a retiring slot past `retireAt` is wiped and removed.
 *
 * Installing over a key id that is current or pending throws
 * `DATA_KEY_ID_IN_USE` (a control-plane bug: key ids cycle through eight
 * values, so a live key id can only come back by mistake); installing over a
 * retiring one retires it early.
 *
 * Every removed key is wiped (`DataSealer.wipe`, `DataOpener.wipe`).
 * @module
 */

import { DataOpener, DataSealer } from './data-packet.js';
import { DataChannelError } from './errors.js';
import { type DataKeyMaterial, isValidKeyId, KEY_ID_COUNT } from './keys.js';
import { ReplayWindow } from './replay-window.js';
import { emptyUsage, type KeyUsage } from './usage-limits.js';

export type SlotRole = 'current' | 'pending' | 'retiring';

export type KeyExpiryReason = 'transition-window' | 'replaced' | 'closed';

export type KeySlotEvent =
  | { readonly type: 'key-activated'; readonly keyId: number }
  | { readonly type: 'key-expired'; readonly keyId: number; readonly reason: KeyExpiryReason };

/** Where slot events go (the data channel's event queue). */
export interface KeySlotEventSink {
  push(event: KeySlotEvent): unknown;
}

export interface KeySlot {
  readonly keyId: number;
  role: SlotRole;
  readonly sealer: DataSealer;
  readonly opener: DataOpener;
  readonly replay: ReplayWindow;
  /** Last counter sealed under this key (0 = none yet; the first packet uses 1). */
  lastCounter: number;
  readonly installedAt: number;
  /** When a retiring slot stops opening packets; Infinity otherwise. */
  retireAt: number;
  readonly usage: KeyUsage;
  /** A `rekey-needed` event was already raised for this key. */
  rekeyRequested: boolean;
  /** Confidentiality hard limit reached: never seal under this key again. */
  sendExhausted: boolean;
  /** Integrity hard limit reached: never open under this key again. */
  receiveExhausted: boolean;
}

export interface KeySlotsOptions {
  readonly peerId: number;
  readonly tranWindowMs: number;
  readonly replayWindow: number;
}

export class KeySlots {
  readonly #slots: (KeySlot | undefined)[] = new Array(KEY_ID_COUNT).fill(undefined);
  readonly #options: KeySlotsOptions;
  #current: KeySlot | undefined;
  #pending: KeySlot | undefined;

  constructor(options: KeySlotsOptions) {
    this.#options = options;
  }

  /** The key we send under, if any. */
  get current(): KeySlot | undefined {
    return this.#current;
  }

  get pending(): KeySlot | undefined {
    return this.#pending;
  }

  /** The slot that opens packets with this key id (any role). */
  slot(keyId: number): KeySlot | undefined {
    return this.#slots[keyId];
  }

  /** All live slots, in key-id order. */
  list(): KeySlot[] {
    return this.#slots.filter((s): s is KeySlot => s !== undefined);
  }

  install(now: number, material: DataKeyMaterial, activate: boolean, events: KeySlotEventSink): KeySlot {
    const keyId = material.keyId;
    if (!isValidKeyId(keyId))
      throw new DataChannelError('DATA_KEY_INVALID', `key id must be 0..7, got ${keyId}`);
    const existing = this.#slots[keyId];
    if (existing !== undefined && existing.role !== 'retiring') {
      throw new DataChannelError(
        'DATA_KEY_ID_IN_USE',
        `key id ${keyId} is the ${existing.role} key; a rekey must use the next key id`,
      );
    }
    // Build the new slot before touching state, so a malformed key leaves everything as it was.
    const sealer = new DataSealer(material.send, keyId, this.#options.peerId);
    const opener = new DataOpener(material.receive);
    const slot: KeySlot = {
      keyId,
      role: 'pending',
      sealer,
      opener,
      replay: new ReplayWindow(this.#options.replayWindow),
      lastCounter: 0,
      installedAt: now,
      retireAt: Number.POSITIVE_INFINITY,
      usage: emptyUsage(),
      rekeyRequested: false,
      sendExhausted: false,
      receiveExhausted: false,
    };
    if (existing !== undefined) this.#remove(existing, 'replaced', events);
    if (this.#pending !== undefined) this.#retire(now, this.#pending);
    this.#pending = slot;
    this.#slots[keyId] = slot;
    if (activate) this.activate(now, keyId, events);
    return slot;
  }

  /** Make the pending key `keyId` the send key. True if it is (now) current. */
  activate(now: number, keyId: number, events: KeySlotEventSink): boolean {
    if (this.#current?.keyId === keyId) return true;
    const pending = this.#pending;
    if (pending === undefined || pending.keyId !== keyId) return false;
    if (this.#current !== undefined) this.#retire(now, this.#current);
    pending.role = 'current';
    this.#current = pending;
    this.#pending = undefined;
    events.push({ type: 'key-activated', keyId });
    return true;
  }

  /** Remove retiring slots whose window has passed. */
  expire(now: number, events: KeySlotEventSink): void {
    for (const slot of this.#slots) {
      if (slot !== undefined && slot.role === 'retiring' && now >= slot.retireAt) {
        this.#remove(slot, 'transition-window', events);
      }
    }
  }

  /** Earliest `retireAt` of any retiring slot, or Infinity. */
  nextExpiry(): number {
    let next = Number.POSITIVE_INFINITY;
    for (const slot of this.#slots) if (slot !== undefined && slot.retireAt < next) next = slot.retireAt;
    return next;
  }

  /** Wipe and remove every key. */
  clear(events: KeySlotEventSink): void {
    for (const slot of this.#slots) if (slot !== undefined) this.#remove(slot, 'closed', events);
  }

  #retire(now: number, slot: KeySlot): void {
    slot.role = 'retiring';
    slot.retireAt = now + this.#options.tranWindowMs;
    if (this.#current === slot) this.#current = undefined;
    if (this.#pending === slot) this.#pending = undefined;
  }

  #remove(slot: KeySlot, reason: KeyExpiryReason, events: KeySlotEventSink): void {
    slot.sealer.wipe();
    slot.opener.wipe();
    this.#slots[slot.keyId] = undefined;
    if (this.#current === slot) this.#current = undefined;
    if (this.#pending === slot) this.#pending = undefined;
    events.push({ type: 'key-expired', keyId: slot.keyId, reason });
  }
}
