import { describe, expect, it } from 'vitest';
import { buildConfig } from '../../src/config/build.js';
import { formatEffectiveConfig } from '../../src/config/format.js';
import type { PqvpnConfig } from '../../src/config/model.js';
import { parseConfigText } from '../../src/config/tokenizer.js';
import { build, DIR } from './helpers.js';

const RICH_SERVER = `
server 10.8.0.0 255.255.255.0
server-ipv6 fd00:8::/64
port 1195
ca ca.crt
cert server.crt
key server.key
tls-crypt ta.key
crl-verify crl.pem
remote-cert-tls client
remote-cert-eku clientAuth
remote-cert-ku 80 88
verify-x509-name client- name-prefix
ifconfig-pool-persist /var/log/ipp.txt 300
client-config-dir ccd
push "route 192.168.10.0 255.255.255.0"
push "dhcp-option DNS 10.8.0.1"
push "setenv-safe SITE 'Amsterdam 1'"
keepalive 10 60
route 192.168.50.0 255.255.255.0 10.8.0.2 7
route-ipv6 fd50::/64
kem-suites ml-kem-1024
sig-schemes ml-dsa-87
psk psk.key
verify-client-cert optional
passdb passdb
duplicate-cn
client-to-client
max-clients 100
user nobody
group nogroup
persist-tun
persist-key
status /var/log/status.log 30
log-append /var/log/pqvpn.log
verb 4
mute 20
script-security 2
setenv SITE "Amsterdam 1"
inactive 3600 100000
replay-window 16384
tun-mtu 1420
`;

const RICH_CLIENT = `
client
remote vpn1.example.com 1194
remote 2001:db8::1 443 udp6
remote-random
nobind
resolv-retry 60
connect-retry 2 120
connect-retry-max 5
server-poll-timeout 30
ca ca.crt
cert client.crt
key client.key
auth-user-pass
auth-retry none
redirect-gateway def1 bypass-dhcp ipv6
dhcp-option DNS 10.8.0.1
dhcp-option PROXY_HTTP proxy.example 3128
pull-filter ignore "route 10."
route-nopull
qkd-kme https://kme.example/api
qkd-sae-id SAE_A
qkd-peer-sae-id SAE_B
qkd-ca kme-ca.crt
qkd-cert kme.crt
qkd-key kme.key
qkd-mode optional
ping 15
ping-restart 120
explicit-exit-notify 2
`;

/** Everything but where it came from. */
function essence(config: PqvpnConfig): Record<string, unknown> {
  const { defaulted: _d, locations: _l, source: _s, ...rest } = config;
  return JSON.parse(JSON.stringify(rest)) as Record<string, unknown>;
}

describe('formatEffectiveConfig', () => {
  it('marks defaults and prints absolute paths', () => {
    const text = formatEffectiveConfig(build(RICH_CLIENT).config);
    expect(text).toMatch(/^kem-suites x-wing:ml-kem-1024 +# default$/m);
    expect(text).toMatch(/^ca \/etc\/pqvpn\/ca\.crt$/m);
    expect(text).toMatch(/^remote 2001:db8::1 443 udp6$/m);
    expect(text).toMatch(/^auth-user-pass +# asked on the terminal$/m);
    expect(text.startsWith('# pqvpn effective configuration (client) from /etc/pqvpn/test.ovpn\n')).toBe(
      true,
    );
  });

  it('prints what keepalive implies as comments', () => {
    const text = formatEffectiveConfig(build(RICH_SERVER).config);
    expect(text).toContain('# ping 10, ping-restart 120 (from keepalive)');
    expect(text).toContain('# push "ping 10" (from keepalive)');
    expect(text).toContain('push "setenv-safe SITE \\"Amsterdam 1\\""');
  });

  for (const [name, source] of [
    ['server', RICH_SERVER],
    ['client', RICH_CLIENT],
  ] as const) {
    it(`parses back to the same ${name} config`, () => {
      const first = build(source).config;
      const printed = formatEffectiveConfig(first);
      const again = buildConfig(parseConfigText(printed, { file: 'effective.ovpn', dir: DIR }), {
        checkFiles: false,
      }).config;
      expect(essence(again)).toEqual(essence(first));
    });
  }

  it('never prints inline key material', () => {
    const secret = 'TOPSECRETKEYMATERIAL';
    const config = build(
      `client\nremote h\nca ca.crt\ncert client.crt\n<key>\n${secret}\n</key>\n<tls-crypt>\n${secret}\n</tls-crypt>\n<auth-user-pass>\nalice\n${secret}\n</auth-user-pass>\n`,
    ).config;
    const text = formatEffectiveConfig(config);
    expect(text).not.toContain(secret);
    expect(text).not.toContain('alice');
    expect(text).toMatch(/^key \[inline\] +# 21 bytes inline, not shown$/m);
    expect(text).toMatch(/^auth-user-pass \[inline\] +# \d+ bytes inline, not shown$/m);
  });
});
