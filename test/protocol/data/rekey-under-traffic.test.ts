/**
 * Two data channels exchanging traffic through the in-memory network while keys
 * rotate through all eight key ids (and wrap), with reordering, duplication and
 * the handshake's install order emulated: the initiator installs first (pending),
 * the responder one one-way delay later (active at once).
 */
import { describe, expect, it } from 'vitest';
import {
  DataChannel,
  type DataChannelEvent,
  type DataChannelOptions,
} from '../../../src/protocol/data/data-channel.js';
import {
  type LinkConditions,
  type SimAction,
  type SimEndpoint,
  SimNetwork,
} from '../../../src/protocol/testing/network.js';
import { ipv4, ipv4Id, keyPair } from './helpers.js';

type Ev = DataChannelEvent | { type: 'send-dropped'; reason: string };

class ChannelEndpoint implements SimEndpoint<Ev> {
  readonly received: number[] = [];
  sent = 0;
  readonly channel: DataChannel;
  constructor(options: DataChannelOptions) {
    this.channel = new DataChannel(options);
  }
  receive(now: number, datagram: Uint8Array): SimAction<Ev>[] {
    const result = this.channel.decrypt(now, datagram);
    if (result.type === 'ip') this.received.push(ipv4Id(result.packet));
    return this.#after();
  }
  onTimer(now: number): SimAction<Ev>[] {
    return this.channel.onTimer(now);
  }
  send(now: number, id: number): SimAction<Ev>[] {
    const result = this.channel.encrypt(now, ipv4(id, 200));
    this.sent++;
    const actions: SimAction<Ev>[] = result.ok
      ? [{ type: 'send', datagram: result.datagram }]
      : [{ type: 'send-dropped', reason: result.reason }];
    return [...actions, ...this.#after()];
  }
  #after(): SimAction<Ev>[] {
    return [
      ...this.channel.drainEvents(),
      { type: 'timer', at: this.channel.nextTimer() ?? Number.POSITIVE_INFINITY },
    ];
  }
}

interface Scenario {
  seed: number;
  link: LinkConditions;
  durationMs: number;
  packetEveryMs: number;
  rekeyEveryMs: number;
  tranWindowMs: number;
}

function runScenario(s: Scenario) {
  const net = new SimNetwork<Ev>({ seed: s.seed, link: s.link });
  const options = { peerId: 0x000042, now: 0, tranWindowMs: s.tranWindowMs, rekey: { renegMs: 0 } };
  const client = new ChannelEndpoint(options);
  const server = new ChannelEndpoint(options);
  net.addEndpoint('client', client, { peer: 'server' });
  net.addEndpoint('server', server, { peer: 'client' });

  // Generation g uses key id g mod 8; generation 0 is the initial handshake.
  const oneWay = s.link.latencyMs ?? 10;
  let generations = 0;
  for (let t = 0, g = 0; t < s.durationMs; t += s.rekeyEveryMs, g++) {
    const keys = keyPair(g % 8, 1_000 + g);
    net.schedule(t, (now) => client.channel.installKeys(now, keys.client, { activate: false }));
    net.schedule(t + oneWay, (now) => {
      server.channel.installKeys(now, keys.server, { activate: true });
      net.perform('server', [{ type: 'timer', at: server.channel.nextTimer() ?? Number.POSITIVE_INFINITY }]);
    });
    generations++;
  }
  // Continuous traffic both ways, starting once the first key is usable on both sides.
  let nextId = 0;
  for (let t = oneWay + 1; t < s.durationMs; t += s.packetEveryMs) {
    net.schedule(t, (now) => net.perform('client', client.send(now, nextId++)));
    net.schedule(t, (now) => net.perform('server', server.send(now, nextId++)));
  }
  net.run({ until: s.durationMs + 1_000 });
  return { net, client, server, generations };
}

