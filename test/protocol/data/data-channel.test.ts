import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DataChannel } from '../../../src/protocol/data/data-channel.js';
import { DataSealer } from '../../../src/protocol/data/data-packet.js';
import { connectedPair, ipv4, ipv4Id, keyPair, sealed } from './helpers.js';

const PEER = 0x00abcd;

/** Seal an arbitrary plaintext as the client would under key 0, bypassing the data channel's checks. */
function forge(plaintext: Uint8Array, counter: number, keyId = 0, peerId = PEER): Uint8Array {
  return new DataSealer(keyPair(keyId).client.send, keyId, peerId).seal(counter, plaintext);
}

function types(events: readonly { type: string }[]): string[] {
  return events.map((e) => e.type);
}

describe('DataChannel: the packet paths', () => {
  it('carries IP packets both ways and counts them', () => {
    const { client, server } = connectedPair();
    const up = server.decrypt(1, sealed(client.encrypt(1, ipv4(1))));
    expect(up.type === 'ip' && ipv4Id(up.packet)).toBe(1);
    const down = client.decrypt(2, sealed(server.encrypt(2, ipv4(2, 1400))));
    expect(down.type === 'ip' && ipv4Id(down.packet)).toBe(2);
    expect(client.stats()).toMatchObject({
      packetsSent: 1,
      bytesSent: 40,
      packetsReceived: 1,
      bytesReceived: 1400,
    });
    expect(server.stats().keys).toMatchObject([
      { keyId: 0, role: 'current', lastCounter: 1, replayHighest: 1 },
    ]);
  });

  it('the initiator does not send under a pending key until the peer proves it has it', () => {
    const client = new DataChannel({ peerId: PEER, now: 0 });
    const server = new DataChannel({ peerId: PEER, now: 0 });
    const keys = keyPair(0);
    client.installKeys(0, keys.client, { activate: false });
    expect(client.encrypt(0, ipv4(1))).toEqual({ ok: false, reason: 'no-send-key' });
    expect(client.sendKeyId).toBeUndefined();
    server.installKeys(5, keys.server, { activate: true });
    expect(types(server.drainEvents())).toEqual(['key-activated']);
    // The server's first packet under key 0 is the proof.
    expect(client.decrypt(10, sealed(server.encrypt(10, ipv4(7)))).type).toBe('ip');
    expect(client.drainEvents()).toEqual([{ type: 'key-activated', keyId: 0 }]);
    expect(client.sendKeyId).toBe(0);
    expect(server.decrypt(11, sealed(client.encrypt(11, ipv4(8)))).type).toBe('ip');
  });

  it('drops replays and counts them; state is unchanged by the replay', () => {
    const { client, server } = connectedPair();
    const datagram = sealed(client.encrypt(1, ipv4(1)));
    expect(server.decrypt(1, datagram).type).toBe('ip');
    const before = server.stats();
    expect(server.decrypt(2, datagram)).toEqual({ type: 'drop', reason: 'replayed' });
    const after = server.stats();
    expect(after.drops.replayed).toBe(1);
    expect({ ...after, drops: before.drops }).toEqual(before);
  });

  it('rejects every single-bit flip of a data packet without changing any state but the drop counters', () => {
    const { client, server } = connectedPair();
    server.decrypt(0, sealed(client.encrypt(0, ipv4(0)))); // some history
    const datagram = sealed(client.encrypt(1, ipv4(1, 60)));
    const snapshot = (s: ReturnType<DataChannel['stats']>) => ({
      ...s,
      drops: undefined,
      keys: s.keys.map((k) => ({ ...k, usage: { ...k.usage, authFailures: undefined } })),
    });
    const before = server.stats();
    let drops = 0;
    for (let bit = 0; bit < datagram.length * 8; bit++) {
      const flipped = Uint8Array.from(datagram);
      flipped[bit >> 3]! ^= 1 << (bit & 7);
      const result = server.decrypt(2, flipped);
      expect(result.type).toBe('drop');
      drops++;
    }
    const after = server.stats();
    expect(snapshot(after)).toEqual(snapshot(before));
    expect(Object.values(after.drops).reduce((a, b) => a + b, 0)).toBe(drops);
    expect(server.nextTimer()).toEqual(before.keys[0]!.installedAt + 3_600_000);
    // And the genuine packet is still accepted afterwards.
    expect(server.decrypt(3, datagram).type).toBe('ip');
  });

  it('never throws on arbitrary or mutated input, and never accepts it', () => {
    const { client, server } = connectedPair();
    const valid = sealed(client.encrypt(0, ipv4(1)));
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 100 }),
          fc
            .tuple(fc.nat(valid.length - 1), fc.integer({ min: 1, max: 255 }), fc.nat(valid.length))
            .map(([at, x, cut]) => {
              const m = Uint8Array.from(valid).subarray(0, Math.max(cut, at + 1));
              m[at]! ^= x;
              return m;
            }),
        ),
        (bytes) => {
          expect(server.decrypt(1, bytes).type).toBe('drop');
        },
      ),
      { numRuns: 300 },
    );
  });

  it('names each early rejection before any decryption', () => {
    const { client, server } = connectedPair();
    const good = sealed(client.encrypt(0, ipv4(1)));
    const with0 = (i: number, v: number) => {
      const c = Uint8Array.from(good);
      c[i] = v;
      return c;
    };
    expect(server.decrypt(0, good.subarray(0, 28))).toEqual({ type: 'drop', reason: 'truncated' });
    expect(server.decrypt(0, new Uint8Array(65_535 + 29))).toEqual({
      type: 'drop',
      reason: 'oversized-datagram',
    });
    expect(server.decrypt(0, with0(0, (1 << 3) | 0))).toEqual({ type: 'drop', reason: 'not-data-opcode' });
    expect(server.decrypt(0, with0(3, 0xce))).toEqual({ type: 'drop', reason: 'peer-id-mismatch' });
    expect(server.decrypt(0, with0(0, (9 << 3) | 5))).toEqual({ type: 'drop', reason: 'unknown-key-id' });
    expect(server.decrypt(0, forge(ipv4(1), 0))).toEqual({ type: 'drop', reason: 'counter-out-of-range' });
    expect(server.decrypt(0, forge(ipv4(1), 2 ** 48))).toEqual({
      type: 'drop',
      reason: 'counter-out-of-range',
    });
    expect(server.decrypt(0, with0(30, good[30]! ^ 1))).toEqual({ type: 'drop', reason: 'auth-failed' });
    expect(server.stats().keys[0]!.usage.authFailures).toBe(1);
  });

  it('drops packets from the TUN device that are not IP packets', () => {
    const { client } = connectedPair();
    expect(client.encrypt(0, new Uint8Array(0))).toEqual({ ok: false, reason: 'not-ip' });
    expect(client.encrypt(0, Uint8Array.of(0x00))).toEqual({ ok: false, reason: 'not-ip' });
    expect(client.encrypt(0, new Uint8Array(40).fill(0x50))).toEqual({ ok: false, reason: 'not-ip' });
    expect(client.encrypt(0, ipv4(1).subarray(0, 19))).toEqual({ ok: false, reason: 'not-ip' });
    const v6 = new Uint8Array(40);
    v6[0] = 0x60;
    expect(client.encrypt(0, v6).ok).toBe(true);
    expect(client.encrypt(0, v6.subarray(0, 39))).toEqual({ ok: false, reason: 'not-ip' });
    expect(client.encrypt(0, ipv4(1, 65_536))).toEqual({ ok: false, reason: 'oversized-packet' });
    expect(client.encrypt(0, ipv4(1, 65_535)).ok).toBe(true);
    expect(client.stats().drops).toMatchObject({ 'not-ip': 5, 'oversized-packet': 1 });
  });
});

