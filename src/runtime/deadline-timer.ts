/**
 * One real timer re-armed to a state machine's earliest deadline, and a
 * run-to-completion queue: the two pieces of glue between the pure handshake
 * machines (which return `timer` actions with absolute times) and Node's
 * event loop.
 *
 * Deadlines are absolute milliseconds on the same clock the machines get as
 * `now` (Date.now() in production). The timer is `unref`ed: a control plane
 * never keeps a process alive by itself — the driver's socket does.
 * @module
 */

/** setTimeout's largest delay (2^31 - 1 ms); longer waits re-arm on expiry. */
const MAX_DELAY_MS = 0x7fff_ffff;

export class DeadlineTimer {
  private handle: NodeJS.Timeout | undefined;
  private armedAt = Number.POSITIVE_INFINITY;
  private readonly clock: () => number;
  private readonly fire: () => void;

  /** `fire` is called once the clock has reached the armed deadline (never early by the clock). */
  constructor(clock: () => number, fire: () => void) {
    this.clock = clock;
    this.fire = fire;
  }

  /** The armed deadline (Infinity: none). */
  get deadline(): number {
    return this.armedAt;
  }

  /** Replaces any earlier deadline; `Infinity` disarms. */
  arm(at: number): void {
    if (at === this.armedAt && this.handle) return;
    this.cancel();
    if (!(at < Number.POSITIVE_INFINITY)) return;
    this.armedAt = at;
    this.schedule();
  }

  cancel(): void {
    if (this.handle) clearTimeout(this.handle);
    this.handle = undefined;
    this.armedAt = Number.POSITIVE_INFINITY;
  }

  private schedule(): void {
    const delay = Math.min(MAX_DELAY_MS, Math.max(0, this.armedAt - this.clock()));
    this.handle = setTimeout(() => {
      this.handle = undefined;
      // Node's timers run on a monotonic clock; Date.now() may lag it by a millisecond.
      if (this.clock() < this.armedAt) return this.schedule();
      this.armedAt = Number.POSITIVE_INFINITY;
      this.fire();
    }, delay);
    this.handle.unref();
  }
}

/**
 * Runs calls one at a time, in order. A driver may call the control plane
 * again from inside a sink callback (answering `auth-needed` synchronously,
 * say); that call is queued and runs after the actions of the current one,
 * so actions keep their order and a stale `timer` action never overrides a
 * newer one. The first error thrown is rethrown once the queue is drained.
 */
export class SerialQueue {
  private readonly queue: Array<() => void> = [];
  private busy = false;

  run(task: () => void): void {
    this.queue.push(task);
    if (this.busy) return;
    this.busy = true;
    let failure: { error: unknown } | undefined;
    try {
      for (let next = this.queue.shift(); next; next = this.queue.shift()) {
        try {
          next();
        } catch (error) {
          failure ??= { error };
        }
      }
    } finally {
      this.busy = false;
    }
    if (failure) throw failure.error;
  }
}
