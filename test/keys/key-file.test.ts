import { execFileSync } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadStaticKey, writeStaticKeyFile } from '../../src/keys/key-file.js';
import { Logger } from '../../src/log.js';

let dir: string;
let logged: string[];
let logger: Logger;
beforeEach(async () => {
  dir = await fs.mkdtemp(join(tmpdir(), 'pqvpn-keys-'));
  logged = [];
  logger = new Logger({ verb: 3, sink: (line) => logged.push(line) });
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const OPENVPN = ['/usr/sbin/openvpn', '/usr/bin/openvpn'].find((p) => existsSync(p));

describe('key files', () => {
  it('writes 0600 keys that load back, without a warning', async () => {
    const path = join(dir, 'ta.key');
    expect(await writeStaticKeyFile(path, 'tls-crypt', { random: (n) => new Uint8Array(n).fill(7) })).toBe(
      512,
    );
    expect((await fs.stat(path)).mode & 0o777).toBe(0o600);
    const key = await loadStaticKey(path, 'tls-crypt', { logger });
    expect(key.bytes).toEqual(new Uint8Array(64).fill(7));
    expect(logged).toEqual([]);
    key.wipe();
  });

  it('never overwrites an existing file without force', async () => {
    const path = join(dir, 'psk.key');
    await writeStaticKeyFile(path, 'psk');
    const before = await fs.readFile(path, 'utf8');
    await expect(writeStaticKeyFile(path, 'psk')).rejects.toMatchObject({ code: 'FILE_EXISTS' });
    expect(await fs.readFile(path, 'utf8')).toBe(before);
    await writeStaticKeyFile(path, 'psk', { force: true });
    expect(await fs.readFile(path, 'utf8')).not.toBe(before);
    expect((await fs.stat(path)).mode & 0o777).toBe(0o600);
  });

  it('says so when the directory does not exist', async () => {
    await expect(writeStaticKeyFile(join(dir, 'no', 'ta.key'), 'tls-crypt')).rejects.toMatchObject({
      code: 'KEY_NO_DIRECTORY',
    });
  });

  it('warns like OpenVPN when group or others may read the key', async () => {
    const path = join(dir, 'ta.key');
    await writeStaticKeyFile(path, 'tls-crypt');
    await fs.chmod(path, 0o640);
    (await loadStaticKey(path, 'tls-crypt', { logger })).wipe();
    expect(logged).toEqual([`WARNING: file '${path}' is group or others accessible`]);
  });

  it('refuses a missing file, a directory, an oversized file and the wrong kind', async () => {
    await expect(loadStaticKey(join(dir, 'nope'), 'psk')).rejects.toMatchObject({ code: 'KEY_NOT_FOUND' });
    await expect(loadStaticKey(dir, 'psk')).rejects.toMatchObject({ code: 'KEY_NOT_A_FILE' });
    const big = join(dir, 'big');
    await fs.writeFile(big, '#'.repeat(70_000));
    await expect(loadStaticKey(big, 'psk')).rejects.toMatchObject({ code: 'KEY_TOO_LARGE' });
    const psk = join(dir, 'psk.key');
    await writeStaticKeyFile(psk, 'psk');
    await expect(loadStaticKey(psk, 'tls-crypt')).rejects.toMatchObject({
      code: 'KEY_WRONG_KIND',
      message: expect.stringMatching(new RegExp(`^${psk}:3: `)),
    });
  });

  it('rejects non-ASCII bytes instead of skipping them', async () => {
    const path = join(dir, 'k');
    await fs.writeFile(path, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('# bom\n')]));
    await expect(loadStaticKey(path, 'psk')).rejects.toMatchObject({ code: 'KEY_MALFORMED' });
  });

  it.skipIf(!OPENVPN)(
    'loads a key made by `openvpn --genkey tls-crypt` (skipped: openvpn not installed)',
    async () => {
      const path = join(dir, 'openvpn-ta.key');
      execFileSync(OPENVPN!, ['--genkey', 'tls-crypt', path], { stdio: 'ignore' });
      await fs.chmod(path, 0o600);
      const key = await loadStaticKey(path, 'tls-crypt', { logger });
      expect(key.format).toBe('openvpn-static-key-v1');
      expect(key.bits).toBe(2048);
      const hex = (await fs.readFile(path, 'utf8')).match(/^[0-9a-f]{32}$/gm)!.join('');
      expect(Buffer.from(key.bytes).toString('hex')).toBe(hex);
    },
  );
});
