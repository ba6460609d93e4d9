import { describe, expect, it } from 'vitest';
import { CLIENT, client, errorCodes, problems, SERVER, server, warningCodes } from './helpers.js';

/** The error codes of a server (or client) config with `line` added. */
const s = (line: string) => errorCodes(`${SERVER}${line}\n`);
const c = (line: string) => errorCodes(`${CLIENT}${line}\n`);

describe('network directives', () => {
  it('server takes a /16–/29 network address', () => {
    expect(s('server 10.8.0.1 255.255.255.0')).toEqual(['CONFIG_BAD_NETMASK']);
    expect(errorCodes('server 10.0.0.0 255.0.0.0\nca ca.crt\ncert server.crt\nkey server.key\n')).toEqual([
      'CONFIG_BAD_NETMASK',
    ]);
    expect(s('server 10.8.0.0 255.255.255.252')).toEqual(['CONFIG_BAD_NETMASK']);
    expect(s('server 10.8.0.0 255.0.255.0')).toEqual(['CONFIG_BAD_NETMASK']);
    expect(s('server 10.8.0.0 255.255.255.0 nopool')).toEqual(['CONFIG_UNSUPPORTED_VALUE']);
    expect(server('server 172.16.0.0 255.255.0.0').server.prefixLength).toBe(16);
  });

  it('server-ipv6 takes a /64–/124 prefix and IPv6 needs MTU ≥ 1280', () => {
    expect(server('server-ipv6 fd00:1::/64').serverIpv6).toEqual({ network: 'fd00:1::', prefixLength: 64 });
    expect(s('server-ipv6 fd00::/48')).toEqual(['CONFIG_BAD_CIDR']);
    expect(s('server-ipv6 fd00::1/64')).toEqual(['CONFIG_BAD_CIDR']);
    expect(s('server-ipv6 fd00::/64\ntun-mtu 1200')).toEqual(['CONFIG_CONFLICT']);
  });

  it('routes must be consistent with their netmask', () => {
    expect(c('route 10.1.0.1 255.255.0.0')).toEqual(['CONFIG_BAD_ROUTE']);
    expect(c('route vpn.example.com 255.255.255.255')).toEqual(['CONFIG_BAD_IPV4']);
    expect(c('route 10.1.0.0 255.255.0.0 10.8.0.1 70000')).toEqual([]);
    expect(c('route 10.1.0.0 255.255.0.0 gateway')).toEqual(['CONFIG_BAD_IPV4']);
    expect(client('route 10.9.9.9').routes[0]).toEqual({ network: '10.9.9.9', netmask: '255.255.255.255' });
    expect(c('route-ipv6 fd01::1/64')).toEqual(['CONFIG_BAD_CIDR']);
    expect(c('route-ipv6 fd01::/64 not-an-ip')).toEqual(['CONFIG_BAD_IPV6']);
  });

  it('remote, port and proto are validated', () => {
    expect(c('remote bad_host 1194')).toEqual(['CONFIG_BAD_HOST']);
    expect(c('remote h 70000')).toEqual(['CONFIG_BAD_PORT']);
    expect(c('remote h 1194 tcp')).toEqual(['CONFIG_UNSUPPORTED_VALUE']);
    expect(c('remote h 1194 sctp')).toEqual(['CONFIG_BAD_CHOICE']);
    expect(c('lport 0')).toEqual(['CONFIG_BAD_PORT']);
    expect(server('port 443').lport).toBe(443);
  });

  it('dev names must be interface names; non-tun names need dev-type tun', () => {
    expect(server('dev tun7').dev).toBe('tun7');
    expect(s('dev vpn0')).toEqual(['CONFIG_MISSING_REQUIRED']);
    expect(server('dev vpn0\ndev-type tun').dev).toBe('vpn0');
    expect(s('dev this-name-is-too-long')).toEqual(['CONFIG_BAD_VALUE']);
    expect(s('dev null')).toEqual(['CONFIG_UNSUPPORTED_VALUE']);
  });

  it('bind and nobind contradict each other', () => {
    expect(c('bind\nnobind')).toEqual(['CONFIG_CONFLICT']);
    expect(c('bind frob')).toEqual(['CONFIG_BAD_CHOICE']);
  });

  it('MTU-related values are bounded', () => {
    expect(s('tun-mtu 100')).toEqual(['CONFIG_OUT_OF_RANGE']);
    // mssfix is not implemented: accepted with a warning whatever its arguments, never in the model.
    expect(warningCodes(`${SERVER}mssfix 1400 fixed\n`)).toEqual(['CONFIG_IGNORED']);
    expect(s('sndbuf -1')).toEqual(['CONFIG_OUT_OF_RANGE']);
  });
});

