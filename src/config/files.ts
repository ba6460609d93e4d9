/**
 * The one thing config validation asks of the file system: "what is at this
 * path?" — behind a tiny `FileChecker` interface, so `buildConfig` stays
 * synchronous and testable with an in-memory double (`memoryFileChecker`).
 *
 * Relative paths in a config are resolved against the config file's folder (or
 * the folder named by an earlier `cd`), never against the process's working
 * directory: `pqvpn server --config /etc/pqvpn/server.ovpn` then finds
 * `ca.crt` beside it wherever it was started from.
 * @module
 */

import { statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';

export interface FileStat {
  readonly type: 'file' | 'directory' | 'other';
  /** Permission bits (st_mode & 0o7777). */
  readonly mode: number;
}

export interface FileChecker {
  /** What is at `path` (following symlinks), or `undefined` when nothing is. */
  stat(path: string): FileStat | undefined;
}

/** The real file system, via `fs.statSync`. */
export const nodeFileChecker: FileChecker = {
  stat(path) {
    try {
      const s = statSync(path);
      return { type: s.isFile() ? 'file' : s.isDirectory() ? 'directory' : 'other', mode: s.mode & 0o7777 };
    } catch {
      return undefined;
    }
  },
};

/** An in-memory file system for tests: absolute path → stat (files default to mode 0600). */
export function memoryFileChecker(entries: Readonly<Record<string, Partial<FileStat>>>): FileChecker {
  return {
    stat(path) {
      const e = entries[path];
      if (!e) return undefined;
      return { type: e.type ?? 'file', mode: e.mode ?? (e.type === 'directory' ? 0o755 : 0o600) };
    },
  };
}

/** Resolves a path from a config against `base` (the config's folder or `cd`). */
export function resolveConfigPath(base: string, given: string): string {
  return isAbsolute(given) ? resolve(given) : resolve(base, given);
}

/** `0644`-style rendering of permission bits. */
export function formatMode(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}
