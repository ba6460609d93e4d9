/**
 * Certificate chain verification: is this peer certificate issued, directly or
 * through intermediates, by a CA we trust, valid now, unrevoked, and fit for the
 * purpose? A pure function: certificates, CRLs and `now` in, a verdict out.
 *
 * The path is built from the leaf upwards (RFC 5280 §6 in spirit, for a
 * deliberately small profile): the issuer of each certificate is a trust anchor
 * or an intermediate whose subject equals the certificate's issuer name and, when
 * both are present, whose subjectKeyIdentifier equals its authorityKeyIdentifier;
 * among such candidates the one whose key verifies the signature is taken, trust
 * anchors first. The path ends at a trust anchor (which must itself be a valid CA
 * certificate) and may hold at most `MAX_CHAIN_LENGTH` certificates.
 *
 * Then, for every certificate: its validity period contains `now`; it has no
 * critical extension we do not understand; its signature scheme is allowed. For
 * every issuer: basicConstraints cA is TRUE, keyUsage (if present) has
 * keyCertSign, and pathLenConstraint is respected. For the leaf: keyUsage (if
 * present) has digitalSignature, extendedKeyUsage holds `expectedEku` when asked,
 * and the name matches `expectedName` (OpenVPN `verify-x509-name` semantics).
 *
 * CRLs: a CRL applies to a certificate when its issuer name equals the
 * certificate's issuer name and its AKI (if any) equals that issuer's SKI. An
 * applicable CRL must verify under the issuer's key, the issuer must have cRLSign
 * (if it has keyUsage), and the CRL must be current: a CRL with a bad signature,
 * past its nextUpdate or before its thisUpdate fails the whole verification
 * (CRL_BAD_SIGNATURE / CRL_EXPIRED / CRL_NOT_YET_VALID). We fail closed, as
 * OpenSSL does, because the alternative — silently skipping a stale CRL — would
 * let a revoked client back in when an administrator forgets `pqvpn pki crl`;
 * an outage is loud, a silent bypass is not. CRLs for issuers outside the path
 * are ignored (a server may load one file holding several CAs' CRLs).
 *
 * Each failure has its own `code` (see `VerifyFailureCode`) and a human reason
 * that names the certificate; neither contains key material.
 * @module
 */

import type { SignatureScheme } from '../crypto/signature-scheme.js';
import { bytesEqual, type Certificate, isSelfIssued, parseCertificate } from './certificate.js';
import { type Crl, parseCrl } from './crl.js';
import { commonNameOf, type DistinguishedName, formatName } from './name.js';
import { ExtensionOid, ExtKeyUsageOid } from './oids.js';

export const MAX_CHAIN_LENGTH = 8;

export const VerifyFailureCode = {
  MALFORMED: 'MALFORMED',
  UNKNOWN_ISSUER: 'UNKNOWN_ISSUER',
  BAD_SIGNATURE: 'BAD_SIGNATURE',
  UNSUPPORTED_ALGORITHM: 'UNSUPPORTED_ALGORITHM',
  DISALLOWED_SCHEME: 'DISALLOWED_SCHEME',
  EXPIRED: 'EXPIRED',
  NOT_YET_VALID: 'NOT_YET_VALID',
  NOT_CA: 'NOT_CA',
  MISSING_KEY_CERT_SIGN: 'MISSING_KEY_CERT_SIGN',
  PATH_LENGTH_EXCEEDED: 'PATH_LENGTH_EXCEEDED',
  CHAIN_TOO_LONG: 'CHAIN_TOO_LONG',
  UNSUPPORTED_CRITICAL_EXTENSION: 'UNSUPPORTED_CRITICAL_EXTENSION',
  WRONG_KEY_USAGE: 'WRONG_KEY_USAGE',
  WRONG_EKU: 'WRONG_EKU',
  NAME_MISMATCH: 'NAME_MISMATCH',
  REVOKED: 'REVOKED',
  CRL_BAD_SIGNATURE: 'CRL_BAD_SIGNATURE',
  CRL_EXPIRED: 'CRL_EXPIRED',
  CRL_NOT_YET_VALID: 'CRL_NOT_YET_VALID',
  CRL_INVALID: 'CRL_INVALID',
} as const;

export type VerifyFailureCode = (typeof VerifyFailureCode)[keyof typeof VerifyFailureCode];

/** OpenVPN `verify-x509-name` types: `name` (exact CN), `name-prefix` (CN prefix), `subject` (whole DN). */
export interface ExpectedName {
  readonly kind: 'name' | 'name-prefix' | 'subject';
  readonly value: string;
}

