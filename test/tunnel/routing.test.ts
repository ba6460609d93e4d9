import { describe, expect, it } from 'vitest';
import { bytesToIpv6, canonicalIpv6, ipv4ToUint, ipv6AddOffset, ipv6ToBytes } from '../../src/tunnel/ip.js';
import { SessionRoutes } from '../../src/tunnel/routing.js';

function v4(src: string, dst: string): Uint8Array {
  const p = new Uint8Array(28);
  p[0] = 0x45;
  new DataView(p.buffer).setUint32(12, ipv4ToUint(src));
  new DataView(p.buffer).setUint32(16, ipv4ToUint(dst));
  return p;
}

function v6(src: string, dst: string): Uint8Array {
  const p = new Uint8Array(48);
  p[0] = 0x60;
  p.set(ipv6ToBytes(src), 8);
  p.set(ipv6ToBytes(dst), 24);
  return p;
}

describe('ip helpers', () => {
  it('formats IPv6 canonically and does offset arithmetic', () => {
    expect(canonicalIpv6('FD00:0:0:0:0:0:0:1')).toBe('fd00::1');
    expect(canonicalIpv6('::')).toBe('::');
    expect(canonicalIpv6('1:0:0:2:0:0:0:3')).toBe('1:0:0:2::3');
    expect(canonicalIpv6('::ffff:10.0.0.1')).toBe('::ffff:a00:1');
    expect(ipv6AddOffset('fd00:8::', 0x1_0002)).toBe('fd00:8::1:2');
    expect(bytesToIpv6(new Uint8Array(16).fill(0xff))).toBe('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff');
  });
});

describe('SessionRoutes', () => {
  const routes = new SessionRoutes<string>();
  routes.add('A', '10.8.0.2', 'fd00:8::2');
  routes.add('B', '10.8.0.3', 'fd00:8::3');

  it('routes TUN packets by destination, IPv4 and IPv6', () => {
    expect(routes.forTunPacket(v4('10.8.0.1', '10.8.0.3'))).toBe('B');
    expect(routes.forTunPacket(v6('fd00:8::1', 'fd00:8::2'))).toBe('A');
    expect(routes.forTunPacket(v4('10.8.0.1', '10.8.0.9'))).toBeUndefined();
    expect(routes.forTunPacket(new Uint8Array([0x45, 0]))).toBeUndefined();
  });

  it('client-to-client forwards inside the server; without it, to the TUN device', () => {
    expect(routes.fromClient('A', v4('10.8.0.2', '10.8.0.3'), true)).toEqual({ kind: 'peer', peer: 'B' });
    expect(routes.fromClient('A', v6('fd00:8::2', 'fd00:8::3'), true)).toEqual({ kind: 'peer', peer: 'B' });
    expect(routes.fromClient('A', v4('10.8.0.2', '10.8.0.3'), false)).toEqual({ kind: 'tun' });
    expect(routes.fromClient('A', v4('10.8.0.2', '8.8.8.8'), true)).toEqual({ kind: 'tun' });
    expect(routes.fromClient('A', v4('10.8.0.2', '10.8.0.2'), true)).toEqual({ kind: 'tun' });
  });

  it('drops packets whose source is not the sender’s own address', () => {
    expect(routes.fromClient('A', v4('10.8.0.3', '10.8.0.1'), false)).toMatchObject({ reason: 'bad-source' });
    expect(routes.fromClient('A', v6('fd00:8::3', 'fd00:8::1'), true)).toMatchObject({
      reason: 'bad-source',
    });
    expect(routes.fromClient('Z', v4('10.8.0.2', '10.8.0.1'), true)).toMatchObject({ reason: 'bad-source' });
    expect(routes.fromClient('A', new Uint8Array(20), true)).toMatchObject({ reason: 'not-ip' });
  });

  it('a new owner of an address replaces the old one; remove forgets a session', () => {
    const r = new SessionRoutes<string>();
    r.add('A', '10.8.0.2');
    r.add('A2', '10.8.0.2');
    expect(r.forTunPacket(v4('1.1.1.1', '10.8.0.2'))).toBe('A2');
    expect(r.size).toBe(1);
    r.remove('A'); // already gone: no effect on A2
    expect(r.forTunPacket(v4('1.1.1.1', '10.8.0.2'))).toBe('A2');
    r.remove('A2');
    expect(r.forTunPacket(v4('1.1.1.1', '10.8.0.2'))).toBeUndefined();
    // A session without IPv6 never passes an IPv6 source check.
    r.add('C', '10.8.0.4');
    expect(r.fromClient('C', v6('fd00:8::4', 'fd00:8::1'), false)).toMatchObject({ reason: 'bad-source' });
  });
});
