/**
 * Medians and spreads of repeated measurements.
 *
 * Every benchmark number is quoted as the median of several runs with the
 * min–max beside it (the machine drifts by about ±10 % between sessions, see
 * /work/shared/reference/baseline.md), and pqvpn is compared with OpenVPN as a
 * ratio of medians measured in the same run.
 * @module
 */

export interface Summary {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  /** How many values went in. */
  readonly n: number;
}

/** The median (mean of the two middle values for an even count). Throws on an empty list. */
export function median(values: readonly number[]): number {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) throw new RangeError('median of no values');
  const sorted = [...finite].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  // Halve before adding: (a + b) / 2 overflows to Infinity for values near Number.MAX_VALUE.
  return sorted.length % 2 === 1 ? sorted[mid]! : sorted[mid - 1]! / 2 + sorted[mid]! / 2;
}

/** Median, min and max of the finite values, or undefined when there are none. */
export function summarize(values: readonly number[]): Summary | undefined {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return undefined;
  return { median: median(finite), min: Math.min(...finite), max: Math.max(...finite), n: finite.length };
}

/** `a / b` of the medians, or undefined when either side is missing or b is 0. */
export function ratio(a: Summary | undefined, b: Summary | undefined): number | undefined {
  if (!a || !b || b.median === 0) return undefined;
  return a.median / b.median;
}
