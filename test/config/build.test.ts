import { inspect } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildConfig, InvalidConfigError } from '../../src/config/build.js';
import { InlineContent } from '../../src/config/model.js';
import { parseConfigText } from '../../src/config/tokenizer.js';
import { ConfigErrors } from '../../src/errors.js';
import { build, CLIENT, client, errorCodes, FILE, problems, SERVER, server } from './helpers.js';

describe('a minimal config', () => {
  it('builds a server with defaults filled in and marked', () => {
    const c = server('');
    expect(c).toMatchObject({
      mode: 'server',
      server: { network: '10.8.0.0', netmask: '255.255.255.0', prefixLength: 24 },
      ca: { kind: 'file', path: '/etc/pqvpn/ca.crt' },
      key: { kind: 'file', path: '/etc/pqvpn/server.key' },
      dev: 'tun',
      proto: 'udp',
      topology: 'subnet',
      lport: 1194,
      verifyClientCert: 'require',
      kemSuites: ['x-wing', 'ml-kem-1024'],
      sigSchemes: ['ml-dsa-44', 'ml-dsa-65', 'ml-dsa-87'],
      dataCiphers: ['AES-256-GCM'],
      replayWindow: 8192,
      renegSec: 3600,
      verb: 1,
      scriptSecurity: 1,
    });
    expect(c.defaulted).toContain('kem-suites');
    expect(c.defaulted).not.toContain('server');
    expect(c.locations.cert).toEqual({ file: FILE, line: 3 });
    expect(Object.isFrozen(c) && Object.isFrozen(c.routes)).toBe(true);
  });

  it('builds a client, taking remote ports and protocol from rport and proto', () => {
    const c = client('remote vpn2.example.com 443 udp6\nrport 1195\nproto udp4\n');
    expect(c.remotes).toEqual([
      { host: 'vpn.example.com', port: 1195, proto: 'udp4' },
      { host: 'vpn2.example.com', port: 443, proto: 'udp6' },
    ]);
    expect(c.resolvRetry).toBe('infinite');
    expect(c.connectRetry).toEqual({ initial: 1, max: 300 });
  });

  it('gives no warnings for a clean config', () => {
    expect(build(SERVER).warnings).toEqual([]);
    expect(build(CLIENT).warnings).toEqual([]);
  });
});

describe('unknown directives', () => {
  it('are errors with file:line and a suggestion', () => {
    const { errors } = problems(`${CLIENT}remote-cert-tsl server\n`);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      code: 'CONFIG_UNKNOWN_DIRECTIVE',
      location: { file: FILE, line: 6 },
      directive: 'remote-cert-tsl',
    });
    expect(errors[0]?.message).toBe(
      "/etc/pqvpn/test.ovpn:6: 'remote-cert-tsl': unknown directive; did you mean 'remote-cert-tls'?",
    );
  });

  it('without a close match, point to the reference', () => {
    expect(problems(`${CLIENT}frobnicate\n`).errors[0]?.message).toMatch(
      /unknown directive \(see docs\/CONFIG.md\)$/,
    );
  });

  it('are all reported, in line order, together with other errors', () => {
    const { errors } = problems(`${CLIENT}verb 99\nkeepalvie 10 60\nport 0\n`);
    expect(errors.map((e) => [e.code, e.location?.line])).toEqual([
      ['CONFIG_OUT_OF_RANGE', 6],
      ['CONFIG_UNKNOWN_DIRECTIVE', 7],
      ['CONFIG_BAD_PORT', 8],
    ]);
  });

  it('become warnings after ignore-unknown-option or under setenv opt', () => {
    const { errors, warnings } = problems(
      `${CLIENT}ignore-unknown-option block-outside-dnz foo\nfoo 1\nsetenv opt bar 2\nsetenv opt verb 4\n`,
    );
    expect(errors).toEqual([]);
    expect(warnings.map((w) => [w.code, w.directive])).toEqual([
      ['CONFIG_UNKNOWN_IGNORED', 'foo'],
      ['CONFIG_UNKNOWN_IGNORED', 'bar'],
    ]);
    expect(client('setenv opt verb 4\n').verb).toBe(4);
  });

  it('are errors when ignore-unknown-option comes after them, as in OpenVPN', () => {
    expect(errorCodes(`${CLIENT}foo 1\nignore-unknown-option foo\n`)).toEqual(['CONFIG_UNKNOWN_DIRECTIVE']);
  });
});

