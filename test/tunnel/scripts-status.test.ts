import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parsePushedOptions } from '../../src/tunnel/pushed-options.js';
import {
  runScript,
  type ScriptContext,
  scriptArguments,
  scriptEnvironment,
} from '../../src/tunnel/scripts.js';
import { client as clientConfig } from '../config/helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'pqvpn-scripts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const plan = parsePushedOptions(
  [
    'topology subnet',
    'route-gateway 10.8.0.1',
    'ifconfig 10.8.0.2 255.255.255.0',
    'ifconfig-ipv6 fd00:8::2/64 fd00:8::1',
    'route 192.168.10.0 255.255.255.0',
    'route-ipv6 fd00:99::/64',
    'dhcp-option DNS 10.8.0.1',
    'dhcp-option DOMAIN corp.example',
    'setenv-safe SITE berlin',
  ],
  { pullFilters: [], routeNopull: false },
).plan;

const context: ScriptContext = {
  type: 'up',
  restart: false,
  dev: 'tun3',
  tunMtu: 1500,
  plan,
  server: { address: '198.51.100.7', port: 1194 },
  netGateway: '192.0.2.1',
  config: clientConfig('setenv FOO bar\n'),
};

describe('up/down scripts', () => {
  it("get OpenVPN's arguments and environment", () => {
    expect(scriptArguments(context)).toEqual(['tun3', '1500', '1556', '10.8.0.2', '255.255.255.0', 'init']);
    const env = scriptEnvironment(context);
    expect(env).toMatchObject({
      script_type: 'up',
      script_context: 'init',
      dev: 'tun3',
      dev_type: 'tun',
      tun_mtu: '1500',
      ifconfig_local: '10.8.0.2',
      ifconfig_netmask: '255.255.255.0',
      ifconfig_ipv6_local: 'fd00:8::2',
      ifconfig_ipv6_netbits: '64',
      ifconfig_ipv6_remote: 'fd00:8::1',
      route_vpn_gateway: '10.8.0.1',
      route_net_gateway: '192.0.2.1',
      route_network_1: '192.168.10.0',
      route_netmask_1: '255.255.255.0',
      route_gateway_1: '10.8.0.1',
      route_ipv6_network_1: 'fd00:99::/64',
      foreign_option_1: 'dhcp-option DNS 10.8.0.1',
      foreign_option_2: 'dhcp-option DOMAIN corp.example',
      trusted_ip: '198.51.100.7',
      trusted_port: '1194',
      OPENVPN_SITE: 'berlin',
      FOO: 'bar',
    });
  });

  it('run without a shell; a failing script is a SCRIPT_FAILED error with its stderr', async () => {
    const out = join(dir, 'env.txt');
    const script = join(dir, 'up.sh');
    writeFileSync(script, `#!/bin/sh\necho "$@" > ${out}\nenv >> ${out}\n`);
    chmodSync(script, 0o755);
    await runScript({ line: `${script} extra;word`, argv: [script, 'extra;word'] }, context);
    const text = readFileSync(out, 'utf8');
    expect(text.split('\n')[0]).toBe('extra;word tun3 1500 1556 10.8.0.2 255.255.255.0 init');
    expect(text).toContain('ifconfig_local=10.8.0.2');

    const failing = join(dir, 'fail.sh');
    writeFileSync(failing, '#!/bin/sh\necho "no resolv.conf" >&2\nexit 3\n');
    chmodSync(failing, 0o755);
    await expect(runScript({ line: failing, argv: [failing] }, context)).rejects.toMatchObject({
      code: 'SCRIPT_FAILED',
      message: expect.stringMatching(/exit status 3.*no resolv\.conf/),
    });
    const slow = join(dir, 'slow.sh');
    writeFileSync(slow, '#!/bin/sh\nsleep 5\n');
    chmodSync(slow, 0o755);
    await expect(runScript({ line: slow, argv: [slow] }, context, 200)).rejects.toMatchObject({
      message: expect.stringMatching(/killed after 200 ms/),
    });
  });
});
