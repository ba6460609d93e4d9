/**
 * QKD in the running tunnel: what the drivers do with a QKD key source
 * (src/qkd `QkdKeySource`, through the `ExtraSecretSource` seam) in each
 * `qkd-mode`, and what they remember per session for logs and status.
 *
 * Every key epoch (first handshake, every rekey) takes a fresh QKD key: the
 * side that starts the epoch fetches one (`initiator`), the other side
 * fetches the same key by its ID (`responder`). Keys are prefetched by the
 * key source, so a rekey normally does not wait for the KME.
 *
 * Without a key:
 * - `optional`: the epoch starts (or is answered) without one — it runs on the
 *   hybrid KEM alone. A warning is logged and counted (`withoutQkd`).
 * - `required`: no epoch without a key.
 *   - First handshake (client): no attempt is started; the connection attempt
 *     ends with a restart reason and the client's usual back-off
 *     (`connect-retry`) tries again — each try asks the KME afresh.
 *   - Rekey: it is not started; the current keys stay in use and the rekey
 *     is retried with back-off (1 s doubling, at most 10 s). If no key came
 *     within the grace period (`hand-window`: OpenVPN's limit for finishing a
 *     renegotiation, after which it resets the connection) the keys count as
 *     expired: the session ends (`QKD_KEYS_EXPIRED`) and traffic stops. The
 *     client then reconnects with back-off, and its first handshake needs a
 *     QKD key again — so the tunnel comes back by itself once the KME does.
 *   - Responder (the peer had a key, our KME cannot deliver it): the epoch is
 *     refused (alert EXTRA_SECRET_UNAVAILABLE), which closes the session. For
 *     a rekey the refusal is held back for most of `hand-window`
 *     (`refusalHoldMs`), so here too the current keys carry traffic until
 *     they would expire; a first handshake is refused at once. The KME's
 *     reason is logged on this side; `explainClose` turns the bare alert into
 *     a reason on the other side. (A failed dec_keys is never retried: the
 *     key source never asks for a key ID twice.)
 *
 * `QkdSessionState` is the per-session part and is pure (time in, decisions
 * out, no I/O), so its retry and expiry rules are tested with a fake clock;
 * `QkdPolicy` adds the key source calls and the log lines. Key material is
 * never logged; key IDs are (they are not secret, and operators need them to
 * match the two KMEs' records).
 * @module
 */

import type { Logger } from '../log.js';
import type { ExtraSecretInput } from '../protocol/handshake/types.js';
import type { ExtraSecretSource } from './seams.js';
import { printable } from './text.js';

export type QkdMode = 'required' | 'optional';

/** A key source as the policy uses it: the seam plus the optional extras `QkdKeySource` has. */
export interface QkdKeys extends ExtraSecretSource {
  readonly mode?: QkdMode;
  prefetchNow?(): void;
}

/** Why a session ended because QKD keys ran out (required mode). */
export const QKD_KEYS_EXPIRED = 'QKD_KEYS_EXPIRED';
/** The handshake alert a responder sends when it cannot get the QKD key. */
export const EXTRA_SECRET_UNAVAILABLE = 'EXTRA_SECRET_UNAVAILABLE';

/** What to do about a key epoch this side would start. */
export type InitiatorDecision =
  /** Start it with this key (the driver passes `extra` to start/startRekey). */
  | { readonly kind: 'key'; readonly extra: ExtraSecretInput; readonly keyId: string }
  /** optional mode, no key: start it on the hybrid KEM alone. */
  | { readonly kind: 'without'; readonly reason: string }
  /** required mode, no key: do not start it. */
  | { readonly kind: 'wait'; readonly reason: string };

/** One QKD key mixed into (or offered for) a key epoch. */
export interface QkdEpochKey {
  /** The data-channel key id (0..7) of the epoch. */
  readonly epoch: number;
  /** The ETSI 014 key ID. */
  readonly keyId: string;
  /** Who fetched it: we started the epoch (enc_keys) or answered it (dec_keys). */
  readonly role: 'initiator' | 'responder';
}

export interface QkdRetryTuning {
  /** First retry of a rekey that got no key; doubled each time. Default 1000 ms. */
  readonly retryMs?: number;
  /** Longest wait between retries. Default 10 000 ms. */
  readonly maxRetryMs?: number;
}

type Gate =
  | { readonly state: 'idle' }
  /** `delay`: the last retry delay, when this fetch is a retry. */
  | { readonly state: 'fetching'; readonly since: number; readonly delay?: number }
  | { readonly state: 'waiting'; readonly since: number; readonly retryAt: number; readonly delay: number };

const KEEP = 16;
/** How long before a time-based rekey the key source's queue is topped up. */
export const PREFETCH_LEAD_MS = 30_000;

