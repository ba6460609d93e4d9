/**
 * redirect-gateway def1 through real routing tables: all traffic goes through
 * the tunnel (an address only the server has becomes reachable), the tunnel's
 * own packets keep using the underlay (host route to the server), and every
 * route is gone after the client exits.
 */
import { expect, it } from 'vitest';
import { useNetnsLab } from '../support/netns.js';
import { describeTun } from '../support/root.js';
import { clientConfig, makePki, serverConfig, startPqvpn, topology, useTempDir } from './support.js';

describeTun('e2e: redirect-gateway', () => {
  const lab = useNetnsLab();
  const dir = useTempDir('pqvpn-e2e-redirect-');

  it('def1 sends everything through the tunnel and removes its routes on exit', async () => {
    await makePki(dir);
    const net = await topology(lab, 1);
    const c0 = net.clients[0]!;
    // "The internet": an address only the server's namespace has.
    await lab.exec(net.server, ['ip', 'addr', 'add', '198.51.100.1/32', 'dev', 'lo']);
    const routesBefore = (await lab.exec(c0.ns, ['ip', '-4', 'route', 'show'])).stdout;
    await expect(lab.exec(c0.ns, ['ping', '-c', '1', '-W', '1', '198.51.100.1'])).rejects.toThrow();

    const server = startPqvpn(lab, net.server, 'server', serverConfig(dir, 'push "redirect-gateway def1"\n'));
    await server.waitFor(/Initialization Sequence Completed/);
    const client = startPqvpn(lab, c0.ns, 'client', clientConfig(dir, 'alice', c0.serverAddress, ''));
    await client.waitFor(/Initialization Sequence Completed/);
    const routes = (await lab.exec(c0.ns, ['ip', '-4', 'route', 'show'])).stdout;
    expect(routes).toMatch(/^0\.0\.0\.0\/1 via 10\.8\.0\.1 dev tun\d+/m);
    expect(routes).toMatch(/^128\.0\.0\.0\/1 via 10\.8\.0\.1 dev tun\d+/m);
    expect(routes).toMatch(new RegExp(`^${c0.serverAddress.replace(/\./g, '\\.')} dev vp\\d+b`, 'm'));
    await lab.exec(c0.ns, ['ping', '-c', '2', '-i', '0.2', '-W', '2', '198.51.100.1']);
    await lab.exec(c0.ns, ['ping', '-c', '1', '-W', '2', '10.8.0.1']);

    expect(await client.stop('SIGTERM')).toBe(0);
    const routesAfter = (await lab.exec(c0.ns, ['ip', '-4', 'route', 'show'])).stdout;
    expect(routesAfter).toBe(routesBefore);
    expect(await server.stop('SIGTERM')).toBe(0);
  }, 90_000);
});
