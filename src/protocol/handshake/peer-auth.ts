/**
 * Peer authentication helpers shared by the client and server machines:
 * the CertificateVerify signature input, the mapping from certificate
 * verification failures to alerts, and OpenVPN's verify-x509-name check.
 * @module
 */

import { AlertCode } from './constants.js';
import { concat } from './wire.js';

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
