/**
 * The sessions of one handshake worker: `ServerSession`s by handle, each
 * call answered by a `SessionResult` (the actions as plain data, the
 * half-open flag, whether the session is finished). Pure — `now` is passed in
 * — so it is tested without threads; handshake-worker.ts adds the message
 * port and the timer.
 * @module
 */

import { PqvpnError } from '../errors.js';
import { type ServerDependencies, ServerSession } from '../protocol/handshake/server.js';
import type { ServerConfig, SessionAction } from '../protocol/handshake/types.js';
import type { SessionResult, WorkerOutput } from './worker-protocol.js';

interface Hosted {
  readonly session: ServerSession;
  readonly id: string;
  deadline: number;
}

export class ServerSessionHost {
  private readonly config: ServerConfig;
  private readonly deps: ServerDependencies;
  private readonly sessions = new Map<number, Hosted>();

  constructor(config: ServerConfig, deps: ServerDependencies) {
    this.config = config;
    this.deps = deps;
  }

  get size(): number {
    return this.sessions.size;
  }

  handles(): number[] {
    return [...this.sessions.keys()];
  }

  /** A new session for a client's first (gate-authenticated) Initial packet, fed that packet. */
  create(
    now: number,
    handle: number,
    init: { clientSessionId: Uint8Array; addressValidated: boolean },
    datagram: Uint8Array,
  ): SessionResult {
    if (this.sessions.has(handle)) throw new PqvpnError('SESSION_MISUSE', `handle ${handle} is in use`);
    const session = new ServerSession(this.config, this.deps, { now, ...init });
    const hosted: Hosted = {
      session,
      id: Buffer.from(session.localSessionId).toString('hex'),
      deadline: now,
    };
    this.sessions.set(handle, hosted);
    return this.result(now, handle, hosted, session.receive(now, datagram));
  }

  /** Undefined for a handle this host no longer has (finished meanwhile). */
  receive(now: number, handle: number, datagram: Uint8Array, from: string): SessionResult | undefined {
    const h = this.sessions.get(handle);
    if (!h) return undefined;
    const before = dropTotal(h.session);
    const actions = h.session.receive(now, datagram);
    const accepted = dropTotal(h.session) === before;
    return { ...this.result(now, handle, h, actions), received: { from, accepted } };
  }

  /** A driver call (authResult, startRekey, …); throws what the session throws (SESSION_MISUSE). */
  call(now: number, handle: number, f: (s: ServerSession) => SessionAction[]): SessionResult | undefined {
    const h = this.sessions.get(handle);
    if (!h) return undefined;
    return this.result(now, handle, h, f(h.session));
  }

  /** Runs every session whose deadline has come. */
  onTimer(now: number): SessionResult[] {
    const out: SessionResult[] = [];
    for (const [handle, h] of [...this.sessions]) {
      if (h.deadline <= now) out.push(this.result(now, handle, h, h.session.onTimer(now)));
    }
    return out;
  }

  nextDeadline(): number {
    let at = Number.POSITIVE_INFINITY;
    for (const h of this.sessions.values()) at = Math.min(at, h.deadline);
    return at;
  }

  private result(now: number, handle: number, h: Hosted, actions: readonly SessionAction[]): SessionResult {
    const outputs: WorkerOutput[] = [];
    for (const a of actions) {
      if (a.type === 'timer') h.deadline = a.at;
      else outputs.push(a);
    }
    const finished = h.session.isFinished(now);
    if (finished) this.sessions.delete(handle);
    return { type: 'result', handle, sessionId: h.id, outputs, halfOpen: h.session.halfOpen, finished };
  }
}

function dropTotal(s: ServerSession): number {
  let n = 0;
  for (const v of Object.values(s.drops)) n += v;
  return n;
}
