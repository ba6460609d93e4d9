/**
 * The server's view of a password database: loaded once, re-read when it changes.
 *
 * `loadPassdb(path)` reads and checks the file and returns a `LoadedPassdb`. Before
 * each `verify`, the file is `stat`ed (a few microseconds next to scrypt's tens of
 * milliseconds); if its identity, size, mtime or ctime changed — `pqvpn passwd`
 * replaces it by rename, so the inode changes — it is re-read. Users added or
 * removed with `pqvpn passwd` therefore take effect on the next login, without a
 * restart or a signal.
 *
 * If a re-read fails (a hand edit left a malformed line, the mode became unsafe,
 * the file vanished), the last good database stays in use and the error is logged
 * once per change of the file; `reload()` re-reads explicitly and throws instead.
 * Keeping the last good copy means a typo cannot lock every user out; the log line
 * (with file:line) tells the administrator that the edit has not taken effect.
 *
 * Permissions: the file holds password hashes, which allow offline guessing, so it
 * is treated like a private key. Readable or writable by others, or writable by the
 * group, is refused (`PASSDB_INSECURE_MODE`); readable by the group is a warning
 * (a deployment may let an `openvpn` group read it).
 * @module
 */

import { promises as fs, type Stats } from 'node:fs';
import { PqvpnError } from '../errors.js';
import { type Logger, silentLogger } from '../log.js';
import type { Passdb } from './database.js';
import { DEFAULT_SCRYPT_LIMITS, type ScryptFunction, type ScryptLimits } from './scrypt-hash.js';
import { readPassdbWithStat } from './store.js';
import { type VerifyResult, verifyPassword } from './verify.js';

export interface LoadPassdbOptions {
  readonly limits?: ScryptLimits;
  readonly scrypt?: ScryptFunction;
  readonly logger?: Logger;
}

export interface LoadedPassdb {
  readonly path: string;
  /** The database currently in use. */
  readonly current: Passdb;
  /** Re-reads the file if it changed, then verifies (see `verifyPassword`). */
  verify(username: string, password: string | Uint8Array): Promise<VerifyResult>;
  /** Re-reads the file now; throws (and keeps the old database) if it is unusable. */
  reload(): Promise<void>;
}

/** Reads `path`; throws on a missing, malformed or unsafely permitted file. */
export async function loadPassdb(path: string, options: LoadPassdbOptions = {}): Promise<LoadedPassdb> {
  const logger = options.logger ?? silentLogger;
  const limits = options.limits ?? DEFAULT_SCRYPT_LIMITS;
  let state = await readChecked(path, limits, logger);
  let failedSignature: string | undefined;
  let pending: Promise<void> | undefined;

  const refresh = async (): Promise<void> => {
    let signature: string;
    try {
      signature = signatureOf(await fs.stat(path));
    } catch (error) {
      signature = `error:${(error as NodeJS.ErrnoException).code ?? 'unknown'}`;
    }
    if (signature === state.signature || signature === failedSignature) return;
    try {
      state = await readChecked(path, limits, logger);
      failedSignature = undefined;
      logger.info(`password database ${path} re-read: ${state.db.users.size} users`);
    } catch (error) {
      failedSignature = signature;
      const message = error instanceof Error ? error.message : String(error);
      logger.error(`password database not re-read, still using the previous version: ${message}`);
    }
  };

  return {
    path,
    get current() {
      return state.db;
    },
    async verify(username, password) {
      pending ??= refresh().finally(() => {
        pending = undefined;
      });
      await pending;
      const verifyOptions = options.scrypt ? { scrypt: options.scrypt } : {};
      return verifyPassword(state.db, username, password, verifyOptions);
    },
    async reload() {
      state = await readChecked(path, limits, logger);
      failedSignature = undefined;
    },
  };
}

/**
 * Throws `PASSDB_INSECURE_MODE` for a database others may read or write or the
 * group may write; warns when the group may read it.
 */
export function checkPassdbMode(path: string, mode: number, logger: Logger): void {
  const octal = (mode & 0o777).toString(8).padStart(4, '0');
  if (mode & 0o022 || mode & 0o004) {
    throw new PqvpnError(
      'PASSDB_INSECURE_MODE',
      `password database ${path} has mode ${octal}: others may read it or others/group may change it; ` +
        `run 'chmod 600 ${path}'`,
    );
  }
  if (mode & 0o040) logger.warn(`password database ${path} is readable by its group (mode ${octal})`);
}

interface State {
  readonly db: Passdb;
  readonly signature: string;
}

async function readChecked(path: string, limits: ScryptLimits, logger: Logger): Promise<State> {
  const read = await readPassdbWithStat(path, limits);
  if (!read) throw new PqvpnError('PASSDB_NOT_FOUND', `password database ${path} does not exist`);
  checkPassdbMode(path, read.stat.mode, logger);
  return { db: read.db, signature: signatureOf(read.stat) };
}

function signatureOf(stat: Stats): string {
  return `${stat.dev}:${stat.ino}:${stat.size}:${stat.mtimeMs}:${stat.ctimeMs}`;
}
