/**
 * An in-memory network and event loop for testing sans-I/O protocol endpoints.
 *
 * pqvpn's state machines never touch a socket or a timer: they take
 * `(now, input)` and return actions. `SimNetwork` is the other half for tests —
 * a deterministic event loop that carries `send` actions between endpoints over
 * simulated links and fires each endpoint's timer, in time order, on a fake
 * clock. Two whole endpoints (a client and a server, or two data channels) run
 * in one process in milliseconds, however many "seconds" pass.
 *
 * How to use it (the test-double contract):
 *
 * ```ts
 * const net = new SimNetwork<MyEvent>({ seed: 42, link: { latencyMs: 20, jitterMs: 10, lossRate: 0.05 } });
 * net.addEndpoint('client', clientAdapter, { peer: 'server' });
 * net.addEndpoint('server', serverAdapter, { peer: 'client' });
 * net.perform('client', client.start(net.now));      // kick off: apply actions produced outside
 * net.schedule(5_000, (now) => net.setLink('client', 'server', { lossRate: 1 })); // cut a link later
 * net.run({ until: 60_000 });
 * expect(net.events.map((e) => e.event.type)).toContain('established');
 * ```
 *
 * - An endpoint implements `SimEndpoint`: `receive(now, datagram, from)` and
 *   `onTimer(now)`, each returning actions. Adapt a state machine whose API
 *   differs with a few lines of glue in the test.
 * - Actions: `{ type: 'send', datagram, to? }` (without `to`, to the endpoint's
 *   default `peer`), `{ type: 'timer', at }` and anything else, which is an
 *   event: recorded in `net.events` with time and endpoint, and passed to
 *   `onEvent` so a test can react (install keys, inject traffic).
 * - Timers: one per endpoint; the last `timer` action of a batch replaces the
 *   previous deadline (a state machine always reports its earliest deadline, as
 *   boringtun's `update_timers` contract); `at: Infinity` clears it; a deadline
 *   in the past fires at the current time. `onTimer` may be called when nothing
 *   is due (after a re-arm raced a delivery), so it must be idempotent.
 * - Links are per direction between endpoint names: latency, uniform jitter,
 *   loss, duplication, reordering (a datagram held back by an extra random
 *   delay) and a maximum datagram size (larger datagrams are dropped, as a path
 *   MTU would). All randomness comes from a PRNG seeded by `seed`: the same seed
 *   and the same test give the same run, byte for byte.
 * - Datagrams are copied when sent, so an endpoint may reuse its buffers.
 * - Runs are bounded: `run` stops at `until`, when idle, or when `stopWhen`
 *   holds, and throws `SimulationError` (code `SIM_STEP_LIMIT` or
 *   `SIM_TIMER_STORM`) instead of looping forever.
 * - Roaming: `moveEndpoint` gives an endpoint a new address; datagrams it sends
 *   carry the new `from`, and datagrams still addressed to the old one are lost.
 * @module
 */

import { PqvpnError } from '../../errors.js';
import { EventQueue } from './event-queue.js';
import { FakeClock } from './fake-clock.js';
import { createPrng, type Prng } from './prng.js';

export interface SendAction {
  readonly type: 'send';
  readonly datagram: Uint8Array;
  /** Destination address; default: the sending endpoint's `peer`. */
  readonly to?: string;
}

export interface TimerAction {
  readonly type: 'timer';
  /** Absolute time (ms) to call `onTimer`; `Infinity` clears the timer. */
  readonly at: number;
}

/** Anything with a `type` other than 'send' or 'timer' is an event for the test. */
export interface EndpointEvent {
  readonly type: string;
}

export type SimAction<E extends EndpointEvent = EndpointEvent> = SendAction | TimerAction | E;

export interface SimEndpoint<E extends EndpointEvent = EndpointEvent> {
  receive(now: number, datagram: Uint8Array, from: string): readonly SimAction<E>[];
  onTimer(now: number): readonly SimAction<E>[];
}

