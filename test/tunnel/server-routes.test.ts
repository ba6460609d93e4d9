/**
 * The server's own `route` / `route-ipv6` lines become kernel routes on its
 * TUN device (so networks behind clients — iroute — are reachable from the
 * server side), honour route-noexec, and are removed when the server stops.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../src/config/load.js';
import type { ServerConfig } from '../../src/config/model.js';
import { Logger } from '../../src/log.js';
import { type CommandRunner, planServerRoutes } from '../../src/net/iproute2.js';
import { startServer } from '../../src/tunnel/setup.js';
import { MemoryTunBackend } from './support/memory-tun.js';

const dir = mkdtempSync(join(tmpdir(), 'pqvpn-server-routes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function recordingIp(fail?: string): CommandRunner & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    run: async (argv) => {
      calls.push(argv.join(' '));
      if (fail !== undefined && argv.join(' ').includes(fail)) throw new Error(`ip ${argv.join(' ')} failed`);
      return '';
    },
  };
}

async function serverConfig(extra: Partial<ServerConfig>): Promise<ServerConfig> {
  const { config } = await loadConfigFile('configs/server.ovpn');
  return {
    ...config,
    lport: 0,
    proto: 'udp4',
    ifconfigPoolPersist: { path: join(dir, `pool-${Math.random()}.txt`), seconds: 600 },
    ...extra,
  } as ServerConfig;
}

const routes = {
  routes: [
    { network: '192.168.10.0', netmask: '255.255.255.0' },
    { network: '192.168.20.0', netmask: '255.255.255.0', gateway: '10.8.0.5', metric: 7 },
    { network: 'vpn_gateway', netmask: '255.255.255.255' },
  ],
  routesIpv6: [{ network: 'fd00:20::', prefixLength: 64 }],
};

describe('server routes', () => {
  it('plans one kernel route per route line on the TUN device, keywords skipped', () => {
    const plan = planServerRoutes({ dev: 'tun0', ...routes, routeMetric: 3 });
    expect(plan.map((c) => c.argv.join(' '))).toEqual([
      '-4 route add 192.168.10.0/24 dev tun0 metric 3',
      '-4 route add 192.168.20.0/24 via 10.8.0.5 dev tun0 metric 7',
      '-6 route add fd00:20::/64 dev tun0 metric 3',
    ]);
    expect(plan[0]!.undo!.join(' ')).toBe('-4 route del 192.168.10.0/24 dev tun0 metric 3');
  });

  it('a server adds them after its device is up and removes them when it stops', async () => {
    const ip = recordingIp();
    const running = await startServer(await serverConfig(routes), new Logger({ verb: 1, sink: () => {} }), {
      tun: new MemoryTunBackend(),
      ip,
      workers: 0,
    });
    const dev = running.server.tunName!;
    expect(ip.calls).toContain(`-4 route add 192.168.10.0/24 dev ${dev}`);
    expect(ip.calls).toContain(`-6 route add fd00:20::/64 dev ${dev}`);
    await running.stop('shutdown');
    expect(ip.calls).toContain(`-4 route del 192.168.10.0/24 dev ${dev}`);
    expect(ip.calls).toContain(`-6 route del fd00:20::/64 dev ${dev}`);
  }, 30_000);

  it('route-noexec leaves the kernel alone; a failing route stops the start with the error', async () => {
    const quiet = recordingIp();
    const running = await startServer(
      await serverConfig({ ...routes, routeNoexec: true }),
      new Logger({ verb: 1, sink: () => {} }),
      { tun: new MemoryTunBackend(), ip: quiet, workers: 0 },
    );
    expect(quiet.calls.filter((c) => c.includes('route'))).toEqual([]);
    await running.stop('shutdown');

    const failing = recordingIp('192.168.20.0');
    await expect(
      startServer(await serverConfig(routes), new Logger({ verb: 1, sink: () => {} }), {
        tun: new MemoryTunBackend(),
        ip: failing,
        workers: 0,
      }),
    ).rejects.toThrow(/192\.168\.20\.0/);
    // the route added before the failure was taken back
    expect(failing.calls.some((c) => c.startsWith('-4 route del 192.168.10.0/24'))).toBe(true);
  }, 30_000);
});
