/**
 * The control plane as a tunnel driver sees it: handshakes, authentication
 * and rekeys of every session, behind one asynchronous interface, so the
 * driver does not care whether the pure state machines run on its own
 * thread (`InProcess…`) or in a worker pool that keeps public-key work off
 * the event loop that carries traffic.
 *
 * The control plane owns time (it arms its own timers and passes `now` to
 * the pure machines). It never sees data packets: the driver demultiplexes
 * the first byte of each datagram (docs/PROTOCOL.md) and hands only control
 * packets here. Everything it wants done comes back through the `on…`
 * callbacks given at construction, in order.
 * @module
 */

import type { EndpointEvent } from '../protocol/control/server-endpoint.js';
import type { AuthResult, ExtraSecretInput, SessionEvent } from '../protocol/handshake/types.js';

/** What a control plane asks its driver to do. */
export interface ControlPlaneSink<E> {
  /** Transmit a control datagram to `to` ('ip:port' / '[ip6]:port' on the server; ignored by clients). */
  send(datagram: Uint8Array, to: string): void;
  /** A session event (established, keys-installed, auth-needed, closed, …). */
  event(event: E): void;
}

/** Server side: every session behind one UDP socket. Session ids are the hex strings of EndpointEvent.session. */
export interface ServerControlPlane {
  /** A control datagram (first byte's opcode is not DATA) from `from`. */
  receive(datagram: Uint8Array, from: string): void;
  /** Answer to an `auth-needed` event. */
  authResult(session: string, result: AuthResult): void;
  /** Start a rekey now (bytes/packets/AEAD limits seen by the data plane). */
  startRekey(session: string, extra?: ExtraSecretInput): void;
  /** Answer to an `extra-secret-needed` event (undefined: none available). */
  provideExtraSecret(session: string, keyId: number, secret: Uint8Array | undefined): void;
  /** The client's address changed (float): later control datagrams go there. */
  updateAddress(session: string, address: string): void;
  /** Close one session, telling the peer (`restart` asks it to reconnect). */
  close(session: string, reason: 'shutdown' | 'restart'): void;
  /** Close every session (telling each peer), then release threads and timers. */
  shutdown(reason: 'shutdown' | 'restart'): Promise<void>;
}

export type ServerControlPlaneSink = ControlPlaneSink<EndpointEvent>;

/** Client side: one session with one server. */
export interface ClientControlPlane {
  /** Starts the first handshake (with a QKD key when the initiator has one). */
  start(extra?: ExtraSecretInput): void;
  receive(datagram: Uint8Array): void;
  startRekey(extra?: ExtraSecretInput): void;
  provideExtraSecret(keyId: number, secret: Uint8Array | undefined): void;
  /** Close the session (telling the server), then release threads and timers. */
  shutdown(reason: 'shutdown' | 'restart'): Promise<void>;
}

export type ClientControlPlaneSink = ControlPlaneSink<SessionEvent>;
