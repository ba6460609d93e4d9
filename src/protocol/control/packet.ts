/**
 * Control packets: the datagram format that carries handshake messages and
 * acknowledgements (docs/PROTOCOL.md §3).
 *
 * ```
 *   0      1  opcode(1) << 3 | key_id
 *   1      8  src_session_id     sender's session id
 *   9      8  dst_session_id     receiver's session id (all zero while unknown)
 *  17      1  level              0 initial, 1 handshake, 2 application
 *  18      4  packet_number      u32, per direction per key id, never reused
 *  [level 0 only]
 *  22      1  token_length       0..64 (a cookie; always 0 from the server)
 *  23      n  token
 *   ...       AES-256-GCM(payload), 16-byte tag; AAD = all the bytes above
 * ```
 *
 * The nonce is the level key's 12-byte IV XOR the packet number left-padded to
 * 12 bytes (TLS 1.3 §5.3). Packet numbers are never reused under a key because
 * each direction of each key epoch numbers its packets from 0 across all
 * levels, and each level has its own key.
 *
 * The payload is a sequence of frames: PADDING (0x00), ACK (0x01) and STREAM
 * (0x02). Parsing
 * is strict; `parseControlPacket` checks only the framing, and `open` is
 * the authentication: nothing in a control packet may be acted on before it
 * succeeds.
 * @module
 */

import { createCipheriv, createDecipheriv } from 'node:crypto';
import {
  AEAD_TAG_LENGTH,
  CONTROL_HEADER_LENGTH,
  FrameType,
  LEVEL_COUNT,
  Level,
  MAX_ACK_RANGES,
  MAX_TOKEN_LENGTH,
  Opcode,
  SESSION_ID_LENGTH,
} from '../handshake/constants.js';
import type { TrafficKeys } from '../handshake/key-schedule.js';
import { WireError, WireReader, WireWriter } from '../handshake/wire.js';

export function firstByte(opcode: number, keyId: number): number {
  return ((opcode & 0x1f) << 3) | (keyId & 0x07);
}
export function opcodeOf(datagram: Uint8Array): number {
  return datagram.length === 0 ? -1 : datagram[0]! >>> 3;
}
export function keyIdOf(datagram: Uint8Array): number {
  return datagram[0]! & 0x07;
}

export interface ControlHeader {
  readonly keyId: number;
  readonly srcSessionId: Uint8Array;
  readonly dstSessionId: Uint8Array;
  readonly level: Level;
  readonly packetNumber: number;
  /** Only at level 0; empty otherwise. */
  readonly token: Uint8Array;
}

export interface ParsedControlPacket {
  readonly header: ControlHeader;
  /** The header bytes: the AEAD's associated data. */
  readonly aad: Uint8Array;
  /** Ciphertext followed by the tag. */
  readonly sealed: Uint8Array;
}

export const ZERO_SESSION_ID = new Uint8Array(SESSION_ID_LENGTH);

export function isZeroSessionId(sid: Uint8Array): boolean {
  return sid.every((b) => b === 0);
}

export function headerLength(level: Level, tokenLength: number): number {
  return CONTROL_HEADER_LENGTH + (level === Level.initial ? 1 + tokenLength : 0);
}

/** Splits a control datagram into header, AAD and sealed payload. Throws WireError on bad framing. */
export function parseControlPacket(datagram: Uint8Array): ParsedControlPacket {
  const r = new WireReader(datagram);
  const b0 = r.u8('control.opcode');
  if (b0 >>> 3 !== Opcode.control) throw new WireError('control.opcode: not a control packet');
  const srcSessionId = r.bytesN(SESSION_ID_LENGTH, 'control.src_session_id');
  const dstSessionId = r.bytesN(SESSION_ID_LENGTH, 'control.dst_session_id');
  const level = r.u8('control.level');
  if (level >= LEVEL_COUNT) throw new WireError(`control.level: reserved value ${level}`);
  const packetNumber = r.u32('control.packet_number');
  const token =
    level === Level.initial ? r.vector(1, 'control.token', 0, MAX_TOKEN_LENGTH) : new Uint8Array(0);
  const aad = datagram.subarray(0, r.position);
  if (r.remaining < AEAD_TAG_LENGTH + 1) throw new WireError('control: payload too short');
  return {
    header: { keyId: b0 & 7, srcSessionId, dstSessionId, level: level as Level, packetNumber, token },
    aad,
    sealed: r.rest(),
  };
}

function nonceFor(iv: Uint8Array, packetNumber: number): Uint8Array {
  const nonce = Uint8Array.from(iv);
  nonce[8]! ^= (packetNumber >>> 24) & 0xff;
  nonce[9]! ^= (packetNumber >>> 16) & 0xff;
  nonce[10]! ^= (packetNumber >>> 8) & 0xff;
  nonce[11]! ^= packetNumber & 0xff;
  return nonce;
}