/**
 * One control session's QKD record: the key IDs it used, by epoch, and (in
 * required mode) the rekey that is waiting for a key. Pure; the driver calls
 * `poll(now)` from its timer tick.
 */
export class QkdSessionState {
  readonly mode: QkdMode;
  readonly #graceMs: number;
  readonly #retryMs: number;
  readonly #maxRetryMs: number;
  #gate: Gate = { state: 'idle' };
  #pending: string | undefined;
  #current: number | undefined;
  readonly #keys: QkdEpochKey[] = [];
  #withoutQkd = 0;
  #installedAt: number | undefined;
  #prefetched = false;

  constructor(mode: QkdMode, graceMs: number, tuning: QkdRetryTuning = {}) {
    this.mode = mode;
    this.#graceMs = graceMs;
    this.#retryMs = tuning.retryMs ?? 1000;
    this.#maxRetryMs = tuning.maxRetryMs ?? 10_000;
  }

  /**
   * The data channel asked for a rekey. True: fetch a key now. False: a fetch
   * or a retry is already under way (the timer will bring the retry).
   */
  rekeyNeeded(now: number): boolean {
    if (this.#gate.state !== 'idle') return false;
    this.#gate = { state: 'fetching', since: now };
    return true;
  }

  /** The fetch for a rekey gave a key (or optional mode goes on without): the rekey is started. */
  rekeyStarting(keyId: string | undefined): void {
    this.#gate = { state: 'idle' };
    this.#pending = keyId;
    if (keyId === undefined) this.#withoutQkd++;
  }

  /** required mode: no key for the rekey; keep the current keys and retry later. Returns when. */
  rekeyBlocked(now: number): { readonly retryAt: number; readonly expiresAt: number } {
    const since = this.#gate.state === 'idle' ? now : this.#gate.since;
    const last = this.#gate.state === 'idle' ? undefined : this.#gate.delay;
    const delay = last === undefined ? this.#retryMs : Math.min(last * 2, this.#maxRetryMs);
    const expiresAt = since + this.#graceMs;
    const retryAt = Math.min(now + delay, expiresAt);
    this.#gate = { state: 'waiting', since, retryAt, delay };
    return { retryAt, expiresAt };
  }

  /**
   * From the driver's tick: 'retry' — fetch again now (the gate is then
   * `fetching`); 'expire' — the grace period is over: end the session.
   */
  poll(now: number): 'retry' | 'expire' | undefined {
    const g = this.#gate;
    if (g.state !== 'waiting') return undefined;
    if (now >= g.since + this.#graceMs) return 'expire';
    if (now < g.retryAt) return undefined;
    this.#gate = { state: 'fetching', since: g.since, delay: g.delay };
    return 'retry';
  }

  /** Our key for the handshake this side starts (client: the first handshake). */
  initialKey(keyId: string | undefined): void {
    this.#pending = keyId;
    if (keyId === undefined) this.#withoutQkd++;
  }

  /** A key epoch started by us (`rekey-started` local): the pending key is its key. */
  epochStarted(epoch: number): QkdEpochKey | undefined {
    const keyId = this.#pending;
    this.#pending = undefined;
    return keyId === undefined ? undefined : this.#record({ epoch, keyId, role: 'initiator' });
  }

  /** The peer started epoch `epoch`; `keyId`: the key we fetched for it, or none. */
  responded(epoch: number, keyId: string | undefined): QkdEpochKey | undefined {
    if (keyId === undefined) {
      this.#withoutQkd++;
      return undefined;
    }
    return this.#record({ epoch, keyId, role: 'responder' });
  }

  /**
   * Keys of `epoch` are installed (a rekey by either side finished): any
   * rekey waiting for a key is moot. Returns the QKD key of that epoch, if any.
   */
  installed(epoch: number, now?: number): QkdEpochKey | undefined {
    this.#current = epoch;
    if (now !== undefined) this.#installedAt = now;
    this.#prefetched = false;
    if (this.#gate.state === 'waiting') this.#gate = { state: 'idle' };
    return this.keyOf(epoch);
  }

  /**
   * True once per epoch, `PREFETCH_LEAD_MS` before `reneg-sec` makes the next
   * rekey due: time to top the key source's queue up. A queued key older than
   * the source's age limit would be discarded at the rekey, which would then
   * wait for the KME (with the default reneg-sec 3600 it always would).
   */
  prefetchDue(now: number, renegMs: number): boolean {
    if (this.#prefetched || renegMs <= 0 || this.#installedAt === undefined) return false;
    if (now < this.#installedAt + renegMs - PREFETCH_LEAD_MS) return false;
    this.#prefetched = true;
    return true;
  }

  /** The QKD key recorded for `epoch` (the newest one: key ids wrap at 8). */
  keyOf(epoch: number): QkdEpochKey | undefined {
    for (let i = this.#keys.length - 1; i >= 0; i--) if (this.#keys[i]!.epoch === epoch) return this.#keys[i];
    return undefined;
  }

  /** For status: the mode, the current epoch's key, the key IDs used (oldest first, at most 16). */
  summary(): {
    readonly mode: QkdMode;
    readonly current: QkdEpochKey | undefined;
    readonly keys: readonly QkdEpochKey[];
    readonly withoutQkd: number;
    readonly waitingSince: number | undefined;
  } {
    const g = this.#gate;
    return {
      mode: this.mode,
      current: this.#current === undefined ? undefined : this.keyOf(this.#current),
      keys: [...this.#keys],
      withoutQkd: this.#withoutQkd,
      waitingSince: g.state === 'waiting' ? g.since : undefined,
    };
  }

  #record(k: QkdEpochKey): QkdEpochKey {
    this.#keys.push(k);
    if (this.#keys.length > KEEP) this.#keys.shift();
    return k;
  }
}

export interface QkdPolicyOptions extends QkdRetryTuning {
  readonly source: QkdKeys;
  readonly mode: QkdMode;
  readonly log: Logger;
  /** required mode: how long the current keys may run after a rekey fell due without a key (ms). */
  readonly graceMs: number;
}

export interface QkdPolicyCounters {
  /** Epochs this side started with a QKD key. */
  readonly keysAsInitiator: number;
  /** Epochs the peer started that we answered with a QKD key. */
  readonly keysAsResponder: number;
  /** Epochs run without a QKD key (optional mode). */
  readonly withoutQkd: number;
  /** Epochs not started (required mode) or refused for want of a key. */
  readonly refused: number;
  /** Sessions ended because their keys expired without a QKD rekey. */
  readonly expired: number;
}

/** The drivers' QKD policy: one per process, shared by its sessions. */
export class QkdPolicy {
  readonly mode: QkdMode;
  readonly #o: QkdPolicyOptions;
  readonly #log: Logger;
  readonly #counts = { keysAsInitiator: 0, keysAsResponder: 0, withoutQkd: 0, refused: 0, expired: 0 };

  constructor(options: QkdPolicyOptions) {
    this.#o = options;
    this.mode = options.mode;
    this.#log = options.log;
  }

  /** A record for a new control session. */
  session(): QkdSessionState {
    return new QkdSessionState(this.mode, this.#o.graceMs, this.#o);
  }

  counters(): QkdPolicyCounters {
    return { ...this.#counts };
  }

  /**
   * Asks the key source for a key for an epoch this side starts, and decides
   * by mode. Never rejects. `who` prefixes the log lines (a client's label on
   * the server, '' on the client).
   */
  async initiator(who: string, what: 'handshake' | 'rekey'): Promise<InitiatorDecision> {
    let extra: ExtraSecretInput;
    try {
      extra = await this.#o.source.forInitiator();
    } catch (error) {
      const reason = messageOf(error);
      if (this.mode === 'optional') {
        this.#counts.withoutQkd++;
        this.#log.warn(
          `${who}QKD: ${what} without a QKD key (qkd-mode optional, hybrid KEM only): ${reason}`,
        );
        return { kind: 'without', reason };
      }
      this.#counts.refused++;
      this.#log.warn(`${who}QKD: no ${what} without a QKD key (qkd-mode required): ${reason}`);
      return { kind: 'wait', reason };
    }
    this.#counts.keysAsInitiator++;
    const keyId = keyIdText(extra.keyId);
    this.#log.verbose(`${who}QKD: key ${keyId} fetched for the ${what} we start`);
    return { kind: 'key', extra, keyId };
  }

  /**
   * Answers the peer's `extra-secret-needed`: the key from our KME, or
   * undefined (then the session goes on without it, or refuses the epoch,
   * by the two sides' modes). Never rejects. The KME's reason is logged here.
   */
  async responder(
    who: string,
    e: {
      readonly keyId: number;
      readonly extraKeyId: Uint8Array;
      readonly initiatorSaeId: string;
      readonly mode: QkdMode;
    },
  ): Promise<{ readonly secret: Uint8Array; readonly keyId: string } | undefined> {
    const keyId = keyIdText(e.extraKeyId);
    try {
      const secret = await this.#o.source.forResponder(e.extraKeyId, e.initiatorSaeId);
      this.#counts.keysAsResponder++;
      return { secret, keyId };
    } catch (error) {
      const required = this.mode === 'required' || e.mode === 'required';
      if (required) this.#counts.refused++;
      else this.#counts.withoutQkd++;
      this.#log.warn(
        `${who}QKD: cannot get key ${keyId} offered for key id ${e.keyId} from our KME: ${messageOf(error)}; ` +
          (required
            ? `refusing the key epoch (qkd-mode ${this.mode}, peer ${e.mode})`
            : 'going on with the hybrid KEM only (qkd-mode optional)'),
      );
      return undefined;
    }
  }

  /**
   * How long to hold back the refusal of a peer's epoch whose key our KME did
   * not deliver: 0 when nothing is refused (optional on both sides) or for a
   * first handshake (no keys to keep); for a rekey, most of hand-window — the
   * session's handshake timeout would close it at hand-window anyway, this way
   * it closes with the QKD reason.
   */
  refusalHoldMs(established: boolean, peerMode: QkdMode): number {
    if (!established || (this.mode === 'optional' && peerMode === 'optional')) return 0;
    const g = this.#o.graceMs;
    return Math.max(0, g - Math.min(2000, g / 4));
  }

  /** Logs the QKD key an installed epoch uses, or that it runs without one. */
  installed(who: string, session: QkdSessionState, epoch: number, now?: number): void {
    const k = session.installed(epoch, now);
    // An optional-mode initiator is not told whether the responder got the key (the handshake
    // does not report it back): it says "offered"; the responder's log is the authority then.
    if (k && k.role === 'initiator' && this.mode === 'optional')
      this.#log.info(
        `${who}QKD key ${k.keyId} offered for key id ${epoch} (mixed in unless the peer's KME could not deliver it)`,
      );
    else if (k)
      this.#log.info(
        `${who}QKD key ${k.keyId} mixed into key id ${epoch} (${k.role === 'initiator' ? 'we started it' : 'the peer started it'})`,
      );
    else this.#log.verbose(`${who}QKD: key id ${epoch} runs without a QKD key`);
  }

  /** A session ended because its keys expired without a QKD rekey (required mode). */
  expired(who: string, waitedMs: number): string {
    this.#counts.expired++;
    const detail = `no QKD key for a rekey within ${Math.round(waitedMs / 1000)} s (hand-window); keys expired, traffic stops until QKD is back`;
    this.#log.warn(`${who}QKD: ${detail}`);
    return detail;
  }

  /** A reason for a handshake that closed for want of a QKD key, for the side that only got the alert. */
  explainClose(reason: string, by: 'local' | 'peer'): string | undefined {
    if (reason !== EXTRA_SECRET_UNAVAILABLE) return undefined;
    return by === 'peer'
      ? "the peer's KME did not deliver our QKD key, or the peer requires QKD and we had none " +
          '(are the KMEs linked? do qkd-sae-id and qkd-peer-sae-id match?)'
      : 'no QKD key for this epoch (see the QKD warning before)';
  }

  /** Refills the key source's prefetch queue ahead of a known rekey (a no-op when full or busy). */
  prefetch(): void {
    this.#o.source.prefetchNow?.();
  }
}

/** The mode to apply: the `qkd-mode` directive when configured, else the source's own, else optional. */
export function qkdModeOf(configured: QkdMode | undefined, source: QkdKeys): QkdMode {
  return configured ?? source.mode ?? 'optional';
}

/** An ETSI key ID (UTF-8 bytes on the wire) for a log line; odd bytes are shown escaped. */
export function keyIdText(keyId: Uint8Array): string {
  return printable(new TextDecoder('utf-8', { fatal: false }).decode(keyId));
}

function messageOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && !message.includes(code) ? `${message} [${code}]` : message;
}

/**
 * The status file's QKD section (status-file.ts puts it before GLOBAL STATS): one line per
 * session — name, real address, mode, the current epoch's QKD key ID (or
 * `none`), epochs without QKD, and the key IDs used (newest last, space
 * separated; a comma or white space inside a name or key ID becomes '_').
 */
export function qkdStatusLines(
  rows: readonly { readonly name: string; readonly address: string; readonly qkd: QkdSessionState }[],
): string[] {
  const lines = [
    'QKD KEYS',
    'Common Name,Real Address,Mode,Current QKD Key ID,Epochs Without QKD,QKD Key IDs Used',
  ];
  for (const r of rows) {
    const s = r.qkd.summary();
    lines.push(
      [
        field(r.name),
        r.address,
        s.mode,
        s.current ? field(s.current.keyId) : 'none',
        String(s.withoutQkd),
        s.keys.map((k) => field(k.keyId)).join(' '),
      ].join(','),
    );
  }
  return lines;
}

function field(text: string): string {
  return printable(text).replace(/[,\s]/g, '_');
}
