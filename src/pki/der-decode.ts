/**
 * DER decoding (see der.ts for the rules): `parseDer` builds a bounded tree of
 * `DerNode`s that are views into the input; the `read*` functions check and
 * convert one node; `DerReader` walks a SEQUENCE field by field.
 * @module
 */

import { compareSetElements, DerError, isPrintableString, Tag } from './der-common.js';

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
