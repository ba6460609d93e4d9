/**
 * The password database file: reading it and changing it safely.
 *
 * Every change is a read-modify-write cycle under `withFileLock` (an `O_EXCL`
 * lock file beside the database), and the new text replaces the old with
 * `writeFileAtomic` (temporary file, fsync, rename). So two `pqvpn passwd add`
 * running at once in two processes both land, and a server reading the file sees
 * either the old or the new version, never half of one.
 *
 * A new database is created with mode 0600; an existing one keeps its mode (and,
 * when run as root, its owner and group, so a server that dropped privileges can
 * still read it). A symbolic link is followed and its target replaced, not the link.
 *
 * The slow scrypt runs before the lock is taken, so a writer holds the lock only
 * for the few milliseconds of the read and write.
 * @module
 */

import { promises as fs, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import { PqvpnError, UsageError } from '../errors.js';
import { type LockOptions, withFileLock, writeFileAtomic } from '../util/atomic-file.js';
import { checkPassword, checkUsername, passwordBytes, printable } from './credentials.js';
import {
  decodePassdbBytes,
  emptyPassdb,
  findUserIgnoringCase,
  formatPassdb,
  PASSDB_MAX_BYTES,
  type Passdb,
  parsePassdb,
  withoutUser,
  withUser,
} from './database.js';
import {
  DEFAULT_SCRYPT_LIMITS,
  DEFAULT_SCRYPT_PARAMS,
  type HashOptions,
  hashPasswordBytes,
  type PasswordHash,
  type ScryptLimits,
  scryptParamsProblem,
} from './scrypt-hash.js';

export interface StoreOptions extends HashOptions {
  /** Bounds for parameters read from the file and for `params`. */
  readonly limits?: ScryptLimits;
  readonly lock?: LockOptions;
  /** Receives warnings (an existing database readable by group or others). */
  readonly warn?: (message: string) => void;
}

/** Mode of a newly created database. */
export const PASSDB_MODE = 0o600;

interface Loaded {
  readonly db: Passdb;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
}

/** Reads and parses a database; a missing file is an error (`PASSDB_NOT_FOUND`). */
export async function readPassdbFile(
  path: string,
  options: Pick<StoreOptions, 'limits'> = {},
): Promise<Passdb> {
  const loaded = await load(path, options.limits ?? DEFAULT_SCRYPT_LIMITS);
  if (!loaded) throw notFound(path);
  return loaded.db;
}

/** Adds a new user; `PASSDB_USER_EXISTS` if the name (ignoring case) is taken. Creates the file if needed. */
export async function addUser(
  path: string,
  username: string,
  password: string,
  options: StoreOptions = {},
): Promise<void> {
  checkUsername(username);
  checkPassword(password);
  const target = await resolveTarget(path);
  const limits = options.limits ?? DEFAULT_SCRYPT_LIMITS;
  const before = await load(target, limits);
  if (before) refuseExisting(before.db, username);
  const entry = await hashNew(password, options);
  await update(target, options, (db) => {
    refuseExisting(db, username);
    return withUser(db, username, entry);
  });
}

/** Replaces an existing user's password (re-hashed with the current default or given parameters). */
export async function setPassword(
  path: string,
  username: string,
  password: string,
  options: StoreOptions = {},
): Promise<void> {
  checkUsername(username);
  checkPassword(password);
  const target = await resolveTarget(path);
  const limits = options.limits ?? DEFAULT_SCRYPT_LIMITS;
  const before = await load(target, limits);
  if (!before) throw notFound(path);
  requireExisting(before.db, username);
  const entry = await hashNew(password, options);
  await update(
    target,
    options,
    (db) => {
      requireExisting(db, username);
      return withUser(db, username, entry);
    },
    { mustExist: true },
  );
}

/** Removes a user; `PASSDB_UNKNOWN_USER` if there is none of that exact name. */
export async function deleteUser(path: string, username: string, options: StoreOptions = {}): Promise<void> {
  const target = await resolveTarget(path);
  await update(
    target,
    options,
    (db) => {
      requireExisting(db, username);
      return withoutUser(db, username);
    },
    { mustExist: true },
  );
}

async function hashNew(password: string, options: StoreOptions): Promise<PasswordHash> {
  const params = options.params ?? DEFAULT_SCRYPT_PARAMS;
  const problem = scryptParamsProblem(params, options.limits ?? DEFAULT_SCRYPT_LIMITS);
  if (problem) throw new UsageError(`scrypt parameters refused: ${problem}`, 'PASSDB_BAD_PARAMS');
  const bytes = passwordBytes(password);
  try {
    return await hashPasswordBytes(bytes, { ...options, params });
  } finally {
    bytes.fill(0);
  }
}

function refuseExisting(db: Passdb, username: string): void {
  const existing = findUserIgnoringCase(db, username);
  if (existing === undefined) return;
  const how = existing === username ? '' : ` as ${printable(existing)} (usernames are unique ignoring case)`;
  throw new PqvpnError(
    'PASSDB_USER_EXISTS',
    `user ${printable(username)} already exists${how} in ${db.file}; use 'pqvpn passwd set' to change a password`,
  );
}

function requireExisting(db: Passdb, username: string): void {
  if (db.users.has(username)) return;
  const similar = findUserIgnoringCase(db, username);
  const hint = similar === undefined ? '' : ` (did you mean ${printable(similar)}?)`;
  throw new PqvpnError('PASSDB_UNKNOWN_USER', `no user ${printable(username)} in ${db.file}${hint}`);
}

function notFound(path: string): PqvpnError {
  return new PqvpnError('PASSDB_NOT_FOUND', `password database ${path} does not exist`);
}

/** The locked read-modify-write cycle. */
async function update(
  target: string,
  options: StoreOptions,
  change: (db: Passdb) => Passdb,
  { mustExist = false } = {},
): Promise<void> {
  const limits = options.limits ?? DEFAULT_SCRYPT_LIMITS;
  await requireDirectory(target);
  await withFileLock(
    target,
    async () => {
      const current = await load(target, limits);
      if (!current && mustExist) throw notFound(target);
      if (current && current.mode & 0o077) {
        options.warn?.(
          `${target} is accessible by group or others (mode ${(current.mode & 0o777).toString(8).padStart(4, '0')}); ` +
            `run 'chmod 600 ${target}' (the server refuses a world-readable database)`,
        );
      }
      const next = change(current?.db ?? emptyPassdb(target));
      const text = formatPassdb(next);
      if (!current) {
        await writeFileAtomic(target, text, { mode: PASSDB_MODE });
        return;
      }
      await writeFileAtomic(target, text, { mode: current.mode & 0o777, overwrite: true });
      await keepOwner(target, current);
    },
    options.lock,
  );
}

async function requireDirectory(target: string): Promise<void> {
  const dir = dirname(target);
  const stat = await fs.stat(dir).catch(() => undefined);
  if (!stat?.isDirectory()) {
    throw new PqvpnError('PASSDB_NO_DIRECTORY', `cannot write ${target}: directory ${dir} does not exist`);
  }
}

async function keepOwner(target: string, before: Loaded): Promise<void> {
  if (process.getuid?.() !== 0) return;
  if (before.uid === 0 && before.gid === 0) return;
  await fs.chown(target, before.uid, before.gid);
}

/** A symlink's final target, so the rename replaces the real file; the path itself if it does not exist. */
async function resolveTarget(path: string): Promise<string> {
  try {
    return await fs.realpath(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return path;
    throw error;
  }
}

async function load(path: string, limits: ScryptLimits): Promise<Loaded | undefined> {
  const read = await readPassdbWithStat(path, limits);
  return read && { db: read.db, mode: read.stat.mode, uid: read.stat.uid, gid: read.stat.gid };
}

/**
 * Reads and parses `path` through one file handle, returning the database and the
 * `fstat` of the very file read (so a caller's change detection matches the content);
 * undefined when the file does not exist.
 */
export async function readPassdbWithStat(
  path: string,
  limits: ScryptLimits,
): Promise<{ db: Passdb; stat: Stats } | undefined> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new PqvpnError('PASSDB_NOT_A_FILE', `${path} is not a regular file`);
    if (stat.size > PASSDB_MAX_BYTES) {
      throw new PqvpnError('PASSDB_TOO_LARGE', `${path} is larger than ${PASSDB_MAX_BYTES} bytes`);
    }
    const bytes = await handle.readFile();
    return { db: parsePassdb(decodePassdbBytes(bytes, path), { file: path, limits }), stat };
  } finally {
    await handle.close();
  }
}