describe('client directives', () => {
  it('dhcp-option types and values are checked', () => {
    expect(
      client(
        'dhcp-option DNS 10.8.0.1\ndhcp-option DNS fd00::1\ndhcp-option DOMAIN corp.example\ndhcp-option DISABLE-NBT',
      ).dhcpOptions,
    ).toEqual([
      { type: 'DNS', value: '10.8.0.1' },
      { type: 'DNS', value: 'fd00::1' },
      { type: 'DOMAIN', value: 'corp.example' },
      { type: 'DISABLE-NBT' },
    ]);
    expect(c('dhcp-option DNS dns.example')).toEqual(['CONFIG_BAD_VALUE']);
    expect(c('dhcp-option FOO 1')).toEqual(['CONFIG_BAD_CHOICE']);
    expect(c('dhcp-option DNS')).toEqual(['CONFIG_ARG_COUNT']);
    expect(c('dhcp-option DISABLE-NBT 1')).toEqual(['CONFIG_ARG_COUNT']);
    expect(client('dhcp-option PROXY_HTTP proxy.example 3128').dhcpOptions[0]?.value).toBe(
      'proxy.example 3128',
    );
  });

  it('redirect-gateway flags are checked', () => {
    expect(client('redirect-gateway def1 bypass-dhcp ipv6').redirectGateway).toEqual([
      'def1',
      'bypass-dhcp',
      'ipv6',
    ]);
    expect(c('redirect-gateway def2')).toEqual(['CONFIG_BAD_CHOICE']);
  });

  it('retry settings are bounded', () => {
    expect(client('connect-retry 5 60').connectRetry).toEqual({ initial: 5, max: 60 });
    expect(c('connect-retry 60 5')).toEqual(['CONFIG_OUT_OF_RANGE']);
    expect(c('resolv-retry forever')).toEqual(['CONFIG_BAD_NUMBER']);
    expect(client('resolv-retry 30').resolvRetry).toBe(30);
    expect(c('auth-retry sometimes')).toEqual(['CONFIG_BAD_CHOICE']);
  });

  it('a client needs a remote, a ca, and cert+key or auth-user-pass', () => {
    const cases: [string, string[]][] = [
      ['client\nca ca.crt\ncert client.crt\nkey client.key\n', ['CONFIG_MISSING_REQUIRED']],
      ['client\nremote h\ncert client.crt\nkey client.key\n', ['CONFIG_MISSING_REQUIRED']],
      ['client\nremote h\nca ca.crt\n', ['CONFIG_MISSING_REQUIRED']],
      ['client\nremote h\nca ca.crt\ncert client.crt\n', ['CONFIG_MISSING_REQUIRED']],
      ['client\nremote h\nca ca.crt\nauth-user-pass\n', []],
      ['client\nremote h\nca ca.crt\ncert client.crt\nkey client.key\nauth-user-pass\n', []],
    ];
    for (const [text, codes] of cases) expect(errorCodes(text), text).toEqual(codes);
  });
});

