import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DerError,
  DerReader,
  derBitString,
  derBoolean,
  derExplicit,
  derIa5String,
  derInteger,
  derNamedBits,
  derNull,
  derOctetString,
  derOid,
  derPrintableString,
  derSequence,
  derSetOf,
  derTime,
  derUnsignedInteger,
  derUtf8String,
  parseDer,
  readBitStringBytes,
  readBoolean,
  readInteger,
  readNamedBits,
  readNull,
  readOctetString,
  readOid,
  readPositiveIntegerBytes,
  readString,
  readTime,
  Tag,
} from '../../src/pki/der.js';

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function rejects(
  bytes: Uint8Array | string,
  pattern: RegExp,
  read?: (n: ReturnType<typeof parseDer>) => unknown,
) {
  const input = typeof bytes === 'string' ? hex(bytes) : bytes;
  const attempt = () => (read ? read(parseDer(input)) : parseDer(input));
  expect(attempt).toThrow(DerError);
  expect(attempt).toThrow(pattern);
}

describe('DER encoding', () => {
  it('encodes the X.690 examples byte for byte', () => {
    expect(toHex(derBoolean(true))).toBe('0101ff');
    expect(toHex(derBoolean(false))).toBe('010100');
    expect(toHex(derNull())).toBe('0500');
    expect(toHex(derInteger(0))).toBe('020100');
    expect(toHex(derInteger(127))).toBe('02017f');
    expect(toHex(derInteger(128))).toBe('02020080');
    expect(toHex(derInteger(256))).toBe('02020100');
    expect(toHex(derInteger(-1))).toBe('0201ff');
    expect(toHex(derInteger(-128))).toBe('020180');
    expect(toHex(derInteger(-129))).toBe('0202ff7f');
    expect(toHex(derOid('1.2.840.113549.1.1.11'))).toBe('06092a864886f70d01010b');
    expect(toHex(derOid('2.16.840.1.101.3.4.3.18'))).toBe('0609608648016503040312');
    expect(toHex(derOid('2.999.3'))).toBe('0603883703');
    expect(toHex(derUtf8String('é'))).toBe('0c02c3a9');
    expect(toHex(derBitString(hex('abcd')))).toBe('030300abcd');
    expect(toHex(derExplicit(0, derInteger(2)))).toBe('a003020102');
  });

  it('uses minimal long-form lengths', () => {
    expect(toHex(derOctetString(new Uint8Array(127))).slice(0, 4)).toBe('047f');
    expect(toHex(derOctetString(new Uint8Array(128))).slice(0, 6)).toBe('048180');
    expect(toHex(derOctetString(new Uint8Array(256))).slice(0, 8)).toBe('04820100');
    expect(toHex(derOctetString(new Uint8Array(70000))).slice(0, 10)).toBe('0483011170');
  });

  it('encodes serials as positive minimal INTEGERs', () => {
    expect(toHex(derUnsignedInteger(hex('00007f')))).toBe('02017f');
    expect(toHex(derUnsignedInteger(hex('80')))).toBe('02020080');
    expect(toHex(derUnsignedInteger(hex('0000')))).toBe('020100');
  });

  it('encodes named bit lists without trailing zero bits (keyUsage)', () => {
    expect(toHex(derNamedBits([0]))).toBe('03020780'); // digitalSignature
    expect(toHex(derNamedBits([5, 6]))).toBe('03020106'); // keyCertSign, cRLSign
    expect(toHex(derNamedBits([8]))).toBe('0303070080'); // decipherOnly
    expect([...readNamedBits(parseDer(derNamedBits([5, 6])))]).toEqual([5, 6]);
  });

  it('sorts SET OF elements', () => {
    const set = derSetOf(derInteger(3), derInteger(1), derInteger(2));
    expect(toHex(set)).toBe('3109020101020102020103');
  });

  it('encodes times per RFC 5280: UTCTime through 2049, GeneralizedTime from 2050', () => {
    expect(
      Buffer.from(derTime(new Date('2049-12-31T23:59:59.999Z')))
        .toString('latin1')
        .slice(2),
    ).toBe('491231235959Z');
    expect(derTime(new Date('2049-01-01T00:00:00Z'))[0]).toBe(Tag.UTC_TIME);
    expect(
      Buffer.from(derTime(new Date('2050-01-01T00:00:00Z')))
        .toString('latin1')
        .slice(2),
    ).toBe('20500101000000Z');
    expect(derTime(new Date('1950-01-01T00:00:00Z'))[0]).toBe(Tag.UTC_TIME);
    expect(() => derTime(new Date('1949-12-31T00:00:00Z'))).toThrow(RangeError);
    expect(() => derTime(new Date(Number.NaN))).toThrow(RangeError);
  });

  it('refuses to encode values DER cannot carry', () => {
    expect(() => derOid('3.1')).toThrow(RangeError);
    expect(() => derOid('1.40')).toThrow(RangeError);
    expect(() => derOid('1.2.03')).toThrow(RangeError);
    expect(() => derPrintableString('a@b')).toThrow(RangeError);
    expect(() => derIa5String('é')).toThrow(RangeError);
  });
});

