/**
 * DATA packets: the wire codec and its AES-256-GCM protection (the hot path).
 *
 * ```
 *  0        1                 4                                12            12+n      12+n+16
 *  +--------+-----------------+---------------------------------+-------------+----------+
 *  |op|kid  | peer id (24 BE) | packet counter (64 BE)          | ciphertext  | GCM tag  |
 *  +--------+-----------------+---------------------------------+-------------+----------+
 *  \_____________________ AAD (12 bytes) ______________________/
 * ```
 *
 * - byte 0 = (9 << 3) | key_id;
 * - nonce = IV (12 bytes, per direction and key id) XOR (4 zero bytes ‖ counter
 *   as 8 bytes big-endian), as TLS 1.3 (RFC 8446 §5.3) — the counter never
 *   repeats under a key, so neither does the nonce;
 * - ciphertext ‖ tag = AES-256-GCM(key, nonce, AAD = header, plaintext).
 *
 * Performance: node:crypto has no way to re-key a GCM context with a new nonce,
 * so each packet costs one `createCipheriv`; everything else is kept lean —
 * the key and nonce buffers are allocated once per key, the header is written
 * straight into the output buffer (which is then the AAD), and the ciphertext
 * and tag are copied into that one buffer (one small copy; the AES work
 * dominates). See test/protocol/data/data-packet.bench.ts.
 *
 * `DataSealer`/`DataOpener` trust their caller (the data channel) to have
 * validated lengths and counters; `sealDataPacket`/`openDataPacket` are the
 * checked one-shot forms for vectors and tools.
 * @module
 */

import { createCipheriv, createDecipheriv } from 'node:crypto';
import {
  COUNTER_OFFSET,
  DATA_HEADER_LENGTH,
  DATA_OVERHEAD,
  DATA_TAG_LENGTH,
  KEY_ID_MASK,
  MAX_DATA_PLAINTEXT,
  MAX_PACKET_COUNTER,
  MAX_PEER_ID,
  OPCODE_DATA,
  OPCODE_SHIFT,
} from './constants.js';
import { DataChannelError } from './errors.js';
import { DATA_IV_LENGTH, DATA_KEY_LENGTH, type DirectionKey, isValidKeyId } from './keys.js';

const GCM = 'aes-256-gcm';
const GCM_OPTIONS = Object.freeze({ authTagLength: DATA_TAG_LENGTH });
const TWO_32 = 2 ** 32;

/** Opcode of any datagram (high 5 bits of byte 0). */
export function opcodeOf(datagram: Uint8Array): number {
  return (datagram[0] ?? 0) >>> OPCODE_SHIFT;
}

/** Key id of any datagram (low 3 bits of byte 0). */
export function keyIdOf(datagram: Uint8Array): number {
  return (datagram[0] ?? 0) & KEY_ID_MASK;
}

/** Peer id of a data packet (bytes 1–3). The caller checked the length. */
export function peerIdOf(datagram: Uint8Array): number {
  return (datagram[1]! << 16) | (datagram[2]! << 8) | datagram[3]!;
}

/** Packet counter of a data packet (bytes 4–11), exact up to 2^53. The caller checked the length. */
export function counterOf(datagram: Uint8Array): number {
  const o = COUNTER_OFFSET;
  const hi =
    ((datagram[o]! << 24) | (datagram[o + 1]! << 16) | (datagram[o + 2]! << 8) | datagram[o + 3]!) >>> 0;
  const lo =
    ((datagram[o + 4]! << 24) | (datagram[o + 5]! << 16) | (datagram[o + 6]! << 8) | datagram[o + 7]!) >>> 0;
  return hi * TWO_32 + lo;
}

export interface DataHeader {
  readonly keyId: number;
  readonly peerId: number;
  readonly counter: number;
}

