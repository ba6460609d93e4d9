/**
 * The client's `auth-user-pass`: the username and password it sends when the
 * server checks passwords (passdb or auth-user-pass-verify).
 *
 * OpenVPN's format: a file (or an inline `<auth-user-pass>` block) whose first
 * line is the username and second line the password; a trailing CR is
 * dropped (files edited on Windows). As in OpenVPN 2.6, a file holding only
 * the username makes the client ask for the password; `auth-user-pass` with
 * no file asks for both. Asking reads the terminal without echo through the
 * same `promptHidden` the CLI uses for `pqvpn passwd` (src/cli/io.ts); with
 * no terminal it fails with `AUTH_USER_PASS_NO_TTY` rather than hang.
 *
 * Limits are the handshake's (src/protocol/handshake/messages.ts): a username
 * of 1–255 UTF-8 bytes, a password of at most 1024, neither with control
 * characters. The server applies its own, stricter rules; these only keep a
 * malformed file from reaching the wire. The password is returned as bytes so
 * the caller can wipe it; errors never contain it.
 * @module
 */

import type { FileSource } from '../config/model.js';
import { PqvpnError } from '../errors.js';
import { MAX_PASSWORD, MAX_USERNAME } from '../protocol/handshake/messages.js';
import { describeSource, readSourceText } from './file-source.js';

export interface UserPassCredentials {
  readonly username: string;
  /** UTF-8 bytes; wipe with `fill(0)` when no longer needed. */
  readonly password: Uint8Array;
}

export interface AuthUserPassOptions {
  /**
   * Reads one line from the terminal without echo; undefined when there is no
   * terminal. Pass `io.promptHidden` of the CLI's `CommandIO`.
   */
  readonly promptHidden?: (prompt: string) => Promise<string | undefined>;
  /** Reads one line with echo, for the username; default: `promptHidden`. */
  readonly promptEcho?: (prompt: string) => Promise<string | undefined>;
}

/** `auth-user-pass` could not give usable credentials; `code` says why. */
export class AuthUserPassError extends PqvpnError {}

/**
 * The credentials from `source` (file or inline block), asking on the
 * terminal for what it lacks. `source` undefined: ask for both.
 */
export async function readAuthUserPass(
  source: FileSource | undefined,
  options: AuthUserPassOptions = {},
): Promise<UserPassCredentials> {
  const where = source ? describeSource(source, 'auth-user-pass') : 'the terminal';
  let username: string | undefined;
  let password: string | undefined;
  if (source) {
    const lines = (await readSourceText(source, 'auth-user-pass'))
      .split('\n')
      .map((l) => l.replace(/\r$/, ''));
    if (lines[lines.length - 1] === '') lines.pop(); // the final newline ends a line, it does not start one
    // An inline block starts after the <auth-user-pass> line: skip blank lines before the username.
    while (source.kind === 'inline' && lines[0] === '') lines.shift();
    username = lines[0];
    password = lines[1];
    if (username === undefined || username === '')
      throw new AuthUserPassError(
        'AUTH_USER_PASS_EMPTY',
        `auth-user-pass ${where}: the first line (the username) is empty`,
      );
  }
  if (username === undefined)
    username = await ask(options.promptEcho ?? options.promptHidden, 'Enter Auth Username: ');
  checkUsername(username, where);
  if (password === undefined) password = await ask(options.promptHidden, 'Enter Auth Password: ');
  return { username, password: checkPassword(password, where) };
}

async function ask(
  prompt: ((text: string) => Promise<string | undefined>) | undefined,
  text: string,
): Promise<string> {
  const answer = prompt ? await prompt(text) : undefined;
  if (answer === undefined)
    throw new AuthUserPassError(
      'AUTH_USER_PASS_NO_TTY',
      'auth-user-pass needs a username and password but standard input is not a terminal: ' +
        "write them to a file (username on line 1, password on line 2, mode 0600) and use 'auth-user-pass FILE'",
    );
  return answer;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
const CONTROL = /[\u0000-\u001f\u007f]/;

function checkUsername(username: string, where: string): void {
  if (username === '')
    throw new AuthUserPassError('AUTH_USER_PASS_EMPTY', `auth-user-pass ${where}: empty username`);
  if (CONTROL.test(username))
    throw new AuthUserPassError(
      'AUTH_USER_PASS_INVALID',
      `auth-user-pass ${where}: the username contains control characters`,
    );
  if (Buffer.byteLength(username, 'utf8') > MAX_USERNAME)
    throw new AuthUserPassError(
      'AUTH_USER_PASS_INVALID',
      `auth-user-pass ${where}: the username is longer than ${MAX_USERNAME} bytes`,
    );
}

function checkPassword(password: string, where: string): Uint8Array {
  if (password === '')
    throw new AuthUserPassError('AUTH_USER_PASS_EMPTY', `auth-user-pass ${where}: empty password`);
  if (/[\0\r\n]/.test(password))
    throw new AuthUserPassError(
      'AUTH_USER_PASS_INVALID',
      `auth-user-pass ${where}: the password contains NUL, CR or LF`,
    );
  const bytes = new Uint8Array(Buffer.from(password, 'utf8'));
  if (bytes.length > MAX_PASSWORD) {
    bytes.fill(0);
    throw new AuthUserPassError(
      'AUTH_USER_PASS_INVALID',
      `auth-user-pass ${where}: the password is longer than ${MAX_PASSWORD} bytes`,
    );
  }
  return bytes;
}