describe('DER round trips (properties)', () => {
  it('INTEGER', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(1n << 200n), max: 1n << 200n }), (n) => {
        expect(readInteger(parseDer(derInteger(n)))).toBe(n);
      }),
    );
  });

  it('positive serials', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 20 }), (bytes) => {
        fc.pre(bytes.some((b) => b !== 0));
        const magnitude = readPositiveIntegerBytes(parseDer(derUnsignedInteger(bytes)));
        expect(BigInt(`0x${toHex(magnitude)}`)).toBe(BigInt(`0x${toHex(bytes)}`));
        expect(magnitude[0]).not.toBe(0);
      }),
    );
  });

  it('OBJECT IDENTIFIER', () => {
    const arc = fc.bigInt({ min: 0n, max: 1n << 70n });
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 }),
        fc.integer({ min: 0, max: 39 }),
        fc.array(arc, { maxLength: 8 }),
        (a, b, rest) => {
          const oid = [a, b, ...rest].join('.');
          expect(readOid(parseDer(derOid(oid)))).toBe(oid);
        },
      ),
    );
  });

  it('OCTET STRING, BIT STRING and UTF8String', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.string({ maxLength: 80 }), (bytes, text) => {
        fc.pre(!/[\uD800-\uDFFF]/.test(text));
        expect(readOctetString(parseDer(derOctetString(bytes)))).toEqual(bytes);
        expect(readBitStringBytes(parseDer(derBitString(bytes)))).toEqual(bytes);
        expect(readString(parseDer(derUtf8String(text)))).toBe(text);
      }),
    );
  });

  it('Time at whole seconds', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(1950, 0, 1) / 1000, max: Date.UTC(9999, 11, 31) / 1000 }),
        (s) => {
          const date = new Date(s * 1000);
          expect(readTime(parseDer(derTime(date))).getTime()).toBe(date.getTime());
        },
      ),
    );
  });

  it('parses nested structures and exposes exact encodings', () => {
    const inner = derSequence(derInteger(1), derBoolean(true));
    const outer = derSequence(inner, derNull());
    const node = parseDer(outer);
    expect(node.children).toHaveLength(2);
    expect(node.children[0]!.encoded).toEqual(inner);
    const r = new DerReader(node, 'outer');
    const seq = new DerReader(r.next('inner', Tag.SEQUENCE), 'inner');
    expect(readInteger(seq.next('a'))).toBe(1n);
    expect(readBoolean(seq.next('b'))).toBe(true);
    seq.end();
    readNull(r.next('null'));
    r.end();
  });
});

