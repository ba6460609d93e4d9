/**
 * Private temporary directories named after the process that made them
 * (`/tmp/pqvpn-demo-<pid>-XXXXXX`, mode 0700), so a later run can remove the
 * directory of a run that was killed before its cleanup ran — it holds
 * throwaway private keys — without touching the directory of a run that is
 * still going on.
 * @module
 */

import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processAlive } from './netns.js';

export function makeWorkDir(name: string, base: string = tmpdir()): string {
  return mkdtempSync(join(base, `${name}-${process.pid}-`));
}

/** Names in `entries` made by `name` for a pid that `isAlive` says is gone. */
export function staleWorkDirs(
  entries: readonly string[],
  name: string,
  isAlive: (pid: number) => boolean,
): string[] {
  const pattern = new RegExp(`^${name.replace(/[^a-z0-9]/gi, '\\$&')}-(\\d+)-[A-Za-z0-9]{6}$`);
  return entries.filter((e) => {
    const m = pattern.exec(e);
    return m !== null && !isAlive(Number(m[1]));
  });
}

/** Removes directories left by dead runs; returns their paths. Never throws. */
export function sweepStaleWorkDirs(name: string, base: string = tmpdir()): string[] {
  let entries: string[] = [];
  try {
    entries = readdirSync(base);
  } catch {
    return [];
  }
  const stale = staleWorkDirs(entries, name, processAlive).map((e) => join(base, e));
  for (const dir of stale) rmSync(dir, { recursive: true, force: true });
  return stale;
}
