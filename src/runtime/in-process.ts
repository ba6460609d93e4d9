/**
 * The control planes that run the handshake machines on the calling thread:
 * `ServerEndpoint` (every server session behind one socket) or one
 * `ClientSession`, with one real timer re-armed to the earliest deadline and
 * `now` = Date.now().
 *
 * Simple and synchronous: every sink callback happens inside the call that
 * caused it (or inside the timer callback). The price is that public-key work
 * (≈ one KEM encapsulation and one ML-DSA signature per server handshake,
 * plus a chain verification in certificate modes) blocks the event loop that
 * also carries traffic; docs/PERFORMANCE.md has the figures and
 * handshake-pool.ts the alternative for servers.
 *
 * Test seams (`clock`, `crypto`, `peerVerifier`) replace the production
 * clock, crypto provider and certificate verifier.
 * @module
 */

import { ServerEndpoint } from '../protocol/control/server-endpoint.js';
import { ClientSession } from '../protocol/handshake/client.js';
import { createHandshakeCrypto, type HandshakeCrypto } from '../protocol/handshake/crypto-provider.js';
import type { PeerCertificateVerifier, SessionAction } from '../protocol/handshake/types.js';
import type {
  ClientControlPlane,
  ClientControlPlaneSink,
  ServerControlPlane,
  ServerControlPlaneSink,
} from './control-plane.js';
import type { ClientControlPlaneOptions, ServerControlPlaneOptions } from './control-plane-options.js';
import { DeadlineTimer, SerialQueue } from './deadline-timer.js';
import { checkServerConfig, createVerifierFromSource, loadSignaturePlugins } from './session-dependencies.js';

/** Replacements for tests; production passes none. */
export interface InProcessSeams {
  /** Milliseconds since the epoch; default Date.now. Timers still wait in real time. */
  readonly clock?: () => number;
  readonly crypto?: HandshakeCrypto;
  /** Used instead of a verifier built from `verifier`. */
  readonly peerVerifier?: PeerCertificateVerifier;
}

export type InProcessServerControlPlaneOptions = ServerControlPlaneOptions & InProcessSeams;
export type InProcessClientControlPlaneOptions = ClientControlPlaneOptions & InProcessSeams;

/**
 * Server sessions on the calling thread. Resolves once plugins are loaded and
 * the CA/CRLs parsed; rejects with their error (or the session
 * configuration's, e.g. CONTROL_CONFIG) otherwise.
 */
export async function createInProcessServerControlPlane(
  options: InProcessServerControlPlaneOptions,
  sink: ServerControlPlaneSink,
): Promise<ServerControlPlane> {
  await loadSignaturePlugins(options.pluginPaths ?? []);
  checkServerConfig(options.session);
  const crypto = options.crypto ?? createHandshakeCrypto();
  const verifier = options.peerVerifier ?? createVerifierFromSource(options.verifier);
  const endpoint = new ServerEndpoint(
    {
      session: options.session,
      ...(options.cookies !== undefined ? { cookies: options.cookies } : {}),
      ...(options.halfOpenLoadThreshold !== undefined
        ? { halfOpenLoadThreshold: options.halfOpenLoadThreshold }
        : {}),
      ...(options.maxHalfOpen !== undefined ? { maxHalfOpen: options.maxHalfOpen } : {}),
    },
    { crypto, verifier },
  );
  const clock = options.clock ?? Date.now;
  const queue = new SerialQueue();
  let stopped = false;
  const timer = new DeadlineTimer(clock, () => step(() => endpoint.onTimer(clock())));

  function apply(actions: ReturnType<ServerEndpoint['onTimer']>): void {
    for (const a of actions) {
      if (a.type === 'send') sink.send(a.datagram, a.to);
      else if (a.type === 'timer') timer.arm(a.at);
      else sink.event(a);
    }
  }

  function step(call: () => ReturnType<ServerEndpoint['onTimer']>, driverCall = false): void {
    if (stopped) return;
    queue.run(() => {
      if (stopped) return;
      let actions: ReturnType<ServerEndpoint['onTimer']>;
      try {
        actions = call();
      } catch (error) {
        if (driverCall && options.onError && error instanceof Error) return void options.onError(error);
        throw error;
      }
      apply(actions);
    });
  }

  return {
    receive: (datagram, from) => step(() => endpoint.receive(clock(), datagram, from)),
    authResult: (session, result) => step(() => endpoint.authResult(clock(), session, result), true),
    startRekey: (session, extra) => step(() => endpoint.startRekey(clock(), session, extra), true),
    provideExtraSecret: (session, keyId, secret) =>
      step(() => endpoint.provideExtraSecret(clock(), session, keyId, secret), true),
    updateAddress: (session, address) => {
      if (!stopped) queue.run(() => endpoint.updateAddress(session, address));
    },
    close: (session, reason) => step(() => endpoint.close(clock(), session, reason), true),
    shutdown: async (reason) => {
      if (stopped) return;
      // One queued task, so a shutdown requested from inside a sink callback still sends every close alert.
      queue.run(() => {
        for (const id of endpoint.sessionIds()) apply(endpoint.close(clock(), id, reason));
        stopped = true;
        timer.cancel();
      });
    },
  };
}

/** The client's one session on the calling thread (see the module comment for why that is the default). */
export async function createInProcessClientControlPlane(
  options: InProcessClientControlPlaneOptions,
  sink: ClientControlPlaneSink,
): Promise<ClientControlPlane> {
  await loadSignaturePlugins(options.pluginPaths ?? []);
  const crypto = options.crypto ?? createHandshakeCrypto();
  const verifier = options.peerVerifier ?? createVerifierFromSource(options.verifier);
  const session = new ClientSession(options.session, { crypto, verifier });
  const clock = options.clock ?? Date.now;
  const queue = new SerialQueue();
  let stopped = false;
  const timer = new DeadlineTimer(clock, () => step(() => session.onTimer(clock())));

  function apply(actions: SessionAction[]): void {
    for (const a of actions) {
      if (a.type === 'send') sink.send(a.datagram, '');
      else if (a.type === 'timer') timer.arm(a.at);
      else sink.event(a);
    }
  }

  function step(call: () => SessionAction[], driverCall = false): void {
    if (stopped) return;
    queue.run(() => {
      if (stopped) return;
      let actions: SessionAction[];
      try {
        actions = call();
      } catch (error) {
        if (driverCall && options.onError && error instanceof Error) return void options.onError(error);
        throw error;
      }
      apply(actions);
    });
  }

  return {
    start: (extra) => step(() => session.start(clock(), extra), true),
    receive: (datagram) => step(() => session.receive(clock(), datagram)),
    startRekey: (extra) => step(() => session.startRekey(clock(), extra), true),
    provideExtraSecret: (keyId, secret) =>
      step(() => session.provideExtraSecret(clock(), keyId, secret), true),
    shutdown: async (reason) => {
      if (stopped) return;
      queue.run(() => {
        apply(session.close(clock(), reason));
        stopped = true;
        timer.cancel();
      });
    },
  };
}
