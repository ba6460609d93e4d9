import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SCRYPT_LIMITS,
  DEFAULT_SCRYPT_PARAMS,
  decodeB64,
  encodeB64,
  formatPasswordHash,
  hashPasswordBytes,
  nodeScrypt,
  parsePasswordHash,
  parseScryptParams,
  scryptMemoryBytes,
  scryptParamsProblem,
} from '../../src/passdb/scrypt-hash.js';
import { FAST, OPEN_LIMITS } from './helpers.js';

const SALT = encodeB64(new Uint8Array(16).fill(7));
const HASH = encodeB64(new Uint8Array(32).fill(9));

describe('nodeScrypt', () => {
  it('matches the RFC 7914 section 12 vector (N=1024, r=8, p=16)', async () => {
    const key = await nodeScrypt(Buffer.from('password'), Buffer.from('NaCl'), 64, { logN: 10, r: 8, p: 16 });
    expect(Buffer.from(key).toString('hex')).toBe(
      'fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b3731622eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640',
    );
  });

  it('runs the default parameters (which exceed node’s 32 MiB default maxmem) asynchronously', async () => {
    expect(scryptMemoryBytes(DEFAULT_SCRYPT_PARAMS)).toBeGreaterThan(32 * 1024 * 1024);
    expect(scryptMemoryBytes(DEFAULT_SCRYPT_PARAMS)).toBeLessThanOrEqual(64 * 1024 * 1024);
    const entry = await hashPasswordBytes(Buffer.from('pw'));
    expect(entry.params).toEqual({ logN: 15, r: 8, p: 1 });
    expect(entry.salt).toHaveLength(16);
    expect(entry.hash).toHaveLength(32);
    const text = formatPasswordHash(entry);
    expect(text).toMatch(/^\$scrypt\$ln=15,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    const again = parsePasswordHash(text, DEFAULT_SCRYPT_LIMITS);
    expect(again.ok).toBe(true);
  });
});

describe('PHC string', () => {
  it('round-trips', async () => {
    const entry = await hashPasswordBytes(Buffer.from('secret'), { params: FAST });
    const parsed = parsePasswordHash(formatPasswordHash(entry), OPEN_LIMITS);
    expect(parsed).toEqual({ ok: true, value: entry });
  });

  it('uses the injected random source for the salt', async () => {
    const entry = await hashPasswordBytes(Buffer.from('x'), {
      params: FAST,
      random: (n) => new Uint8Array(n),
    });
    expect([...entry.salt]).toEqual(new Array(16).fill(0));
    await expect(
      hashPasswordBytes(Buffer.from('x'), { params: FAST, random: () => new Uint8Array(3) }),
    ).rejects.toThrow(/random source/);
  });

  it.each([
    ['scrypt$ln=15,r=8,p=1$s$h', 'PASSDB_BAD_HASH', /expected/],
    ['$scrypt$ln=15,r=8,p=1$s', 'PASSDB_BAD_HASH', /expected/],
    [`$scrypt$ln=15,r=8,p=1$${SALT}$${HASH}$extra`, 'PASSDB_BAD_HASH', /expected/],
    [`$argon2id$ln=15,r=8,p=1$${SALT}$${HASH}`, 'PASSDB_BAD_HASH', /only scrypt/],
    [`$scrypt$r=8,ln=15,p=1$${SALT}$${HASH}`, 'PASSDB_BAD_PARAMS', /ln=<int>/],
    [`$scrypt$ln=015,r=8,p=1$${SALT}$${HASH}`, 'PASSDB_BAD_PARAMS', /ln=<int>/],
    [`$scrypt$ln=15,r=8,p=1,x=1$${SALT}$${HASH}`, 'PASSDB_BAD_PARAMS', /ln=<int>/],
    [`$scrypt$ln=15,r=8,p=1$${SALT}=$${HASH}`, 'PASSDB_BAD_HASH', /salt is not valid/],
    [`$scrypt$ln=15,r=8,p=1$${SALT.slice(0, -1)}!$${HASH}`, 'PASSDB_BAD_HASH', /salt is not valid/],
    [`$scrypt$ln=15,r=8,p=1$${encodeB64(new Uint8Array(8))}$${HASH}`, 'PASSDB_BAD_HASH', /salt has 8 bytes/],
    [`$scrypt$ln=15,r=8,p=1$${SALT}$${HASH.slice(0, -2)}`, 'PASSDB_BAD_HASH', /hash is not valid|hash has/],
    [
      `$scrypt$ln=15,r=8,p=1$${SALT}$${encodeB64(new Uint8Array(16))}`,
      'PASSDB_BAD_HASH',
      /hash has 16 bytes/,
    ],
    [
      `$scrypt$ln=15,r=8,p=1$${SALT}$${encodeB64(new Uint8Array(65))}`,
      'PASSDB_BAD_HASH',
      /hash has 65 bytes/,
    ],
  ])('rejects case %# (%s)', (text, code, reason) => {
    const parsed = parsePasswordHash(text, DEFAULT_SCRYPT_LIMITS);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.code).toBe(code);
      expect(parsed.reason).toMatch(reason);
      expect(parsed.reason).not.toContain(SALT);
    }
  });

  it('decodes B64 strictly: no padding, no junk, canonical trailing bits', () => {
    expect(decodeB64('AAEC')).toEqual(new Uint8Array([0, 1, 2]));
    expect(decodeB64('AAE')).toEqual(new Uint8Array([0, 1]));
    expect(decodeB64('AAF')).toBeUndefined(); // non-zero unused bits
    expect(decodeB64('AA==')).toBeUndefined();
    expect(decodeB64('A')).toBeUndefined();
    expect(decodeB64('AA E')).toBeUndefined();
    expect(decodeB64('AA-_')).toBeUndefined();
  });
});

