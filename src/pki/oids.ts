/**
 * Object identifiers used by the PKI, each with the document that assigns it.
 *
 * Signature-algorithm OIDs are not here: they belong to the schemes in
 * src/crypto/signature-schemes.ts (ML-DSA: RFC 9881, SLH-DSA: RFC 9909, Falcon:
 * the Open Quantum Safe experimental arc), so that a plugin scheme brings its own.
 * @module
 */

/** Attribute types of distinguished names (RFC 5280 Appendix A, X.520). */
export const AttributeOid = {
  commonName: '2.5.4.3',
  countryName: '2.5.4.6',
  localityName: '2.5.4.7',
  stateOrProvinceName: '2.5.4.8',
  organizationName: '2.5.4.10',
  organizationalUnitName: '2.5.4.11',
  /** PKCS #9 (RFC 2985); legacy but still printed by OpenSSL as `emailAddress`. */
  emailAddress: '1.2.840.113549.1.9.1',
} as const;

/** Certificate and CRL extensions (RFC 5280 §4.2 and §5.2–5.3). */
export const ExtensionOid = {
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  crlNumber: '2.5.29.20',
  reasonCode: '2.5.29.21',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
} as const;

/** Extended key usage purposes (RFC 5280 §4.2.1.12). */
export const ExtKeyUsageOid = {
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  anyExtendedKeyUsage: '2.5.29.37.0',
} as const;
