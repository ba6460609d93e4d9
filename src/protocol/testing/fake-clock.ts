/**
 * A clock that moves only when a test says so.
 *
 * Every pqvpn state machine takes `now` (milliseconds) as an argument instead of
 * reading `Date.now()`, so tests of keepalives, retransmission back-off or key
 * expiry advance this clock instead of sleeping. Time never goes backwards:
 * moving it back is a test bug and throws.
 * @module
 */

export class FakeClock {
  #now: number;

  constructor(start = 0) {
    if (!Number.isFinite(start)) throw new RangeError(`start must be finite, got ${start}`);
    this.#now = start;
  }

  /** Current time in milliseconds. */
  get now(): number {
    return this.#now;
  }

  /** Move forward by `ms` (≥ 0) and return the new time. */
  advance(ms: number): number {
    if (!(ms >= 0) || !Number.isFinite(ms)) throw new RangeError(`cannot advance by ${ms} ms`);
    this.#now += ms;
    return this.#now;
  }

  /** Move to `time` (≥ now) and return it. */
  advanceTo(time: number): number {
    if (!Number.isFinite(time) || time < this.#now) {
      throw new RangeError(`clock cannot move from ${this.#now} back to ${time}`);
    }
    this.#now = time;
    return this.#now;
  }
}
