import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDer } from '../../src/pki/der.js';
import {
  encodeGeneralName,
  formatGeneralName,
  formatIpAddress,
  isDnsName,
  parseGeneralName,
  parseIpAddress,
  parseSanList,
} from '../../src/pki/general-name.js';
import {
  buildName,
  commonNameOf,
  formatName,
  formatNameSlashed,
  namesEqual,
  parseName,
} from '../../src/pki/name.js';

describe('distinguished names', () => {
  it('builds C, ST, L, O, OU, CN, emailAddress in that order and parses them back', () => {
    const name = buildName({
      commonName: 'vpn',
      organization: 'Example',
      organizationalUnit: 'Ops',
      country: 'DE',
      state: 'Berlin',
      locality: 'Berlin',
      email: 'ops@example.com',
    });
    expect(formatName(name)).toBe(
      'C=DE, ST=Berlin, L=Berlin, O=Example, OU=Ops, CN=vpn, emailAddress=ops@example.com',
    );
    expect(formatNameSlashed(name)).toBe(
      '/C=DE/ST=Berlin/L=Berlin/O=Example/OU=Ops/CN=vpn/emailAddress=ops@example.com',
    );
    const parsed = parseName(parseDer(name.der));
    expect(parsed.rdns).toEqual(name.rdns);
    expect(namesEqual(parsed, name)).toBe(true);
    expect(commonNameOf(parsed)).toBe('vpn');
    // countryName is a PrintableString, emailAddress an IA5String, the rest UTF8String.
    const tags = parseDer(name.der).children.map((rdn) => rdn.children[0]!.children[1]!.tag);
    expect(tags).toEqual([0x13, 0x0c, 0x0c, 0x0c, 0x0c, 0x0c, 0x16]);
  });

  it('escapes RFC 4514 specials when printing, slashes in the index form', () => {
    expect(formatName(buildName({ commonName: '#a,b;c' }))).toBe('CN=\\#a\\,b\\;c');
    expect(formatNameSlashed(buildName({ commonName: 'a/b' }))).toBe('/CN=a\\/b');
  });

  it('round trips any printable UTF-8 common name up to 64 characters', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 64, unit: 'grapheme' }), (cn) => {
        fc.pre([...cn].every((ch) => ch.charCodeAt(0) > 0x1f && ch !== '\u007f') && [...cn].length <= 64);
        const name = buildName({ commonName: cn });
        expect(commonNameOf(parseName(parseDer(name.der)))).toBe(cn);
      }),
    );
  });

  it('rejects names RFC 5280 bounds do not allow', () => {
    expect(() => buildName({ commonName: 'x'.repeat(65) })).toThrow(/longer than 64/);
    expect(() => buildName({ commonName: 'x', country: 'de' })).toThrow(/two-letter/);
    expect(() => parseName(parseDer(Uint8Array.of(0x30, 0x02, 0x31, 0x00)))).toThrow(
      /empty RelativeDistinguishedName/,
    );
  });
});

describe('subjectAltName entries', () => {
  it('parses the --san syntax', () => {
    expect(
      parseSanList(
        'DNS:vpn.example.com, ip:192.0.2.1,IP:2001:db8::1,email:a@example.com,URI:https://x.example/',
      ),
    ).toEqual([
      { type: 'dns', value: 'vpn.example.com' },
      { type: 'ip', value: '192.0.2.1' },
      { type: 'ip', value: '2001:db8::1' },
      { type: 'email', value: 'a@example.com' },
      { type: 'uri', value: 'https://x.example/' },
    ]);
    expect(() => parseSanList('vpn.example.com')).toThrow(/type prefix/);
    expect(() => parseSanList('RID:1.2.3')).toThrow(/unknown SAN type/);
    expect(() => parseSanList('DNS:-bad.example')).toThrow(/not a DNS name/);
    expect(() => parseSanList('IP:1.2.3')).toThrow(/not an IP address/);
    expect(() => parseSanList('IP:fe80::1%eth0')).toThrow(/not an IP address/);
    expect(() => parseSanList('email:nobody')).toThrow(/e-mail/);
  });

  it('knows DNS names, including one leading wildcard', () => {
    for (const ok of ['a', 'vpn.example.com', '*.example.com', 'x-1.y2.z', `${'a'.repeat(63)}.com`]) {
      expect(isDnsName(ok)).toBe(true);
    }
    for (const bad of ['', '-a', 'a-', 'a..b', 'a.*.b', 'under_score', `${'a'.repeat(64)}.com`, 'a b']) {
      expect(isDnsName(bad)).toBe(false);
    }
  });

  it('encodes IPs as 4 or 16 octets and prints them in canonical form (RFC 5952)', () => {
    expect([...parseIpAddress('192.0.2.1')]).toEqual([192, 0, 2, 1]);
    expect(formatIpAddress(parseIpAddress('2001:0db8:0000:0000:0000:0000:0000:0001'))).toBe('2001:db8::1');
    expect(formatIpAddress(parseIpAddress('::'))).toBe('::');
    expect(formatIpAddress(parseIpAddress('::ffff:192.0.2.1'))).toBe('::ffff:c000:201');
    expect(formatIpAddress(parseIpAddress('1:0:0:2:0:0:0:3'))).toBe('1:0:0:2::3');
    expect(formatIpAddress(parseIpAddress('1:0:2:3:4:5:6:7'))).toBe('1:0:2:3:4:5:6:7');
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (bytes) => {
        expect(parseIpAddress(formatIpAddress(bytes))).toEqual(bytes);
      }),
    );
  });

  it('round trips each GeneralName choice and keeps unknown ones by tag', () => {
    for (const name of [
      { type: 'dns', value: 'a.example' },
      { type: 'ip', value: '198.51.100.7' },
      { type: 'email', value: 'x@example.com' },
      { type: 'uri', value: 'urn:x:y' },
    ] as const) {
      expect(parseGeneralName(parseDer(encodeGeneralName(name)), 'san')).toEqual(name);
    }
    expect(parseGeneralName(parseDer(Uint8Array.of(0xa4, 0x02, 0x30, 0x00)), 'san')).toEqual({
      type: 'other',
      tag: 0xa4,
    });
    expect(() => parseGeneralName(parseDer(Uint8Array.of(0x87, 0x03, 1, 2, 3)), 'san')).toThrow(/4 or 16/);
    expect(() => parseGeneralName(parseDer(Uint8Array.of(0x04, 0x00)), 'san')).toThrow(/context-tagged/);
    expect(formatGeneralName({ type: 'ip', value: '::1' })).toBe('IP Address:::1');
  });
});
