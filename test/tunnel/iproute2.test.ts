import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import {
  type CommandRunner,
  NetworkConfigurator,
  planClientNetwork,
  routeTo,
} from '../../src/net/iproute2.js';
import { parsePushedOptions } from '../../src/tunnel/pushed-options.js';

const plan = (options: string[]) => parsePushedOptions(options, { pullFilters: [], routeNopull: false }).plan;
const base = ['topology subnet', 'route-gateway 10.8.0.1', 'ifconfig 10.8.0.2 255.255.255.0'];

const input = {
  dev: 'tun0',
  localRoutes: [],
  localRoutesIpv6: [],
  server: '198.51.100.7',
  pathToServer: { gateway: '192.0.2.1', dev: 'eth0' },
  addAddresses: true,
  routeNoexec: false,
};

const argv = (cmds: ReturnType<typeof planClientNetwork>) => cmds.map((c) => c.argv.join(' '));

describe('planClientNetwork', () => {
  it('adds the address and routes via the VPN gateway, each with its exact undo', () => {
    const cmds = planClientNetwork({
      ...input,
      plan: plan([...base, 'route 192.168.10.0 255.255.255.0', 'route 10.20.0.0 255.255.0.0 10.8.0.9 5']),
    });
    expect(argv(cmds)).toEqual([
      '-4 addr add 10.8.0.2/24 dev tun0',
      '-4 route add 192.168.10.0/24 via 10.8.0.1 dev tun0',
      '-4 route add 10.20.0.0/16 via 10.8.0.9 metric 5',
    ]);
    expect(cmds.map((c) => c.undo?.join(' '))).toEqual([
      '-4 addr del 10.8.0.2/24 dev tun0',
      '-4 route del 192.168.10.0/24 via 10.8.0.1 dev tun0',
      '-4 route del 10.20.0.0/16 via 10.8.0.9 metric 5',
    ]);
  });

  it('redirect-gateway def1: two /1 routes and a host route to the server via the old gateway', () => {
    const cmds = planClientNetwork({ ...input, plan: plan([...base, 'redirect-gateway def1']) });
    expect(argv(cmds)).toEqual([
      '-4 addr add 10.8.0.2/24 dev tun0',
      '-4 route add 198.51.100.7/32 via 192.0.2.1 dev eth0',
      '-4 route add 0.0.0.0/1 via 10.8.0.1 dev tun0',
      '-4 route add 128.0.0.0/1 via 10.8.0.1 dev tun0',
    ]);
  });

  it('redirect-gateway local skips the host route; ipv6 adds ::/1 and 8000::/1; !ipv4 skips IPv4', () => {
    const v6 = [...base, 'ifconfig-ipv6 fd00:8::2/64 fd00:8::1'];
    const cmds = planClientNetwork({
      ...input,
      plan: plan([...v6, 'redirect-gateway def1 local ipv6 !ipv4']),
    });
    expect(argv(cmds)).toEqual([
      '-4 addr add 10.8.0.2/24 dev tun0',
      '-6 addr add fd00:8::2/64 dev tun0',
      '-6 route add ::/1 dev tun0',
      '-6 route add 8000::/1 dev tun0',
    ]);
  });

  it('route-ipv6, net_gateway and remote_host keywords, route-noexec and ifconfig-noexec', () => {
    const p = plan([
      ...base,
      'ifconfig-ipv6 fd00:8::2/64 fd00:8::1',
      'route-ipv6 fd00:99::/64',
      'route 203.0.113.0 255.255.255.0 net_gateway',
      'route remote_host 255.255.255.255 net_gateway',
    ]);
    expect(argv(planClientNetwork({ ...input, plan: p }))).toEqual([
      '-4 addr add 10.8.0.2/24 dev tun0',
      '-6 addr add fd00:8::2/64 dev tun0',
      '-4 route add 203.0.113.0/24 via 192.0.2.1 dev eth0',
      '-4 route add 198.51.100.7/32 via 192.0.2.1 dev eth0',
      '-6 route add fd00:99::/64 dev tun0',
    ]);
    expect(argv(planClientNetwork({ ...input, plan: p, routeNoexec: true, addAddresses: false }))).toEqual(
      [],
    );
  });
});

describe('NetworkConfigurator', () => {
  function runner(failOn?: string): CommandRunner & { calls: string[] } {
    const calls: string[] = [];
    return {
      calls,
      run: async (a) => {
        const line = a.join(' ');
        calls.push(line);
        if (failOn && line.includes(failOn)) throw new Error('RTNETLINK answers: File exists');
        return '';
      },
    };
  }

  it('undoes everything newest first, and only once', async () => {
    const r = runner();
    const net = new NetworkConfigurator(r, silentLogger);
    await net.apply(
      planClientNetwork({ ...input, plan: plan([...base, 'route 192.168.10.0 255.255.255.0']) }),
    );
    r.calls.length = 0;
    await net.undoAll();
    await net.undoAll();
    expect(r.calls).toEqual([
      '-4 route del 192.168.10.0/24 via 10.8.0.1 dev tun0',
      '-4 addr del 10.8.0.2/24 dev tun0',
    ]);
  });

  it('a failing command undoes what that call added and throws', async () => {
    const r = runner('192.168.10.0');
    const net = new NetworkConfigurator(r, silentLogger);
    await expect(
      net.apply(planClientNetwork({ ...input, plan: plan([...base, 'route 192.168.10.0 255.255.255.0']) })),
    ).rejects.toThrow(/File exists/);
    expect(r.calls.at(-1)).toBe('-4 addr del 10.8.0.2/24 dev tun0');
    expect(net.added).toEqual([]);
  });

  it('routeTo reads `ip -j route get` and survives garbage', async () => {
    const json: CommandRunner = { run: async () => '[{"dst":"1.2.3.4","gateway":"192.0.2.1","dev":"eth0"}]' };
    expect(await routeTo(json, '1.2.3.4')).toEqual({ gateway: '192.0.2.1', dev: 'eth0' });
    const garbage: CommandRunner = { run: async () => 'not json' };
    expect(await routeTo(garbage, '1.2.3.4')).toBeUndefined();
    const failing: CommandRunner = { run: async () => Promise.reject(new Error('Network is unreachable')) };
    expect(await routeTo(failing, '1.2.3.4')).toBeUndefined();
  });
});
