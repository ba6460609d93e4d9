/**
 * Static key files on disk: `pqvpn genkey` writes them, `tls-crypt FILE` and
 * `psk FILE` load them.
 *
 * Writing goes through `writeFileAtomic` with mode 0600 and refuses to replace an
 * existing file unless asked (`--force`): overwriting a tls-crypt key by accident
 * locks every client out.
 *
 * Loading checks the file is a regular file of sane size, parses it strictly
 * (`parseStaticKey`) and, like OpenVPN does for its key files, warns when group or
 * others may read it. The bytes read are zeroed once parsed.
 * @module
 */

import { promises as fs } from 'node:fs';
import { dirname } from 'node:path';
import { PqvpnError } from '../errors.js';
import { type Logger, silentLogger } from '../log.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import {
  formatStaticKey,
  generateStaticKey,
  parseStaticKey,
  type StaticKey,
  type StaticKeyKind,
} from './static-key.js';

/** Mode of a key file written by `pqvpn genkey`. */
export const KEY_FILE_MODE = 0o600;

/** Key files are a few hundred bytes; anything much larger is not one. */
export const KEY_FILE_MAX_BYTES = 64 * 1024;

export interface WriteKeyOptions {
  /** Replace an existing file. */
  readonly force?: boolean;
  /** Source of randomness; node:crypto's randomBytes by default. */
  readonly random?: (length: number) => Uint8Array;
}

/** Generates a key of `kind`, writes it to `path` (0600), and returns its size in bits. */
export async function writeStaticKeyFile(
  path: string,
  kind: StaticKeyKind,
  options: WriteKeyOptions = {},
): Promise<number> {
  const dir = dirname(path);
  if (!(await fs.stat(dir).catch(() => undefined))?.isDirectory()) {
    throw new PqvpnError('KEY_NO_DIRECTORY', `cannot write ${path}: directory ${dir} does not exist`);
  }
  const key = generateStaticKey(kind, options.random);
  try {
    await writeFileAtomic(path, formatStaticKey(key), {
      mode: KEY_FILE_MODE,
      overwrite: options.force ?? false,
    });
    return key.bits;
  } finally {
    key.wipe();
  }
}

export interface LoadKeyOptions {
  /** Receives the group/others-readable warning. */
  readonly logger?: Logger;
}

/** Reads and validates the key file at `path` for `kind`. The caller wipes the returned key. */
export async function loadStaticKey(
  path: string,
  kind: StaticKeyKind,
  options: LoadKeyOptions = {},
): Promise<StaticKey> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new PqvpnError('KEY_NOT_FOUND', `key file ${path} does not exist`);
    }
    throw error;
  }
  let bytes: Buffer | undefined;
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new PqvpnError('KEY_NOT_A_FILE', `${path} is not a regular file`);
    if (stat.size > KEY_FILE_MAX_BYTES) {
      throw new PqvpnError(
        'KEY_TOO_LARGE',
        `${path} is larger than ${KEY_FILE_MAX_BYTES} bytes; not a key file`,
      );
    }
    if (stat.mode & 0o077) {
      (options.logger ?? silentLogger).warn(`file '${path}' is group or others accessible`);
    }
    bytes = await handle.readFile();
    // latin1 maps every byte to one character, so stray non-ASCII bytes reach the strict parser
    // (and are rejected there) instead of being replaced silently.
    return parseStaticKey(bytes.toString('latin1'), kind, path);
  } finally {
    bytes?.fill(0);
    await handle.close();
  }
}
