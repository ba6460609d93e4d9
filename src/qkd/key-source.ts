/**
 * `QkdKeySource`: what a pqvpn endpoint asks for QKD keys, one per key epoch
 * (first handshake and every rekey), on top of an ETSI 014 client.
 *
 * Roles. Whoever starts a handshake or rekey is the master SAE for that epoch:
 * - initiator: `forInitiator()` → an ETSI enc_keys key for the peer SAE, as the
 *   `ExtraSecretInput` that `start(now, extra)` / `startRekey(now, extra)` take.
 *   Its `keyId` is the UTF-8 bytes of the ETSI `key_ID` string; it travels in
 *   the (encrypted) handshake;
 * - responder: on the session's `extra-secret-needed` event,
 *   `forResponder(event.extraKeyId, event.initiatorSaeId)` → the same key from
 *   this side's KME (dec_keys naming the master), for `provideExtraSecret`.
 * The secrets returned belong to the caller: wipe them (`fill(0)`) as soon as
 * the session call that takes them has returned (sessions copy or consume them
 * synchronously).
 *
 * Latency. Initiator keys come from a small prefetch queue (`prefetch`, default
 * 1) refilled in the background after each use, so a rekey does not wait for
 * the KME. Queued keys older than `maxKeyAgeMs` are wiped and not used (a slave
 * KME may drop keys nobody collects). `prefetchNow()` lets the driver top the
 * queue up ahead of a known rekey time.
 *
 * Never twice. A key handed out is gone from the queue; a key ID the KME
 * returns again is refused (`QKD_KEY_ID_REUSED`), and so is a second
 * `forResponder` for the same ID — checked locally, before any request, and
 * recorded before the dec_keys is sent, so a failed dec_keys is not retried
 * either. After any failure the initiator starts over with a new enc_keys
 * (the next `forInitiator`); nothing is re-requested.
 *
 * Failures are `QkdError`s (errors.ts codes; the message names the KME and
 * what it said) and are counted (`counters()`: failures, last error). This
 * class does not decide what a failure means; the driver does, by `mode`:
 * - `optional`: on a `QkdError`, start/answer without an extra secret
 *   (`start(now)` / `provideExtraSecret(now, id, undefined)`): the session runs on
 *   the hybrid KEM alone; log a warning and count it;
 * - `required`: no handshake or rekey without a key: do not start the rekey
 *   (the current keys stay until they expire), answer `undefined` as responder
 *   (the session fails the epoch with EXTRA_SECRET_UNAVAILABLE), and try again
 *   later with a fresh `forInitiator()` — recovery needs nothing else.
 * Never log a secret; key IDs may be logged (`recentKeyIds()` feeds status).
 * @module
 */

import type { Logger } from '../log.js';
import type { ExtraSecretInput } from '../protocol/handshake/types.js';
import { printable, QkdError, QkdErrorCode } from './errors.js';
import { checkKeyId, type DeliveredKey } from './etsi014.js';
import type { Etsi014Api } from './etsi014-client.js';

export type QkdMode = 'required' | 'optional';

export interface QkdKeySourceOptions {
  readonly api: Etsi014Api;
  readonly localSaeId: string;
  readonly peerSaeId: string;
  readonly keySizeBits: number;
  readonly mode: QkdMode;
  /** Initiator keys kept ready. Default 1; 0 = fetch on demand only. */
  readonly prefetch?: number;
  /** Queued keys older than this are discarded. Default 300 000 ms. */
  readonly maxKeyAgeMs?: number;
  /** After a failed background fetch, no further background fetch for this long. Default 5000 ms. */
  readonly retryAfterMs?: number;
  /** How many used key IDs are remembered to refuse reuse. Default 65 536. */
  readonly rememberKeyIds?: number;
  readonly now?: () => number;
  readonly log?: Logger;
}

export interface QkdCounters {
  /** Keys received from enc_keys. */
  readonly keysFetched: number;
  /** Keys given out by forInitiator. */
  readonly keysUsedAsInitiator: number;
  /** Keys given out by forResponder. */
  readonly keysUsedAsResponder: number;
  /** Prefetched keys wiped unused (too old, or at close). */
  readonly keysDiscarded: number;
  /** Failed KME exchanges and refused answers (foreground and background). */
  readonly failures: number;
  readonly lastError?: { readonly code: string; readonly message: string; readonly at: number };
}

