import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DeadlineTimer, SerialQueue } from '../../src/runtime/deadline-timer.js';

describe('DeadlineTimer', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('fires once at the latest armed deadline; Infinity disarms', () => {
    const fired: number[] = [];
    const t = new DeadlineTimer(Date.now, () => fired.push(Date.now()));
    t.arm(1_000_500);
    t.arm(1_000_200); // replaces the earlier deadline
    vi.advanceTimersByTime(199);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(fired).toEqual([1_000_200]);
    vi.advanceTimersByTime(1_000);
    expect(fired).toHaveLength(1);
    t.arm(1_002_000);
    t.arm(Number.POSITIVE_INFINITY);
    vi.advanceTimersByTime(5_000);
    expect(fired).toHaveLength(1);
    expect(t.deadline).toBe(Number.POSITIVE_INFINITY);
  });

  it('never fires before the clock reaches the deadline, even if the timer runs early', () => {
    let skew = 0;
    const fired: number[] = [];
    const t = new DeadlineTimer(
      () => Date.now() + skew,
      () => fired.push(Date.now() + skew),
    );
    t.arm(1_000_100);
    skew = -5; // from now on the injected clock lags the timer clock by 5 ms
    vi.advanceTimersByTime(100);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(5);
    expect(fired).toHaveLength(1);
    expect(fired[0]).toBeGreaterThanOrEqual(1_000_100);
  });

  it('a past deadline fires on the next turn', () => {
    const fired: number[] = [];
    new DeadlineTimer(Date.now, () => fired.push(1)).arm(0);
    vi.advanceTimersByTime(1);
    expect(fired).toEqual([1]);
  });
});

describe('SerialQueue', () => {
  it('runs a call made from inside another after it, in order, and rethrows the first error at the end', () => {
    const q = new SerialQueue();
    const log: string[] = [];
    q.run(() => {
      log.push('a1');
      q.run(() => log.push('b'));
      log.push('a2');
    });
    expect(log).toEqual(['a1', 'a2', 'b']);
    expect(() =>
      q.run(() => {
        q.run(() => log.push('after-error'));
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(log.at(-1)).toBe('after-error');
    q.run(() => log.push('still works'));
    expect(log.at(-1)).toBe('still works');
  });
});
