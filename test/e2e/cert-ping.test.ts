/**
 * Certificate mode through real TUN devices in network namespaces: ping both
 * ways, then a 50 MB TCP transfer whose checksum matches, then the client
 * leaves on SIGTERM and removes what it configured.
 */
import { expect, it } from 'vitest';
import { useNetnsLab } from '../support/netns.js';
import { describeTun } from '../support/root.js';
import { clientConfig, makePki, serverConfig, startPqvpn, topology, useTempDir } from './support.js';
import { tcpTransfer } from './transfer.js';

describeTun('e2e: certificate mode', () => {
  const lab = useNetnsLab();
  const dir = useTempDir('pqvpn-e2e-cert-');

  it('pings both ways, carries 50 MB over TCP intact, and cleans up on SIGTERM', async () => {
    await makePki(dir);
    const net = await topology(lab, 1);
    const c0 = net.clients[0]!;
    const server = startPqvpn(lab, net.server, 'server', serverConfig(dir, ''));
    await server.waitFor(/Initialization Sequence Completed/);
    const client = startPqvpn(lab, c0.ns, 'client', clientConfig(dir, 'alice', c0.serverAddress, ''));
    await client.waitFor(/Initialization Sequence Completed/);
    expect(server.output()).toMatch(/alice\/10\.77\.0\.2:\d+: connected .*assigned 10\.8\.0\.2/);

    await lab.exec(c0.ns, ['ping', '-c', '3', '-i', '0.2', '-W', '2', '10.8.0.1']);
    await lab.exec(net.server, ['ping', '-c', '3', '-i', '0.2', '-W', '2', '10.8.0.2']);

    const t = await tcpTransfer(lab, net.server, c0.ns, '10.8.0.1', 50 * 1024 * 1024);
    console.log(`cert mode: 50 MB in ${t.seconds.toFixed(2)} s (${t.mbits.toFixed(0)} Mbit/s)`);

    const addrBefore = (await lab.exec(c0.ns, ['ip', '-4', 'addr', 'show'])).stdout;
    expect(addrBefore).toContain('10.8.0.2/24');
    expect(await client.stop('SIGTERM')).toBe(0);
    const addrAfter = (await lab.exec(c0.ns, ['ip', '-4', 'addr', 'show'])).stdout;
    expect(addrAfter).not.toContain('10.8.0.2');
    await server.waitFor(/session ended: EXIT_NOTICE/, 5000);
    expect(await server.stop('SIGTERM')).toBe(0);
  }, 90_000);
});