export interface UsedKeyId {
  readonly keyId: string;
  readonly role: 'initiator' | 'responder';
  readonly at: number;
}

interface QueuedKey {
  readonly keyId: string;
  readonly key: Uint8Array;
  readonly fetchedAt: number;
}

const RECENT = 32;

export class QkdKeySource {
  readonly mode: QkdMode;
  readonly localSaeId: string;
  readonly peerSaeId: string;
  readonly keySizeBits: number;
  private readonly api: Etsi014Api;
  private readonly prefetch: number;
  private readonly maxKeyAgeMs: number;
  private readonly retryAfterMs: number;
  private readonly remember: number;
  private readonly now: () => number;
  private readonly log: Logger | undefined;
  private readonly queue: QueuedKey[] = [];
  private readonly seen = new Set<string>();
  private readonly recent: UsedKeyId[] = [];
  private fill: Promise<void> | undefined;
  private backgroundPausedUntil = 0;
  private closed = false;
  private stats = {
    keysFetched: 0,
    keysUsedAsInitiator: 0,
    keysUsedAsResponder: 0,
    keysDiscarded: 0,
    failures: 0,
  };
  private lastError: QkdCounters['lastError'];

  constructor(options: QkdKeySourceOptions) {
    this.api = options.api;
    this.mode = options.mode;
    this.localSaeId = options.localSaeId;
    this.peerSaeId = options.peerSaeId;
    this.keySizeBits = options.keySizeBits;
    this.prefetch = options.prefetch ?? 1;
    this.maxKeyAgeMs = options.maxKeyAgeMs ?? 300_000;
    this.retryAfterMs = options.retryAfterMs ?? 5000;
    this.remember = options.rememberKeyIds ?? 65_536;
    this.now = options.now ?? Date.now;
    this.log = options.log;
    if (!Number.isSafeInteger(this.prefetch) || this.prefetch < 0 || this.prefetch > 16) {
      throw new RangeError('prefetch must be 0 to 16 keys');
    }
  }

  /** Starts filling the prefetch queue (call once the tunnel starts). */
  start(): void {
    this.prefetchNow();
  }

  /** A fresh key for a handshake or rekey this side starts. Rejects with `QkdError`. */
  async forInitiator(): Promise<ExtraSecretInput> {
    this.assertOpen();
    let k = this.takeFresh();
    if (!k && this.fill) {
      await this.fill;
      this.assertOpen();
      k = this.takeFresh();
    }
    if (!k) {
      const [fetched] = await this.fetch(1);
      k = fetched!;
      if (this.closed) {
        k.key.fill(0);
        this.assertOpen();
      }
    }
    this.stats.keysUsedAsInitiator++;
    this.used(k.keyId, 'initiator');
    this.prefetchNow();
    return { keyId: new TextEncoder().encode(k.keyId), secret: k.key };
  }

  /** The key the peer (master SAE `initiatorSaeId`) fetched under `keyId`. Rejects with `QkdError`. */
  async forResponder(keyId: Uint8Array, initiatorSaeId: string): Promise<Uint8Array> {
    this.assertOpen();
    try {
      if (initiatorSaeId !== this.peerSaeId) {
        throw new QkdError(
          QkdErrorCode.peerMismatch,
          `the peer offers a QKD key as SAE '${printable(initiatorSaeId, 80)}', but qkd-peer-sae-id is '${this.peerSaeId}'`,
        );
      }
      let id: string;
      try {
        id = new TextDecoder('utf-8', { fatal: true }).decode(keyId);
      } catch {
        throw new QkdError(QkdErrorCode.badKeyId, 'the peer sent a QKD key ID that is not UTF-8');
      }
      if (id.length === 0) throw new QkdError(QkdErrorCode.badKeyId, 'the peer sent an empty QKD key ID');
      checkKeyId(id, 'the peer’s QKD key ID');
      if (this.seen.has(id)) {
        throw new QkdError(
          QkdErrorCode.keyIdReused,
          `QKD key ID '${printable(id, 80)}' was already used; refusing it`,
        );
      }
      // Recorded before asking: a failed dec_keys is never sent again for the same ID.
      this.remembered(id);
      const [delivered] = await this.api.getKeyWithKeyIds(initiatorSaeId, [id], this.keySizeBits);
      if (this.closed) {
        delivered!.key.fill(0);
        this.assertOpen();
      }
      this.stats.keysUsedAsResponder++;
      this.used(id, 'responder');
      return delivered!.key;
    } catch (error) {
      this.failed(error);
      throw error;
    }
  }

