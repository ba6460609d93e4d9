/**
 * DER encoding (see der.ts for the rules): each function returns one complete
 * TLV, so structures are built by nesting calls,
 * `derSequence(derInteger(1n), derOid('2.5.4.3'))`.
 * @module
 */

import { compareSetElements, concatBytes, contextTag, isPrintableString, Tag } from './der-common.js';

function encodeLength(length: number): Uint8Array {
  if (length < 0x80) return Uint8Array.of(length);
  const octets: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) octets.unshift(n & 0xff);
  if (octets.length > 4) throw new RangeError('DER element too long');
  return Uint8Array.of(0x80 | octets.length, ...octets);
}

/** One TLV: identifier octet, minimal definite length, content. */
export function derTlv(tag: number, content: Uint8Array): Uint8Array {
  return concatBytes(Uint8Array.of(tag), encodeLength(content.length), content);
}

export function derSequence(...elements: readonly Uint8Array[]): Uint8Array {
  return derTlv(Tag.SEQUENCE, concatBytes(...elements));
}

/** SET OF: DER (X.690 §11.6) sorts the element encodings as octet strings. */
export function derSetOf(...elements: readonly Uint8Array[]): Uint8Array {
  return derTlv(Tag.SET, concatBytes(...[...elements].sort(compareSetElements)));
}

export function derBoolean(value: boolean): Uint8Array {
  return derTlv(Tag.BOOLEAN, Uint8Array.of(value ? 0xff : 0x00));
}

export function derNull(): Uint8Array {
  return derTlv(Tag.NULL, new Uint8Array(0));
}

/** Minimal two's-complement content octets of an integer. */
function integerContent(value: bigint): Uint8Array {
  const octets: number[] = [];
  let v = value;
  for (;;) {
    const byte = Number(v & 0xffn);
    octets.unshift(byte);
    v >>= 8n;
    // Stop once the remaining value is pure sign extension of the byte just written.
    if ((v === 0n && (byte & 0x80) === 0) || (v === -1n && (byte & 0x80) !== 0)) break;
  }
  return Uint8Array.from(octets);
}

export function derInteger(value: bigint | number): Uint8Array {
  return derTlv(Tag.INTEGER, integerContent(BigInt(value)));
}

/** ENUMERATED has INTEGER's content rules (X.690 §8.4). */
export function derEnumerated(value: number): Uint8Array {
  return derTlv(Tag.ENUMERATED, integerContent(BigInt(value)));
}

/** A non-negative INTEGER from big-endian magnitude bytes (serial numbers). */
export function derUnsignedInteger(magnitude: Uint8Array): Uint8Array {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  const trimmed = magnitude.subarray(start);
  const content = (trimmed[0] ?? 0) & 0x80 ? concatBytes(Uint8Array.of(0), trimmed) : trimmed;
  return derTlv(Tag.INTEGER, content.length === 0 ? Uint8Array.of(0) : content);
}

export function derOctetString(bytes: Uint8Array): Uint8Array {
  return derTlv(Tag.OCTET_STRING, bytes);
}

/** A BIT STRING of whole bytes (keys, signatures): zero unused bits. */
export function derBitString(bytes: Uint8Array): Uint8Array {
  return derTlv(Tag.BIT_STRING, concatBytes(Uint8Array.of(0), bytes));
}

/**
 * A named-bit-list BIT STRING (keyUsage): bit 0 is the most significant bit of the
 * first byte; DER (X.690 §11.2.2) drops trailing zero bits.
 */
export function derNamedBits(bits: readonly number[]): Uint8Array {
  if (bits.length === 0) return derTlv(Tag.BIT_STRING, Uint8Array.of(0));
  const highest = Math.max(...bits);
  const bytes = new Uint8Array(Math.floor(highest / 8) + 1);
  for (const bit of bits) bytes[bit >> 3]! |= 0x80 >> (bit & 7);
  const unused = 7 - (highest & 7);
  return derTlv(Tag.BIT_STRING, concatBytes(Uint8Array.of(unused), bytes));
}

export function derOid(oid: string): Uint8Array {
  return derTlv(Tag.OID, oidContent(oid));
}

function oidContent(oid: string): Uint8Array {
  if (!/^[0-2](\.(0|[1-9][0-9]*))+$/.test(oid)) throw new RangeError(`invalid OID ${oid}`);
  const arcs = oid.split('.').map((a) => BigInt(a));
  const [first, second] = arcs as [bigint, bigint];
  if (first < 2n && second >= 40n) throw new RangeError(`invalid OID ${oid}`);
  const out: number[] = [];
  for (const arc of [first * 40n + second, ...arcs.slice(2)]) {
    const septets: number[] = [];
    let v = arc;
    do {
      septets.unshift(Number(v & 0x7fn));
      v >>= 7n;
    } while (v > 0n);
    for (let i = 0; i < septets.length - 1; i++) septets[i]! |= 0x80;
    out.push(...septets);
  }
  return Uint8Array.from(out);
}

export function derUtf8String(text: string): Uint8Array {
  return derTlv(Tag.UTF8_STRING, new TextEncoder().encode(text));
}

export function derPrintableString(text: string): Uint8Array {
  if (!isPrintableString(text)) throw new RangeError(`not a PrintableString: ${JSON.stringify(text)}`);
  return derTlv(Tag.PRINTABLE_STRING, new TextEncoder().encode(text));
}

export function derIa5String(text: string): Uint8Array {
  if ([...text].some((ch) => ch.charCodeAt(0) > 0x7f))
    throw new RangeError(`not an IA5String: ${JSON.stringify(text)}`);
  return derTlv(Tag.IA5_STRING, new TextEncoder().encode(text));
}

/** RFC 5280 `Time`: UTCTime through 2049, GeneralizedTime from 2050. Sub-seconds are dropped. */
export function derTime(date: Date): Uint8Array {
  const year = date.getUTCFullYear();
  if (!Number.isFinite(date.getTime()) || year < 1950 || year > 9999) {
    throw new RangeError(`time out of range: ${String(date)}`);
  }
  const rest =
    pad2(date.getUTCMonth() + 1) +
    pad2(date.getUTCDate()) +
    pad2(date.getUTCHours()) +
    pad2(date.getUTCMinutes()) +
    pad2(date.getUTCSeconds());
  if (year < 2050) return derTlv(Tag.UTC_TIME, ascii(`${pad2(year % 100)}${rest}Z`));
  return derTlv(Tag.GENERALIZED_TIME, ascii(`${year}${rest}Z`));
}

/** `[n] EXPLICIT inner`: a constructed context tag wrapping a complete TLV. */
export function derExplicit(n: number, inner: Uint8Array): Uint8Array {
  return derTlv(contextTag(n, true), inner);
}

/** `[n] IMPLICIT`: the content of the underlying type under a context tag. */
export function derImplicit(n: number, content: Uint8Array, constructed = false): Uint8Array {
  return derTlv(contextTag(n, constructed), content);
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

function ascii(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}
