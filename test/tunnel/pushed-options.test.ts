import { describe, expect, it } from 'vitest';
import { DIRECTIVES } from '../../src/config/table.js';
import { AddressPool } from '../../src/tunnel/address-pool.js';
import { buildPushOptions } from '../../src/tunnel/push-options.js';
import {
  PUSHABLE_OPTION_NAMES,
  type PullPolicy,
  PushedOptionError,
  parsePushedOptions,
} from '../../src/tunnel/pushed-options.js';

const none: PullPolicy = { pullFilters: [], routeNopull: false };

function errorOf(options: string[], policy = none): PushedOptionError {
  try {
    parsePushedOptions(options, policy);
  } catch (e) {
    if (e instanceof PushedOptionError) return e;
    throw e;
  }
  throw new Error('expected a PushedOptionError');
}

describe('push-options → pushed-options round trip', () => {
  it('parses everything the server builds for a lease, in the plan the client applies', () => {
    const pool = new AddressPool({
      network: '10.8.0.0',
      prefixLength: 24,
      ipv6: { network: 'fd00:8::', prefixLength: 64 },
      maxClients: 10,
      duplicateCn: false,
    });
    const r = pool.acquire('s', 'alice');
    if (!r.ok) throw new Error(r.reason);
    const push = [
      'route 192.168.10.0 255.255.255.0',
      'route-ipv6 fd00:99::/64',
      'dhcp-option DNS 10.8.0.1',
      'dhcp-option DOMAIN corp.example',
      'redirect-gateway def1 bypass-dhcp',
      'ping 10',
      'ping-restart 120',
    ].map((text) => ({
      name: text.split(' ')[0]!,
      args: text.split(' ').slice(1),
      text,
      origin: 'push' as const,
    }));
    const options = buildPushOptions({ push }, pool, r.lease);
    expect(options.slice(0, 4)).toEqual([
      'topology subnet',
      'route-gateway 10.8.0.1',
      'ifconfig 10.8.0.2 255.255.255.0',
      'ifconfig-ipv6 fd00:8::2/64 fd00:8::1',
    ]);
    const { plan, ignored } = parsePushedOptions(options, none);
    expect(ignored).toEqual([]);
    expect(plan.ifconfig).toEqual({ local: '10.8.0.2', netmask: '255.255.255.0', prefixLength: 24 });
    expect(plan.ifconfigIpv6).toEqual({ local: 'fd00:8::2', prefixLength: 64, remote: 'fd00:8::1' });
    expect(plan.routeGateway).toBe('10.8.0.1');
    expect(plan.routes).toEqual([{ network: '192.168.10.0', netmask: '255.255.255.0' }]);
    expect(plan.routesIpv6).toEqual([{ network: 'fd00:99::', prefixLength: 64 }]);
    expect(plan.dhcpOptions).toEqual([
      { type: 'DNS', value: '10.8.0.1' },
      { type: 'DOMAIN', value: 'corp.example' },
    ]);
    expect(plan.redirectGateway).toEqual(['def1', 'bypass-dhcp']);
    expect(plan.ping).toBe(10);
    expect(plan.pingRestart).toBe(120);
    expect(plan.accepted).toHaveLength(options.length);
  });
});