describe('DataChannel: in-band messages', () => {
  it('keepalives are consumed and counted', () => {
    const { server } = connectedPair();
    expect(server.decrypt(0, forge(Uint8Array.of(0), 1))).toEqual({ type: 'keepalive' });
    expect(server.stats().keepalivesReceived).toBe(1);
  });

  it('an exit notice raises peer-exited; several copies each authenticate', () => {
    const { client, server } = connectedPair();
    const copies = [1, 2, 3].map(() => sealed(client.exitNotice(0, 1)));
    for (const copy of copies) expect(server.decrypt(0, copy)).toEqual({ type: 'exit', reason: 1 });
    expect(server.drainEvents()).toEqual([
      { type: 'peer-exited', reason: 1 },
      { type: 'peer-exited', reason: 1 },
      { type: 'peer-exited', reason: 1 },
    ]);
    expect(server.decrypt(0, sealed(client.exitNotice(0)))).toEqual({ type: 'exit', reason: 0 });
    expect(() => client.exitNotice(0, 256)).toThrow(expect.objectContaining({ code: 'DATA_MISUSE' }));
  });

  it.each([
    ['unknown in-band type 0x02', Uint8Array.of(0x02), 'unknown-in-band'],
    ['unknown in-band type 0x3f', Uint8Array.of(0x3f, 0, 0), 'unknown-in-band'],
    ['keepalive with trailing bytes', Uint8Array.of(0x00, 0x00), 'malformed-in-band'],
    ['exit notice without reason', Uint8Array.of(0x01), 'malformed-in-band'],
    ['exit notice too long', Uint8Array.of(0x01, 0, 0), 'malformed-in-band'],
    ['IPv4 shorter than its header', Uint8Array.of(0x45, 0, 0, 0), 'malformed-ip'],
    ['version 5', new Uint8Array(40).fill(0x55), 'malformed-ip'],
  ])('drops an authentic %s (and still records its counter)', (_name, plaintext, reason) => {
    const { server } = connectedPair();
    expect(server.decrypt(0, forge(plaintext, 9))).toEqual({ type: 'drop', reason });
    expect(server.stats().drops[reason as 'malformed-ip']).toBe(1);
    expect(server.decrypt(0, forge(plaintext, 9))).toEqual({ type: 'drop', reason: 'replayed' });
  });
});

