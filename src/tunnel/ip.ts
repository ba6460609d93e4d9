/**
 * IP address arithmetic the tunnel needs: IPv4 addresses as unsigned 32-bit
 * numbers, IPv6 addresses as 16 bytes (and as 32-character hex keys for maps),
 * and the destination/source addresses of raw IP packets read from a TUN
 * device.
 *
 * Textual inputs here come from an already validated configuration or from
 * our own pool; packet accessors assume a packet the data channel has already
 * classified as IPv4 (≥ 20 bytes) or IPv6 (≥ 40 bytes) and return `undefined`
 * for anything shorter, never throwing on packet bytes.
 * @module
 */

import { isIPv4, isIPv6 } from 'node:net';
import { PqvpnError } from '../errors.js';
import { formatIpv6 } from '../util/ipv6-text.js';

/** Dotted quad → unsigned 32-bit number. Throws on a non-address (trusted input only). */
export function ipv4ToUint(address: string): number {
  if (!isIPv4(address)) throw new PqvpnError('TUNNEL_BAD_ADDRESS', `'${address}' is not an IPv4 address`);
  const [a = 0, b = 0, c = 0, d = 0] = address.split('.').map(Number);
  return ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
}

export function uintToIpv4(n: number): string {
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** Netmask for a prefix length, as an unsigned number (0 → 0, 32 → 0xffffffff). */
export function prefixToMaskUint(prefixLength: number): number {
  return prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
}

/** Prefix length of a contiguous dotted netmask (already validated by the config loader). */
export function netmaskToPrefix(netmask: string): number {
  let n = ipv4ToUint(netmask);
  let bits = 0;
  while (n & 0x80000000) {
    bits++;
    n = (n << 1) >>> 0;
  }
  return bits;
}

export function prefixToNetmask(prefixLength: number): string {
  return uintToIpv4(prefixToMaskUint(prefixLength));
}

/** IPv6 literal → 16 bytes. Throws on a non-address (trusted input only). */
export function ipv6ToBytes(address: string): Uint8Array {
  if (!isIPv6(address) || address.includes('%'))
    throw new PqvpnError('TUNNEL_BAD_ADDRESS', `'${address}' is not an IPv6 address`);
  let text = address;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4?.[1]) {
    const n = ipv4ToUint(v4[1]);
    text = `${text.slice(0, -v4[1].length)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const [head = '', rest] = text.split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = rest ? rest.split(':') : [];
  const fill = rest === undefined ? 0 : 8 - headGroups.length - tailGroups.length;
  const groups = [...headGroups, ...Array<string>(fill).fill('0'), ...tailGroups];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    const v = Number.parseInt(g, 16);
    out[2 * i] = v >>> 8;
    out[2 * i + 1] = v & 255;
  });
  return out;
}

/** 16 bytes → canonical (RFC 5952) IPv6 text. */
export function bytesToIpv6(bytes: Uint8Array): string {
  return formatIpv6(bytes);
}

/** Canonical text of an IPv6 literal (so 'FD00:0:0::1' and 'fd00::1' compare equal). */
export function canonicalIpv6(address: string): string {
  return bytesToIpv6(ipv6ToBytes(address));
}

/** 32 lowercase hex digits: the map key of an IPv6 address. */
export function ipv6Key(address: string): string {
  return Buffer.from(ipv6ToBytes(address)).toString('hex');
}

/** `base + offset` within the low 32 bits of an IPv6 address (pool arithmetic). */
export function ipv6AddOffset(base: string, offset: number): string {
  const bytes = ipv6ToBytes(base);
  const view = new DataView(bytes.buffer);
  view.setUint32(12, (view.getUint32(12) + offset) >>> 0);
  return bytesToIpv6(bytes);
}

/** The IP version of a raw packet (4 or 6), or 0 for anything else. */
export function ipVersion(packet: Uint8Array): 0 | 4 | 6 {
  const v = (packet[0] ?? 0) >>> 4;
  if (v === 4 && packet.length >= 20) return 4;
  if (v === 6 && packet.length >= 40) return 6;
  return 0;
}

/** IPv4 destination of a packet as an unsigned number (caller checked ipVersion === 4). */
export function ipv4Destination(packet: Uint8Array): number {
  return ((packet[16]! << 24) | (packet[17]! << 16) | (packet[18]! << 8) | packet[19]!) >>> 0;
}

export function ipv4Source(packet: Uint8Array): number {
  return ((packet[12]! << 24) | (packet[13]! << 16) | (packet[14]! << 8) | packet[15]!) >>> 0;
}

/** IPv6 destination as a 32-hex-digit key (caller checked ipVersion === 6). */
export function ipv6DestinationKey(packet: Uint8Array): string {
  return Buffer.from(packet.buffer, packet.byteOffset + 24, 16).toString('hex');
}

export function ipv6SourceKey(packet: Uint8Array): string {
  return Buffer.from(packet.buffer, packet.byteOffset + 8, 16).toString('hex');
}
