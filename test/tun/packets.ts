/**
 * Just enough IPv4/IPv6/UDP/ICMP to drive a real TUN device in tests: build
 * UDP datagrams with correct checksums (the kernel verifies them), turn an
 * ICMP echo request into its reply, and read the fields the tests assert on.
 * @module
 */
import { isIPv4 } from 'node:net';

export const PROTO_ICMP = 1;
export const PROTO_UDP = 17;

function ipv4Bytes(address: string): Uint8Array {
  return Uint8Array.from(address.split('.').map(Number));
}

/** Expands an IPv6 text address to 16 bytes. */
function ipv6Bytes(address: string): Uint8Array {
  const [head = '', tail = ''] = address.split('::');
  const parse = (s: string) => (s === '' ? [] : s.split(':').map((h) => Number.parseInt(h, 16)));
  const left = parse(head);
  const right = address.includes('::') ? parse(tail) : [];
  const groups = [...left, ...new Array(8 - left.length - right.length).fill(0), ...right];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

/** RFC 1071 one's-complement sum over `parts`, folded and inverted. */
function checksum(...parts: Uint8Array[]): number {
  let sum = 0;
  for (const part of parts) {
    for (let i = 0; i < part.length; i += 2) sum += ((part[i] ?? 0) << 8) | (part[i + 1] ?? 0);
  }
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function udpHeader(srcPort: number, dstPort: number, payload: Uint8Array): Uint8Array {
  const udp = new Uint8Array(8 + payload.length);
  const view = new DataView(udp.buffer);
  view.setUint16(0, srcPort);
  view.setUint16(2, dstPort);
  view.setUint16(4, udp.length);
  udp.set(payload, 8);
  return udp;
}

/** An IPv4 or IPv6 UDP datagram from `src:srcPort` to `dst:dstPort`, checksums filled in. */
export function buildUdp(
  src: string,
  srcPort: number,
  dst: string,
  dstPort: number,
  payload: Uint8Array,
): Uint8Array {
  const udp = udpHeader(srcPort, dstPort, payload);
  const udpView = new DataView(udp.buffer);
  if (isIPv4(src)) {
    const s = ipv4Bytes(src);
    const d = ipv4Bytes(dst);
    const pseudo = new Uint8Array(12);
    pseudo.set(s, 0);
    pseudo.set(d, 4);
    pseudo[9] = PROTO_UDP;
    new DataView(pseudo.buffer).setUint16(10, udp.length);
    udpView.setUint16(6, checksum(pseudo, udp) || 0xffff);
    const packet = new Uint8Array(20 + udp.length);
    const ip = new DataView(packet.buffer);
    packet[0] = 0x45;
    ip.setUint16(2, packet.length);
    packet[8] = 64; // TTL
    packet[9] = PROTO_UDP;
    packet.set(s, 12);
    packet.set(d, 16);
    ip.setUint16(10, checksum(packet.subarray(0, 20)));
    packet.set(udp, 20);
    return packet;
  }
  const s = ipv6Bytes(src);
  const d = ipv6Bytes(dst);
  const pseudo = new Uint8Array(40);
  pseudo.set(s, 0);
  pseudo.set(d, 16);
  new DataView(pseudo.buffer).setUint32(32, udp.length);
  pseudo[39] = PROTO_UDP;
  udpView.setUint16(6, checksum(pseudo, udp) || 0xffff);
  const packet = new Uint8Array(40 + udp.length);
  const ip = new DataView(packet.buffer);
  packet[0] = 0x60;
  ip.setUint16(4, udp.length);
  packet[6] = PROTO_UDP;
  packet[7] = 64; // hop limit
  packet.set(s, 8);
  packet.set(d, 24);
  packet.set(udp, 40);
  return packet;
}

export interface UdpView {
  readonly version: 4 | 6;
  readonly src: string;
  readonly dst: string;
  readonly srcPort: number;
  readonly dstPort: number;
  readonly payload: Uint8Array;
}

function text4(b: Uint8Array): string {
  return Array.from(b).join('.');
}

function text6(b: Uint8Array): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((b[i] ?? 0) << 8) | (b[i + 1] ?? 0)).toString(16));
  return groups.join(':');
}

/** The UDP fields of an IPv4 (no options) or IPv6 (no extension headers) packet, or undefined. */
export function parseUdp(packet: Uint8Array): UdpView | undefined {
  const view = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
  const version = (packet[0] ?? 0) >> 4;
  let offset: number;
  let src: string;
  let dst: string;
  if (version === 4 && packet.length >= 28 && packet[9] === PROTO_UDP) {
    offset = ((packet[0] ?? 0) & 0x0f) * 4;
    src = text4(packet.subarray(12, 16));
    dst = text4(packet.subarray(16, 20));
  } else if (version === 6 && packet.length >= 48 && packet[6] === PROTO_UDP) {
    offset = 40;
    src = text6(packet.subarray(8, 24));
    dst = text6(packet.subarray(24, 40));
  } else {
    return undefined;
  }
  return {
    version,
    src,
    dst,
    srcPort: view.getUint16(offset),
    dstPort: view.getUint16(offset + 2),
    payload: packet.subarray(offset + 8, offset + view.getUint16(offset + 4)),
  };
}

/** For an IPv4 ICMP echo request, the echo reply a host at its destination would send; else undefined. */
export function icmpEchoReply(request: Uint8Array): Uint8Array | undefined {
  if (request.length < 28 || request[0] !== 0x45 || request[9] !== PROTO_ICMP) return undefined;
  if (request[20] !== 8) return undefined; // not an echo request
  const reply = Uint8Array.from(request);
  reply.set(request.subarray(16, 20), 12);
  reply.set(request.subarray(12, 16), 16);
  const view = new DataView(reply.buffer);
  view.setUint16(10, 0);
  view.setUint16(10, checksum(reply.subarray(0, 20)));
  reply[20] = 0; // echo reply
  view.setUint16(22, 0);
  view.setUint16(22, checksum(reply.subarray(20)));
  return reply;
}