export interface LinkConditions {
  /** One-way base delay in ms. Default 10. */
  readonly latencyMs?: number;
  /** Extra uniform delay in [0, jitterMs] per datagram (reorders datagrams sent close together). Default 0. */
  readonly jitterMs?: number;
  /** Probability a datagram is lost. Default 0. */
  readonly lossRate?: number;
  /** Probability a datagram is delivered twice (the copy gets its own delay). Default 0. */
  readonly duplicateRate?: number;
  /** Probability a datagram is held back by an extra uniform [0, reorderDelayMs]. Default 0. */
  readonly reorderRate?: number;
  /** Maximum hold-back for reordered datagrams, ms. Default 50. */
  readonly reorderDelayMs?: number;
  /** Datagrams longer than this are dropped (a path MTU). Default: no limit. */
  readonly maxDatagramSize?: number;
}

export interface LinkStats {
  sent: number;
  delivered: number;
  lost: number;
  oversize: number;
  duplicated: number;
  /** Deliveries that overtook a datagram sent earlier on the same link. */
  reordered: number;
  /** Datagrams addressed to an address nobody has (e.g. after a move). */
  noRoute: number;
}

export interface SimEventRecord<E extends EndpointEvent = EndpointEvent> {
  readonly at: number;
  readonly endpoint: string;
  readonly event: E;
}

export type DatagramFate = 'scheduled' | 'lost' | 'oversize' | 'no-route';

export interface DatagramRecord {
  readonly sentAt: number;
  readonly from: string;
  readonly to: string;
  readonly bytes: Uint8Array;
  readonly fate: DatagramFate;
  /** Delivery times (two for a duplicated datagram), when scheduled. */
  readonly deliverAt: readonly number[];
}

export interface SimNetworkOptions<E extends EndpointEvent = EndpointEvent> {
  readonly seed: number;
  /** Initial clock value in ms. Default 0. */
  readonly start?: number;
  /** Default conditions for every link. */
  readonly link?: LinkConditions;
  /** Step budget per `run` call. Default 1,000,000. */
  readonly maxSteps?: number;
  /** Called for every event an endpoint emits, after its batch of actions is applied. */
  readonly onEvent?: (record: SimEventRecord<E>) => void;
  /** Called for every datagram sent, with its fate (a packet capture for debugging). */
  readonly onDatagram?: (record: DatagramRecord) => void;
}

export interface RunOptions {
  /** Process everything due at or before this time, then leave the clock here. */
  readonly until?: number;
  /** Step budget for this run (overrides the network's). */
  readonly maxSteps?: number;
  /** Checked after every step; the run stops as soon as it returns true. */
  readonly stopWhen?: () => boolean;
}

export interface RunResult {
  readonly steps: number;
  readonly now: number;
  readonly reason: 'until' | 'idle' | 'stopped';
}

export class SimulationError extends PqvpnError {
  constructor(code: 'SIM_STEP_LIMIT' | 'SIM_TIMER_STORM' | 'SIM_MISUSE', message: string) {
    super(code, message);
  }
}

interface EndpointState<E extends EndpointEvent> {
  readonly endpoint: SimEndpoint<E>;
  address: string;
  peer: string | undefined;
  timerAt: number;
  timerGeneration: number;
  firesAtSameTime: number;
  lastFireTime: number;
}

interface Link {
  conditions: Required<LinkConditions>;
  readonly prng: Prng;
  readonly stats: LinkStats;
  sendSeq: number;
  highestDeliveredSeq: number;
}

type QueueItem =
  | {
      readonly kind: 'deliver';
      readonly to: string;
      readonly from: string;
      readonly bytes: Uint8Array;
      readonly link: Link;
      readonly seq: number;
    }
  | { readonly kind: 'timer'; readonly endpoint: string; readonly generation: number }
  | { readonly kind: 'callback'; readonly fn: (now: number) => void };

