/**
 * The password database as text: parsing, editing and printing, without I/O.
 *
 * Format (docs/PASSDB.md): UTF-8 text, one entry per line,
 *
 *     # comment
 *     alice:$scrypt$ln=15,r=8,p=1$<salt>$<hash>
 *
 * Blank lines and lines whose first non-blank character is `#` are kept verbatim
 * (an administrator's notes survive `pqvpn passwd add`). Every other line must be
 * exactly `username:hash`: no surrounding whitespace, a valid username, a hash that
 * `parsePasswordHash` accepts, and a username not seen before (case-insensitively).
 * Anything else is a `ConfigError` naming file:line; nothing is skipped silently, so
 * a typo cannot quietly lock a user out or leave a deleted user in.
 *
 * A `Passdb` is immutable; `withUser` / `withoutUser` return a new one whose
 * `format` keeps comments and the order of the other entries.
 * @module
 */

import { ConfigError } from '../errors.js';
import { printable, usernameProblem } from './credentials.js';
import {
  DEFAULT_SCRYPT_LIMITS,
  DEFAULT_SCRYPT_PARAMS,
  formatPasswordHash,
  formatScryptParams,
  type PasswordHash,
  parsePasswordHash,
  type ScryptLimits,
  type ScryptParams,
} from './scrypt-hash.js';

export type PassdbLine =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'user'; readonly username: string; readonly entry: PasswordHash };

export interface Passdb {
  /** Where it was read from (for messages); `<memory>` for a new one. */
  readonly file: string;
  readonly lines: readonly PassdbLine[];
  readonly users: ReadonlyMap<string, PasswordHash>;
  /**
   * Parameters for the dummy hash computed for unknown users, so that they cost
   * what a real user costs: the parameters most entries use, or the defaults.
   */
  readonly dummyParams: ScryptParams;
}

/** The header written at the top of a new database. */
export const PASSDB_HEADER = [
  '# pqvpn password database: one "username:$scrypt$..." entry per line (docs/PASSDB.md).',
  '# Edit with `pqvpn passwd add|set|del USER --db FILE`; keep this file mode 0600.',
];

/** Largest database accepted, against a runaway or hostile file. */
export const PASSDB_MAX_BYTES = 16 * 1024 * 1024;

export interface ParseOptions {
  readonly file: string;
  readonly limits?: ScryptLimits;
}

/** Parses database text; throws `ConfigError` with file:line on the first bad line. */
export function parsePassdb(text: string, options: ParseOptions): Passdb {
  const { file } = options;
  const limits = options.limits ?? DEFAULT_SCRYPT_LIMITS;
  if (text.length > PASSDB_MAX_BYTES) {
    throw new ConfigError('PASSDB_TOO_LARGE', `larger than ${PASSDB_MAX_BYTES} bytes`, { file, line: 0 });
  }
  const rawLines = text.split('\n');
  if (rawLines.at(-1) === '') rawLines.pop(); // the final newline ends the last line, it does not start one
  const lines: PassdbLine[] = [];
  const seen = new Map<string, number>(); // lower-cased username → line number
  rawLines.forEach((raw, index) => {
    const lineNo = index + 1;
    const at = { file, line: lineNo };
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) {
      lines.push({ kind: 'text', text: line });
      return;
    }
    // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
    if (/[\0-\x08\x0b-\x1f\x7f]/.test(line)) {
      throw new ConfigError('PASSDB_SYNTAX', 'control character in line', at);
    }
    if (trimmed !== line || /\s/.test(line)) {
      throw new ConfigError(
        'PASSDB_SYNTAX',
        'whitespace is not allowed in an entry (expected username:hash)',
        at,
      );
    }
    const colon = line.indexOf(':');
    if (colon < 0) throw new ConfigError('PASSDB_SYNTAX', "expected username:hash (no ':' found)", at);
    const username = line.slice(0, colon);
    const problem = usernameProblem(username);
    if (problem)
      throw new ConfigError('PASSDB_BAD_USERNAME', `invalid username ${printable(username)}: ${problem}`, at);
    const key = username.toLowerCase();
    const previous = seen.get(key);
    if (previous !== undefined) {
      throw new ConfigError(
        'PASSDB_DUPLICATE_USER',
        `user ${printable(username)} is already defined on line ${previous} (usernames are unique, ignoring case)`,
        at,
      );
    }
    const parsed = parsePasswordHash(line.slice(colon + 1), limits);
    if (!parsed.ok) throw new ConfigError(parsed.code, `user ${printable(username)}: ${parsed.reason}`, at);
    seen.set(key, lineNo);
    lines.push({ kind: 'user', username, entry: parsed.value });
  });
  return build(file, lines);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes file bytes as strict UTF-8; on failure a `ConfigError` names the first bad line. */
