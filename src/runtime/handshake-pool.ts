/**
 * The server control plane with public-key work off the main event loop: a
 * pool of worker threads runs the `ServerSession`s, the main thread keeps
 * only what is cheap and must be shared.
 *
 * Where the work goes, by cost (docs/PERFORMANCE.md has the figures):
 * - main thread: `ServerGate.inspect` on every control datagram (tls-crypt
 *   unwrap, Initial-packet AES-GCM, cookie HMAC: microseconds, no public-key
 *   operation) and the routing tables. Keeping the gate here means one cookie
 *   secret for the whole server, spoofed floods never cross a thread, and
 *   half-open accounting (cookie engagement, `maxHalfOpen`) sees every
 *   session.
 * - workers: everything else of a session — ML-KEM/X-Wing encapsulation,
 *   the ML-DSA (or plugin) signature, certificate chain verification, the
 *   reliability layer and the session's own timers (each worker has its own
 *   event loop, so timers stay with the session; `now` is Date.now() there as
 *   here).
 *
 * Pinning: a client's first Initial packet goes to the live worker with the
 * fewest sessions, under a handle the main thread assigns; every later
 * datagram and driver call for that session goes to the same worker (by the
 * session id learned from the worker's first answer, or by (address, client
 * session id) for Initial retransmissions). Messages to and from one worker
 * keep their order, so the sink sees each session's actions in order.
 *
 * Failure: a worker that exits unexpectedly takes its sessions with it; each
 * one the driver knows gets a `closed` event with reason WORKER_CRASHED (the
 * driver tears down its data channel; the client reconnects), and a
 * replacement worker is started. Creation fails as a whole (and stops every
 * worker) if any worker cannot load plugins, parse the CA or accept the
 * configuration. `shutdown` closes every session (the close alerts are
 * sent), then terminates the workers; workers are `unref`ed, so a forgotten
 * pool never keeps a process alive.
 *
 * The main thread never loads the signature, KEM or PKI modules: this file
 * imports their types only (test/runtime checks the import graph).
 * @module
 */

import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { PqvpnError } from '../errors.js';
import { type CookiePolicy, ServerGate } from '../protocol/control/gate.js';
import type { EndpointEvent } from '../protocol/control/server-endpoint.js';
import { createDataKeyMaterial, wipeDataKeyMaterial } from '../protocol/data/keys.js';
import type { HandshakeCrypto } from '../protocol/handshake/crypto-provider.js';
import type { AuthResult, ExtraSecretInput } from '../protocol/handshake/types.js';
import type { ServerControlPlane, ServerControlPlaneSink } from './control-plane.js';
import {
  DEFAULT_HALF_OPEN_LOAD_THRESHOLD,
  DEFAULT_MAX_HALF_OPEN,
  type ServerControlPlaneOptions,
} from './control-plane-options.js';
import type { FromWorker, ServerWorkerData, SessionResult, ToWorker } from './worker-protocol.js';

export interface WorkerPoolOptions {
  /** Number of worker threads. Default: available cores minus one (the main thread's), at least 1. */
  readonly workers?: number;
  /** Node options of the workers (tests pass the TypeScript loader here). */
  readonly execArgv?: readonly string[];
  /** The worker entry module. Default: handshake-worker.js beside this module (.ts when run from sources). */
  readonly workerUrl?: URL;
  /** How long `shutdown` waits for workers to send their close alerts before terminating them. Default 2000. */
  readonly shutdownTimeoutMs?: number;
}

export type WorkerPoolServerControlPlaneOptions = ServerControlPlaneOptions & WorkerPoolOptions;

export interface PoolStats {
  /** Live workers. */
  readonly workers: number;
  /** Sessions per live worker. */
  readonly sessionsPerWorker: readonly number[];
  readonly sessions: number;
  readonly halfOpen: number;
  /** Gate verdicts and drops (as ServerEndpoint.counters), plus worker-crashed, worker-started. */
  readonly counters: Readonly<Record<string, number>>;
}

export interface WorkerPoolServerControlPlane extends ServerControlPlane {
  stats(): PoolStats;
}

export function defaultWorkerCount(): number {
  return Math.max(1, availableParallelism() - 1);
}