const TIMER_STORM_LIMIT = 10_000;

export class SimNetwork<E extends EndpointEvent = EndpointEvent> {
  readonly clock: FakeClock;
  /** Every event any endpoint emitted, in order. */
  readonly events: SimEventRecord<E>[] = [];
  readonly #prng: Prng;
  readonly #queue = new EventQueue<QueueItem>();
  readonly #endpoints = new Map<string, EndpointState<E>>();
  readonly #addresses = new Map<string, string>();
  readonly #links = new Map<string, Link>();
  readonly #defaults: Required<LinkConditions>;
  readonly #maxSteps: number;
  readonly #onEvent: ((record: SimEventRecord<E>) => void) | undefined;
  readonly #onDatagram: ((record: DatagramRecord) => void) | undefined;
  #noRoute = 0;

  constructor(options: SimNetworkOptions<E>) {
    this.clock = new FakeClock(options.start ?? 0);
    this.#prng = createPrng(options.seed);
    this.#defaults = withDefaults(options.link ?? {}, undefined);
    this.#maxSteps = options.maxSteps ?? 1_000_000;
    this.#onEvent = options.onEvent;
    this.#onDatagram = options.onDatagram;
  }

  get now(): number {
    return this.clock.now;
  }

  /** Register an endpoint; its name is also its first address. */
  addEndpoint(name: string, endpoint: SimEndpoint<E>, options: { peer?: string } = {}): void {
    if (this.#endpoints.has(name) || this.#addresses.has(name)) {
      throw new SimulationError('SIM_MISUSE', `endpoint or address '${name}' already exists`);
    }
    this.#endpoints.set(name, {
      endpoint,
      address: name,
      peer: options.peer,
      timerAt: Number.POSITIVE_INFINITY,
      timerGeneration: 0,
      firesAtSameTime: 0,
      lastFireTime: Number.NaN,
    });
    this.#addresses.set(name, name);
  }

  /** Give an endpoint a new address (roaming). Its old address stops receiving. */
  moveEndpoint(name: string, newAddress: string): void {
    const state = this.#state(name);
    if (this.#addresses.has(newAddress))
      throw new SimulationError('SIM_MISUSE', `address '${newAddress}' is taken`);
    this.#addresses.delete(state.address);
    state.address = newAddress;
    this.#addresses.set(newAddress, name);
  }

  /** The address an endpoint currently sends from. */
  addressOf(name: string): string {
    return this.#state(name).address;
  }

  /** Change the default destination of an endpoint's `send` actions without `to`. */
  setPeer(name: string, peer: string): void {
    this.#state(name).peer = peer;
  }

  /** Change conditions for the direction `from` → `to` (endpoint names); unset fields keep their current values. */
  setLink(from: string, to: string, conditions: LinkConditions): void {
    const link = this.#link(from, to);
    link.conditions = withDefaults(conditions, link.conditions);
  }

  /** `setLink` in both directions. */
  setLinks(a: string, b: string, conditions: LinkConditions): void {
    this.setLink(a, b, conditions);
    this.setLink(b, a, conditions);
  }

  linkStats(from: string, to: string): Readonly<LinkStats> {
    return { ...this.#link(from, to).stats };
  }

  /** Sum over all links, plus datagrams that had no route. */
  totals(): Readonly<LinkStats> {
    const total = emptyStats();
    for (const link of this.#links.values()) {
      for (const key of Object.keys(total) as (keyof LinkStats)[]) total[key] += link.stats[key];
    }
    total.noRoute += this.#noRoute;
    return total;
  }

  /** The endpoint's armed timer, or Infinity. */
  timerOf(name: string): number {
    return this.#state(name).timerAt;
  }

  /** Apply actions as if endpoint `name` had just returned them (start a handshake, inject traffic). */
  perform(name: string, actions: readonly SimAction<E>[]): void {
    this.#apply(name, actions);
  }

  /** Run `fn(now)` at time `at` (a test hook; it may call `perform`, `setLink`, …). */
  schedule(at: number, fn: (now: number) => void): void {
    this.#queue.push(Math.max(at, this.now), { kind: 'callback', fn });
  }

  /** Process the next queued item. Returns false when nothing is queued. */
  step(): boolean {
    const next = this.#queue.pop();
    if (next === undefined) return false;
    this.clock.advanceTo(Math.max(next.at, this.now));
    const item = next.item;
    switch (item.kind) {
      case 'deliver': {
        const target = this.#addresses.get(item.to);
        const link = item.link;
        if (target === undefined) {
          link.stats.noRoute++;
          return true;
        }
        link.stats.delivered++;
        if (item.seq < link.highestDeliveredSeq) link.stats.reordered++;
        else link.highestDeliveredSeq = item.seq;
        const state = this.#state(target);
        this.#apply(target, state.endpoint.receive(this.now, item.bytes, item.from));
        return true;
      }
      case 'timer': {
        const state = this.#state(item.endpoint);
        if (item.generation !== state.timerGeneration) return true; // re-armed since
        state.timerAt = Number.POSITIVE_INFINITY;
        if (state.lastFireTime === this.now) {
          if (++state.firesAtSameTime > TIMER_STORM_LIMIT) {
            throw new SimulationError(
              'SIM_TIMER_STORM',
              `endpoint '${item.endpoint}' re-armed its timer for ${this.now} more than ${TIMER_STORM_LIMIT} times`,
            );
          }
        } else {
          state.lastFireTime = this.now;
          state.firesAtSameTime = 0;
        }
        this.#apply(item.endpoint, state.endpoint.onTimer(this.now));
        return true;
      }
      case 'callback':
        item.fn(this.now);
        return true;
    }
  }

  /** Run the event loop. Without `until`, runs until nothing is queued (a periodic timer never idles). */
  run(options: RunOptions = {}): RunResult {
    const budget = options.maxSteps ?? this.#maxSteps;
    const until = options.until ?? Number.POSITIVE_INFINITY;
    if (until < this.now)
      throw new SimulationError('SIM_MISUSE', `cannot run until ${until}: it is already ${this.now}`);
    let steps = 0;
    for (;;) {
      if (options.stopWhen?.()) return { steps, now: this.now, reason: 'stopped' };
      const nextAt = this.#queue.peekTime();
      if (nextAt === undefined || nextAt > until) {
        if (Number.isFinite(until)) {
          this.clock.advanceTo(until);
          return { steps, now: this.now, reason: 'until' };
        }
        return { steps, now: this.now, reason: 'idle' };
      }
      if (steps >= budget) {
        throw new SimulationError(
          'SIM_STEP_LIMIT',
          `simulation exceeded ${budget} steps at t=${this.now} ms`,
        );
      }
      this.step();
      steps++;
    }
  }

  #apply(name: string, actions: readonly SimAction<E>[]): void {
    const state = this.#state(name);
    const emitted: SimEventRecord<E>[] = [];
    let newTimer: number | undefined;
    for (const action of actions) {
      if (action.type === 'send') {
        const send = action as SendAction;
        this.#send(name, state, send.to ?? state.peer, send.datagram);
      } else if (action.type === 'timer') {
        newTimer = (action as TimerAction).at;
      } else {
        emitted.push({ at: this.now, endpoint: name, event: action as E });
      }
    }
    if (newTimer !== undefined) {
      state.timerGeneration++;
      state.timerAt = newTimer;
      if (newTimer !== Number.POSITIVE_INFINITY) {
        if (Number.isNaN(newTimer))
          throw new SimulationError('SIM_MISUSE', `endpoint '${name}' armed a NaN timer`);
        this.#queue.push(Math.max(newTimer, this.now), {
          kind: 'timer',
          endpoint: name,
          generation: state.timerGeneration,
        });
      }
    }
    for (const record of emitted) {
      this.events.push(record);
      this.#onEvent?.(record);
    }
  }

  #send(name: string, state: EndpointState<E>, to: string | undefined, datagram: Uint8Array): void {
    if (to === undefined) {
      throw new SimulationError('SIM_MISUSE', `endpoint '${name}' sent without 'to' and has no default peer`);
    }
    const bytes = Uint8Array.from(datagram);
    const targetName = this.#addresses.get(to);
    const from = state.address;
    if (targetName === undefined) {
      this.#noRoute++;
      this.#onDatagram?.({ sentAt: this.now, from, to, bytes, fate: 'no-route', deliverAt: [] });
      return;
    }
    const link = this.#link(name, targetName);
    const c = link.conditions;
    link.stats.sent++;
    const seq = link.sendSeq++;
    let fate: DatagramFate = 'scheduled';
    const deliverAt: number[] = [];
    if (bytes.length > c.maxDatagramSize) {
      link.stats.oversize++;
      fate = 'oversize';
    } else if (link.prng.chance(c.lossRate)) {
      link.stats.lost++;
      fate = 'lost';
    } else {
      const copies = link.prng.chance(c.duplicateRate) ? 2 : 1;
      if (copies === 2) link.stats.duplicated++;
      for (let i = 0; i < copies; i++) {
        let delay = c.latencyMs + link.prng.float() * c.jitterMs;
        if (link.prng.chance(c.reorderRate)) delay += link.prng.float() * c.reorderDelayMs;
        const at = this.now + delay;
        deliverAt.push(at);
        this.#queue.push(at, {
          kind: 'deliver',
          to,
          from,
          bytes: i === 0 ? bytes : Uint8Array.from(bytes),
          seq,
          link,
        });
      }
    }
    this.#onDatagram?.({ sentAt: this.now, from, to, bytes, fate, deliverAt });
  }

  #state(name: string): EndpointState<E> {
    const state = this.#endpoints.get(name);
    if (state === undefined) throw new SimulationError('SIM_MISUSE', `no endpoint named '${name}'`);
    return state;
  }

  #link(from: string, to: string): Link {
    this.#state(from);
    this.#state(to);
    const key = `${from}\u0000${to}`;
    let link = this.#links.get(key);
    if (link === undefined) {
      link = {
        conditions: this.#defaults,
        prng: this.#prng.fork(),
        stats: emptyStats(),
        sendSeq: 0,
        highestDeliveredSeq: -1,
      };
      this.#links.set(key, link);
    }
    return link;
  }
}

