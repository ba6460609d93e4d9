/**
 * Distinguished names (RFC 5280 §4.1.2.4): building, parsing and printing.
 *
 * A `Name` is a SEQUENCE of relative distinguished names, each a SET of
 * (attribute type, value) pairs. We build names with one attribute per RDN in the
 * conventional order C, ST, L, O, OU, CN, emailAddress; values are UTF8String
 * except countryName (PrintableString) and emailAddress (IA5String), as RFC 5280
 * requires.
 *
 * Two names are equal when their DER encodings are equal. That is stricter than
 * RFC 5280's caseless matching (§7.1), and right for a PKI that issues every
 * name itself: a name is copied byte for byte from the issuer's certificate.
 *
 * `formatName` prints the way OpenVPN's `verify-x509-name ... subject` and its
 * `X509_NAME_print_ex` output do: `C=KG, O=Example, CN=server`, multi-valued RDNs
 * joined with ` + `, RFC 4514 special characters escaped with a backslash.
 * @module
 */

import {
  DerError,
  type DerNode,
  DerReader,
  derIa5String,
  derOid,
  derPrintableString,
  derSequence,
  derSetOf,
  derUtf8String,
  readOid,
  readString,
  Tag,
} from './der.js';
import { AttributeOid } from './oids.js';

export interface NameAttribute {
  /** Dotted OID of the attribute type. */
  readonly type: string;
  readonly value: string;
}

export interface DistinguishedName {
  /** RDNs in encoding order (most significant first); each holds one or more attributes. */
  readonly rdns: readonly (readonly NameAttribute[])[];
  /** The DER `Name`, used for equality and copied into issuer fields. */
  readonly der: Uint8Array;
}

/** The attributes `buildName` knows; only `commonName` is required. */
export interface NameInput {
  readonly commonName: string;
  readonly country?: string;
  readonly state?: string;
  readonly locality?: string;
  readonly organization?: string;
  readonly organizationalUnit?: string;
  readonly email?: string;
}

const SHORT_NAMES: Readonly<Record<string, string>> = {
  [AttributeOid.commonName]: 'CN',
  [AttributeOid.countryName]: 'C',
  [AttributeOid.localityName]: 'L',
  [AttributeOid.stateOrProvinceName]: 'ST',
  [AttributeOid.organizationName]: 'O',
  [AttributeOid.organizationalUnitName]: 'OU',
  [AttributeOid.emailAddress]: 'emailAddress',
};

/** X.520 upper bounds (RFC 5280 Appendix A.1). */
const UPPER_BOUND: Readonly<Record<string, number>> = {
  [AttributeOid.commonName]: 64,
  [AttributeOid.localityName]: 128,
  [AttributeOid.stateOrProvinceName]: 128,
  [AttributeOid.organizationName]: 64,
  [AttributeOid.organizationalUnitName]: 64,
  [AttributeOid.emailAddress]: 255,
};

/** Builds a DER `Name`. Throws a RangeError naming the attribute when a value is not allowed. */
export function buildName(input: NameInput): DistinguishedName {
  const entries: [string, string | undefined][] = [
    [AttributeOid.countryName, input.country],
    [AttributeOid.stateOrProvinceName, input.state],
    [AttributeOid.localityName, input.locality],
    [AttributeOid.organizationName, input.organization],
    [AttributeOid.organizationalUnitName, input.organizationalUnit],
    [AttributeOid.commonName, input.commonName],
    [AttributeOid.emailAddress, input.email],
  ];
  const rdns: NameAttribute[][] = [];
  const encoded: Uint8Array[] = [];
  for (const [type, value] of entries) {
    if (value === undefined) continue;
    checkValue(type, value);
    rdns.push([{ type, value }]);
    encoded.push(derSetOf(derSequence(derOid(type), encodeValue(type, value))));
  }
  return { rdns, der: derSequence(...encoded) };
}

function checkValue(type: string, value: string): void {
  const label = SHORT_NAMES[type] ?? type;
  if (value.length === 0) throw new RangeError(`${label} must not be empty`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(value))
    throw new RangeError(`${label} must not contain control characters`);
  const bound = UPPER_BOUND[type];
  if (bound !== undefined && [...value].length > bound) {
    throw new RangeError(`${label} is longer than ${bound} characters`);
  }
  if (type === AttributeOid.countryName && !/^[A-Z]{2}$/.test(value)) {
    throw new RangeError('C must be a two-letter country code (ISO 3166), e.g. DE');
  }
}

function encodeValue(type: string, value: string): Uint8Array {
  if (type === AttributeOid.countryName) return derPrintableString(value);
  if (type === AttributeOid.emailAddress) return derIa5String(value);
  return derUtf8String(value);
}

/** Parses a DER `Name` node. */
export function parseName(node: DerNode, what = 'Name'): DistinguishedName {
  const reader = new DerReader(node, what);
  const rdns: NameAttribute[][] = [];
  while (reader.hasMore()) {
    const set = reader.next('RelativeDistinguishedName', Tag.SET);
    if (set.children.length === 0) throw new DerError(`${what}: empty RelativeDistinguishedName`);
    const rdn: NameAttribute[] = [];
    for (const atv of set.children) {
      const r = new DerReader(atv, `${what}.AttributeTypeAndValue`);
      const type = readOid(r.next('type'), `${what}.type`);
      const value = readString(r.next('value'), `${what}.${SHORT_NAMES[type] ?? type}`);
      r.end();
      rdn.push({ type, value });
    }
    rdns.push(rdn);
  }
  return { rdns, der: node.encoded };
}

/** The last commonName in the name (the most specific one), or undefined. */
export function commonNameOf(name: DistinguishedName): string | undefined {
  let cn: string | undefined;
  for (const rdn of name.rdns) for (const a of rdn) if (a.type === AttributeOid.commonName) cn = a.value;
  return cn;
}

export function namesEqual(a: DistinguishedName, b: DistinguishedName): boolean {
  return a.der.length === b.der.length && a.der.every((byte, i) => byte === b.der[i]);
}

/** OpenVPN/OpenSSL one-line form: `C=KG, O=Example, CN=server`. */
export function formatName(name: DistinguishedName): string {
  return name.rdns
    .map((rdn) => rdn.map((a) => `${SHORT_NAMES[a.type] ?? a.type}=${escapeValue(a.value)}`).join(' + '))
    .join(', ');
}

/** OpenSSL `ca` index form: `/C=KG/O=Example/CN=server` (slashes in values escaped). */
export function formatNameSlashed(name: DistinguishedName): string {
  return name.rdns
    .map((rdn) =>
      rdn
        .map((a) => `${SHORT_NAMES[a.type] ?? a.type}=${a.value.replace(/[\\/+]/g, (c) => `\\${c}`)}`)
        .join('+'),
    )
    .map((s) => `/${s}`)
    .join('');
}

/** RFC 4514 §2.4 escaping. */
function escapeValue(value: string): string {
  let out = value.replace(/[,+"\\<>;]/g, (c) => `\\${c}`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are printed as hex escapes
  out = out.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  if (out.startsWith('#') || out.startsWith(' ')) out = `\\${out}`;
  if (out.endsWith(' ') && out.length > 1) out = `${out.slice(0, -1)}\\ `;
  return out;
}
