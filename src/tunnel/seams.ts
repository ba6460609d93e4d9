/**
 * What the tunnel drivers are given rather than build: the small interfaces
 * they call out through, so tests swap them (an in-memory TUN, a fake
 * authenticator) and later features plug in (QKD) without touching the
 * drivers.
 * @module
 */

import type { ExtraSecretInput } from '../protocol/handshake/types.js';

/** What the server asks its authenticator (passdb, auth-user-pass-verify, or certificates only). */
export interface AuthRequest {
  /** The client certificate's common name, when it presented one (already verified). */
  readonly commonName?: string;
  readonly username?: string;
  /** Raw bytes the client sent; the driver wipes them after the call returns. */
  readonly password?: Uint8Array;
  /** The client's underlay address ('ip:port'), for scripts and logs. */
  readonly address: string;
}

export type AuthDecision = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** Decides an `auth-needed`. Must not throw for a wrong password (answer ok: false). */
export type Authenticate = (request: AuthRequest) => Promise<AuthDecision>;

/**
 * Extra secrets (QKD keys, src/qkd) for key epochs: the initiator fetches a
 * fresh key from its KME, the responder fetches the same key by id. Absent:
 * no extra secret is offered, and a peer's request is answered with none
 * (the handshake then succeeds or fails by the peer's mode).
 */
export interface ExtraSecretSource {
  forInitiator(): Promise<ExtraSecretInput>;
  forResponder(keyId: Uint8Array, initiatorSaeId: string): Promise<Uint8Array>;
}