function emptyStats(): LinkStats {
  return { sent: 0, delivered: 0, lost: 0, oversize: 0, duplicated: 0, reordered: 0, noRoute: 0 };
}

function withDefaults(
  c: LinkConditions,
  base: Required<LinkConditions> | undefined,
): Required<LinkConditions> {
  const merged: Required<LinkConditions> = {
    latencyMs: c.latencyMs ?? base?.latencyMs ?? 10,
    jitterMs: c.jitterMs ?? base?.jitterMs ?? 0,
    lossRate: c.lossRate ?? base?.lossRate ?? 0,
    duplicateRate: c.duplicateRate ?? base?.duplicateRate ?? 0,
    reorderRate: c.reorderRate ?? base?.reorderRate ?? 0,
    reorderDelayMs: c.reorderDelayMs ?? base?.reorderDelayMs ?? 50,
    maxDatagramSize: c.maxDatagramSize ?? base?.maxDatagramSize ?? Number.POSITIVE_INFINITY,
  };
  for (const [key, value] of Object.entries(merged)) {
    const isRate = key.endsWith('Rate');
    if (
      Number.isNaN(value) ||
      value < 0 ||
      (isRate && value > 1) ||
      (!isRate && key !== 'maxDatagramSize' && !Number.isFinite(value))
    ) {
      throw new SimulationError('SIM_MISUSE', `link condition ${key} out of range: ${value}`);
    }
  }
  return merged;
}
