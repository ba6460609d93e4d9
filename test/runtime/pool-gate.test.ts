/**
 * The pool's main-thread gate: cookies engage under load (counted across
 * workers), a client answers the cookie and completes its handshake, the
 * half-open limit refuses further sessions, and junk is dropped with named
 * counters — all before any worker is involved.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientControlPlane } from '../../src/runtime/control-plane.js';
import {
  createWorkerPoolServerControlPlane,
  type WorkerPoolServerControlPlane,
} from '../../src/runtime/handshake-pool.js';
import { createInProcessClientControlPlane } from '../../src/runtime/in-process.js';
import { tsExecArgv } from '../support/run-ts.js';
import { Loopback, makePki, type TestPki } from './fixtures.js';

let pki: TestPki;
let loop: Loopback;
let pool: WorkerPoolServerControlPlane;
const clients: ClientControlPlane[] = [];

beforeAll(async () => {
  pki = makePki();
  loop = new Loopback();
  pool = await createWorkerPoolServerControlPlane(
    {
      session: { identity: pki.server, clientAuth: { certificate: true, password: false } },
      verifier: { trustAnchors: [pki.caPem] },
      cookies: 'under-load',
      halfOpenLoadThreshold: 1,
      maxHalfOpen: 2,
      workers: 1,
      execArgv: tsExecArgv,
    },
    loop.serverSink,
  );
  loop.server = pool;
}, 60_000);

afterAll(async () => {
  for (const c of clients) await c.shutdown('shutdown');
  await pool.shutdown('shutdown');
});

async function connect(address: string) {
  const c = await createInProcessClientControlPlane(
    { session: { identity: pki.client(address) }, verifier: { trustAnchors: [pki.caPem] } },
    loop.clientSink(address),
  );
  loop.clients.set(address, c);
  clients.push(c);
  c.start();
}

const counter = (name: string) => pool.stats().counters[name] ?? 0;
const until = async (f: () => boolean, what: string) => {
  const end = Date.now() + 10_000;
  while (!f()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('the worker pool gate', () => {
  it('drops junk and unknown sessions on the main thread with named counters', () => {
    pool.receive(new Uint8Array([0xff, 1, 2]), 'junk:1');
    pool.receive(new Uint8Array(0), 'junk:1');
    expect(counter('drop:unknown-opcode') + counter('drop:malformed')).toBe(2);
    expect(pool.stats().sessions).toBe(0);
  });

  it('under load, a new client must answer a cookie; it still completes, and the half-open limit holds', async () => {
    // A: its session stays half-open: only the first of its two ClientHello datagrams ever arrives
    // (and the client never hears the server).
    loop.deliverToClient = (address) => address !== 'a:1';
    loop.deliverToServer = (address, n) => address !== 'a:1' || n === 0;
    await connect('a:1');
    await until(() => pool.stats().halfOpen === 1, 'A half-open');
    const replies = counter('reply');

    // B: now under load, so the first Initial gets a COOKIE_REPLY; B answers it and completes.
    await connect('b:1');
    await loop.waitFor(() => loop.established('b:1'), 15_000, 'B established');
    expect(counter('reply')).toBeGreaterThan(replies);
    expect(loop.serverEvents.find((e) => e.address === 'b:1' && e.type === 'established')).toBeTruthy();

    // C: its ClientHello (two datagrams) draws a cookie reply; of the two it sends again with the cookie only
    // the first arrives, so its cookie-validated session stays half-open: 2 = the limit.
    loop.deliverToServer = (address, n) => (address !== 'a:1' || n === 0) && (address !== 'c:1' || n <= 2);
    await connect('c:1');
    await until(() => pool.stats().halfOpen === 2, 'C half-open');
    await new Promise((r) => setTimeout(r, 50));
    expect(pool.stats().halfOpen).toBe(2);

    // D: gets its cookie, comes back with it, and is refused: no session.
    const before = pool.stats().sessions;
    await connect('d:1');
    await until(() => counter('drop:half-open-limit') >= 1, 'D refused');
    expect(pool.stats().sessions).toBe(before);
    expect(counter('session-created')).toBe(3);
  }, 40_000);
});
