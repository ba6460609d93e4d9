/**
 * `passdb FILE`: check the client's username and password against a pqvpn
 * password database (src/passdb, docs/PASSDB.md): scrypt, constant time, the
 * same cost for unknown users, re-read when the file changes.
 *
 * Reasons logged: `unknown user 'NAME'`, `wrong password for 'NAME'`, `no
 * username or password sent`; a database failure is logged with its error
 * (never the password). The password bytes are zeroed once checked.
 * @module
 */

import { printable } from '../passdb/credentials.js';
import type { LoadedPassdb } from '../passdb/index.js';
import type { Authenticator, AuthOutcome, AuthRequest } from './authenticator.js';

export function createPassdbAuthenticator(passdb: Pick<LoadedPassdb, 'verify'>): Authenticator {
  return {
    async authenticate(request: AuthRequest): Promise<AuthOutcome> {
      const { username, password } = request;
      try {
        if (username === undefined || password === undefined)
          return { ok: false, reason: 'no username or password sent' };
        const result = await passdb.verify(username, password);
        if (result.ok) return { ok: true, username };
        return {
          ok: false,
          reason:
            result.reason === 'unknown-user'
              ? `unknown user ${printable(username)}`
              : `wrong password for ${printable(username)}`,
        };
      } catch (error) {
        return {
          ok: false,
          reason: `password database error: ${error instanceof Error ? error.message : String(error)}`,
        };
      } finally {
        password?.fill(0);
      }
    },
  };
}