export function decodePassdbBytes(bytes: Uint8Array, file: string): string {
  try {
    return utf8.decode(bytes);
  } catch {
    let start = 0;
    let line = 1;
    for (;;) {
      const end = bytes.indexOf(0x0a, start);
      try {
        utf8.decode(bytes.subarray(start, end < 0 ? bytes.length : end));
      } catch {
        break;
      }
      if (end < 0) break; // unreachable: some line must be invalid
      start = end + 1;
      line++;
    }
    throw new ConfigError('PASSDB_SYNTAX', 'not valid UTF-8', { file, line });
  }
}

/** An empty database with the standard header. */
export function emptyPassdb(file = '<memory>'): Passdb {
  return build(
    file,
    PASSDB_HEADER.map((text) => ({ kind: 'text', text })),
  );
}

/** The database as file text, ending with a newline. */
export function formatPassdb(db: Passdb): string {
  const out = db.lines.map((line) =>
    line.kind === 'text' ? line.text : `${line.username}:${formatPasswordHash(line.entry)}`,
  );
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}

/** The stored user whose name equals `username` ignoring case, if any. */
export function findUserIgnoringCase(db: Passdb, username: string): string | undefined {
  const key = username.toLowerCase();
  for (const name of db.users.keys()) if (name.toLowerCase() === key) return name;
  return undefined;
}

/**
 * A copy with `username` set to `entry`: replaced in place when the user exists,
 * appended otherwise. The caller has validated the username and decided whether
 * replacing is allowed.
 */
export function withUser(db: Passdb, username: string, entry: PasswordHash): Passdb {
  let replaced = false;
  const lines = db.lines.map((line): PassdbLine => {
    if (line.kind === 'user' && line.username === username) {
      replaced = true;
      return { kind: 'user', username, entry };
    }
    return line;
  });
  if (!replaced) lines.push({ kind: 'user', username, entry });
  return build(db.file, lines);
}

/** A copy without `username` (unchanged when absent). */
export function withoutUser(db: Passdb, username: string): Passdb {
  return build(
    db.file,
    db.lines.filter((line) => !(line.kind === 'user' && line.username === username)),
  );
}

function build(file: string, lines: PassdbLine[]): Passdb {
  const users = new Map<string, PasswordHash>();
  for (const line of lines) if (line.kind === 'user') users.set(line.username, line.entry);
  return Object.freeze({ file, lines: Object.freeze(lines), users, dummyParams: mostCommonParams(users) });
}

function mostCommonParams(users: ReadonlyMap<string, PasswordHash>): ScryptParams {
  const counts = new Map<string, { params: ScryptParams; count: number }>();
  for (const { params } of users.values()) {
    const key = formatScryptParams(params);
    const slot = counts.get(key) ?? { params, count: 0 };
    slot.count++;
    counts.set(key, slot);
  }
  let best: { params: ScryptParams; count: number } | undefined;
  for (const slot of counts.values()) if (!best || slot.count > best.count) best = slot;
  return best?.params ?? DEFAULT_SCRYPT_PARAMS;
}
