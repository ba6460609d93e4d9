/**
 * `ServerEndpoint`: many server sessions behind one address, in one pure
 * object — the reference for how a server driver routes control datagrams
 * (docs/PROTOCOL.md §8, src/protocol/README.md), and what the in-memory tests
 * run. A production driver does the same routing on its main thread and runs
 * the `ServerSession`s in worker threads.
 *
 * For each datagram: `ServerGate.inspect` (stateless), then by verdict — an
 * existing session by our session id; a half-open session by (address,
 * client session id); or a new `ServerSession` if the number of half-open
 * sessions allows. Cookies switch on (`under-load`) while more than
 * `halfOpenLoadThreshold` sessions are half-open. Actions carry the peer
 * address (`to`), and events carry the session id (hex) and address.
 * @module
 */

import type { HandshakeCrypto } from '../handshake/crypto-provider.js';
import { type ServerDependencies, ServerSession } from '../handshake/server.js';
import type {
  AuthResult,
  ExtraSecretInput,
  ServerConfig,
  SessionAction,
  SessionEvent,
} from '../handshake/types.js';
import { toHex } from '../handshake/wire.js';
import { type CookiePolicy, ServerGate } from './gate.js';

export interface ServerEndpointOptions {
  readonly session: ServerConfig;
  readonly cookies?: CookiePolicy;
  /** Engage cookies (policy `under-load`) while at least this many sessions are half-open. Default 64. */
  readonly halfOpenLoadThreshold?: number;
  /** Refuse to create sessions beyond this many half-open ones. Default 4096. */
  readonly maxHalfOpen?: number;
}

export type EndpointEvent = SessionEvent & { readonly session: string; readonly address: string };

export type EndpointAction =
  | { readonly type: 'send'; readonly datagram: Uint8Array; readonly to: string }
  | { readonly type: 'timer'; readonly at: number }
  | EndpointEvent;

interface Entry {
  readonly session: ServerSession;
  readonly id: string;
  address: string;
  readonly clientKey: string;
  deadline: number;
}

export class ServerEndpoint {
  readonly gate: ServerGate;
  /** Forces cookies on (for tests and for drivers with their own load signal). */
  underLoad = false;
  readonly counters: Record<string, number> = {};
  private readonly options: ServerEndpointOptions;
  private readonly deps: ServerDependencies;
  private readonly sessions = new Map<string, Entry>();
  /** (address, client session id) → session, for Initial packets sent before the client knows our id. */
  private readonly byClient = new Map<string, Entry>();

