/**
 * The pool's worker entry as the tests start it: the counting signature
 * schemes registered in this thread first (as a plugin would be), and one
 * fault-injection hook — an `authResult` with reason 'crash-worker' makes this
 * worker thread exit abruptly, as a native crash or an out-of-memory kill would.
 */
import { parentPort } from 'node:worker_threads';
import './counting-schemes.js';

parentPort?.on('message', (m: { type?: string; result?: { ok?: boolean; reason?: string } }) => {
  if (m.type === 'auth-result' && m.result?.ok === false && m.result.reason === 'crash-worker')
    process.exit(70);
});

await import('../../src/runtime/handshake-worker.js');
