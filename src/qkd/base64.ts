/**
 * Strict base64 for ETSI GS QKD 014 `key` fields.
 *
 * ETSI 014 says keys are "Base64-encoded" (RFC 4648 §4: the standard alphabet,
 * with padding). Node's `Buffer.from(s, 'base64')` accepts almost anything — it
 * skips characters outside the alphabet, mixes in the URL-safe alphabet, stops
 * at the first '=' and ignores what follows — so a truncated or corrupted key
 * would silently decode to fewer or different bytes. This decoder accepts only
 * canonical text: length a multiple of 4, the standard alphabet, at most two
 * '=' at the end, and zero bits in the unused part of the last group (so each
 * byte string has exactly one accepted encoding).
 *
 * It decodes into a fresh Uint8Array (never Node's shared Buffer pool), so the
 * caller can wipe the key with `fill(0)` and no copy stays behind.
 * @module
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) VALUE[ALPHABET.charCodeAt(i)] = i;

/** Decodes canonical padded standard base64, or returns undefined. Never throws, never logs its input. */
export function decodeBase64Canonical(text: string): Uint8Array | undefined {
  if (text.length === 0 || text.length % 4 !== 0) return undefined;
  const pad = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((text.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    const last = i + 4 === text.length;
    const v: number[] = [];
    for (let j = 0; j < 4; j++) {
      const c = text.charCodeAt(i + j);
      if (last && c === 61 /* = */ && j >= 4 - pad) {
        v.push(0);
        continue;
      }
      const x = c < 128 ? VALUE[c]! : -1;
      if (x < 0) {
        out.fill(0);
        return undefined;
      }
      v.push(x);
    }
    const n = (v[0]! << 18) | (v[1]! << 12) | (v[2]! << 6) | v[3]!;
    if (last && pad > 0) {
      // Canonical form: the bits the padding stands for must be zero.
      const unused = pad === 2 ? n & 0xffff : n & 0xff;
      if (unused !== 0) {
        out.fill(0);
        return undefined;
      }
    }
    out[o++] = (n >> 16) & 0xff;
    if (o < out.length) out[o++] = (n >> 8) & 0xff;
    if (o < out.length) out[o++] = n & 0xff;
  }
  return out;
}

/** Standard padded base64 of `bytes` (the encoding side: the simulator and tests). */
export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}
