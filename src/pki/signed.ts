/**
 * X.509's SIGNED{} wrapper, shared by certificates and CRLs (RFC 5280
 * §4.1.1 and §5.1.1): SEQUENCE { tbs, signatureAlgorithm, signatureValue
 * BIT STRING }. Building signs the DER of `tbs` with the issuer's key;
 * opening splits the three parts and leaves checking the signature, and the
 * match of the two algorithm fields, to the verifier.
 * @module
 */

import { type AlgorithmIdentifier, parseAlgorithmIdentifier } from './algorithm.js';
import type { Signer } from './certificate.js';
import { DerReader, derBitString, derSequence, parseDer, readBitStringBytes, Tag } from './der.js';
import type { DerNode } from './der-decode.js';

/** The complete signed structure: `tbs` (DER) signed with `signer`, under the encoded `algorithm`. */
export function encodeSigned(tbs: Uint8Array, algorithm: Uint8Array, signer: Signer): Uint8Array {
  return derSequence(tbs, algorithm, derBitString(signer.scheme.sign(signer.secretKey, tbs)));
}

export interface OpenedSigned {
  readonly tbs: DerNode;
  readonly signatureAlgorithm: AlgorithmIdentifier;
  readonly signature: Uint8Array;
}

/** Splits a signed structure; `name`/`tbsName` ('Certificate'/'tbsCertificate', …) appear in errors. */
export function openSigned(der: Uint8Array, name: string, tbsName: string): OpenedSigned {
  const outer = new DerReader(parseDer(der), name);
  const tbs = outer.next(tbsName, Tag.SEQUENCE);
  const signatureAlgorithm = parseAlgorithmIdentifier(
    outer.next('signatureAlgorithm'),
    `${name}.signatureAlgorithm`,
  );
  const signature = readBitStringBytes(outer.next('signatureValue'), `${name}.signatureValue`);
  outer.end();
  return { tbs, signatureAlgorithm, signature };
}
