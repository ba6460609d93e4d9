/**
 * The post-quantum PKI: X.509 certificates and CRLs signed with ML-DSA, SLH-DSA
 * or Falcon, PKCS#8 keys, a chain verifier, and the easy-rsa-like PKI directory
 * behind `pqvpn pki`. Other modules import from here.
 *
 * - Parsing (safe on untrusted input, no signature checks): `parseCertificate`,
 *   `parseCertificatesPem`, `parseCrl`, `parsePrivateKey`.
 * - Trust decisions: `verifyCertificateChain` (pure; `now` injected).
 * - Keys: `keyMatchesCertificate`, `assertKeyMatchesCertificate`, `wipePrivateKey`.
 * - Building (pure; clock and randomness injected): `createCertificate`, `signCrl`.
 * - The PKI directory: `initCa`, `issueCertificate`, `revokeCertificate`,
 *   `writeCrl`, `listCertificates`, `readPkiCertificate`, `loadCa`.
 * @module
 */

export type { AlgorithmIdentifier, SubjectPublicKeyInfo } from './algorithm.js';
export {
  type CertificateKind,
  type CertificateStatus,
  type CrlOptions,
  checkEntityName,
  DEFAULT_CA_NAME,
  DEFAULT_CRL_DAYS,
  DEFAULT_PKI_DIR,
  type InitCaOptions,
  type IssueOptions,
  type IssueResult,
  initCa,
  issueCertificate,
  kindOf,
  type ListedCertificate,
  listCertificates,
  loadCa,
  PkiError,
  type PkiPaths,
  pkiPaths,
  type RevokeOptions,
  type RevokeResult,
  readPkiCertificate,
  revokeCertificate,
  writeCrl,
} from './ca.js';
export {
  type Certificate,
  CertificateError,
  type CertificateTemplate,
  certificateFingerprint,
  certificateToPem,
  isSelfIssued,
  parseCertificate,
  parseCertificatesPem,
  type Signer,
  signCertificate,
} from './certificate.js';
export {
  type Clock,
  type PkiContext,
  type RandomSource,
  systemClock,
  systemContext,
  systemRandom,
} from './context.js';
export {
  type Crl,
  CrlError,
  type CrlTemplate,
  crlToPem,
  parseCrl,
  type RevokedCertificate,
  signCrl,
} from './crl.js';
export { DerError } from './der.js';
export { describeCertificate, describeCrl } from './describe.js';
export {
  type BasicConstraints,
  type Extension,
  type KeyUsage,
  type ParsedExtensions,
  RevocationReason,
  type RevocationReasonName,
} from './extensions.js';
export { type GeneralName, parseSanList } from './general-name.js';
export {
  type CertificateProfile,
  createCertificate,
  DEFAULT_CA_DAYS,
  DEFAULT_LEAF_DAYS,
  type IssuingCa,
  type NewCertificate,
  type NewCertificateOptions,
} from './issue.js';
export { commonNameOf, type DistinguishedName, formatName, type NameInput } from './name.js';
export {
  assertKeyMatchesCertificate,
  type GeneratedKey,
  generatePrivateKey,
  keyMatchesCertificate,
  type PrivateKey,
  PrivateKeyError,
  parsePrivateKey,
  privateKeyToPem,
  wipePrivateKey,
} from './private-key.js';
export {
  type CertificateInput,
  type CrlInput,
  type ExpectedName,
  MAX_CHAIN_LENGTH,
  type VerifyFailure,
  VerifyFailureCode,
  type VerifyOptions,
  type VerifyResult,
  type VerifySuccess,
  verifyCertificateChain,
} from './verify.js';
