import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import {
  decodePassdbBytes,
  emptyPassdb,
  findUserIgnoringCase,
  formatPassdb,
  PASSDB_HEADER,
  parsePassdb,
  withoutUser,
  withUser,
} from '../../src/passdb/database.js';
import {
  DEFAULT_SCRYPT_PARAMS,
  encodeB64,
  formatPasswordHash,
  type PasswordHash,
} from '../../src/passdb/scrypt-hash.js';
import { OPEN_LIMITS } from './helpers.js';

const entry = (logN = 15, fill = 1): PasswordHash => ({
  params: { logN, r: 8, p: 1 },
  salt: new Uint8Array(16).fill(fill),
  hash: new Uint8Array(32).fill(fill + 1),
});
const line = (user: string, e = entry()) => `${user}:${formatPasswordHash(e)}`;
const parse = (text: string) => parsePassdb(text, { file: '/etc/pqvpn/passdb' });

function parseError(text: string): ConfigError {
  try {
    parse(text);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('parsePassdb', () => {
  it('reads entries, keeps comments and blank lines, and prints the same text back', () => {
    const text = ['# users', '', line('alice'), '  # indented note', line('bob', entry(16, 3)), ''].join(
      '\n',
    );
    const db = parse(text);
    expect([...db.users.keys()]).toEqual(['alice', 'bob']);
    expect(db.users.get('bob')?.params).toEqual({ logN: 16, r: 8, p: 1 });
    expect(formatPassdb(db)).toBe(text);
  });

  it('accepts CRLF line endings and an empty file', () => {
    const db = parse(`# x\r\n${line('alice')}\r\n`);
    expect(db.users.has('alice')).toBe(true);
    expect(parse('').users.size).toBe(0);
  });

  it.each([
    ['alice', 'PASSDB_SYNTAX', /no ':' found/],
    [` ${line('alice')}`, 'PASSDB_SYNTAX', /whitespace/],
    [`${line('alice')} `, 'PASSDB_SYNTAX', /whitespace/],
    [`alice: ${formatPasswordHash(entry())}`, 'PASSDB_SYNTAX', /whitespace/],
    [`${line('alice')}\u0007`, 'PASSDB_SYNTAX', /control character/],
    [line('al ice'), 'PASSDB_SYNTAX', /whitespace/],
    [line('-alice'), 'PASSDB_BAD_USERNAME', /invalid username "-alice"/],
    [line(''), 'PASSDB_BAD_USERNAME', /empty/],
    ['alice:plaintext', 'PASSDB_BAD_HASH', /expected \$scrypt/],
    [line('alice', entry(10)), 'PASSDB_BAD_PARAMS', /too weak/],
    [line('alice', entry(22)), 'PASSDB_BAD_PARAMS', /more than the maximum/],
    [
      `alice:$scrypt$ln=15,r=8,p=1$${encodeB64(new Uint8Array(16))}$!!!`,
      'PASSDB_BAD_HASH',
      /hash is not valid/,
    ],
  ])('rejects case %# with file:line and a stable code', (bad, code, message) => {
    const error = parseError(`# header\n${line('zed')}\n${bad}\n`);
    expect(error.code).toBe(code);
    expect(error.location).toEqual({ file: '/etc/pqvpn/passdb', line: 3 });
    expect(error.message).toMatch(/^\/etc\/pqvpn\/passdb:3: /);
    expect(error.message).toMatch(message);
  });

  it('rejects a duplicate user, also when only the case differs, naming both lines', () => {
    const error = parseError(`${line('alice')}\n\n${line('Alice')}\n`);
    expect(error.code).toBe('PASSDB_DUPLICATE_USER');
    expect(error.location?.line).toBe(3);
    expect(error.message).toMatch(/already defined on line 1/);
  });

  it('enforces the parameter limits it is given', () => {
    const weak = line('alice', entry(4));
    expect(() => parse(weak)).toThrow(expect.objectContaining({ code: 'PASSDB_BAD_PARAMS' }));
    expect(parsePassdb(weak, { file: 'f', limits: OPEN_LIMITS }).users.size).toBe(1);
  });

  it('never quotes a hash or salt in an error', () => {
    const salt = encodeB64(new Uint8Array(16).fill(0xab));
    const error = parseError(`alice:$scrypt$ln=15,r=8,p=1$${salt}$short`);
    expect(error.message).not.toContain(salt);
  });

  it('rejects invalid UTF-8 naming the line', () => {
    const bytes = Buffer.concat([
      Buffer.from('# ok\n# fine\nal'),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('\n'),
    ]);
    expect(() => decodePassdbBytes(bytes, 'db')).toThrow(
      expect.objectContaining({ code: 'PASSDB_SYNTAX', location: { file: 'db', line: 3 } }),
    );
    expect(decodePassdbBytes(Buffer.from('é\n'), 'db')).toBe('é\n');
  });
});

describe('editing', () => {
  it('appends a new user, replaces an existing one in place, removes one, keeping comments', () => {
    let db = parse(`# top\n${line('alice')}\n# between\n${line('bob')}\n`);
    db = withUser(db, 'carol', entry(15, 5));
    db = withUser(db, 'alice', entry(16, 7));
    db = withoutUser(db, 'bob');
    expect(formatPassdb(db)).toBe(
      `# top\n${line('alice', entry(16, 7))}\n# between\n${line('carol', entry(15, 5))}\n`,
    );
  });

  it('starts a new database with the header', () => {
    const db = withUser(emptyPassdb(), 'alice', entry());
    expect(formatPassdb(db)).toBe(`${PASSDB_HEADER.join('\n')}\n${line('alice')}\n`);
    expect(parse(formatPassdb(db)).users.size).toBe(1);
  });

  it('finds users ignoring case', () => {
    const db = parse(line('Alice'));
    expect(findUserIgnoringCase(db, 'alice')).toBe('Alice');
    expect(findUserIgnoringCase(db, 'bob')).toBeUndefined();
  });

  it('chooses the dummy parameters for unknown users from the most common entry', () => {
    expect(emptyPassdb().dummyParams).toEqual(DEFAULT_SCRYPT_PARAMS);
    const db = parse([line('a', entry(16)), line('b', entry(14)), line('c', entry(16))].join('\n'));
    expect(db.dummyParams).toEqual({ logN: 16, r: 8, p: 1 });
  });
});
