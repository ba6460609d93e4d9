import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addUser, deleteUser, readPassdbFile, setPassword } from '../../src/passdb/store.js';
import { verifyPassword } from '../../src/passdb/verify.js';
import { countingScrypt, fast, modeOf, OPEN_LIMITS, tempDir } from './helpers.js';

let dir: string;
let db: string;
beforeEach(async () => {
  dir = await tempDir();
  db = join(dir, 'passdb');
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const read = () => readPassdbFile(db, { limits: OPEN_LIMITS });

describe('addUser', () => {
  it('creates the database with mode 0600 and the entry verifies', async () => {
    await addUser(db, 'alice', 'secret one', fast);
    expect(await modeOf(db)).toBe(0o600);
    const text = await fs.readFile(db, 'utf8');
    expect(text).toMatch(/^# pqvpn password database/);
    expect(text).toMatch(/\nalice:\$scrypt\$ln=4,r=1,p=1\$/);
    expect(text).not.toContain('secret one');
    expect(await verifyPassword(await read(), 'alice', 'secret one')).toEqual({ ok: true });
    expect(await fs.readdir(dir)).toEqual(['passdb']); // no lock or temp file left
  });

  it('refuses an existing user, also in another case, without hashing', async () => {
    await addUser(db, 'alice', 'pw', fast);
    const { scrypt, calls } = countingScrypt();
    await expect(addUser(db, 'alice', 'pw2', { ...fast, scrypt })).rejects.toMatchObject({
      code: 'PASSDB_USER_EXISTS',
    });
    await expect(addUser(db, 'ALICE', 'pw2', { ...fast, scrypt })).rejects.toThrow(/unique ignoring case/);
    expect(calls).toHaveLength(0);
    expect(await verifyPassword(await read(), 'alice', 'pw')).toEqual({ ok: true });
  });

  it('validates the username and password before touching the file', async () => {
    await expect(addUser(db, 'bad name', 'pw', fast)).rejects.toMatchObject({ code: 'PASSDB_BAD_USERNAME' });
    await expect(addUser(db, 'alice', '', fast)).rejects.toMatchObject({ code: 'PASSDB_EMPTY_PASSWORD' });
    await expect(fs.stat(db)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('says so when the directory does not exist', async () => {
    await expect(addUser(join(dir, 'missing', 'passdb'), 'alice', 'pw', fast)).rejects.toMatchObject({
      code: 'PASSDB_NO_DIRECTORY',
      message: expect.stringContaining(`directory ${join(dir, 'missing')} does not exist`),
    });
  });

  it('refuses parameters outside the limits', async () => {
    await expect(addUser(db, 'alice', 'pw', { params: { logN: 4, r: 1, p: 1 } })).rejects.toMatchObject({
      code: 'PASSDB_BAD_PARAMS',
    });
    await expect(
      addUser(db, 'alice', 'pw', { params: { logN: 25, r: 8, p: 1 }, limits: OPEN_LIMITS }),
    ).rejects.toMatchObject({ code: 'PASSDB_BAD_PARAMS' });
  });

  it('refuses to edit a malformed database, naming file:line, and leaves it alone', async () => {
    await fs.writeFile(db, '# ok\ngarbage\n', { mode: 0o600 });
    await expect(addUser(db, 'alice', 'pw', fast)).rejects.toThrow(`${db}:2: expected username:hash`);
    expect(await fs.readFile(db, 'utf8')).toBe('# ok\ngarbage\n');
  });

  it('keeps the mode of an existing database and warns when it is too open', async () => {
    await addUser(db, 'alice', 'pw', fast);
    await fs.chmod(db, 0o640);
    const warnings: string[] = [];
    await addUser(db, 'bob', 'pw', { ...fast, warn: (m) => warnings.push(m) });
    expect(await modeOf(db)).toBe(0o640);
    expect(warnings).toEqual([expect.stringMatching(/accessible by group or others \(mode 0640\)/)]);
    await fs.chmod(db, 0o400);
    await setPassword(db, 'bob', 'new', fast);
    expect(await modeOf(db)).toBe(0o400);
  });

  it('follows a symlink and replaces its target', async () => {
    const real = join(dir, 'real-passdb');
    await addUser(real, 'alice', 'pw', fast);
    await fs.symlink(real, db);
    await addUser(db, 'bob', 'pw', fast);
    expect((await fs.lstat(db)).isSymbolicLink()).toBe(true);
    expect([...(await readPassdbFile(real, { limits: OPEN_LIMITS })).users.keys()]).toEqual(['alice', 'bob']);
  });

  it('loses no entry when many adds run at once', async () => {
    const names = Array.from({ length: 12 }, (_, i) => `user${i}`);
    await Promise.all(names.map((name) => addUser(db, name, `pw-${name}`, fast)));
    const result = await read();
    expect([...result.users.keys()].sort()).toEqual([...names].sort());
    expect(await modeOf(db)).toBe(0o600);
    expect(await fs.readdir(dir)).toEqual(['passdb']);
  });

  it('keeps comments written by hand', async () => {
    await addUser(db, 'alice', 'pw', fast);
    await fs.appendFile(db, '# bob is on leave until May\n');
    await addUser(db, 'bob', 'pw', fast);
    expect(await fs.readFile(db, 'utf8')).toMatch(/\n# bob is on leave until May\nbob:\$scrypt/);
  });
});

describe('setPassword', () => {
  it('changes an existing password and can raise the parameters', async () => {
    await addUser(db, 'alice', 'old', fast);
    await addUser(db, 'bob', 'pw', fast);
    await setPassword(db, 'alice', 'new', { ...fast, params: { logN: 5, r: 2, p: 1 } });
    const result = await read();
    expect([...result.users.keys()]).toEqual(['alice', 'bob']); // order kept
    expect(result.users.get('alice')?.params).toEqual({ logN: 5, r: 2, p: 1 });
    expect(await verifyPassword(result, 'alice', 'new')).toEqual({ ok: true });
    expect(await verifyPassword(result, 'alice', 'old')).toEqual({ ok: false, reason: 'bad-password' });
  });

  it('refuses an unknown user (with a hint for a case slip) and a missing database', async () => {
    await expect(setPassword(db, 'alice', 'pw', fast)).rejects.toMatchObject({ code: 'PASSDB_NOT_FOUND' });
    await addUser(db, 'alice', 'pw', fast);
    await expect(setPassword(db, 'Alice', 'pw', fast)).rejects.toMatchObject({
      code: 'PASSDB_UNKNOWN_USER',
      message: expect.stringContaining('did you mean "alice"?'),
    });
  });
});

describe('deleteUser', () => {
  it('removes a user and keeps the others', async () => {
    await addUser(db, 'alice', 'pw', fast);
    await addUser(db, 'bob', 'pw', fast);
    await deleteUser(db, 'alice', fast);
    expect([...(await read()).users.keys()]).toEqual(['bob']);
  });

  it('refuses an unknown user and a missing database', async () => {
    await expect(deleteUser(db, 'alice', fast)).rejects.toMatchObject({ code: 'PASSDB_NOT_FOUND' });
    await expect(fs.stat(db)).rejects.toMatchObject({ code: 'ENOENT' });
    await addUser(db, 'alice', 'pw', fast);
    await expect(deleteUser(db, 'bob', fast)).rejects.toMatchObject({ code: 'PASSDB_UNKNOWN_USER' });
  });
});

describe('readPassdbFile', () => {
  it('refuses a missing file, a directory and an oversized file', async () => {
    await expect(read()).rejects.toMatchObject({ code: 'PASSDB_NOT_FOUND' });
    await fs.mkdir(db);
    await expect(read()).rejects.toMatchObject({ code: 'PASSDB_NOT_A_FILE' });
    await fs.rmdir(db);
    await fs.writeFile(db, '');
    await fs.truncate(db, 16 * 1024 * 1024 + 1);
    await expect(read()).rejects.toMatchObject({ code: 'PASSDB_TOO_LARGE' });
  });
});
