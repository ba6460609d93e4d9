/** Creating a worker pool fails as a whole, with the worker's error code, and leaves no thread behind. */
import { describe, expect, it } from 'vitest';
import { createWorkerPoolServerControlPlane } from '../../src/runtime/handshake-pool.js';
import { tsExecArgv } from '../support/run-ts.js';
import { makePki } from './fixtures.js';

const sink = { send: () => {}, event: () => {} };

describe('starting the handshake pool', () => {
  it('refuses a worker count outside 1..256 before starting any thread', async () => {
    const pki = makePki();
    const base = {
      session: { identity: pki.server, clientAuth: { certificate: true, password: false } },
      verifier: { trustAnchors: [pki.caPem] },
    };
    await expect(createWorkerPoolServerControlPlane({ ...base, workers: 0 }, sink)).rejects.toMatchObject({
      code: 'CONTROL_CONFIG',
    });
    await expect(createWorkerPoolServerControlPlane({ ...base, workers: 1.5 }, sink)).rejects.toMatchObject({
      code: 'CONTROL_CONFIG',
    });
  });

  it('a worker that cannot build its verifier fails creation with its code (no CA → CONTROL_CONFIG)', async () => {
    const pki = makePki();
    const started = Date.now();
    await expect(
      createWorkerPoolServerControlPlane(
        {
          session: { identity: pki.server, clientAuth: { certificate: true, password: false } },
          verifier: { trustAnchors: [] },
          workers: 1,
          execArgv: tsExecArgv,
        },
        sink,
      ),
    ).rejects.toMatchObject({
      code: 'CONTROL_CONFIG',
      message: expect.stringContaining('handshake worker 0'),
    });
    expect(Date.now() - started).toBeLessThan(30_000);
  }, 40_000);

  it('a worker entry that dies while starting fails creation with WORKER_EXITED or its error', async () => {
    const pki = makePki();
    await expect(
      createWorkerPoolServerControlPlane(
        {
          session: { identity: pki.server, clientAuth: { certificate: true, password: false } },
          verifier: { trustAnchors: [pki.caPem] },
          workers: 1,
          workerUrl: new URL('data:text/javascript,process.exit(3)'),
        },
        sink,
      ),
    ).rejects.toMatchObject({ code: 'WORKER_EXITED' });
  });
});
