import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthRequest } from '../../src/auth/authenticator.js';
import { createScriptAuthenticator } from '../../src/auth/script-authenticator.js';
import { CHATTY, CHECK, EXIT_WITH, HANG, LEAKY, readRecords, SLOW_OK, writeScript } from './scripts.js';

let dir: string;
let tmp: string;
const enc = (s: string) => new TextEncoder().encode(s);
const request = (username: string, password: string, extra: Partial<AuthRequest> = {}): AuthRequest => ({
  username,
  password: enc(password),
  untrustedIp: '192.0.2.7',
  untrustedPort: 40000,
  ...extra,
});

beforeAll(async () => {
  dir = await fs.mkdtemp(join(tmpdir(), 'pqvpn-auth-'));
  tmp = join(dir, 'tmp');
  await fs.mkdir(tmp);
});
afterAll(() => fs.rm(dir, { recursive: true, force: true }));

describe('auth-user-pass-verify via-file', () => {
  it('accepts the right password, passes the file last after the script arguments, mode 0600, then deletes it', async () => {
    const command = await writeScript(dir, 'check.sh', CHECK, ['--realm', 'vpn']);
    const auth = createScriptAuthenticator({ command, method: 'via-file', scriptSecurity: 2, tmpDir: tmp });
    const req = request('alice', 'correct horse', { commonName: 'alice-laptop' });
    expect(await auth.authenticate(req)).toEqual({ ok: true, username: 'alice' });
    expect([...req.password!].every((b) => b === 0)).toBe(true); // wiped
    const [rec] = await readRecords(dir);
    expect(rec!.argc).toBe(3);
    expect(rec!.args).toMatch(new RegExp(`^--realm vpn ${tmp}/pqvpn_up_[0-9a-f]{32}\\.tmp$`));
    expect(rec!.mode).toBe('600');
    expect(rec!.env).toMatchObject({
      script_type: 'user-pass-verify',
      untrusted_ip: '192.0.2.7',
      untrusted_port: '40000',
      common_name: 'alice-laptop',
      X509_0_CN: 'alice-laptop',
    });
    // via-file: no username/password in the environment (OpenVPN sets them for via-env only).
    expect(rec!.env.username).toBeUndefined();
    expect(rec!.env.password).toBeUndefined();
    expect(await fs.readdir(tmp)).toEqual([]);
  });

  it('rejects a wrong password and an unknown user, and still deletes the file', async () => {
    const command = await writeScript(dir, 'check.sh', CHECK);
    const auth = createScriptAuthenticator({ command, method: 'via-file', scriptSecurity: 2, tmpDir: tmp });
    const wrong = await auth.authenticate(request('alice', 'wrong'));
    expect(wrong).toMatchObject({ ok: false, reason: expect.stringContaining("rejected 'alice' (exit 1)") });
    expect((await auth.authenticate(request('mallory', 'correct horse'))).ok).toBe(false);
    await readRecords(dir);
    expect(await fs.readdir(tmp)).toEqual([]);
  });

  it('an IPv6 client is untrusted_ip6; the server environment is not inherited; PATH is set', async () => {
    process.env.PQVPN_TEST_SERVER_SECRET = 'do-not-leak';
    try {
      const command = await writeScript(dir, 'check.sh', CHECK);
      const auth = createScriptAuthenticator({
        command,
        method: 'via-file',
        scriptSecurity: 2,
        tmpDir: tmp,
        env: { dev: 'tun0', verb: '3' },
      });
      await auth.authenticate(request('alice', 'correct horse', { untrustedIp: '2001:db8::7' }));
      const [rec] = await readRecords(dir);
      expect(rec!.env.untrusted_ip6).toBe('2001:db8::7');
      expect(rec!.env.untrusted_ip).toBeUndefined();
      expect(rec!.env.PQVPN_TEST_SERVER_SECRET).toBeUndefined();
      expect(rec!.env).toMatchObject({ dev: 'tun0', verb: '3' });
      expect(rec!.env.PATH).toContain('/usr/bin');
    } finally {
      delete process.env.PQVPN_TEST_SERVER_SECRET;
    }
  });
});

describe('auth-user-pass-verify via-env', () => {
  it('sets username and password in the environment and accepts/rejects by exit status', async () => {
    const command = await writeScript(dir, 'check.sh', CHECK);
    const auth = createScriptAuthenticator({ command, method: 'via-env', scriptSecurity: 3 });
    expect(await auth.authenticate(request('alice', 'correct horse'))).toEqual({
      ok: true,
      username: 'alice',
    });
    const [rec] = await readRecords(dir);
    expect(rec!.env).toMatchObject({
      username: 'alice',
      password: 'correct horse',
      script_type: 'user-pass-verify',
    });
    expect(rec!.argc).toBe(0);
    expect((await auth.authenticate(request('alice', 'nope'))).ok).toBe(false);
    await readRecords(dir);
  });

  it('needs script-security 3 (2 for via-file)', async () => {
    const command = await writeScript(dir, 'check.sh', CHECK);
    expect(() => createScriptAuthenticator({ command, method: 'via-env', scriptSecurity: 2 })).toThrow(
      expect.objectContaining({ code: 'AUTH_SCRIPT_SECURITY' }),
    );
    expect(() => createScriptAuthenticator({ command, method: 'via-file', scriptSecurity: 1 })).toThrow(
      expect.objectContaining({ code: 'AUTH_SCRIPT_SECURITY' }),
    );
  });

  it('never puts the password in the reason, even when the script prints it', async () => {
    const command = await writeScript(dir, 'leaky.sh', LEAKY);
    const auth = createScriptAuthenticator({ command, method: 'via-env', scriptSecurity: 3 });
    const r = await auth.authenticate(request('alice', 'Sup3r-Secret'));
    expect(r.ok).toBe(false);
    const reason = (r as { reason: string }).reason;
    expect(reason).toContain('bad password: [redacted] (for alice)');
    expect(reason).not.toContain('Sup3r-Secret');
  });
});

