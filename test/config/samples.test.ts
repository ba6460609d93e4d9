/**
 * Real-world configs: pqvpn's own fixtures in the shape of OpenVPN's samples,
 * OpenVPN's sample files as Debian ships them, and the example configs in configs/.
 */
import { existsSync, promises as fs, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildConfig, InvalidConfigError } from '../../src/config/build.js';
import { memoryFileChecker } from '../../src/config/files.js';
import { loadConfigFile } from '../../src/config/load.js';
import { directiveSpec } from '../../src/config/table.js';
import { parseConfigText, splitLine } from '../../src/config/tokenizer.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
const CONFIGS = fileURLToPath(new URL('../../configs/', import.meta.url));

function buildFile(path: string, options: Parameters<typeof buildConfig>[1]) {
  const dir = path.slice(0, path.lastIndexOf('/'));
  return buildConfig(parseConfigText(readFileSync(path, 'utf8'), { file: path, dir }), options);
}

describe('fixtures in the shape of OpenVPN sample configs', () => {
  const at = (name: string, mode = 0o644) => [join(FIXTURES, name), { mode }] as const;
  const files = memoryFileChecker(
    Object.fromEntries([
      [FIXTURES.replace(/\/$/, ''), { type: 'directory' }],
      [join(FIXTURES, 'ccd'), { type: 'directory' }],
      at('ca.crt'),
      at('server.crt'),
      at('server.key', 0o600),
      at('client.crt'),
      at('client.key', 0o600),
      at('tls-crypt.key', 0o600),
    ]),
  );

  it('server.conf parses, warning about dh, tls-auth, cipher and comp-lzo', () => {
    const { config, warnings } = buildFile(join(FIXTURES, 'server.conf'), { files });
    expect(config.mode).toBe('server');
    expect(warnings.map((w) => [w.directive, w.location?.line])).toEqual([
      ['dh', 33],
      ['tls-auth', 73],
      ['cipher', 79],
      ['comp-lzo', 82],
    ]);
    expect(config.mode === 'server' && config.push.map((p) => p.text)).toEqual([
      'route 192.168.10.0 255.255.255.0',
      'route 192.168.20.0 255.255.255.0',
      'redirect-gateway def1 bypass-dhcp',
      'dhcp-option DNS 208.67.222.222',
      'dhcp-option DNS 208.67.220.220',
      'ping 10',
      'ping-restart 120',
    ]);
  });

  it('client.conf parses, warning about mute-replay-warnings, tls-auth, key-direction, cipher, comp-lzo and the optional Windows option', () => {
    const { config, warnings } = buildFile(join(FIXTURES, 'client.conf'), { files });
    expect(config.mode === 'client' && config.remotes.map((r) => r.host)).toEqual([
      'my-server-1',
      'my-server-2',
    ]);
    expect(warnings.map((w) => [w.code, w.directive])).toEqual([
      ['CONFIG_IGNORED', 'mute-replay-warnings'],
      ['CONFIG_IGNORED', 'tls-auth'],
      ['CONFIG_IGNORED', 'key-direction'],
      ['CONFIG_IGNORED', 'cipher'],
      ['CONFIG_IGNORED', 'comp-lzo'],
      ['CONFIG_IGNORED', 'block-outside-dns'],
    ]);
  });
});

const DEBIAN_SAMPLES = '/usr/share/doc/openvpn/examples/sample-config-files';
const haveSamples = existsSync(DEBIAN_SAMPLES);
/** The test title, with the reason appended when it will be skipped. */
const needsOpenvpn = (present: boolean, title: string) =>
  present ? title : `${title} — SKIPPED: the openvpn package is not installed (apt-get install openvpn)`;
/** Every config-looking sample: *.conf, plus OpenVPN's extension-less loopback-* files. */
const samples = haveSamples
  ? readdirSync(DEBIAN_SAMPLES).filter((f) => f.endsWith('.conf') || f.startsWith('loopback-'))
  : [];

/** Codes a sample may produce: specific refusals, never "unknown directive" or a syntax error. */
const SPECIFIC_REFUSALS = new Set([
  'CONFIG_REJECTED',
  'CONFIG_UNSUPPORTED_VALUE',
  'CONFIG_P2P_UNSUPPORTED',
  'CONFIG_MISSING_REQUIRED',
  'CONFIG_WRONG_MODE',
]);

function sampleProblems(text: string, file: string) {
  try {
    const { warnings } = buildConfig(parseConfigText(text, { file, dir: DEBIAN_SAMPLES }), {
      checkFiles: false,
    });
    return { errors: [] as { code: string; directive: string | undefined }[], warnings };
  } catch (e) {
    if (!(e instanceof InvalidConfigError)) throw e;
    return { errors: e.errors.map((x) => ({ code: x.code, directive: x.directive })), warnings: e.warnings };
  }
}

