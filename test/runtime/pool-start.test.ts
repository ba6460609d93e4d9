/** Creating a worker pool fails as a whole, with the worker's error code, and leaves no thread behind. */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadSignaturePlugin } from '../../src/crypto/signature-plugin.js';
import { createWorkerPoolServerControlPlane } from '../../src/runtime/handshake-pool.js';
import { createInProcessClientControlPlane } from '../../src/runtime/in-process.js';
import { tsExecArgv } from '../support/run-ts.js';
import { Loopback, makePki } from './fixtures.js';

const EXAMPLE_PLUGIN = fileURLToPath(
  new URL('../fixtures/plugins/example-picnic-style.mjs', import.meta.url),
);

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

  it('loads signature plugins in every worker: a server certificate under a plugin scheme works', async () => {
    await loadSignaturePlugin(EXAMPLE_PLUGIN); // this thread issues the certificate and runs the client
    const pki = makePki({ server: 'example-picnic-style' });
    const loop = new Loopback();
    const pool = await createWorkerPoolServerControlPlane(
      {
        session: { identity: pki.server, clientAuth: { certificate: true, password: false } },
        verifier: { trustAnchors: [pki.caPem] },
        pluginPaths: [EXAMPLE_PLUGIN],
        cookies: 'off',
        workers: 1,
        execArgv: tsExecArgv,
      },
      loop.serverSink,
    );
    loop.server = pool;
    const client = await createInProcessClientControlPlane(
      { session: { identity: pki.client('p:1') }, verifier: { trustAnchors: [pki.caPem] } },
      loop.clientSink('p:1'),
    );
    loop.clients.set('p:1', client);
    try {
      client.start();
      await loop.waitFor(() => loop.established('p:1') || loop.closed('p:1'), 20_000, 'handshake');
      expect(loop.eventsOf('p:1').find((e) => e.type === 'established')).toMatchObject({
        peer: { commonName: 'vpn.example.org' },
      });
    } finally {
      await client.shutdown('shutdown');
      await pool.shutdown('shutdown');
    }
  }, 40_000);

  it('a worker that refuses the configuration fails creation with its code: no plugin path → UNKNOWN_SIGNATURE_SCHEME', async () => {
    await loadSignaturePlugin(EXAMPLE_PLUGIN);
    const pki = makePki({ server: 'example-picnic-style' });
    await expect(
      createWorkerPoolServerControlPlane(
        {
          session: { identity: pki.server, clientAuth: { certificate: true, password: false } },
          verifier: { trustAnchors: [pki.caPem] },
          workers: 1,
          execArgv: tsExecArgv,
        },
        sink,
      ),
    ).rejects.toMatchObject({ code: 'UNKNOWN_SIGNATURE_SCHEME' });
  }, 40_000);
});
