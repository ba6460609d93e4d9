import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Logger } from '../../src/log.js';
import { loadPassdb } from '../../src/passdb/loader.js';
import { addUser, deleteUser } from '../../src/passdb/store.js';
import { countingScrypt, fast, OPEN_LIMITS, tempDir } from './helpers.js';

let dir: string;
let db: string;
let logged: string[];
let logger: Logger;
beforeEach(async () => {
  dir = await tempDir();
  db = join(dir, 'passdb');
  logged = [];
  logger = new Logger({ verb: 4, sink: (line) => logged.push(line) });
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const load = () => loadPassdb(db, { limits: OPEN_LIMITS, logger });

describe('loadPassdb', () => {
  it('verifies users and picks up additions and deletions made by pqvpn passwd', async () => {
    await addUser(db, 'alice', 'pw-a', fast);
    const passdb = await load();
    expect(await passdb.verify('alice', 'pw-a')).toEqual({ ok: true });
    expect(await passdb.verify('bob', 'pw-b')).toEqual({ ok: false, reason: 'unknown-user' });

    await addUser(db, 'bob', 'pw-b', fast);
    expect(await passdb.verify('bob', 'pw-b')).toEqual({ ok: true });
    await deleteUser(db, 'alice', fast);
    expect(await passdb.verify('alice', 'pw-a')).toEqual({ ok: false, reason: 'unknown-user' });
    expect(passdb.current.users.size).toBe(1);
    expect(logged.filter((l) => l.includes('re-read'))).toHaveLength(2);
  });

  it('does not re-read an unchanged file', async () => {
    await addUser(db, 'alice', 'pw', fast);
    const passdb = await load();
    const first = passdb.current;
    await passdb.verify('alice', 'pw');
    await passdb.verify('alice', 'pw');
    expect(passdb.current).toBe(first);
  });

  it('keeps the last good database when an edit breaks the file, and logs file:line once', async () => {
    await addUser(db, 'alice', 'pw', fast);
    const passdb = await load();
    await fs.appendFile(db, 'bob has no hash\n');
    expect(await passdb.verify('alice', 'pw')).toEqual({ ok: true });
    expect(await passdb.verify('alice', 'pw')).toEqual({ ok: true });
    const errors = logged.filter((l) => l.startsWith('ERROR'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(`${db}:4:`);
    await expect(passdb.reload()).rejects.toMatchObject({ code: 'PASSDB_SYNTAX' });

    // Fixed again: taken up on the next verify.
    const text = await fs.readFile(db, 'utf8');
    await fs.writeFile(db, text.replace('bob has no hash\n', ''));
    await addUser(db, 'bob', 'pw-b', fast);
    expect(await passdb.verify('bob', 'pw-b')).toEqual({ ok: true });
  });

  it('keeps the last good database when the file disappears', async () => {
    await addUser(db, 'alice', 'pw', fast);
    const passdb = await load();
    await fs.rm(db);
    expect(await passdb.verify('alice', 'pw')).toEqual({ ok: true });
    expect(logged.some((l) => l.startsWith('ERROR') && l.includes('does not exist'))).toBe(true);
  });

  it('refuses a database others can read or write, or the group can write', async () => {
    await addUser(db, 'alice', 'pw', fast);
    for (const mode of [0o644, 0o604, 0o602, 0o620, 0o666]) {
      await fs.chmod(db, mode);
      await expect(load()).rejects.toMatchObject({
        code: 'PASSDB_INSECURE_MODE',
        message: expect.stringContaining(`mode ${mode.toString(8).padStart(4, '0')}`),
      });
    }
  });

  it('warns about a group-readable database but uses it', async () => {
    await addUser(db, 'alice', 'pw', fast);
    await fs.chmod(db, 0o640);
    const passdb = await load();
    expect(logged).toEqual([expect.stringMatching(/^WARNING: .*readable by its group \(mode 0640\)/)]);
    expect(await passdb.verify('alice', 'pw')).toEqual({ ok: true });
  });

  it('stops using a re-read that turned world-readable', async () => {
    await addUser(db, 'alice', 'pw', fast);
    const passdb = await load();
    await fs.chmod(db, 0o644);
    await expect(passdb.reload()).rejects.toMatchObject({ code: 'PASSDB_INSECURE_MODE' });
  });

  it('refuses a missing or malformed file at start', async () => {
    await expect(load()).rejects.toMatchObject({ code: 'PASSDB_NOT_FOUND' });
    await fs.writeFile(db, 'x:y\n', { mode: 0o600 });
    await expect(load()).rejects.toMatchObject({ code: 'PASSDB_BAD_HASH' });
  });

  it('uses the injected scrypt and re-reads only once for concurrent logins', async () => {
    await addUser(db, 'alice', 'pw', fast);
    const { scrypt, calls } = countingScrypt();
    const passdb = await loadPassdb(db, { limits: OPEN_LIMITS, logger, scrypt });
    await addUser(db, 'bob', 'pw', fast);
    const results = await Promise.all([passdb.verify('alice', 'pw'), passdb.verify('bob', 'pw')]);
    expect(results).toEqual([{ ok: true }, { ok: true }]);
    expect(calls).toHaveLength(2);
    expect(logged.filter((l) => l.includes('re-read'))).toHaveLength(1);
  });
});