describe('script outcomes', () => {
  it('exit 2 (deferred) is rejected with an explanation; other codes reject', async () => {
    for (const [code, text] of [
      ['2', 'deferred authentication is not supported'],
      ['3', 'exit 3'],
    ] as const) {
      const command = await writeScript(dir, 'exit.sh', EXIT_WITH, [code]);
      const auth = createScriptAuthenticator({ command, method: 'via-file', scriptSecurity: 2, tmpDir: tmp });
      expect(await auth.authenticate(request('alice', 'pw'))).toMatchObject({
        ok: false,
        reason: expect.stringContaining(text),
      });
    }
    expect(await fs.readdir(tmp)).toEqual([]);
  });

  it('a script that hangs is killed with its children at the timeout, and the temp file is removed', async () => {
    const command = await writeScript(dir, 'hang.sh', HANG);
    const auth = createScriptAuthenticator({
      command,
      method: 'via-file',
      scriptSecurity: 2,
      tmpDir: tmp,
      timeoutMs: 300,
    });
    const started = Date.now();
    const r = await auth.authenticate(request('alice', 'pw'));
    expect(Date.now() - started).toBeLessThan(5000);
    expect(r).toMatchObject({ ok: false, reason: expect.stringContaining('within 300 ms and was killed') });
    expect(await fs.readdir(tmp)).toEqual([]);
    const child = Number(await fs.readFile(join(dir, 'hang-child.pid'), 'utf8'));
    await new Promise((res) => setTimeout(res, 100));
    // The grandchild is gone too (or a zombie nobody reaped: PID 1 of a container may not reap).
    const stat = await fs.readFile(`/proc/${child}/stat`, 'utf8').catch(() => '');
    expect(stat === '' || / [ZX] /.test(stat.slice(stat.lastIndexOf(')')))).toBe(true);
  });

  it('bounded output: a chatty script neither blocks nor floods the reason', async () => {
    const command = await writeScript(dir, 'chatty.sh', CHATTY);
    const auth = createScriptAuthenticator({ command, method: 'via-file', scriptSecurity: 2, tmpDir: tmp });
    const r = await auth.authenticate(request('alice', 'pw'));
    expect(r).toMatchObject({ ok: false });
    expect((r as { reason: string }).reason.length).toBeLessThan(400);
  });

  it('a missing script or a script that is not executable rejects (fail closed)', async () => {
    const missing = { line: join(dir, 'nope.sh'), argv: [join(dir, 'nope.sh')] };
    const auth = createScriptAuthenticator({
      command: missing,
      method: 'via-file',
      scriptSecurity: 2,
      tmpDir: tmp,
    });
    expect(await auth.authenticate(request('alice', 'pw'))).toMatchObject({
      ok: false,
      reason: expect.stringContaining('ENOENT'),
    });
    const path = join(dir, 'noexec.sh');
    await fs.writeFile(path, CHECK, { mode: 0o644 });
    const noexec = createScriptAuthenticator({
      command: { line: path, argv: [path] },
      method: 'via-file',
      scriptSecurity: 2,
      tmpDir: tmp,
    });
    expect(await noexec.authenticate(request('alice', 'correct horse'))).toMatchObject({
      ok: false,
      reason: expect.stringContaining('EACCES'),
    });
    expect(await fs.readdir(tmp)).toEqual([]);
  });

  it('refuses usernames OpenVPN would remap and passwords with control characters or invalid UTF-8, without running the script', async () => {
    const command = await writeScript(dir, 'check.sh', CHECK);
    const auth = createScriptAuthenticator({ command, method: 'via-env', scriptSecurity: 3 });
    for (const req of [
      request('al ice', 'correct horse'),
      request('alice;rm', 'correct horse'),
      request('alice', 'correct\thorse'),
      { ...request('alice', ''), password: Uint8Array.of(0xff, 0xfe) },
      { untrustedIp: '192.0.2.1', untrustedPort: 1 },
    ]) {
      expect((await auth.authenticate(req)).ok).toBe(false);
    }
    expect(await readRecords(dir)).toEqual([]);
  });

  it('accepts non-ASCII UTF-8 passwords unchanged', async () => {
    const script = `#!/bin/sh\n[ "$password" = "pässwörd" ] && exit 0\nexit 1\n`;
    const command = await writeScript(dir, 'utf8.sh', script);
    const auth = createScriptAuthenticator({ command, method: 'via-env', scriptSecurity: 3 });
    expect((await auth.authenticate(request('alice', 'pässwörd'))).ok).toBe(true);
  });

  it('runs at most maxConcurrent scripts and rejects beyond maxQueued waiting', async () => {
    const command = await writeScript(dir, 'slow.sh', SLOW_OK);
    const auth = createScriptAuthenticator({
      command,
      method: 'via-file',
      scriptSecurity: 2,
      tmpDir: tmp,
      maxConcurrent: 1,
      maxQueued: 1,
    });
    const results = await Promise.all([1, 2, 3].map(() => auth.authenticate(request('alice', 'pw'))));
    expect(results.map((r) => r.ok)).toEqual([true, true, false]);
    expect(results[2]).toMatchObject({ reason: expect.stringContaining('too many') });
  });
});
