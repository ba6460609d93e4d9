/**
 * The server and client drivers in one process: real UDP on 127.0.0.1, real
 * handshakes (in-process control planes, test certificates), in-memory TUN
 * devices and a recording `ip`. No root needed; the netns tests in test/e2e
 * repeat the important cases with real devices.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ClientConfig, ServerConfig } from '../../src/config/model.js';
import { Logger } from '../../src/log.js';
import type { CommandRunner } from '../../src/net/iproute2.js';
import {
  createInProcessClientControlPlane,
  createInProcessServerControlPlane,
} from '../../src/runtime/in-process.js';
import { TunnelClient } from '../../src/tunnel/client.js';
import type { Authenticate, ExtraSecretSource } from '../../src/tunnel/seams.js';
import { TunnelServer } from '../../src/tunnel/server.js';
import { client as clientConfig, server as serverConfig } from '../config/helpers.js';
import { FakeVerifier, identity } from '../protocol/control/helpers.js';
import { ipv4Packet, MemoryTunBackend } from './support/memory-tun.js';

const running: { stop(): unknown }[] = [];
afterEach(async () => {
  for (const r of running.splice(0).reverse()) await r.stop();
});

function logger(lines: string[], tag: string): Logger {
  return new Logger({ verb: 4, sink: (l) => lines.push(`${tag} ${l}`) });
}

interface ServerSetup {
  config?: Partial<ServerConfig>;
  extraSecrets?: ExtraSecretSource;
  qkd?: boolean;
  text?: string;
  authenticate?: Authenticate;
  password?: boolean;
  port?: number;
}

async function startServer(o: ServerSetup = {}) {
  const lines: string[] = [];
  const tun = new MemoryTunBackend();
  const base = serverConfig(`proto udp4\n${o.text ?? ''}`);
  const config: ServerConfig = { ...base, lport: o.port ?? 0, ...o.config };
  const server = await TunnelServer.start({
    config,
    log: logger(lines, 'S'),
    tun,
    authenticate: o.authenticate ?? (async () => ({ ok: true })),
    ...(o.extraSecrets ? { extraSecrets: o.extraSecrets } : {}),
    createControlPlane: (sink) =>
      createInProcessServerControlPlane(
        {
          session: {
            identity: identity('server', 'serverAuth'),
            clientAuth: { certificate: !o.password, password: o.password ?? false },
            ...(o.qkd ? { extraSecret: { mode: 'required', localSaeId: 'sae-s', peerSaeId: 'sae-c' } } : {}),
          },
          verifier: { trustAnchors: [] },
          peerVerifier: new FakeVerifier(),
        },
        sink,
      ),
    tickMs: 50,
  });
  running.push(server);
  return { server, tun, lines, port: server.local!.port, config };
}

function recordingIp(): CommandRunner & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    run: async (argv) => {
      calls.push(argv.join(' '));
      return argv.includes('get') ? '[{"dst":"127.0.0.1","dev":"lo"}]' : '';
    },
  };
}

function startClient(
  port: number,
  o: {
    extraSecrets?: ExtraSecretSource;
    qkd?: boolean;
    name?: string;
    text?: string;
    config?: Partial<ClientConfig>;
    credentials?: { username: string; password: string };
  } = {},
) {
  const lines: string[] = [];
  const tun = new MemoryTunBackend();
  const ip = recordingIp();
  const base = clientConfig(`connect-retry 1 1\nnobind\n${o.text ?? ''}`);
  const config: ClientConfig = {
    ...base,
    remotes: [{ host: '127.0.0.1', port, proto: 'udp4' }],
    ...o.config,
  };
  let connected = 0;
  const waiters: (() => void)[] = [];
  const client = new TunnelClient({
    config,
    log: logger(lines, 'C'),
    tun,
    ip,
    tickMs: 50,
    ...(o.extraSecrets ? { extraSecrets: o.extraSecrets } : {}),
    onConnected: () => {
      connected++;
      for (const w of waiters.splice(0)) w();
    },
    createControlPlane: (sink) =>
      createInProcessClientControlPlane(
        {
          session: {
            ...(o.credentials
              ? {
                  credentials: {
                    username: o.credentials.username,
                    password: new TextEncoder().encode(o.credentials.password),
                  },
                }
              : { identity: identity(o.name ?? 'alice', 'clientAuth') }),
            ...(o.qkd ? { extraSecret: { mode: 'required', localSaeId: 'sae-c', peerSaeId: 'sae-s' } } : {}),
          },
          verifier: { trustAnchors: [] },
          peerVerifier: new FakeVerifier(),
        },
        sink,
      ),
  });
  const done = client.run();
  done.catch(() => {});
  running.push(client);
  const connections = (n: number, timeoutMs = 8000) =>
    new Promise<void>((resolve, reject) => {
      const t = setTimeout(
        () => reject(new Error(`not connected ${n} time(s); log:\n${lines.join('\n')}`)),
        timeoutMs,
      );
      const check = () => {
        if (connected >= n) {
          clearTimeout(t);
          resolve();
        } else waiters.push(check);
      };
      check();
    });
  return {
    client,
    tun,
    ip,
    lines,
    done,
    connections,
    get connected() {
      return connected;
    },
  };
}

async function until(predicate: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const isTo = (dst: string) => (p: Uint8Array) => p.slice(16, 20).join('.') === dst;

describe('server and client drivers over UDP on loopback', () => {
  it('connect, configure the pushed address and carry packets both ways', async () => {
    const s = await startServer({ text: 'push "route 192.168.77.0 255.255.255.0"\nkeepalive 10 60\n' });
    const c = startClient(s.port);
    await c.connections(1);
    expect(c.ip.calls).toContain('-4 addr add 10.8.0.2/24 dev tun0');
    expect(c.ip.calls).toContain('-4 route add 192.168.77.0/24 via 10.8.0.1 dev tun0');
    expect(s.tun.last.addresses).toEqual([{ family: 4, address: '10.8.0.1', prefixLength: 24 }]);
    // client → server
    c.tun.last.inject(ipv4Packet('10.8.0.2', '10.8.0.1'));
    await s.tun.last.waitFor(isTo('10.8.0.1'));
    // server → client
    s.tun.last.inject(ipv4Packet('10.8.0.1', '10.8.0.2'));
    await c.tun.last.waitFor(isTo('10.8.0.2'));
    // a spoofed source from the client is dropped, not forwarded
    c.tun.last.inject(ipv4Packet('10.8.0.77', '10.8.0.1'));
    await until(() => (s.server.drops['from-client-bad-source'] ?? 0) === 1, 2000, 'bad-source drop');
    expect(s.lines.join('\n')).toMatch(/alice\/127\.0\.0\.1:\d+: connected from .*assigned 10\.8\.0\.2/);
  });

  it('writes the status file (OpenVPN version 1 layout) and the pool file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pqvpn-status-'));
    try {
      const status = join(dir, 'status.log');
      const pool = join(dir, 'ipp.txt');
      const s = await startServer({
        config: { status: { path: status, seconds: 1 }, ifconfigPoolPersist: { path: pool, seconds: 600 } },
      });
      const c = startClient(s.port);
      await c.connections(1);
      await until(() => /^alice,127\.0\.0\.1:\d+,\d+,\d+,/m.test(readIfExists(status)), 3000, 'status');
      const text = readFileSync(status, 'utf8');
      expect(text).toMatch(/^OpenVPN CLIENT LIST\nUpdated,/);
      expect(text).toMatch(/^10\.8\.0\.2,alice,127\.0\.0\.1:\d+,/m);
      expect(text.trimEnd().endsWith('END')).toBe(true);
      await until(() => readIfExists(pool) === 'alice,10.8.0.2\n', 3000, 'pool file');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('tries the remotes in turn: an unanswered one gives way to the next after server-poll-timeout', async () => {
    const s = await startServer();
    const dead = await import('node:dgram').then((d) => d.createSocket('udp4'));
    await new Promise<void>((r) => dead.bind(0, '127.0.0.1', () => r()));
    const deadPort = (dead.address() as { port: number }).port;
    try {
      const c = startClient(s.port, {
        text: 'server-poll-timeout 1\n',
        config: {
          remotes: [
            { host: '127.0.0.1', port: deadPort, proto: 'udp4' },
            { host: 'localhost', port: s.port, proto: 'udp4' },
          ],
        },
      });
      await c.connections(1, 10_000);
      const log = c.lines.join('\n');
      expect(log).toMatch(new RegExp(`connecting to 127\\.0\\.0\\.1 127\\.0\\.0\\.1:${deadPort}`));
      expect(log).toMatch(/restarting in 1 s \(no connection within 1 s\)/);
      expect(log).toMatch(/connecting to localhost 127\.0\.0\.1:\d+/);
    } finally {
      dead.close();
    }
  });

  it('max-clients: a client over the limit is told to retry (RESTART, not AUTH_FAILED) and gets in once there is room', async () => {
    const s = await startServer({ config: { maxClients: 1 } });
    const a = startClient(s.port, { name: 'alice' });
    await a.connections(1);
    const b = startClient(s.port, { name: 'bob' });
    await until(
      () => s.lines.some((l) => /bob\].*refused for now: max-clients 1 reached/.test(l)),
      5000,
      'refusal',
    );
    await until(
      () => b.lines.some((l) => /restarting in \d+ s \(session closed: RESTART by the server/.test(l)),
      5000,
      'retry',
    );
    a.client.stop();
    await a.done;
    await b.connections(1, 10_000);
    expect(s.server.peers().map((p) => p.name)).toEqual(['bob']);
  });

  it('without duplicate-cn a second connection of the same name replaces the first, at the same address', async () => {
    const s = await startServer();
    const first = startClient(s.port, { name: 'alice' });
    await first.connections(1);
    const second = startClient(s.port, { name: 'alice' });
    await second.connections(1);
    expect(s.lines.join('\n')).toMatch(/replaced by a new connection of the same name/);
    expect(second.client.appliedPlan?.ifconfig.local).toBe('10.8.0.2');
    expect(s.server.pool.activeCount).toBe(1);
    first.client.stop();
    second.client.stop();
  });

  it('with duplicate-cn both connections of one name are served at different addresses', async () => {
    const s = await startServer({ config: { duplicateCn: true } });
    const one = startClient(s.port, { name: 'shared' });
    const two = startClient(s.port, { name: 'shared' });
    await Promise.all([one.connections(1), two.connections(1)]);
    expect(new Set(s.server.peers().map((p) => p.ipv4)).size).toBe(2);
  });

  it('QKD seam: each key epoch the client starts fetches a key; the server fetches the same one by id', async () => {
    const keys = new Map<string, Uint8Array>();
    let n = 0;
    const calls: string[] = [];
    const kme = (side: string): ExtraSecretSource => ({
      forInitiator: async () => {
        calls.push(`${side}:initiator`);
        const keyId = Uint8Array.of(n++);
        const secret = new Uint8Array(32).fill(n);
        keys.set(Buffer.from(keyId).toString('hex'), secret);
        return { keyId, secret: Uint8Array.from(secret) };
      },
      forResponder: async (keyId, initiator) => {
        calls.push(`${side}:responder:${initiator}`);
        const secret = keys.get(Buffer.from(keyId).toString('hex'));
        if (!secret) throw new Error('unknown key id');
        return Uint8Array.from(secret);
      },
    });
    const s = await startServer({ qkd: true, extraSecrets: kme('server'), config: { renegSec: 0 } });
    const c = startClient(s.port, { qkd: true, extraSecrets: kme('client'), config: { renegSec: 1 } });
    await c.connections(1);
    await until(
      () => calls.filter((x) => x === 'client:initiator').length >= 2,
      8000,
      'a rekey with a new key',
    );
    await until(
      () => calls.filter((x) => x === 'server:responder:sae-c').length >= 2,
      3000,
      'the server fetching it',
    );
    c.tun.last.inject(ipv4Packet('10.8.0.2', '10.8.0.1'));
    await s.tun.last.waitFor(isTo('10.8.0.1'));
    expect(c.connected).toBe(1);
  });

  it('client-config-dir: a fixed address and its own push list; disable refuses with AUTH_FAILED', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pqvpn-ccd-'));
    try {
      writeFileSync(
        join(dir, 'alice'),
        'ifconfig-push 10.8.0.50 255.255.255.0\npush "route 172.16.0.0 255.240.0.0"\n',
      );
      writeFileSync(join(dir, 'mallory'), 'disable\n');
      const s = await startServer({ config: { clientConfigDir: dir } });
      const a = startClient(s.port, { name: 'alice' });
      await a.connections(1);
      expect(a.client.appliedPlan?.ifconfig.local).toBe('10.8.0.50');
      expect(a.ip.calls).toContain('-4 route add 172.16.0.0/12 via 10.8.0.1 dev tun0');
      a.tun.last.inject(ipv4Packet('10.8.0.50', '10.8.0.1'));
      await s.tun.last.waitFor(isTo('10.8.0.1'));
      s.tun.last.inject(ipv4Packet('10.8.0.1', '10.8.0.50'));
      await a.tun.last.waitFor(isTo('10.8.0.50'));
      const m = startClient(s.port, { name: 'mallory' });
      await expect(m.done).rejects.toMatchObject({ code: 'AUTH_FAILED' });
      expect(s.lines.join('\n')).toMatch(/mallory.*authentication failed: disabled in/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('resolv-retry: an unresolvable name is retried, gives up after the limit, and a stop ends it cleanly', async () => {
    const lines: string[] = [];
    const attempts: string[] = [];
    const make = (resolvRetry: number | 'infinite') =>
      new TunnelClient({
        config: {
          ...clientConfig('nobind\n'),
          resolvRetry,
          remotes: [{ host: 'vpn.invalid', port: 1, proto: 'udp4' }],
        },
        log: logger(lines, 'C'),
        tun: new MemoryTunBackend(),
        ip: recordingIp(),
        resolve: async (host) => {
          attempts.push(host);
          throw new Error('ENOTFOUND');
        },
        createControlPlane: () => Promise.reject(new Error('never reached')),
      });
    await expect(make(1).run()).rejects.toMatchObject({ code: 'RESOLVE_GAVE_UP' });
    expect(attempts.length).toBeGreaterThanOrEqual(2);
    const forever = make('infinite');
    const run = forever.run();
    await until(() => attempts.length >= 4, 5000, 'more attempts');
    forever.stop();
    await run;
    expect(lines.join('\n')).toMatch(/cannot resolve vpn\.invalid: ENOTFOUND; retrying/);
  });

  it('runs the up script once connected and the down script at exit, with OpenVPN arguments', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pqvpn-updown-'));
    try {
      const log = join(dir, 'calls.txt');
      const script = join(dir, 'updown.sh');
      writeFileSync(script, `#!/bin/sh\necho "$script_type $ifconfig_local $*" >> ${log}\n`);
      chmodSync(script, 0o755);
      const s = await startServer();
      const command = { line: script, argv: [script] };
      const c = startClient(s.port, { config: { up: command, down: command, scriptSecurity: 2 } });
      await c.connections(1);
      expect(readFileSync(log, 'utf8')).toBe('up 10.8.0.2 tun0 1500 1556 10.8.0.2 255.255.255.0 init\n');
      c.client.stop();
      await c.done;
      expect(readFileSync(log, 'utf8').split('\n')[1]).toBe(
        'down 10.8.0.2 tun0 1500 1556 10.8.0.2 255.255.255.0 init',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('inactive: a client with no tunnel traffic for the given time leaves on its own (exit notice, clean exit)', async () => {
    const s = await startServer({ text: 'push "inactive 1"\n' });
    const c = startClient(s.port);
    await c.connections(1);
    await c.done;
    expect(c.lines.join('\n')).toMatch(/inactivity timeout \(inactive 1\), exiting/);
    await until(() => s.server.peerCount === 0, 3000, 'the server to see the exit notice');
  });

  it('server-poll-timeout bounds getting connected only: an established connection outlives it', async () => {
    const s = await startServer();
    const c = startClient(s.port, { text: 'server-poll-timeout 1\n' });
    await c.connections(1);
    await new Promise((r) => setTimeout(r, 1500));
    expect(c.lines.join('\n')).not.toMatch(/restarting in/);
    c.tun.last.inject(ipv4Packet('10.8.0.2', '10.8.0.1'));
    await s.tun.last.waitFor(isTo('10.8.0.1'));
    expect(c.connected).toBe(1);
  });

  it('a client that leaves sends an exit notice: the server frees its address at once', async () => {
    const s = await startServer();
    const c = startClient(s.port);
    await c.connections(1);
    expect(s.server.peerCount).toBe(1);
    c.client.stop();
    await c.done;
    await until(() => s.server.peerCount === 0, 2000, 'the session to end');
    expect(s.server.pool.activeCount).toBe(0);
    expect(s.lines.join('\n')).toMatch(/session ended: EXIT_NOTICE/);
    // Everything the client added was removed, newest first.
    expect(c.ip.calls).toContain('-4 addr del 10.8.0.2/24 dev tun0');
    expect(c.tun.last.closed).toBe(true);
  });

  it('a server restart (SIGTERM) brings the client back without help', async () => {
    const s1 = await startServer();
    const c = startClient(s1.port);
    await c.connections(1);
    await s1.server.stop('restart');
    expect(c.tun.devices).toHaveLength(1);
    const s2 = await startServer({ port: s1.port });
    await c.connections(2, 10_000);
    expect(c.lines.join('\n')).toMatch(/server is restarting \(exit notice\)|RESTART by the server/);
    // The same TUN device carries on (persist-tun), with the same address: no ip changes.
    expect(c.tun.devices).toHaveLength(1);
    c.tun.last.inject(ipv4Packet('10.8.0.2', '10.8.0.1'));
    await s2.tun.last.waitFor(isTo('10.8.0.1'));
    s2.tun.last.inject(ipv4Packet('10.8.0.1', '10.8.0.2'));
    await c.tun.last.waitFor(isTo('10.8.0.2'));
  });

  it('a reconnect that brings a different address replaces the old configuration on the same TUN device', async () => {
    const s1 = await startServer();
    const c = startClient(s1.port);
    await c.connections(1);
    await s1.server.stop('restart');
    const s2 = await startServer({
      port: s1.port,
      config: { server: { network: '10.9.0.0', netmask: '255.255.255.0', prefixLength: 24 } },
    });
    await c.connections(2, 10_000);
    expect(c.tun.devices).toHaveLength(1);
    const calls = c.ip.calls.join('\n');
    expect(calls).toMatch(
      /-4 addr del 10\.8\.0\.2\/24 dev tun0\n(.*\n)*-4 addr add 10\.9\.0\.2\/24 dev tun0/,
    );
    c.tun.last.inject(ipv4Packet('10.9.0.2', '10.9.0.1'));
    await s2.tun.last.waitFor(isTo('10.9.0.1'));
  });

  it('restart (SIGUSR1) tells the server and reconnects on the same device; describe() reports the connection', async () => {
    const s = await startServer();
    const c = startClient(s.port);
    await c.connections(1);
    c.tun.last.inject(ipv4Packet('10.8.0.2', '10.8.0.1'));
    await s.tun.last.waitFor(isTo('10.8.0.1'));
    expect(c.client.describe()).toMatch(
      /^connected to 127\.0\.0\.1:\d+ as 10\.8\.0\.2: \d+ bytes in, \d+ out, key id 0$/,
    );
    c.client.restart('SIGUSR1 received');
    await until(
      () => s.lines.some((l) => /session ended: EXIT_NOTICE/.test(l)),
      3000,
      'the server to hear it',
    );
    await c.connections(2, 10_000);
    expect(c.tun.devices).toHaveLength(1);
  });

  it('client-to-client forwards between clients inside the server', async () => {
    const s = await startServer({ text: 'client-to-client\n' });
    const a = startClient(s.port, { name: 'alice' });
    const b = startClient(s.port, { name: 'bob' });
    await Promise.all([a.connections(1), b.connections(1)]);
    const addrA = a.client.appliedPlan!.ifconfig.local;
    const addrB = b.client.appliedPlan!.ifconfig.local;
    expect(addrA).not.toBe(addrB);
    a.tun.last.inject(ipv4Packet(addrA, addrB));
    await b.tun.last.waitFor(isTo(addrB));
    expect(s.tun.last.written.some(isTo(addrB))).toBe(false);
  });

  it('a wrong password: AUTH_FAILED, run() rejects and nothing was configured', async () => {
    const s = await startServer({
      password: true,
      authenticate: async (r) =>
        r.username === 'alice' && new TextDecoder().decode(r.password) === 'right'
          ? { ok: true }
          : { ok: false, reason: 'wrong password' },
    });
    const c = startClient(s.port, { credentials: { username: 'alice', password: 'wrong' } });
    await expect(c.done).rejects.toMatchObject({ code: 'AUTH_FAILED' });
    expect(c.ip.calls).toEqual([]);
    expect(c.tun.devices).toHaveLength(0);
    expect(s.lines.join('\n')).toMatch(/authentication failed: wrong password/);
    expect(s.lines.join('\n')).not.toMatch(/wrong"|right/);
    const ok = startClient(s.port, { credentials: { username: 'alice', password: 'right' } });
    await ok.connections(1);
  });

  it('rekeys by time (reneg-sec) while traffic flows, without losing the session', async () => {
    const s = await startServer({ config: { renegSec: 1 } });
    const c = startClient(s.port, { config: { renegSec: 1 } });
    await c.connections(1);
    const rekeys = () => s.lines.filter((l) => /rekey to key id/.test(l)).length;
    let sent = 0;
    const deadline = Date.now() + 15_000;
    while ((rekeys() < 2 || sent < 20) && Date.now() < deadline) {
      c.tun.last.inject(ipv4Packet('10.8.0.2', '10.8.0.1', Uint8Array.of(sent & 255)));
      sent++;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(rekeys()).toBeGreaterThanOrEqual(2);
    // Nothing lost across the key changes (loopback UDP does not drop).
    await until(() => s.tun.last.written.length === sent, 3000, 'every packet through the rekeys');
    expect(s.server.peerCount).toBe(1);
    expect(c.connected).toBe(1);
  });

  it('a client that vanishes frees its address after the keepalive timeout', async () => {
    const s = await startServer({ config: { ping: 1, pingRestart: 2 } });
    const c = startClient(s.port);
    await c.connections(1);
    expect(s.server.pool.activeCount).toBe(1);
    await vanish();
    await until(() => s.server.pool.activeCount === 0, 6000, 'the lease to be freed');
    expect(s.lines.join('\n')).toMatch(/session ended: PING_RESTART.*released 10\.8\.0\.2/);
  });
});

/** Makes every UDP sender in this process go silent for 5 s: the client vanishes without a word. */
async function vanish(): Promise<void> {
  const dgram = await import('node:dgram');
  const proto = dgram.Socket.prototype as unknown as { send: (...a: unknown[]) => void };
  const original = proto.send;
  proto.send = function (this: unknown, ...args: unknown[]) {
    void this;
    void args;
  };
  setTimeout(() => {
    proto.send = original;
  }, 5000).unref();
}

function readIfExists(path: string): string {
  return existsSync(path) ? readFileSync(path, 'utf8') : '';
}
