import { describe, expect, it } from 'vitest';
import { parseControlPacket } from '../../../src/protocol/control/packet.js';
import { RangeSet } from '../../../src/protocol/control/range-set.js';
import { ControlTransport, type ReceivedMessage } from '../../../src/protocol/control/reliability.js';
import { Level, MessageType } from '../../../src/protocol/handshake/constants.js';
import { trafficKeys } from '../../../src/protocol/handshake/key-schedule.js';
import { encodeMessage } from '../../../src/protocol/handshake/messages.js';
import { createPrng } from '../../../src/protocol/testing/prng.js';

const kA = trafficKeys(new Uint8Array(48).fill(1));
const kB = trafficKeys(new Uint8Array(48).fill(2));

function pair(mtu = 300, validated = true, maxInFlight = 32) {
  const opts = { keyId: 0, mtu, wrapOverhead: 0, initialRtoMs: 1000, maxRtoMs: 16000, maxInFlight };
  const a = new ControlTransport({
    ...opts,
    localSessionId: new Uint8Array(8).fill(0xa),
    addressValidated: true,
  });
  const b = new ControlTransport({
    ...opts,
    localSessionId: new Uint8Array(8).fill(0xb),
    addressValidated: validated,
  });
  a.peerSessionId = b.localSessionId;
  b.peerSessionId = a.localSessionId;
  for (const l of [Level.initial, Level.handshake]) {
    a.setKeys(l, kA, kB, true);
    b.setKeys(l, kB, kA, true);
  }
  return { a, b };
}

/** Runs a lossy, reordering exchange until both sides are idle; returns what each side received. */
function exchange(a: ControlTransport, b: ControlTransport, seed: number, loss: number) {
  const prng = createPrng(seed);
  const got = { a: [] as ReceivedMessage[], b: [] as ReceivedMessage[] };
  let now = 0;
  let inflight: Array<{ at: number; to: 'a' | 'b'; d: Uint8Array }> = [];
  const sendAll = (from: 'a' | 'b', ds: Uint8Array[]) => {
    for (const d of ds) {
      if (prng.chance(loss)) continue;
      inflight.push({ at: now + 10 + prng.int(40), to: from === 'a' ? 'b' : 'a', d });
    }
  };
  sendAll('a', a.flush(now));
  sendAll('b', b.flush(now));
  for (let step = 0; step < 100_000; step++) {
    const nextTimer = Math.min(a.nextDeadline(), b.nextDeadline());
    inflight.sort((x, y) => x.at - y.at);
    const nextPacket = inflight[0]?.at ?? Number.POSITIVE_INFINITY;
    if (nextTimer === Number.POSITIVE_INFINITY && nextPacket === Number.POSITIVE_INFINITY) break;
    if (nextPacket <= nextTimer) {
      const p = inflight.shift()!;
      now = p.at;
      const t = p.to === 'a' ? a : b;
      const r = t.receive(now, parseControlPacket(p.d), p.d.length);
      if (r.kind === 'accepted') got[p.to].push(...r.messages);
      sendAll(p.to, t.flush(now));
    } else {
      now = nextTimer;
      for (const [n, t] of [
        ['a', a],
        ['b', b],
      ] as const) {
        t.onTimer(now);
        sendAll(n, t.flush(now));
      }
    }
    inflight = inflight.filter(() => true);
  }
  return { got, now };
}

describe('RangeSet', () => {
  it('adds, merges, removes and reports gaps', () => {
    const r = new RangeSet();
    r.add(10, 20);
    r.add(30, 40);
    r.add(20, 30);
    expect(r.toArray()).toEqual([[10, 40]]);
    r.remove(15, 35);
    expect(r.toArray()).toEqual([
      [10, 15],
      [35, 40],
    ]);
    expect(r.missing(0, 50)).toEqual([
      [0, 10],
      [15, 35],
      [40, 50],
    ]);
    expect(r.descendingInclusive(5)).toEqual([
      [35, 39],
      [10, 14],
    ]);
    r.mergeLowest();
    expect(r.toArray()).toEqual([[10, 40]]);
  });
});

