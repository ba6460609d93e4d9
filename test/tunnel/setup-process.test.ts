/**
 * The process-level directives setup.ts acts on for both modes: `writepid`
 * (written before the tunnel starts, removed when it stops, also after a
 * failed start) and `txqueuelen` (`ip link set … txqueuelen N` on every device
 * opened, failing the open when `ip` fails).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../src/config/load.js';
import type { ClientConfig, ServerConfig } from '../../src/config/model.js';
import { Logger } from '../../src/log.js';
import type { CommandRunner } from '../../src/net/iproute2.js';
import { createClient, startServer, withTxQueueLen, writePidFile } from '../../src/tunnel/setup.js';
import { MemoryTunBackend } from './support/memory-tun.js';

const dir = mkdtempSync(join(tmpdir(), 'pqvpn-setup-process-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function logger(lines: string[] = []): Logger {
  return new Logger({ verb: 4, sink: (l) => lines.push(l) });
}

function recordingIp(fail?: string): CommandRunner & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    run: async (argv) => {
      calls.push(argv.join(' '));
      if (fail !== undefined && argv.includes(fail)) throw new Error(`ip ${argv.join(' ')} failed`);
      return argv.includes('get') ? '[]' : '';
    },
  };
}

describe('writepid', () => {
  it('writes the pid with a newline and removes the file once', () => {
    const path = join(dir, 'a.pid');
    const remove = writePidFile(path, logger(), 4242);
    expect(readFileSync(path, 'utf8')).toBe('4242\n');
    remove();
    expect(existsSync(path)).toBe(false);
    remove(); // idempotent, and a missing file is not an error
  });

  it('does nothing without the directive', () => {
    expect(() => writePidFile(undefined, logger())()).not.toThrow();
  });

  it('a server writes it before starting and removes it when it stops', async () => {
    const { config } = await loadConfigFile('configs/server.ovpn');
    const path = join(dir, 'server.pid');
    const running = await startServer(
      {
        ...config,
        lport: 0,
        proto: 'udp4',
        writepid: path,
        ifconfigPoolPersist: { path: join(dir, 'pool.txt'), seconds: 600 },
      } as ServerConfig,
      logger(),
      { tun: new MemoryTunBackend(), ip: recordingIp(), workers: 0 },
    );
    expect(readFileSync(path, 'utf8')).toBe(`${process.pid}\n`);
    await running.stop('shutdown');
    expect(existsSync(path)).toBe(false);
  }, 30_000);

  it('a server that fails to start removes it again', async () => {
    const { config } = await loadConfigFile('configs/server.ovpn');
    const path = join(dir, 'failed.pid');
    const failing = { open: async () => Promise.reject(new Error('no TUN here')) };
    await expect(
      startServer(
        {
          ...config,
          lport: 0,
          proto: 'udp4',
          writepid: path,
          ifconfigPoolPersist: { path: join(dir, 'pool3.txt'), seconds: 600 },
        } as ServerConfig,
        logger(),
        {
          tun: failing,
          ip: recordingIp(),
          workers: 0,
        },
      ),
    ).rejects.toThrow('no TUN here');
    expect(existsSync(path)).toBe(false);
  }, 30_000);

  it('a client writes it when created and removes it on dispose', async () => {
    const { config } = await loadConfigFile('configs/client.ovpn');
    const path = join(dir, 'client.pid');
    const { dispose } = await createClient({ ...config, writepid: path } as ClientConfig, logger(), {
      tun: new MemoryTunBackend(),
      ip: recordingIp(),
    });
    expect(readFileSync(path, 'utf8')).toBe(`${process.pid}\n`);
    dispose();
    expect(existsSync(path)).toBe(false);
  });
});

describe('txqueuelen', () => {
  it('sets the queue length of each opened device with ip link', async () => {
    const ip = recordingIp();
    const backend = withTxQueueLen(new MemoryTunBackend(), ip, 1000, logger());
    const dev = await backend.open({ name: 'tun%d', mtu: 1500 });
    expect(dev.name).toBe('tun0');
    expect(ip.calls).toEqual(['link set dev tun0 txqueuelen 1000']);
  });

  it('a failing ip closes the device and fails the open', async () => {
    const memory = new MemoryTunBackend();
    const backend = withTxQueueLen(memory, recordingIp('txqueuelen'), 500, logger());
    await expect(backend.open({ name: 'tun%d', mtu: 1500 })).rejects.toThrow('txqueuelen 500 failed');
    expect(memory.last.closed).toBe(true);
  });

  it('without the directive the backend is used as is, and ip is never run', () => {
    const memory = new MemoryTunBackend();
    expect(withTxQueueLen(memory, recordingIp('link'), undefined, logger())).toBe(memory);
  });

  it('a server applies it to its device', async () => {
    const { config } = await loadConfigFile('configs/server.ovpn');
    const ip = recordingIp();
    const tun = new MemoryTunBackend();
    const running = await startServer(
      {
        ...config,
        lport: 0,
        proto: 'udp4',
        txqueuelen: 200,
        ifconfigPoolPersist: { path: join(dir, 'pool2.txt'), seconds: 600 },
      } as ServerConfig,
      logger(),
      { tun, ip, workers: 0 },
    );
    try {
      expect(ip.calls).toEqual([`link set dev ${tun.last.name} txqueuelen 200`]);
    } finally {
      await running.stop('shutdown');
    }
  }, 30_000);
});