/** One direction's AES-GCM state for sealing: key, IV words, nonce scratch. */
export class DataSealer {
  readonly keyId: number;
  readonly peerId: number;
  readonly #key: Buffer;
  readonly #nonce: Buffer;
  readonly #ivMid: number;
  readonly #ivLow: number;
  readonly #header: Buffer;

  constructor(direction: DirectionKey, keyId: number, peerId: number) {
    checkDirection(direction);
    if (!isValidKeyId(keyId))
      throw new DataChannelError('DATA_KEY_INVALID', `key id must be 0..7, got ${keyId}`);
    if (!Number.isInteger(peerId) || peerId < 0 || peerId > MAX_PEER_ID) {
      throw new DataChannelError('DATA_CONFIG_INVALID', `peer id must be 0..0xFFFFFE, got ${peerId}`);
    }
    this.keyId = keyId;
    this.peerId = peerId;
    this.#key = Buffer.alloc(DATA_KEY_LENGTH);
    this.#key.set(direction.key);
    this.#nonce = Buffer.alloc(DATA_IV_LENGTH);
    this.#nonce.set(direction.iv);
    this.#ivMid = this.#nonce.readUInt32BE(4);
    this.#ivLow = this.#nonce.readUInt32BE(8);
    this.#header = Buffer.alloc(DATA_HEADER_LENGTH);
    this.#header[0] = (OPCODE_DATA << OPCODE_SHIFT) | keyId;
    this.#header[1] = peerId >>> 16;
    this.#header[2] = (peerId >>> 8) & 0xff;
    this.#header[3] = peerId & 0xff;
  }

