/**
 * Peer authentication helpers shared by the client and server machines:
 * the CertificateVerify signature input, the mapping from certificate
 * verification failures to alerts, and OpenVPN's verify-x509-name check.
 * @module
 */

import type { SignatureScheme } from '../../crypto/signature-scheme.js';
import { AlertCode } from './constants.js';
import type { HandshakeCrypto } from './crypto-provider.js';
import type { PeerCertificateVerifier } from './types.js';
import { concat } from './wire.js';

/** A peer's verified certificate key: what its CertificateVerify must be signed with. */
export interface PeerKey {
  readonly publicKey: Uint8Array;
  readonly scheme: SignatureScheme;
  readonly commonName: string;
}

/** Why a peer's Certificate or CertificateVerify is refused: the alert to send and a local detail. */
export interface PeerAuthFailure {
  readonly alert: AlertCode;
  readonly detail: string;
}

/**
 * Checks a peer's Certificate message, in order: the chain (CA, validity,
 * EKU, revocation), then `nameCheck` (the client's verify-x509-name; returns
 * a refusal detail or undefined), then the signature schemes accepted here.
 */
export function checkPeerCertificate(
  verifier: PeerCertificateVerifier,
  chain: readonly Uint8Array[],
  role: 'server' | 'client',
  now: number,
  acceptedSchemes: readonly SignatureScheme[],
  nameCheck: (commonName: string) => string | undefined = () => undefined,
): PeerKey | PeerAuthFailure {
  const v = verifier.verify(chain, role === 'server' ? 'serverAuth' : 'clientAuth', now);
  if (!v.ok) return { alert: alertForCertificateFailure(v.code), detail: `${role} certificate: ${v.reason}` };
  const nameRefusal = nameCheck(v.commonName);
  if (nameRefusal !== undefined) return { alert: AlertCode.badCertificate, detail: nameRefusal };
  if (!acceptedSchemes.includes(v.scheme))
    return {
      alert: AlertCode.badCertificate,
      detail: `${role} certificate uses ${v.scheme.name}, not accepted`,
    };
  return { publicKey: v.publicKey, scheme: v.scheme, commonName: v.commonName };
}

/**
 * Checks a peer's CertificateVerify against its certificate key: the same
 * scheme, and a signature over `signatureInput(context, transcriptHash)`.
 */
export function checkCertificateVerify(
  crypto: HandshakeCrypto,
  key: PeerKey,
  role: 'server' | 'client',
  scheme: number,
  signature: Uint8Array,
  context: string,
  transcriptHash: Uint8Array,
): PeerAuthFailure | undefined {
  if (scheme !== key.scheme.codePoint)
    return {
      alert: AlertCode.illegalParameter,
      detail: 'CertificateVerify scheme differs from the certificate',
    };
  if (!crypto.verify(key.scheme, key.publicKey, signatureInput(context, transcriptHash), signature))
    return { alert: AlertCode.decryptError, detail: `${role} CertificateVerify signature does not verify` };
  return undefined;
}

/**
 * What a CertificateVerify signs (RFC 8446 §4.4.3 layout): 64 spaces, the
 * context string ("pqvpn1 server CertificateVerify" or "… client …"), a zero
 * byte, and the transcript hash up to and including the Certificate message.
 */
export function signatureInput(context: string, transcriptHash: Uint8Array): Uint8Array {
  return concat(
    new Uint8Array(64).fill(0x20),
    new TextEncoder().encode(context),
    Uint8Array.of(0),
    transcriptHash,
  );
}

/**
 * The alert for a verifier failure code. Codes from src/pki (`VerifyFailureCode`)
 * and the short forms a test double may use are both understood; anything
 * else is BAD_CERTIFICATE.
 */
export function alertForCertificateFailure(code: string): AlertCode {
  switch (code) {
    case 'UNKNOWN_CA':
    case 'UNKNOWN_ISSUER':
      return AlertCode.unknownCa;
    case 'CERTIFICATE_EXPIRED':
    case 'EXPIRED':
    case 'NOT_YET_VALID':
      return AlertCode.certificateExpired;
    case 'CERTIFICATE_REVOKED':
    case 'REVOKED':
      return AlertCode.certificateRevoked;
    default:
      return AlertCode.badCertificate;
  }
}

/** OpenVPN `verify-x509-name NAME name|name-prefix` on the certificate's common name. */
export function matchesX509Name(
  commonName: string,
  rule: { type: 'name' | 'name-prefix'; value: string },
): boolean {
  return rule.type === 'name' ? commonName === rule.value : commonName.startsWith(rule.value);
}
