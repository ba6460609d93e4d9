/**
 * The ETSI 014 client against KMEs that get things wrong — what public KMEs and
 * simulators were seen to do — served by a scripted HTTPS server with mutual TLS.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { QkdError } from '../../src/qkd/errors.js';
import {
  bytes,
  clientFor,
  container,
  type FakeAnswer,
  type FakeKme,
  fakeKme,
  makePki,
  type TestPki,
} from './support.js';

let pki: TestPki;
let kme: FakeKme | undefined;
beforeAll(() => {
  pki = makePki();
});
afterEach(async () => {
  await kme?.close();
  kme = undefined;
});

async function serve(answer: (req: Parameters<Parameters<typeof fakeKme>[1]>[0], n: number) => FakeAnswer) {
  kme = await fakeKme(pki, answer);
  return kme;
}
const json = (status: number, body: unknown): FakeAnswer => ({ status, body: JSON.stringify(body) });
const failure = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (e) {
    if (e instanceof QkdError) return e;
    throw e;
  }
  throw new Error('expected a QkdError');
};

describe('requests as the standard wants them', () => {
  it('enc_keys: POST JSON to the slave, empty optional fields omitted', async () => {
    const k = await serve(() => ({ status: 200, body: container([['k1', bytes(32)]]) }));
    const c = clientFor(k.url, pki.ca, pki.saeA);
    await c.getKey('sae-b', { number: 1, sizeBits: 256 });
    expect(k.requests[0]).toMatchObject({
      method: 'POST',
      url: '/api/v1/keys/sae-b/enc_keys',
      contentType: 'application/json',
      callerCn: 'sae-a',
    });
    expect(JSON.parse(k.requests[0]!.body)).toEqual({ number: 1, size: 256 });
    c.close();
  });

  it('dec_keys: POST to the MASTER’s ID with key_IDs as objects', async () => {
    const k = await serve(() => ({ status: 200, body: container([['k1', bytes(32)]]) }));
    const c = clientFor(k.url, pki.ca, pki.saeB);
    await c.getKeyWithKeyIds('sae-a', ['k1']);
    expect(k.requests[0]!.url).toBe('/api/v1/keys/sae-a/dec_keys');
    expect(JSON.parse(k.requests[0]!.body)).toEqual({ key_IDs: [{ key_ID: 'k1' }] });
    c.close();
  });

  it('GET forms carry number/size and one URL-encoded key_ID', async () => {
    const k = await serve((req) =>
      req.url.includes('enc_keys')
        ? { status: 200, body: container([['a b', bytes(16)]]) }
        : { status: 200, body: container([['a b', bytes(16)]]) },
    );
    const c = clientFor(k.url, pki.ca, pki.saeA, { method: 'GET' });
    await c.getKey('sae-b', { number: 1, sizeBits: 128 });
    await c.getKeyWithKeyIds('sae-b', ['a b']);
    expect(k.requests.map((r) => r.url)).toEqual([
      '/api/v1/keys/sae-b/enc_keys?number=1&size=128',
      '/api/v1/keys/sae-b/dec_keys?key_ID=a%20b',
    ]);
    expect((await failure(c.getKeyWithKeyIds('sae-b', ['x', 'y']))).code).toBe('QKD_CONFIG');
    c.close();
  });

  it('a KME base URL with a path prefix keeps it', async () => {
    const k = await serve(() => json(200, { keys: [] }));
    const c = clientFor(`${k.url}/qkd/`, pki.ca, pki.saeA);
    await failure(c.getKey('sae-b', { number: 1, sizeBits: 256 }));
    expect(k.requests[0]!.url).toBe('/qkd/api/v1/keys/sae-b/enc_keys');
    c.close();
  });
});

describe('answers the client survives with a clear error', () => {
  it.each([
    [400, 'QKD_BAD_REQUEST', false],
    [401, 'QKD_UNAUTHORIZED', false],
    [404, 'QKD_NOT_FOUND', false],
    [409, 'QKD_CONFLICT', false],
    [500, 'QKD_KME_ERROR', true],
    [503, 'QKD_UNAVAILABLE', true],
    [504, 'QKD_GATEWAY_TIMEOUT', true],
    [418, 'QKD_HTTP_STATUS', false],
  ] as const)('HTTP %i with a JSON error → %s (enc_keys retried: %s)', async (status, code, retried) => {
    const k = await serve(() => json(status, { message: 'nope', details: [{ why: 'because' }] }));
    const c = clientFor(k.url, pki.ca, pki.saeA, { retries: 1 });
    const e = await failure(c.getKey('sae-b', { number: 1, sizeBits: 256 }));
    expect(e.code).toBe(code);
    expect(e.status).toBe(status);
    expect(e.message).toContain(`HTTP ${status}: nope`);
    expect(k.requests).toHaveLength(retried ? 2 : 1);
    c.close();
  });

  it('an HTML error page says so', async () => {
    const k = await serve(() => ({
      status: 502,
      contentType: 'text/html',
      body: '<html><body>Bad Gateway</body></html>',
    }));
    const c = clientFor(k.url, pki.ca, pki.saeA, { retries: 0 });
    const e = await failure(c.status('sae-b'));
    expect(e.code).toBe('QKD_KME_ERROR');
    expect(e.message).toMatch(/HTML page/);
    c.close();
  });

  it('an HTML page with status 200 is QKD_NOT_JSON; broken JSON is QKD_MALFORMED_RESPONSE', async () => {
    const k = await serve((_r, n) =>
      n === 1
        ? { status: 200, contentType: 'text/html', body: '<!doctype html><p>login</p>' }
        : { status: 200, body: '{"keys": [' },
    );
    const c = clientFor(k.url, pki.ca, pki.saeA);
    expect((await failure(c.getKey('sae-b', { number: 1, sizeBits: 256 }))).code).toBe('QKD_NOT_JSON');
    expect((await failure(c.getKey('sae-b', { number: 1, sizeBits: 256 }))).code).toBe(
      'QKD_MALFORMED_RESPONSE',
    );
    c.close();
  });

  it('JSON sent as text/plain is tolerated', async () => {
    const k = await serve(() => ({
      status: 200,
      contentType: 'text/plain',
      body: container([['k', bytes(32)]]),
    }));
    const c = clientFor(k.url, pki.ca, pki.saeA);
    expect(await c.getKey('sae-b', { number: 1, sizeBits: 256 })).toHaveLength(1);
    c.close();
  });

  it.each([
    ['size counted in bytes', container([['k', bytes(4)]]), 'QKD_KEY_SIZE'],
    ['size rounded up', container([['k', bytes(33)]]), 'QKD_KEY_SIZE'],
    [
      'junk that Buffer.from would decode',
      container([['k', `${Buffer.from(bytes(32)).toString('base64').slice(0, 40)}*${'A'.repeat(3)}`]]),
      'QKD_BAD_BASE64',
    ],
    [
      'a duplicate key ID',
      container([
        ['k', bytes(32)],
        ['k', bytes(32)],
      ]),
      'QKD_DUPLICATE_KEY_ID',
    ],
    [
      'more keys than asked for',
      container([
        ['k', bytes(32)],
        ['l', bytes(32)],
      ]),
      'QKD_KEY_COUNT',
    ],
    ['no keys', container([]), 'QKD_KEY_COUNT'],
    ['keys as a map, not an array', JSON.stringify({ keys: { k: 'x' } }), 'QKD_MALFORMED_RESPONSE'],
  ])('enc_keys answer with %s → %s', async (_what, body, code) => {
    const k = await serve(() => ({ status: 200, body }));
    const c = clientFor(k.url, pki.ca, pki.saeA);
    expect((await failure(c.getKey('sae-b', { number: 1, sizeBits: 256 }))).code).toBe(code);
    expect(k.requests).toHaveLength(1); // a bad 200 answer is not retried
    c.close();
  });

  it('dec_keys: IDs in another order are matched by ID; a swapped-in foreign ID is refused', async () => {
    const k = await serve((_r, n) =>
      n === 1
        ? {
            status: 200,
            body: container([
              ['b', bytes(32, 2)],
              ['a', bytes(32, 1)],
            ]),
          }
        : {
            status: 200,
            body: container([
              ['a', bytes(32, 1)],
              ['z', bytes(32, 2)],
            ]),
          },
    );
    const c = clientFor(k.url, pki.ca, pki.saeB);
    const got = await c.getKeyWithKeyIds('sae-a', ['a', 'b'], 256);
    expect(got.find((x) => x.keyId === 'a')!.key[0]).toBe(1);
    expect(got.find((x) => x.keyId === 'b')!.key[0]).toBe(2);
    expect((await failure(c.getKeyWithKeyIds('sae-a', ['a', 'b']))).code).toBe('QKD_KEY_ID_MISMATCH');
    c.close();
  });

  it('a KME that ignores GET query parameters is caught by the size check (POST avoids it)', async () => {
    // Answers its default (256 bits) whatever size the query asked for.
    const k = await serve((req) => {
      const size = req.method === 'POST' ? (JSON.parse(req.body) as { size: number }).size : 256;
      return { status: 200, body: container([['k', bytes(size / 8)]]) };
    });
    const get = clientFor(k.url, pki.ca, pki.saeA, { method: 'GET' });
    expect((await failure(get.getKey('sae-b', { number: 1, sizeBits: 512 }))).code).toBe('QKD_KEY_SIZE');
    const post = clientFor(k.url, pki.ca, pki.saeA);
    expect((await post.getKey('sae-b', { number: 1, sizeBits: 512 }))[0]!.key).toHaveLength(64);
    get.close();
    post.close();
  });

  it('an answer larger than the limit is refused', async () => {
    const k = await serve(() => ({ status: 200, body: `{"keys":[],"pad":"${'x'.repeat(1_100_000)}"}` }));
    const c = clientFor(k.url, pki.ca, pki.saeA);
    expect((await failure(c.status('sae-b'))).code).toBe('QKD_MALFORMED_RESPONSE');
    c.close();
  });
});

describe('time-outs, retries and what is never retried', () => {
  it('a KME that never answers: QKD_TIMEOUT; dec_keys is not resent once the KME may have seen it', async () => {
    const k = await serve(() => 'hang');
    const c = clientFor(k.url, pki.ca, pki.saeB, { timeoutMs: 150, retries: 2 });
    const e = await failure(c.getKeyWithKeyIds('sae-a', ['k']));
    expect(e.code).toBe('QKD_TIMEOUT');
    expect(k.requests).toHaveLength(1);
    expect(c.sleeps).toEqual([]);
    c.close();
  });

  it('enc_keys after a time-out is retried (a lost answer only wastes keys)', async () => {
    const k = await serve((_r, n) =>
      n === 1 ? 'hang' : { status: 200, body: container([['k2', bytes(32)]]) },
    );
    const c = clientFor(k.url, pki.ca, pki.saeA, { timeoutMs: 150, retries: 1 });
    expect((await c.getKey('sae-b', { number: 1, sizeBits: 256 }))[0]!.keyId).toBe('k2');
    expect(k.requests).toHaveLength(2);
    c.close();
  });

  it('dec_keys after a 503 is not resent', async () => {
    const k = await serve(() => json(503, { message: 'busy' }));
    const c = clientFor(k.url, pki.ca, pki.saeB, { retries: 2 });
    expect((await failure(c.getKeyWithKeyIds('sae-a', ['k']))).code).toBe('QKD_UNAVAILABLE');
    expect(k.requests).toHaveLength(1);
    c.close();
  });

  it('a connection cut mid-request: connection failure; status retried, dec_keys not', async () => {
    const k = await serve(() => 'destroy');
    const c = clientFor(k.url, pki.ca, pki.saeB, { retries: 1 });
    // The socket is destroyed after the session tickets arrived, so it is not mistaken for a TLS refusal.
    expect((await failure(c.status('sae-a'))).code).toBe('QKD_CONNECT_FAILED');
    expect(k.requests).toHaveLength(2);
    expect((await failure(c.getKeyWithKeyIds('sae-a', ['k']))).code).toBe('QKD_CONNECT_FAILED');
    expect(k.requests).toHaveLength(3);
    c.close();
  });
});

it('an answer cut off half-way: connection failure; dec_keys not resent', async () => {
  const k = await serve(() => 'partial');
  const c = clientFor(k.url, pki.ca, pki.saeB, { retries: 2 });
  expect((await failure(c.getKeyWithKeyIds('sae-a', ['k']))).code).toBe('QKD_CONNECT_FAILED');
  expect(k.requests).toHaveLength(1);
  c.close();
});

describe('TLS', () => {
  it('a KME certificate that does not name the host in qkd-kme: QKD_KME_NAME_MISMATCH, nothing sent', async () => {
    kme = await fakeKme(pki, () => json(200, {}), pki.wrongName);
    const c = clientFor(kme.url, pki.ca, pki.saeA);
    expect((await failure(c.status('sae-b'))).code).toBe('QKD_KME_NAME_MISMATCH');
    expect(kme.requests).toHaveLength(0);
    expect(c.sleeps).toEqual([]);
    c.close();
  });

  it('a client certificate refused inside a TLS 1.2 handshake: QKD_TLS_FAILED', async () => {
    kme = await fakeKme(pki, () => json(200, {}), pki.kmeA, { maxVersion: 'TLSv1.2' });
    const c = clientFor(kme.url, pki.ca, pki.foreignSae);
    expect((await failure(c.status('sae-b'))).code).toBe('QKD_TLS_FAILED');
    expect(kme.requests).toHaveLength(0);
    c.close();
  });

  it('a client certificate refused after a TLS 1.3 handshake: QKD_TLS_FAILED, not retried', async () => {
    kme = await fakeKme(pki, () => json(200, {}));
    const c = clientFor(kme.url, pki.ca, pki.foreignSae, { retries: 2 });
    expect((await failure(c.getKey('sae-b', { number: 1, sizeBits: 256 }))).code).toBe('QKD_TLS_FAILED');
    expect(c.sleeps).toEqual([]);
    c.close();
  });
});
