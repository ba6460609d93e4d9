/**
 * Certificate revocation lists: X.509 v2 CRLs (RFC 5280 §5).
 *
 * ```
 * CertificateList ::= SEQUENCE { tbsCertList, signatureAlgorithm, signatureValue BIT STRING }
 * TBSCertList ::= SEQUENCE {
 *   version INTEGER (1 = v2), signature AlgorithmIdentifier, issuer Name,
 *   thisUpdate Time, nextUpdate Time OPTIONAL,
 *   revokedCertificates SEQUENCE OF SEQUENCE {
 *     userCertificate INTEGER, revocationDate Time, crlEntryExtensions Extensions OPTIONAL } OPTIONAL,
 *   crlExtensions [0] EXPLICIT Extensions OPTIONAL }
 * ```
 * pqvpn writes v2 CRLs with the cRLNumber and authorityKeyIdentifier extensions
 * (both required of conforming CAs by §5.2), a nextUpdate (also required), and a
 * reasonCode entry extension unless the reason is `unspecified` (§5.3.1 says to
 * omit it then). An empty list omits revokedCertificates entirely, as DER needs.
 * @module
 */

import { PqvpnError } from '../errors.js';
import { decodePem, encodePem } from '../util/pem.js';
import {
  type AlgorithmIdentifier,
  encodeAlgorithmIdentifier,
  parseAlgorithmIdentifier,
} from './algorithm.js';
import { bytesEqual, type Certificate, type Signer, toHex } from './certificate.js';
import {
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
import {
  authorityKeyIdentifierExtension,
  crlNumberExtension,
  keyIdentifier,
  type ParsedExtensions,
  parseExtensions,
  parseReasonCode,
  type RevocationReasonName,
  reasonCodeExtension,
} from './extensions.js';
import { type DistinguishedName, parseName } from './name.js';
import { ExtensionOid } from './oids.js';
import { encodeSigned, openSigned } from './signed.js';

export interface RevokedCertificate {
  readonly serial: Uint8Array;
  readonly serialHex: string;
  readonly revocationDate: Date;
  /** Absent means unspecified. */
  readonly reason?: RevocationReasonName;
}

export interface Crl {
  readonly der: Uint8Array;
  /** The DER TBSCertList: the bytes the issuer signed. */
  readonly tbs: Uint8Array;
  readonly signatureAlgorithm: AlgorithmIdentifier;
  readonly signature: Uint8Array;
  readonly issuer: DistinguishedName;
  readonly thisUpdate: Date;
  readonly nextUpdate?: Date;
  readonly revoked: readonly RevokedCertificate[];
  readonly extensions: ParsedExtensions;
  /** Entry extensions that are critical and not understood (a verifier must reject the CRL). */
  readonly unknownCriticalEntryExtensions: readonly string[];
}

export interface CrlTemplate {
  /** The CA certificate whose key signs the CRL. */
  readonly issuer: Certificate;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
  readonly crlNumber: bigint;
  readonly revoked: readonly { serial: Uint8Array; revocationDate: Date; reason?: RevocationReasonName }[];
}

export class CrlError extends PqvpnError {}

export function signCrl(template: CrlTemplate, signer: Signer): Crl {
  if (template.nextUpdate.getTime() <= template.thisUpdate.getTime()) {
    throw new RangeError('nextUpdate must be later than thisUpdate');
  }
  const algorithm = encodeAlgorithmIdentifier(signer.scheme);
  const entries = template.revoked.map((r) =>
    derSequence(
      derUnsignedInteger(r.serial),
      derTime(r.revocationDate),
      ...(r.reason && r.reason !== 'unspecified' ? [derSequence(reasonCodeExtension(r.reason))] : []),
    ),
  );
  const aki =
    template.issuer.extensions.subjectKeyIdentifier ??
    keyIdentifier(template.issuer.subjectPublicKeyInfo.publicKey);
  const tbs = derSequence(
    derInteger(1),
    algorithm,
    template.issuer.subject.der,
    derTime(template.thisUpdate),
    derTime(template.nextUpdate),
    ...(entries.length > 0 ? [derSequence(...entries)] : []),
    derExplicit(0, derSequence(authorityKeyIdentifierExtension(aki), crlNumberExtension(template.crlNumber))),
  );
  return parseCrl(encodeSigned(tbs, algorithm, signer));
}

/** Parses a CRL from DER bytes or PEM text (`X509 CRL` block). */
export function parseCrl(input: Uint8Array | string): Crl {
  const der = typeof input === 'string' ? decodePem(input, 'X509 CRL') : input;
  const { tbs: tbsNode, signatureAlgorithm, signature } = openSigned(der, 'CertificateList', 'tbsCertList');

  const tbs = new DerReader(tbsNode, 'TBSCertList');
  const versionNode = tbs.optional(Tag.INTEGER);
  if (!versionNode || readSmallInteger(versionNode, 'TBSCertList.version') !== 1) {
    throw new CrlError('CRL_INVALID', 'only v2 CRLs are accepted');
  }
  const innerAlgorithm = parseAlgorithmIdentifier(tbs.next('signature'), 'TBSCertList.signature');
  const issuer = parseName(tbs.next('issuer', Tag.SEQUENCE), 'TBSCertList.issuer');
  const thisUpdate = readTime(tbs.next('thisUpdate'), 'TBSCertList.thisUpdate');
  const nextNode = tbs.optional(Tag.UTC_TIME) ?? tbs.optional(Tag.GENERALIZED_TIME);
  const nextUpdate = nextNode ? readTime(nextNode, 'TBSCertList.nextUpdate') : undefined;
  const revokedNode = tbs.optional(Tag.SEQUENCE);
  const extensionsNode = tbs.optional(0xa0);
  tbs.end();

  const revoked: RevokedCertificate[] = [];
  const unknownCritical: string[] = [];
  if (revokedNode) {
    const entries = new DerReader(revokedNode, 'revokedCertificates');
    if (!entries.hasMore())
      throw new CrlError('CRL_INVALID', 'revokedCertificates must be omitted when empty');
    while (entries.hasMore()) {
      const e = new DerReader(entries.next('entry'), 'revokedCertificates.entry');
      const serial = readPositiveIntegerBytes(
        e.next('userCertificate'),
        'revokedCertificates.userCertificate',
      );
      const revocationDate = readTime(e.next('revocationDate'), 'revokedCertificates.revocationDate');
      const extNode = e.optional(Tag.SEQUENCE);
      e.end();
      let reason: RevocationReasonName | undefined;
      if (extNode) {
        const exts = parseExtensions(extNode, 'crlEntryExtensions');
        for (const ext of exts.all) {
          if (ext.oid === ExtensionOid.reasonCode) reason = parseReasonCode(ext.value, 'reasonCode');
          else if (ext.critical) unknownCritical.push(ext.oid);
        }
      }
      const entry = { serial, serialHex: toHex(serial), revocationDate };
      revoked.push(reason ? { ...entry, reason } : entry);
    }
  }
  let extensions: ParsedExtensions = { all: [] };
  if (extensionsNode) {
    const inner = new DerReader(extensionsNode, 'crlExtensions', 0xa0);
    extensions = parseExtensions(inner.next('Extensions', Tag.SEQUENCE), 'crlExtensions');
    inner.end();
  }
  if (!bytesEqual(innerAlgorithm.der, signatureAlgorithm.der)) {
    throw new CrlError(
      'CRL_INVALID',
      'signatureAlgorithm differs from TBSCertList.signature (RFC 5280 5.1.1.2)',
    );
  }
  const base = {
    der,
    tbs: tbsNode.encoded,
    signatureAlgorithm,
    signature,
    issuer,
    thisUpdate,
    revoked,
    extensions,
    unknownCriticalEntryExtensions: unknownCritical,
  };
  return nextUpdate ? { ...base, nextUpdate } : base;
}

export function crlToPem(crl: Crl | Uint8Array): string {
  return encodePem('X509 CRL', crl instanceof Uint8Array ? crl : crl.der);
}
