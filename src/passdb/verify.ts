/**
 * Checking a username and password against a database, in constant time.
 *
 * The server's passdb authentication calls `verifyPassword`. Two rules keep it
 * from telling an attacker more than "no":
 *
 * - The comparison of derived keys uses `crypto.timingSafeEqual`.
 * - An unknown user costs the same as a known one: the password is hashed against
 *   a dummy entry (a per-process random salt, and the parameters most entries of
 *   the database use — the defaults for an empty one) and compared with a dummy
 *   key, and only then is `unknown-user` returned. Without this, a fast "no" for
 *   unknown names would let anyone enumerate the valid usernames.
 *
 * The reason is for the server's log only; a client is told nothing but
 * AUTH_FAILED. The password bytes derived here are zeroed before returning; a
 * caller passing a `Uint8Array` zeroes its own copy (JavaScript strings cannot be
 * wiped, which is one reason the handshake hands passwords over as bytes).
 * @module
 */

import { randomBytes, timingSafeEqual } from 'node:crypto';
import { isValidUsername, PASSWORD_MAX_BYTES, passwordBytes } from './credentials.js';
import type { Passdb } from './database.js';
import { HASH_BYTES, nodeScrypt, type PasswordHash, SALT_BYTES, type ScryptFunction } from './scrypt-hash.js';

export type VerifyResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: 'unknown-user' | 'bad-password' };

export interface VerifyOptions {
  /** The scrypt implementation; node:crypto's by default. Tests inject a counting one. */
  readonly scrypt?: ScryptFunction;
}

// One dummy salt and key per process: an attacker cannot precompute anything for them,
// and nobody's password can match the random key.
let dummy: { salt: Uint8Array; key: Uint8Array } | undefined;

function dummyEntry(db: Passdb): PasswordHash {
  dummy ??= { salt: new Uint8Array(randomBytes(SALT_BYTES)), key: new Uint8Array(randomBytes(HASH_BYTES)) };
  return { params: db.dummyParams, salt: dummy.salt, hash: dummy.key };
}

/**
 * Verifies `password` for `username`. Always runs exactly one scrypt with the
 * parameters of the user's entry (or of the dummy entry), whatever the outcome.
 * A password longer than the storable maximum cannot be right: one byte of it is
 * hashed instead, so it costs the same and fails as `bad-password`.
 */
export async function verifyPassword(
  db: Passdb,
  username: string,
  password: string | Uint8Array,
  options: VerifyOptions = {},
): Promise<VerifyResult> {
  const scrypt = options.scrypt ?? nodeScrypt;
  const known = isValidUsername(username) ? db.users.get(username) : undefined;
  const entry = known ?? dummyEntry(db);
  const bytes = passwordBytes(password);
  const tooLong = bytes.length > PASSWORD_MAX_BYTES;
  let derived: Uint8Array | undefined;
  try {
    derived = await scrypt(
      tooLong ? bytes.subarray(0, 1) : bytes,
      entry.salt,
      entry.hash.length,
      entry.params,
    );
    const same = derived.length === entry.hash.length && timingSafeEqual(derived, entry.hash);
    if (!known) return { ok: false, reason: 'unknown-user' };
    return same && !tooLong ? { ok: true } : { ok: false, reason: 'bad-password' };
  } finally {
    bytes.fill(0);
    derived?.fill(0);
  }
}
