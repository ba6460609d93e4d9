import { describe, expect, it } from 'vitest';
import { buildClientConfigDirFile } from '../../src/config/ccd.js';
import { COMMAND_LINE, splitOverrides } from '../../src/config/overrides.js';
import { parseConfigText } from '../../src/config/tokenizer.js';
import { UsageError } from '../../src/errors.js';
import { CLIENT, client, errorCodes, files, problems, SERVER, server } from './helpers.js';

describe('push', () => {
  it('parses each pushed option as a client directive and keeps its normalised text', () => {
    const c = server(
      'push "route 192.168.10.0 255.255.255.0"\npush "dhcp-option DNS 10.8.0.1"\npush "redirect-gateway def1 bypass-dhcp"\npush "setenv-safe SITE \\"A 1\\""\n',
    );
    expect(c.push.map((p) => [p.name, p.args, p.text])).toEqual([
      ['route', ['192.168.10.0', '255.255.255.0'], 'route 192.168.10.0 255.255.255.0'],
      ['dhcp-option', ['DNS', '10.8.0.1'], 'dhcp-option DNS 10.8.0.1'],
      ['redirect-gateway', ['def1', 'bypass-dhcp'], 'redirect-gateway def1 bypass-dhcp'],
      ['setenv-safe', ['SITE', 'A 1'], 'setenv-safe SITE "A 1"'],
    ]);
  });

  it('checks the pushed values and reports them at the push line', () => {
    const { errors } = problems(`${SERVER}push "route 192.168.10.1 255.255.255.0"\n`);
    expect(errors.map((e) => [e.code, e.location?.line, e.directive])).toEqual([
      ['CONFIG_BAD_ROUTE', 5, 'push'],
    ]);
    expect(errors[0]?.message).toContain("pushed option 'route': 192.168.10.1 has bits set outside netmask");
  });

  it('refuses unknown, non-pushable and rejected options, and drops warned ones with a warning', () => {
    expect(problems(`${SERVER}push "rout 10.0.0.0 255.0.0.0"\n`).errors[0]?.message).toContain(
      "did you mean 'route'?",
    );
    expect(errorCodes(`${SERVER}push "user nobody"\n`)).toEqual(['CONFIG_NOT_PUSHABLE']);
    expect(errorCodes(`${SERVER}push "ca other.crt"\n`)).toEqual(['CONFIG_NOT_PUSHABLE']);
    expect(errorCodes(`${SERVER}push "secret k"\n`)).toEqual(['CONFIG_REJECTED']);
    expect(errorCodes(`${SERVER}push "route"\n`)).toEqual(['CONFIG_BAD_PUSH']);
    expect(errorCodes(`${SERVER}push ""\n`)).toEqual(['CONFIG_BAD_PUSH']);
    expect(errorCodes(`${SERVER}push "route 10.0.0.0 \\\\x"\n`)).toEqual(['CONFIG_BAD_ESCAPE']);
    const warned = problems(`${SERVER}push "comp-lzo no"\npush "block-outside-dns"\n`);
    expect(warned.errors).toEqual([]);
    expect(warned.warnings.map((w) => [w.code, w.directive])).toEqual([
      ['CONFIG_IGNORED', 'push'],
      ['CONFIG_IGNORED', 'push'],
    ]);
    expect(server('push "comp-lzo no"').push).toEqual([]);
  });

  it('allows the options only a server may give a client', () => {
    expect(
      server('push "ifconfig-ipv6 fd00::2/64 fd00::1"\npush "topology subnet"\npush "ping 10"').push,
    ).toHaveLength(3);
  });
});

describe('command-line overrides', () => {
  it('split on --name, keeping the words after it as arguments', () => {
    expect(
      splitOverrides(['--verb', '4', '--route', '10.0.0.0', '255.0.0.0', '--nobind', '--mute=20']),
    ).toEqual([
      { name: 'verb', args: ['4'], location: COMMAND_LINE },
      { name: 'route', args: ['10.0.0.0', '255.0.0.0'], location: COMMAND_LINE },
      { name: 'nobind', args: [], location: COMMAND_LINE },
      { name: 'mute', args: ['20'], location: COMMAND_LINE },
    ]);
    expect(splitOverrides([])).toEqual([]);
    expect(() => splitOverrides(['4'])).toThrow(UsageError);
    expect(() => splitOverrides(['--'])).toThrow(UsageError);
  });

  it('replace single-valued directives and add to repeatable ones, without duplicate warnings', () => {
    const overrides = splitOverrides([
      '--verb',
      '4',
      '--remote',
      'vpn2.example.com',
      '1195',
      '--route',
      '10.5.0.0',
      '255.255.0.0',
    ]);
    const { errors, warnings } = problems(`${CLIENT}verb 3\nroute 10.4.0.0 255.255.0.0\n`, { overrides });
    expect([errors, warnings]).toEqual([[], []]);
    const c = client('verb 3\nroute 10.4.0.0 255.255.0.0\n', { overrides });
    expect(c.verb).toBe(4);
    expect(c.remotes.map((r) => r.host)).toEqual(['vpn.example.com', 'vpn2.example.com']);
    expect(c.routes.map((r) => r.network)).toEqual(['10.4.0.0', '10.5.0.0']);
    expect(c.locations.verb).toEqual(COMMAND_LINE);
  });

  it('report their problems at the command line', () => {
    const { errors } = problems(CLIENT, { overrides: splitOverrides(['--verbb', '4', '--port', 'x']) });
    expect(errors.map((e) => e.message)).toEqual([
      "(command line): 'verbb': unknown directive; did you mean 'verb'?",
      "(command line): 'port': 'x' is not a port number",
    ]);
  });

  it('take part in deciding the mode', () => {
    expect(errorCodes(SERVER, { overrides: splitOverrides(['--client']) })).toContain('CONFIG_MODE_CONFLICT');
    expect(
      errorCodes('remote h\nca ca.crt\ncert client.crt\nkey client.key\n', {
        overrides: splitOverrides(['--client']),
      }),
    ).toEqual([]);
  });
});

describe('client-config-dir files', () => {
  const ccd = (text: string) =>
    buildClientConfigDirFile(parseConfigText(text, { file: '/etc/pqvpn/ccd/alice', dir: '/etc/pqvpn/ccd' }), {
      files,
    });

  it('give one client an address, routes and pushes', () => {
    const f = ccd(
      'ifconfig-push 10.8.0.50 255.255.255.0\niroute 192.168.50.0 255.255.255.0\npush "route 192.168.60.0 255.255.255.0"\npush-reset\npush-remove dhcp-option\n',
    );
    expect(f).toMatchObject({
      ifconfigPush: { local: '10.8.0.50', netmask: '255.255.255.0' },
      iroutes: [{ network: '192.168.50.0', netmask: '255.255.255.0' }],
      pushReset: true,
      pushRemove: ['dhcp-option'],
      disable: false,
    });
    expect(f.push.map((p) => p.text)).toEqual(['route 192.168.60.0 255.255.255.0']);
    expect(ccd('disable\n').disable).toBe(true);
  });

  it('refuse main-config directives', () => {
    expect(() => ccd('verb 4\n')).toThrow(/not valid in a client-config-dir file/);
    expect(() => ccd('ifconfig-push 10.8.0.500 255.255.255.0\n')).toThrow(/is not an IPv4 address/);
  });
});