/** Starts the workers; resolves once every one is ready, rejects (stopping them all) if any is not. */
export async function createWorkerPoolServerControlPlane(
  options: WorkerPoolServerControlPlaneOptions,
  sink: ServerControlPlaneSink,
): Promise<WorkerPoolServerControlPlane> {
  const count = options.workers ?? defaultWorkerCount();
  if (!Number.isInteger(count) || count < 1 || count > 256) {
    throw new PqvpnError('CONTROL_CONFIG', `the handshake pool needs 1..256 workers, got ${count}`);
  }
  const pool = new HandshakePool(options, sink);
  await pool.start(count);
  return pool;
}

interface PoolWorker {
  readonly index: number;
  readonly worker: Worker;
  readonly entries: Set<Entry>;
  ready: boolean;
  alive: boolean;
  error: Error | undefined;
  readonly exited: Promise<void>;
  onShutdownDone: (() => void) | undefined;
}

interface Entry {
  readonly handle: number;
  readonly worker: PoolWorker;
  readonly clientKey: string;
  id: string | undefined;
  address: string;
  halfOpen: boolean;
}

/** The gate's provider: randomness only. Public-key work on this thread is a bug, so it throws. */
const MAIN_THREAD_CRYPTO: HandshakeCrypto = {
  randomBytes: (n) => new Uint8Array(randomBytes(n)),
  kemKeygen: refuse,
  kemEncapsulate: refuse,
  kemDecapsulate: refuse,
  sign: refuse,
  verify: refuse,
};

function refuse(): never {
  throw new PqvpnError('INTERNAL', 'public-key operation attempted on the handshake pool main thread');
}

class HandshakePool implements WorkerPoolServerControlPlane {
  private readonly options: WorkerPoolServerControlPlaneOptions;
  private readonly sink: ServerControlPlaneSink;
  private readonly gate: ServerGate;
  private readonly workerData: ServerWorkerData;
  private readonly workers: PoolWorker[] = [];
  private readonly byHandle = new Map<number, Entry>();
  private readonly byId = new Map<string, Entry>();
  private readonly byClient = new Map<string, Entry>();
  private readonly counters: Record<string, number> = {};
  private nextHandle = 1;
  private nextIndex = 0;
  private halfOpen = 0;
  /** No new work is accepted (shutdown began). */
  private stopping = false;
  /** Workers are gone; nothing more reaches the sink. */
  private stopped = false;

  constructor(options: WorkerPoolServerControlPlaneOptions, sink: ServerControlPlaneSink) {
    this.options = options;
    this.sink = sink;
    const cookies: CookiePolicy = options.cookies ?? 'under-load';
    const tlsCryptKey = options.session.tlsCryptKey;
    this.gate = new ServerGate({ ...(tlsCryptKey ? { tlsCryptKey } : {}), cookies }, MAIN_THREAD_CRYPTO);
    this.workerData = {
      role: 'server',
      session: options.session,
      verifier: options.verifier,
      pluginPaths: options.pluginPaths ?? [],
    };
  }

  async start(count: number): Promise<void> {
    const starting = Array.from({ length: count }, () => this.spawn());
    try {
      await Promise.all(starting.map((s) => s.ready));
    } catch (e) {
      this.stopping = true;
      this.stopped = true;
      await Promise.all(this.workers.map((w) => w.worker.terminate().then(() => w.exited)));
      throw e;
    }
  }

  // ------------------------------------------------------------------ ServerControlPlane

