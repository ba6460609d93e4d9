/**
 * Several clients: client-to-client forwarding inside the server; a server
 * restart (SIGTERM, then a new process) brings every client back within a few
 * seconds, each at its persisted address; a client that vanishes (SIGKILL)
 * frees its address after the keepalive timeout; a server that dies (SIGKILL)
 * is noticed by ping-restart and its successor reconnected to.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { useNetnsLab } from '../support/netns.js';
import { describeTun } from '../support/root.js';
import { clientConfig, makePki, serverConfig, startPqvpn, topology, useTempDir } from './support.js';

describeTun('e2e: several clients', () => {
  const lab = useNetnsLab();
  const dir = useTempDir('pqvpn-e2e-clients-');

  it('client-to-client, server restart, and a vanished client freeing its address', async () => {
    await makePki(dir, ['alice', 'bob']);
    const net = await topology(lab, 2);
    const [a, b] = [net.clients[0]!, net.clients[1]!];
    const pool = join(dir, 'ipp.txt');
    const config = serverConfig(dir, `client-to-client\nkeepalive 1 3\nifconfig-pool-persist ${pool}\n`);
    let server = startPqvpn(lab, net.server, 'server', config);
    await server.waitFor(/Initialization Sequence Completed/);
    const alice = startPqvpn(lab, a.ns, 'client', clientConfig(dir, 'alice', a.serverAddress, ''));
    const bob = startPqvpn(lab, b.ns, 'client', clientConfig(dir, 'bob', b.serverAddress, ''));
    await Promise.all([alice, bob].map((c) => c.waitFor(/Initialization Sequence Completed/)));
    const addressOf = (out: string, name: string) =>
      new RegExp(`${name}/[0-9.]+:\\d+: connected .*assigned (10\\.8\\.0\\.\\d+)`).exec(out)?.[1];
    const ipA = addressOf(server.output(), 'alice')!;
    const ipB = addressOf(server.output(), 'bob')!;
    expect([ipA, ipB].sort()).toEqual(['10.8.0.2', '10.8.0.3']);

    // client-to-client: forwarded inside the server (its TUN device never sees it).
    const tunCounters = async () => (await lab.exec(net.server, ['cat', '/proc/net/dev'])).stdout;
    const before = await tunCounters();
    await lab.exec(a.ns, ['ping', '-c', '3', '-i', '0.2', '-W', '2', ipB]);
    await lab.exec(b.ns, ['ping', '-c', '2', '-i', '0.2', '-W', '2', ipA]);
    const rx = (text: string) => Number(/tun\d+:\s*\d+\s+(\d+)/.exec(text)?.[1] ?? 'NaN');
    expect(rx(await tunCounters()) - rx(before)).toBeLessThan(3);

    // Server restart: SIGTERM tells the clients; a new server comes up; both are back within seconds.
    expect(await server.stop('SIGTERM')).toBe(0);
    expect(readFileSync(pool, 'utf8')).toMatch(/alice,10\.8\.0\.\d/);
    const restarted = Date.now();
    server = startPqvpn(lab, net.server, 'server', config);
    await server.waitFor(/Initialization Sequence Completed/);
    await Promise.all([
      server.waitFor(/alice\/[0-9.]+:\d+: connected/, 15_000),
      server.waitFor(/bob\/[0-9.]+:\d+: connected/, 15_000),
    ]);
    await lab.exec(a.ns, ['ping', '-c', '1', '-W', '2', '10.8.0.1']);
    await lab.exec(b.ns, ['ping', '-c', '1', '-W', '2', '10.8.0.1']);
    const back = (Date.now() - restarted) / 1000;
    console.log(`clients back ${back.toFixed(1)} s after the server restarted`);
    expect(back).toBeLessThan(10);
    // ifconfig-pool-persist: the same addresses after the restart.
    expect(addressOf(server.output(), 'alice')).toBe(ipA);
    expect(addressOf(server.output(), 'bob')).toBe(ipB);

    // Bob vanishes without a word: after the keepalive timeout (2 × 3 s on the server) his address is free.
    bob.child.kill('SIGKILL');
    await bob.exited;
    await server.waitFor(/bob\/[0-9.]+:\d+: session ended: PING_RESTART.*released 10\.8\.0\.\d/, 15_000);
    await lab.exec(a.ns, ['ping', '-c', '1', '-W', '2', '10.8.0.1']);

    // The server dies without a word (SIGKILL): alice notices by ping-restart (3 s) and comes back to a new one.
    server.child.kill('SIGKILL');
    await server.exited;
    server = startPqvpn(lab, net.server, 'server', config);
    await server.waitFor(/alice\/[0-9.]+:\d+: connected/, 20_000);
    expect(alice.output()).toMatch(/nothing heard from the server for \d+ s \(ping-restart\)/);
    await lab.exec(a.ns, ['ping', '-c', '1', '-W', '2', '10.8.0.1']);
    expect(await alice.stop('SIGTERM')).toBe(0);
    expect(await server.stop('SIGTERM')).toBe(0);
  }, 110_000);
});
