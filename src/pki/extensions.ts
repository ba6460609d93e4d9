/**
 * X.509 v3 certificate and CRL extensions (RFC 5280 §4.2, §5.2, §5.3): encoders
 * for the ones pqvpn writes and a parser that interprets the ones it checks.
 *
 * `Extension ::= SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE,
 * extnValue OCTET STRING }`; the OCTET STRING holds the DER of the extension's
 * own type, which is parsed with a fresh, bounded `parseDer`. DER forbids
 * encoding a DEFAULT value, so an explicit `critical FALSE` (or `cA FALSE`) is
 * rejected, and an extension may appear only once (§4.2).
 *
 * Key identifiers use RFC 7093 method 1: the leftmost 160 bits of the SHA-256 of
 * the subjectPublicKey bytes (the SHA-1 of RFC 5280 would work as well; we avoid
 * it on principle).
 * @module
 */

import { createHash } from 'node:crypto';
import {
  DerError,
  type DerNode,
  DerReader,
  derBoolean,
  derEnumerated,
  derImplicit,
  derInteger,
  derNamedBits,
  derOctetString,
  derOid,
  derSequence,
  parseDer,
  readBoolean,
  readInteger,
  readNamedBits,
  readOctetString,
  readOid,
  readSmallInteger,
  Tag,
} from './der.js';
import { encodeGeneralName, type GeneralName, parseGeneralName } from './general-name.js';
import { ExtensionOid } from './oids.js';

export interface Extension {
  readonly oid: string;
  readonly critical: boolean;
  /** The content of extnValue: the DER of the extension's own type. */
  readonly value: Uint8Array;
}

export interface BasicConstraints {
  readonly ca: boolean;
  /** pathLenConstraint: how many non-self-issued intermediate CAs may follow. */
  readonly pathLength?: number;
}

/** keyUsage bit numbers (RFC 5280 §4.2.1.3). */
export const KeyUsageBit = {
  digitalSignature: 0,
  nonRepudiation: 1,
  keyEncipherment: 2,
  dataEncipherment: 3,
  keyAgreement: 4,
  keyCertSign: 5,
  cRLSign: 6,
  encipherOnly: 7,
  decipherOnly: 8,
} as const;

export type KeyUsage = keyof typeof KeyUsageBit;

/** CRLReason (RFC 5280 §5.3.1); value 7 is unused. */
export const RevocationReason = {
  unspecified: 0,
  keyCompromise: 1,
  cACompromise: 2,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  certificateHold: 6,
  removeFromCRL: 8,
  privilegeWithdrawn: 9,
  aACompromise: 10,
} as const;

export type RevocationReasonName = keyof typeof RevocationReason;

/** The extensions of one certificate or CRL: all of them raw, and the known ones interpreted. */
export interface ParsedExtensions {
  readonly all: readonly Extension[];
  readonly basicConstraints?: BasicConstraints;
  readonly keyUsage?: readonly KeyUsage[];
  /** extendedKeyUsage purpose OIDs. */
  readonly extKeyUsage?: readonly string[];
  readonly subjectAltName?: readonly GeneralName[];
  readonly subjectKeyIdentifier?: Uint8Array;
  /** The keyIdentifier field of authorityKeyIdentifier. */
  readonly authorityKeyIdentifier?: Uint8Array;
  readonly crlNumber?: bigint;
}

// ---------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------

export function encodeExtension(oid: string, critical: boolean, value: Uint8Array): Uint8Array {
  return critical
    ? derSequence(derOid(oid), derBoolean(true), derOctetString(value))
    : derSequence(derOid(oid), derOctetString(value));
}

export function basicConstraintsExtension(bc: BasicConstraints, critical = true): Uint8Array {
  const fields: Uint8Array[] = [];
  if (bc.ca) fields.push(derBoolean(true));
  if (bc.pathLength !== undefined) {
    if (!bc.ca) throw new RangeError('pathLength is only meaningful for a CA');
    fields.push(derInteger(bc.pathLength));
  }
  return encodeExtension(ExtensionOid.basicConstraints, critical, derSequence(...fields));
}

export function keyUsageExtension(usages: readonly KeyUsage[]): Uint8Array {
  return encodeExtension(ExtensionOid.keyUsage, true, derNamedBits(usages.map((u) => KeyUsageBit[u])));
}

export function extKeyUsageExtension(purposes: readonly string[]): Uint8Array {
  return encodeExtension(ExtensionOid.extKeyUsage, false, derSequence(...purposes.map(derOid)));
}

export function subjectAltNameExtension(names: readonly GeneralName[]): Uint8Array {
  if (names.length === 0) throw new RangeError('subjectAltName needs at least one name');
  return encodeExtension(ExtensionOid.subjectAltName, false, derSequence(...names.map(encodeGeneralName)));
}

export function subjectKeyIdentifierExtension(keyId: Uint8Array): Uint8Array {
  return encodeExtension(ExtensionOid.subjectKeyIdentifier, false, derOctetString(keyId));
}

export function authorityKeyIdentifierExtension(keyId: Uint8Array): Uint8Array {
  return encodeExtension(ExtensionOid.authorityKeyIdentifier, false, derSequence(derImplicit(0, keyId)));
}