  receive(datagram: Uint8Array, from: string): void {
    if (this.stopping) return;
    const now = Date.now();
    const threshold = this.options.halfOpenLoadThreshold ?? DEFAULT_HALF_OPEN_LOAD_THRESHOLD;
    const v = this.gate.inspect(now, datagram, from, this.halfOpen >= threshold, (address, client) =>
      this.byClient.has(`${address}|${client}`),
    );
    switch (v.kind) {
      case 'drop':
        return void this.count(`drop:${v.reason}`);
      case 'data':
        return void this.count('data-not-handled');
      case 'reply':
        return void this.sink.send(v.datagram, from);
      case 'session': {
        const e = this.byId.get(v.serverSessionId);
        if (!e) return void this.count('drop:unknown-session');
        return void this.post(e, { type: 'receive', handle: e.handle, datagram, from });
      }
      case 'initial': {
        const key = `${from}|${Buffer.from(v.clientSessionId).toString('hex')}`;
        const known = this.byClient.get(key);
        if (known) return void this.post(known, { type: 'receive', handle: known.handle, datagram, from });
        if (this.halfOpen >= (this.options.maxHalfOpen ?? DEFAULT_MAX_HALF_OPEN)) {
          return void this.count('drop:half-open-limit');
        }
        const worker = this.pick();
        if (!worker) return void this.count('drop:no-worker');
        const e: Entry = {
          handle: this.nextHandle++,
          worker,
          clientKey: key,
          id: undefined,
          address: from,
          halfOpen: true,
        };
        this.byHandle.set(e.handle, e);
        this.byClient.set(key, e);
        worker.entries.add(e);
        this.halfOpen++;
        this.count('session-created');
        const { clientSessionId, addressValidated } = v;
        return void this.post(e, {
          type: 'create',
          handle: e.handle,
          clientSessionId,
          addressValidated,
          datagram,
        });
      }
    }
  }

  authResult(session: string, result: AuthResult): void {
    this.callSession(session, (handle) => ({ type: 'auth-result', handle, result }));
  }

  startRekey(session: string, extra?: ExtraSecretInput): void {
    this.callSession(session, (handle) => ({ type: 'rekey', handle, extra }));
  }

  provideExtraSecret(session: string, keyId: number, secret: Uint8Array | undefined): void {
    this.callSession(session, (handle) => ({ type: 'extra-secret', handle, keyId, secret }));
  }

  updateAddress(session: string, address: string): void {
    const e = this.byId.get(session);
    if (e && !this.stopping) e.address = address;
  }

  close(session: string, reason: 'shutdown' | 'restart'): void {
    this.callSession(session, (handle) => ({ type: 'close', handle, reason }));
  }

