import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildConfig } from '../../src/config/build.js';
import { memoryFileChecker } from '../../src/config/files.js';
import { loadConfigFile } from '../../src/config/load.js';
import { parseConfigText } from '../../src/config/tokenizer.js';
import { build, CLIENT, client, errorCodes, FILES, problems, SERVER } from './helpers.js';

describe('file arguments (in-memory file system)', () => {
  it('resolve against the config folder and must exist; the message names the resolved path', () => {
    const { errors } = problems('client\nremote h\nca missing/ca.crt\ncert client.crt\nkey client.key\n');
    expect(errors.map((e) => e.code)).toEqual(['CONFIG_FILE_MISSING']);
    expect(errors[0]?.message).toBe(
      "/etc/pqvpn/test.ovpn:3: 'ca': 'missing/ca.crt' (/etc/pqvpn/missing/ca.crt) does not exist",
    );
    expect(client('ca /etc/pqvpn/keys/ca.crt').ca).toEqual({ kind: 'file', path: '/etc/pqvpn/keys/ca.crt' });
  });

  it('cd changes the folder for the paths after it', () => {
    const c = build(
      'client\nremote h\ncert client.crt\ncd keys\nca ca.crt\ncd /etc/pqvpn\nkey client.key\n',
    ).config;
    expect(c.cert).toEqual({ kind: 'file', path: '/etc/pqvpn/client.crt' });
    expect(c.ca).toEqual({ kind: 'file', path: '/etc/pqvpn/keys/ca.crt' });
    expect(c.key).toEqual({ kind: 'file', path: '/etc/pqvpn/client.key' });
    expect(errorCodes(`${CLIENT}cd nowhere\n`)).toEqual(['CONFIG_FILE_MISSING']);
  });

  it('distinguish files, folders, programs and output files', () => {
    expect(errorCodes(`${CLIENT}ca keys\n`)).toEqual(['CONFIG_NOT_A_FILE']);
    expect(errorCodes(`${CLIENT}tmp-dir ca.crt\n`)).toEqual(['CONFIG_NOT_A_DIRECTORY']);
    expect(errorCodes(`${CLIENT}script-security 2\nup ca.crt\n`)).toEqual(['CONFIG_NOT_EXECUTABLE']);
    expect(errorCodes(`${CLIENT}status /var/nope/status.log\n`)).toEqual(['CONFIG_FILE_MISSING']);
    expect(errorCodes(`${CLIENT}status keys\n`)).toEqual(['CONFIG_NOT_A_FILE']);
    expect(client('status /var/log/pqvpn-status.log 30').status).toEqual({
      path: '/var/log/pqvpn-status.log',
      seconds: 30,
    });
    expect(errorCodes(`${SERVER}ifconfig-pool-persist /var/nope/ipp.txt\n`)).toEqual(['CONFIG_FILE_MISSING']);
    expect(errorCodes(`${CLIENT}crl-verify keys dir\n`)).toEqual([]);
    expect(errorCodes(`${CLIENT}crl-verify crl.pem dir\n`)).toEqual(['CONFIG_NOT_A_DIRECTORY']);
  });

  it('are not checked with checkFiles: false', () => {
    expect(
      errorCodes('client\nremote h\nca nope.crt\ncert nope.crt\nkey nope.key\n', { checkFiles: false }),
    ).toEqual([]);
  });

  it('warn when private files are readable by group or others', () => {
    const loose = memoryFileChecker({
      ...FILES,
      '/etc/pqvpn/client.key': { mode: 0o644 },
      '/etc/pqvpn/psk.key': { mode: 0o640 },
    });
    const { warnings } = problems(`${CLIENT}psk psk.key\n`, { files: loose });
    expect(warnings.map((w) => [w.code, w.directive])).toEqual([
      ['CONFIG_KEY_PERMISSIONS', 'key'],
      ['CONFIG_KEY_PERMISSIONS', 'psk'],
    ]);
    expect(warnings[0]?.message).toContain(
      "mode 0644); it holds secrets: run 'chmod 600 /etc/pqvpn/client.key'",
    );
  });

  it('refuse a password database others can read, as its loader does, and warn for group-readable', () => {
    const text = `${SERVER}verify-client-cert none\npassdb passdb\n`;
    expect(
      errorCodes(text, { files: memoryFileChecker({ ...FILES, '/etc/pqvpn/passdb': { mode: 0o644 } }) }),
    ).toEqual(['CONFIG_INSECURE_MODE']);
    const groupReadable = problems(text, {
      files: memoryFileChecker({ ...FILES, '/etc/pqvpn/passdb': { mode: 0o640 } }),
    });
    expect(groupReadable.errors).toEqual([]);
    expect(groupReadable.warnings.map((w) => w.code)).toEqual(['CONFIG_KEY_PERMISSIONS']);
  });

  it('warn when inline private keys sit in a config others can read', () => {
    const text = 'client\nremote h\nca ca.crt\ncert client.crt\n<key>\nK\n</key>\n';
    const readable = memoryFileChecker({ ...FILES, '/etc/pqvpn/test.ovpn': { mode: 0o644 } });
    expect(problems(text, { files: readable }).warnings.map((w) => w.code)).toEqual([
      'CONFIG_KEY_PERMISSIONS',
    ]);
    expect(problems(text).warnings).toEqual([]);
    const publicOnly = 'client\nremote h\n<ca>\nC\n</ca>\ncert client.crt\nkey client.key\n';
    expect(problems(publicOnly, { files: readable }).warnings).toEqual([]);
  });
});

describe('file arguments (real files)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(join(tmpdir(), 'pqvpn-config-'));
    for (const name of ['ca.crt', 'client.crt']) await fs.writeFile(join(dir, name), 'x', { mode: 0o644 });
    await fs.writeFile(join(dir, 'client.key'), 'secret', { mode: 0o600 });
    await fs.chmod(join(dir, 'client.key'), 0o644);
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('warns for a 0644 key file, as OpenVPN does', async () => {
    await fs.writeFile(
      join(dir, 'c.ovpn'),
      'client\nremote h\nca ca.crt\ncert client.crt\nkey client.key\n',
      { mode: 0o600 },
    );
    const { warnings } = await loadConfigFile(join(dir, 'c.ovpn'));
    expect(warnings.map((w) => [w.code, w.location?.line])).toEqual([['CONFIG_KEY_PERMISSIONS', 5]]);
    await fs.chmod(join(dir, 'client.key'), 0o600);
    expect((await loadConfigFile(join(dir, 'c.ovpn'))).warnings).toEqual([]);
  });

  it('resolves paths against the config folder, not the working directory', async () => {
    await fs.writeFile(join(dir, 'c.ovpn'), CLIENT);
    const parsed = parseConfigText(CLIENT, { file: 'c.ovpn', dir });
    expect(buildConfig(parsed).config.ca).toEqual({ kind: 'file', path: join(dir, 'ca.crt') });
  });

  it('reports unreadable config files as config errors', async () => {
    await expect(loadConfigFile(join(dir, 'none.ovpn'))).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      errors: [{ code: 'CONFIG_FILE_MISSING' }],
    });
    await expect(loadConfigFile(dir)).rejects.toMatchObject({ errors: [{ code: 'CONFIG_NOT_A_FILE' }] });
    await fs.writeFile(join(dir, 'latin1.ovpn'), Buffer.from([0x63, 0xe9, 0x0a]));
    await expect(loadConfigFile(join(dir, 'latin1.ovpn'))).rejects.toMatchObject({
      errors: [{ code: 'CONFIG_NOT_UTF8' }],
    });
  });
});
