/**
 * A small, strict DER codec (ITU-T X.690 Distinguished Encoding Rules) for the
 * subset of ASN.1 that X.509 certificates, CRLs and PKCS#8 keys use.
 *
 * Why our own: we parse certificates that a peer sends during the handshake, so
 * the parser must be strict and its memory bounded. It accepts exactly one
 * encoding of every value and rejects everything BER would also allow:
 * - lengths: definite only (no `0x80` indefinite form), minimal (no `0x81 0x05`,
 *   no leading zero length octets), at most 4 length octets, never past the input;
 * - tags: single-octet (low tag number) identifiers only; universal types have the
 *   form DER requires (SEQUENCE/SET constructed, strings and INTEGERs primitive);
 * - BOOLEAN is exactly `0x00` or `0xFF`; INTEGER is minimal two's complement;
 *   BIT STRING has 0–7 unused bits that are zero; OBJECT IDENTIFIER arcs are
 *   minimal base-128; SET OF elements are sorted; no trailing bytes after the
 *   top-level element; nesting is limited to `maxDepth`.
 *
 * Encoding is a set of functions that each return one complete TLV as bytes
 * (`derSequence(derInteger(1n), derOid('2.5.4.3'))`). Decoding is `parseDer`,
 * which returns a tree of `DerNode`s whose `content`/`encoded` are views into the
 * input (no copies), plus `read*` functions that check and convert one node, and a
 * `DerReader` that walks a SEQUENCE field by field.
 *
 * Times follow RFC 5280 §4.1.2.5: UTCTime (`YYMMDDHHMMSSZ`) for years 1950–2049,
 * GeneralizedTime (`YYYYMMDDHHMMSSZ`) from 2050, always in UTC with whole seconds.
 * @module
 */

import { PqvpnError } from '../errors.js';

/** A structural error in DER input. `code` is always `DER_MALFORMED`. */
export class DerError extends PqvpnError {
  constructor(message: string) {
    super('DER_MALFORMED', message);
  }
}

/** Identifier octets of the universal types we use (class, constructed bit and number in one byte). */
export const Tag = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  ENUMERATED: 0x0a,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  BMP_STRING: 0x1e,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** The identifier octet of a context-specific tag `[n]`. */
export function contextTag(n: number, constructed: boolean): number {
  if (!Number.isInteger(n) || n < 0 || n > 30) throw new RangeError(`context tag [${n}] out of range`);
  return 0x80 | (constructed ? 0x20 : 0) | n;
}

// ---------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------

export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

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

const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;

