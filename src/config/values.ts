/**
 * Value parsers for directive arguments: ports, IPv4/IPv6 addresses, netmasks,
 * CIDR prefixes, host names, bounded integers, durations, byte counts, choices.
 *
 * Each parser takes one argument string and returns a typed value or throws a
 * `ValueError` whose `code` names what was wrong (`CONFIG_BAD_PORT`, …). The
 * builder turns that into a `ConfigError` carrying file:line and the directive,
 * so these functions never need to know where a value came from.
 *
 * Parsing is deliberately stricter than OpenVPN's (which passes through
 * `inet_aton` and `atoi`): `010.0.0.1` is not silently octal, `12abc` is not 12,
 * and `255.0.255.0` is not a netmask.
 * @module
 */

import { isIPv6 } from 'node:net';

/** A bad argument; the builder adds the location and directive. */
export class ValueError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'ValueError';
    this.code = code;
  }
}

/** An integer written in plain decimal within [min, max]. */
export function parseInteger(text: string, min: number, max: number, what = 'a number'): number {
  if (!/^-?(0|[1-9][0-9]*)$/.test(text))
    throw new ValueError('CONFIG_BAD_NUMBER', `'${text}' is not ${what} (a whole decimal number)`);
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min || n > max)
    throw new ValueError('CONFIG_OUT_OF_RANGE', `${what} must be between ${min} and ${max}, not ${text}`);
  return n;
}

/** A UDP port, 1–65535. */
export function parsePort(text: string): number {
  if (!/^[0-9]+$/.test(text)) throw new ValueError('CONFIG_BAD_PORT', `'${text}' is not a port number`);
  const n = Number(text);
  if (n < 1 || n > 65535) throw new ValueError('CONFIG_BAD_PORT', `port must be 1–65535, not ${text}`);
  return n;
}

/** Seconds as a whole number in [min, max]. */
export function parseSeconds(text: string, min: number, max: number): number {
  return parseInteger(text, min, max, 'a number of seconds');
}

/** A byte count in [min, max]; plain decimal, no suffixes (as OpenVPN). */
export function parseBytes(text: string, min: number, max: number): number {
  return parseInteger(text, min, max, 'a byte count');
}

/** One of a fixed set of words (case-sensitive, as OpenVPN's keywords are). */
export function parseChoice<const T extends string>(text: string, choices: readonly T[], what: string): T {
  const found = choices.find((c) => c === text);
  if (found === undefined)
    throw new ValueError('CONFIG_BAD_CHOICE', `${what} must be one of ${choices.join(', ')}; got '${text}'`);
  return found;
}

const IPV4 =
  /^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$/;

export function isIPv4(text: string): boolean {
  return IPV4.test(text);
}

/** A dotted-quad IPv4 address without leading zeros. */
export function parseIPv4(text: string, what = 'an IPv4 address'): string {
  if (!isIPv4(text)) throw new ValueError('CONFIG_BAD_IPV4', `'${text}' is not ${what}`);
  return text;
}

export function ipv4ToNumber(address: string): number {
  return address.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
}

