import { describe, expect, it } from 'vitest';
import { EventQueue } from '../../../src/protocol/testing/event-queue.js';
import { FakeClock } from '../../../src/protocol/testing/fake-clock.js';
import {
  type DatagramRecord,
  type SimAction,
  type SimEndpoint,
  SimNetwork,
} from '../../../src/protocol/testing/network.js';
import { createPrng } from '../../../src/protocol/testing/prng.js';

type Note = { type: 'got'; n: number; from: string } | { type: 'tick'; at: number };

/** Records every datagram's first 4 bytes as a sequence number. */
class Sink implements SimEndpoint<Note> {
  readonly got: number[] = [];
  receive(_now: number, datagram: Uint8Array, from: string): SimAction<Note>[] {
    const n = new DataView(datagram.buffer, datagram.byteOffset).getUint32(0);
    this.got.push(n);
    return [{ type: 'got', n, from }];
  }
  onTimer(): SimAction<Note>[] {
    return [];
  }
}

function numbered(n: number, size = 8): Uint8Array {
  const b = new Uint8Array(size);
  new DataView(b.buffer).setUint32(0, n);
  return b;
}

function blast(net: SimNetwork<Note>, from: string, count: number, size = 8, spacingMs = 1): void {
  for (let i = 0; i < count; i++) {
    net.schedule(i * spacingMs, () => net.perform(from, [{ type: 'send', datagram: numbered(i, size) }]));
  }
}

describe('prng', () => {
  it('is deterministic per seed and differs between seeds', () => {
    const a = createPrng(7);
    const b = createPrng(7);
    const c = createPrng(8);
    const sa = Array.from({ length: 8 }, () => a.nextUint32());
    expect(Array.from({ length: 8 }, () => b.nextUint32())).toEqual(sa);
    expect(Array.from({ length: 8 }, () => c.nextUint32())).not.toEqual(sa);
  });

  it('gives roughly uniform floats and bytes', () => {
    const p = createPrng(1);
    let sum = 0;
    for (let i = 0; i < 100_000; i++) sum += p.float();
    expect(sum / 100_000).toBeGreaterThan(0.49);
    expect(sum / 100_000).toBeLessThan(0.51);
    const bytes = p.randomBytes(4099);
    expect(bytes.length).toBe(4099);
    expect(new Set(bytes).size).toBeGreaterThan(250);
    expect(() => p.int(0)).toThrow(RangeError);
    expect(p.chance(0)).toBe(false);
    expect(p.chance(1)).toBe(true);
  });
});

describe('FakeClock and EventQueue', () => {
  it('moves only forward', () => {
    const clock = new FakeClock(100);
    expect(clock.advance(5)).toBe(105);
    expect(clock.advanceTo(200)).toBe(200);
    expect(() => clock.advanceTo(199)).toThrow(RangeError);
    expect(() => clock.advance(-1)).toThrow(RangeError);
  });

  it('pops in time order, ties in push order', () => {
    const q = new EventQueue<string>();
    const p = createPrng(3);
    const pushed: [number, string][] = [];
    for (let i = 0; i < 500; i++) {
      const at = p.int(50);
      pushed.push([at, `x${i}`]);
      q.push(at, `x${i}`);
    }
    const expected = [...pushed].sort((a, b) => a[0] - b[0]).map((e) => e[1]); // stable sort
    const popped: string[] = [];
    for (let e = q.pop(); e; e = q.pop()) popped.push(e.item);
    expect(popped).toEqual(expected);
  });
});

