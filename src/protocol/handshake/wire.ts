/**
 * Bounds-checked big-endian readers and writers for pqvpn's wire formats.
 *
 * Every field on the wire is a fixed-width unsigned integer (8, 16, 24, 32 or 64
 * bits, big-endian, as TLS's presentation language) or a byte string prefixed
 * by its length in one of those widths. `WireReader` never reads past its
 * buffer: any short or malformed input throws a `WireError` (code
 * `WIRE_DECODE`) naming the field. The protocol layers catch `WireError` at
 * their boundary and turn it into a counted drop reason or an alert — untrusted
 * input never escapes as an exception from a state machine.
 *
 * `WireReader` returns *views* (subarrays) into its input; callers that keep
 * bytes beyond the lifetime of the datagram copy them (`slice`).
 * @module
 */

import { PqvpnError } from '../../errors.js';

/** Malformed bytes on the wire. Internal to the protocol layers; never thrown out of a state machine. */
export class WireError extends PqvpnError {
  constructor(message: string) {
    super('WIRE_DECODE', message);
  }
}

export class WireReader {
  private offset = 0;
  private readonly bytes: Uint8Array;
  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }

  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  get position(): number {
    return this.offset;
  }

  private need(n: number, what: string): void {
    if (n > this.remaining) throw new WireError(`${what}: needs ${n} bytes, ${this.remaining} left`);
  }

  u8(what: string): number {
    this.need(1, what);
    return this.bytes[this.offset++]!;
  }

  u16(what: string): number {
    this.need(2, what);
    const b = this.bytes;
    const v = (b[this.offset]! << 8) | b[this.offset + 1]!;
    this.offset += 2;
    return v;
  }

  u24(what: string): number {
    this.need(3, what);
    const b = this.bytes;
    const v = (b[this.offset]! << 16) | (b[this.offset + 1]! << 8) | b[this.offset + 2]!;
    this.offset += 3;
    return v;
  }

  u32(what: string): number {
    this.need(4, what);
    const b = this.bytes;
    const v =
      ((b[this.offset]! << 24) |
        (b[this.offset + 1]! << 16) |
        (b[this.offset + 2]! << 8) |
        b[this.offset + 3]!) >>>
      0;
    this.offset += 4;
    return v;
  }

  /** `n` raw bytes (a view). */
  bytesN(n: number, what: string): Uint8Array {
    this.need(n, what);
    const v = this.bytes.subarray(this.offset, this.offset + n);
    this.offset += n;
    return v;
  }

  /** A byte string with a `width`-byte length prefix, length checked against [min, max]. */
  vector(width: 1 | 2 | 3, what: string, min = 0, max = Number.MAX_SAFE_INTEGER): Uint8Array {
    const len = width === 1 ? this.u8(what) : width === 2 ? this.u16(what) : this.u24(what);
    if (len < min || len > max) throw new WireError(`${what}: length ${len} outside ${min}..${max}`);
    return this.bytesN(len, what);
  }

  /** Everything left. */
  rest(): Uint8Array {
    return this.bytesN(this.remaining, 'rest');
  }

  /** Throws unless the input is fully consumed (trailing bytes are a decode error). */
  end(what: string): void {
    if (this.remaining !== 0) throw new WireError(`${what}: ${this.remaining} trailing bytes`);
  }
}

export class WireWriter {
  private chunks: Uint8Array[] = [];
  private size = 0;

  get length(): number {
    return this.size;
  }

  private push(chunk: Uint8Array): this {
    this.chunks.push(chunk);
    this.size += chunk.length;
    return this;
  }

  u8(v: number): this {
    checkUint(v, 8);
    return this.push(Uint8Array.of(v));
  }

  u16(v: number): this {
    checkUint(v, 16);
    return this.push(Uint8Array.of(v >>> 8, v & 0xff));
  }

  u24(v: number): this {
    checkUint(v, 24);
    return this.push(Uint8Array.of(v >>> 16, (v >>> 8) & 0xff, v & 0xff));
  }

  u32(v: number): this {
    checkUint(v, 32);
    return this.push(Uint8Array.of(v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff));
  }

  bytes(b: Uint8Array): this {
    return this.push(b);
  }

  /** A byte string with a `width`-byte length prefix. Throws (programmer error) if it does not fit. */
  vector(width: 1 | 2 | 3, b: Uint8Array): this {
    const max = 2 ** (8 * width) - 1;
    if (b.length > max)
      throw new RangeError(`vector of ${b.length} bytes does not fit a ${width}-byte length`);
    if (width === 1) this.u8(b.length);
    else if (width === 2) this.u16(b.length);
    else this.u24(b.length);
    return this.push(b);
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}

function checkUint(v: number, bits: number): void {
  if (!Number.isInteger(v) || v < 0 || v >= 2 ** bits) throw new RangeError(`${v} is not a u${bits}`);
}

export function concat(...parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export const utf8 = {
  encode: (s: string): Uint8Array => new TextEncoder().encode(s),
  /** Strict: invalid UTF-8 is a decode error, not replacement characters. */
  decode: (b: Uint8Array, what: string): string => {
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(b);
    } catch {
      throw new WireError(`${what}: not valid UTF-8`);
    }
  },
};

export function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

export function fromHex(s: string): Uint8Array {
  if (!/^([0-9a-f]{2})*$/i.test(s)) throw new RangeError('not a hex string');
  return Uint8Array.from(Buffer.from(s, 'hex'));
}