describe('mode', () => {
  it('is required', () => {
    const { errors } = problems('ca ca.crt\n');
    expect(errors.map((e) => e.code)).toEqual(['CONFIG_MODE_MISSING']);
    expect(errors[0]?.message).toBe(
      "/etc/pqvpn/test.ovpn: neither a server nor a client: add 'server NETWORK NETMASK' or 'client'",
    );
  });

  it('cannot be both', () => {
    expect(errorCodes(`${SERVER}client\n`)).toContain('CONFIG_MODE_CONFLICT');
  });

  it('point-to-point setups are refused with advice', () => {
    expect(errorCodes('tls-server\nca ca.crt\n')).toEqual(['CONFIG_P2P_UNSUPPORTED']);
    expect(errorCodes('mode p2p\nca ca.crt\n')).toEqual(['CONFIG_P2P_UNSUPPORTED']);
  });

  it('accepts the long forms: mode server + tls-server, tls-client + pull', () => {
    expect(
      build(
        'mode server\ntls-server\nserver 10.8.0.0 255.255.255.0\nca ca.crt\ncert server.crt\nkey server.key\n',
      ).config.mode,
    ).toBe('server');
    expect(
      build('tls-client\npull\nremote h\nca ca.crt\ncert client.crt\nkey client.key\n').config.mode,
    ).toBe('client');
    expect(errorCodes('mode server\nca ca.crt\ncert server.crt\nkey server.key\n')).toEqual([
      'CONFIG_MISSING_REQUIRED',
    ]);
  });

  it('server-only directives in a client config are errors with the reason, and vice versa', () => {
    const c = problems(
      `${CLIENT}client-to-client\npush "route 10.0.0.0 255.0.0.0"\nifconfig 10.8.0.2 255.255.255.0\n`,
    );
    expect(c.errors.map((e) => [e.code, e.directive])).toEqual([
      ['CONFIG_WRONG_MODE', 'client-to-client'],
      ['CONFIG_WRONG_MODE', 'push'],
      ['CONFIG_WRONG_MODE', 'ifconfig'],
    ]);
    expect(c.errors[2]?.message).toContain('may only be pushed by a server');
    const s = problems(`${SERVER}remote h\nredirect-gateway def1\nnobind\ntls-client\n`);
    expect(s.errors.map((e) => e.directive)).toEqual(['remote', 'redirect-gateway', 'nobind', 'tls-client']);
    expect(s.errors[1]?.message).toContain('push "…"');
    expect(problems(`${SERVER}iroute 10.9.0.0 255.255.255.0\n`).errors[0]?.message).toContain(
      'client-config-dir',
    );
  });
});

