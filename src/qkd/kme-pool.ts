/**
 * The simulated QKD link's key budget: a bucket of key bits filled at a
 * constant rate (what a QKD link's secret key rate is) up to a capacity (the
 * KMEs' key storage). Taking keys empties it; when it holds fewer bits than a
 * request needs the request fails, and the KME answers 503 — the key
 * starvation a real link shows when its rate is below what its users consume.
 *
 * Sans-I/O: time comes in as `now` (ms), so tests drive it with a fake clock.
 * It counts bits only; the key bytes are drawn when a request is granted.
 * @module
 */

export interface KeyPoolOptions {
  /** Key bits added per second (0: a fixed stock that never refills). */
  readonly rateBitsPerSecond: number;
  /** Most bits the pool holds. */
  readonly capacityBits: number;
  /** Bits at `now` of creation. Default: full. */
  readonly initialBits?: number;
  readonly now: number;
}

export class KeyPool {
  readonly rateBitsPerSecond: number;
  readonly capacityBits: number;
  private bits: number;
  private at: number;

  constructor(options: KeyPoolOptions) {
    const { rateBitsPerSecond: rate, capacityBits: cap } = options;
    if (!Number.isFinite(rate) || rate < 0)
      throw new RangeError('rate must be a non-negative number of bits/s');
    if (!Number.isSafeInteger(cap) || cap < 0)
      throw new RangeError('capacity must be a non-negative integer');
    const initial = options.initialBits ?? cap;
    if (!Number.isSafeInteger(initial) || initial < 0 || initial > cap) {
      throw new RangeError('initial bits must be an integer from 0 to the capacity');
    }
    this.rateBitsPerSecond = rate;
    this.capacityBits = cap;
    this.bits = initial;
    this.at = options.now;
  }

  /** Whole bits available at `now`. */
  available(now: number): number {
    this.refill(now);
    return Math.floor(this.bits);
  }

  /** Takes `bits` if the pool holds them; false (and nothing taken) otherwise. */
  take(bits: number, now: number): boolean {
    this.refill(now);
    if (bits > this.bits) return false;
    this.bits -= bits;
    return true;
  }

  private refill(now: number): void {
    if (now > this.at) {
      this.bits = Math.min(this.capacityBits, this.bits + ((now - this.at) / 1000) * this.rateBitsPerSecond);
      this.at = now;
    }
  }
}
