/**
 * What a username and a password may be, and how a password becomes bytes.
 *
 * Usernames end up in log lines, in the `username` environment variable of
 * OpenVPN-style scripts (`auth-user-pass-verify`, `client-connect`) and as the
 * first field of a password database line, so they are restricted to a small
 * set that is safe in all three places: ASCII letters, digits and `_ . @ + -`,
 * 1 to 64 characters, not starting with `.`, `-`, `+` or `@` (no option-looking or
 * hidden names). No whitespace, no control characters, no `:` (the field
 * separator), no `#` (the comment marker), no `$` or quotes (shell metacharacters).
 * Usernames are case-sensitive, but a database refuses two that differ only in
 * case (`Alice` and `alice` would be indistinguishable to a person reading logs).
 *
 * Passwords are any Unicode text of 1 to 1024 UTF-8 bytes without NUL, CR or LF
 * (they travel as one line). Before hashing they are normalised to Unicode NFC,
 * as RFC 8265's OpaqueString profile does, so that "é" typed as one code point
 * or as "e" plus a combining accent is the same password on every client.
 * @module
 */

import { UsageError } from '../errors.js';

export const USERNAME_MAX_LENGTH = 64;
export const PASSWORD_MAX_BYTES = 1024;

const USERNAME = /^[A-Za-z0-9_][A-Za-z0-9_.@+-]{0,63}$/;

/** Why `username` is not acceptable, or undefined when it is. Never echoes control characters. */
export function usernameProblem(username: string): string | undefined {
  if (username.length === 0) return 'a username must not be empty';
  if (username.length > USERNAME_MAX_LENGTH)
    return `a username has at most ${USERNAME_MAX_LENGTH} characters`;
  if (!USERNAME.test(username)) {
    return "a username uses only letters A-Z a-z, digits and '_ . @ + -', and starts with a letter, digit or '_'";
  }
  return undefined;
}

export function isValidUsername(username: string): boolean {
  return usernameProblem(username) === undefined;
}

/** Throws a `UsageError` (code `PASSDB_BAD_USERNAME`) for a username outside the safe set. */
export function checkUsername(username: string): void {
  const problem = usernameProblem(username);
  if (problem)
    throw new UsageError(`invalid username ${printable(username)}: ${problem}`, 'PASSDB_BAD_USERNAME');
}

/**
 * Throws a `UsageError` for a password that cannot be stored: empty
 * (`PASSDB_EMPTY_PASSWORD`), too long or holding NUL/CR/LF (`PASSDB_BAD_PASSWORD`).
 * The message never contains the password.
 */
export function checkPassword(password: string): void {
  if (password.length === 0) throw new UsageError('the password must not be empty', 'PASSDB_EMPTY_PASSWORD');
  if (/[\0\r\n]/.test(password)) {
    throw new UsageError('the password must not contain NUL, CR or LF characters', 'PASSDB_BAD_PASSWORD');
  }
  if (Buffer.byteLength(password.normalize('NFC'), 'utf8') > PASSWORD_MAX_BYTES) {
    throw new UsageError(`the password is longer than ${PASSWORD_MAX_BYTES} bytes`, 'PASSDB_BAD_PASSWORD');
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The bytes that are hashed: UTF-8 of the NFC form. A `Uint8Array` (a password
 * received from the network) is decoded as UTF-8 and normalised the same way; if it
 * is not valid UTF-8 it is hashed as it is (it then matches no stored password,
 * since stored ones are always valid UTF-8). The result is a fresh Buffer that the
 * caller zeroes after use; the input is left untouched.
 */
export function passwordBytes(password: string | Uint8Array): Buffer {
  if (typeof password === 'string') return Buffer.from(password.normalize('NFC'), 'utf8');
  let text: string;
  try {
    text = utf8.decode(password);
  } catch {
    return Buffer.from(password);
  }
  return Buffer.from(text.normalize('NFC'), 'utf8');
}

/** A username quoted for an error message, with anything unprintable escaped and long input cut. */
export function printable(value: string): string {
  const cut = value.length > 80 ? `${value.slice(0, 80)}...` : value;
  return JSON.stringify(cut).replace(
    /[^\x20-\x7e]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
