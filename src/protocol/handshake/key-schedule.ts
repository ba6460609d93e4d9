/**
 * The pqvpn key schedule: TLS 1.3's (RFC 8446 §7.1) with SHA-384, pqvpn labels,
 * and a hybrid input.
 *
 * ```
 *   chain (0^48 in the first handshake; the previous epoch's rekey secret in a rekey)
 *     |
 *     v
 *   early_secret = HKDF-Extract(salt = 0^48, IKM = chain)
 *     |
 *     Derive-Secret(., "derived", "")
 *     v
 *   handshake_secret = HKDF-Extract(salt = ^, IKM = combined)
 *        combined = u16 len ‖ kem_ss ‖ u16 len ‖ extra_secret ‖ u16 len ‖ psk
 *     +--> Derive-Secret(., "c hs traffic" / "s hs traffic", CH..SH)  (Finished keys, handshake packets)
 *     |
 *     Derive-Secret(., "derived", "")
 *     v
 *   master_secret = HKDF-Extract(salt = ^, IKM = 0^48)
 *     +--> Derive-Secret(., "c ap traffic" / "s ap traffic", ..first Finished)
 *     +--> Derive-Secret(., "data",  T_data)   -> per-direction data keys for this key id
 *     +--> Derive-Secret(., "rekey", ..last Finished)    -> chain of the next epoch
 * ```
 * where "first Finished" is the server's in the first handshake and the
 * responder's in a rekey, and T_data is the transcript through the client's
 * Finished in the first handshake (the last message) and through the
 * responder's Finished in a rekey (docs/PROTOCOL.md §6).
 *
 * The combiner: the KEM shared secret, the optional extra secret (a QKD key) and
 * the optional PSK are concatenated, each with a 16-bit length prefix (so the
 * encoding is injective; an absent input is a zero length), in that fixed
 * order, into the IKM of one HKDF-Extract — the "concatenation" combiner of
 * draft-ietf-tls-hybrid-design §3.3. Under the usual assumption that
 * HKDF-Extract (HMAC) is a dual PRF / a good KDF when *any* part of its input is
 * uniformly random and unknown, handshake_secret stays secret while any one of
 * the three holds. The identifiers of the extra secret and the PSK's presence
 * are in the ClientHello/RekeyInit and so in every transcript hash below.
 *
 * All functions are pure and synchronous; secrets are Uint8Arrays the caller
 * owns and may wipe.
 * @module
 */

import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { AEAD_IV_LENGTH, AEAD_KEY_LENGTH, HASH_LENGTH, KEY_CHECK_LENGTH } from './constants.js';
import { INITIAL_SALT_INPUT, LABEL_PREFIX, Label } from './labels.js';
import { WireWriter } from './wire.js';

export const ZERO_HASH = new Uint8Array(HASH_LENGTH);

export function sha384(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha384').update(data).digest());
}

export function hmacSha384(key: Uint8Array, data: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac('sha384', key).update(data).digest());
}

/** HKDF-Extract (RFC 5869 §2.2) with SHA-384. */
export function hkdfExtract(salt: Uint8Array, ikm: Uint8Array): Uint8Array {
  return hmacSha384(salt.length === 0 ? ZERO_HASH : salt, ikm);
}

/** HKDF-Expand (RFC 5869 §2.3) with SHA-384. */
export function hkdfExpand(prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  if (length > 255 * HASH_LENGTH) throw new RangeError('HKDF-Expand length too large');
  const out = new Uint8Array(length);
  let t = new Uint8Array(0);
  let at = 0;
  for (let i = 1; at < length; i++) {
    const h = createHmac('sha384', prk);
    h.update(t);
    h.update(info);
    h.update(Uint8Array.of(i));
    t = new Uint8Array(h.digest());
    out.set(t.subarray(0, Math.min(t.length, length - at)), at);
    at += t.length;
  }
  return out;
}

/** The HkdfLabel structure of RFC 8446 §7.1 with the "pqvpn1 " prefix. */
export function hkdfLabel(label: string, context: Uint8Array, length: number): Uint8Array {
  const full = new TextEncoder().encode(LABEL_PREFIX + label);
  if (full.length > 255 || context.length > 255) throw new RangeError('label or context too long');
  return new WireWriter().u16(length).vector(1, full).vector(1, context).finish();
}

export function expandLabel(
  secret: Uint8Array,
  label: string,
  context: Uint8Array,
  length: number,
): Uint8Array {
  return hkdfExpand(secret, hkdfLabel(label, context, length), length);
}

/** Derive-Secret(secret, label, transcript_hash) of RFC 8446 §7.1 (the hash is passed, not the messages). */
export function deriveSecret(secret: Uint8Array, label: string, transcriptHash: Uint8Array): Uint8Array {
  return expandLabel(secret, label, transcriptHash, HASH_LENGTH);
}

