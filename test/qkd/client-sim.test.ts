/**
 * The ETSI 014 client against the simulator over real HTTPS with mutual TLS
 * on 127.0.0.1 (ephemeral ports).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QkdError } from '../../src/qkd/errors.js';
import { type KmeSimulator, startKmeSimulator } from '../../src/qkd/kme-sim.js';
import { clientFor, makePki, type TestPki } from './support.js';

let pki: TestPki;
let sim: KmeSimulator;
let now = 0;

beforeAll(async () => {
  pki = makePki();
  sim = await startKmeSimulator({
    files: pki.files,
    portA: 0,
    portB: 0,
    rateBitsPerSecond: 256,
    capacityBits: 4096,
    now: () => now,
  });
});
afterAll(async () => {
  await sim.close();
});

const codeOf = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (e) {
    if (!(e instanceof QkdError)) throw e;
    return e.code;
  }
  return 'no error';
};

describe('ETSI 014 client against the KME simulator', () => {
  it('status answers the standard fields', async () => {
    const a = clientFor(sim.urlA, pki.ca, pki.saeA);
    const s = await a.status('sae-b');
    expect(s).toMatchObject({
      source_KME_ID: 'kme-a',
      target_KME_ID: 'kme-b',
      master_SAE_ID: 'sae-a',
      slave_SAE_ID: 'sae-b',
    });
    expect(s.stored_key_count).toBeGreaterThan(0);
    a.close();
  });

  for (const method of ['POST', 'GET'] as const) {
    it(`${method}: enc_keys at A for B, dec_keys at B naming A; same bytes; delivered once`, async () => {
      const a = clientFor(sim.urlA, pki.ca, pki.saeA, { method });
      const b = clientFor(sim.urlB, pki.ca, pki.saeB, { method });
      const [k] = await a.getKey('sae-b', { number: 1, sizeBits: 256 });
      expect(k!.key).toHaveLength(32);
      const [d] = await b.getKeyWithKeyIds('sae-a', [k!.keyId], 256);
      expect(d!.keyId).toBe(k!.keyId);
      expect(Buffer.from(d!.key).equals(Buffer.from(k!.key))).toBe(true);
      // Asking again: the KME refuses (400), and the client does not retry (it received an answer).
      expect(await codeOf(b.getKeyWithKeyIds('sae-a', [k!.keyId]))).toBe('QKD_BAD_REQUEST');
      expect(b.sleeps).toEqual([]);
      a.close();
      b.close();
    });
  }

  it('several keys in one request (POST), fetched back in another order', async () => {
    const a = clientFor(sim.urlA, pki.ca, pki.saeA);
    const b = clientFor(sim.urlB, pki.ca, pki.saeB);
    const keys = await a.getKey('sae-b', { number: 3, sizeBits: 128 });
    const ids = keys.map((k) => k.keyId).reverse();
    const got = await b.getKeyWithKeyIds('sae-a', ids, 128);
    for (const k of keys) {
      expect(Buffer.from(got.find((g) => g.keyId === k.keyId)!.key).equals(Buffer.from(k.key))).toBe(true);
    }
    a.close();
    b.close();
  });

  it('the error message carries the KME’s own words, never a key', async () => {
    const b = clientFor(sim.urlB, pki.ca, pki.saeB);
    const err = await b.getKeyWithKeyIds('sae-a', ['no-such-key']).catch((e: QkdError) => e);
    expect(err).toBeInstanceOf(QkdError);
    expect((err as QkdError).status).toBe(400);
    expect((err as QkdError).message).toMatch(/dec_keys: HTTP 400: Key not found/);
    b.close();
  });

  it('another SAE’s (valid) certificate at this KME: 401', async () => {
    const wrong = clientFor(sim.urlA, pki.ca, pki.saeB);
    expect(await codeOf(wrong.status('sae-b'))).toBe('QKD_UNAUTHORIZED');
    wrong.close();
  });

  it('a client certificate from another CA is a TLS failure, not a 401', async () => {
    const foreign = clientFor(sim.urlA, pki.ca, pki.foreignSae);
    expect(await codeOf(foreign.status('sae-b'))).toBe('QKD_TLS_FAILED');
    expect(foreign.sleeps).toEqual([]);
    foreign.close();
  });

  it('a KME certificate from a CA we do not trust is a TLS failure', async () => {
    const c = clientFor(sim.urlA, pki.foreignCa, pki.saeA);
    expect(await codeOf(c.status('sae-b'))).toBe('QKD_TLS_FAILED');
    c.close();
  });

  it('starvation: an empty pool answers 503 (retried with back-off), then recovers at the key rate', async () => {
    const a = clientFor(sim.urlA, pki.ca, pki.saeA, { retries: 2 });
    const available = Math.floor(sim.pair.pool.available(now) / 256);
    await a.getKey('sae-b', { number: available, sizeBits: 256 });
    const err = await a.getKey('sae-b', { number: 1, sizeBits: 256 }).catch((e: QkdError) => e);
    expect((err as QkdError).code).toBe('QKD_UNAVAILABLE');
    expect((err as QkdError).message).toMatch(/HTTP 503: Insufficient key material/);
    expect(a.sleeps).toEqual([1, 2]);
    now += 1000; // 256 bits/s: one more key
    expect(await a.getKey('sae-b', { number: 1, sizeBits: 256 })).toHaveLength(1);
    expect(await codeOf(a.getKey('sae-b', { number: 1, sizeBits: 256 }))).toBe('QKD_UNAVAILABLE');
    a.close();
  });

  it('a stopped KME is a connection failure (dec_keys retried only because nothing was sent)', async () => {
    const other = await startKmeSimulator({
      files: pki.files,
      portA: 0,
      portB: 0,
      rateBitsPerSecond: 0,
      capacityBits: 0,
    });
    const url = other.urlB;
    await other.close();
    const b = clientFor(url, pki.ca, pki.saeB, { retries: 2 });
    expect(await codeOf(b.getKeyWithKeyIds('sae-a', ['x']))).toBe('QKD_CONNECT_FAILED');
    expect(b.sleeps).toEqual([1, 2]);
    b.close();
  });
});
