/**
 * Rekeying every 3 seconds (reneg-sec 3 on both sides) during a 100 MB
 * transfer: the transfer completes intact without a stall and the client
 * never reconnects.
 */
import { expect, it } from 'vitest';
import { useNetnsLab } from '../support/netns.js';
import { describeTun } from '../support/root.js';
import { clientConfig, makePki, serverConfig, startPqvpn, topology, useTempDir } from './support.js';
import { tcpTransfer } from './transfer.js';

describeTun('e2e: rekey under load', () => {
  const lab = useNetnsLab();
  const dir = useTempDir('pqvpn-e2e-rekey-');

  it('reneg-sec 3 during a 100 MB transfer: intact, no stall, no reconnect', async () => {
    await makePki(dir);
    const net = await topology(lab, 1);
    const c0 = net.clients[0]!;
    const server = startPqvpn(lab, net.server, 'server', serverConfig(dir, 'reneg-sec 3\n'));
    await server.waitFor(/Initialization Sequence Completed/);
    const client = startPqvpn(
      lab,
      c0.ns,
      'client',
      clientConfig(dir, 'alice', c0.serverAddress, 'reneg-sec 3\n'),
    );
    await client.waitFor(/Initialization Sequence Completed/);
    await lab.exec(c0.ns, ['ping', '-c', '1', '-W', '2', '10.8.0.1']);
    const t = await tcpTransfer(lab, net.server, c0.ns, '10.8.0.1', 100 * 1024 * 1024);
    console.log(`rekey test: 100 MB in ${t.seconds.toFixed(2)} s (${t.mbits.toFixed(0)} Mbit/s)`);
    // Wait for at least two rekeys in all (a fast transfer may finish between them).
    await client.waitFor(/(rekey to key id[^\n]*\n[\s\S]*){2}/, 10_000);
    const out = client.output();
    expect(out.match(/Initialization Sequence Completed/g)).toHaveLength(1);
    expect(out).not.toMatch(/restarting in/);
    expect(t.seconds).toBeLessThan(40);
    await lab.exec(c0.ns, ['ping', '-c', '2', '-i', '0.2', '-W', '2', '10.8.0.1']);
    expect(await client.stop('SIGTERM')).toBe(0);
    expect(await server.stop('SIGTERM')).toBe(0);
  }, 110_000);
});
