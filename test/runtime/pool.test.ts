/**
 * The worker-pool server control plane, through one pool of two workers
 * shared by the tests of this file (starting workers from TypeScript sources
 * costs seconds): concurrent handshakes in certificate + password mode, no
 * public-key work on the main thread, rekey and float, misuse, a worker
 * crash, and shutdown. The tests run in order; the last one shuts down.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EndpointEvent } from '../../src/protocol/control/server-endpoint.js';
import type { DataKeyMaterial } from '../../src/protocol/data/keys.js';
import type { ServerConfig, SessionEvent } from '../../src/protocol/handshake/types.js';
import type { ClientControlPlane, ServerControlPlane } from '../../src/runtime/control-plane.js';
import {
  createWorkerPoolServerControlPlane,
  type WorkerPoolServerControlPlane,
} from '../../src/runtime/handshake-pool.js';
import {
  createInProcessClientControlPlane,
  createInProcessServerControlPlane,
} from '../../src/runtime/in-process.js';
import { tsExecArgv } from '../support/run-ts.js';
import { counts, makeSplitPki, type SplitPki } from './counting-schemes.js';
import { type Decide, Loopback } from './fixtures.js';

const WORKER_URL = new URL('./pool-worker-fixture.ts', import.meta.url);
const SECRET = 'correct horse';

let pki: SplitPki;
let loop: Loopback;
let pool: WorkerPoolServerControlPlane;
const misuse: Error[] = [];
const clients: ClientControlPlane[] = [];

const decide: Decide = (e) => {
  if (e.username === 'crash') return { ok: false, reason: 'crash-worker' };
  return Buffer.from(e.password ?? []).toString() === SECRET
    ? { ok: true, peerId: 9, pushOptions: ['ping 10'] }
    : { ok: false, reason: `bad password for ${e.username}` };
};

function serverConfig(): ServerConfig {
  // A long linger keeps closed sessions counted for the whole file, so session accounting is deterministic.
  return { identity: pki.server, clientAuth: { certificate: true, password: true }, lingerMs: 600_000 };
}

beforeAll(async () => {
  pki = makeSplitPki();
  loop = new Loopback(decide);
  pool = await createWorkerPoolServerControlPlane(
    {
      session: serverConfig(),
      verifier: { trustAnchors: [pki.clientCaPem] },
      cookies: 'off',
      workers: 2,
      execArgv: tsExecArgv,
      workerUrl: WORKER_URL,
      onError: (e) => misuse.push(e),
    },
    loop.serverSink,
  );
  loop.server = pool;
}, 60_000);

afterAll(async () => {
  for (const c of clients) await c.shutdown('shutdown');
  await pool.shutdown('shutdown');
});

async function connect(l: Loopback, address: string, username = address, password = SECRET) {
  const c = await createInProcessClientControlPlane(
    {
      session: {
        identity: pki.client(address),
        credentials: { username, password: new TextEncoder().encode(password) },
      },
      verifier: { trustAnchors: [pki.serverCaPem] },
    },
    l.clientSink(address),
  );
  l.clients.set(address, c);
  clients.push(c);
  c.start();
  return c;
}

const serverEvent = <T extends EndpointEvent['type']>(address: string, type: T) =>
  loop.serverEvents.find((e) => e.address === address && e.type === type) as
    | Extract<EndpointEvent, { type: T }>
    | undefined;
const keysOf = (events: readonly SessionEvent[]): DataKeyMaterial[] =>
  events.flatMap((e) => (e.type === 'keys-installed' ? [e.keys] : []));

describe('worker-pool server control plane', () => {
  it('four concurrent handshakes (certificate + password) complete, two per worker, with matching keys', async () => {
    const names = ['c1:1', 'c2:1', 'c3:1', 'c4:1'];
    for (const a of names) await connect(loop, a);
    await connect(loop, 'liar:1', 'liar', 'wrong');
    await loop.waitFor(
      () => names.every((a) => loop.established(a)) && loop.closed('liar:1'),
      20_000,
      'handshakes',
    );
    expect(pool.stats().sessionsPerWorker.reduce((a, b) => a + b)).toBeGreaterThanOrEqual(4);
    expect(Math.min(...pool.stats().sessionsPerWorker)).toBeGreaterThanOrEqual(2);
    for (const a of names) {
      const auth = serverEvent(a, 'auth-needed');
      expect(auth).toMatchObject({ commonName: a, username: a });
      expect(Buffer.from(auth!.password!).toString()).toBe(SECRET);
      const sk = serverEvent(a, 'keys-installed')!.keys;
      const [ck] = keysOf(loop.eventsOf(a));
      expect(String(sk)).toContain('redacted');
      expect(Buffer.from(sk.receive.key)).toEqual(Buffer.from(ck!.send.key));
      expect(Buffer.from(sk.send.iv)).toEqual(Buffer.from(ck!.receive.iv));
      expect(loop.eventsOf(a).find((e) => e.type === 'established')).toMatchObject({ peerId: 9 });
    }
    expect(loop.eventsOf('liar:1').find((e) => e.type === 'closed')).toMatchObject({ reason: 'AUTH_FAILED' });
    expect(serverEvent('liar:1', 'closed')).toMatchObject({
      reason: 'AUTH_FAILED',
      detail: expect.stringContaining('bad password for liar'),
    });
  }, 30_000);

  it('the main thread signs nothing and verifies no client signature; the in-process plane does both', async () => {
    const before = { ...counts };
    for (const a of ['m1:1', 'm2:1']) await connect(loop, a);
    await loop.waitFor(() => loop.established('m1:1') && loop.established('m2:1'), 15_000, 'handshakes');
    // The clients on this thread did their part (the counters work)…
    expect(counts.serverVerify - before.serverVerify).toBeGreaterThanOrEqual(2);
    expect(counts.clientSign - before.clientSign).toBe(2);
    // …and the server's part happened elsewhere.
    expect(counts.serverSign).toBe(before.serverSign);
    expect(counts.clientVerify).toBe(before.clientVerify);
    expect(counts.clientCaVerify).toBe(before.clientCaVerify);

    // The same handshake with the server on this thread is seen by the same counters.
    const local = new Loopback(decide);
    const server: ServerControlPlane = await createInProcessServerControlPlane(
      { session: serverConfig(), verifier: { trustAnchors: [pki.clientCaPem] }, cookies: 'off' },
      local.serverSink,
    );
    local.server = server;
    const mid = { ...counts };
    await connect(local, 'local:1');
    await local.waitFor(() => local.established('local:1'), 10_000, 'in-process handshake');
    await server.shutdown('shutdown');
    expect(counts.serverSign - mid.serverSign).toBe(1);
    expect(counts.clientVerify - mid.clientVerify).toBe(1);
    expect(counts.clientCaVerify - mid.clientCaVerify).toBeGreaterThanOrEqual(1);
  }, 30_000);

  it('rekeys through the worker, and control datagrams follow updateAddress', async () => {
    const id = serverEvent('c1:1', 'established')!.session;
    const c1 = loop.clients.get('c1:1')!;
    loop.clients.delete('c1:1');
    loop.clients.set('c1:2', c1);
    pool.updateAddress(id, 'c1:2');
    pool.startRekey(id);
    await loop.waitFor(() => keysOf(loop.eventsOf('c1:1')).some((k) => k.keyId === 1), 10_000, 'rekey');
    await loop.waitFor(
      () =>
        loop.serverEvents.some((e) => e.session === id && e.type === 'keys-installed' && e.keys.keyId === 1),
      10_000,
      'server keys',
    );
    expect(loop.serverEvents.find((e) => e.session === id && e.type === 'rekey-started')).toMatchObject({
      address: 'c1:2',
      initiator: 'local',
    });
  }, 20_000);

  it('driver misuse comes back through onError with its code', async () => {
    const id = serverEvent('c2:1', 'established')!.session;
    pool.authResult(id, { ok: true, peerId: 1, pushOptions: [] });
    const until = Date.now() + 5_000;
    while (misuse.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    expect(misuse[0]).toMatchObject({ code: 'SESSION_MISUSE' });
  });

  it('a crashed worker closes each of its sessions with WORKER_CRASHED and is replaced', async () => {
    const perWorker = pool.stats().sessionsPerWorker;
    const total = pool.stats().sessions;
    const startedBefore = pool.stats().counters['worker-started'] ?? 0;
    await connect(loop, 'crash:1', 'crash');
    await loop.waitFor(
      () => serverEvent('crash:1', 'closed') !== undefined,
      15_000,
      'the crashing session closed',
    );
    const crashed = loop.serverEvents.filter((e) => e.type === 'closed' && e.reason === 'WORKER_CRASHED');
    expect(serverEvent('crash:1', 'closed')).toMatchObject({
      reason: 'WORKER_CRASHED',
      by: 'local',
      detail: expect.stringContaining('exit code 70'),
    });
    // Exactly the sessions of one worker (its earlier ones plus the crashing one) were closed.
    expect(perWorker.map((n) => n + 1)).toContain(crashed.length);
    expect(pool.stats().sessions).toBe(total + 1 - crashed.length);
    expect(pool.stats().counters['worker-crashed']).toBe(1);
    expect(pool.stats().counters['worker-started']).toBe(startedBefore + 1);
    // The surviving worker still serves new clients.
    await connect(loop, 'after:1');
    await loop.waitFor(() => loop.established('after:1'), 15_000, 'a handshake after the crash');
  }, 30_000);

  it('shutdown closes every session, telling the clients, and stops every worker', async () => {
    const alive = [...loop.clients.keys()].filter(
      (a) =>
        loop.established(a) &&
        !loop.closed(a) &&
        !loop.serverEvents.some((e) => e.address === a && e.type === 'closed'),
    );
    expect(alive.length).toBeGreaterThan(0);
    await pool.shutdown('restart');
    await loop.waitFor(() => alive.every((a) => loop.closed(a)), 10_000, 'clients told');
    for (const a of alive) {
      expect(loop.eventsOf(a).find((e) => e.type === 'closed')).toMatchObject({
        reason: 'RESTART',
        by: 'peer',
      });
    }
    expect(pool.stats().workers).toBe(0);
    const n = loop.serverEvents.length;
    pool.receive(new Uint8Array(40), 'c3:1');
    pool.close('0000000000000000', 'shutdown');
    expect(loop.serverEvents.length).toBe(n);
  }, 20_000);
});