describe('DataChannel: keepalive and dead-peer detection', () => {
  it('sends a keepalive after `ping` ms without sending, pushed back by real traffic', () => {
    const { client, server } = connectedPair({ pingIntervalMs: 10_000, rekey: { renegMs: 0 } });
    expect(client.nextTimer()).toBe(10_000);
    sealed(client.encrypt(4_000, ipv4(1)));
    expect(client.nextTimer()).toBe(14_000);
    expect(client.onTimer(13_999)).toEqual([{ type: 'timer', at: 14_000 }]); // early wake-up: nothing
    const actions = client.onTimer(14_000);
    expect(actions.map((a) => a.type)).toEqual(['send', 'timer']);
    const send = actions[0] as { type: 'send'; datagram: Uint8Array };
    expect(server.decrypt(14_010, send.datagram)).toEqual({ type: 'keepalive' });
    expect(actions[1]).toEqual({ type: 'timer', at: 24_000 });
    expect(client.stats().keepalivesSent).toBe(1);
  });

  it('does not schedule keepalives without a send key', () => {
    const client = new DataChannel({ peerId: PEER, now: 0, pingIntervalMs: 1_000 });
    expect(client.nextTimer()).toBeUndefined();
    expect(client.onTimer(5_000)).toEqual([{ type: 'timer', at: Number.POSITIVE_INFINITY }]);
  });

  it('raises peer-dead once after `ping-restart` ms of silence; authentic traffic re-arms it', () => {
    const { client, server } = connectedPair({ pingRestartMs: 60_000, rekey: { renegMs: 0 } });
    expect(server.nextTimer()).toBe(60_000);
    server.decrypt(30_000, sealed(client.encrypt(30_000, ipv4(1))));
    expect(server.nextTimer()).toBe(90_000);
    server.decrypt(31_000, new Uint8Array(50)); // garbage does not count as life
    expect(server.nextTimer()).toBe(90_000);
    expect(server.onTimer(90_000)).toEqual([
      { type: 'peer-dead', lastReceived: 30_000 },
      { type: 'timer', at: Number.POSITIVE_INFINITY },
    ]);
    expect(server.onTimer(200_000)).toEqual([{ type: 'timer', at: Number.POSITIVE_INFINITY }]);
    server.markReceived(300_000); // authenticated control traffic
    expect(server.nextTimer()).toBe(360_000);
    expect(types(server.onTimer(360_000))).toEqual(['peer-dead', 'timer']);
  });

  it('counts control traffic as sent for the keepalive timer', () => {
    const { client } = connectedPair({ pingIntervalMs: 10_000, rekey: { renegMs: 0 } });
    client.markSent(8_000);
    expect(client.nextTimer()).toBe(18_000);
    client.markSent(1_000); // never moves back
    expect(client.nextTimer()).toBe(18_000);
  });
});