  constructor(
    options: ServerEndpointOptions,
    deps: { crypto: HandshakeCrypto; verifier: ServerDependencies['verifier'] },
  ) {
    this.options = options;
    this.deps = deps;
    const tlsCryptKey = options.session.tlsCryptKey;
    this.gate = new ServerGate(
      { ...(tlsCryptKey ? { tlsCryptKey } : {}), cookies: options.cookies ?? 'under-load' },
      deps.crypto,
    );
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  get halfOpenCount(): number {
    let n = 0;
    for (const e of this.sessions.values()) if (e.session.halfOpen) n++;
    return n;
  }

  session(id: string): ServerSession | undefined {
    return this.sessions.get(id)?.session;
  }

  sessionIds(): string[] {
    return [...this.sessions.keys()];
  }

  receive(now: number, datagram: Uint8Array, from: string): EndpointAction[] {
    const loaded = this.underLoad || this.halfOpenCount >= (this.options.halfOpenLoadThreshold ?? 64);
    const v = this.gate.inspect(now, datagram, from, loaded, (address, client) =>
      this.byClient.has(`${address}|${client}`),
    );
    switch (v.kind) {
      case 'drop':
        this.count(`drop:${v.reason}`);
        return this.finish(now, []);
      case 'data':
        this.count('data-not-handled');
        return this.finish(now, []);
      case 'reply':
        return this.finish(now, [{ type: 'send', datagram: v.datagram, to: from }]);
      case 'session': {
        const e = this.sessions.get(v.serverSessionId);
        if (!e) {
          this.count('drop:unknown-session');
          return this.finish(now, []);
        }
        const before = dropTotal(e.session);
        const actions = e.session.receive(now, datagram);
        if (dropTotal(e.session) === before && e.address !== from && !e.session.halfOpen) e.address = from; // roaming
        return this.finish(now, this.route(e, actions));
      }
      case 'initial': {
        const key = `${from}|${toHex(v.clientSessionId)}`;
        let e = this.byClient.get(key);
        if (!e) {
          if (this.halfOpenCount >= (this.options.maxHalfOpen ?? 4096)) {
            this.count('drop:half-open-limit');
            return this.finish(now, []);
          }
          const session = new ServerSession(this.options.session, this.deps, {
            now,
            clientSessionId: v.clientSessionId,
            addressValidated: v.addressValidated,
          });
          e = { session, id: toHex(session.localSessionId), address: from, clientKey: key, deadline: now };
          this.sessions.set(e.id, e);
          this.byClient.set(key, e);
          this.count('session-created');
        }
        return this.finish(now, this.route(e, e.session.receive(now, datagram)));
      }
    }
  }

  onTimer(now: number): EndpointAction[] {
    const out: EndpointAction[] = [];
    for (const e of [...this.sessions.values()]) {
      if (e.deadline <= now) out.push(...this.route(e, e.session.onTimer(now)));
    }
    return this.finish(now, out);
  }

  authResult(now: number, id: string, result: AuthResult): EndpointAction[] {
    return this.call(now, id, (s) => s.authResult(now, result));
  }

  provideExtraSecret(
    now: number,
    id: string,
    keyId: number,
    secret: Uint8Array | undefined,
  ): EndpointAction[] {
    return this.call(now, id, (s) => s.provideExtraSecret(now, keyId, secret));
  }

  startRekey(now: number, id: string, extra?: ExtraSecretInput): EndpointAction[] {
    return this.call(now, id, (s) => s.startRekey(now, extra));
  }

  /**
   * The driver saw this session's client at a new address (authenticated data
   * packets from there: OpenVPN's float). Later control datagrams and events
   * of the session use it. Unknown ids are ignored (the session may have
   * ended meanwhile).
   */
  updateAddress(id: string, address: string): void {
    const e = this.sessions.get(id);
    if (e) e.address = address;
  }

  close(now: number, id: string, reason: 'shutdown' | 'restart' = 'shutdown'): EndpointAction[] {
    return this.call(now, id, (s) => s.close(now, reason));
  }

  private call(now: number, id: string, f: (s: ServerSession) => SessionAction[]): EndpointAction[] {
    const e = this.sessions.get(id);
    if (!e) return this.finish(now, []);
    return this.finish(now, this.route(e, f(e.session)));
  }

  private route(e: Entry, actions: readonly SessionAction[]): EndpointAction[] {
    const out: EndpointAction[] = [];
    for (const a of actions) {
      if (a.type === 'send') out.push({ type: 'send', datagram: a.datagram, to: e.address });
      else if (a.type === 'timer') e.deadline = a.at;
      else out.push({ ...a, session: e.id, address: e.address });
    }
    return out;
  }

  /** Forgets finished sessions and reports the earliest deadline of the rest. */
  private finish(now: number, out: EndpointAction[]): EndpointAction[] {
    let at = Number.POSITIVE_INFINITY;
    for (const [id, e] of this.sessions) {
      if (e.session.isFinished(now)) {
        this.sessions.delete(id);
        this.byClient.delete(e.clientKey);
        continue;
      }
      at = Math.min(at, e.deadline);
    }
    out.push({ type: 'timer', at });
    return out;
  }

  private count(key: string): void {
    this.counters[key] = (this.counters[key] ?? 0) + 1;
  }
}

function dropTotal(s: ServerSession): number {
  let n = 0;
  for (const v of Object.values(s.drops)) n += v;
  return n;
}
