/**
 * The key source a VPN endpoint uses: initiator keys from a prefetch queue,
 * responder keys by ID, never a key ID twice, failures as typed errors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QkdError } from '../../src/qkd/errors.js';
import type { DeliveredKey } from '../../src/qkd/etsi014.js';
import type { Etsi014Api } from '../../src/qkd/etsi014-client.js';
import { QkdKeySource } from '../../src/qkd/key-source.js';
import { type KmeSimulator, startKmeSimulator } from '../../src/qkd/kme-sim.js';
import { clientFor, makePki, type TestPki } from './support.js';

let pki: TestPki;
let sim: KmeSimulator;
let simNow = 0;

beforeAll(async () => {
  pki = makePki();
  sim = await startKmeSimulator({
    files: pki.files,
    portA: 0,
    portB: 0,
    rateBitsPerSecond: 256,
    capacityBits: 1024, // 4 keys of 256 bits
    now: () => simNow,
  });
});
afterAll(async () => {
  await sim.close();
});

function sides(prefetch = 1) {
  const a = new QkdKeySource({
    api: clientFor(sim.urlA, pki.ca, pki.saeA, { retries: 0 }),
    localSaeId: 'sae-a',
    peerSaeId: 'sae-b',
    keySizeBits: 256,
    mode: 'required',
    prefetch,
  });
  const b = new QkdKeySource({
    api: clientFor(sim.urlB, pki.ca, pki.saeB, { retries: 0 }),
    localSaeId: 'sae-b',
    peerSaeId: 'sae-a',
    keySizeBits: 256,
    mode: 'required',
    prefetch,
  });
  return { a, b };
}

const waitFor = async (cond: () => boolean) => {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(cond()).toBe(true);
};
const codeOf = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (e) {
    if (e instanceof QkdError) return e.code;
    throw e;
  }
  return 'no error';
};

describe('QkdKeySource with the simulator', () => {
  it('initiator and responder get the same key; the key ID travels as UTF-8 of the ETSI key_ID', async () => {
    simNow += 10_000; // pool full
    const { a, b } = sides(0);
    const extra = await a.forInitiator();
    const keyIdText = new TextDecoder().decode(extra.keyId);
    expect(keyIdText).toMatch(/^[0-9a-f-]{36}$/);
    const secret = await b.forResponder(extra.keyId, 'sae-a');
    expect(Buffer.from(secret).equals(Buffer.from(extra.secret))).toBe(true);
    expect(secret).toHaveLength(32);
    expect(a.counters()).toMatchObject({ keysFetched: 1, keysUsedAsInitiator: 1, failures: 0 });
    expect(b.counters()).toMatchObject({ keysUsedAsResponder: 1, failures: 0 });
    expect(a.recentKeyIds()).toEqual([expect.objectContaining({ keyId: keyIdText, role: 'initiator' })]);
    a.close();
    b.close();
  });

  it('serves initiator keys from the prefetch queue and refills it in the background', async () => {
    simNow += 10_000;
    const { a, b } = sides(2);
    a.start();
    await waitFor(() => a.ready === 2);
    const issued = sim.pair.stats.keysIssued;
    const k1 = await a.forInitiator();
    expect(a.ready).toBe(1); // served at once, from the queue
    await waitFor(() => a.ready === 2);
    expect(sim.pair.stats.keysIssued).toBe(issued + 1);
    await b.forResponder(k1.keyId, 'sae-a');
    a.close();
    b.close();
  });

  it('a key ID is never requested twice: a replayed ID is refused locally, without a dec_keys', async () => {
    simNow += 10_000;
    const { a, b } = sides(0);
    const k = await a.forInitiator();
    await b.forResponder(k.keyId, 'sae-a');
    const delivered = sim.pair.stats.keysDelivered;
    expect(await codeOf(b.forResponder(k.keyId, 'sae-a'))).toBe('QKD_KEY_ID_REUSED');
    expect(sim.pair.stats.keysDelivered).toBe(delivered);
    expect(b.counters().lastError?.code).toBe('QKD_KEY_ID_REUSED');
    a.close();
    b.close();
  });

  it('a failed dec_keys is not repeated for the same ID (start over with a new enc_keys)', async () => {
    const { b } = sides(0);
    const id = new TextEncoder().encode('not-a-key-the-kme-knows');
    expect(await codeOf(b.forResponder(id, 'sae-a'))).toBe('QKD_BAD_REQUEST');
    expect(await codeOf(b.forResponder(id, 'sae-a'))).toBe('QKD_KEY_ID_REUSED');
    expect(b.counters().failures).toBe(2);
    b.close();
  });

  it('starvation: the pool runs dry → QKD_UNAVAILABLE with the KME’s reason; recovers when keys flow again', async () => {
    simNow += 10_000;
    const { a, b } = sides(0);
    const got = [];
    for (let i = 0; i < 4; i++) got.push(await a.forInitiator());
    const e = await a.forInitiator().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(QkdError);
    expect((e as QkdError).code).toBe('QKD_UNAVAILABLE');
    expect(a.counters()).toMatchObject({ failures: 1, keysUsedAsInitiator: 4 });
    expect(a.counters().lastError?.message).toMatch(/Insufficient key material/);
    simNow += 1000; // one key's worth at 256 bits/s
    const k = await a.forInitiator();
    expect(await b.forResponder(k.keyId, 'sae-a')).toHaveLength(32);
    a.close();
    b.close();
  });

  it('responder refuses an initiator SAE other than the configured peer, and malformed key IDs', async () => {
    const { b } = sides(0);
    expect(await codeOf(b.forResponder(new TextEncoder().encode('x'), 'sae-z'))).toBe('QKD_PEER_MISMATCH');
    expect(await codeOf(b.forResponder(new Uint8Array([0xff, 0xfe]), 'sae-a'))).toBe('QKD_BAD_KEY_ID');
    expect(await codeOf(b.forResponder(new Uint8Array(0), 'sae-a'))).toBe('QKD_BAD_KEY_ID');
    expect(await codeOf(b.forResponder(new TextEncoder().encode('a\u0000b'), 'sae-a'))).toBe(
      'QKD_BAD_KEY_ID',
    );
    b.close();
  });
});

/** An Etsi014Api double that hands out scripted keys and records calls. */
function fakeApi(script: (n: number) => DeliveredKey[] | Error) {
  const calls: string[] = [];
  const handed: Uint8Array[] = [];
  let n = 0;
  const api: Etsi014Api = {
    status: () => Promise.reject(new Error('unused')),
    getKey: async (slave, req) => {
      calls.push(`enc ${slave} ${req.number}x${req.sizeBits}`);
      const r = script(++n);
      if (r instanceof Error) throw r;
      handed.push(...r.map((k) => k.key));
      return r;
    },
    getKeyWithKeyIds: async (master, ids) => {
      calls.push(`dec ${master} ${ids.join(',')}`);
      return [];
    },
    close: () => calls.push('close'),
  };
  return { api, calls, handed };
}
const key = (id: string) => ({ keyId: id, key: new Uint8Array(32).fill(9) });