describe('peer verification and cryptography', () => {
  it('remote-cert-tls must name the other side', () => {
    expect(c('remote-cert-tls client')).toEqual(['CONFIG_CONFLICT']);
    expect(s('remote-cert-tls server')).toEqual(['CONFIG_CONFLICT']);
    expect(c('remote-cert-tls peer')).toEqual(['CONFIG_BAD_CHOICE']);
    expect(client('remote-cert-tls server').remoteCertTls).toBe('server');
  });

  it('verify-x509-name, remote-cert-eku and remote-cert-ku parse', () => {
    expect(client('verify-x509-name vpn.example.com name').verifyX509Name).toEqual({
      name: 'vpn.example.com',
      type: 'name',
    });
    expect(client('verify-x509-name "C=NL, CN=vpn"').verifyX509Name?.type).toBe('subject');
    expect(c('verify-x509-name x cn')).toEqual(['CONFIG_BAD_CHOICE']);
    expect(client('remote-cert-eku "TLS Web Server Authentication"').remoteCertEku).toBe('1.3.6.1.5.5.7.3.1');
    expect(client('remote-cert-eku 1.3.6.1.5.5.7.3.1').remoteCertEku).toBe('1.3.6.1.5.5.7.3.1');
    expect(c('remote-cert-eku webserver')).toEqual(['CONFIG_BAD_VALUE']);
    expect(client('remote-cert-ku 80 0x08').remoteCertKu).toEqual([0x80, 0x08]);
    expect(c('remote-cert-ku zz')).toEqual(['CONFIG_BAD_VALUE']);
  });

  it('data-ciphers accepts only AES-256-GCM, skipping optional ? entries with a warning', () => {
    expect(client('data-ciphers aes-256-gcm').dataCiphers).toEqual(['AES-256-GCM']);
    const { errors } = problems(`${CLIENT}data-ciphers AES-256-GCM:AES-128-GCM:CHACHA20-POLY1305\n`);
    expect(errors.map((e) => e.code)).toEqual(['CONFIG_UNSUPPORTED_CIPHER']);
    expect(errors[0]?.message).toContain('supports only AES-256-GCM; remove AES-128-GCM, CHACHA20-POLY1305');
    expect(c('data-ciphers ?AES-128-GCM')).toEqual(['CONFIG_UNSUPPORTED_CIPHER']);
    expect(warningCodes(`${CLIENT}data-ciphers AES-256-GCM:?CHACHA20-POLY1305\n`)).toEqual([
      'CONFIG_IGNORED',
    ]);
  });

  it('kem-suites are case-insensitive names pqvpn offers, in preference order', () => {
    expect(client('kem-suites ML-KEM-1024:x-wing').kemSuites).toEqual(['ml-kem-1024', 'x-wing']);
    expect(c('kem-suites kyber768')).toEqual(['CONFIG_BAD_CHOICE']);
    expect(c('kem-suites x-wing:x-wing')).toEqual(['CONFIG_BAD_LIST']);
  });

  it('sig-schemes must be known unless a plugin may provide them', () => {
    expect(client('sig-schemes ML-DSA-87:slh-dsa-shake-128f').sigSchemes).toEqual([
      'ml-dsa-87',
      'slh-dsa-shake-128f',
    ]);
    expect(c('sig-schemes ml-dsa-99')).toEqual(['CONFIG_BAD_CHOICE']);
    const withPlugin = problems(`${CLIENT}sig-schemes picnic:ml-dsa-65\nsig-plugin plugin.mjs\n`);
    expect(withPlugin.errors).toEqual([]);
    expect(withPlugin.warnings.map((w) => w.code)).toEqual(['CONFIG_PLUGIN_SCHEME']);
    expect(c('sig-plugin missing.mjs')).toEqual(['CONFIG_FILE_MISSING']);
  });

  it('QKD settings must be complete and use https', () => {
    const full =
      'qkd-kme https://kme-a.example:8443/\nqkd-sae-id SAE_A\nqkd-peer-sae-id SAE_B\nqkd-ca kme-ca.crt\nqkd-cert kme.crt\nqkd-key kme.key\n';
    const q = client(full).qkd;
    expect(q).toMatchObject({
      kme: 'https://kme-a.example:8443',
      saeId: 'SAE_A',
      peerSaeId: 'SAE_B',
      keySize: 256,
      mode: 'required',
    });
    const { errors } = problems(`${CLIENT}qkd-kme https://kme-a.example\nqkd-sae-id A\n`);
    expect(errors.map((e) => e.code)).toEqual(['CONFIG_QKD_INCOMPLETE']);
    expect(errors[0]?.message).toContain('add qkd-peer-sae-id, qkd-ca, qkd-cert, qkd-key');
    expect(c('qkd-kme http://kme.example')).toContain('CONFIG_BAD_URL');
    expect(c('qkd-kme https://user:pw@kme.example')).toContain('CONFIG_BAD_URL');
    expect(c('qkd-kme not a url')).toContain('CONFIG_ARG_COUNT');
    expect(c('qkd-sae-id a/b')).toContain('CONFIG_BAD_VALUE');
    expect(errorCodes(`${CLIENT}${full}qkd-key-size 260\n`)).toEqual(['CONFIG_BAD_VALUE']);
    expect(errorCodes(`${CLIENT}${full}qkd-key-size 64\n`)).toEqual(['CONFIG_OUT_OF_RANGE']);
    expect(client(`${full}qkd-key-size 512\nqkd-mode optional\n`).qkd).toMatchObject({
      keySize: 512,
      mode: 'optional',
    });
  });
});

