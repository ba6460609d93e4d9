import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthenticator, effectiveCommonName, scriptEnvironment } from '../../src/auth/index.js';
import { createPassdbAuthenticator } from '../../src/auth/passdb-authenticator.js';
import { loadConfigFile } from '../../src/config/index.js';
import type { ServerConfig } from '../../src/config/model.js';
import { Logger } from '../../src/log.js';
import { addUser } from '../../src/passdb/store.js';
import { FAST, OPEN_LIMITS } from '../passdb/helpers.js';
import { CHECK, readRecords, writeScript } from './scripts.js';

let dir: string;
const enc = (s: string) => new TextEncoder().encode(s);
const req = (username: string | undefined, password: string | undefined) => ({
  ...(username !== undefined ? { username } : {}),
  ...(password !== undefined ? { password: enc(password) } : {}),
  untrustedIp: '198.51.100.4',
  untrustedPort: 5555,
});

beforeAll(async () => {
  dir = await fs.mkdtemp(join(tmpdir(), 'pqvpn-createauth-'));
  await addUser(join(dir, 'passdb'), 'alice', 'correct horse', { params: FAST, limits: OPEN_LIMITS });
  for (const f of ['ca.crt', 'server.crt']) await fs.writeFile(join(dir, f), 'x');
  await fs.writeFile(join(dir, 'server.key'), 'x', { mode: 0o600 });
  await writeScript(dir, 'check.sh', CHECK);
});
afterAll(() => fs.rm(dir, { recursive: true, force: true }));

async function server(extra: string): Promise<ServerConfig> {
  const path = join(dir, 'server.ovpn');
  await fs.writeFile(
    path,
    `server 10.8.0.0 255.255.255.0\ndev tun\nca ca.crt\ncert server.crt\nkey server.key\n${extra}`,
  );
  return (await loadConfigFile(path)).config as ServerConfig;
}

describe('createAuthenticator', () => {
  it('certificate-only server: no authenticator', async () => {
    expect(await createAuthenticator(await server(''))).toBeUndefined();
  });

  it('passdb: right password accepted; wrong password and unknown user rejected with log-only reasons; bytes wiped', async () => {
    const auth = (await createAuthenticator(await server('passdb passdb\n'), {
      passdb: { limits: OPEN_LIMITS },
    }))!;
    const ok = req('alice', 'correct horse');
    expect(await auth.authenticate(ok)).toEqual({ ok: true, username: 'alice' });
    expect([...ok.password!].every((b) => b === 0)).toBe(true);
    const wrong = req('alice', 'battery staple');
    expect(await auth.authenticate(wrong)).toEqual({ ok: false, reason: 'wrong password for "alice"' });
    expect([...wrong.password!].every((b) => b === 0)).toBe(true);
    expect(await auth.authenticate(req('bob', 'x'))).toEqual({ ok: false, reason: 'unknown user "bob"' });
    expect(await auth.authenticate(req(undefined, undefined))).toMatchObject({ ok: false });
  });

  it('passdb: a missing database fails at start-up; a failing verify is a rejection, not a throw', async () => {
    await expect(
      createAuthenticator(
        await server(`passdb ${join(dir, 'passdb')}\n`).then((c) => ({ ...c, passdb: join(dir, 'gone') })),
      ),
    ).rejects.toMatchObject({
      code: 'PASSDB_NOT_FOUND',
    });
    const broken = createPassdbAuthenticator({
      verify: () => Promise.reject(new Error('disk on fire')),
    });
    const r = req('alice', 'correct horse');
    expect(await broken.authenticate(r)).toEqual({
      ok: false,
      reason: 'password database error: disk on fire',
    });
    expect([...r.password!].every((b) => b === 0)).toBe(true);
  });

  it('auth-user-pass-verify: the script gets the OpenVPN start-up variables and setenv', async () => {
    const config = await server(
      `script-security 2\nauth-user-pass-verify "check.sh" via-file\nsetenv SITE lab\nverb 4\ntmp-dir ${dir}\n`,
    );
    const auth = (await createAuthenticator(config, { dev: 'tun7' }))!;
    expect(await auth.authenticate(req('alice', 'correct horse'))).toEqual({ ok: true, username: 'alice' });
    const [rec] = await readRecords(dir);
    expect(rec!.env).toMatchObject({
      SITE: 'lab',
      verb: '4',
      dev: 'tun7',
      config: join(dir, 'server.ovpn'),
      proto_1: 'udp',
      local_port_1: '1194',
      tun_mtu: '1500',
      daemon: '0',
      script_type: 'user-pass-verify',
      untrusted_ip: '198.51.100.4',
    });
    expect(scriptEnvironment(config).dev).toBe('tun');
  });

  it('logs nothing with the password (passdb re-read messages included)', async () => {
    const lines: string[] = [];
    const logger = new Logger({ verb: 11, sink: (l) => lines.push(l) });
    const auth = (await createAuthenticator(await server('passdb passdb\n'), {
      logger,
      passdb: { limits: OPEN_LIMITS },
    }))!;
    await auth.authenticate(req('alice', 'PW-never-logged'));
    expect(lines.join('\n')).not.toContain('PW-never-logged');
  });
});

describe('effectiveCommonName (username-as-common-name)', () => {
  it('uses the username when enabled and present, else the certificate CN', () => {
    expect(effectiveCommonName(true, { commonName: 'laptop', username: 'alice' })).toBe('alice');
    expect(effectiveCommonName(false, { commonName: 'laptop', username: 'alice' })).toBe('laptop');
    expect(effectiveCommonName(true, { commonName: 'laptop' })).toBe('laptop');
    expect(effectiveCommonName(true, {})).toBeUndefined();
  });
});