  /** Tops the prefetch queue up in the background (no-op when full, busy, closed, or backing off). */
  prefetchNow(): void {
    if (this.closed || this.fill || this.prefetch === 0) return;
    this.dropStale();
    const missing = this.prefetch - this.queue.length;
    if (missing <= 0 || this.now() < this.backgroundPausedUntil) return;
    this.fill = (async () => {
      try {
        const keys = await this.fetch(missing);
        if (this.closed) {
          for (const k of keys) k.key.fill(0);
          return;
        }
        this.queue.push(...keys);
      } catch (error) {
        this.backgroundPausedUntil = this.now() + this.retryAfterMs;
        this.log?.verbose(
          `QKD prefetch failed: ${error instanceof Error ? error.message : String(error)}`,
          'qkd',
        );
      } finally {
        this.fill = undefined;
      }
    })();
  }

  counters(): QkdCounters {
    return this.lastError ? { ...this.stats, lastError: this.lastError } : { ...this.stats };
  }

  /** The last few key IDs used, newest last. */
  recentKeyIds(): readonly UsedKeyId[] {
    return [...this.recent];
  }

  /** Keys ready in the prefetch queue. */
  get ready(): number {
    return this.queue.length;
  }

  /** Wipes queued keys, closes the KME connection; later calls reject with QKD_CLOSED. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const k of this.queue.splice(0)) {
      k.key.fill(0);
      this.stats.keysDiscarded++;
    }
    this.api.close();
  }

  /** One enc_keys for `n` keys, with the never-twice check. Counts and records failures. */
  private async fetch(n: number): Promise<QueuedKey[]> {
    let keys: DeliveredKey[] = [];
    try {
      keys = await this.api.getKey(this.peerSaeId, { number: n, sizeBits: this.keySizeBits });
      for (const k of keys) {
        if (this.seen.has(k.keyId)) {
          throw new QkdError(
            QkdErrorCode.keyIdReused,
            `the KME handed out key ID '${printable(k.keyId, 80)}' a second time; refusing its keys`,
          );
        }
      }
      for (const k of keys) this.remembered(k.keyId);
      this.stats.keysFetched += keys.length;
      const at = this.now();
      this.log?.debug(`QKD: fetched key IDs ${keys.map((k) => k.keyId).join(' ')}`, 'qkd');
      return keys.map((k) => ({ keyId: k.keyId, key: k.key, fetchedAt: at }));
    } catch (error) {
      for (const k of keys) k.key.fill(0);
      this.failed(error);
      throw error;
    }
  }

  private takeFresh(): QueuedKey | undefined {
    this.dropStale();
    return this.queue.shift();
  }

  private dropStale(): void {
    const limit = this.now() - this.maxKeyAgeMs;
    while (this.queue.length > 0 && this.queue[0]!.fetchedAt < limit) {
      this.queue.shift()!.key.fill(0);
      this.stats.keysDiscarded++;
    }
  }

  private remembered(id: string): void {
    this.seen.add(id);
    if (this.seen.size > this.remember) {
      const oldest = this.seen.values().next().value as string;
      this.seen.delete(oldest);
    }
  }

  private used(keyId: string, role: UsedKeyId['role']): void {
    this.recent.push({ keyId, role, at: this.now() });
    if (this.recent.length > RECENT) this.recent.shift();
  }

  private failed(error: unknown): void {
    this.stats.failures++;
    const code = error instanceof QkdError ? error.code : 'QKD_ERROR';
    const message = error instanceof Error ? error.message : String(error);
    this.lastError = { code, message, at: this.now() };
  }

  private assertOpen(): void {
    if (this.closed) throw new QkdError(QkdErrorCode.closed, 'the QKD key source is closed');
  }
}
