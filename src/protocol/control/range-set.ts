/**
 * A set of integers stored as sorted, disjoint, half-open ranges [start, end).
 *
 * The reliability layer uses it for received packet numbers, acknowledged and
 * pending stream bytes, and reassembly coverage. Operations are linear in the
 * number of ranges, which the callers bound (MAX_RECEIVED_RANGES,
 * MAX_STREAM_GAPS).
 * @module
 */

export class RangeSet {
  /** Sorted, disjoint, non-adjacent [start, end) pairs. */
  private ranges: Array<[number, number]> = [];

  get size(): number {
    return this.ranges.length;
  }

  isEmpty(): boolean {
    return this.ranges.length === 0;
  }

  /** Adds [start, end), merging with overlapping or adjacent ranges. */
  add(start: number, end: number): void {
    if (end <= start) return;
    const out: Array<[number, number]> = [];
    let s = start;
    let e = end;
    let placed = false;
    for (const r of this.ranges) {
      if (r[1] < s) out.push(r);
      else if (r[0] > e) {
        if (!placed) {
          out.push([s, e]);
          placed = true;
        }
        out.push(r);
      } else {
        s = Math.min(s, r[0]);
        e = Math.max(e, r[1]);
      }
    }
    if (!placed) out.push([s, e]);
    this.ranges = out;
  }

  /** Removes [start, end). */
  remove(start: number, end: number): void {
    if (end <= start) return;
    const out: Array<[number, number]> = [];
    for (const r of this.ranges) {
      if (r[1] <= start || r[0] >= end) out.push(r);
      else {
        if (r[0] < start) out.push([r[0], start]);
        if (r[1] > end) out.push([end, r[1]]);
      }
    }
    this.ranges = out;
  }

  has(x: number): boolean {
    return this.ranges.some((r) => r[0] <= x && x < r[1]);
  }

  /** True when every integer of [start, end) is in the set. */
  covers(start: number, end: number): boolean {
    if (end <= start) return true;
    return this.ranges.some((r) => r[0] <= start && end <= r[1]);
  }

  /** How many ranges adding [start, end) would leave. */
  sizeAfterAdding(start: number, end: number): number {
    let overlapping = 0;
    for (const r of this.ranges) if (!(r[1] < start || r[0] > end)) overlapping++;
    return this.ranges.length - overlapping + 1;
  }

  /** The lowest range, if any. */
  first(): readonly [number, number] | undefined {
    return this.ranges[0];
  }

  /** End of the range starting at or containing `from`, or `from` when `from` is not in the set. */
  contiguousEnd(from: number): number {
    for (const r of this.ranges) if (r[0] <= from && from < r[1]) return r[1];
    return from;
  }

  /** Merges the two lowest ranges (filling the gap between them). */
  mergeLowest(): void {
    const a = this.ranges[0];
    const b = this.ranges[1];
    if (a && b) this.ranges.splice(0, 2, [a[0], b[1]]);
  }

  /** The ranges from highest to lowest, as inclusive [first, last] pairs (for ACK frames). */
  descendingInclusive(limit: number): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (let i = this.ranges.length - 1; i >= 0 && out.length < limit; i--) {
      const r = this.ranges[i]!;
      out.push([r[0], r[1] - 1]);
    }
    return out;
  }

  /** The parts of [start, end) not in the set. */
  missing(start: number, end: number): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    let at = start;
    for (const r of this.ranges) {
      if (r[1] <= at) continue;
      if (r[0] >= end) break;
      if (r[0] > at) out.push([at, Math.min(r[0], end)]);
      at = Math.max(at, r[1]);
      if (at >= end) break;
    }
    if (at < end) out.push([at, end]);
    return out;
  }

  toArray(): Array<[number, number]> {
    return this.ranges.map((r) => [r[0], r[1]]);
  }
}
