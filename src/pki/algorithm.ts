/**
 * AlgorithmIdentifier and SubjectPublicKeyInfo for post-quantum signature schemes.
 *
 * RFC 9881 (ML-DSA) and RFC 9909 (SLH-DSA) use one OID for both the key and the
 * signature, with the parameters field ABSENT (not NULL), and put the raw public
 * key bytes (FIPS 204 `pk` / FIPS 205 `PK.seed || PK.root`) directly in the
 * subjectPublicKey BIT STRING. Falcon follows the same shape under its Open
 * Quantum Safe experimental OID. An OID that no registered scheme knows still
 * parses (`scheme` is undefined) so that the verifier can name it in its error.
 * @module
 */

import type { SignatureScheme } from '../crypto/signature-scheme.js';
import { signatureSchemeByOid } from '../crypto/signature-schemes.js';
import {
  DerError,
  type DerNode,
  DerReader,
  derBitString,
  derOid,
  derSequence,
  readBitStringBytes,
  readOid,
} from './der.js';

export interface AlgorithmIdentifier {
  readonly oid: string;
  /** The registered scheme with this OID, if any. */
  readonly scheme: SignatureScheme | undefined;
  /** The DER encoding, compared byte for byte where RFC 5280 requires two copies to match. */
  readonly der: Uint8Array;
}

export interface SubjectPublicKeyInfo {
  readonly algorithm: AlgorithmIdentifier;
  /** The raw public key (the BIT STRING's bytes). */
  readonly publicKey: Uint8Array;
  readonly der: Uint8Array;
}

export function encodeAlgorithmIdentifier(scheme: SignatureScheme): Uint8Array {
  return derSequence(derOid(scheme.oid));
}

export function parseAlgorithmIdentifier(node: DerNode, what: string): AlgorithmIdentifier {
  const r = new DerReader(node, what);
  const oid = readOid(r.next('algorithm'), `${what}.algorithm`);
  const scheme = signatureSchemeByOid(oid);
  // Our schemes forbid parameters; an unknown algorithm may carry some (it is rejected later, by name).
  if (scheme) r.end();
  return { oid, scheme, der: node.encoded };
}

export function encodeSubjectPublicKeyInfo(scheme: SignatureScheme, publicKey: Uint8Array): Uint8Array {
  if (publicKey.length !== scheme.publicKeyBytes) {
    throw new RangeError(`${scheme.name} public key must be ${scheme.publicKeyBytes} bytes`);
  }
  return derSequence(encodeAlgorithmIdentifier(scheme), derBitString(publicKey));
}

export function parseSubjectPublicKeyInfo(
  node: DerNode,
  what = 'SubjectPublicKeyInfo',
): SubjectPublicKeyInfo {
  const r = new DerReader(node, what);
  const algorithm = parseAlgorithmIdentifier(r.next('algorithm'), `${what}.algorithm`);
  const publicKey = readBitStringBytes(r.next('subjectPublicKey'), `${what}.subjectPublicKey`);
  r.end();
  const scheme = algorithm.scheme;
  if (scheme && publicKey.length !== scheme.publicKeyBytes) {
    throw new DerError(
      `${what}: ${scheme.name} public key is ${publicKey.length} bytes, expected ${scheme.publicKeyBytes}`,
    );
  }
  return { algorithm, publicKey, der: node.encoded };
}