describe('parsePushedOptions rejects what a pqvpn server never pushes', () => {
  const base = ['ifconfig 10.8.0.2 255.255.255.0'];
  it.each([
    ['up /tmp/evil.sh', 'PUSH_OPTION_UNSUPPORTED'],
    ['script-security 3', 'PUSH_OPTION_UNSUPPORTED'],
    ['frobnicate 1', 'PUSH_OPTION_UNSUPPORTED'],
    ['toString', 'PUSH_OPTION_UNSUPPORTED'],
    ['topology net30', 'PUSH_OPTION_INVALID'],
    ['ifconfig 10.8.0.300 255.255.255.0', 'PUSH_OPTION_INVALID'],
    ['ifconfig 10.8.0.2 255.0.255.0', 'PUSH_OPTION_INVALID'],
    ['ifconfig 10.8.0.2 255.255.255.255', 'PUSH_OPTION_INVALID'],
    ['ifconfig 10.8.0.2', 'PUSH_OPTION_INVALID'],
    ['route 10.0.0.1 255.0.0.0', 'PUSH_OPTION_INVALID'],
    ['route-ipv6 fd00::/200', 'PUSH_OPTION_INVALID'],
    ['dhcp-option BOGUS 1', 'PUSH_OPTION_INVALID'],
    ['dhcp-option DNS not-an-ip', 'PUSH_OPTION_INVALID'],
    ['redirect-gateway def2', 'PUSH_OPTION_INVALID'],
    ['ping -1', 'PUSH_OPTION_INVALID'],
    ['ping-restart 99999999', 'PUSH_OPTION_INVALID'],
    ['tun-mtu 100', 'PUSH_OPTION_INVALID'],
    ['setenv-safe "BAD NAME" x', 'PUSH_OPTION_INVALID'],
    ['route "unterminated', 'PUSH_OPTION_INVALID'],
    ['', 'PUSH_OPTION_INVALID'],
  ])('%s → %s', (option, code) => {
    const e = errorOf([...base, option]);
    expect(e.code).toBe(code);
  });

  it('needs an ifconfig', () => {
    expect(errorOf(['topology subnet', 'route-gateway 10.8.0.1']).code).toBe('PUSH_NO_ADDRESS');
  });

  it('keeps control characters out of its messages', () => {
    const e = errorOf([...base, 'evil\x1b[31mred']);
    expect(e.message.includes('\x1b')).toBe(false);
  });
});

describe('pull-filter and route-nopull', () => {
  const options = [
    'topology subnet',
    'ifconfig 10.8.0.2 255.255.255.0',
    'route 192.168.10.0 255.255.255.0',
    'redirect-gateway def1',
    'dhcp-option DNS 10.8.0.1',
    'ping 10',
  ];

  it('ignore drops the option; the first matching filter wins', () => {
    const { plan, ignored } = parsePushedOptions(options, {
      pullFilters: [
        { action: 'accept', text: 'route 192.168.10.0' },
        { action: 'ignore', text: 'route' },
        { action: 'ignore', text: 'redirect-gateway' },
      ],
      routeNopull: false,
    });
    expect(plan.routes).toHaveLength(1);
    expect(plan.redirectGateway).toBeUndefined();
    expect(ignored.map((i) => i.option)).toEqual(['redirect-gateway def1']);
  });

  it('reject refuses the whole push', () => {
    const e = errorOf(options, {
      pullFilters: [{ action: 'reject', text: 'redirect-gateway' }],
      routeNopull: false,
    });
    expect(e.code).toBe('PUSH_OPTION_REJECTED');
  });

  it('route-nopull keeps the address and timers but drops routes, redirect-gateway and dhcp-option', () => {
    const { plan, ignored } = parsePushedOptions(options, { pullFilters: [], routeNopull: true });
    expect(plan.ifconfig.local).toBe('10.8.0.2');
    expect(plan.ping).toBe(10);
    expect(plan.routes).toEqual([]);
    expect(plan.redirectGateway).toBeUndefined();
    expect(plan.dhcpOptions).toEqual([]);
    expect(ignored).toHaveLength(3);
  });
});

describe('the client accepts exactly what a server config may push', () => {
  it('PUSHABLE_OPTION_NAMES equals the supported pushable directives of the config table', () => {
    const pushable = [...DIRECTIVES.values()]
      .filter((d) => d.pushable && d.status === 'supported')
      .map((d) => d.name)
      .sort();
    expect([...PUSHABLE_OPTION_NAMES].sort()).toEqual(pushable);
  });

  it('parses the buffer and inactivity options', () => {
    const { plan } = parsePushedOptions(
      ['ifconfig 10.8.0.2 255.255.255.0', 'sndbuf 393216', 'rcvbuf 393216', 'inactive 600 1000000'],
      none,
    );
    expect(plan).toMatchObject({
      sndbuf: 393216,
      rcvbuf: 393216,
      inactive: { seconds: 600, bytes: 1000000 },
    });
  });
});
