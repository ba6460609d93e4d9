import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandIO } from '../../src/cli/io.js';
import { run } from '../../src/cli/main.js';
import { parseCertificate } from '../../src/pki/certificate.js';
import { verifyCertificateChain } from '../../src/pki/verify.js';
import { decodePem } from '../../src/util/pem.js';

const PLUGIN = resolve('test/fixtures/plugins/example-picnic-style.mjs');

let root: string;
let pki: string;
beforeAll(async () => {
  root = await fs.mkdtemp(join(tmpdir(), 'pqvpn-pki-plugin-'));
  pki = join(root, 'pki');
});
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

async function pqvpn(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CommandIO = {
    stdout: (l) => out.push(l),
    stderr: (l) => err.push(l),
    readStdin: async () => '',
    promptHidden: async () => undefined,
  };
  const code = await run(['pki', '--pki', pki, ...args], io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('pqvpn pki --sig-plugin', () => {
  it('makes a CA and a server certificate in a third-party scheme that the chain verifier accepts', async () => {
    const init = await pqvpn('--sig-plugin', PLUGIN, 'init', '--algo', 'example-picnic-style');
    expect(init.err).toBe('');
    expect(init.code).toBe(0);
    expect(init.out).toMatch(/example-picnic-style/);
    const issued = await pqvpn('--sig-plugin', PLUGIN, 'issue', 'server', 'vpn');
    expect([issued.code, issued.err]).toEqual([0, '']);
    const shown = await pqvpn('--sig-plugin', PLUGIN, 'show', 'vpn');
    expect(shown.out).toMatch(/example-picnic-style/);

    const der = async (file: string) => decodePem(await fs.readFile(join(pki, file), 'utf8'), 'CERTIFICATE');
    const leaf = parseCertificate(await der('issued/vpn.crt'));
    expect(leaf.subjectPublicKeyInfo.algorithm.scheme?.name).toBe('example-picnic-style');
    const r = verifyCertificateChain({
      leaf: await der('issued/vpn.crt'),
      intermediates: [],
      trustAnchors: [await der('ca.crt')],
      now: new Date(),
      expectedEku: 'serverAuth',
    });
    expect(r.ok).toBe(true);
  });

  it('a plugin file that does not load is a clear error, and nothing is written', async () => {
    const errors: string[] = [];
    const other = join(root, 'other');
    const r = await run(['pki', '--pki', other, '--sig-plugin', join(root, 'missing.mjs'), 'init'], {
      stdout: () => {},
      stderr: (l) => errors.push(l),
      readStdin: async () => '',
      promptHidden: async () => undefined,
    });
    expect(r).not.toBe(0);
    expect(errors.join('\n')).toMatch(/missing\.mjs/);
    await expect(fs.stat(other)).rejects.toThrow();
  });
});
