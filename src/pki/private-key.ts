/**
 * Private keys as PKCS#8 `PRIVATE KEY` (RFC 5958 OneAsymmetricKey, version 0):
 * `SEQUENCE { version INTEGER 0, privateKeyAlgorithm AlgorithmIdentifier,
 * privateKey OCTET STRING }`. What the privateKey OCTET STRING holds depends on
 * the scheme family:
 *
 * - ML-DSA (RFC 9881 §6): the DER of `ML-DSA-PrivateKey`, a CHOICE. We write the
 *   `seed [0] IMPLICIT OCTET STRING (SIZE (32))` form (34 bytes, `80 20 …`): the
 *   key pair is re-derived from the seed with FIPS 204 ML-DSA.KeyGen_internal.
 *   We also read the `both SEQUENCE { seed, expandedKey }` form (OpenSSL 3.5's
 *   default) after checking that the expanded key matches the seed. The
 *   `expandedKey`-only form cannot be checked and is refused.
 * - SLH-DSA (RFC 9909 §6): the raw FIPS 205 private key
 *   `SK.seed || SK.prf || PK.seed || PK.root` directly in privateKey. On load the
 *   root is recomputed from the seeds, so a corrupt key is caught here rather
 *   than as a bad signature later.
 * - Falcon and plugin schemes: no standard exists; pqvpn uses the ML-DSA-style
 *   `seed [0]` form with the scheme's own seed length. Experimental: other tools
 *   (e.g. oqs-provider, which stores `sk || pk`) will not read these keys.
 *
 * Every form carries the key pair's generating randomness only, so a loaded key
 * is always internally consistent; `keyMatchesCertificate` then compares its
 * public key with a certificate's in constant time.
 * @module
 */

import { timingSafeEqual } from 'node:crypto';
import type { SignatureScheme } from '../crypto/signature-scheme.js';
import { PqvpnError } from '../errors.js';
import { decodePem, encodePem } from '../util/pem.js';
import { encodeAlgorithmIdentifier, parseAlgorithmIdentifier } from './algorithm.js';
import type { Certificate } from './certificate.js';
import type { RandomSource } from './context.js';
import {
  DerReader,
  derImplicit,
  derInteger,
  derOctetString,
  derSequence,
  parseDer,
  readOctetString,
  readSmallInteger,
  Tag,
} from './der.js';

export interface PrivateKey {
  readonly scheme: SignatureScheme;
  readonly secretKey: Uint8Array;
  readonly publicKey: Uint8Array;
}

export interface GeneratedKey {
  readonly key: PrivateKey;
  /** The PKCS#8 DER encoding; write it with `privateKeyToPem`. */
  readonly pkcs8: Uint8Array;
}

export class PrivateKeyError extends PqvpnError {}

type KeyForm = 'seed' | 'raw';

/** Which privateKey content form a scheme uses (see the module comment). */
function formOf(scheme: SignatureScheme): KeyForm {
  return scheme.name.startsWith('slh-dsa-') ? 'raw' : 'seed';
}

/** Generates a key pair from `random` and returns it with its PKCS#8 encoding. */
export function generatePrivateKey(scheme: SignatureScheme, random: RandomSource): GeneratedKey {
  const seed = random(scheme.seedBytes);
  if (seed.length !== scheme.seedBytes) throw new RangeError('random source returned the wrong length');
  try {
    const { publicKey, secretKey } = scheme.keygen(seed);
    const content = formOf(scheme) === 'raw' ? secretKey : derImplicit(0, seed);
    const pkcs8 = derSequence(derInteger(0), encodeAlgorithmIdentifier(scheme), derOctetString(content));
    return { key: { scheme, secretKey, publicKey }, pkcs8 };
  } finally {
    seed.fill(0);
  }
}

export function privateKeyToPem(pkcs8: Uint8Array): string {
  return encodePem('PRIVATE KEY', pkcs8);
}

/**
 * Loads a PKCS#8 private key from PEM text (`PRIVATE KEY`) or DER. Errors carry
 * code `KEY_INVALID` (or `DER_MALFORMED`) and never include key bytes.
 */