describe('OpenVPN sample configs shipped by Debian', () => {
  it.skipIf(!haveSamples)(
    needsOpenvpn(
      haveSamples,
      `every sample in ${DEBIAN_SAMPLES} parses and uses only directives pqvpn knows`,
    ),
    () => {
      expect(samples.length).toBeGreaterThan(0);
      for (const name of samples) {
        const { errors } = sampleProblems(readFileSync(join(DEBIAN_SAMPLES, name), 'utf8'), name);
        for (const e of errors)
          expect(SPECIFIC_REFUSALS.has(e.code), `${name}: ${e.code} for ${e.directive}`).toBe(true);
      }
    },
  );

  it.skipIf(!haveSamples)(
    needsOpenvpn(haveSamples, 'every commented-out directive in the samples is known too'),
    () => {
      for (const name of samples) {
        for (const line of readFileSync(join(DEBIAN_SAMPLES, name), 'utf8').split('\n')) {
          const m = line.match(/^;\s*([a-z].*)$/);
          if (!m?.[1]) continue;
          const [directive] = splitLine(m[1].replace(/\[[^\]]*\]/g, 'x'));
          expect(directiveSpec(directive ?? ''), `${name}: ${line}`).toBeDefined();
        }
      }
    },
  );

  const serverConf = join(DEBIAN_SAMPLES, 'server.conf');
  const clientConf = join(DEBIAN_SAMPLES, 'client.conf');
  it.skipIf(!existsSync(serverConf) || !existsSync(clientConf))(
    needsOpenvpn(
      existsSync(serverConf) && existsSync(clientConf),
      'server.conf and client.conf build, with only the dh warning',
    ),
    () => {
      expect(sampleProblems(readFileSync(serverConf, 'utf8'), 'server.conf').errors).toEqual([]);
      expect(
        sampleProblems(readFileSync(serverConf, 'utf8'), 'server.conf').warnings.map((w) => w.directive),
      ).toEqual(['dh']);
      expect(sampleProblems(readFileSync(clientConf, 'utf8'), 'client.conf')).toEqual({
        errors: [],
        warnings: [],
      });
    },
  );

  it.skipIf(!existsSync(serverConf))(
    needsOpenvpn(
      existsSync(serverConf),
      "server.conf's TAP, bridge, TCP and learn-address alternatives are refused specifically",
    ),
    () => {
      const text = readFileSync(serverConf, 'utf8');
      const enable = (pattern: RegExp) => text.replace(pattern, (l) => l.slice(1));
      const cases: [RegExp, string, string][] = [
        [/^;dev tap$/m, 'CONFIG_UNSUPPORTED_VALUE', 'dev'],
        [/^;proto tcp$/m, 'CONFIG_UNSUPPORTED_VALUE', 'proto'],
        [/^;server-bridge 10.*$/m, 'CONFIG_REJECTED', 'server-bridge'],
        [/^;learn-address .*$/m, 'CONFIG_REJECTED', 'learn-address'],
      ];
      for (const [pattern, code, directive] of cases) {
        expect(pattern.test(text), `${pattern} is in server.conf`).toBe(true);
        expect(sampleProblems(enable(pattern), 'server.conf').errors).toContainEqual({ code, directive });
      }
    },
  );

  const loopback = join(DEBIAN_SAMPLES, 'loopback-client');
  it.skipIf(!existsSync(loopback))(
    needsOpenvpn(
      existsSync(loopback),
      'the loopback test config is refused for point-to-point mode and dev null',
    ),
    () => {
      const { errors, warnings } = sampleProblems(readFileSync(loopback, 'utf8'), 'loopback-client');
      expect(errors).toEqual([
        { code: 'CONFIG_UNSUPPORTED_VALUE', directive: 'dev' },
        { code: 'CONFIG_P2P_UNSUPPORTED', directive: 'tls-client' },
      ]);
      expect(warnings.map((w) => w.directive)).toEqual(['key-direction', 'tls-auth', 'cipher']);
    },
  );
});

describe('the example configs in configs/', () => {
  let dir: string;
  const PRIVATE = ['server.key', 'client.key', 'tls-crypt.key', 'passdb', 'client-passdb.auth'];
  const PUBLIC = ['ca.crt', 'server.crt', 'client.crt'];

  beforeAll(async () => {
    dir = await fs.mkdtemp(join(tmpdir(), 'pqvpn-configs-'));
    await fs.mkdir(join(dir, 'sample-keys'));
    for (const name of PUBLIC) await fs.writeFile(join(dir, 'sample-keys', name), 'dummy\n', { mode: 0o644 });
    for (const name of PRIVATE)
      await fs.writeFile(join(dir, 'sample-keys', name), 'dummy\n', { mode: 0o600 });
    for (const name of readdirSync(CONFIGS).filter((f) => f.endsWith('.ovpn')))
      await fs.copyFile(join(CONFIGS, name), join(dir, name));
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  for (const [name, mode] of [
    ['server.ovpn', 'server'],
    ['client.ovpn', 'client'],
    ['server-passdb.ovpn', 'server'],
    ['client-passdb.ovpn', 'client'],
  ] as const) {
    it(`${name} is a valid ${mode} config with no warnings`, async () => {
      const { config, warnings } = await loadConfigFile(join(dir, name));
      expect(warnings).toEqual([]);
      expect(config.mode).toBe(mode);
      expect(config.tlsCrypt).toEqual({ kind: 'file', path: join(dir, 'sample-keys', 'tls-crypt.key') });
    });
  }

  it('the passdb pair logs in by password only', async () => {
    const s = (await loadConfigFile(join(dir, 'server-passdb.ovpn'))).config;
    const c = (await loadConfigFile(join(dir, 'client-passdb.ovpn'))).config;
    expect(s.mode === 'server' && [s.verifyClientCert, s.passdb, s.usernameAsCommonName]).toEqual([
      'none',
      join(dir, 'sample-keys', 'passdb'),
      true,
    ]);
    expect(c.mode === 'client' && [c.cert, c.key, c.authUserPass]).toEqual([
      undefined,
      undefined,
      { source: { kind: 'file', path: join(dir, 'sample-keys', 'client-passdb.auth') } },
    ]);
  });

  it('every commented-out directive in them is valid when enabled', async () => {
    for (const name of readdirSync(CONFIGS).filter((f) => f.endsWith('.ovpn'))) {
      const text = readFileSync(join(CONFIGS, name), 'utf8');
      for (const line of text.split('\n').filter((l) => /^;[a-z]/.test(l))) {
        const [directive] = splitLine(line.slice(1));
        expect(directiveSpec(directive ?? '')?.status, `${name}: ${line}`).toBe('supported');
      }
    }
  });
});