export function isPrintableString(text: string): boolean {
  return PRINTABLE.test(text);
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

function compareSetElements(a: Uint8Array, b: Uint8Array): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

// ---------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------

export interface DerNode {
  /** The identifier octet (class, constructed bit and tag number). */
  readonly tag: number;
  readonly constructed: boolean;
  /** Offset of the identifier octet in the input given to `parseDer`. */
  readonly offset: number;
  /** The content octets (a view into the input). */
  readonly content: Uint8Array;
  /** The whole TLV (a view into the input), e.g. the signed bytes of a TBSCertificate. */
  readonly encoded: Uint8Array;
  /** Child elements of a constructed node; empty for primitives. */
  readonly children: readonly DerNode[];
}

export interface DerLimits {
  /** Deepest nesting accepted; the top-level element is depth 1. Default 24. */
  readonly maxDepth?: number;
  /** Largest input accepted, in bytes. Default 1 MiB. */
  readonly maxLength?: number;
}

const DEFAULT_MAX_DEPTH = 24;
const DEFAULT_MAX_LENGTH = 1 << 20;

/** Parses exactly one DER element spanning all of `bytes`. Throws `DerError`. */
export function parseDer(bytes: Uint8Array, limits: DerLimits = {}): DerNode {
  const maxLength = limits.maxLength ?? DEFAULT_MAX_LENGTH;
  if (bytes.length > maxLength) throw new DerError(`input of ${bytes.length} bytes exceeds ${maxLength}`);
  if (bytes.length === 0) throw new DerError('empty input');
  const node = parseElement(bytes, 0, bytes.length, 1, limits.maxDepth ?? DEFAULT_MAX_DEPTH);
  if (node.encoded.length !== bytes.length) {
    throw new DerError(`${bytes.length - node.encoded.length} trailing bytes after the DER element`);
  }
  return node;
}

function parseElement(
  input: Uint8Array,
  start: number,
  end: number,
  depth: number,
  maxDepth: number,
): DerNode {
  if (depth > maxDepth) throw new DerError(`nesting deeper than ${maxDepth}`);
  let pos = start;
  if (end - pos < 2) throw new DerError(`truncated element at offset ${start}`);
  const tag = input[pos++]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError(`high tag number form at offset ${start} is not supported`);
  const constructed = (tag & 0x20) !== 0;
  checkUniversalForm(tag, constructed, start);
  const first = input[pos++]!;
  let length: number;
  if (first < 0x80) {
    length = first;
  } else if (first === 0x80) {
    throw new DerError(`indefinite length at offset ${start}`);
  } else {
    const count = first & 0x7f;
    if (count > 4) throw new DerError(`length of ${count} octets at offset ${start}`);
    if (end - pos < count) throw new DerError(`truncated length at offset ${start}`);
    if (input[pos] === 0) throw new DerError(`non-minimal length (leading zero) at offset ${start}`);
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + input[pos++]!;
    if (length < 0x80) throw new DerError(`non-minimal length (long form for ${length}) at offset ${start}`);
  }
  if (length > end - pos) throw new DerError(`length ${length} at offset ${start} runs past the end`);
  const contentStart = pos;
  const contentEnd = pos + length;
  const children: DerNode[] = [];
  if (constructed) {
    let p = contentStart;
    while (p < contentEnd) {
      const child = parseElement(input, p, contentEnd, depth + 1, maxDepth);
      children.push(child);
      p += child.encoded.length;
    }
    if (tag === Tag.SET) checkSetOrder(children, start);
  }
  return {
    tag,
    constructed,
    offset: start,
    content: input.subarray(contentStart, contentEnd),
    encoded: input.subarray(start, contentEnd),
    children,
  };
}

function checkUniversalForm(tag: number, constructed: boolean, offset: number): void {
  if ((tag & 0xc0) !== 0) return; // only universal types have a fixed form
  const number = tag & 0x1f;
  const mustBeConstructed = number === 0x10 || number === 0x11;
  if (number === 0) throw new DerError(`reserved tag 0 at offset ${offset}`);
  if (constructed !== mustBeConstructed) {
    throw new DerError(
      `universal type ${number} at offset ${offset} must be ${mustBeConstructed ? 'constructed' : 'primitive'} in DER`,
    );
  }
}

function checkSetOrder(children: readonly DerNode[], offset: number): void {
  for (let i = 1; i < children.length; i++) {
    if (compareSetElements(children[i - 1]!.encoded, children[i]!.encoded) > 0) {
      throw new DerError(`SET OF elements at offset ${offset} are not in DER order`);
    }
  }
}

function expectTag(node: DerNode, tag: number, what: string): void {
  if (node.tag !== tag) {
    throw new DerError(
      `${what}: expected tag 0x${hex2(tag)}, found 0x${hex2(node.tag)} at offset ${node.offset}`,
    );
  }
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}

export function readBoolean(node: DerNode, what = 'BOOLEAN'): boolean {
  expectTag(node, Tag.BOOLEAN, what);
  const c = node.content;
  if (c.length !== 1 || (c[0] !== 0x00 && c[0] !== 0xff)) {
    throw new DerError(`${what}: BOOLEAN must be one octet 0x00 or 0xFF`);
  }
  return c[0] === 0xff;
}

export function readNull(node: DerNode, what = 'NULL'): void {
  expectTag(node, Tag.NULL, what);
  if (node.content.length !== 0) throw new DerError(`${what}: NULL must be empty`);
}

function checkMinimalInteger(c: Uint8Array, what: string): void {
  if (c.length === 0) throw new DerError(`${what}: empty INTEGER`);
  if (c.length > 1 && ((c[0] === 0x00 && (c[1]! & 0x80) === 0) || (c[0] === 0xff && (c[1]! & 0x80) !== 0))) {
    throw new DerError(`${what}: non-minimal INTEGER`);
  }
}

/** An INTEGER (or, with `tag`, an ENUMERATED or implicitly tagged INTEGER) as a bigint. */
export function readInteger(node: DerNode, what = 'INTEGER', tag: number = Tag.INTEGER): bigint {
  expectTag(node, tag, what);
  const c = node.content;
  checkMinimalInteger(c, what);
  let v = 0n;
  for (const byte of c) v = (v << 8n) | BigInt(byte);
  if (c[0]! & 0x80) v -= 1n << BigInt(c.length * 8);
  return v;
}

/** A small non-negative INTEGER (versions, path lengths) as a number. */
export function readSmallInteger(
  node: DerNode,
  what: string,
  max = 0xffff,
  tag: number = Tag.INTEGER,
): number {
  const v = readInteger(node, what, tag);
  if (v < 0n || v > BigInt(max)) throw new DerError(`${what}: ${v} is out of range 0..${max}`);
  return Number(v);
}

/** A positive INTEGER's magnitude bytes (serial numbers): no sign octet, minimal. */
export function readPositiveIntegerBytes(node: DerNode, what = 'INTEGER'): Uint8Array {
  expectTag(node, Tag.INTEGER, what);
  const c = node.content;
  checkMinimalInteger(c, what);
  if (c[0]! & 0x80) throw new DerError(`${what}: must be positive`);
  const magnitude = c[0] === 0 && c.length > 1 ? c.subarray(1) : c;
  if (magnitude.length === 1 && magnitude[0] === 0) throw new DerError(`${what}: must be positive`);
  return magnitude;
}

export function readOctetString(
  node: DerNode,
  what = 'OCTET STRING',
  tag: number = Tag.OCTET_STRING,
): Uint8Array {
  expectTag(node, tag, what);
  return node.content;
}

/** A BIT STRING that must hold whole bytes (keys, signatures). */
export function readBitStringBytes(node: DerNode, what = 'BIT STRING'): Uint8Array {
  expectTag(node, Tag.BIT_STRING, what);
  const c = node.content;
  if (c.length === 0) throw new DerError(`${what}: empty BIT STRING`);
  if (c[0] !== 0) throw new DerError(`${what}: expected whole bytes (0 unused bits), found ${c[0]}`);
  return c.subarray(1);
}

/** A named-bit-list BIT STRING (keyUsage) as the set of bit numbers that are 1. */
export function readNamedBits(node: DerNode, what = 'BIT STRING'): Set<number> {
  expectTag(node, Tag.BIT_STRING, what);
  const c = node.content;
  if (c.length === 0) throw new DerError(`${what}: empty BIT STRING`);
  const unused = c[0]!;
  if (unused > 7 || (c.length === 1 && unused !== 0)) throw new DerError(`${what}: bad unused-bit count`);
  const bits = new Set<number>();
  if (c.length === 1) return bits;
  const last = c[c.length - 1]!;
  if (last & ((1 << unused) - 1)) throw new DerError(`${what}: unused bits must be zero`);
  // X.690 §11.2.2: a named bit list has no trailing zero bits.
  if ((last & (1 << unused)) === 0) throw new DerError(`${what}: trailing zero bits in a named bit list`);
  for (let i = 1; i < c.length; i++) {
    for (let b = 0; b < 8; b++) if (c[i]! & (0x80 >> b)) bits.add((i - 1) * 8 + b);
  }
  return bits;
}

export function readOid(node: DerNode, what = 'OBJECT IDENTIFIER'): string {
  expectTag(node, Tag.OID, what);
  const c = node.content;
  if (c.length === 0) throw new DerError(`${what}: empty OID`);
  if ((c[c.length - 1]! & 0x80) !== 0) throw new DerError(`${what}: truncated OID`);
  const arcs: bigint[] = [];
  let v = 0n;
  let startOfArc = true;
  for (const byte of c) {
    if (startOfArc && byte === 0x80) throw new DerError(`${what}: non-minimal OID arc`);
    v = (v << 7n) | BigInt(byte & 0x7f);
    startOfArc = (byte & 0x80) === 0;
    if (startOfArc) {
      arcs.push(v);
      v = 0n;
    }
  }
  const head = arcs[0]!;
  const first = head < 40n ? 0n : head < 80n ? 1n : 2n;
  return [first, head - first * 40n, ...arcs.slice(1)].join('.');
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A directory string (UTF8String, PrintableString, IA5String or BMPString) as text. */
export function readString(node: DerNode, what = 'string'): string {
  const c = node.content;
  switch (node.tag) {
    case Tag.UTF8_STRING:
      try {
        return utf8.decode(c);
      } catch {
        throw new DerError(`${what}: invalid UTF-8`);
      }
    case Tag.PRINTABLE_STRING: {
      const text = latin(c);
      if (!isPrintableString(text)) throw new DerError(`${what}: invalid PrintableString`);
      return text;
    }
    case Tag.IA5_STRING:
      return readIa5(node, what, Tag.IA5_STRING);
    case Tag.BMP_STRING: {
      if (c.length % 2 !== 0) throw new DerError(`${what}: odd-length BMPString`);
      let text = '';
      for (let i = 0; i < c.length; i += 2) {
        const unit = (c[i]! << 8) | c[i + 1]!;
        if (unit >= 0xd800 && unit <= 0xdfff) throw new DerError(`${what}: surrogate in BMPString`);
        text += String.fromCharCode(unit);
      }
      return text;
    }
    default:
      throw new DerError(`${what}: unsupported string type 0x${hex2(node.tag)}`);
  }
}

/** An IA5String (or an implicitly tagged one, e.g. a SAN dNSName `[2]`). */
export function readIa5(node: DerNode, what = 'IA5String', tag: number = Tag.IA5_STRING): string {
  expectTag(node, tag, what);
  for (const byte of node.content)
    if (byte > 0x7f) throw new DerError(`${what}: non-ASCII byte in IA5String`);
  return latin(node.content);
}

function latin(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return s;
}

const UTC_TIME = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/;
const GENERALIZED_TIME = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/;

/** RFC 5280 `Time` (§4.1.2.5): UTCTime before 2050, GeneralizedTime from 2050, UTC, whole seconds. */
export function readTime(node: DerNode, what = 'Time'): Date {
  const text = latin(node.content);
  let parts: RegExpExecArray | null;
  let year: number;
  if (node.tag === Tag.UTC_TIME) {
    parts = UTC_TIME.exec(text);
    if (!parts) throw new DerError(`${what}: UTCTime must be YYMMDDHHMMSSZ`);
    const yy = Number(parts[1]);
    year = yy >= 50 ? 1900 + yy : 2000 + yy;
  } else if (node.tag === Tag.GENERALIZED_TIME) {
    parts = GENERALIZED_TIME.exec(text);
    if (!parts) throw new DerError(`${what}: GeneralizedTime must be YYYYMMDDHHMMSSZ`);
    year = Number(parts[1]);
    if (year < 2050) throw new DerError(`${what}: dates before 2050 must be UTCTime (RFC 5280 4.1.2.5)`);
  } else {
    throw new DerError(`${what}: expected UTCTime or GeneralizedTime, found tag 0x${hex2(node.tag)}`);
  }
  const [month, day, hour, minute, second] = parts.slice(2).map(Number) as [
    number,
    number,
    number,
    number,
    number,
  ];
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  const date = new Date(ms);
  if (
    date.getUTCFullYear() !== year ||
    date.getUTCMonth() !== month - 1 ||
    date.getUTCDate() !== day ||
    date.getUTCHours() !== hour ||
    date.getUTCMinutes() !== minute ||
    date.getUTCSeconds() !== second
  ) {
    throw new DerError(`${what}: invalid date ${text}`);
  }
  return date;
}

/**
 * Walks the children of a constructed node in order: `next` takes the next field
 * and checks its tag, `optional` takes it only if the tag matches, and `end`
 * insists nothing is left. Errors name the structure being read.
 */
export class DerReader {
  private readonly children: readonly DerNode[];
  private readonly what: string;
  private index = 0;

  constructor(node: DerNode, what: string, tag: number = Tag.SEQUENCE) {
    expectTag(node, tag, what);
    this.children = node.children;
    this.what = what;
  }

  /** The next field; with `tag`, it must have that tag. */
  next(field: string, tag?: number): DerNode {
    const node = this.children[this.index];
    if (!node) throw new DerError(`${this.what}: missing ${field}`);
    if (tag !== undefined) expectTag(node, tag, `${this.what}.${field}`);
    this.index++;
    return node;
  }

  /** The next field if it has `tag`, otherwise undefined (nothing consumed). */
  optional(tag: number): DerNode | undefined {
    const node = this.children[this.index];
    if (!node || node.tag !== tag) return undefined;
    this.index++;
    return node;
  }

  hasMore(): boolean {
    return this.index < this.children.length;
  }

  end(): void {
    if (this.index !== this.children.length) {
      throw new DerError(`${this.what}: ${this.children.length - this.index} unexpected trailing fields`);
    }
  }
}
