import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../../src/cli/main.js';
import { memoryIO } from '../support/memory-io.js';
import { REPO_ROOT, tsExecArgv } from '../support/run-ts.js';

// Runs of a real server or client need root and namespaces: test/e2e does those.
// Here: everything that must fail before a socket or TUN device is opened.

const server = 'configs/server.ovpn';
const client = 'configs/client.ovpn';

describe('pqvpn server / client: start-up checks', () => {
  it('refuse a config of the other mode with exit 2', async () => {
    const io = memoryIO();
    expect(await run(['client', '--config', server], io)).toBe(2);
    expect(io.err.join('\n')).toContain("run it with 'pqvpn server --config");
  });

  it('apply --directive overrides and report a bad one with exit 2', async () => {
    const io = memoryIO();
    expect(await run(['client', '--config', client, '--remote-cert-tsl', 'server'], io)).toBe(2);
    expect(io.err.join('\n')).toMatch(/remote-cert-tsl.*did you mean 'remote-cert-tls'/);
  });

  it('need --config', async () => {
    const io = memoryIO();
    expect(await run(['server'], io)).toBe(2);
    expect(io.err.join('\n')).toMatch(/config/);
  });

  it('a server certificate that does not fit its role stops the server at start-up with exit 1, naming the file', async () => {
    const io = memoryIO();
    const code = await run(
      ['server', '--config', server, '--cert', 'sample-keys/client.crt', '--key', 'sample-keys/client.key'],
      io,
    );
    expect(code).toBe(1);
    expect(io.err.join('\n')).toMatch(/ERROR: .*client\.crt/);
  });
});

describe('the shipped example configs', () => {
  for (const name of ['server', 'client', 'server-passdb', 'client-passdb']) {
    it(`configs/${name}.ovpn passes config check`, async () => {
      const io = memoryIO();
      expect(await run(['config', 'check', `configs/${name}.ovpn`], io)).toBe(0);
      // A fresh git clone has the sample private keys at mode 0644: that warning is expected and correct.
      const unexpected = io.err.filter(
        (l) => l.startsWith('WARNING') && !/accessible by group or others/.test(l),
      );
      expect(unexpected).toEqual([]);
    });
  }
});

describe('pqvpn client: signals', () => {
  it('SIGUSR2 reports, SIGHUP reconnects, and SIGTERM while still trying to connect ends it at once with exit 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pqvpn-cli-client-'));
    try {
      const keys = join(REPO_ROOT, 'configs/sample-keys');
      const config = join(dir, 'client.ovpn');
      writeFileSync(
        config,
        [
          'client',
          'dev tun',
          'proto udp4',
          'remote 127.0.0.1 9',
          'nobind',
          'connect-retry 1 1',
          `ca ${keys}/ca.crt`,
          `cert ${keys}/client.crt`,
          `key ${keys}/client.key`,
          'remote-cert-tls server',
          'user nobody',
          'verb 3',
        ].join('\n'),
      );
      const child = spawn(
        process.execPath,
        [...tsExecArgv, join(REPO_ROOT, 'test/support/cli-entry.ts'), 'client', '--config', config],
        {
          cwd: REPO_ROOT,
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
      });
      child.stderr.on('data', (d: Buffer) => {
        out += d.toString();
      });
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      const deadline = Date.now() + 60_000;
      while (!/connecting to 127\.0\.0\.1 127\.0\.0\.1:9/.test(out) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      // SIGUSR2 reports, SIGHUP reconnects (not ending the process), SIGTERM ends it.
      child.kill('SIGUSR2');
      child.kill('SIGHUP');
      while (!/restarting in \d+ s \(SIGHUP received\)/.test(out) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      expect(out).toMatch(/SIGUSR2: not connected/);
      expect(out).toMatch(/user\/group are ignored by a client/);
      const sent = Date.now();
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(Date.now() - sent).toBeLessThan(5000);
      expect(out).toMatch(/SIGTERM received, leaving/);
      expect(out).toMatch(/client stopped/);
      expect(out).not.toMatch(/ERROR/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