/** A certificate or CRL already parsed, or its DER/PEM to be parsed here (errors become MALFORMED). */
export type CertificateInput = Certificate | Uint8Array | string;
export type CrlInput = Crl | Uint8Array | string;

export interface VerifyOptions {
  readonly leaf: CertificateInput;
  readonly intermediates?: readonly CertificateInput[];
  readonly trustAnchors: readonly CertificateInput[];
  readonly now: Date;
  readonly crls?: readonly CrlInput[];
  readonly expectedEku?: 'serverAuth' | 'clientAuth';
  readonly expectedName?: ExpectedName;
  /** Scheme names allowed for every signature in the path and the leaf's key; default: all registered. */
  readonly allowedSchemes?: readonly string[];
}

export interface VerifySuccess {
  readonly ok: true;
  /** The leaf's subject in `formatName` form, e.g. `CN=client1`. */
  readonly subject: string;
  readonly commonName: string | undefined;
  readonly serialHex: string;
  /** The leaf's key: what the handshake verifies the peer's signature with. */
  readonly scheme: SignatureScheme;
  readonly publicKey: Uint8Array;
  readonly notAfter: Date;
  /** The path, leaf first, trust anchor last. */
  readonly chain: readonly Certificate[];
}

export interface VerifyFailure {
  readonly ok: false;
  readonly code: VerifyFailureCode;
  readonly reason: string;
}

export type VerifyResult = VerifySuccess | VerifyFailure;

/** Extensions whose semantics we enforce, so they may be critical. */
const UNDERSTOOD = new Set<string>([
  ExtensionOid.basicConstraints,
  ExtensionOid.keyUsage,
  ExtensionOid.extKeyUsage,
  ExtensionOid.subjectAltName,
  ExtensionOid.subjectKeyIdentifier,
  ExtensionOid.authorityKeyIdentifier,
]);
const UNDERSTOOD_CRL = new Set<string>([ExtensionOid.crlNumber, ExtensionOid.authorityKeyIdentifier]);

class Failure {
  readonly code: VerifyFailureCode;
  readonly reason: string;
  constructor(code: VerifyFailureCode, reason: string) {
    this.code = code;
    this.reason = reason;
  }
}

export function verifyCertificateChain(options: VerifyOptions): VerifyResult {
  try {
    return verify(options);
  } catch (error) {
    if (error instanceof Failure) return { ok: false, code: error.code, reason: error.reason };
    throw error;
  }
}

function verify(options: VerifyOptions): VerifySuccess {
  const leaf = toCertificate(options.leaf, 'leaf certificate');
  const intermediates = (options.intermediates ?? []).map((c, i) =>
    toCertificate(c, `intermediate #${i + 1}`),
  );
  const anchors = options.trustAnchors.map((c, i) => toCertificate(c, `trust anchor #${i + 1}`));
  const crls = (options.crls ?? []).map((c, i) => toCrl(c, `CRL #${i + 1}`));
  const allowed = options.allowedSchemes
    ? new Set(options.allowedSchemes.map((s) => s.toLowerCase()))
    : undefined;
  const now = options.now.getTime();

  const chain = buildPath(leaf, intermediates, anchors, allowed);

  for (const [i, cert] of chain.entries()) {
    const label = describe(
      cert,
      i === 0 ? 'certificate' : i === chain.length - 1 ? 'trust anchor' : 'CA certificate',
    );
    if (now > cert.notAfter.getTime()) {
      fail('EXPIRED', `${label} expired on ${cert.notAfter.toISOString()}`);
    }
    if (now < cert.notBefore.getTime()) {
      fail('NOT_YET_VALID', `${label} is not valid before ${cert.notBefore.toISOString()}`);
    }
    for (const ext of cert.extensions.all) {
      if (ext.critical && !UNDERSTOOD.has(ext.oid)) {
        fail('UNSUPPORTED_CRITICAL_EXTENSION', `${label} has an unsupported critical extension ${ext.oid}`);
      }
    }
    if (i > 0) checkIssuer(cert, label, chain, i);
  }
  checkLeaf(leaf, options, allowed);
  for (let i = 0; i < chain.length - 1; i++) checkRevocation(chain[i]!, chain[i + 1]!, crls, now);

  const scheme = leaf.subjectPublicKeyInfo.algorithm.scheme!;
  return {
    ok: true,
    subject: formatName(leaf.subject),
    commonName: commonNameOf(leaf.subject),
    serialHex: leaf.serialHex,
    scheme,
    publicKey: leaf.subjectPublicKeyInfo.publicKey,
    notAfter: leaf.notAfter,
    chain,
  };
}