describe('SimNetwork', () => {
  function pair(seed: number, link = {}) {
    const net = new SimNetwork<Note>({ seed, link });
    const a = new Sink();
    const b = new Sink();
    net.addEndpoint('a', a, { peer: 'b' });
    net.addEndpoint('b', b, { peer: 'a' });
    return { net, a, b };
  }

  it('delivers in order with fixed latency and reports events with time and endpoint', () => {
    const { net, b } = pair(1, { latencyMs: 25 });
    blast(net, 'a', 10);
    net.run({ until: 1_000 });
    expect(b.got).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(net.events[0]).toEqual({ at: 25, endpoint: 'b', event: { type: 'got', n: 0, from: 'a' } });
    expect(net.now).toBe(1_000);
    expect(net.linkStats('a', 'b')).toMatchObject({ sent: 10, delivered: 10, lost: 0, reordered: 0 });
  });

  it('loses roughly the configured fraction over many packets', () => {
    const { net, b } = pair(2024, { lossRate: 0.1 });
    blast(net, 'a', 20_000, 8, 0.01);
    net.run({ until: 10_000 });
    const lost = net.linkStats('a', 'b').lost;
    expect(lost / 20_000).toBeGreaterThan(0.09);
    expect(lost / 20_000).toBeLessThan(0.11);
    expect(b.got.length).toBe(20_000 - lost);
  });

  it('reorders with jitter/hold-back and duplicates when asked', () => {
    const { net, b } = pair(5, { jitterMs: 5, reorderRate: 0.2, reorderDelayMs: 30, duplicateRate: 0.05 });
    blast(net, 'a', 2_000);
    net.run({ until: 10_000 });
    const stats = net.linkStats('a', 'b');
    expect(stats.reordered).toBeGreaterThan(100);
    expect(stats.duplicated).toBeGreaterThan(50);
    expect(b.got.length).toBe(2_000 + stats.duplicated);
    expect(b.got).not.toEqual([...b.got].sort((x, y) => x - y));
    expect(new Set(b.got).size).toBe(2_000);
  });

  it('is deterministic given the seed, and differs for another seed', () => {
    const runOnce = (seed: number) => {
      const { net, b } = pair(seed, { lossRate: 0.2, jitterMs: 10, duplicateRate: 0.1, reorderRate: 0.3 });
      blast(net, 'a', 500);
      blast(net, 'b', 500);
      net.run({ until: 5_000 });
      return {
        got: b.got,
        events: net.events.map((e) => `${e.at}:${e.endpoint}:${JSON.stringify(e.event)}`),
      };
    };
    expect(runOnce(99)).toEqual(runOnce(99));
    expect(runOnce(99).got).not.toEqual(runOnce(100).got);
  });

  it('drops datagrams above the maximum size (a path MTU) and copies what it sends', () => {
    const records: DatagramRecord[] = [];
    const net = new SimNetwork<Note>({
      seed: 1,
      link: { maxDatagramSize: 100 },
      onDatagram: (r) => records.push(r),
    });
    const b = new Sink();
    net.addEndpoint('a', new Sink(), { peer: 'b' });
    net.addEndpoint('b', b);
    const reused = numbered(1, 100);
    net.perform('a', [
      { type: 'send', datagram: reused },
      { type: 'send', datagram: numbered(2, 101) },
    ]);
    reused.fill(0xff); // the sender reuses its buffer: the network already copied it
    net.run({ until: 100 });
    expect(b.got).toEqual([1]);
    expect(net.linkStats('a', 'b').oversize).toBe(1);
    expect(records.map((r) => r.fate)).toEqual(['scheduled', 'oversize']);
  });

  it('fires timers in time order, the last timer action replacing the previous one', () => {
    const fired: [string, number][] = [];
    const ticker = (name: string, period: number): SimEndpoint<Note> => ({
      receive: () => [],
      onTimer(now) {
        fired.push([name, now]);
        return [
          { type: 'tick', at: now },
          { type: 'timer', at: now + 1 }, // replaced by the next one
          { type: 'timer', at: now + period },
        ];
      },
    });
    const net = new SimNetwork<Note>({ seed: 1 });
    net.addEndpoint('x', ticker('x', 30));
    net.addEndpoint('y', ticker('y', 50));
    net.perform('x', [{ type: 'timer', at: 30 }]);
    net.perform('y', [{ type: 'timer', at: 50 }]);
    net.run({ until: 150 });
    expect(fired).toEqual([
      ['x', 30],
      ['y', 50],
      ['x', 60],
      ['x', 90],
      ['y', 100],
      ['x', 120],
      ['y', 150], // armed at t=100, before x armed its 150 at t=120: ties go in arming order
      ['x', 150],
    ]);
    net.perform('x', [{ type: 'timer', at: Number.POSITIVE_INFINITY }]);
    expect(net.timerOf('x')).toBe(Number.POSITIVE_INFINITY);
  });

  it('never loops forever: a step budget and a timer-storm guard throw', () => {
    const net = new SimNetwork<Note>({ seed: 1 });
    net.addEndpoint('busy', { receive: () => [], onTimer: (now) => [{ type: 'timer', at: now }] });
    net.perform('busy', [{ type: 'timer', at: 0 }]);
    expect(() => net.run({ until: 10 })).toThrow(expect.objectContaining({ code: 'SIM_TIMER_STORM' }));

    const net2 = new SimNetwork<Note>({ seed: 1 });
    net2.addEndpoint('periodic', { receive: () => [], onTimer: (now) => [{ type: 'timer', at: now + 1 }] });
    net2.perform('periodic', [{ type: 'timer', at: 0 }]);
    expect(() => net2.run({ maxSteps: 1_000 })).toThrow(expect.objectContaining({ code: 'SIM_STEP_LIMIT' }));
  });

  it('stops when asked and reports idle', () => {
    const { net, b } = pair(1);
    blast(net, 'a', 100);
    expect(net.run({ stopWhen: () => b.got.length >= 10 }).reason).toBe('stopped');
    expect(b.got.length).toBe(10);
    expect(net.run().reason).toBe('idle');
    expect(b.got.length).toBe(100);
  });

  it('supports roaming: the new address is the source, the old one stops receiving', () => {
    const { net, a, b } = pair(1);
    net.moveEndpoint('a', 'a-new');
    net.perform('a', [{ type: 'send', datagram: numbered(1) }]);
    net.perform('b', [{ type: 'send', datagram: numbered(2) }]); // b still targets 'a'
    net.run({ until: 100 });
    expect(net.events.map((e) => e.event)).toEqual([{ type: 'got', n: 1, from: 'a-new' }]);
    expect(a.got).toEqual([]);
    expect(net.totals().noRoute).toBe(1);
    net.setPeer('b', 'a-new');
    net.perform('b', [{ type: 'send', datagram: numbered(3) }]);
    net.run({ until: 200 });
    expect(a.got).toEqual([3]);
    expect(b.got).toEqual([1]);
  });

  it('can cut and restore a link mid-run', () => {
    const { net, b } = pair(1);
    blast(net, 'a', 100, 8, 10);
    net.schedule(300, () => net.setLink('a', 'b', { lossRate: 1 }));
    net.schedule(600, () => net.setLink('a', 'b', { lossRate: 0 }));
    net.run({ until: 2_000 });
    expect(b.got.length).toBe(70);
  });

  it('rejects misuse', () => {
    const { net } = pair(1);
    expect(() => net.addEndpoint('a', new Sink())).toThrow(expect.objectContaining({ code: 'SIM_MISUSE' }));
    expect(() => net.setLink('a', 'nobody', {})).toThrow(expect.objectContaining({ code: 'SIM_MISUSE' }));
    expect(() => net.setLink('a', 'b', { lossRate: 2 })).toThrow(
      expect.objectContaining({ code: 'SIM_MISUSE' }),
    );
    const lonely = new SimNetwork<Note>({ seed: 1 });
    lonely.addEndpoint('x', new Sink());
    expect(() => lonely.perform('x', [{ type: 'send', datagram: new Uint8Array(1) }])).toThrow(
      expect.objectContaining({ code: 'SIM_MISUSE' }),
    );
  });
});
