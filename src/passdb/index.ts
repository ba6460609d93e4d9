/**
 * Username/password authentication: the password database (`pqvpn passwd`).
 *
 * - `credentials` — what a username and a password may be; NFC normalisation.
 * - `scrypt-hash` — `$scrypt$ln=..,r=..,p=..$salt$hash` entries, parameters and limits.
 * - `database` — the file format, parsed and printed without I/O.
 * - `store` — locked, atomic add/set/delete on the file.
 * - `verify` — constant-time verification, as slow for unknown users as for known ones.
 * - `loader` — the server's copy, re-read when the file changes.
 *
 * The server uses `loadPassdb(path, { logger })` once, then `await db.verify(user, password)`
 * per login, logs the `reason` of a failure and answers the client AUTH_FAILED only.
 * @module
 */

export {
  checkPassword,
  checkUsername,
  isValidUsername,
  PASSWORD_MAX_BYTES,
  passwordBytes,
  USERNAME_MAX_LENGTH,
  usernameProblem,
} from './credentials.js';
export {
  emptyPassdb,
  formatPassdb,
  PASSDB_HEADER,
  type Passdb,
  type PassdbLine,
  parsePassdb,
  withoutUser,
  withUser,
} from './database.js';
export { checkPassdbMode, type LoadedPassdb, type LoadPassdbOptions, loadPassdb } from './loader.js';
export {
  DEFAULT_SCRYPT_LIMITS,
  DEFAULT_SCRYPT_PARAMS,
  formatPasswordHash,
  formatScryptParams,
  hashPasswordBytes,
  nodeScrypt,
  type PasswordHash,
  parsePasswordHash,
  parseScryptParams,
  type ScryptFunction,
  type ScryptLimits,
  type ScryptParams,
  scryptParamsProblem,
} from './scrypt-hash.js';
export {
  addUser,
  deleteUser,
  PASSDB_MODE,
  readPassdbFile,
  type StoreOptions,
  setPassword,
} from './store.js';
export { type VerifyOptions, type VerifyResult, verifyPassword } from './verify.js';
