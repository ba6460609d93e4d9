/**
 * OpenVPN's `inactive N [BYTES]`: without BYTES, the client leaves after N
 * seconds with no packet through the TUN device; with BYTES, when an N-second
 * window carried fewer than BYTES in both directions together. Pure: the
 * driver counts bytes and asks with `now`.
 * @module
 */

export class Inactivity {
  readonly seconds: number;
  readonly bytes: number;
  #windowStart: number;
  #bytesAtStart: number;
  #lastActivity: number;

  constructor(limit: { readonly seconds: number; readonly bytes: number }, now: number, bytesSoFar: number) {
    this.seconds = limit.seconds;
    this.bytes = limit.bytes;
    this.#windowStart = now;
    this.#bytesAtStart = bytesSoFar;
    this.#lastActivity = now;
  }

  /** True when the limit is reached, given the total bytes through the device so far. */
  expired(now: number, totalBytes: number): boolean {
    const limit = this.seconds * 1000;
    if (this.bytes === 0) {
      if (totalBytes !== this.#bytesAtStart) {
        this.#bytesAtStart = totalBytes;
        this.#lastActivity = now;
      }
      return now - this.#lastActivity >= limit;
    }
    if (now - this.#windowStart < limit) return false;
    const moved = totalBytes - this.#bytesAtStart;
    this.#windowStart = now;
    this.#bytesAtStart = totalBytes;
    return moved < this.bytes;
  }

  toString(): string {
    return `inactive ${this.seconds}${this.bytes ? ` ${this.bytes}` : ''}`;
  }
}
