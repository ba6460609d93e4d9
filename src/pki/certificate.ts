/**
 * X.509 v3 certificates (RFC 5280 §4.1) with post-quantum signatures.
 *
 * ```
 * Certificate  ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue BIT STRING }
 * TBSCertificate ::= SEQUENCE {
 *   version [0] EXPLICIT INTEGER (2 = v3), serialNumber INTEGER, signature AlgorithmIdentifier,
 *   issuer Name, validity SEQUENCE { notBefore Time, notAfter Time }, subject Name,
 *   subjectPublicKeyInfo, [1]/[2] unique IDs (rejected), extensions [3] EXPLICIT Extensions }
 * ```
 * The signature is the scheme's pure mode with an empty context over the DER
 * TBSCertificate (RFC 9881 §3, RFC 9909 §3).
 *
 * `parseCertificate` checks structure only (strict DER, v3, the two algorithm
 * identifiers identical, known extensions well-formed); whether a certificate is
 * trustworthy is `verifyCertificateChain`'s business. Parsing never verifies a
 * signature, so it is cheap and safe on untrusted input.
 * @module
 */

import { createHash } from 'node:crypto';
import type { SignatureScheme } from '../crypto/signature-scheme.js';
import { PqvpnError } from '../errors.js';
import { decodePem, encodePem } from '../util/pem.js';
import {
  type AlgorithmIdentifier,
  encodeAlgorithmIdentifier,
  encodeSubjectPublicKeyInfo,
  parseAlgorithmIdentifier,
  parseSubjectPublicKeyInfo,
  type SubjectPublicKeyInfo,
} from './algorithm.js';
import {
  DerError,
  DerReader,
  derExplicit,
  derInteger,
  derSequence,
  derTime,
  derUnsignedInteger,
  readPositiveIntegerBytes,
  readSmallInteger,
  readTime,
  Tag,
} from './der.js';
import { type ParsedExtensions, parseExtensions } from './extensions.js';
import { type DistinguishedName, parseName } from './name.js';
import { encodeSigned, openSigned } from './signed.js';

export interface Certificate {
  /** The whole certificate, DER. */
  readonly der: Uint8Array;
  /** The DER TBSCertificate: the bytes the issuer signed. */
  readonly tbs: Uint8Array;
  /** Serial number magnitude (big-endian, positive, minimal). */
  readonly serial: Uint8Array;
  /** Serial number as upper-case hex, as OpenSSL's index.txt writes it. */
  readonly serialHex: string;
  readonly signatureAlgorithm: AlgorithmIdentifier;
  readonly signature: Uint8Array;
  readonly issuer: DistinguishedName;
  readonly subject: DistinguishedName;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly subjectPublicKeyInfo: SubjectPublicKeyInfo;
  readonly extensions: ParsedExtensions;
}

/** What the issuer decides; `signCertificate` turns it into a signed certificate. */
export interface CertificateTemplate {
  readonly serial: Uint8Array;
  readonly issuer: DistinguishedName;
  readonly subject: DistinguishedName;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly subjectScheme: SignatureScheme;
  readonly subjectPublicKey: Uint8Array;
  /** Encoded `Extension`s, in the order they should appear. */
  readonly extensions: readonly Uint8Array[];
}

/** The signing half of a key pair, as the CA holds it. */
export interface Signer {
  readonly scheme: SignatureScheme;
  readonly secretKey: Uint8Array;
}

export class CertificateError extends PqvpnError {}

/** Encodes, signs and re-parses a certificate. */
export function signCertificate(template: CertificateTemplate, issuer: Signer): Certificate {
  if (template.notAfter.getTime() <= template.notBefore.getTime()) {
    throw new RangeError('notAfter must be later than notBefore');
  }
  const algorithm = encodeAlgorithmIdentifier(issuer.scheme);
  const tbs = derSequence(
    derExplicit(0, derInteger(2)),
    derUnsignedInteger(template.serial),
    algorithm,
    template.issuer.der,
    derSequence(derTime(template.notBefore), derTime(template.notAfter)),
    template.subject.der,
    encodeSubjectPublicKeyInfo(template.subjectScheme, template.subjectPublicKey),
    ...(template.extensions.length > 0 ? [derExplicit(3, derSequence(...template.extensions))] : []),
  );
  return parseCertificate(encodeSigned(tbs, algorithm, issuer));
}