describe('DER strictness', () => {
  it('rejects trailing data after the element', () => {
    rejects('05 00 00', /trailing/);
  });

  it('rejects indefinite lengths', () => {
    rejects('30 80 05 00 00 00', /indefinite/);
  });

  it('rejects non-minimal lengths', () => {
    rejects('04 81 05 0102030405', /non-minimal length/);
    rejects('04 82 0005 0102030405', /non-minimal length/);
  });

  it('rejects lengths that run past the input or use more than 4 octets', () => {
    rejects('04 05 0102', /past the end/);
    rejects('04 85 0000000001 00', /octets/);
    rejects('04', /truncated/);
    rejects('04 82 01', /truncated/);
    rejects(new Uint8Array(0), /empty/);
  });

  it('rejects BER booleans', () => {
    rejects('01 01 01', /BOOLEAN/, (n) => readBoolean(n));
    rejects('01 02 00ff', /BOOLEAN/, (n) => readBoolean(n));
  });

  it('rejects non-minimal and empty INTEGERs', () => {
    rejects('02 02 0001', /non-minimal INTEGER/, (n) => readInteger(n));
    rejects('02 02 ff80', /non-minimal INTEGER/, (n) => readInteger(n));
    rejects('02 00', /empty INTEGER/, (n) => readInteger(n));
    rejects('02 01 80', /positive/, (n) => readPositiveIntegerBytes(n));
    rejects('02 01 00', /positive/, (n) => readPositiveIntegerBytes(n));
  });

  it('rejects constructed strings and primitive SEQUENCEs', () => {
    rejects('24 03 04 01 00', /primitive/);
    rejects('10 00', /constructed/);
  });

  it('rejects high tag numbers and the reserved tag 0', () => {
    rejects('1f 22 00', /high tag/);
    rejects('00 00', /reserved/);
  });

  it('rejects bad BIT STRINGs', () => {
    rejects('03 00', /empty/, (n) => readBitStringBytes(n));
    rejects('03 02 01 80', /whole bytes/, (n) => readBitStringBytes(n));
    rejects('03 02 08 00', /unused-bit/, (n) => readNamedBits(n));
    rejects('03 01 03', /unused-bit/, (n) => readNamedBits(n));
    rejects('03 02 07 81', /unused bits must be zero/, (n) => readNamedBits(n));
    rejects('03 02 01 04', /trailing zero bits/, (n) => readNamedBits(n));
  });

  it('rejects non-minimal and truncated OIDs', () => {
    rejects('06 03 2a 80 01', /non-minimal OID/, (n) => readOid(n));
    rejects('06 02 2a 86', /truncated OID/, (n) => readOid(n));
    rejects('06 00', /empty OID/, (n) => readOid(n));
  });

  it('rejects unsorted SET OF', () => {
    rejects('31 06 020102 020101', /DER order/);
  });

  it('rejects a non-empty NULL and bad strings', () => {
    rejects('05 01 00', /NULL/, (n) => readNull(n));
    rejects('0c 02 c328', /UTF-8/, (n) => readString(n));
    rejects('13 01 40', /PrintableString/, (n) => readString(n));
    rejects('16 01 80', /IA5String/, (n) => readString(n));
    rejects('14 01 41', /unsupported string/, (n) => readString(n));
  });

  it('rejects times outside the RFC 5280 profile', () => {
    const utc = (s: string) =>
      `17 ${s.length.toString(16).padStart(2, '0')} ${Buffer.from(s).toString('hex')}`;
    const gen = (s: string) =>
      `18 ${s.length.toString(16).padStart(2, '0')} ${Buffer.from(s).toString('hex')}`;
    rejects(utc('2601011200Z'), /YYMMDDHHMMSSZ/, (n) => readTime(n)); // no seconds
    rejects(utc('260101120000+0100'), /YYMMDDHHMMSSZ/, (n) => readTime(n)); // offset
    rejects(utc('260230120000Z'), /invalid date/, (n) => readTime(n)); // 30 February
    rejects(utc('261301120000Z'), /invalid date/, (n) => readTime(n));
    rejects(utc('260101240000Z'), /invalid date/, (n) => readTime(n));
    rejects(gen('20260101120000Z'), /before 2050/, (n) => readTime(n));
    rejects(gen('20500101120000.5Z'), /YYYYMMDDHHMMSSZ/, (n) => readTime(n));
    rejects('04 00', /UTCTime or GeneralizedTime/, (n) => readTime(n));
    expect(readTime(parseDer(hex(utc('500101000000Z')))).getUTCFullYear()).toBe(1950);
    expect(readTime(parseDer(hex(utc('491231235959Z')))).getUTCFullYear()).toBe(2049);
  });

  it('bounds nesting depth (a nesting bomb fails fast)', () => {
    // 200 nested SEQUENCEs: far deeper than the default maxDepth of 24.
    let bomb = derNull();
    for (let i = 0; i < 200; i++) bomb = derSequence(bomb);
    expect(() => parseDer(bomb)).toThrow(/nesting deeper/);
    expect(() => parseDer(bomb, { maxDepth: 300 })).not.toThrow();
    // A hand-made bomb whose declared lengths do not even fit.
    const raw = new Uint8Array(20_000);
    for (let i = 0; i < raw.length; i += 2) {
      raw[i] = 0x30;
      raw[i + 1] = 0x80;
    }
    expect(() => parseDer(raw)).toThrow(DerError);
  });

  it('bounds input size', () => {
    expect(() => parseDer(derOctetString(new Uint8Array(2000)), { maxLength: 1000 })).toThrow(/exceeds/);
  });

  it('reports what was expected where', () => {
    const r = new DerReader(parseDer(derSequence(derInteger(1))), 'Thing');
    expect(() => r.next('field', Tag.BOOLEAN)).toThrow(/Thing\.field: expected tag 0x01, found 0x02/);
    const r2 = new DerReader(parseDer(derSequence()), 'Thing');
    expect(() => r2.next('field')).toThrow(/Thing: missing field/);
    const r3 = new DerReader(parseDer(derSequence(derNull())), 'Thing');
    expect(() => r3.end()).toThrow(/unexpected trailing/);
  });

  it('never throws anything but DerError on random input', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          parseDer(bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(DerError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
