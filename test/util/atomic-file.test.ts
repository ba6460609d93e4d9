import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileExistsError, withFileLock, writeFileAtomic } from '../../src/util/atomic-file.js';

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(join(tmpdir(), 'pqvpn-atomic-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('writeFileAtomic', () => {
  it('writes with the exact mode, regardless of umask', async () => {
    const path = join(dir, 'key');
    await writeFileAtomic(path, 'secret', { mode: 0o600 });
    expect((await fs.stat(path)).mode & 0o777).toBe(0o600);
    expect(await fs.readFile(path, 'utf8')).toBe('secret');
  });

  it('refuses to replace an existing file unless told to', async () => {
    const path = join(dir, 'ca.key');
    await writeFileAtomic(path, 'old');
    await expect(writeFileAtomic(path, 'new')).rejects.toBeInstanceOf(FileExistsError);
    expect(await fs.readFile(path, 'utf8')).toBe('old');
    await writeFileAtomic(path, 'new', { overwrite: true });
    expect(await fs.readFile(path, 'utf8')).toBe('new');
  });

  it('leaves no temporary file behind', async () => {
    await writeFileAtomic(join(dir, 'a'), 'x');
    await expect(writeFileAtomic(join(dir, 'a'), 'y')).rejects.toThrow();
    expect(await fs.readdir(dir)).toEqual(['a']);
  });
});

describe('withFileLock', () => {
  it('serialises concurrent read-modify-write cycles', async () => {
    const path = join(dir, 'counter');
    await fs.writeFile(path, '0');
    const bump = () =>
      withFileLock(path, async () => {
        const n = Number(await fs.readFile(path, 'utf8'));
        await new Promise((r) => setTimeout(r, 2));
        await writeFileAtomic(path, String(n + 1), { overwrite: true });
      });
    await Promise.all(Array.from({ length: 20 }, bump));
    expect(await fs.readFile(path, 'utf8')).toBe('20');
  });
});