describe('DataChannel: rekey triggers and AEAD limits', () => {
  it('raises rekey-needed once when reneg-sec elapses', () => {
    const { client } = connectedPair({ rekey: { renegMs: 3_600_000 } });
    expect(client.nextTimer()).toBe(3_600_000);
    expect(client.onTimer(3_599_999)).toEqual([{ type: 'timer', at: 3_600_000 }]);
    expect(client.onTimer(3_600_000)).toEqual([
      { type: 'rekey-needed', keyId: 0, reason: 'time' },
      { type: 'timer', at: Number.POSITIVE_INFINITY },
    ]);
    expect(client.onTimer(3_700_000)).toEqual([{ type: 'timer', at: Number.POSITIVE_INFINITY }]);
  });

  it('raises rekey-needed once on reneg-pkts and on reneg-bytes, counting both directions', () => {
    const { client, server } = connectedPair({ rekey: { renegPackets: 5, renegMs: 0 } });
    for (let i = 0; i < 3; i++) server.decrypt(i, sealed(client.encrypt(i, ipv4(i))));
    expect(server.drainEvents()).toEqual([]);
    server.encrypt(3, ipv4(3));
    server.encrypt(3, ipv4(4));
    expect(server.drainEvents()).toEqual([{ type: 'rekey-needed', keyId: 0, reason: 'packets' }]);
    server.encrypt(3, ipv4(5));
    expect(server.drainEvents()).toEqual([]);

    const pair2 = connectedPair({ rekey: { renegBytes: 1_000, renegMs: 0 } });
    pair2.client.encrypt(0, ipv4(1, 999));
    expect(pair2.client.drainEvents()).toEqual([]);
    pair2.client.encrypt(0, ipv4(1, 40));
    expect(pair2.client.drainEvents()).toEqual([{ type: 'rekey-needed', keyId: 0, reason: 'bytes' }]);
  });

  it('confidentiality limit: rekey at the soft limit, stop sealing at the hard limit, keep receiving', () => {
    // A 40-byte packet is ceil(52/16) + 1 = 5 blocks.
    const { client, server } = connectedPair({
      rekey: { renegMs: 0 },
      aeadLimits: { confidentialitySoftBlocks: 10, confidentialityHardBlocks: 20 },
    });
    sealed(client.encrypt(0, ipv4(1)));
    expect(client.drainEvents()).toEqual([]);
    sealed(client.encrypt(0, ipv4(2)));
    expect(client.drainEvents()).toEqual([
      { type: 'rekey-needed', keyId: 0, reason: 'aead-confidentiality-limit' },
    ]);
    sealed(client.encrypt(0, ipv4(3)));
    sealed(client.encrypt(0, ipv4(4)));
    expect(client.encrypt(0, ipv4(5))).toEqual({ ok: false, reason: 'send-key-exhausted' });
    expect(client.encrypt(0, ipv4(5))).toEqual({ ok: false, reason: 'send-key-exhausted' });
    expect(client.stats().keys[0]).toMatchObject({ lastCounter: 4, usage: { blocksSent: 20 } });
    expect(client.exitNotice(0).ok).toBe(false);
    expect(client.decrypt(0, sealed(server.encrypt(0, ipv4(6)))).type).toBe('ip');
    // A new key restores sending.
    const next = keyPair(1);
    server.installKeys(1, next.server, { activate: true });
    client.installKeys(1, next.client, { activate: false });
    client.activateSendKey(1, 1);
    expect(server.decrypt(2, sealed(client.encrypt(2, ipv4(7)))).type).toBe('ip');
  });

  it('integrity limit: rekey at the soft limit, stop opening under the key at the hard limit', () => {
    const { client, server } = connectedPair({
      rekey: { renegMs: 0 },
      aeadLimits: { integritySoftFailures: 3, integrityHardFailures: 5 },
    });
    const forged = (n: number) => {
      const d = Uint8Array.from(sealed(client.encrypt(0, ipv4(n))));
      d[20]! ^= 0xff;
      return d;
    };
    for (let i = 0; i < 2; i++) server.decrypt(0, forged(i));
    expect(server.drainEvents()).toEqual([]);
    server.decrypt(0, forged(2));
    expect(server.drainEvents()).toEqual([
      { type: 'rekey-needed', keyId: 0, reason: 'aead-integrity-limit' },
    ]);
    server.decrypt(0, forged(3));
    server.decrypt(0, forged(4));
    expect(server.decrypt(0, sealed(client.encrypt(0, ipv4(9))))).toEqual({
      type: 'drop',
      reason: 'receive-key-exhausted',
    });
    expect(server.encrypt(0, ipv4(10)).ok).toBe(true); // the other direction is another key
  });

  it('rejects limits above the specification and other bad options', () => {
    const bad = [
      { aeadLimits: { confidentialityHardBlocks: 2 ** 33 } },
      { aeadLimits: { integrityHardFailures: 2 ** 37 } },
      { aeadLimits: { confidentialitySoftBlocks: 30, confidentialityHardBlocks: 20 } },
      { replayWindow: 1024 },
      { replayWindow: 2048 + 16 },
      { peerId: 0xffffff },
      { pingIntervalMs: -1 },
      { rekey: { renegBytes: 1.5 } },
      { now: Number.NaN },
    ];
    for (const options of bad) {
      expect(() => new DataChannel({ peerId: 1, now: 0, ...options })).toThrow(
        expect.objectContaining({ code: 'DATA_CONFIG_INVALID' }),
      );
    }
  });
});

