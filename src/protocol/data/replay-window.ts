/**
 * Sliding anti-replay window over 64-bit packet counters (RFC 6479 bitmap).
 *
 * The receiver remembers the highest counter it has accepted and one bit per
 * counter in the `size` counters below it. A counter is fresh when it is above
 * the highest, or inside the window with its bit clear; anything at or below
 * `highest - size` is "too old" and rejected, so memory stays bounded however
 * long the session lives.
 *
 * Two phases, as WireGuard and boringtun do (`will_accept` / `mark_did_receive`):
 *   1. `check(counter)` before decryption — cheap, changes nothing, so a forged
 *      packet costs the attacker an AES-GCM verification at most and never
 *      moves the window;
 *   2. `commit(counter)` only after the AEAD tag has verified — re-checks (the
 *      contract stays safe even if someone interleaves two packets between the
 *      phases) and records the counter.
 *
 * Layout: a ring of `size / 32 + 1` 32-bit words. Counter `c` lives in word
 * `floor(c / 32) mod words`, bit `c mod 32`. The extra word means the ring
 * covers every counter in `(highest - size, highest]` without two of them
 * sharing a bit. When `highest` advances, the words for the blocks it skips are
 * cleared (at most the whole ring), so advancing is O(min(jump, size) / 32).
 *
 * Counters are JavaScript numbers: callers drop anything above
 * `MAX_PACKET_COUNTER` (2^48 − 1) before asking, so arithmetic here is exact.
 * Counter 0 is never valid (senders start at 1).
 * @module
 */

import { DataChannelError } from './errors.js';

/** The protocol's minimum window (docs/PROTOCOL.md §11.5). */
export const MIN_REPLAY_WINDOW = 2048;
/**
 * Default window: 8192 counters (WireGuard's order of magnitude), ~1 KiB per key.
 * At 90k packets/s (1 Gbit/s of 1400-byte packets) it tolerates ~90 ms of reordering.
 */
export const DEFAULT_REPLAY_WINDOW = 8192;
/** Upper bound on configurable sizes, to keep memory per key small. */
export const MAX_REPLAY_WINDOW = 1 << 20;

export type ReplayVerdict = 'fresh' | 'zero' | 'duplicate' | 'too-old';

export class ReplayWindow {
  /** Number of counters below `highest` the window remembers. */
  readonly size: number;
  readonly #bits: Uint32Array;
  readonly #words: number;
  #highest = 0;

  /**
   * @param size multiple of 32 in [32, 2^20]. The data channel requires at least
   *   `MIN_REPLAY_WINDOW`; smaller sizes exist so property tests can explore the
   *   edges quickly.
   */
  constructor(size: number = DEFAULT_REPLAY_WINDOW) {
    if (!Number.isInteger(size) || size < 32 || size > MAX_REPLAY_WINDOW || size % 32 !== 0) {
      throw new DataChannelError(
        'DATA_CONFIG_INVALID',
        `replay window must be a multiple of 32 in 32..2^20, got ${size}`,
      );
    }
    this.size = size;
    this.#words = size / 32 + 1;
    this.#bits = new Uint32Array(this.#words);
  }

  /** Highest counter accepted so far (0 before the first). */
  get highest(): number {
    return this.#highest;
  }

  /** Phase 1: would `counter` be accepted? Changes nothing. */
  check(counter: number): ReplayVerdict {
    if (counter === 0) return 'zero';
    if (counter > this.#highest) return 'fresh';
    if (this.#highest - counter >= this.size) return 'too-old';
    const word = this.#bits[Math.floor(counter / 32) % this.#words]!;
    return (word >>> (counter % 32)) & 1 ? 'duplicate' : 'fresh';
  }

  /**
   * Phase 2: record `counter` after its packet authenticated. Returns false (and
   * records nothing) if it is no longer fresh.
   */
  commit(counter: number): boolean {
    if (this.check(counter) !== 'fresh') return false;
    if (counter > this.#highest) {
      const current = Math.floor(this.#highest / 32);
      const target = Math.floor(counter / 32);
      const clear = Math.min(target - current, this.#words);
      for (let i = 1; i <= clear; i++) this.#bits[(current + i) % this.#words] = 0;
      this.#highest = counter;
    }
    const index = Math.floor(counter / 32) % this.#words;
    this.#bits[index] = (this.#bits[index]! | (1 << (counter % 32))) >>> 0;
    return true;
  }

  /** A copy of the internal state, for tests that assert "nothing changed". */
  snapshot(): { highest: number; bits: Uint32Array } {
    return { highest: this.#highest, bits: this.#bits.slice() };
  }
}
