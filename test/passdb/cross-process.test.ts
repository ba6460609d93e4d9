import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readPassdbFile } from '../../src/passdb/store.js';
import { REPO_ROOT, tsExecArgv } from '../support/run-ts.js';
import { modeOf, OPEN_LIMITS, tempDir } from './helpers.js';

// Real separate Node processes (through the test-only TypeScript loader in test/support), because the
// lock that keeps concurrent `pqvpn passwd add` from losing entries is a cross-process lock.

let dir: string;
let db: string;
beforeEach(async () => {
  dir = await tempDir('pqvpn-passdb-xproc-');
  db = join(dir, 'passdb');
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

interface Child {
  /** Resolves when the child first writes `text` on stdout. */
  printed(text: string): Promise<void>;
  send(text: string): void;
  done: Promise<{ status: number | null; stdout: string; stderr: string }>;
}

function child(args: string[]): Child {
  const proc = spawn(process.execPath, [...tsExecArgv, ...args], { cwd: REPO_ROOT });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (d) => {
    stdout += d;
  });
  proc.stderr.on('data', (d) => {
    stderr += d;
  });
  return {
    printed: (text) =>
      new Promise((resolve) => {
        const look = () => {
          if (stdout.includes(text)) {
            proc.stdout.off('data', look);
            resolve();
          }
        };
        proc.stdout.on('data', look);
        look();
      }),
    send: (text) => proc.stdin.end(text),
    done: new Promise((resolve, reject) => {
      proc.on('error', reject);
      proc.on('close', (status) => resolve({ status, stdout, stderr }));
    }),
  };
}

describe('passdb across processes', () => {
  it('two processes adding users at the same time lose no entry', async () => {
    // The test proves something only if the two children really overlapped; on a loaded machine one may
    // occasionally finish before the other starts, so such a run is repeated (at most three runs).
    let interleaved = false;
    for (let attempt = 0; attempt < 3 && !interleaved; attempt++) {
      await fs.rm(db, { force: true });
      const script = join(REPO_ROOT, 'test/passdb/fixtures/add-many.ts');
      const children = [child([script, db, 'a', '30']), child([script, db, 'b', '30'])];
      await Promise.all(children.map((c) => c.printed('ready')));
      for (const c of children) c.send('go\n');
      for (const r of await Promise.all(children.map((c) => c.done))) {
        expect(r, r.stderr).toMatchObject({ status: 0 });
      }
      const users = [...(await readPassdbFile(db, { limits: OPEN_LIMITS })).users.keys()];
      expect(users).toHaveLength(60);
      expect(new Set(users)).toEqual(new Set([...Array(30).keys()].flatMap((i) => [`a${i}`, `b${i}`])));
      expect(await modeOf(db)).toBe(0o600);
      expect(await fs.readdir(dir)).toEqual(['passdb']);
      // Both ran at the same time when their entries interleave in the file.
      interleaved = users.slice(0, 30).some((u) => u.startsWith('b'));
    }
    expect(interleaved, 'the two processes never overlapped in three runs').toBe(true);
  });
});
