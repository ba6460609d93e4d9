import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_REPLAY_WINDOW,
  MIN_REPLAY_WINDOW,
  ReplayWindow,
} from '../../../src/protocol/data/replay-window.js';

/** The specification of the window, as plainly as possible. */
class ModelWindow {
  readonly seen = new Set<number>();
  highest = 0;
  readonly size: number;
  constructor(size: number) {
    this.size = size;
  }
  accepts(c: number): boolean {
    return c >= 1 && !this.seen.has(c) && c > this.highest - this.size;
  }
  commit(c: number): boolean {
    if (!this.accepts(c)) return false;
    this.seen.add(c);
    this.highest = Math.max(this.highest, c);
    return true;
  }
}

const sizes = fc.constantFrom(32, 64, 96, 128, 2048);

describe('ReplayWindow', () => {
  it('defaults to at least the protocol minimum', () => {
    expect(new ReplayWindow().size).toBe(DEFAULT_REPLAY_WINDOW);
    expect(DEFAULT_REPLAY_WINDOW).toBeGreaterThanOrEqual(MIN_REPLAY_WINDOW);
  });

  it('rejects counter 0, duplicates and counters older than the window', () => {
    const w = new ReplayWindow(64);
    expect(w.check(0)).toBe('zero');
    expect(w.commit(0)).toBe(false);
    expect(w.commit(1)).toBe(true);
    expect(w.check(1)).toBe('duplicate');
    expect(w.commit(1)).toBe(false);
    expect(w.commit(100)).toBe(true);
    expect(w.check(36)).toBe('too-old'); // 100 - 36 = 64 = size
    expect(w.check(37)).toBe('fresh');
    expect(w.commit(37)).toBe(true);
    expect(w.check(37)).toBe('duplicate');
    expect(w.highest).toBe(100);
  });

  it('check never changes state', () => {
    const w = new ReplayWindow(64);
    w.commit(10);
    const before = w.snapshot();
    for (const c of [0, 1, 9, 10, 11, 74, 1_000_000]) w.check(c);
    expect(w.snapshot()).toEqual(before);
  });

  it('handles huge jumps and counters near 2^48', () => {
    const w = new ReplayWindow(2048);
    expect(w.commit(5)).toBe(true);
    const big = 2 ** 48 - 1;
    expect(w.commit(big - 3000)).toBe(true);
    expect(w.check(5)).toBe('too-old');
    expect(w.commit(big)).toBe(true);
    expect(w.check(big - 3000)).toBe('too-old');
    expect(w.commit(big - 2047)).toBe(true);
    expect(w.check(big - 2048)).toBe('too-old');
    expect(w.check(big - 2047)).toBe('duplicate');
    expect(w.check(big - 1)).toBe('fresh');
  });

  it.each([0, 16, 33, 2 ** 21, 1.5])('rejects window size %s', (size) => {
    expect(() => new ReplayWindow(size)).toThrow(expect.objectContaining({ code: 'DATA_CONFIG_INVALID' }));
  });

  it('agrees exactly with the model on arbitrary sequences (never accepts a duplicate, accepts every fresh counter in the window, rejects older ones)', () => {
    fc.assert(
      fc.property(
        sizes,
        fc.array(
          fc.oneof(
            fc.integer({ min: 0, max: 300 }),
            fc.integer({ min: 0, max: 5000 }),
            fc.integer({ min: 2 ** 40, max: 2 ** 40 + 3000 }),
          ),
          { maxLength: 400 },
        ),
        (size, counters) => {
          const w = new ReplayWindow(size);
          const m = new ModelWindow(size);
          for (const c of counters) {
            const expected = m.accepts(c);
            expect(w.check(c) === 'fresh').toBe(expected);
            expect(w.commit(c)).toBe(m.commit(c));
            expect(w.highest).toBe(m.highest);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('accepts every counter of a stream reordered within the window exactly once, then rejects all replays', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 }), fc.integer({ min: 1, max: 500 }), (seed, n) => {
        const size = 64;
        // Shuffle within consecutive chunks of size/2: a counter arrives when the highest seen
        // is at most size/2 above it, so it is always inside the window.
        const order = Array.from({ length: n }, (_, i) => i + 1);
        let s = seed;
        for (let start = 0; start < n; start += size / 2) {
          const end = Math.min(n, start + size / 2);
          for (let i = end - 1; i > start; i--) {
            s = (Math.imul(s, 1103515245) + 12345) >>> 0;
            const j = start + (s % (i - start + 1));
            [order[i], order[j]] = [order[j]!, order[i]!];
          }
        }
        const w = new ReplayWindow(size);
        expect(order.every((c) => w.commit(c))).toBe(true);
        expect(order.some((c) => w.commit(c) || w.check(c) === 'fresh')).toBe(false);
      }),
      { numRuns: 200 },
    );
  });
});
