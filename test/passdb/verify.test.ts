import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { emptyPassdb, parsePassdb, withUser } from '../../src/passdb/database.js';
import {
  DEFAULT_SCRYPT_PARAMS,
  hashPasswordBytes,
  nodeScrypt,
  type ScryptFunction,
} from '../../src/passdb/scrypt-hash.js';
import { verifyPassword } from '../../src/passdb/verify.js';
import { countingScrypt, FAST } from './helpers.js';

async function dbWith(users: Record<string, string>, params = FAST) {
  let db = emptyPassdb();
  for (const [user, pw] of Object.entries(users)) {
    db = withUser(db, user, await hashPasswordBytes(Buffer.from(pw), { params }));
  }
  return db;
}

describe('verifyPassword', () => {
  it('accepts the right password and rejects a wrong one', async () => {
    const db = await dbWith({ alice: 'correct horse' });
    expect(await verifyPassword(db, 'alice', 'correct horse')).toEqual({ ok: true });
    expect(await verifyPassword(db, 'alice', 'correct horsE')).toEqual({ ok: false, reason: 'bad-password' });
    expect(await verifyPassword(db, 'alice', '')).toEqual({ ok: false, reason: 'bad-password' });
  });

  it('takes the password as bytes (from the wire) and normalises it like a string', async () => {
    const db = await dbWith({ alice: 'caf\u00e9' });
    expect(await verifyPassword(db, 'alice', new TextEncoder().encode('cafe\u0301'))).toEqual({ ok: true });
  });

  it('hashes once with the user’s own parameters', async () => {
    const db = await dbWith({ alice: 'pw' }, { logN: 5, r: 2, p: 1 });
    const { scrypt, calls } = countingScrypt();
    await verifyPassword(db, 'alice', 'pw', { scrypt });
    await verifyPassword(db, 'alice', 'nope', { scrypt });
    expect(calls).toEqual([
      { logN: 5, r: 2, p: 1 },
      { logN: 5, r: 2, p: 1 },
    ]);
  });

  it('spends a full scrypt on an unknown user, with the parameters real entries use', async () => {
    const db = await dbWith({ alice: 'pw', bob: 'pw' });
    const { scrypt, calls } = countingScrypt();
    expect(await verifyPassword(db, 'mallory', 'pw', { scrypt })).toEqual({
      ok: false,
      reason: 'unknown-user',
    });
    expect(calls).toEqual([FAST]);
  });

  it('spends a full scrypt with the default parameters for an unknown user of an empty database', async () => {
    const calls: unknown[] = [];
    const scrypt: ScryptFunction = async (_pw, _salt, len, params) => {
      calls.push(params);
      return new Uint8Array(len);
    };
    expect(await verifyPassword(emptyPassdb(), 'alice', 'pw', { scrypt })).toEqual({
      ok: false,
      reason: 'unknown-user',
    });
    expect(calls).toEqual([DEFAULT_SCRYPT_PARAMS]);
  });

  it('treats an invalid username as unknown, after the same work', async () => {
    const db = await dbWith({ alice: 'pw' });
    const { scrypt, calls } = countingScrypt();
    for (const name of ['', 'alice\n', 'x'.repeat(1000), 'ALICE']) {
      expect(await verifyPassword(db, name, 'pw', { scrypt })).toEqual({ ok: false, reason: 'unknown-user' });
    }
    expect(calls).toHaveLength(4);
  });

  it('rejects an over-long password after the same work, even if its prefix is right', async () => {
    const db = await dbWith({ alice: 'p' });
    const { scrypt, calls } = countingScrypt();
    expect(await verifyPassword(db, 'alice', `p${'x'.repeat(2000)}`, { scrypt })).toEqual({
      ok: false,
      reason: 'bad-password',
    });
    expect(calls).toHaveLength(1);
  });

  it('zeroes the password bytes and the derived key it made, but not the caller’s buffer', async () => {
    const db = await dbWith({ alice: 'pw' });
    const seen: Uint8Array[] = [];
    const derived: Uint8Array[] = [];
    const scrypt: ScryptFunction = async (pw, salt, len, params) => {
      seen.push(pw);
      const key = await nodeScrypt(pw, salt, len, params);
      derived.push(key);
      return key;
    };
    const mine = new TextEncoder().encode('pw');
    expect(await verifyPassword(db, 'alice', mine, { scrypt })).toEqual({ ok: true });
    expect([...seen[0]!].every((b) => b === 0)).toBe(true);
    expect([...derived[0]!].every((b) => b === 0)).toBe(true);
    expect(new TextDecoder().decode(mine)).toBe('pw');
  });

  it('does not depend on the comparison short-circuiting: a wrong key of the same length fails', async () => {
    const db = await dbWith({ alice: 'pw' });
    const stored = db.users.get('alice')!.hash;
    const almost = new Uint8Array(stored);
    almost[31]! ^= 1;
    const scrypt: ScryptFunction = async () => new Uint8Array(almost);
    expect(await verifyPassword(db, 'alice', 'pw', { scrypt })).toEqual({
      ok: false,
      reason: 'bad-password',
    });
    const exact: ScryptFunction = async () => new Uint8Array(stored);
    expect(await verifyPassword(db, 'alice', 'anything', { scrypt: exact })).toEqual({ ok: true });
  });
});

describe('docs/PASSDB.md', () => {
  it('shows a real entry whose password is the one it names', async () => {
    const doc = await readFile(new URL('../../docs/PASSDB.md', import.meta.url), 'utf8');
    const line = doc.match(/^alice:\$scrypt\$.*$/m)?.[0];
    const password = doc.match(/alice's password here is `([^`]+)`/)?.[1];
    expect(line).toBeDefined();
    const db = parsePassdb(`${line}\n`, { file: 'docs/PASSDB.md' });
    expect(await verifyPassword(db, 'alice', password!)).toEqual({ ok: true });
  });
});