/** The injective, length-prefixed concatenation of the hybrid inputs (order: KEM, extra, PSK). */
export function combineSecrets(
  kemSharedSecret: Uint8Array,
  extraSecret: Uint8Array | undefined,
  psk: Uint8Array | undefined,
): Uint8Array {
  return new WireWriter()
    .vector(2, kemSharedSecret)
    .vector(2, extraSecret ?? new Uint8Array(0))
    .vector(2, psk ?? new Uint8Array(0))
    .finish();
}

const EMPTY_HASH = sha384(new Uint8Array(0));

/** early_secret → handshake_secret. `chain` is 0^48 for the first handshake, the previous rekey secret otherwise. */
export function handshakeSecret(chain: Uint8Array, combined: Uint8Array): Uint8Array {
  const early = hkdfExtract(ZERO_HASH, chain);
  return hkdfExtract(deriveSecret(early, Label.derived, EMPTY_HASH), combined);
}

/**
 * ServerHello.key_check = HKDF-Expand-Label(handshake_secret, "key check", Hash(ClientHello), 16).
 * Lets the client tell "the PSK or extra secret differs" (an alert it can still send
 * at the Initial level) from packet loss, instead of failing to decrypt everything.
 * It reveals nothing useful: handshake_secret depends on the KEM shared secret.
 */
export function keyCheck(handshake: Uint8Array, clientHelloHash: Uint8Array): Uint8Array {
  return expandLabel(handshake, Label.keyCheck, clientHelloHash, KEY_CHECK_LENGTH);
}

export function masterSecret(handshake: Uint8Array): Uint8Array {
  return hkdfExtract(deriveSecret(handshake, Label.derived, EMPTY_HASH), ZERO_HASH);
}

/** An AEAD key and IV expanded from a traffic secret (RFC 8446 §7.3). */
export interface TrafficKeys {
  readonly key: Uint8Array;
  readonly iv: Uint8Array;
}

export function trafficKeys(secret: Uint8Array): TrafficKeys {
  return {
    key: expandLabel(secret, Label.key, new Uint8Array(0), AEAD_KEY_LENGTH),
    iv: expandLabel(secret, Label.iv, new Uint8Array(0), AEAD_IV_LENGTH),
  };
}

/** finished_key = HKDF-Expand-Label(traffic secret, "finished", "", 48); verify_data = HMAC(finished_key, hash). */
export function finishedMac(trafficSecret: Uint8Array, transcriptHash: Uint8Array): Uint8Array {
  const finishedKey = expandLabel(trafficSecret, Label.finished, new Uint8Array(0), HASH_LENGTH);
  return hmacSha384(finishedKey, transcriptHash);
}

/** Both directions' data keys for one key id, from the epoch's data secret. */
export interface DirectionalDataKeys {
  readonly clientToServer: TrafficKeys;
  readonly serverToClient: TrafficKeys;
}

export function dataKeys(dataSecret: Uint8Array, keyId: number): DirectionalDataKeys {
  const ctx = Uint8Array.of(keyId);
  return {
    clientToServer: {
      key: expandLabel(dataSecret, Label.clientDataKey, ctx, AEAD_KEY_LENGTH),
      iv: expandLabel(dataSecret, Label.clientDataIv, ctx, AEAD_IV_LENGTH),
    },
    serverToClient: {
      key: expandLabel(dataSecret, Label.serverDataKey, ctx, AEAD_KEY_LENGTH),
      iv: expandLabel(dataSecret, Label.serverDataIv, ctx, AEAD_IV_LENGTH),
    },
  };
}

/** The fixed Initial salt: SHA-384("pqvpn1 initial salt"). */
export const INITIAL_SALT = sha384(new TextEncoder().encode(INITIAL_SALT_INPUT));

/** Initial secrets, keyed by the client's session id (anyone who sees the packet can derive them). */
export function initialSecrets(clientSessionId: Uint8Array): {
  client: Uint8Array;
  server: Uint8Array;
  cookieReply: Uint8Array;
} {
  const initial = hkdfExtract(INITIAL_SALT, clientSessionId);
  const none = new Uint8Array(0);
  return {
    client: expandLabel(initial, Label.clientInitial, none, HASH_LENGTH),
    server: expandLabel(initial, Label.serverInitial, none, HASH_LENGTH),
    cookieReply: expandLabel(initial, Label.cookieReply, none, HASH_LENGTH),
  };
}

/** Traffic secrets protecting the packets of rekey handshake `keyId`, from the previous epoch's rekey secret. */
export function rekeyTrafficSecrets(
  previousRekeySecret: Uint8Array,
  keyId: number,
): {
  client: Uint8Array;
  server: Uint8Array;
} {
  const ctx = Uint8Array.of(keyId);
  return {
    client: expandLabel(previousRekeySecret, Label.clientRekeyTraffic, ctx, HASH_LENGTH),
    server: expandLabel(previousRekeySecret, Label.serverRekeyTraffic, ctx, HASH_LENGTH),
  };
}

/** Constant-time equality for MACs (the length is public). */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