describe('QkdKeySource rules (with a scripted KME)', () => {
  it('refuses keys whose ID the KME already handed out', async () => {
    const { api, handed } = fakeApi(() => [key('same')]);
    const s = new QkdKeySource({
      api,
      localSaeId: 'a',
      peerSaeId: 'b',
      keySizeBits: 256,
      mode: 'optional',
      prefetch: 0,
    });
    await s.forInitiator();
    expect(await codeOf(s.forInitiator())).toBe('QKD_KEY_ID_REUSED');
    expect(handed[1]!.every((x) => x === 0)).toBe(true); // the refused key was wiped
  });

  it('discards (wipes) queued keys older than maxKeyAgeMs and fetches a fresh one', async () => {
    let now = 0;
    let i = 0;
    const { api, handed } = fakeApi(() => [key(`k${++i}`)]);
    const s = new QkdKeySource({
      api,
      localSaeId: 'a',
      peerSaeId: 'b',
      keySizeBits: 256,
      mode: 'required',
      prefetch: 1,
      maxKeyAgeMs: 1000,
      now: () => now,
    });
    s.start();
    await waitFor(() => s.ready === 1);
    now = 5000;
    const k = await s.forInitiator();
    expect(new TextDecoder().decode(k.keyId)).toBe('k2');
    expect(handed[0]!.every((x) => x === 0)).toBe(true);
    expect(s.counters().keysDiscarded).toBe(1);
    s.close();
  });

  it('a failed background prefetch backs off and is counted; the next forInitiator tries at once', async () => {
    let now = 0;
    const { api, calls } = fakeApi((n) =>
      n === 1 ? new QkdError('QKD_UNAVAILABLE', 'dry') : [key(`k${n}`)],
    );
    const s = new QkdKeySource({
      api,
      localSaeId: 'a',
      peerSaeId: 'b',
      keySizeBits: 256,
      mode: 'required',
      retryAfterMs: 5000,
      now: () => now,
    });
    s.start();
    await waitFor(() => s.counters().failures === 1);
    s.prefetchNow(); // backing off: no request
    expect(calls.filter((c) => c.startsWith('enc'))).toHaveLength(1);
    now = 100;
    expect(new TextDecoder().decode((await s.forInitiator()).keyId)).toBe('k2');
    expect(s.counters().lastError?.code).toBe('QKD_UNAVAILABLE');
    s.close();
  });

  it('concurrent initiators never share a key', async () => {
    let i = 0;
    const { api } = fakeApi(() => [key(`k${++i}`)]);
    const s = new QkdKeySource({
      api,
      localSaeId: 'a',
      peerSaeId: 'b',
      keySizeBits: 256,
      mode: 'required',
      prefetch: 1,
    });
    s.start();
    const ids = (await Promise.all([s.forInitiator(), s.forInitiator(), s.forInitiator()])).map((k) =>
      new TextDecoder().decode(k.keyId),
    );
    expect(new Set(ids).size).toBe(3);
    s.close();
  });

  it('close wipes the queue and later calls fail with QKD_CLOSED', async () => {
    const { api, handed, calls } = fakeApi(() => [key('q')]);
    const s = new QkdKeySource({ api, localSaeId: 'a', peerSaeId: 'b', keySizeBits: 256, mode: 'required' });
    s.start();
    await waitFor(() => s.ready === 1);
    s.close();
    expect(handed[0]!.every((x) => x === 0)).toBe(true);
    expect(calls).toContain('close');
    expect(await codeOf(s.forInitiator())).toBe('QKD_CLOSED');
    expect(await codeOf(s.forResponder(new TextEncoder().encode('x'), 'b'))).toBe('QKD_CLOSED');
  });
});
