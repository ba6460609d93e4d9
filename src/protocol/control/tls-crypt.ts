/**
 * tls-crypt: optional outer protection of every control packet with a static
 * pre-shared key (the role of OpenVPN's `--tls-crypt`), docs/PROTOCOL.md §7.
 *
 * ```
 *   0   1   first byte of the inner packet (opcode | key id), in clear, authenticated
 *   1  24   nonce, fresh random per packet
 *  25   n   XChaCha20-Poly1305(key_dir, nonce, inner[1..], aad = inner[0])
 *  ..  16   tag
 * ```
 *
 * Why XChaCha20-Poly1305 with random nonces: the static key is shared by the
 * server and *all* its clients, so there is no counter a sender could own
 * (OpenVPN's tls-crypt uses AES-256-CTR + HMAC with a packet id for the same
 * reason). With 192-bit random nonces the chance that two of 2^48 packets
 * under one key share a nonce is about 2^-97, so no coordination is needed.
 * Per-direction subkeys (HKDF over the static key, labels "tls-crypt c2s" /
 * "tls-crypt s2c") stop a packet from being reflected back to its sender.
 *
 * What it gives: observers see only opcodes and sizes; packets from anyone
 * without the key are dropped after one symmetric decryption, before any
 * public-key work or per-client memory; and it stays secure against quantum
 * attackers (256-bit symmetric key). What it does not give: replay protection
 * (the inner layer drops replayed packets) or protection between clients
 * sharing the key — every client holds it, so a malicious client can make
 * packets any other client could have sent; the inner handshake still
 * authenticates everything.
 *
 * Limits: rotate the static key long before 2^48 packets have been wrapped
 * under it in either direction.
 * @module
 */

import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { PqvpnError } from '../../errors.js';
import { expandLabel, hkdfExtract, ZERO_HASH } from '../handshake/key-schedule.js';
import { Label } from '../handshake/labels.js';

export const TLS_CRYPT_NONCE_LENGTH = 24;
export const TLS_CRYPT_OVERHEAD = TLS_CRYPT_NONCE_LENGTH + 16;
export const TLS_CRYPT_MIN_KEY_LENGTH = 32;

export type Direction = 'client-to-server' | 'server-to-client';

export interface TlsCryptKeys {
  readonly clientToServer: Uint8Array;
  readonly serverToClient: Uint8Array;
}

/** Derives the two direction keys from the static key (32 bytes or more of uniform randomness). */
export function deriveTlsCryptKeys(staticKey: Uint8Array): TlsCryptKeys {
  if (staticKey.length < TLS_CRYPT_MIN_KEY_LENGTH) {
    throw new PqvpnError('TLS_CRYPT_KEY', `tls-crypt key must be at least ${TLS_CRYPT_MIN_KEY_LENGTH} bytes`);
  }
  const prk = hkdfExtract(ZERO_HASH, staticKey);
  const none = new Uint8Array(0);
  return {
    clientToServer: expandLabel(prk, Label.tlsCryptClientToServer, none, 32),
    serverToClient: expandLabel(prk, Label.tlsCryptServerToClient, none, 32),
  };
}

function keyFor(keys: TlsCryptKeys, direction: Direction): Uint8Array {
  return direction === 'client-to-server' ? keys.clientToServer : keys.serverToClient;
}

/** Wraps an inner control/cookie packet. `nonce` must be 24 fresh random bytes. */
export function tlsCryptWrap(
  keys: TlsCryptKeys,
  direction: Direction,
  inner: Uint8Array,
  nonce: Uint8Array,
): Uint8Array {
  if (nonce.length !== TLS_CRYPT_NONCE_LENGTH) throw new RangeError('tls-crypt nonce must be 24 bytes');
  if (inner.length < 1) throw new RangeError('empty packet');
  const aad = inner.subarray(0, 1);
  const sealed = xchacha20poly1305(keyFor(keys, direction), nonce, aad).encrypt(inner.subarray(1));
  const out = new Uint8Array(1 + TLS_CRYPT_NONCE_LENGTH + sealed.length);
  out[0] = inner[0]!;
  out.set(nonce, 1);
  out.set(sealed, 1 + TLS_CRYPT_NONCE_LENGTH);
  return out;
}

/** Unwraps; `undefined` when the packet is too short or does not authenticate. */
export function tlsCryptUnwrap(
  keys: TlsCryptKeys,
  direction: Direction,
  datagram: Uint8Array,
): Uint8Array | undefined {
  if (datagram.length < 1 + TLS_CRYPT_OVERHEAD + 1) return undefined;
  const aad = datagram.subarray(0, 1);
  const nonce = datagram.subarray(1, 1 + TLS_CRYPT_NONCE_LENGTH);
  try {
    const plain = xchacha20poly1305(keyFor(keys, direction), nonce, aad).decrypt(
      datagram.subarray(1 + TLS_CRYPT_NONCE_LENGTH),
    );
    const out = new Uint8Array(plain.length + 1);
    out[0] = datagram[0]!;
    out.set(plain, 1);
    return out;
  } catch {
    return undefined;
  }
}
