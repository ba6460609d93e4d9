/**
 * The built-in signature schemes and the registry that finds a scheme by name,
 * OID or wire code point.
 *
 * Every scheme wraps @noble/post-quantum; pqvpn adds only names and identifiers:
 * - ML-DSA (FIPS 204): OIDs from RFC 9881, TLS code points from
 *   draft-ietf-tls-mldsa (0x0904–0x0906).
 * - SLH-DSA (FIPS 205): OIDs from RFC 9909, code points from draft-reddy-tls-slhdsa
 *   (0x0911–0x091C). `-f` variants sign fast with big signatures, `-s` variants
 *   sign slowly with smaller ones.
 * - Falcon-512 (FN-DSA draft): no IETF OID exists yet; we use the Open Quantum
 *   Safe experimental OID 1.3.9999.3.11 and a TLS private-use code point, and say
 *   so wherever it is printed.
 *
 * Third-party plugins (docs/PLUGINS.md) are added with `registerSignatureScheme`
 * and must not reuse a built-in name, OID or code point.
 * @module
 */

import { falcon512 } from '@noble/post-quantum/falcon.js';
import { ml_dsa44, ml_dsa65, ml_dsa87 } from '@noble/post-quantum/ml-dsa.js';
import * as slh from '@noble/post-quantum/slh-dsa.js';
import { PqvpnError } from '../errors.js';
import type { SignatureKeyPair, SignatureScheme } from './signature-scheme.js';

/** The subset of noble's `Signer` that we use. */
interface NobleSigner {
  lengths: { seed?: number; publicKey?: number; signature?: number };
  keygen(seed?: Uint8Array): { publicKey: Uint8Array; secretKey: Uint8Array };
  sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array;
  verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean;
}

function fromNoble(
  name: string,
  oid: string,
  codePoint: number,
  signer: NobleSigner,
  maxSignature?: number,
): SignatureScheme {
  const seedBytes = signer.lengths.seed!;
  const publicKeyBytes = signer.lengths.publicKey!;
  const signatureBytes = maxSignature ?? signer.lengths.signature!;
  return Object.freeze({
    name,
    oid,
    codePoint,
    seedBytes,
    publicKeyBytes,
    signatureBytes,
    keygen(seed: Uint8Array): SignatureKeyPair {
      if (seed.length !== seedBytes)
        throw new PqvpnError('BAD_SEED', `${name} needs a ${seedBytes}-byte seed`);
      const { publicKey, secretKey } = signer.keygen(seed);
      return { publicKey, secretKey };
    },
    sign(secretKey: Uint8Array, message: Uint8Array): Uint8Array {
      return signer.sign(message, secretKey);
    },
    verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
      // noble throws on wrong lengths; untrusted input must yield false instead.
      if (publicKey.length !== publicKeyBytes || signature.length > signatureBytes) return false;
      try {
        return signer.verify(signature, message, publicKey);
      } catch {
        return false;
      }
    },
  });
}

const NIST_SIG = '2.16.840.1.101.3.4.3';

/** Falcon-512 detached signatures are variable length; 752 bytes is the bound for the padded form. */
const FALCON512_MAX_SIGNATURE = 752;

const builtins: readonly SignatureScheme[] = [
  fromNoble('ml-dsa-44', `${NIST_SIG}.17`, 0x0904, ml_dsa44),
  fromNoble('ml-dsa-65', `${NIST_SIG}.18`, 0x0905, ml_dsa65),
  fromNoble('ml-dsa-87', `${NIST_SIG}.19`, 0x0906, ml_dsa87),
  fromNoble('slh-dsa-sha2-128s', `${NIST_SIG}.20`, 0x0911, slh.slh_dsa_sha2_128s),
  fromNoble('slh-dsa-sha2-128f', `${NIST_SIG}.21`, 0x0912, slh.slh_dsa_sha2_128f),
  fromNoble('slh-dsa-sha2-192s', `${NIST_SIG}.22`, 0x0913, slh.slh_dsa_sha2_192s),
  fromNoble('slh-dsa-sha2-192f', `${NIST_SIG}.23`, 0x0914, slh.slh_dsa_sha2_192f),
  fromNoble('slh-dsa-sha2-256s', `${NIST_SIG}.24`, 0x0915, slh.slh_dsa_sha2_256s),
  fromNoble('slh-dsa-sha2-256f', `${NIST_SIG}.25`, 0x0916, slh.slh_dsa_sha2_256f),
  fromNoble('slh-dsa-shake-128s', `${NIST_SIG}.26`, 0x0917, slh.slh_dsa_shake_128s),
  fromNoble('slh-dsa-shake-128f', `${NIST_SIG}.27`, 0x0918, slh.slh_dsa_shake_128f),
  fromNoble('slh-dsa-shake-192s', `${NIST_SIG}.28`, 0x0919, slh.slh_dsa_shake_192s),
  fromNoble('slh-dsa-shake-192f', `${NIST_SIG}.29`, 0x091a, slh.slh_dsa_shake_192f),
  fromNoble('slh-dsa-shake-256s', `${NIST_SIG}.30`, 0x091b, slh.slh_dsa_shake_256s),
  fromNoble('slh-dsa-shake-256f', `${NIST_SIG}.31`, 0x091c, slh.slh_dsa_shake_256f),
  fromNoble('falcon-512', '1.3.9999.3.11', 0xfe01, falcon512, FALCON512_MAX_SIGNATURE),
];

export const DEFAULT_SIGNATURE_SCHEME = 'ml-dsa-65';

const byName = new Map<string, SignatureScheme>();
const byOid = new Map<string, SignatureScheme>();
const byCodePoint = new Map<number, SignatureScheme>();

export class UnknownSignatureSchemeError extends PqvpnError {
  constructor(what: string) {
    super('UNKNOWN_SIGNATURE_SCHEME', `unknown signature scheme ${what}`);
  }
}

/** Adds a scheme (a third-party plugin) to the registry. Throws if any identifier is taken. */
export function registerSignatureScheme(scheme: SignatureScheme): void {
  const name = scheme.name.toLowerCase();
  if (byName.has(name))
    throw new PqvpnError('SCHEME_CONFLICT', `signature scheme name ${name} is already registered`);
  if (byOid.has(scheme.oid))
    throw new PqvpnError(
      'SCHEME_CONFLICT',
      `OID ${scheme.oid} is already used by ${byOid.get(scheme.oid)!.name}`,
    );
  if (byCodePoint.has(scheme.codePoint)) {
    throw new PqvpnError(
      'SCHEME_CONFLICT',
      `code point 0x${scheme.codePoint.toString(16)} is already used by ${byCodePoint.get(scheme.codePoint)!.name}`,
    );
  }
  byName.set(name, scheme);
  byOid.set(scheme.oid, scheme);
  byCodePoint.set(scheme.codePoint, scheme);
}

for (const scheme of builtins) registerSignatureScheme(scheme);

export function signatureSchemeByName(name: string): SignatureScheme {
  const scheme = byName.get(name.toLowerCase());
  if (!scheme)
    throw new UnknownSignatureSchemeError(`'${name}' (known: ${signatureSchemeNames().join(', ')})`);
  return scheme;
}

export function signatureSchemeByOid(oid: string): SignatureScheme | undefined {
  return byOid.get(oid);
}

export function signatureSchemeByCodePoint(codePoint: number): SignatureScheme | undefined {
  return byCodePoint.get(codePoint);
}

export function signatureSchemeNames(): string[] {
  return [...byName.keys()];
}

export function isBuiltinSignatureScheme(scheme: SignatureScheme): boolean {
  return builtins.includes(scheme);
}
