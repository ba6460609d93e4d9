import { describe, expect, it } from 'vitest';
import { KmePair, type KmeRequestIn } from '../../src/qkd/kme-handler.js';
import { KeyPool } from '../../src/qkd/kme-pool.js';

function pair(pool = { rateBitsPerSecond: 0, capacityBits: 4096 }, maxPendingKeys = 4096) {
  let n = 0;
  return new KmePair({
    a: { kmeId: 'kme-a', saeId: 'sae-a' },
    b: { kmeId: 'kme-b', saeId: 'sae-b' },
    pool: new KeyPool({ ...pool, now: 0 }),
    maxPendingKeys,
    randomBytes: (len) => new Uint8Array(len).fill(++n),
    randomUuid: () => `id-${++n}`,
  });
}

const post = (caller: string, url: string, body: unknown): KmeRequestIn => ({
  callerSaeId: caller,
  method: 'POST',
  url,
  contentType: 'application/json',
  body: new TextEncoder().encode(JSON.stringify(body)),
});
const get = (caller: string, url: string): KmeRequestIn => ({
  callerSaeId: caller,
  method: 'GET',
  url,
  contentType: undefined,
  body: new Uint8Array(0),
});
type Keys = { keys: { key_ID: string; key: string }[] };

describe('KME pair (simulator logic)', () => {
  it('enc_keys on A, dec_keys on B: the same key, delivered once', () => {
    const p = pair();
    const enc = p.handle(0, post('sae-a', '/api/v1/keys/sae-b/enc_keys', { number: 2, size: 256 }), 0);
    expect(enc.status).toBe(200);
    const keys = (enc.json as Keys).keys;
    expect(keys).toHaveLength(2);
    const dec = p.handle(
      1,
      post('sae-b', '/api/v1/keys/sae-a/dec_keys', { key_IDs: [{ key_ID: keys[1]!.key_ID }] }),
      0,
    );
    expect(dec.status).toBe(200);
    expect((dec.json as Keys).keys).toEqual([keys[1]]);
    const again = p.handle(1, get('sae-b', `/api/v1/keys/sae-a/dec_keys?key_ID=${keys[1]!.key_ID}`), 0);
    expect(again.status).toBe(400);
    expect(again.json).toMatchObject({ message: 'Key not found', details: [{ key_ID: keys[1]!.key_ID }] });
    expect(enc.log).not.toContain(keys[0]!.key);
  });

  it('either SAE may be master; a key goes only to its slave, named with its master', () => {
    const p = pair();
    const enc = p.handle(1, get('sae-b', '/api/v1/keys/sae-a/enc_keys?number=1&size=128'), 0);
    const id = (enc.json as Keys).keys[0]!.key_ID;
    expect(Buffer.from((enc.json as Keys).keys[0]!.key, 'base64')).toHaveLength(16);
    // The master itself cannot fetch it back through the other KME's port, nor via its own.
    expect(p.handle(0, get('sae-b', `/api/v1/keys/sae-a/dec_keys?key_ID=${id}`), 0).status).toBe(401);
    expect(p.handle(1, get('sae-b', `/api/v1/keys/sae-b/dec_keys?key_ID=${id}`), 0).status).toBe(400);
    expect(p.handle(0, get('sae-a', `/api/v1/keys/sae-b/dec_keys?key_ID=${id}`), 0).status).toBe(200);
  });

  it('all-or-nothing: one bad ID in dec_keys delivers none', () => {
    const p = pair();
    const id = (p.handle(0, post('sae-a', '/api/v1/keys/sae-b/enc_keys', {}), 0).json as Keys).keys[0]!
      .key_ID;
    const bad = p.handle(
      1,
      post('sae-b', '/api/v1/keys/sae-a/dec_keys', { key_IDs: [{ key_ID: id }, { key_ID: 'nope' }] }),
      0,
    );
    expect(bad.status).toBe(400);
    expect(
      p.handle(1, post('sae-b', '/api/v1/keys/sae-a/dec_keys', { key_IDs: [{ key_ID: id }] }), 0).status,
    ).toBe(200);
  });

  it('starves with 503 when the pool is empty and recovers at the configured rate', () => {
    const p = pair({ rateBitsPerSecond: 256, capacityBits: 512 });
    const enc = () =>
      p.handle(0, post('sae-a', '/api/v1/keys/sae-b/enc_keys', { number: 1, size: 256 }), now);
    let now = 0;
    expect(enc().status).toBe(200);
    expect(enc().status).toBe(200);
    const starved = enc();
    expect(starved.status).toBe(503);
    expect(starved.json).toMatchObject({ message: 'Insufficient key material' });
    now = 999;
    expect(enc().status).toBe(503);
    now = 1000;
    expect(enc().status).toBe(200);
    expect(p.stats).toMatchObject({ keysIssued: 3, starved: 2 });
  });

  it('status reports the standard fields from the pool', () => {
    const p = pair({ rateBitsPerSecond: 0, capacityBits: 1024 });
    const s = p.handle(0, get('sae-a', '/api/v1/keys/sae-b/status'), 0);
    expect(s.json).toEqual({
      source_KME_ID: 'kme-a',
      target_KME_ID: 'kme-b',
      master_SAE_ID: 'sae-a',
      slave_SAE_ID: 'sae-b',
      key_size: 256,
      stored_key_count: 4,
      max_key_count: 4,
      max_key_per_request: 128,
      max_key_size: 8192,
      min_key_size: 64,
      max_SAE_ID_count: 0,
    });
  });

  it.each([
    ['a caller this KME does not serve', 0, post('sae-b', '/api/v1/keys/sae-b/enc_keys', {}), 401],
    ['no client identity', 0, { ...get('sae-a', '/api/v1/keys/sae-b/status'), callerSaeId: undefined }, 401],
    ['an unknown slave', 0, post('sae-a', '/api/v1/keys/sae-x/enc_keys', {}), 400],
    ['an unknown call', 0, get('sae-a', '/api/v1/keys/sae-b/other'), 404],
    ['a path outside the API', 0, get('sae-a', '/'), 404],
    ['POST to status', 0, post('sae-a', '/api/v1/keys/sae-b/status', {}), 405],
    ['a size not a multiple of 8', 0, post('sae-a', '/api/v1/keys/sae-b/enc_keys', { size: 100 }), 400],
    ['a size beyond the maximum', 0, post('sae-a', '/api/v1/keys/sae-b/enc_keys', { size: 16384 }), 400],
    ['number 0', 0, post('sae-a', '/api/v1/keys/sae-b/enc_keys', { number: 0 }), 400],
    ['number as a string in JSON', 0, post('sae-a', '/api/v1/keys/sae-b/enc_keys', { number: '1' }), 400],
    ['a GET number that is not an integer', 0, get('sae-a', '/api/v1/keys/sae-b/enc_keys?number=1.5'), 400],
    [
      'key multicast',
      0,
      post('sae-a', '/api/v1/keys/sae-b/enc_keys', { additional_slave_SAE_IDs: ['c'] }),
      400,
    ],
    [
      'a mandatory extension',
      0,
      post('sae-a', '/api/v1/keys/sae-b/enc_keys', { extension_mandatory: [{ x: 1 }] }),
      400,
    ],
    ['key_IDs as strings', 1, post('sae-b', '/api/v1/keys/sae-a/dec_keys', { key_IDs: ['x'] }), 400],
    ['GET dec_keys without key_ID', 1, get('sae-b', '/api/v1/keys/sae-a/dec_keys'), 400],
    [
      'a duplicated key ID',
      1,
      post('sae-b', '/api/v1/keys/sae-a/dec_keys', { key_IDs: [{ key_ID: 'x' }, { key_ID: 'x' }] }),
      400,
    ],
    [
      'a non-JSON body',
      0,
      { ...post('sae-a', '/api/v1/keys/sae-b/enc_keys', {}), body: new Uint8Array([123]) },
      400,
    ],
    [
      'a body without the JSON content type',
      0,
      { ...post('sae-a', '/api/v1/keys/sae-b/enc_keys', {}), contentType: 'text/plain' },
      400,
    ],
  ] as const)('refuses %s', (_what, which, req, status) => {
    const p = pair();
    const answer = p.handle(which, req, 0);
    expect(answer.status).toBe(status);
    expect(answer.json).toHaveProperty('message');
  });

  it('empty optional arrays are fine; unknown fields are ignored', () => {
    const p = pair();
    const body = { number: 1, size: 256, additional_slave_SAE_IDs: [], extension_mandatory: [], x: 1 };
    expect(p.handle(0, post('sae-a', '/api/v1/keys/sae-b/enc_keys', body), 0).status).toBe(200);
  });

  it('bounds the keys waiting for their slave, dropping (and wiping) the oldest', () => {
    const p = pair({ rateBitsPerSecond: 0, capacityBits: 1 << 20 }, 3);
    const ids = [1, 2, 3, 4].map(
      () => (p.handle(0, post('sae-a', '/api/v1/keys/sae-b/enc_keys', {}), 0).json as Keys).keys[0]!.key_ID,
    );
    expect(p.pendingCount).toBe(3);
    expect(p.stats.keysDropped).toBe(1);
    expect(p.handle(1, get('sae-b', `/api/v1/keys/sae-a/dec_keys?key_ID=${ids[0]}`), 0).status).toBe(400);
    expect(p.handle(1, get('sae-b', `/api/v1/keys/sae-a/dec_keys?key_ID=${ids[3]}`), 0).status).toBe(200);
  });
});

describe('key pool', () => {
  it('fills at the rate up to the capacity, from the initial amount', () => {
    const pool = new KeyPool({ rateBitsPerSecond: 100, capacityBits: 1000, initialBits: 0, now: 0 });
    expect(pool.available(0)).toBe(0);
    expect(pool.available(5000)).toBe(500);
    expect(pool.take(600, 5000)).toBe(false);
    expect(pool.take(500, 5000)).toBe(true);
    expect(pool.available(60_000)).toBe(1000);
  });
  it('rejects nonsense parameters', () => {
    expect(() => new KeyPool({ rateBitsPerSecond: -1, capacityBits: 1, now: 0 })).toThrow(RangeError);
    expect(() => new KeyPool({ rateBitsPerSecond: 1, capacityBits: 1, initialBits: 2, now: 0 })).toThrow(
      RangeError,
    );
  });
});