function buildPath(
  leaf: Certificate,
  intermediates: readonly Certificate[],
  anchors: readonly Certificate[],
  allowed: Set<string> | undefined,
): Certificate[] {
  const chain: Certificate[] = [leaf];
  const used = new Set<Certificate>();
  let current = leaf;
  for (;;) {
    checkSignatureScheme(current, allowed);
    const anchor = findIssuer(current, anchors);
    if (anchor) {
      checkSchemeAllowed(anchor.subjectPublicKeyInfo.algorithm.scheme, anchor, allowed);
      chain.push(anchor);
      return chain;
    }
    const next = findIssuer(
      current,
      intermediates.filter((c) => !used.has(c)),
    );
    if (!next) {
      fail(
        'UNKNOWN_ISSUER',
        `no trusted CA issued ${describe(current, 'certificate')} (issuer ${formatName(current.issuer)})`,
      );
    }
    if (chain.length + 1 >= MAX_CHAIN_LENGTH) {
      fail('CHAIN_TOO_LONG', `certificate chain longer than ${MAX_CHAIN_LENGTH}`);
    }
    used.add(next);
    chain.push(next);
    current = next;
  }
}

/**
 * The candidate that issued `cert`, or undefined when none has the issuer's name.
 * Fails with BAD_SIGNATURE when candidates exist but none verifies the signature.
 */
function findIssuer(cert: Certificate, candidates: readonly Certificate[]): Certificate | undefined {
  const aki = cert.extensions.authorityKeyIdentifier;
  const named = candidates.filter((c) => {
    if (!bytesEqual(c.subject.der, cert.issuer.der)) return false;
    const ski = c.extensions.subjectKeyIdentifier;
    return !(aki && ski && !bytesEqual(aki, ski));
  });
  if (named.length === 0) return undefined;
  for (const candidate of named) {
    const spki = candidate.subjectPublicKeyInfo;
    if (spki.algorithm.oid !== cert.signatureAlgorithm.oid || !spki.algorithm.scheme) continue;
    if (spki.algorithm.scheme.verify(spki.publicKey, cert.tbs, cert.signature)) return candidate;
  }
  return fail(
    'BAD_SIGNATURE',
    `signature on ${describe(cert, 'certificate')} does not verify with its issuer's key`,
  );
}

function checkSignatureScheme(cert: Certificate, allowed: Set<string> | undefined): void {
  const scheme = cert.signatureAlgorithm.scheme;
  if (!scheme) {
    fail(
      'UNSUPPORTED_ALGORITHM',
      `${describe(cert, 'certificate')} is signed with unknown algorithm ${cert.signatureAlgorithm.oid}`,
    );
  }
  checkSchemeAllowed(scheme, cert, allowed);
}

function checkSchemeAllowed(
  scheme: SignatureScheme | undefined,
  cert: Certificate,
  allowed: Set<string> | undefined,
): void {
  if (!scheme) {
    fail(
      'UNSUPPORTED_ALGORITHM',
      `${describe(cert, 'certificate')} has a key of unknown algorithm ${cert.subjectPublicKeyInfo.algorithm.oid}`,
    );
  }
  if (allowed && !allowed.has(scheme.name)) {
    fail(
      'DISALLOWED_SCHEME',
      `${describe(cert, 'certificate')} uses ${scheme.name}, which is not allowed here`,
    );
  }
}

function checkIssuer(cert: Certificate, label: string, chain: readonly Certificate[], index: number): void {
  const bc = cert.extensions.basicConstraints;
  if (!bc?.ca) fail('NOT_CA', `${label} is not a CA certificate (basicConstraints cA is not TRUE)`);
  const ku = cert.extensions.keyUsage;
  if (ku && !ku.includes('keyCertSign'))
    fail('MISSING_KEY_CERT_SIGN', `${label} lacks the keyCertSign key usage`);
  if (bc.pathLength !== undefined) {
    // Intermediate CAs between this issuer and the leaf; self-issued ones do not count (RFC 5280 6.1.4 (l)).
    let below = 0;
    for (let j = 1; j < index; j++) if (!isSelfIssued(chain[j]!)) below++;
    if (below > bc.pathLength) {
      fail(
        'PATH_LENGTH_EXCEEDED',
        `${label} allows ${bc.pathLength} intermediate CA(s) below it, found ${below}`,
      );
    }
  }
}