  async shutdown(reason: 'shutdown' | 'restart'): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    const live = this.workers.filter((w) => w.alive && w.ready);
    const timeoutMs = this.options.shutdownTimeoutMs ?? 2000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs); // ref'd: the process waits for the close alerts
    });
    const done = live.map(
      (w) =>
        new Promise<void>((resolve) => {
          w.onShutdownDone = resolve;
          w.worker.postMessage({ type: 'shutdown', reason } satisfies ToWorker);
        }),
    );
    await Promise.race([Promise.all(done), timeout]);
    clearTimeout(timer);
    this.stopped = true;
    await Promise.all(this.workers.map((w) => w.worker.terminate().then(() => w.exited)));
    this.byHandle.clear();
    this.byId.clear();
    this.byClient.clear();
  }

  stats(): PoolStats {
    const live = this.workers.filter((w) => w.alive);
    return {
      workers: live.length,
      sessionsPerWorker: live.map((w) => w.entries.size),
      sessions: this.byHandle.size,
      halfOpen: this.halfOpen,
      counters: { ...this.gate.counters, ...this.counters },
    };
  }

  // ------------------------------------------------------------------ workers

  private spawn(): { ready: Promise<void> } {
    const url =
      this.options.workerUrl ??
      new URL(
        import.meta.url.endsWith('.ts') ? './handshake-worker.ts' : './handshake-worker.js',
        import.meta.url,
      );
    const worker = new Worker(url, {
      workerData: this.workerData,
      execArgv: [...(this.options.execArgv ?? [])],
      name: `pqvpn-handshake-${this.nextIndex}`,
    });
    worker.unref();
    let resolveReady: () => void = () => {};
    let rejectReady: (e: Error) => void = () => {};
    const ready = new Promise<void>((resolve, reject) => {
      resolveReady = resolve;
      rejectReady = reject;
    });
    let markExited: () => void = () => {};
    const w: PoolWorker = {
      index: this.nextIndex++,
      worker,
      entries: new Set(),
      ready: false,
      alive: true,
      error: undefined,
      exited: new Promise<void>((resolve) => {
        markExited = resolve;
      }),
      onShutdownDone: undefined,
    };
    this.workers.push(w);
    this.count('worker-started');
    worker.on('message', (m: FromWorker) => {
      if (m.type === 'ready') {
        w.ready = true;
        return resolveReady();
      }
      if (m.type === 'init-failed') {
        w.error = new PqvpnError(m.code, `handshake worker ${w.index} could not start: ${m.message}`);
        rejectReady(w.error);
        void worker.terminate();
        return;
      }
      this.onMessage(w, m);
    });
    worker.on('error', (e) => {
      w.error = e;
    });
    worker.on('exit', (code) => {
      const wasReady = w.ready;
      w.alive = false;
      markExited();
      if (!wasReady) {
        rejectReady(
          w.error ??
            new PqvpnError(
              'WORKER_EXITED',
              `handshake worker ${w.index} exited with code ${code} while starting`,
            ),
        );
      }
      w.onShutdownDone?.();
      if (!this.stopped) this.onCrash(w, code, wasReady);
    });
    return { ready };
  }

  private onCrash(w: PoolWorker, code: number, wasReady: boolean): void {
    this.count('worker-crashed');
    const why = w.error ? `: ${w.error.message}` : '';
    const detail = `handshake worker ${w.index} stopped (exit code ${code})${why}`;
    for (const e of [...w.entries]) {
      this.forget(e);
      if (e.id !== undefined) {
        this.sink.event({
          type: 'closed',
          reason: 'WORKER_CRASHED',
          by: 'local',
          detail,
          session: e.id,
          address: e.address,
        });
      }
    }
    // Keep the capacity; a worker that never started would only fail again.
    if (wasReady && !this.stopping) this.spawn().ready.catch(() => this.count('worker-restart-failed'));
  }

  /** The live worker with the fewest sessions (the first of equals, rotating). */
  private pick(): PoolWorker | undefined {
    let best: PoolWorker | undefined;
    for (const w of this.workers) {
      if (!w.alive || !w.ready) continue;
      if (!best || w.entries.size < best.entries.size) best = w;
    }
    if (best) {
      // Rotate equals: move the chosen worker to the end of the list.
      this.workers.splice(this.workers.indexOf(best), 1);
      this.workers.push(best);
    }
    return best;
  }

  private post(e: Entry, message: ToWorker): void {
    e.worker.worker.postMessage(message);
  }

  private callSession(session: string, message: (handle: number) => ToWorker): void {
    if (this.stopping) return;
    const e = this.byId.get(session);
    if (e) this.post(e, message(e.handle)); // unknown: finished meanwhile (as ServerEndpoint ignores it)
  }

  private onMessage(w: PoolWorker, m: FromWorker): void {
    if (this.stopped) return;
    switch (m.type) {
      case 'result':
        return void this.onResult(m);
      case 'misuse': {
        const error = new PqvpnError(m.code, m.message);
        if (this.options.onError) return void this.options.onError(error);
        throw error;
      }
      case 'shutdown-done':
        return void w.onShutdownDone?.();
      default:
        return;
    }
  }

  private onResult(r: SessionResult): void {
    const e = this.byHandle.get(r.handle);
    if (!e) return;
    if (e.id === undefined) {
      e.id = r.sessionId;
      this.byId.set(r.sessionId, e);
    }
    if (e.halfOpen !== r.halfOpen) {
      e.halfOpen = r.halfOpen;
      this.halfOpen += r.halfOpen ? 1 : -1;
    }
    // Roaming, as ServerEndpoint: an accepted packet of an established session from a new address.
    if (r.received?.accepted && !r.halfOpen && r.received.from !== e.address) e.address = r.received.from;
    const id = e.id;
    for (const o of r.outputs) {
      if (o.type === 'send') {
        this.sink.send(o.datagram, e.address);
      } else if (o.type === 'keys-installed') {
        // Re-validate and re-redact the structured clone, then wipe the clone.
        const keys = createDataKeyMaterial(o.keys);
        wipeDataKeyMaterial(o.keys);
        this.sink.event({ ...o, keys, session: id, address: e.address } satisfies EndpointEvent);
      } else {
        this.sink.event({ ...o, session: id, address: e.address });
      }
    }
    if (r.finished) this.forget(e);
  }

  private forget(e: Entry): void {
    this.byHandle.delete(e.handle);
    if (e.id !== undefined && this.byId.get(e.id) === e) this.byId.delete(e.id);
    if (this.byClient.get(e.clientKey) === e) this.byClient.delete(e.clientKey);
    e.worker.entries.delete(e);
    if (e.halfOpen) this.halfOpen--;
  }

  private count(key: string): void {
    this.counters[key] = (this.counters[key] ?? 0) + 1;
  }
}
