import { describe, expect, it } from 'vitest';
import {
  checkPassword,
  checkUsername,
  isValidUsername,
  passwordBytes,
  printable,
  usernameProblem,
} from '../../src/passdb/credentials.js';

describe('usernames', () => {
  it.each(['alice', 'Bob_2', 'a', 'alice@example.com', 'first.last', 'x+y', 'a-b', '_svc', 'a'.repeat(64)])(
    'accepts %s',
    (name) => {
      expect(usernameProblem(name)).toBeUndefined();
      expect(() => checkUsername(name)).not.toThrow();
    },
  );

  it.each([
    ['', 'empty'],
    ['a'.repeat(65), 'too long'],
    ['al ice', 'space'],
    ['alice\n', 'newline'],
    ['al\u0000ice', 'NUL'],
    ['a:b', 'colon'],
    ['#alice', 'comment marker'],
    ['-alice', 'option-looking'],
    ['.hidden', 'leading dot'],
    ['ali$ce', 'shell metacharacter'],
    ['ali"ce', 'quote'],
    ['alicé', 'non-ASCII'],
    ['a\tb', 'tab'],
  ])('rejects %j (%s) with PASSDB_BAD_USERNAME', (name) => {
    expect(isValidUsername(name)).toBe(false);
    expect(() => checkUsername(name)).toThrow(expect.objectContaining({ code: 'PASSDB_BAD_USERNAME' }));
  });

  it('never echoes control characters in the error', () => {
    try {
      checkUsername('evil\u001b[31m\nname');
      expect.unreachable();
    } catch (error) {
      const message = (error as Error).message;
      expect([...message].some((c) => c.charCodeAt(0) < 0x20)).toBe(false);
    }
    expect(printable('a\u0007b')).toBe('"a\\u0007b"');
  });
});

describe('passwords', () => {
  it('rejects an empty password', () => {
    expect(() => checkPassword('')).toThrow(expect.objectContaining({ code: 'PASSDB_EMPTY_PASSWORD' }));
  });

  it.each([['a\nb'], ['a\rb'], ['a\u0000b'], ['x'.repeat(1025)], ['é'.repeat(513)]])(
    'rejects %# with PASSDB_BAD_PASSWORD, without quoting it',
    (pw) => {
      try {
        checkPassword(pw);
        expect.unreachable();
      } catch (error) {
        expect((error as { code: string }).code).toBe('PASSDB_BAD_PASSWORD');
        expect((error as Error).message).not.toContain(pw);
      }
    },
  );

  it('accepts spaces, punctuation and Unicode up to 1024 bytes', () => {
    expect(() => checkPassword('correct horse: battery staple!')).not.toThrow();
    expect(() => checkPassword('x'.repeat(1024))).not.toThrow();
    expect(() => checkPassword('пароль 密码')).not.toThrow();
  });

  it('normalises to NFC so composed and decomposed accents are one password', () => {
    const composed = 'caf\u00e9';
    const decomposed = 'cafe\u0301';
    expect(passwordBytes(composed).equals(passwordBytes(decomposed))).toBe(true);
    expect(passwordBytes(new TextEncoder().encode(decomposed)).equals(passwordBytes(composed))).toBe(true);
  });

  it('hashes invalid UTF-8 bytes as they are and leaves the input alone', () => {
    const raw = new Uint8Array([0xff, 0xfe, 0x41]);
    const bytes = passwordBytes(raw);
    expect([...bytes]).toEqual([0xff, 0xfe, 0x41]);
    bytes.fill(0);
    expect([...raw]).toEqual([0xff, 0xfe, 0x41]);
  });
});