describe('server authentication matrix', () => {
  it('verify-client-cert none/optional needs a password check', () => {
    expect(s('verify-client-cert none')).toEqual(['CONFIG_MISSING_REQUIRED']);
    expect(s('verify-client-cert optional')).toEqual(['CONFIG_MISSING_REQUIRED']);
    expect(server('verify-client-cert none\npassdb passdb').passdb).toBe('/etc/pqvpn/passdb');
    expect(s('verify-client-cert none\nscript-security 2\nauth-user-pass-verify up.sh via-file')).toEqual([]);
  });

  it('passdb and auth-user-pass-verify are exclusive; username-as-common-name needs one', () => {
    expect(s('passdb passdb\nscript-security 2\nauth-user-pass-verify up.sh via-file')).toEqual([
      'CONFIG_CONFLICT',
    ]);
    expect(s('username-as-common-name')).toEqual(['CONFIG_MISSING_REQUIRED']);
  });

  it('a server needs server, ca, cert and key', () => {
    expect(errorCodes('server 10.8.0.0 255.255.255.0\nca ca.crt\n')).toEqual(['CONFIG_MISSING_REQUIRED']);
    expect(errorCodes('server 10.8.0.0 255.255.255.0\ncert server.crt\nkey server.key\n')).toEqual([
      'CONFIG_MISSING_REQUIRED',
    ]);
  });

  it('ccd-exclusive needs client-config-dir, which must be a folder', () => {
    expect(s('ccd-exclusive')).toEqual(['CONFIG_MISSING_REQUIRED']);
    expect(server('client-config-dir ccd\nccd-exclusive').clientConfigDir).toBe('/etc/pqvpn/ccd');
    expect(s('client-config-dir ca.crt')).toEqual(['CONFIG_NOT_A_DIRECTORY']);
  });

  it('max-clients beyond the pool size is worth a warning', () => {
    expect(warningCodes(`${SERVER}max-clients 300\n`)).toEqual(['CONFIG_ADVICE']);
    expect(s('max-clients 0')).toEqual(['CONFIG_OUT_OF_RANGE']);
  });
});

