/**
 * Entry point of a handshake worker thread (started by handshake-pool.ts;
 * never imported by anything else).
 *
 * It builds everything public-key from `workerData` inside this thread — the
 * signature plugins, the certificate verifier over the parsed CA and CRLs,
 * the crypto provider — then hosts the server sessions the main thread pins
 * here, runs their timers on its own event loop (`now` = Date.now(), the
 * same clock as the main thread's), and posts one result per call.
 *
 * Secrets leave this thread only in `keys-installed` (data keys) and
 * `auth-needed` (the client's password) events; both are structured-cloned
 * by `postMessage` and this thread's copies are zeroed right after posting.
 * @module
 */

import { parentPort, workerData } from 'node:worker_threads';
import { PqvpnError } from '../errors.js';
import { wipeDataKeyMaterial } from '../protocol/data/keys.js';
import { createHandshakeCrypto } from '../protocol/handshake/crypto-provider.js';
import { DeadlineTimer } from './deadline-timer.js';
import { checkServerConfig, createVerifierFromSource, loadSignaturePlugins } from './session-dependencies.js';
import { ServerSessionHost } from './session-host.js';
import type { FromWorker, ServerWorkerData, SessionResult, ToWorker } from './worker-protocol.js';

const port = parentPort;
if (!port) throw new PqvpnError('INTERNAL', 'handshake-worker.js must run in a worker thread');

function post(message: FromWorker): void {
  port!.postMessage(message);
}

/** Posts a result, then wipes this thread's copies of the secrets it carried. */
function postResult(result: SessionResult | undefined): void {
  if (!result) return;
  post(result);
  for (const o of result.outputs) {
    if (o.type === 'keys-installed') wipeDataKeyMaterial(o.keys);
    else if (o.type === 'auth-needed') o.password?.fill(0);
  }
}

async function start(data: ServerWorkerData): Promise<ServerSessionHost | undefined> {
  try {
    await loadSignaturePlugins(data.pluginPaths);
    checkServerConfig(data.session);
    const verifier = createVerifierFromSource(data.verifier);
    return new ServerSessionHost(data.session, { crypto: createHandshakeCrypto(), verifier });
  } catch (e) {
    const code = e instanceof PqvpnError ? e.code : 'WORKER_INIT';
    post({ type: 'init-failed', code, message: e instanceof Error ? e.message : String(e) });
    return undefined;
  }
}

const host = await start(workerData as ServerWorkerData);
if (host) {
  const timer = new DeadlineTimer(Date.now, () => {
    for (const r of host.onTimer(Date.now())) postResult(r);
    timer.arm(host.nextDeadline());
  });

  const handle = (m: ToWorker): void => {
    const now = Date.now();
    switch (m.type) {
      case 'create':
        return void postResult(host.create(now, m.handle, m, m.datagram));
      case 'receive':
        return void postResult(host.receive(now, m.handle, m.datagram, m.from));
      case 'auth-result':
        return void postResult(host.call(now, m.handle, (s) => s.authResult(now, m.result)));
      case 'extra-secret': {
        const r = host.call(now, m.handle, (s) => s.provideExtraSecret(now, m.keyId, m.secret));
        m.secret?.fill(0);
        return void postResult(r);
      }
      case 'rekey': {
        const r = host.call(now, m.handle, (s) => s.startRekey(now, m.extra));
        m.extra?.secret.fill(0);
        return void postResult(r);
      }
      case 'close':
        return void postResult(host.call(now, m.handle, (s) => s.close(now, m.reason)));
      case 'shutdown':
        for (const h of host.handles()) postResult(host.call(now, h, (s) => s.close(now, m.reason)));
        timer.cancel();
        return void post({ type: 'shutdown-done' });
    }
  };

  port.on('message', (m: ToWorker) => {
    try {
      handle(m);
    } catch (e) {
      // The driver misused a session (SESSION_MISUSE): report it; anything else is a bug and ends this worker.
      if (!(e instanceof PqvpnError) || m.type === 'create' || m.type === 'receive' || m.type === 'shutdown')
        throw e;
      post({ type: 'misuse', handle: m.handle, code: e.code, message: e.message });
    }
    if (m.type !== 'shutdown') timer.arm(host.nextDeadline());
  });
  post({ type: 'ready' });
}
