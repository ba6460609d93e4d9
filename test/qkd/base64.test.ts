import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBase64Canonical, encodeBase64 } from '../../src/qkd/base64.js';

describe('strict base64 for ETSI 014 keys', () => {
  it('round-trips every byte string (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 80 }), (b) => {
        expect(decodeBase64Canonical(encodeBase64(b))).toEqual(b);
      }),
    );
  });

  it.each([
    ['junk inside', 'AAAA*AAA'],
    ['whitespace', 'AAAA AAA'],
    ['newline', 'AAAA\nAAA'],
    ['missing padding', 'AAAAAA'],
    ['URL-safe alphabet', 'AA-_'],
    ['padding in the middle', 'AA==AAAA'],
    ['three pad characters', 'A==='],
    ['only padding', '===='],
    ['non-zero bits under the padding', 'AB=='],
    ['non-zero bits under one pad', 'AAB='],
    ['empty', ''],
    ['non-ASCII', 'AAAé'],
  ])('rejects %s, which Buffer.from would accept or mangle', (_what, text) => {
    expect(decodeBase64Canonical(text)).toBeUndefined();
  });

  it('Buffer.from really does accept such junk (why this decoder exists)', () => {
    expect(Buffer.from('AAAA*AAA', 'base64').length).toBeGreaterThan(0);
    expect(Buffer.from('AA==AAAA', 'base64').length).toBe(1);
  });

  it('decodes into a fresh array that can be wiped', () => {
    const out = decodeBase64Canonical('AQIDBA==')!;
    expect(out).toEqual(new Uint8Array([1, 2, 3, 4]));
    expect(out.byteOffset).toBe(0);
    expect(out.buffer.byteLength).toBe(4);
  });
});
