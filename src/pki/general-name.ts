/**
 * GeneralName (RFC 5280 §4.2.1.6), the entries of a subjectAltName: DNS names,
 * IP addresses, e-mail addresses and URIs, plus the `--san DNS:x,IP:y` syntax the
 * `pqvpn pki issue` command accepts (OpenSSL's `subjectAltName` config syntax).
 *
 * IP addresses are stored as 4 or 16 octets and printed in their usual text form
 * (IPv6 compressed per RFC 5952), which is also what OpenSSL prints.
 * @module
 */

import { isIPv4, isIPv6 } from 'node:net';
import { formatIpv6 } from '../util/ipv6-text.js';
import { DerError, type DerNode, derImplicit, readIa5 } from './der.js';

export type GeneralName =
  | { readonly type: 'dns'; readonly value: string }
  | { readonly type: 'ip'; readonly value: string }
  | { readonly type: 'email'; readonly value: string }
  | { readonly type: 'uri'; readonly value: string }
  /** Any other choice (otherName, directoryName, …): kept by tag, not interpreted. */
  | { readonly type: 'other'; readonly tag: number };

const TAG = { email: 1, dns: 2, uri: 6, ip: 7 } as const;

const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const DNS_NAME = new RegExp(`^(?:\\*\\.)?${LABEL}(?:\\.${LABEL})*$`);

export function isDnsName(value: string): boolean {
  return value.length <= 253 && DNS_NAME.test(value);
}

export function encodeGeneralName(name: GeneralName): Uint8Array {
  switch (name.type) {
    case 'dns':
      if (!isDnsName(name.value)) throw new RangeError(`not a DNS name: ${JSON.stringify(name.value)}`);
      return derImplicit(TAG.dns, ascii(name.value));
    case 'ip':
      return derImplicit(TAG.ip, parseIpAddress(name.value));
    case 'email':
      if (!/^[\x21-\x7e]+@[A-Za-z0-9.-]+$/.test(name.value)) {
        throw new RangeError(`not an e-mail address: ${JSON.stringify(name.value)}`);
      }
      return derImplicit(TAG.email, ascii(name.value));
    case 'uri':
      if (!/^[A-Za-z][A-Za-z0-9+.-]*:[\x21-\x7e]+$/.test(name.value)) {
        throw new RangeError(`not a URI: ${JSON.stringify(name.value)}`);
      }
      return derImplicit(TAG.uri, ascii(name.value));
    case 'other':
      throw new RangeError('cannot encode an uninterpreted GeneralName');
  }
}

export function parseGeneralName(node: DerNode, what: string): GeneralName {
  const number = node.tag & 0x1f;
  const primitiveContext = (node.tag & 0xe0) === 0x80;
  if (primitiveContext && number === TAG.dns) return { type: 'dns', value: readIa5(node, what, node.tag) };
  if (primitiveContext && number === TAG.email)
    return { type: 'email', value: readIa5(node, what, node.tag) };
  if (primitiveContext && number === TAG.uri) return { type: 'uri', value: readIa5(node, what, node.tag) };
  if (primitiveContext && number === TAG.ip) {
    if (node.content.length !== 4 && node.content.length !== 16) {
      throw new DerError(`${what}: iPAddress must be 4 or 16 octets`);
    }
    return { type: 'ip', value: formatIpAddress(node.content) };
  }
  if ((node.tag & 0xc0) !== 0x80) throw new DerError(`${what}: GeneralName must be context-tagged`);
  return { type: 'other', tag: node.tag };
}

/** Parses `DNS:vpn.example.com,IP:192.0.2.1,email:a@b,URI:https://x` (case-insensitive prefixes). */
export function parseSanList(text: string): GeneralName[] {
  const names: GeneralName[] = [];
  for (const raw of text.split(',')) {
    const item = raw.trim();
    if (item === '') continue;
    const colon = item.indexOf(':');
    if (colon < 0)
      throw new RangeError(
        `SAN entry ${JSON.stringify(item)} needs a type prefix: DNS:, IP:, email: or URI:`,
      );
    const kind = item.slice(0, colon).toLowerCase();
    const value = item.slice(colon + 1);
    let name: GeneralName;
    if (kind === 'dns') name = { type: 'dns', value };
    else if (kind === 'ip') name = { type: 'ip', value };
    else if (kind === 'email') name = { type: 'email', value };
    else if (kind === 'uri') name = { type: 'uri', value };
    else throw new RangeError(`unknown SAN type ${JSON.stringify(kind)}: use DNS:, IP:, email: or URI:`);
    encodeGeneralName(name); // validates
    names.push(name);
  }
  return names;
}

/** `DNS:x, IP Address:y` — OpenSSL's display form. */
export function formatGeneralName(name: GeneralName): string {
  switch (name.type) {
    case 'dns':
      return `DNS:${name.value}`;
    case 'ip':
      return `IP Address:${name.value}`;
    case 'email':
      return `email:${name.value}`;
    case 'uri':
      return `URI:${name.value}`;
    case 'other':
      return `<unsupported GeneralName [${name.tag & 0x1f}]>`;
  }
}

export function parseIpAddress(text: string): Uint8Array {
  if (isIPv4(text)) return Uint8Array.from(text.split('.').map(Number));
  if (!isIPv6(text) || text.includes('%')) throw new RangeError(`not an IP address: ${JSON.stringify(text)}`);
  let head = text;
  const tail: number[] = [];
  // An embedded dotted IPv4 tail (::ffff:192.0.2.1) becomes two groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(head);
  if (v4) {
    const b = v4[1]!.split('.').map(Number);
    tail.push((b[0]! << 8) | b[1]!, (b[2]! << 8) | b[3]!);
    head = head.slice(0, -v4[1]!.length);
    if (head.endsWith(':') && !head.endsWith('::')) head = head.slice(0, -1);
  }
  const [left, right] = head.includes('::') ? head.split('::') : [head, undefined];
  const groups = (s: string | undefined) =>
    s
      ? s
          .split(':')
          .filter((g) => g !== '')
          .map((g) => parseInt(g, 16))
      : [];
  const l = groups(left);
  const r = [...groups(right), ...tail];
  const all =
    right === undefined ? [...l, ...tail] : [...l, ...new Array(8 - l.length - r.length).fill(0), ...r];
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

export function formatIpAddress(bytes: Uint8Array): string {
  return bytes.length === 4 ? [...bytes].join('.') : formatIpv6(bytes);
}

function ascii(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}