describe('timers', () => {
  it('keepalive needs timeout ≥ 2 × interval and expands like OpenVPN', () => {
    expect(s('keepalive 10 15')).toEqual(['CONFIG_OUT_OF_RANGE']);
    const srv = server('keepalive 10 60');
    expect([srv.ping, srv.pingRestart]).toEqual([10, 120]);
    expect(srv.push.map((p) => [p.text, p.origin])).toEqual([
      ['ping 10', 'keepalive'],
      ['ping-restart 60', 'keepalive'],
    ]);
    const cli = client('keepalive 10 60');
    expect([cli.ping, cli.pingRestart]).toEqual([10, 60]);
    expect(c('keepalive 10 60\nping 5')).toEqual(['CONFIG_CONFLICT']);
  });

  it('durations and counts are bounded', () => {
    expect(c('reneg-sec 9999999')).toEqual(['CONFIG_OUT_OF_RANGE']);
    expect(c('hand-window 0')).toEqual(['CONFIG_OUT_OF_RANGE']);
    expect(c('ping 1.5')).toEqual(['CONFIG_BAD_NUMBER']);
    expect(client('reneg-bytes 1000000000').renegBytes).toBe(1e9);
    expect(client('inactive 600 1000').inactive).toEqual({ seconds: 600, bytes: 1000 });
  });

  it('replay-window is counted in packets; its time part is ignored with a warning', () => {
    expect(client('replay-window 4096').replayWindow).toBe(4096);
    expect(c('replay-window 64')).toEqual(['CONFIG_OUT_OF_RANGE']);
    expect(warningCodes(`${CLIENT}replay-window 4096 15\n`)).toEqual(['CONFIG_IGNORED']);
  });
});

describe('process directives', () => {
  it('scripts need script-security 2, and via-env needs 3', () => {
    expect(c('up up.sh')).toEqual(['CONFIG_SCRIPT_SECURITY']);
    expect(client('script-security 2\nup "up.sh --flag"').up).toEqual({
      line: 'up.sh --flag',
      argv: ['/etc/pqvpn/up.sh', '--flag'],
    });
    expect(s('script-security 2\nauth-user-pass-verify up.sh via-env')).toEqual(['CONFIG_SCRIPT_SECURITY']);
    expect(s('script-security 3\nauth-user-pass-verify up.sh via-env')).toEqual([]);
    expect(c('script-security 4')).toEqual(['CONFIG_OUT_OF_RANGE']);
  });

  it('user/group without persist-tun and persist-key earns advice', () => {
    expect(warningCodes(`${CLIENT}user nobody\ngroup nogroup\n`)).toEqual(['CONFIG_ADVICE']);
    expect(warningCodes(`${CLIENT}user nobody\ngroup nogroup\npersist-tun\npersist-key\n`)).toEqual([]);
    expect(c('user "bad name"')).toEqual(['CONFIG_BAD_NAME']);
  });

  it('log and log-append share one setting (last wins); verb and mute are bounded', () => {
    expect(client('log /var/log/a.log\nlog-append /var/log/b.log').log).toEqual({
      path: '/var/log/b.log',
      append: true,
    });
    expect(c('verb 12')).toEqual(['CONFIG_OUT_OF_RANGE']);
    expect(c('mute -1')).toEqual(['CONFIG_OUT_OF_RANGE']);
  });

  it('management is an error: pqvpn has no management interface, and a silent absence would surprise', () => {
    expect(c('management 127.0.0.1 7505')).toEqual(['CONFIG_REJECTED']);
    expect(s('management /etc/pqvpn/mgmt.sock unix')).toEqual(['CONFIG_REJECTED']);
  });

  it('mute-replay-warnings is accepted with a warning: replays are never logged', () => {
    expect(warningCodes(`${CLIENT}mute-replay-warnings\n`)).toEqual(['CONFIG_IGNORED']);
  });

  it('up and down are client-only: a server would not run them', () => {
    expect(s('script-security 2\nup /bin/true')).toEqual(['CONFIG_WRONG_MODE']);
    expect(s('script-security 2\ndown /bin/true')).toEqual(['CONFIG_WRONG_MODE']);
  });

  it('setenv and setenv-safe', () => {
    expect(client('setenv SITE "Amsterdam 1"\nsetenv-safe ROLE ops\nsetenv EMPTY').setenv).toEqual([
      { name: 'SITE', value: 'Amsterdam 1' },
      { name: 'OPENVPN_ROLE', value: 'ops' },
      { name: 'EMPTY', value: '' },
    ]);
    expect(c('setenv 1BAD x')).toEqual(['CONFIG_BAD_NAME']);
    expect(c('setenv A b c')).toEqual(['CONFIG_ARG_COUNT']);
    expect(c('setenv opt')).toEqual(['CONFIG_ARG_COUNT']);
  });
});
