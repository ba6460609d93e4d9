import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { run } from '../../src/cli/main.js';
import { fakeIO, modeOf, tempDir } from './helpers.js';

// These go through `run` exactly as the installed command does, so they hash with the real default
// parameters (about 90 ms each); each test keeps the number of hashes small.

let dir: string;
let db: string;
beforeEach(async () => {
  dir = await tempDir('pqvpn-passwd-cli-');
  db = join(dir, 'passdb');
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

async function passwd(args: string[], input: Parameters<typeof fakeIO>[0] = {}) {
  const fake = fakeIO(input);
  const code = await run(['passwd', ...args], fake.io);
  return { code, ...fake };
}

describe('pqvpn passwd', () => {
  it('adds from stdin, checks (exit 0 / 1), lists and deletes', async () => {
    const add = await passwd(['add', 'alice', '--db', db, '--stdin'], { stdin: 's3cret pass\nignored\n' });
    expect(add).toMatchObject({ code: 0, out: [`added user alice to ${db}`], err: [] });
    expect(await modeOf(db)).toBe(0o600);
    expect(await fs.readFile(db, 'utf8')).toMatch(/\nalice:\$scrypt\$ln=15,r=8,p=1\$/);

    const good = await passwd(['check', 'alice', '--db', db, '--stdin'], { stdin: 's3cret pass\r\n' });
    expect(good).toMatchObject({ code: 0, out: ['alice: password matches'] });
    const bad = await passwd(['check', 'alice', '--db', db, '--stdin'], { stdin: 's3cret pass2\n' });
    expect(bad).toMatchObject({ code: 1, out: ['alice: password does not match'], err: [] });
    const unknown = await passwd(['check', 'bob', '--db', db, '--stdin'], { stdin: 'x\n' });
    expect(unknown).toMatchObject({ code: 1, out: ['bob: no such user'] });

    expect((await passwd(['list', '--db', db])).out).toEqual(['alice']);
    expect((await passwd(['list', '--db', db, '--long'])).out).toEqual(['alice\tscrypt ln=15,r=8,p=1']);
    expect(await passwd(['del', 'alice', '--db', db])).toMatchObject({
      code: 0,
      out: [`deleted user alice from ${db}`],
    });
    expect((await passwd(['list', '--db', db])).out).toEqual([]);
  });

  it('asks twice on a terminal, and refuses a mismatched confirmation without writing', async () => {
    const ok = await passwd(['add', 'alice', '--db', db], { prompts: ['pw one', 'pw one'] });
    expect(ok.code).toBe(0);
    expect(ok.asked).toEqual(['Password: ', 'Repeat password: ']);
    const before = await fs.readFile(db, 'utf8');

    const mismatch = await passwd(['set', 'alice', '--db', db], { prompts: ['pw two', 'pw tow'] });
    expect(mismatch.code).toBe(2);
    expect(mismatch.err[0]).toBe('ERROR: the two passwords do not match; nothing was changed');
    expect(await fs.readFile(db, 'utf8')).toBe(before);

    const check = await passwd(['check', 'alice', '--db', db], { prompts: ['pw one'] });
    expect(check).toMatchObject({ code: 0, asked: ['Password: '] });
  });

  it('refuses an empty password (before asking for the confirmation) and an empty stdin', async () => {
    const prompt = await passwd(['add', 'alice', '--db', db], { prompts: ['', ''] });
    expect(prompt).toMatchObject({ code: 2, asked: ['Password: '] });
    expect(prompt.err[0]).toBe('ERROR: the password must not be empty');
    const stdin = await passwd(['add', 'alice', '--db', db, '--stdin'], { stdin: '\nsecond line\n' });
    expect(stdin.code).toBe(2);
    expect(stdin.err[0]).toMatch(/must not be empty/);
    const nothing = await passwd(['add', 'alice', '--db', db, '--stdin'], { stdin: '' });
    expect(nothing.code).toBe(2);
    await expect(fs.stat(db)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('asks for --stdin when there is no terminal', async () => {
    const result = await passwd(['add', 'alice', '--db', db], { prompts: [undefined] });
    expect(result.code).toBe(2);
    expect(result.err[0]).toMatch(/not a terminal; pass the password with --stdin/);
  });

  it('refuses a bad username, a duplicate add, and del/set of an unknown user', async () => {
    const badName = await passwd(['add', 'bad:name', '--db', db, '--stdin'], { stdin: 'pw\n' });
    expect(badName.code).toBe(2);
    expect(badName.err[0]).toMatch(/^ERROR: invalid username "bad:name"/);

    await passwd(['add', 'alice', '--db', db, '--stdin'], { stdin: 'pw\n' });
    const dup = await passwd(['add', 'alice', '--db', db, '--stdin'], { stdin: 'pw\n' });
    expect(dup.code).toBe(1);
    expect(dup.err[0]).toMatch(/user "alice" already exists .*use 'pqvpn passwd set'/);

    const del = await passwd(['del', 'bob', '--db', db]);
    expect(del.code).toBe(1);
    expect(del.err[0]).toMatch(/no user "bob"/);
    const set = await passwd(['set', 'bob', '--db', db, '--stdin'], { stdin: 'pw\n' });
    expect(set.code).toBe(1);
  });

  it('requires --db, an action, and well-formed --scrypt within the limits', async () => {
    const noDb = await passwd(['list']);
    expect(noDb.code).toBe(2);
    expect(noDb.err[0]).toMatch(/--db FILE/);
    expect((await passwd(['--db', db])).code).toBe(2);
    const malformed = await passwd(['add', 'a', '--db', db, '--stdin', '--scrypt', 'N=1024'], {
      stdin: 'p\n',
    });
    expect(malformed.code).toBe(2);
    expect(malformed.err[0]).toMatch(/--scrypt must look like ln=15,r=8,p=1/);
    const weak = await passwd(['add', 'a', '--db', db, '--stdin', '--scrypt', 'ln=10,r=8,p=1'], {
      stdin: 'p\n',
    });
    expect(weak.code).toBe(2);
    expect(weak.err[0]).toMatch(/too weak/);
  });

  it('reports a malformed database with file:line and exit code 2', async () => {
    await fs.writeFile(db, '# header\nalice:nothash\n', { mode: 0o600 });
    const result = await passwd(['list', '--db', db]);
    expect(result.code).toBe(2);
    expect(result.err[0]).toBe(`ERROR: ${db}:2: user "alice": expected $scrypt$ln=N,r=R,p=P$<salt>$<hash>`);
  });

  it('has help with examples', async () => {
    const top = await passwd(['--help']);
    expect(top.code).toBe(0);
    expect(top.out.join('\n')).toMatch(/Examples:[\s\S]*passwd add alice --db/);
    const add = await passwd(['add', '--help']);
    expect(add.code).toBe(0);
    expect(add.out.join('\n')).toMatch(/--stdin/);
  });
});
