/**
 * Password (passdb) mode through real TUN devices: ping both ways and a 50 MB
 * TCP transfer with matching checksums; a wrong password makes the client exit
 * non-zero with AUTH_FAILED and leaves no address configured.
 */
import { expect, it } from 'vitest';
import { useNetnsLab } from '../support/netns.js';
import { describeTun } from '../support/root.js';
import { clientConfig, makePki, serverConfig, startPqvpn, topology, useTempDir } from './support.js';
import { tcpTransfer } from './transfer.js';

describeTun('e2e: passdb mode', () => {
  const lab = useNetnsLab();
  const dir = useTempDir('pqvpn-e2e-passdb-');

  it('a wrong password: AUTH_FAILED, exit 1, no address; the right one: ping both ways and 50 MB intact', async () => {
    await makePki(dir);
    const net = await topology(lab, 1);
    const c0 = net.clients[0]!;
    const server = startPqvpn(lab, net.server, 'server', serverConfig(dir, '', 'passdb'));
    await server.waitFor(/Initialization Sequence Completed/);

    const wrong = startPqvpn(
      lab,
      c0.ns,
      'client',
      clientConfig(dir, 'wrong', c0.serverAddress, '', 'wrong.auth'),
    );
    expect(await wrong.exited).toBe(1);
    expect(wrong.output()).toMatch(/ERROR: AUTH_FAILED/);
    expect(wrong.output()).not.toContain('not the password');
    const links = (await lab.exec(c0.ns, ['ip', '-4', 'addr', 'show'])).stdout;
    expect(links).not.toContain('10.8.0.');
    expect(server.output()).toMatch(/authentication failed/);
    expect(server.output()).not.toContain('not the password');

    const client = startPqvpn(
      lab,
      c0.ns,
      'client',
      clientConfig(dir, 'alice', c0.serverAddress, '', 'alice.auth'),
    );
    await client.waitFor(/Initialization Sequence Completed/);
    expect(server.output()).toMatch(/alice\/10\.77\.0\.2:\d+: connected .*assigned 10\.8\.0\.2/);
    await lab.exec(c0.ns, ['ping', '-c', '3', '-i', '0.2', '-W', '2', '10.8.0.1']);
    await lab.exec(net.server, ['ping', '-c', '3', '-i', '0.2', '-W', '2', '10.8.0.2']);
    const t = await tcpTransfer(lab, c0.ns, net.server, '10.8.0.2', 50 * 1024 * 1024);
    console.log(
      `passdb mode: 50 MB client→server in ${t.seconds.toFixed(2)} s (${t.mbits.toFixed(0)} Mbit/s)`,
    );
    expect(await client.stop('SIGINT')).toBe(0);
    expect(await server.stop('SIGTERM')).toBe(0);
  }, 90_000);
});