describe('ControlTransport', () => {
  const big = encodeMessage({ type: MessageType.certificate, chain: [new Uint8Array(60_000).fill(0x5a)] });
  const small = encodeMessage({ type: MessageType.finished, verifyData: new Uint8Array(48).fill(3) });

  it('delivers a 60 KB message in order at 30% loss with reordering, from both sides', () => {
    for (const seed of [1, 2, 3]) {
      const { a, b } = pair();
      a.queue(Level.handshake, big);
      a.queue(Level.handshake, small);
      b.queue(Level.initial, small);
      const { got } = exchange(a, b, seed, 0.3);
      expect(got.b.map((m) => m.raw)).toEqual([big, small]);
      expect(got.a.map((m) => m.raw)).toEqual([small]);
      expect(a.allAcked() && b.allAcked()).toBe(true);
    }
  });

  it('drops duplicates and refuses packets that exceed the per-level stream limit', () => {
    const { a, b } = pair();
    a.queue(Level.initial, small);
    const [d] = a.flush(0);
    const p = parseControlPacket(d!);
    expect(b.receive(0, p, d!.length).kind).toBe('accepted');
    expect(b.receive(0, p, d!.length)).toEqual({ kind: 'dropped', reason: 'duplicate' });
    const { a: a2, b: b2 } = pair(1250);
    // 40 KB of initial-level data exceeds the 32 KB initial stream limit.
    a2.queue(
      Level.initial,
      encodeMessage({ type: MessageType.certificate, chain: [new Uint8Array(40_000)] }),
    );
    const outcomes = a2.flush(0).map((x) => b2.receive(0, parseControlPacket(x), x.length));
    expect(outcomes.some((o) => o.kind === 'dropped' && o.reason === 'stream-limit')).toBe(true);
  });

  it('rejects an unknown message type or an oversize message header as a violation', () => {
    const { a, b } = pair();
    a.queue(Level.handshake, Uint8Array.of(99, 0, 0, 1, 0));
    const [d] = a.flush(0);
    expect(b.receive(0, parseControlPacket(d!), d!.length)).toMatchObject({ kind: 'violation' });
    const { a: a2, b: b2 } = pair();
    a2.queue(Level.handshake, Uint8Array.of(MessageType.finished, 0, 0, 49));
    const [d2] = a2.flush(0);
    expect(b2.receive(0, parseControlPacket(d2!), d2!.length)).toMatchObject({ kind: 'violation' });
  });

  it('limits an unvalidated sender to three times the bytes received', () => {
    const { a, b } = pair(1250, false);
    a.queue(Level.initial, small);
    const [d] = a.flush(0);
    b.receive(0, parseControlPacket(d!), d!.length);
    b.queue(Level.handshake, big);
    const out = b.flush(0);
    const sent = out.reduce((n, x) => n + x.length, 0);
    expect(sent).toBeLessThanOrEqual(3 * d!.length);
    expect(out.length).toBeGreaterThan(0);
  });

  it('bounds out-of-order fragments: a packet opening too many gaps is dropped unacknowledged', () => {
    const { a, b } = pair(100, true, 1000);
    a.queue(Level.handshake, big);
    const ds = a.flush(0);
    expect(ds.length).toBeGreaterThan(200);
    const outcomes: string[] = [];
    // deliver every other packet: each opens a gap
    for (let i = 1; i < ds.length; i += 2) {
      const r = b.receive(0, parseControlPacket(ds[i]!), ds[i]!.length);
      outcomes.push(r.kind === 'dropped' ? r.reason : r.kind);
    }
    expect(outcomes.slice(0, 64).every((o) => o === 'accepted')).toBe(true);
    expect(outcomes.slice(64).every((o) => o === 'too-many-gaps')).toBe(true);
    expect(b.memoryFootprint()).toBeLessThan(100 * 2 * 64 + 4096);
    // the refused packets were not acknowledged: their data is still outstanding at the sender
    for (const d of b.flush(0)) a.receive(0, parseControlPacket(d), d.length);
    expect(a.allAcked()).toBe(false);
  });
});
