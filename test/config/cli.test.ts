import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CommandIO } from '../../src/cli/io.js';
import { run } from '../../src/cli/main.js';

function captureIO(): CommandIO & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    stdout: (line) => out.push(line),
    stderr: (line) => err.push(line),
    readStdin: async () => '',
    promptHidden: async () => undefined,
  };
}

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(join(tmpdir(), 'pqvpn-config-cli-'));
  for (const name of ['ca.crt', 'client.crt']) await fs.writeFile(join(dir, name), 'x', { mode: 0o644 });
  await fs.writeFile(join(dir, 'client.key'), 'x', { mode: 0o600 });
  await fs.writeFile(
    join(dir, 'good.ovpn'),
    'client\nremote vpn.example.com\nca ca.crt\ncert client.crt\nkey client.key\ncipher AES-256-CBC\n',
  );
  await fs.writeFile(
    join(dir, 'typo.ovpn'),
    'client\nremote vpn.example.com\nca ca.crt\ncert client.crt\nkey client.key\nremote-cert-tsl server\n',
  );
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('pqvpn config check', () => {
  it('prints the effective config and warnings, and exits 0 for a valid file', async () => {
    const io = captureIO();
    const file = join(dir, 'good.ovpn');
    expect(await run(['config', 'check', file], io)).toBe(0);
    expect(io.out).toContain('client');
    expect(io.out).toContain(`ca ${join(dir, 'ca.crt')}`);
    expect(io.err).toEqual([
      `WARNING: ${file}:6: 'cipher': ignored: the data channel always uses AES-256-GCM (see data-ciphers)`,
      `${file}: valid client config (1 warning)`,
    ]);
  });

  it('prints only problems with --quiet', async () => {
    const io = captureIO();
    expect(await run(['config', 'check', join(dir, 'good.ovpn'), '--quiet'], io)).toBe(0);
    expect(io.out).toEqual([]);
    expect(io.err).toHaveLength(1);
  });

  it('exits 2 and prints file:line with a suggestion for a typo', async () => {
    const io = captureIO();
    const file = join(dir, 'typo.ovpn');
    expect(await run(['config', 'check', file], io)).toBe(2);
    expect(io.out).toEqual([]);
    expect(io.err).toEqual([
      `ERROR: ${file}:6: 'remote-cert-tsl': unknown directive; did you mean 'remote-cert-tls'?`,
    ]);
  });

  it('applies --directive overrides after the file', async () => {
    const io = captureIO();
    const args = [
      'config',
      'check',
      join(dir, 'good.ovpn'),
      '--verb',
      '4',
      '--route',
      '10.5.0.0',
      '255.255.0.0',
    ];
    expect(await run(args, io)).toBe(0);
    expect(io.out).toContain('verb 4');
    expect(io.out).toContain('route 10.5.0.0 255.255.0.0');
    const bad = captureIO();
    expect(await run(['config', 'check', join(dir, 'good.ovpn'), '--verb', 'loud'], bad)).toBe(2);
    expect(bad.err).toContain(
      "ERROR: (command line): 'verb': 'loud' is not a verbosity level (a whole decimal number)",
    );
  });

  it('exits 2 for a missing file or a stray argument', async () => {
    const missing = captureIO();
    expect(await run(['config', 'check', join(dir, 'nope.ovpn')], missing)).toBe(2);
    expect(missing.err[0]).toContain('nope.ovpn: no such file');
    const stray = captureIO();
    expect(await run(['config', 'check', join(dir, 'good.ovpn'), 'extra'], stray)).toBe(2);
    expect(stray.err[0]).toContain("unexpected argument 'extra'");
  });

  it('has help with an example', async () => {
    const io = captureIO();
    expect(await run(['config', 'check', '--help'], io)).toBe(0);
    expect(io.out.join('\n')).toMatch(/Examples:\n\s+pqvpn config check server.ovpn/);
  });
});
