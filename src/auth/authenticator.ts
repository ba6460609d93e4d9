/**
 * The server's password check, behind one small interface.
 *
 * When a client finishes its part of the handshake the server machine emits
 * `auth-needed` (src/protocol/handshake/types.ts) with the certificate's
 * common name and the username and password the client sent; the driver asks
 * an `Authenticator` and answers with `authResult`. Two implementations exist,
 * chosen by the config (`createAuthenticator`, src/auth/index.ts):
 * `passdb FILE` (src/auth/passdb-authenticator.ts) and
 * `auth-user-pass-verify SCRIPT via-file|via-env`
 * (src/auth/script-authenticator.ts).
 *
 * Contract:
 * - `authenticate` never rejects (never throws): any failure, including a
 *   crashed script or an unreadable database, is `{ ok: false, reason }`.
 *   Fail closed.
 * - `reason` is for the server's log only, never for the client (which is
 *   told AUTH_FAILED and nothing more), and never contains the password.
 * - The authenticator takes ownership of `request.password` and zeroes it
 *   before the promise settles, whatever the outcome.
 * - On success `username` is the name that was authenticated (for logs,
 *   `username-as-common-name`, client-connect scripts).
 * @module
 */

export interface AuthRequest {
  /** Absent when the client sent no credentials (certificate-only client). */
  readonly username?: string;
  /** Raw bytes as received; zeroed by the authenticator. */
  readonly password?: Uint8Array;
  /** The verified certificate's common name, when the client presented one. */
  readonly commonName?: string;
  /** The client's address as seen by the server (not yet trusted). */
  readonly untrustedIp: string;
  readonly untrustedPort: number;
}

export type AuthOutcome =
  | { readonly ok: true; readonly username?: string }
  | { readonly ok: false; readonly reason: string };

export interface Authenticator {
  authenticate(request: AuthRequest): Promise<AuthOutcome>;
}

/**
 * OpenVPN `username-as-common-name`: after a successful password check, the
 * username replaces the certificate's common name for everything that follows
 * (logs, client-config-dir lookup, client-connect scripts, duplicate-cn).
 */
export function effectiveCommonName(
  usernameAsCommonName: boolean,
  peer: { readonly commonName?: string; readonly username?: string },
): string | undefined {
  if (usernameAsCommonName && peer.username !== undefined) return peer.username;
  return peer.commonName;
}
