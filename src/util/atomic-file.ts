/**
 * Writing files so that a reader never sees half of one.
 *
 * `writeFileAtomic` writes to a temporary file in the same directory, fsyncs it,
 * and renames it over the target: the target is either the old file or the new
 * one, never a mix, even if the process dies half-way. `withFileLock` serialises
 * read-modify-write cycles between processes (two `pqvpn passwd add` at once)
 * with an exclusive lock file created by `O_EXCL`, the one primitive that is
 * atomic on every local filesystem.
 * @module
 */

import { randomBytes } from 'node:crypto';
import { constants, promises as fs } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { PqvpnError } from '../errors.js';

export class FileExistsError extends PqvpnError {
  readonly path: string;
  constructor(path: string) {
    super('FILE_EXISTS', `${path} already exists; use --force to overwrite it`);
    this.path = path;
  }
}

export interface AtomicWriteOptions {
  /** File mode for the new file, e.g. 0o600 for private keys. Default 0o644. */
  mode?: number;
  /** Replace an existing file. Without it an existing target is an error. */
  overwrite?: boolean;
}

export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const mode = options.mode ?? 0o644;
  if (!options.overwrite && (await exists(path))) throw new FileExistsError(path);
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await fs.open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
  try {
    await handle.writeFile(data);
    // The mode passed to open() is filtered by the umask; set it exactly.
    await handle.chmod(mode);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await fs.rm(temp, { force: true });
    throw error;
  }
  await handle.close();
  try {
    if (!options.overwrite) {
      // link() fails if the target appeared meanwhile, where rename() would replace it.
      await fs.link(temp, path).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'EEXIST') throw new FileExistsError(path);
        throw error;
      });
      await fs.rm(temp, { force: true });
    } else {
      await fs.rename(temp, path);
    }
  } catch (error) {
    await fs.rm(temp, { force: true });
    throw error;
  }
}

export async function exists(path: string): Promise<boolean> {
  try {
    await fs.lstat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

export interface LockOptions {
  /** How long to keep trying before giving up, in milliseconds. Default 10 s. */
  timeoutMs?: number;
  /** A lock file older than this is considered left behind by a dead process. Default 60 s. */
  staleMs?: number;
}

/** Runs `action` while holding `${path}.lock`; other processes calling this wait their turn. */
export async function withFileLock<T>(
  path: string,
  action: () => Promise<T>,
  options: LockOptions = {},
): Promise<T> {
  const lockPath = `${path}.lock`;
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  const staleMs = options.staleMs ?? 60_000;
  let delay = 5;
  for (;;) {
    try {
      const handle = await fs.open(
        lockPath,
        constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL,
        0o600,
      );
      await handle.writeFile(String(process.pid));
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const stat = await fs.stat(lockPath).catch(() => undefined);
      if (stat && Date.now() - stat.mtimeMs > staleMs) {
        await fs.rm(lockPath, { force: true });
        continue;
      }
      if (Date.now() > deadline) {
        throw new PqvpnError('LOCK_TIMEOUT', `${path} is locked by another process (${lockPath}); try again`);
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 100);
    }
  }
  try {
    return await action();
  } finally {
    await fs.rm(lockPath, { force: true });
  }
}
