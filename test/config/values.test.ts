import { describe, expect, it } from 'vitest';
import { editDistance, suggest } from '../../src/config/suggest.js';
import { directiveNames } from '../../src/config/table.js';
import {
  isHostName,
  isNetworkAddress,
  parseColonList,
  parseHost,
  parseInteger,
  parseIPv4,
  parseIPv6Prefix,
  parseNetmask,
  parsePort,
  ValueError,
} from '../../src/config/values.js';

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof ValueError) return e.code;
    throw e;
  }
  return 'ok';
}

describe('value parsers', () => {
  it('ports are 1–65535 in decimal', () => {
    expect(parsePort('1194')).toBe(1194);
    expect(parsePort('65535')).toBe(65535);
    for (const bad of ['0', '65536', 'abc', '-1', '1194x', '', '1e3'])
      expect(codeOf(() => parsePort(bad))).toBe('CONFIG_BAD_PORT');
  });

  it('integers are plain decimal within bounds', () => {
    expect(parseInteger('0', 0, 10)).toBe(0);
    expect(codeOf(() => parseInteger('12abc', 0, 100))).toBe('CONFIG_BAD_NUMBER');
    expect(codeOf(() => parseInteger('1e2', 0, 1000))).toBe('CONFIG_BAD_NUMBER');
    expect(codeOf(() => parseInteger('007', 0, 10))).toBe('CONFIG_BAD_NUMBER');
    expect(codeOf(() => parseInteger('11', 0, 10))).toBe('CONFIG_OUT_OF_RANGE');
    expect(codeOf(() => parseInteger('99999999999999999999', 0, Number.MAX_SAFE_INTEGER))).toBe(
      'CONFIG_OUT_OF_RANGE',
    );
  });

  it('IPv4 addresses are strict dotted quads (no octal-looking leading zeros)', () => {
    expect(parseIPv4('10.8.0.1')).toBe('10.8.0.1');
    for (const bad of ['10.8.0', '256.1.1.1', '010.8.0.1', '1.2.3.4.5', 'a.b.c.d', ' 1.2.3.4'])
      expect(codeOf(() => parseIPv4(bad))).toBe('CONFIG_BAD_IPV4');
  });

  it('netmasks must be contiguous', () => {
    expect(parseNetmask('255.255.255.0')).toEqual({ netmask: '255.255.255.0', prefixLength: 24 });
    expect(parseNetmask('255.255.255.255').prefixLength).toBe(32);
    expect(parseNetmask('0.0.0.0').prefixLength).toBe(0);
    expect(codeOf(() => parseNetmask('255.0.255.0'))).toBe('CONFIG_BAD_NETMASK');
    expect(codeOf(() => parseNetmask('255.255.255.1'))).toBe('CONFIG_BAD_NETMASK');
  });

  it('network addresses have no host bits', () => {
    expect(isNetworkAddress('10.8.0.0', '255.255.255.0')).toBe(true);
    expect(isNetworkAddress('10.8.0.1', '255.255.255.0')).toBe(false);
    expect(isNetworkAddress('192.168.1.128', '255.255.255.128')).toBe(true);
    expect(isNetworkAddress('255.255.255.255', '255.255.255.255')).toBe(true);
  });

  it('IPv6 prefixes need a length in range and no host bits', () => {
    expect(parseIPv6Prefix('fd00::/64', 64, 124)).toEqual({ network: 'fd00::', prefixLength: 64 });
    expect(parseIPv6Prefix('2001:db8:1:2::/64')).toEqual({ network: '2001:db8:1:2::', prefixLength: 64 });
    expect(codeOf(() => parseIPv6Prefix('fd00::1/64'))).toBe('CONFIG_BAD_CIDR');
    expect(codeOf(() => parseIPv6Prefix('fd00::/48', 64, 124))).toBe('CONFIG_BAD_CIDR');
    expect(codeOf(() => parseIPv6Prefix('fd00::'))).toBe('CONFIG_BAD_CIDR');
    expect(codeOf(() => parseIPv6Prefix('fd00::/129'))).toBe('CONFIG_BAD_CIDR');
    expect(codeOf(() => parseIPv6Prefix('fd00::/6x'))).toBe('CONFIG_BAD_CIDR');
    expect(codeOf(() => parseIPv6Prefix('10.0.0.0/8'))).toBe('CONFIG_BAD_IPV6');
    expect(codeOf(() => parseIPv6Prefix('fe80::%eth0/64'))).toBe('CONFIG_BAD_IPV6');
  });

  it('hosts are names or IP literals', () => {
    for (const ok of [
      'vpn.example.com',
      'localhost',
      'a-b.c',
      '10.0.0.1',
      '::1',
      '2001:db8::1',
      'example.com.',
    ])
      expect(parseHost(ok)).toBe(ok);
    for (const bad of ['-bad.example', 'under_score.example', 'a..b', '1.2.3.999', '', 'x'.repeat(64)])
      expect(codeOf(() => parseHost(bad))).toBe('CONFIG_BAD_HOST');
    expect(isHostName('1.2.3')).toBe(false);
  });

  it('colon lists refuse empty items and duplicates', () => {
    expect(parseColonList('x-wing:ml-kem-1024', 'kem-suites')).toEqual(['x-wing', 'ml-kem-1024']);
    expect(codeOf(() => parseColonList('a::b', 'l'))).toBe('CONFIG_BAD_LIST');
    expect(codeOf(() => parseColonList('a:A', 'l'))).toBe('CONFIG_BAD_LIST');
  });
});

describe('did-you-mean', () => {
  it('counts a swap of neighbours as one edit', () => {
    expect(editDistance('tsl', 'tls')).toBe(1);
    expect(editDistance('keepalvie', 'keepalive')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
  });

  it('suggests the closest directive for common typos', () => {
    const names = directiveNames();
    expect(suggest('remote-cert-tsl', names)).toBe('remote-cert-tls');
    expect(suggest('persist_key', names)).toBe('persist-key');
    expect(suggest('Verb', names)).toBe('verb');
    expect(suggest('kem-suite', names)).toBe('kem-suites');
    expect(suggest('frobnicate', names)).toBeUndefined();
    expect(suggest('xy', names)).toBeUndefined();
  });
});