describe('warned and rejected OpenVPN directives', () => {
  it('say what pqvpn does not do yet: auth-nocache, and auth-retry other than none', () => {
    const { warnings } = problems(`${CLIENT}auth-nocache\nauth-retry nointeract\n`);
    expect(problems(`${CLIENT}auth-retry none\n`).warnings).toEqual([]);
    expect(warnings.map((w) => [w.code, w.directive, w.location?.line])).toEqual([
      ['CONFIG_IGNORED', 'auth-nocache', 6],
      ['CONFIG_IGNORED', 'auth-retry', 7],
    ]);
    expect(warnings[1]?.message).toMatch(/exits on AUTH_FAILED/);
  });

  it('warn with file:line and the reason, and change nothing', () => {
    const { warnings } = problems(
      `${SERVER}dh dh2048.pem\ntls-auth ta.key 0\ncipher AES-256-CBC\ncomp-lzo\nauth SHA256\n`,
    );
    expect(warnings.map((w) => [w.code, w.directive, w.location?.line])).toEqual([
      ['CONFIG_IGNORED', 'dh', 5],
      ['CONFIG_IGNORED', 'tls-auth', 6],
      ['CONFIG_IGNORED', 'cipher', 7],
      ['CONFIG_IGNORED', 'comp-lzo', 8],
      ['CONFIG_IGNORED', 'auth', 9],
    ]);
    expect(warnings[0]?.message).toMatch(/^ignored: not needed: the key exchange is post-quantum/);
    expect(warnings[1]?.message).toContain('use tls-crypt');
  });

  it('are errors when ignoring them would weaken security or change the setup', () => {
    const cases: [string, string][] = [
      ['secret static.key', 'CONFIG_REJECTED'],
      ['ns-cert-type server', 'CONFIG_REJECTED'],
      ['tls-crypt-v2 v2.key', 'CONFIG_REJECTED'],
      ['chroot /var/empty', 'CONFIG_REJECTED'],
      ['plugin auth-pam.so login', 'CONFIG_REJECTED'],
      ['client-cert-not-required', 'CONFIG_REJECTED'],
      ['dev tap', 'CONFIG_UNSUPPORTED_VALUE'],
      ['dev tap0', 'CONFIG_UNSUPPORTED_VALUE'],
      ['dev-type tap', 'CONFIG_UNSUPPORTED_VALUE'],
      ['proto tcp', 'CONFIG_UNSUPPORTED_VALUE'],
      ['proto tcp-server', 'CONFIG_UNSUPPORTED_VALUE'],
      ['topology net30', 'CONFIG_UNSUPPORTED_VALUE'],
      ['topology p2p', 'CONFIG_UNSUPPORTED_VALUE'],
      ['server-bridge 10.8.0.4 255.255.255.0 10.8.0.50 10.8.0.100', 'CONFIG_REJECTED'],
    ];
    for (const [line, code] of cases) expect(errorCodes(`${SERVER}${line}\n`), line).toEqual([code]);
    expect(problems(`${SERVER}secret static.key\n`).errors[0]?.message).toContain('no forward secrecy');
    expect(problems(`${SERVER}proto tcp\n`).errors[0]?.message).toContain('UDP only');
  });

  it('still accept their inline blocks', () => {
    const { errors, warnings } = problems(`${CLIENT}<tls-auth>\nKEY\n</tls-auth>\n<dh>\nP\n</dh>\n`);
    expect(errors).toEqual([]);
    expect(warnings.map((w) => w.directive)).toEqual(['tls-auth', 'dh']);
    expect(errorCodes(`${CLIENT}<secret>\nKEY\n</secret>\n`)).toEqual(['CONFIG_REJECTED']);
    expect(errorCodes(`${CLIENT}<connection>\nremote h2\n</connection>\n`)).toEqual(['CONFIG_REJECTED']);
  });
});

describe('arguments', () => {
  it('are counted per the table', () => {
    const { errors } = problems(`${CLIENT}keepalive 10\nnobind yes\nremote\n`);
    expect(errors.map((e) => e.code)).toEqual(['CONFIG_ARG_COUNT', 'CONFIG_ARG_COUNT', 'CONFIG_ARG_COUNT']);
    expect(errors[0]?.message).toContain('takes 2 arguments (keepalive INTERVAL TIMEOUT), not 1');
    expect(errors[1]?.message).toContain('takes no arguments (nobind), not 1');
  });

  it('a later single-valued directive replaces an earlier one, with a warning', () => {
    const { warnings } = problems(`${CLIENT}verb 3\nverb 5\n`);
    expect(warnings.map((w) => [w.code, w.location?.line])).toEqual([['CONFIG_DUPLICATE', 7]]);
    expect(client('verb 3\nverb 5\n').verb).toBe(5);
  });

  it('repeatable directives accumulate', () => {
    const c = client(
      'route 10.1.0.0 255.255.0.0\nroute 10.2.0.0 255.255.0.0 vpn_gateway 5\nroute-ipv6 fd01::/64\n',
    );
    expect(c.routes).toEqual([
      { network: '10.1.0.0', netmask: '255.255.0.0' },
      { network: '10.2.0.0', netmask: '255.255.0.0', gateway: 'vpn_gateway', metric: 5 },
    ]);
    expect(c.routesIpv6).toEqual([{ network: 'fd01::', prefixLength: 64 }]);
  });
});

