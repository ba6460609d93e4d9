/**
 * The worker threads build the same verifier as the main thread would, from
 * the same plain-data spec: checks beyond trust anchors (here remote-cert-eku
 * and verify-x509-name … subject) are enforced inside the pool, not dropped on
 * the way to the workers.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { SessionEvent } from '../../src/protocol/handshake/types.js';
import type { ClientControlPlane } from '../../src/runtime/control-plane.js';
import type { VerifierSource } from '../../src/runtime/control-plane-options.js';
import {
  createWorkerPoolServerControlPlane,
  type WorkerPoolServerControlPlane,
} from '../../src/runtime/handshake-pool.js';
import { createInProcessClientControlPlane } from '../../src/runtime/in-process.js';
import { tsExecArgv } from '../support/run-ts.js';
import { Loopback, makePki } from './fixtures.js';

const pki = makePki();
let pool: WorkerPoolServerControlPlane | undefined;
let client: ClientControlPlane | undefined;

afterEach(async () => {
  await client?.shutdown('shutdown');
  await pool?.shutdown('shutdown');
  client = undefined;
  pool = undefined;
});

async function handshake(verifier: VerifierSource): Promise<SessionEvent[]> {
  const loop = new Loopback();
  pool = await createWorkerPoolServerControlPlane(
    {
      session: { identity: pki.server, clientAuth: { certificate: true, password: false } },
      verifier,
      cookies: 'off',
      workers: 1,
      execArgv: tsExecArgv,
    },
    loop.serverSink,
  );
  loop.server = pool;
  client = await createInProcessClientControlPlane(
    { session: { identity: pki.client('alice') }, verifier: { trustAnchors: [pki.caPem] } },
    loop.clientSink('c:1'),
  );
  loop.clients.set('c:1', client);
  client.start();
  await loop.waitFor(() => loop.established('c:1') || loop.closed('c:1'), 30_000, 'the handshake to end');
  return loop.eventsOf('c:1');
}

describe('pool verifier options', () => {
  it('accepts a client whose certificate meets the extra checks', async () => {
    const events = await handshake({ trustAnchors: [pki.caPem], expectedSubject: 'CN=alice' });
    expect(events.map((e) => e.type)).toContain('established');
  }, 60_000);

  it('refuses, inside the worker, a client certificate without the required EKU', async () => {
    const events = await handshake({ trustAnchors: [pki.caPem], requiredEku: '1.3.6.1.5.5.7.3.4' });
    const closed = events.find((e) => e.type === 'closed');
    expect(events.map((e) => e.type)).not.toContain('established');
    expect(closed).toMatchObject({ by: 'peer' });
    expect(closed && 'reason' in closed ? closed.reason : '').toMatch(/CERTIFICATE|AUTH/);
  }, 60_000);
});