describe('parameter limits', () => {
  const ok = (logN: number, r: number, p: number) =>
    scryptParamsProblem({ logN, r, p }, DEFAULT_SCRYPT_LIMITS);

  it('accepts the default and moderately stronger parameters', () => {
    expect(ok(15, 8, 1)).toBeUndefined();
    expect(ok(14, 8, 1)).toBeUndefined();
    expect(ok(16, 8, 1)).toBeUndefined();
    expect(ok(17, 8, 1)).toBeUndefined();
    expect(ok(13, 8, 4)).toBeUndefined(); // 8 MiB, more passes
  });

  it('refuses weak parameters', () => {
    expect(ok(10, 8, 1)).toMatch(/too weak/);
    expect(ok(13, 8, 1)).toMatch(/too weak/); // 8 MiB is allowed, but 2^16 work is not
    expect(ok(15, 1, 16)).toMatch(/less than the minimum/); // enough work, too little memory
  });

  it('refuses absurdly expensive parameters (a crafted file must not exhaust the server)', () => {
    expect(ok(30, 8, 1)).toMatch(/more than the maximum/);
    expect(ok(19, 8, 1)).toMatch(/more than the maximum/); // 512 MiB
    expect(ok(15, 8, 200)).toMatch(/too expensive/);
  });

  it('refuses values outside the syntactic bounds', () => {
    expect(ok(0, 8, 1)).toMatch(/ln must be/);
    expect(ok(31, 8, 1)).toMatch(/ln must be/);
    expect(ok(15, 0, 1)).toMatch(/r must be/);
    expect(ok(15, 8, 256)).toMatch(/p must be/);
    expect(ok(15.5, 8, 1)).toMatch(/ln must be/);
  });

  it('parses only the canonical parameter text', () => {
    expect(parseScryptParams('ln=15,r=8,p=1')).toEqual({ logN: 15, r: 8, p: 1 });
    expect(parseScryptParams('ln=15, r=8, p=1')).toBeUndefined();
    expect(parseScryptParams('ln=1000,r=8,p=1')).toBeUndefined();
    expect(parseScryptParams('ln=15,r=8')).toBeUndefined();
  });
});
