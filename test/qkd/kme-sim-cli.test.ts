/**
 * `pqvpn kme-sim` end to end: init writes certificates OpenSSL accepts, the
 * server runs until SIGTERM, and a key source built from a real pqvpn config
 * (qkd-* directives pointing at the init files) gets keys through it.
 */
import { spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import yargs from 'yargs';
import { kmeSimCommand } from '../../src/cli/commands/kme-sim.js';
import { run } from '../../src/cli/main.js';
import { loadConfigFile } from '../../src/config/load.js';
import { InlineContent, type QkdConfig } from '../../src/config/model.js';
import type { QkdError } from '../../src/qkd/errors.js';
import { createQkdKeySource } from '../../src/qkd/from-config.js';
import { loadKmeSimDir, startKmeSimulator } from '../../src/qkd/kme-sim.js';
import { memoryIO } from '../support/memory-io.js';
import { REPO_ROOT, tsExecArgv } from '../support/run-ts.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pqvpn-kme-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('pqvpn kme-sim', () => {
  it('--help of kme-sim and kme-sim init shows examples', async () => {
    for (const argv of [
      ['kme-sim', '--help'],
      ['kme-sim', 'init', '--help'],
    ]) {
      const io = memoryIO();
      expect(await run(argv, io)).toBe(0);
      expect(io.out.join('\n')).toMatch(/Examples:\n\s+pqvpn kme-sim/);
    }
  });

  it('init writes the CA, KME and SAE certificates, keys mode 0600, and never overwrites silently', async () => {
    const io = memoryIO();
    const init = ['kme-sim', 'init', dir, '--sae-a', 'vpn-server', '--sae-b', 'vpn-client'];
    expect(await run([...init, '--host', 'kme.example.net', '--host', '10.1.2.3'], io)).toBe(0);
    const kmeCert = new X509Certificate(await readFile(join(dir, 'kme-b.crt')));
    expect(kmeCert.subjectAltName).toBe(
      'DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, DNS:kme.example.net, IP Address:10.1.2.3',
    );
    expect(kmeCert.checkIssued(new X509Certificate(await readFile(join(dir, 'ca.crt'))))).toBe(true);
    expect((await readdir(dir)).sort()).toEqual([
      'ca.crt',
      'ca.key',
      'kme-a.crt',
      'kme-a.key',
      'kme-b.crt',
      'kme-b.key',
      'sae-a.crt',
      'sae-a.key',
      'sae-b.crt',
      'sae-b.key',
    ]);
    for (const key of ['ca.key', 'kme-a.key', 'sae-b.key'])
      expect((await stat(join(dir, key))).mode & 0o777).toBe(0o600);
    const again = memoryIO();
    expect(await run(['kme-sim', 'init', dir], again)).toBe(1);
    expect(again.err.join('\n')).toMatch(/already exists; use --force/);
    const files = await loadKmeSimDir(dir);
    expect([files.saeA, files.saeB]).toEqual(['vpn-server', 'vpn-client']);
  });

  it('usage errors: no --config; an SAE flag that does not match the certificates; a bad port', async () => {
    const none = memoryIO();
    expect(await run(['kme-sim'], none)).toBe(2);
    expect(none.err[0]).toMatch(/needs --config DIR/);
    const mismatch = memoryIO();
    expect(await run(['kme-sim', '--config', dir, '--sae-a', 'other'], mismatch)).toBe(2);
    expect(mismatch.err[0]).toMatch(/for SAE 'vpn-server'/);
    expect(await run(['kme-sim', '--config', dir, '--port-a', '70000'], memoryIO())).toBe(2);
    const badHost = memoryIO();
    expect(await run(['kme-sim', 'init', join(dir, 'x'), '--host', 'not a name'], badHost)).toBe(1);
    expect(badHost.err[0]).toMatch(/neither a DNS name nor an IP address/);
    const missing = memoryIO();
    expect(await run(['kme-sim', '--config', join(dir, 'nope')], missing)).toBe(1);
    expect(missing.err[0]).toMatch(/pqvpn kme-sim init/);
  });

  it('runs in-process until told to stop, then reports and exits', async () => {
    const io = memoryIO();
    let stop!: (signal: string) => void;
    const stopped = new Promise<string>((resolve) => (stop = resolve));
    const running = yargs(['kme-sim', '--config', dir, '--port-a', '0', '--port-b', '0'])
      .command(kmeSimCommand(io, () => stopped))
      .strict()
      .parseAsync();
    for (let i = 0; i < 200 && io.out.length < 3; i++) await new Promise((r) => setTimeout(r, 5));
    expect(io.out[0]).toMatch(/^KME A \(kme-a\) for SAE vpn-server: https:\/\/127\.0\.0\.1:\d+$/);
    expect(io.out[2]).toMatch(/qkd-sae-id vpn-client, qkd-peer-sae-id vpn-server/);
    stop('SIGTERM');
    await running;
    expect(io.out.at(-1)).toMatch(/^stopped \(SIGTERM\): 0 keys issued/);
  });

  it('a real process stops gracefully on SIGTERM (exit 0)', async () => {
    const child = spawn(
      process.execPath,
      [
        ...tsExecArgv,
        `${REPO_ROOT}test/qkd/kme-sim-entry.ts`,
        'kme-sim',
        '--config',
        dir,
        '--port-a',
        '0',
        '--port-b',
        '0',
      ],
      { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    for (let i = 0; i < 1200 && !out.includes('KME B'); i++) await new Promise((r) => setTimeout(r, 25));
    expect(out).toContain('KME B (kme-b) for SAE vpn-client');
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(out).toMatch(/stopped \(SIGTERM\)/);
  }, 40_000);
});

describe('a key source built from qkd-* directives', () => {
  it('loads the init files through the config loader and gets the same key on both sides', async () => {
    const sim = await startKmeSimulator({
      files: await loadKmeSimDir(dir),
      portA: 0,
      portB: 0,
      rateBitsPerSecond: 0,
      capacityBits: 4096,
    });
    const configFor = async (url: string, me: 'a' | 'b') => {
      const [self, peer] = me === 'a' ? ['vpn-server', 'vpn-client'] : ['vpn-client', 'vpn-server'];
      const { config } = await loadConfigFile(join(REPO_ROOT, 'configs/client.ovpn'), [
        `--qkd-kme=${url}`,
        `--qkd-sae-id=${self}`,
        `--qkd-peer-sae-id=${peer}`,
        `--qkd-ca=${join(dir, 'ca.crt')}`,
        `--qkd-cert=${join(dir, `sae-${me}.crt`)}`,
        `--qkd-key=${join(dir, `sae-${me}.key`)}`,
        '--qkd-key-size=512',
      ]);
      return config.qkd!;
    };
    const a = await createQkdKeySource(await configFor(sim.urlA, 'a'), { prefetch: 0 });
    const b = await createQkdKeySource(await configFor(sim.urlB, 'b'), { prefetch: 0 });
    expect([a.mode, a.keySizeBits, a.peerSaeId]).toEqual(['required', 512, 'vpn-client']);
    const k = await a.forInitiator();
    const secret = await b.forResponder(k.keyId, 'vpn-server');
    expect(secret).toHaveLength(64);
    expect(Buffer.from(secret).equals(Buffer.from(k.secret))).toBe(true);
    a.close();
    b.close();
    await sim.close();
  });

  it('inline certificate blocks work; a key that does not match its certificate is QKD_CONFIG', async () => {
    const text = (f: string) => readFile(join(dir, f), 'utf8');
    const base: QkdConfig = {
      kme: 'https://127.0.0.1:1',
      saeId: 'vpn-server',
      peerSaeId: 'vpn-client',
      ca: new InlineContent(await text('ca.crt')),
      cert: new InlineContent(await text('sae-a.crt')),
      key: new InlineContent(await text('sae-a.key')),
      keySize: 256,
      mode: 'optional',
    };
    (await createQkdKeySource(base)).close();
    const wrong = { ...base, key: new InlineContent(await text('sae-b.key')) };
    const e = await createQkdKeySource(wrong).catch((x: unknown) => x);
    expect((e as QkdError).code).toBe('QKD_CONFIG');
    expect((e as QkdError).message).toMatch(/does not belong/);
    const missing = { ...base, ca: { kind: 'file' as const, path: join(dir, 'nope.crt') } };
    expect(((await createQkdKeySource(missing).catch((x: unknown) => x)) as QkdError).code).toBe(
      'QKD_CONFIG',
    );
  });
});