function checkNoLoss(r: ReturnType<typeof runScenario>, lossExpected: boolean) {
  const { net, client, server } = r;
  // Before its first key is confirmed the initiator has nothing to send under
  // ('no-send-key'); once it has, no packet is ever refused, across every rekey.
  const firstActivation = net.events.find(
    (e) => e.endpoint === 'client' && e.event.type === 'key-activated',
  )!.at;
  const sendDrops = net.events.filter((e) => e.event.type === 'send-dropped');
  expect(sendDrops.every((e) => e.endpoint === 'client' && e.at <= firstActivation)).toBe(true);
  expect(sendDrops.every((e) => (e.event as { reason: string }).reason === 'no-send-key')).toBe(true);
  for (const [receiver, from, to] of [
    [server, 'client', 'server'],
    [client, 'server', 'client'],
  ] as const) {
    const stats = receiver.channel.stats();
    expect(stats.drops['unknown-key-id']).toBe(0);
    expect(stats.drops['too-old']).toBe(0);
    expect(stats.drops['auth-failed']).toBe(0);
    const link = net.linkStats(from, to);
    expect(stats.drops.replayed).toBe(link.duplicated);
    expect(new Set(receiver.received).size).toBe(receiver.received.length);
    if (!lossExpected) expect(link.lost).toBe(0);
    expect(receiver.received.length).toBe(link.sent - link.lost);
    expect(link.reordered).toBeGreaterThan(0);
  }
}

describe('rekey during continuous traffic', () => {
  it('loses no packet while keys rotate through all 8 ids twice, with reordering and duplicates', () => {
    const r = runScenario({
      seed: 8,
      link: { latencyMs: 20, jitterMs: 10, reorderRate: 0.1, reorderDelayMs: 150, duplicateRate: 0.02 },
      durationMs: 18_000,
      packetEveryMs: 4,
      rekeyEveryMs: 1_000,
      tranWindowMs: 2_000,
    });
    expect(r.generations).toBeGreaterThanOrEqual(17); // ids 0..7, 0..7, 0: wrapped twice
    checkNoLoss(r, false);
    const activations = r.net.events.filter((e) => e.event.type === 'key-activated');
    expect(
      activations.filter((e) => e.endpoint === 'client').map((e) => (e.event as { keyId: number }).keyId),
    ).toEqual(Array.from({ length: r.generations }, (_, g) => g % 8));
    const expired = r.net.events.filter((e) => e.event.type === 'key-expired');
    expect(expired.length).toBeGreaterThanOrEqual(2 * (r.generations - 3));
  });

  it('with loss, only the lost datagrams are missing (the proof of a new key can be lost too)', () => {
    const r = runScenario({
      seed: 21,
      link: { latencyMs: 15, jitterMs: 20, reorderRate: 0.05, reorderDelayMs: 80, lossRate: 0.05 },
      durationMs: 9_000,
      packetEveryMs: 5,
      rekeyEveryMs: 700,
      tranWindowMs: 1_000,
    });
    checkNoLoss(r, true);
    expect(r.net.linkStats('server', 'client').lost).toBeGreaterThan(0);
  });

  it('keepalives keep an idle session alive and dead-peer detection fires when the link is cut', () => {
    const net = new SimNetwork<Ev>({ seed: 3, link: { latencyMs: 30 } });
    const base = { peerId: 7, now: 0, rekey: { renegMs: 0 } };
    const client = new ChannelEndpoint({ ...base, pingIntervalMs: 1_000, pingRestartMs: 5_000 });
    const server = new ChannelEndpoint({ ...base, pingIntervalMs: 1_000, pingRestartMs: 5_000 });
    net.addEndpoint('client', client, { peer: 'server' });
    net.addEndpoint('server', server, { peer: 'client' });
    const keys = keyPair(0);
    client.channel.installKeys(0, keys.client, { activate: false });
    server.channel.installKeys(30, keys.server, { activate: true });
    net.schedule(30, () => net.perform('server', server.onTimer(30)));
    net.schedule(0, () => net.perform('client', client.onTimer(0)));
    net.schedule(20_000, () => net.setLink('client', 'server', { lossRate: 1 }));
    net.run({ until: 40_000 });
    const dead = net.events.filter((e) => e.event.type === 'peer-dead');
    // The client sends a keepalive every second; the last one reached the server
    // shortly before t = 20 s, so the server declares the peer dead ~5 s later.
    expect(dead.map((e) => e.endpoint)).toEqual(['server']);
    expect(dead[0]!.at).toBeGreaterThan(24_000);
    expect(dead[0]!.at).toBeLessThanOrEqual(25_100);
    expect(client.channel.stats().keepalivesSent).toBeGreaterThan(30);
    expect(server.channel.stats().keepalivesReceived).toBeGreaterThan(15);
  });
});
