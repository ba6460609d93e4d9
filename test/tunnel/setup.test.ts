/**
 * setup.ts with the shipped example configs and sample keys: real
 * certificates, tls-crypt, the passdb authenticator and auth-user-pass (from
 * a file and from a prompt), with in-memory TUN devices and a recording `ip`,
 * so the wiring the CLI uses is tested without root.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../src/config/load.js';
import type { ClientConfig, ServerConfig } from '../../src/config/model.js';
import { Logger } from '../../src/log.js';
import { createClient, startServer } from '../../src/tunnel/setup.js';
import { ipv4Packet, MemoryTunBackend } from './support/memory-tun.js';

const dir = mkdtempSync(join(tmpdir(), 'pqvpn-setup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const stops: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const s of stops.splice(0).reverse()) await s();
});

async function server(file: string) {
  const { config } = await loadConfigFile(file);
  if (config.mode !== 'server') throw new Error('server config expected');
  const lines: string[] = [];
  const tun = new MemoryTunBackend();
  const running = await startServer(
    {
      ...config,
      lport: 0,
      proto: 'udp4',
      ifconfigPoolPersist: { path: join(dir, `${Math.random()}.txt`), seconds: 600 },
    } as ServerConfig,
    new Logger({ verb: 4, sink: (l) => lines.push(l) }),
    { tun, workers: 0 },
  );
  stops.push(() => running.stop('shutdown'));
  return { running, tun, lines, port: running.server.local!.port };
}

async function client(
  file: string,
  port: number,
  change: Partial<ClientConfig> = {},
  prompts: string[] = [],
) {
  const { config } = await loadConfigFile(file);
  if (config.mode !== 'client') throw new Error('client config expected');
  const lines: string[] = [];
  const tun = new MemoryTunBackend();
  const { client, dispose } = await createClient(
    { ...config, remotes: [{ host: '127.0.0.1', port, proto: 'udp4' }], ...change } as ClientConfig,
    new Logger({ verb: 4, sink: (l) => lines.push(l) }),
    {
      tun,
      ip: { run: async (a) => (a.includes('get') ? '[]' : '') },
      promptHidden: async () => prompts.shift(),
    },
  );
  const done = client.run().finally(dispose);
  done.catch(() => {});
  stops.push(async () => {
    client.stop();
    await done.catch(() => {});
  });
  return { client, tun, lines, done };
}

async function until(predicate: () => boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('setup with the example configs', () => {
  it('certificate mode: real ML-DSA certificates and tls-crypt; the server log names the client', async () => {
    const s = await server('configs/server.ovpn');
    const c = await client('configs/client.ovpn', s.port);
    await until(() => c.lines.some((l) => l.includes('Initialization Sequence Completed')));
    c.tun.last.inject(ipv4Packet('10.8.0.2', '10.8.0.1'));
    await s.tun.last.waitFor((p) => p[19] === 1);
    expect(s.lines.join('\n')).toMatch(
      /: connected from 127\.0\.0\.1:\d+, peer id \d+, assigned 10\.8\.0\.\d/,
    );
  }, 30_000);

  it('passdb mode: auth-user-pass from the file, and from a prompt; a wrong prompt answer is AUTH_FAILED', async () => {
    const s = await server('configs/server-passdb.ovpn');
    const fromFile = await client('configs/client-passdb.ovpn', s.port);
    await until(() => fromFile.lines.some((l) => l.includes('Initialization Sequence Completed')));
    expect(s.lines.join('\n')).toMatch(/alice\/127\.0\.0\.1:\d+: connected/);

    const [user = '', password = ''] = readFileSync('configs/sample-keys/client-passdb.auth', 'utf8').split(
      '\n',
    );
    const prompted = await client('configs/client-passdb.ovpn', s.port, { authUserPass: {} }, [
      user,
      password,
    ]);
    await until(() => prompted.lines.some((l) => l.includes('Initialization Sequence Completed')));

    const wrong = await client('configs/client-passdb.ovpn', s.port, { authUserPass: {} }, [user, 'not it']);
    await expect(wrong.done).rejects.toMatchObject({ code: 'AUTH_FAILED' });
    expect(s.lines.join('\n')).not.toContain('not it');
  }, 60_000);
});
