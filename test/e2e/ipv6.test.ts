/**
 * IPv6 inside the tunnel (server-ipv6, pushed ifconfig-ipv6 and route-ipv6)
 * and the server reached over an IPv6 underlay with `proto udp` (one
 * dual-stack socket): one client over IPv6, one over IPv4, both ping6.
 */
import { expect, it } from 'vitest';
import { useNetnsLab } from '../support/netns.js';
import { describeTun } from '../support/root.js';
import { clientConfig, makePki, serverConfig, startPqvpn, useTempDir } from './support.js';

describeTun('e2e: IPv6 inside and outside the tunnel', () => {
  const lab = useNetnsLab();
  const dir = useTempDir('pqvpn-e2e-ipv6-');

  it('server-ipv6 with pushed route-ipv6; clients over IPv6 and IPv4 underlays on one dual-stack socket', async () => {
    await makePki(dir, ['alice', 'bob']);
    const server = await lab.namespace();
    const a = await lab.namespace();
    const b = await lab.namespace();
    await lab.veth(server, a, { a: 'fd77::1/64', b: 'fd77::2/64' });
    await lab.veth(server, b, { a: '10.78.0.1/24', b: '10.78.0.2/24' });
    // Something behind the server, reached through the pushed route-ipv6.
    await lab.exec(server, ['ip', 'addr', 'add', 'fd99::1/64', 'dev', 'lo', 'nodad']);
    const s = startPqvpn(
      lab,
      server,
      'server',
      serverConfig(dir, 'server-ipv6 fd00:8::/64\npush "route-ipv6 fd99::/64"\n'),
    );
    await s.waitFor(/UDP listening on \[::\]:1194 \(IPv6 and IPv4\)/);
    await s.waitFor(/Initialization Sequence Completed/);
    const alice = startPqvpn(lab, a, 'client', clientConfig(dir, 'alice', 'fd77::1', 'proto udp6\n'));
    const bob = startPqvpn(lab, b, 'client', clientConfig(dir, 'bob', '10.78.0.1', ''));
    await Promise.all([alice, bob].map((c) => c.waitFor(/Initialization Sequence Completed/)));
    expect(s.output()).toMatch(/alice\/\[fd77::2\]:\d+: connected .*assigned 10\.8\.0\.\d and fd00:8::\d/);
    expect(s.output()).toMatch(/bob\/10\.78\.0\.2:\d+: connected .*assigned 10\.8\.0\.\d and fd00:8::\d/);
    const addr6 = /inet6 (fd00:8::\d+)\/64/.exec(
      (await lab.exec(a, ['ip', '-6', 'addr', 'show'])).stdout,
    )?.[1];
    expect(addr6).toBeDefined();
    await lab.exec(a, ['ping', '-6', '-c', '2', '-i', '0.2', '-W', '2', 'fd00:8::1']);
    await lab.exec(a, ['ping', '-6', '-c', '2', '-i', '0.2', '-W', '2', 'fd99::1']);
    await lab.exec(b, ['ping', '-6', '-c', '2', '-i', '0.2', '-W', '2', 'fd00:8::1']);
    await lab.exec(server, ['ping', '-6', '-c', '2', '-i', '0.2', '-W', '2', addr6!]);
    await lab.exec(b, ['ping', '-c', '2', '-i', '0.2', '-W', '2', '10.8.0.1']);
    expect(await alice.stop()).toBe(0);
    expect(await bob.stop()).toBe(0);
    expect(await s.stop()).toBe(0);
  }, 90_000);
});