export function numberToIPv4(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

/** A contiguous IPv4 netmask such as 255.255.255.0; returns the prefix length too. */
export function parseNetmask(text: string): { netmask: string; prefixLength: number } {
  parseIPv4(text, 'a netmask');
  const n = ipv4ToNumber(text);
  const bits = n.toString(2).padStart(32, '0');
  if (!/^1*0*$/.test(bits))
    throw new ValueError(
      'CONFIG_BAD_NETMASK',
      `'${text}' is not a netmask (its one-bits must be contiguous)`,
    );
  return { netmask: text, prefixLength: bits.indexOf('0') < 0 ? 32 : bits.indexOf('0') };
}

/** True when `address` has no bits set outside `netmask` (it is a network address). */
export function isNetworkAddress(address: string, netmask: string): boolean {
  // Bitwise operators work on the 32-bit two's-complement form, which is exactly right here.
  return (ipv4ToNumber(address) & ~ipv4ToNumber(netmask)) === 0;
}

/** An IPv6 address literal (no zone index, no brackets). */
export function parseIPv6(text: string, what = 'an IPv6 address'): string {
  if (text.includes('%') || !isIPv6(text))
    throw new ValueError('CONFIG_BAD_IPV6', `'${text}' is not ${what}`);
  return text;
}

/** Expands an IPv6 literal into its 128 bits as a string of '0'/'1'. */
function ipv6Bits(address: string): string {
  let text = address;
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hex groups.
  const v4 = text.match(/(\d+\.\d+\.\d+\.\d+)$/);
  if (v4?.[1]) {
    const n = ipv4ToNumber(v4[1]);
    text = `${text.slice(0, -v4[1].length)}${Math.floor(n / 65536).toString(16)}:${(n % 65536).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const missing = 8 - headGroups.length - tailGroups.length;
  const groups = [...headGroups, ...Array<string>(tail === undefined ? 0 : missing).fill('0'), ...tailGroups];
  return groups.map((g) => Number.parseInt(g, 16).toString(2).padStart(16, '0')).join('');
}

export interface Ipv6Prefix {
  readonly network: string;
  readonly prefixLength: number;
}

/** `ADDR/LEN` with LEN in [minLength, maxLength]; the address must be the network address. */
export function parseIPv6Prefix(text: string, minLength = 0, maxLength = 128): Ipv6Prefix {
  const slash = text.indexOf('/');
  if (slash < 0)
    throw new ValueError('CONFIG_BAD_CIDR', `'${text}' is not an IPv6 prefix (write it as ADDRESS/LENGTH)`);
  const network = parseIPv6(text.slice(0, slash), 'an IPv6 network address');
  const lengthText = text.slice(slash + 1);
  if (!/^(0|[1-9][0-9]{0,2})$/.test(lengthText))
    throw new ValueError('CONFIG_BAD_CIDR', `'${lengthText}' is not a prefix length`);
  const prefixLength = Number(lengthText);
  if (prefixLength < minLength || prefixLength > maxLength)
    throw new ValueError(
      'CONFIG_BAD_CIDR',
      `prefix length must be between ${minLength} and ${maxLength}, not /${prefixLength}`,
    );
  if (ipv6Bits(network).slice(prefixLength).includes('1'))
    throw new ValueError(
      'CONFIG_BAD_CIDR',
      `${text} has host bits set; the network address of that prefix is needed (e.g. ${network.replace(/:[^:]*$/, '::')}/${prefixLength})`,
    );
  return { network, prefixLength };
}

/** `ADDR` or `ADDR/LEN` (an IPv6 interface address; host bits allowed). */
export function parseIPv6WithOptionalPrefix(text: string): { address: string; prefixLength: number } {
  const [address = '', length] = text.split('/', 2);
  parseIPv6(address);
  const prefixLength = length === undefined ? 128 : parseInteger(length, 0, 128, 'a prefix length');
  return { address, prefixLength };
}

const LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;

/** A DNS host name (RFC 1123 labels; a trailing dot allowed). */
export function isHostName(text: string): boolean {
  const name = text.endsWith('.') ? text.slice(0, -1) : text;
  if (name.length === 0 || name.length > 253) return false;
  const labels = name.split('.');
  // An all-numeric last label would be a malformed IPv4 address, not a name.
  if (/^[0-9]+$/.test(labels[labels.length - 1] ?? '')) return false;
  return labels.every((l) => LABEL.test(l));
}

/** A host to connect to or bind on: a DNS name, an IPv4 or an IPv6 literal. */
export function parseHost(text: string): string {
  if (isIPv4(text) || isHostName(text)) return text;
  if (!text.includes('%') && isIPv6(text)) return text;
  throw new ValueError('CONFIG_BAD_HOST', `'${text}' is not a host name or IP address`);
}

/** Splits a colon-separated list, rejecting empty items and duplicates (compared case-insensitively). */
export function parseColonList(text: string, what: string): string[] {
  const items = text.split(':').map((s) => s.trim());
  if (items.some((s) => s === ''))
    throw new ValueError('CONFIG_BAD_LIST', `${what} '${text}' has an empty item (two colons in a row?)`);
  const seen = new Set<string>();
  for (const item of items) {
    const key = item.toLowerCase();
    if (seen.has(key)) throw new ValueError('CONFIG_BAD_LIST', `${what} names '${item}' twice`);
    seen.add(key);
  }
  return items;
}

/** A user or group name, or a numeric id. */
export function parseAccountName(text: string, what: string): string {
  if (!/^([a-z_][a-z0-9_.-]{0,31}\$?|[0-9]{1,10})$/i.test(text))
    throw new ValueError('CONFIG_BAD_NAME', `'${text}' is not a valid ${what} name or id`);
  return text;
}