export function parsePrivateKey(input: Uint8Array | string): PrivateKey {
  const der = typeof input === 'string' ? decodePem(input, 'PRIVATE KEY') : input;
  const r = new DerReader(parseDer(der), 'PrivateKeyInfo');
  const version = readSmallInteger(r.next('version'), 'PrivateKeyInfo.version');
  if (version !== 0 && version !== 1) throw invalid(`unsupported PKCS#8 version ${version}`);
  const algorithm = parseAlgorithmIdentifier(
    r.next('privateKeyAlgorithm'),
    'PrivateKeyInfo.privateKeyAlgorithm',
  );
  const content = readOctetString(r.next('privateKey'), 'PrivateKeyInfo.privateKey');
  // attributes [0] and (v2) publicKey [1] may follow; the public key is re-derived instead.
  r.optional(0xa0);
  if (version === 1) r.optional(0x81);
  r.end();
  const scheme = algorithm.scheme;
  if (!scheme) throw invalid(`private key algorithm ${algorithm.oid} is not a known signature scheme`);
  return formOf(scheme) === 'raw' ? loadRaw(scheme, content) : loadSeeded(scheme, content);
}

function loadSeeded(scheme: SignatureScheme, content: Uint8Array): PrivateKey {
  const node = parseDer(content);
  if (node.tag === 0x80) return fromSeed(scheme, checkSeed(scheme, node.content));
  if (node.tag === Tag.SEQUENCE) {
    // ML-DSA `both`: SEQUENCE { seed OCTET STRING, expandedKey OCTET STRING }.
    const both = new DerReader(node, 'privateKey.both');
    const seed = checkSeed(scheme, readOctetString(both.next('seed')));
    const expanded = readOctetString(both.next('expandedKey'));
    both.end();
    const key = fromSeed(scheme, seed);
    if (expanded.length !== key.secretKey.length || !timingSafeEqual(expanded, key.secretKey)) {
      throw invalid(`${scheme.name} private key: expandedKey does not match seed`);
    }
    return key;
  }
  if (node.tag === Tag.OCTET_STRING) {
    throw invalid(
      `${scheme.name} private key in expandedKey-only form is not supported; export the seed form`,
    );
  }
  throw invalid(`${scheme.name} private key has an unknown form`);
}

function checkSeed(scheme: SignatureScheme, seed: Uint8Array): Uint8Array {
  if (seed.length !== scheme.seedBytes) {
    throw invalid(`${scheme.name} private key seed must be ${scheme.seedBytes} bytes`);
  }
  return seed;
}

function fromSeed(scheme: SignatureScheme, seed: Uint8Array): PrivateKey {
  const copy = new Uint8Array(seed);
  try {
    const { publicKey, secretKey } = scheme.keygen(copy);
    return { scheme, secretKey, publicKey };
  } finally {
    copy.fill(0);
  }
}

function loadRaw(scheme: SignatureScheme, content: Uint8Array): PrivateKey {
  // FIPS 205: SK = SK.seed || SK.prf || PK.seed || PK.root, each n bytes; seedBytes = 3n.
  const n = scheme.seedBytes / 3;
  if (content.length !== 4 * n) throw invalid(`${scheme.name} private key must be ${4 * n} bytes`);
  const seed = new Uint8Array(content.subarray(0, 3 * n));
  try {
    const { publicKey, secretKey } = scheme.keygen(seed);
    if (!timingSafeEqual(secretKey, content)) {
      throw invalid(`${scheme.name} private key is inconsistent (PK.root does not match the seeds)`);
    }
    return { scheme, secretKey, publicKey };
  } finally {
    seed.fill(0);
  }
}

/** True when `key` is the private half of `cert`'s public key (constant-time comparison). */
export function keyMatchesCertificate(key: PrivateKey, cert: Certificate): boolean {
  const spki = cert.subjectPublicKeyInfo;
  if (spki.algorithm.oid !== key.scheme.oid) return false;
  if (spki.publicKey.length !== key.publicKey.length) return false;
  return timingSafeEqual(spki.publicKey, key.publicKey);
}

/** Throws `KEY_CERT_MISMATCH` unless `key` belongs to `cert`. */
export function assertKeyMatchesCertificate(key: PrivateKey, cert: Certificate, what = 'private key'): void {
  if (!keyMatchesCertificate(key, cert)) {
    throw new PrivateKeyError('KEY_CERT_MISMATCH', `${what} does not match the certificate's public key`);
  }
}

/** Overwrites the secret key bytes; call when a key is no longer needed. */
export function wipePrivateKey(key: PrivateKey): void {
  key.secretKey.fill(0);
}

function invalid(message: string): PrivateKeyError {
  return new PrivateKeyError('KEY_INVALID', message);
}
