import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CommandIO } from '../../src/cli/io.js';
import { run } from '../../src/cli/main.js';
import { loadStaticKey } from '../../src/keys/key-file.js';

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(join(tmpdir(), 'pqvpn-genkey-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

async function genkey(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CommandIO = {
    stdout: (l) => out.push(l),
    stderr: (l) => err.push(l),
    readStdin: async () => '',
    promptHidden: async () => undefined,
  };
  const code = await run(['genkey', ...args], io);
  return { code, out, err };
}

describe('pqvpn genkey', () => {
  it.each(['tls-crypt', 'psk'] as const)('writes a %s key file that loads', async (kind) => {
    const path = join(dir, `${kind}.key`);
    expect(await genkey([kind, path])).toEqual({
      code: 0,
      out: [`wrote a 512-bit ${kind} key to ${path} (mode 0600)`],
      err: [],
    });
    expect((await fs.stat(path)).mode & 0o777).toBe(0o600);
    (await loadStaticKey(path, kind)).wipe();
  });

  it('refuses to overwrite without --force (exit 1), and replaces with it', async () => {
    const path = join(dir, 'ta.key');
    await genkey(['tls-crypt', path]);
    const before = await fs.readFile(path, 'utf8');
    const again = await genkey(['tls-crypt', path]);
    expect(again.code).toBe(1);
    expect(again.err[0]).toBe(`ERROR: ${path} already exists; use --force to overwrite it`);
    expect(await fs.readFile(path, 'utf8')).toBe(before);
    expect((await genkey(['tls-crypt', path, '--force'])).code).toBe(0);
    expect(await fs.readFile(path, 'utf8')).not.toBe(before);
  });

  it('rejects an unknown kind or a missing file name with a usage error (exit 2)', async () => {
    const unknown = await genkey(['secret', join(dir, 'x')]);
    expect(unknown.code).toBe(2);
    expect(unknown.err[0]).toMatch(/Invalid values|Choices/);
    expect((await genkey(['tls-crypt'])).code).toBe(2);
    expect(await fs.readdir(dir)).toEqual([]);
  });

  it('has help with examples', async () => {
    const help = await genkey(['--help']);
    expect(help.code).toBe(0);
    expect(help.out.join('\n')).toMatch(/Examples:[\s\S]*genkey tls-crypt \/etc\/pqvpn\/ta.key/);
  });
});