export function encodeHeader(h: ControlHeader): Uint8Array {
  const w = new WireWriter()
    .u8(firstByte(Opcode.control, h.keyId))
    .bytes(h.srcSessionId)
    .bytes(h.dstSessionId)
    .u8(h.level)
    .u32(h.packetNumber);
  if (h.level === Level.initial) w.vector(1, h.token);
  else if (h.token.length !== 0) throw new RangeError('a token is only allowed at level 0');
  return w.finish();
}

/** Builds and seals a control packet. */
export function sealControlPacket(h: ControlHeader, payload: Uint8Array, keys: TrafficKeys): Uint8Array {
  const aad = encodeHeader(h);
  const cipher = createCipheriv('aes-256-gcm', keys.key, nonceFor(keys.iv, h.packetNumber));
  cipher.setAAD(aad);
  const ct = cipher.update(payload);
  cipher.final();
  const tag = cipher.getAuthTag();
  const out = new Uint8Array(aad.length + ct.length + tag.length);
  out.set(aad, 0);
  out.set(ct, aad.length);
  out.set(tag, aad.length + ct.length);
  return out;
}

/** Authenticates and decrypts; `undefined` if the tag does not verify. */
export function openControlPacket(p: ParsedControlPacket, keys: TrafficKeys): Uint8Array | undefined {
  const ctLen = p.sealed.length - AEAD_TAG_LENGTH;
  try {
    const decipher = createDecipheriv('aes-256-gcm', keys.key, nonceFor(keys.iv, p.header.packetNumber));
    decipher.setAAD(p.aad);
    decipher.setAuthTag(p.sealed.subarray(ctLen));
    const pt = decipher.update(p.sealed.subarray(0, ctLen));
    decipher.final();
    return new Uint8Array(pt.buffer, pt.byteOffset, pt.byteLength);
  } catch {
    return undefined;
  }
}

// ------------------------------------------------------------------ frames

/** Inclusive packet-number range [first, last]. */
export type PacketRange = readonly [first: number, last: number];

export type Frame =
  | { readonly type: 'ack'; readonly ranges: readonly PacketRange[] }
  | { readonly type: 'stream'; readonly offset: number; readonly data: Uint8Array }
  /** `length` zero bytes (each a one-byte PADDING frame, type 0x00). */
  | { readonly type: 'padding'; readonly length: number };

export const STREAM_FRAME_OVERHEAD = 1 + 4 + 2;
export function ackFrameLength(ranges: number): number {
  return 2 + 8 * ranges;
}

export function encodeFrames(frames: readonly Frame[]): Uint8Array {
  const w = new WireWriter();
  for (const f of frames) {
    if (f.type === 'ack') {
      if (f.ranges.length < 1 || f.ranges.length > MAX_ACK_RANGES) throw new RangeError('ack: 1..16 ranges');
      w.u8(FrameType.ack).u8(f.ranges.length);
      for (const [first, last] of f.ranges) w.u32(first).u32(last);
    } else if (f.type === 'stream') {
      w.u8(FrameType.stream).u32(f.offset).vector(2, f.data);
    } else {
      w.bytes(new Uint8Array(f.length));
    }
  }
  return w.finish();
}

/**
 * Strict frame decoding: ACK ranges must be well-formed, descending and
 * disjoint; at most one ACK frame per packet; at least one frame that is not
 * padding. PADDING bytes are dropped from the result.
 */
export function decodeFrames(payload: Uint8Array): Frame[] {
  const r = new WireReader(payload);
  const frames: Frame[] = [];
  let sawAck = false;
  while (r.remaining > 0) {
    const t = r.u8('frame.type');
    if (t === FrameType.padding) continue;
    if (t === FrameType.ack) {
      if (sawAck) throw new WireError('frame: two ACK frames');
      sawAck = true;
      const n = r.u8('ack.count');
      if (n < 1 || n > MAX_ACK_RANGES) throw new WireError(`ack.count: ${n}`);
      const ranges: PacketRange[] = [];
      let floor = Number.POSITIVE_INFINITY;
      for (let i = 0; i < n; i++) {
        const first = r.u32('ack.first');
        const last = r.u32('ack.last');
        if (first > last || last >= floor)
          throw new WireError('ack: ranges must be ordered, disjoint, descending');
        floor = first;
        ranges.push([first, last]);
      }
      frames.push({ type: 'ack', ranges });
    } else if (t === FrameType.stream) {
      const offset = r.u32('stream.offset');
      const data = r.vector(2, 'stream.data', 1);
      frames.push({ type: 'stream', offset, data });
    } else {
      throw new WireError(`frame.type: unknown ${t}`);
    }
  }
  if (frames.length === 0) throw new WireError('payload: no frames');
  return frames;
}