describe('DataChannel: key rotation', () => {
  it('keeps the old key opening packets for tran-window after a rekey, then wipes it', () => {
    const { client, server } = connectedPair({ tranWindowMs: 60_000, rekey: { renegMs: 0 } });
    const lateOld = sealed(client.encrypt(100, ipv4(1)));
    const next = keyPair(1);
    client.installKeys(1_000, next.client, { activate: false });
    server.installKeys(1_050, next.server, { activate: true });
    expect(server.drainEvents()).toEqual([{ type: 'key-activated', keyId: 1 }]);
    expect(server.nextTimer()).toBe(61_050);
    // A packet the client sent under key 0 before switching, arriving late, is still accepted.
    expect(server.decrypt(2_000, lateOld).type).toBe('ip');
    expect(server.stats().keys.map((k) => [k.keyId, k.role])).toEqual([
      [0, 'retiring'],
      [1, 'current'],
    ]);
    // The client still sends under 0 until the server's first key-1 packet arrives.
    const stillOld = sealed(client.encrypt(2_000, ipv4(2)));
    expect(stillOld[0]! & 7).toBe(0);
    expect(client.decrypt(2_100, sealed(server.encrypt(2_100, ipv4(3)))).type).toBe('ip');
    expect(client.sendKeyId).toBe(1);
    expect(server.decrypt(2_200, stillOld).type).toBe('ip');
    // After the window the old key is wiped and gone.
    expect(server.onTimer(61_050)).toEqual([
      { type: 'key-expired', keyId: 0, reason: 'transition-window' },
      { type: 'timer', at: Number.POSITIVE_INFINITY },
    ]);
    const oldKeyPacket = new DataSealer(keyPair(0).client.send, 0, PEER).seal(99, ipv4(1));
    expect(server.decrypt(61_051, oldKeyPacket)).toEqual({ type: 'drop', reason: 'unknown-key-id' });
    expect(server.stats().keys.map((k) => k.keyId)).toEqual([1]);
  });

  it('expires a retiring key lazily when a packet arrives after its window but before the timer ran', () => {
    const { client, server } = connectedPair({ tranWindowMs: 1_000, rekey: { renegMs: 0 } });
    const late = sealed(client.encrypt(0, ipv4(1)));
    server.installKeys(10, keyPair(1).server, { activate: true });
    server.drainEvents();
    expect(server.decrypt(1_010, late)).toEqual({ type: 'drop', reason: 'unknown-key-id' });
    expect(server.drainEvents()).toEqual([{ type: 'key-expired', keyId: 0, reason: 'transition-window' }]);
  });

  it('refuses to install over the current or pending key id; replaces a retiring one', () => {
    const { client } = connectedPair();
    expect(() => client.installKeys(0, keyPair(0).client, { activate: false })).toThrow(
      expect.objectContaining({ code: 'DATA_KEY_ID_IN_USE' }),
    );
    client.installKeys(0, keyPair(1).client, { activate: false });
    expect(() => client.installKeys(0, keyPair(1).client, { activate: true })).toThrow(
      expect.objectContaining({ code: 'DATA_KEY_ID_IN_USE' }),
    );
    expect(client.activateSendKey(0, 5)).toBe(false);
    expect(client.activateSendKey(0, 1)).toBe(true);
    expect(client.activateSendKey(0, 1)).toBe(true);
    client.drainEvents();
    // key 0 is retiring now; a (fast) cycle back to it replaces it.
    client.installKeys(1, keyPair(0, 99).client, { activate: true });
    expect(client.drainEvents()).toEqual([
      { type: 'key-expired', keyId: 0, reason: 'replaced' },
      { type: 'key-activated', keyId: 0 },
    ]);
  });

  it('a failed install (malformed key) leaves the state untouched', () => {
    const { client } = connectedPair();
    const before = client.stats();
    const bad = {
      keyId: 1,
      send: { key: new Uint8Array(31), iv: new Uint8Array(12) },
      receive: keyPair(1).client.receive,
    };
    expect(() => client.installKeys(0, bad, { activate: true })).toThrow(
      expect.objectContaining({ code: 'DATA_KEY_INVALID' }),
    );
    expect(client.stats()).toEqual(before);
    expect(client.drainEvents()).toEqual([]);
  });

  it('cycles key ids 0..7 and wraps to 0, each key with its own counters', () => {
    const { client, server } = connectedPair({ tranWindowMs: 10, rekey: { renegMs: 0 } });
    let t = 0;
    for (let generation = 1; generation <= 17; generation++) {
      const keyId = generation % 8;
      const keys = keyPair(keyId, generation + 100);
      t += 100;
      client.installKeys(t, keys.client, { activate: false });
      server.installKeys(t + 1, keys.server, { activate: true });
      server.onTimer(t + 1);
      client.onTimer(t + 1);
      expect(client.decrypt(t + 2, sealed(server.encrypt(t + 2, ipv4(generation)))).type).toBe('ip');
      const up = sealed(client.encrypt(t + 3, ipv4(generation)));
      expect(up[0]).toBe((9 << 3) | keyId);
      expect(Array.from(up.subarray(4, 12))).toEqual([0, 0, 0, 0, 0, 0, 0, 1]); // counter restarts per key
      expect(server.decrypt(t + 3, up).type).toBe('ip');
    }
    expect(client.sendKeyId).toBe(1);
  });

  it('close() wipes every key and drops everything afterwards', () => {
    const { client, server } = connectedPair();
    const datagram = sealed(client.encrypt(0, ipv4(1)));
    expect(server.close()).toEqual([{ type: 'key-expired', keyId: 0, reason: 'closed' }]);
    expect(server.decrypt(0, datagram)).toEqual({ type: 'drop', reason: 'closed' });
    expect(server.encrypt(0, ipv4(1))).toEqual({ ok: false, reason: 'closed' });
    expect(server.nextTimer()).toBeUndefined();
    expect(server.close()).toEqual([]);
    expect(() => server.installKeys(0, keyPair(1).server, { activate: true })).toThrow(
      expect.objectContaining({ code: 'DATA_MISUSE' }),
    );
  });
});