export function crlNumberExtension(n: bigint): Uint8Array {
  return encodeExtension(ExtensionOid.crlNumber, false, derInteger(n));
}

export function reasonCodeExtension(reason: RevocationReasonName): Uint8Array {
  return encodeExtension(ExtensionOid.reasonCode, false, derEnumerated(RevocationReason[reason]));
}

/** RFC 7093 §2 method 1: leftmost 160 bits of SHA-256(subjectPublicKey). */
export function keyIdentifier(publicKey: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(publicKey).digest().subarray(0, 20));
}

// ---------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------

/** Parses `Extensions ::= SEQUENCE SIZE (1..MAX) OF Extension`. */
export function parseExtensions(node: DerNode, what = 'extensions'): ParsedExtensions {
  const list = new DerReader(node, what);
  if (!list.hasMore()) throw new DerError(`${what}: must not be empty`);
  const all: Extension[] = [];
  const seen = new Set<string>();
  const out: {
    -readonly [K in keyof ParsedExtensions]: ParsedExtensions[K];
  } = { all };
  while (list.hasMore()) {
    const r = new DerReader(list.next('Extension'), `${what}.Extension`);
    const oid = readOid(r.next('extnID'));
    const criticalNode = r.optional(Tag.BOOLEAN);
    const critical = criticalNode ? readBoolean(criticalNode, `${what}.${oid}.critical`) : false;
    if (criticalNode && !critical)
      throw new DerError(`${what}: ${oid} encodes critical FALSE (DER omits defaults)`);
    const value = readOctetString(r.next('extnValue'), `${what}.${oid}.extnValue`);
    r.end();
    if (seen.has(oid)) throw new DerError(`${what}: extension ${oid} appears twice`);
    seen.add(oid);
    all.push({ oid, critical, value });
    interpret(out, oid, value, `${what}.${oid}`);
  }
  return out;
}

function interpret(
  out: { -readonly [K in keyof ParsedExtensions]: ParsedExtensions[K] },
  oid: string,
  value: Uint8Array,
  what: string,
): void {
  switch (oid) {
    case ExtensionOid.basicConstraints: {
      const r = new DerReader(parseDer(value), what);
      const caNode = r.optional(Tag.BOOLEAN);
      const ca = caNode ? readBoolean(caNode, `${what}.cA`) : false;
      if (caNode && !ca) throw new DerError(`${what}: encodes cA FALSE (DER omits defaults)`);
      const pathNode = r.optional(Tag.INTEGER);
      r.end();
      out.basicConstraints =
        pathNode === undefined
          ? { ca }
          : { ca, pathLength: readSmallInteger(pathNode, `${what}.pathLenConstraint`) };
      return;
    }
    case ExtensionOid.keyUsage: {
      const bits = readNamedBits(parseDer(value), what);
      if (bits.size === 0) throw new DerError(`${what}: keyUsage must assert at least one bit`);
      out.keyUsage = (Object.keys(KeyUsageBit) as KeyUsage[]).filter((k) => bits.has(KeyUsageBit[k]));
      return;
    }
    case ExtensionOid.extKeyUsage: {
      const r = new DerReader(parseDer(value), what);
      const purposes: string[] = [];
      while (r.hasMore()) purposes.push(readOid(r.next('KeyPurposeId')));
      if (purposes.length === 0) throw new DerError(`${what}: extKeyUsage must not be empty`);
      out.extKeyUsage = purposes;
      return;
    }
    case ExtensionOid.subjectAltName: {
      const r = new DerReader(parseDer(value), what);
      const names: GeneralName[] = [];
      while (r.hasMore()) names.push(parseGeneralName(r.next('GeneralName'), what));
      if (names.length === 0) throw new DerError(`${what}: subjectAltName must not be empty`);
      out.subjectAltName = names;
      return;
    }
    case ExtensionOid.subjectKeyIdentifier:
      out.subjectKeyIdentifier = readOctetString(parseDer(value), what);
      return;
    case ExtensionOid.authorityKeyIdentifier: {
      const r = new DerReader(parseDer(value), what);
      const keyId = r.optional(0x80);
      // authorityCertIssuer [1] and authorityCertSerialNumber [2] are allowed but unused here.
      r.optional(0xa1);
      r.optional(0x82);
      r.end();
      if (keyId) out.authorityKeyIdentifier = keyId.content;
      return;
    }
    case ExtensionOid.crlNumber: {
      const n = readInteger(parseDer(value), what);
      if (n < 0n || n >= 1n << 160n) throw new DerError(`${what}: CRL number out of range`);
      out.crlNumber = n;
      return;
    }
    default:
      return;
  }
}

/** The reasonCode of a CRL entry's extensions, if present. */
export function parseReasonCode(value: Uint8Array, what: string): RevocationReasonName {
  const code = Number(readInteger(parseDer(value), what, Tag.ENUMERATED));
  const name = (Object.keys(RevocationReason) as RevocationReasonName[]).find(
    (k) => RevocationReason[k] === code,
  );
  if (!name) throw new DerError(`${what}: unknown CRL reason code ${code}`);
  return name;
}