describe('inline blocks', () => {
  const CA = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n';
  const KEY = '-----BEGIN PRIVATE KEY-----\nSECRETSECRET\n-----END PRIVATE KEY-----\n';
  const text = `client\nremote h\n<ca>\n${CA}</ca>\ncert [inline]\n<cert>\n${CA}</cert>\n<key>\n${KEY}</key>\n`;

  it('put their content in the model', () => {
    const c = build(text).config;
    expect(c.ca).toBeInstanceOf(InlineContent);
    expect(c.ca.kind === 'inline' && c.ca.text).toBe(CA);
    expect(c.key?.kind === 'inline' && c.key.text).toBe(KEY);
    expect(c.locations.cert?.line).toBe(8);
  });

  it('never print their content', () => {
    const c = build(text).config;
    const printed = [JSON.stringify(c), inspect(c, { depth: 10 }), String(c.key), `${c.ca}`].join('\n');
    expect(printed).not.toContain('SECRETSECRET');
    expect(printed).not.toContain('AAAA');
    expect(String(c.key)).toBe(`[inline, ${KEY.length} bytes]`);
  });

  it('are refused for directives that take no file', () => {
    expect(errorCodes(`${CLIENT}<verb>\n3\n</verb>\n`)).toEqual(['CONFIG_INLINE_NOT_ALLOWED']);
    expect(errorCodes(`${CLIENT}<remote>\nh\n</remote>\n`)).toEqual(['CONFIG_INLINE_NOT_ALLOWED']);
  });

  it('validate auth-user-pass content', () => {
    expect(client('<auth-user-pass>\nalice\ns3cret\n</auth-user-pass>\n').authUserPass?.source?.kind).toBe(
      'inline',
    );
    expect(errorCodes(`${CLIENT}<auth-user-pass>\n\n</auth-user-pass>\n`)).toEqual(['CONFIG_BAD_VALUE']);
    expect(errorCodes(`${CLIENT}<auth-user-pass>\na\nb\nc\n</auth-user-pass>\n`)).toEqual([
      'CONFIG_BAD_VALUE',
    ]);
  });

  it('[inline] without a block is an error, also from the command line', () => {
    expect(
      errorCodes(CLIENT, {
        overrides: [{ name: 'ca', args: ['[inline]'], location: { file: '(command line)', line: 0 } }],
      }),
    ).toEqual(['CONFIG_INLINE_MISSING']);
  });
});

describe('robustness', () => {
  it('any text either builds or fails with ConfigErrors, never a crash', () => {
    const word = fc.constantFrom(
      'client',
      'server',
      '10.8.0.0',
      '255.255.255.0',
      'remote',
      'ca',
      'ca.crt',
      'push',
      '"route 1.2.3.0 255.255.255.0"',
      'keepalive',
      '10',
      '-1',
      '<ca>',
      '</ca>',
      '[inline]',
      'setenv',
      'opt',
      'verb',
      '#',
      ';',
      '"',
      "'",
      '\\',
      'dev',
      'tap',
      'qkd-kme',
      'https://k',
      'kem-suites',
      'x-wing',
      'route',
      'cd',
      '..',
      'key',
      '\u0000',
      'management',
      'unix',
    );
    const line = fc.array(word, { maxLength: 6 }).map((w) => w.join(' '));
    fc.assert(
      fc.property(fc.array(line, { maxLength: 12 }), (lines) => {
        try {
          const parsed = parseConfigText(lines.join('\n'), { file: 'f.ovpn', dir: '/nonexistent' });
          buildConfig(parsed, { checkFiles: false });
        } catch (e) {
          expect(e instanceof ConfigErrors || e instanceof InvalidConfigError).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});