function checkLeaf(leaf: Certificate, options: VerifyOptions, allowed: Set<string> | undefined): void {
  const label = describe(leaf, 'certificate');
  checkSchemeAllowed(leaf.subjectPublicKeyInfo.algorithm.scheme, leaf, allowed);
  const ku = leaf.extensions.keyUsage;
  if (ku && !ku.includes('digitalSignature')) {
    fail('WRONG_KEY_USAGE', `${label} lacks the digitalSignature key usage`);
  }
  if (options.expectedEku) {
    const wanted = ExtKeyUsageOid[options.expectedEku];
    const eku = leaf.extensions.extKeyUsage;
    if (!eku?.includes(wanted)) {
      fail(
        'WRONG_EKU',
        `${label} is not marked for ${options.expectedEku} (extendedKeyUsage ${eku ? eku.join(', ') : 'absent'})`,
      );
    }
  }
  const expected = options.expectedName;
  if (expected) {
    const cn = commonNameOf(leaf.subject);
    const subject = formatName(leaf.subject);
    const ok =
      expected.kind === 'subject'
        ? subject === expected.value
        : expected.kind === 'name'
          ? cn === expected.value
          : cn?.startsWith(expected.value) === true;
    if (!ok) {
      fail('NAME_MISMATCH', `${label} does not match verify-x509-name ${expected.kind} '${expected.value}'`);
    }
  }
}

function checkRevocation(cert: Certificate, issuer: Certificate, crls: readonly Crl[], now: number): void {
  const ski = issuer.extensions.subjectKeyIdentifier;
  for (const crl of crls) {
    if (!bytesEqual(crl.issuer.der, cert.issuer.der)) continue;
    const aki = crl.extensions.authorityKeyIdentifier;
    if (aki && ski && !bytesEqual(aki, ski)) continue;
    const from = `CRL of ${formatName(crl.issuer)}`;
    const spki = issuer.subjectPublicKeyInfo;
    if (
      spki.algorithm.oid !== crl.signatureAlgorithm.oid ||
      !spki.algorithm.scheme?.verify(spki.publicKey, crl.tbs, crl.signature)
    ) {
      fail('CRL_BAD_SIGNATURE', `${from} has a bad signature`);
    }
    const ku = issuer.extensions.keyUsage;
    if (ku && !ku.includes('cRLSign')) fail('CRL_INVALID', `${from}: the issuer lacks the cRLSign key usage`);
    for (const ext of crl.extensions.all) {
      if (ext.critical && !UNDERSTOOD_CRL.has(ext.oid))
        fail('CRL_INVALID', `${from} has an unsupported critical extension ${ext.oid}`);
    }
    if (crl.unknownCriticalEntryExtensions.length > 0) {
      fail('CRL_INVALID', `${from} has unsupported critical entry extensions`);
    }
    if (now < crl.thisUpdate.getTime())
      fail('CRL_NOT_YET_VALID', `${from} is not valid before ${crl.thisUpdate.toISOString()}`);
    if (crl.nextUpdate && now > crl.nextUpdate.getTime()) {
      fail(
        'CRL_EXPIRED',
        `${from} expired on ${crl.nextUpdate.toISOString()}; publish a fresh one (pqvpn pki crl)`,
      );
    }
    const serial = cert.serial;
    for (const entry of crl.revoked) {
      if (bytesEqual(entry.serial, serial)) {
        const why = entry.reason ? ` (${entry.reason})` : '';
        fail(
          'REVOKED',
          `${describe(cert, 'certificate')} was revoked on ${entry.revocationDate.toISOString()}${why}`,
        );
      }
    }
  }
}

function toCertificate(input: CertificateInput, what: string): Certificate {
  if (typeof input !== 'string' && !(input instanceof Uint8Array)) return input;
  try {
    return parseCertificate(input);
  } catch (error) {
    return fail('MALFORMED', `${what} is malformed: ${(error as Error).message}`);
  }
}

function toCrl(input: CrlInput, what: string): Crl {
  if (typeof input !== 'string' && !(input instanceof Uint8Array)) return input;
  try {
    return parseCrl(input);
  } catch (error) {
    return fail('MALFORMED', `${what} is malformed: ${(error as Error).message}`);
  }
}

function describe(cert: Certificate, kind: string): string {
  return `${kind} '${nameLabel(cert.subject)}' (serial ${cert.serialHex})`;
}

function nameLabel(name: DistinguishedName): string {
  return commonNameOf(name) ?? formatName(name);
}

function fail(code: VerifyFailureCode, reason: string): never {
  throw new Failure(code, reason);
}