/**
 * Parses one certificate from DER bytes or PEM text (`CERTIFICATE` block). Throws
 * `DerError` (code `DER_MALFORMED`) for bad encodings and `CertificateError`
 * (code `CERT_INVALID`) for well-encoded certificates that break RFC 5280's
 * structure rules.
 */
export function parseCertificate(input: Uint8Array | string): Certificate {
  const der = typeof input === 'string' ? decodePem(input, 'CERTIFICATE') : input;
  const { tbs: tbsNode, signatureAlgorithm, signature } = openSigned(der, 'Certificate', 'tbsCertificate');

  const tbs = new DerReader(tbsNode, 'TBSCertificate');
  const versionNode = tbs.optional(0xa0);
  if (!versionNode) throw invalid('only X.509 v3 certificates are accepted (version field missing)');
  const version = readSmallInteger(new DerReader(versionNode, 'version', 0xa0).next('version'), 'version');
  if (version !== 2) throw invalid(`only X.509 v3 certificates are accepted (version ${version + 1})`);
  if (versionNode.children.length !== 1) throw new DerError('TBSCertificate.version: trailing fields');
  const serial = readPositiveIntegerBytes(tbs.next('serialNumber'), 'TBSCertificate.serialNumber');
  if (serial.length > 20) throw invalid('serial number longer than 20 octets (RFC 5280 4.1.2.2)');
  const innerAlgorithm = parseAlgorithmIdentifier(tbs.next('signature'), 'TBSCertificate.signature');
  const issuer = parseName(tbs.next('issuer', Tag.SEQUENCE), 'TBSCertificate.issuer');
  const validity = new DerReader(tbs.next('validity'), 'TBSCertificate.validity');
  const notBefore = readTime(validity.next('notBefore'), 'validity.notBefore');
  const notAfter = readTime(validity.next('notAfter'), 'validity.notAfter');
  validity.end();
  const subject = parseName(tbs.next('subject', Tag.SEQUENCE), 'TBSCertificate.subject');
  const subjectPublicKeyInfo = parseSubjectPublicKeyInfo(tbs.next('subjectPublicKeyInfo'));
  if (tbs.optional(0x81) || tbs.optional(0xa1) || tbs.optional(0x82) || tbs.optional(0xa2)) {
    throw invalid('issuerUniqueID/subjectUniqueID are not supported');
  }
  const extensionsNode = tbs.optional(0xa3);
  tbs.end();
  let extensions: ParsedExtensions = { all: [] };
  if (extensionsNode) {
    const inner = new DerReader(extensionsNode, 'TBSCertificate.extensions', 0xa3);
    extensions = parseExtensions(inner.next('Extensions', Tag.SEQUENCE));
    inner.end();
  }

  if (!bytesEqual(innerAlgorithm.der, signatureAlgorithm.der)) {
    throw invalid('signatureAlgorithm differs from TBSCertificate.signature (RFC 5280 4.1.1.2)');
  }
  if (subject.rdns.length === 0 && !extensions.subjectAltName) {
    throw invalid('a certificate with an empty subject needs a subjectAltName (RFC 5280 4.1.2.6)');
  }
  return {
    der,
    tbs: tbsNode.encoded,
    serial,
    serialHex: toHex(serial),
    signatureAlgorithm,
    signature,
    issuer,
    subject,
    notBefore,
    notAfter,
    subjectPublicKeyInfo,
    extensions,
  };
}

/** Every `CERTIFICATE` block in a PEM bundle, in order (a CA file may hold several). */
export function parseCertificatesPem(text: string): Certificate[] {
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new CertificateError('CERT_INVALID', 'no CERTIFICATE PEM block found');
  return blocks.map((block) => parseCertificate(block));
}

export function certificateToPem(cert: Certificate | Uint8Array): string {
  return encodePem('CERTIFICATE', cert instanceof Uint8Array ? cert : cert.der);
}

/** SHA-256 of the DER, as `AB:CD:…` (what `openssl x509 -fingerprint -sha256` prints). */
export function certificateFingerprint(cert: Certificate): string {
  const digest = createHash('sha256').update(cert.der).digest();
  return [...digest].map((b) => b.toString(16).padStart(2, '0').toUpperCase()).join(':');
}

/** A self-issued certificate has the same subject and issuer (RFC 5280 §6.1). */
export function isSelfIssued(cert: Certificate): boolean {
  return bytesEqual(cert.subject.der, cert.issuer.der);
}

export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s.toUpperCase();
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function invalid(message: string): CertificateError {
  return new CertificateError('CERT_INVALID', message);
}