  /**
   * Seal `plaintext` under `counter`. The caller guarantees 1 ≤ counter ≤ 2^48−1,
   * never reused with this key, and 1 ≤ plaintext length ≤ 65535. Returns a
   * Buffer (a Uint8Array) holding the whole datagram.
   */
  seal(counter: number, plaintext: Uint8Array): Buffer {
    const n = plaintext.length;
    const hi = Math.floor(counter / TWO_32);
    const lo = counter >>> 0;
    const header = this.#header; // byte 0 and the peer id were written once
    header.writeUInt32BE(hi, COUNTER_OFFSET);
    header.writeUInt32BE(lo, COUNTER_OFFSET + 4);
    const nonce = this.#nonce;
    nonce.writeUInt32BE((this.#ivMid ^ hi) >>> 0, 4);
    nonce.writeUInt32BE((this.#ivLow ^ lo) >>> 0, 8);
    const cipher = createCipheriv(GCM, this.#key, nonce, GCM_OPTIONS);
    cipher.setAAD(header);
    const ciphertext = cipher.update(plaintext);
    cipher.final();
    const out = Buffer.allocUnsafe(DATA_OVERHEAD + n);
    out.set(header, 0);
    out.set(ciphertext, DATA_HEADER_LENGTH);
    out.set(cipher.getAuthTag(), DATA_HEADER_LENGTH + n);
    return out;
  }

  /** Zero the key copy. The sealer must not be used afterwards. */
  wipe(): void {
    this.#key.fill(0);
    this.#nonce.fill(0);
  }
}

/** One direction's AES-GCM state for opening. */
export class DataOpener {
  readonly #key: Buffer;
  readonly #nonce: Buffer;
  readonly #ivMid: number;
  readonly #ivLow: number;

  constructor(direction: DirectionKey) {
    checkDirection(direction);
    this.#key = Buffer.alloc(DATA_KEY_LENGTH);
    this.#key.set(direction.key);
    this.#nonce = Buffer.alloc(DATA_IV_LENGTH);
    this.#nonce.set(direction.iv);
    this.#ivMid = this.#nonce.readUInt32BE(4);
    this.#ivLow = this.#nonce.readUInt32BE(8);
  }

  /**
   * Verify and decrypt a whole datagram (header as AAD). The caller checked
   * that it is at least `DATA_OVERHEAD` bytes long. Returns the plaintext, or
   * undefined if the tag does not verify (nothing of the unauthenticated
   * plaintext is returned or kept).
   */
  open(datagram: Uint8Array): Buffer | undefined {
    const length = datagram.length;
    const o = COUNTER_OFFSET;
    const hi =
      ((datagram[o]! << 24) | (datagram[o + 1]! << 16) | (datagram[o + 2]! << 8) | datagram[o + 3]!) >>> 0;
    const lo =
      ((datagram[o + 4]! << 24) | (datagram[o + 5]! << 16) | (datagram[o + 6]! << 8) | datagram[o + 7]!) >>>
      0;
    const nonce = this.#nonce;
    nonce.writeUInt32BE((this.#ivMid ^ hi) >>> 0, 4);
    nonce.writeUInt32BE((this.#ivLow ^ lo) >>> 0, 8);
    const decipher = createDecipheriv(GCM, this.#key, nonce, GCM_OPTIONS);
    decipher.setAAD(datagram.subarray(0, DATA_HEADER_LENGTH));
    decipher.setAuthTag(datagram.subarray(length - DATA_TAG_LENGTH));
    const plaintext = decipher.update(datagram.subarray(DATA_HEADER_LENGTH, length - DATA_TAG_LENGTH));
    try {
      decipher.final();
    } catch {
      plaintext.fill(0);
      return undefined;
    }
    return plaintext;
  }

  wipe(): void {
    this.#key.fill(0);
    this.#nonce.fill(0);
  }
}

/** Checked one-shot seal (for vectors and tools; the data channel uses `DataSealer`). */
export function sealDataPacket(
  direction: DirectionKey,
  header: DataHeader,
  plaintext: Uint8Array,
): Uint8Array {
  const { keyId, peerId, counter } = header;
  if (!Number.isInteger(counter) || counter < 1 || counter > MAX_PACKET_COUNTER) {
    throw new DataChannelError('DATA_MISUSE', `packet counter must be 1..2^48-1, got ${counter}`);
  }
  if (plaintext.length < 1 || plaintext.length > MAX_DATA_PLAINTEXT) {
    throw new DataChannelError('DATA_MISUSE', `plaintext must be 1..65535 bytes, got ${plaintext.length}`);
  }
  const sealer = new DataSealer(direction, keyId, peerId);
  try {
    return sealer.seal(counter, plaintext);
  } finally {
    sealer.wipe();
  }
}

/**
 * Checked one-shot open: parses the header and verifies. Returns undefined for
 * anything that is not an authentic DATA packet under `direction` (wrong
 * opcode, too short or too long, counter out of range, bad tag).
 */
export function openDataPacket(
  direction: DirectionKey,
  datagram: Uint8Array,
): { header: DataHeader; plaintext: Uint8Array } | undefined {
  if (datagram.length < DATA_OVERHEAD + 1 || datagram.length > DATA_OVERHEAD + MAX_DATA_PLAINTEXT)
    return undefined;
  if (opcodeOf(datagram) !== OPCODE_DATA) return undefined;
  const counter = counterOf(datagram);
  if (counter < 1 || counter > MAX_PACKET_COUNTER) return undefined;
  const opener = new DataOpener(direction);
  try {
    const plaintext = opener.open(datagram);
    if (plaintext === undefined) return undefined;
    return { header: { keyId: keyIdOf(datagram), peerId: peerIdOf(datagram), counter }, plaintext };
  } finally {
    opener.wipe();
  }
}

function checkDirection(direction: DirectionKey): void {
  if (!(direction.key instanceof Uint8Array) || direction.key.length !== DATA_KEY_LENGTH) {
    throw new DataChannelError('DATA_KEY_INVALID', `key must be ${DATA_KEY_LENGTH} bytes`);
  }
  if (!(direction.iv instanceof Uint8Array) || direction.iv.length !== DATA_IV_LENGTH) {
    throw new DataChannelError('DATA_KEY_INVALID', `iv must be ${DATA_IV_LENGTH} bytes`);
  }
}
