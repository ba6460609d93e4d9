/**
 * An independent re-derivation of docs/PROTOCOL.md's formulas, written from the document's text over
 * @noble/hashes and @noble/ciphers — no pqvpn code — so the vector tests check the specification, not
 * only the implementation against itself.
 * @module
 */

import { gcm } from '@noble/ciphers/aes.js';
import { expand, extract } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha384 } from '@noble/hashes/sha2.js';

export { gcm, hmac, sha384 };

const enc = (s: string) => new TextEncoder().encode(s);
const cat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};
export const u8 = (v: number) => Uint8Array.of(v);
export const u16 = (v: number) => Uint8Array.of(v >>> 8, v & 0xff);
export const u32 = (v: number) => Uint8Array.of(v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
export { cat };

/** §6.1: HKDF-Extract with SHA-384 (empty salt = 0^48). */
export const hkdfExtract = (salt: Uint8Array, ikm: Uint8Array) =>
  extract(sha384, ikm, salt.length === 0 ? new Uint8Array(48) : salt);

/** §6.1: HKDF-Expand-Label with the "pqvpn1 " prefix. */
export function expandLabel(secret: Uint8Array, label: string, context: Uint8Array, length: number) {
  const full = enc(`pqvpn1 ${label}`);
  const info = cat(u16(length), u8(full.length), full, u8(context.length), context);
  return expand(sha384, secret, info, length);
}

export const deriveSecret = (secret: Uint8Array, label: string, h: Uint8Array) =>
  expandLabel(secret, label, h, 48);

const EMPTY = sha384(new Uint8Array(0));
const Z48 = new Uint8Array(48);

/** §6.2: the whole schedule of one epoch. */
export function schedule(i: {
  chain: Uint8Array;
  kem: Uint8Array;
  extra?: Uint8Array | undefined;
  psk?: Uint8Array | undefined;
  tHs: Uint8Array;
  tAp: Uint8Array;
  tData: Uint8Array;
  tAll: Uint8Array;
}) {
  const none = new Uint8Array(0);
  const extra = i.extra ?? none;
  const psk = i.psk ?? none;
  const combined = cat(u16(i.kem.length), i.kem, u16(extra.length), extra, u16(psk.length), psk);
  const early = hkdfExtract(Z48, i.chain);
  const derived1 = deriveSecret(early, 'derived', EMPTY);
  const hs = hkdfExtract(derived1, combined);
  const derived2 = deriveSecret(hs, 'derived', EMPTY);
  const master = hkdfExtract(derived2, Z48);
  return {
    combined,
    early,
    derived1,
    hs,
    cHs: deriveSecret(hs, 'c hs traffic', i.tHs),
    sHs: deriveSecret(hs, 's hs traffic', i.tHs),
    derived2,
    master,
    cAp: deriveSecret(master, 'c ap traffic', i.tAp),
    sAp: deriveSecret(master, 's ap traffic', i.tAp),
    data: deriveSecret(master, 'data', i.tData),
    rekey: deriveSecret(master, 'rekey', i.tAll),
  };
}

/** §6.4: AEAD key and IV of a traffic secret. */
export const traffic = (s: Uint8Array) => ({
  key: expandLabel(s, 'key', new Uint8Array(0), 32),
  iv: expandLabel(s, 'iv', new Uint8Array(0), 12),
});

/** §6.4: Finished. */
export const finished = (s: Uint8Array, h: Uint8Array) =>
  hmac(sha384, expandLabel(s, 'finished', new Uint8Array(0), 48), h);

/** §6.5: data keys for key id k. */
export const dataKeys = (data: Uint8Array, k: number) => ({
  c2s: { key: expandLabel(data, 'c data key', u8(k), 32), iv: expandLabel(data, 'c data iv', u8(k), 12) },
  s2c: { key: expandLabel(data, 's data key', u8(k), 32), iv: expandLabel(data, 's data iv', u8(k), 12) },
});

/** §6.4: Initial secrets of a client session id. */
export function initial(sid: Uint8Array) {
  const s = hkdfExtract(sha384(enc('pqvpn1 initial salt')), sid);
  const none = new Uint8Array(0);
  return {
    initial: s,
    client: expandLabel(s, 'c initial', none, 48),
    server: expandLabel(s, 's initial', none, 48),
    cookieReply: expandLabel(s, 'cookie reply', none, 48),
  };
}

/** §3.3: nonce = iv ⊕ (0^8 ‖ u32 packet number). */
export function controlNonce(iv: Uint8Array, pn: number): Uint8Array {
  const n = Uint8Array.from(iv);
  const b = u32(pn);
  for (let i = 0; i < 4; i++) n[8 + i]! ^= b[i]!;
  return n;
}

/** §3.1: header length of a control datagram. */
export function controlHeaderLength(d: Uint8Array): number {
  return d[17] === 0 ? 23 + d[22]! : 22;
}

/** §3.4, written out: the STREAM frames of a payload as [offset, data] (PADDING skipped, ACK parsed over). */
export function streamFrames(payload: Uint8Array): Array<[number, Uint8Array]> {
  const out: Array<[number, Uint8Array]> = [];
  const dv = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  for (let at = 0; at < payload.length; ) {
    const t = payload[at]!;
    if (t === 0) at += 1;
    else if (t === 1) at += 2 + 8 * payload[at + 1]!;
    else if (t === 2) {
      const offset = dv.getUint32(at + 1);
      const len = dv.getUint16(at + 5);
      out.push([offset, payload.slice(at + 7, at + 7 + len)]);
      at += 7 + len;
    } else throw new Error(`unknown frame ${t}`);
  }
  return out;
}
