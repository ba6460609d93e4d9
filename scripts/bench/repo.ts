/**
 * Where the repository is, whether this code runs from its TypeScript source
 * (vitest) or compiled under node_modules/.cache (npm run bench / demo): the
 * nearest ancestor directory whose package.json is named "pqvpn".
 * @module
 */

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BenchError } from './errors.js';

export function findRepoRoot(start: string = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = start; ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown }).name === 'pqvpn') return dir;
      } catch {
        // Not ours; keep walking up.
      }
    }
    if (dirname(dir) === dir) throw new BenchError('NO_REPO', `no pqvpn package.json above ${start}`);
  }
}

/** argv prefix that runs the pqvpn CLI of this checkout (compiled dist/ through bin/pqvpn.js). */
export function pqvpnCli(root: string, nodeFlags: readonly string[] = []): string[] {
  return [process.execPath, ...nodeFlags, join(root, 'bin', 'pqvpn.js')];
}
