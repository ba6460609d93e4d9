/**
 * Reading a config file argument (`ca`, `cert`, `key`, `crl-verify`,
 * `auth-user-pass`, …): either a path on disk or an inline `<name>…</name>`
 * block (`FileSource` in src/config/model.ts).
 *
 * Every error names the directive and where its content came from — the path, or
 * "inline <name> block" — and never the content itself, which may be a key or a
 * password. Files are bounded in size: a certificate bundle or a CRL is at most a
 * few MiB, and a missing bound would let a mistyped path (`/dev/zero`) hang the
 * process.
 * @module
 */

import { promises as fs } from 'node:fs';
import type { FileSource } from '../config/model.js';
import { PqvpnError } from '../errors.js';

/** Largest file read for a certificate, key, CRL or credentials argument. */
export const MAX_SOURCE_BYTES = 16 * 1024 * 1024;

/** A file argument could not be used; `code` says why, the message says which file. */
export class SourceError extends PqvpnError {}

/** How a source is named in messages: its path, or `inline <directive> block`. */
export function describeSource(source: FileSource, directive: string): string {
  return source.kind === 'file' ? source.path : `inline <${directive}> block`;
}

/**
 * The bytes of `source`. Throws `SourceError` with code `SOURCE_MISSING`
 * (no such file), `SOURCE_NOT_A_FILE`, `SOURCE_TOO_LARGE` or `SOURCE_UNREADABLE`.
 * The caller wipes the returned buffer when it held a secret.
 */
export async function readSourceBytes(source: FileSource, directive: string): Promise<Uint8Array> {
  if (source.kind === 'inline') return new Uint8Array(Buffer.from(source.text, 'utf8'));
  const path = source.path;
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(path, 'r');
  } catch (error) {
    throw fileError(error, directive, path);
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile())
      throw new SourceError('SOURCE_NOT_A_FILE', `${directive} ${path}: not a regular file`);
    if (stat.size > MAX_SOURCE_BYTES)
      throw new SourceError(
        'SOURCE_TOO_LARGE',
        `${directive} ${path}: larger than ${MAX_SOURCE_BYTES} bytes, not a ${directive} file`,
      );
    return new Uint8Array(await handle.readFile());
  } catch (error) {
    if (error instanceof SourceError) throw error;
    throw fileError(error, directive, path);
  } finally {
    await handle.close();
  }
}

/** The text of `source` (UTF-8; PEM and credential files are ASCII or UTF-8). */
export async function readSourceText(source: FileSource, directive: string): Promise<string> {
  if (source.kind === 'inline') return source.text;
  const bytes = await readSourceBytes(source, directive);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new SourceError('SOURCE_NOT_TEXT', `${directive} ${source.path}: not UTF-8 text`);
  } finally {
    bytes.fill(0);
  }
}

function fileError(error: unknown, directive: string, path: string): SourceError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new SourceError('SOURCE_MISSING', `${directive} ${path}: no such file`);
  return new SourceError('SOURCE_UNREADABLE', `${directive} ${path}: cannot be read (${code ?? 'error'})`, {
    cause: error,
  });
}
