import { describe, expect, it } from 'vitest';
import { signatureSchemeByName } from '../../src/crypto/signature-schemes.js';
import {
  type Certificate,
  CertificateError,
  certificateFingerprint,
  certificateToPem,
  parseCertificate,
  parseCertificatesPem,
} from '../../src/pki/certificate.js';
import {
  DerError,
  derBoolean,
  derExplicit,
  derInteger,
  derOctetString,
  derOid,
  derSequence,
  derUnsignedInteger,
  parseDer,
} from '../../src/pki/der.js';
import { keyIdentifier } from '../../src/pki/extensions.js';
import { createCertificate } from '../../src/pki/issue.js';
import { formatName } from '../../src/pki/name.js';
import { ExtKeyUsageOid } from '../../src/pki/oids.js';
import { DAY, makeCa, makeLeaf, mlDsa44, NOW, resign, seededRandom } from './helpers.js';

const hexOf = (b: Uint8Array) => Buffer.from(b).toString('hex');

function checkRoundTrip(cert: Certificate): void {
  const again = parseCertificate(cert.der);
  expect(again.tbs).toEqual(cert.tbs);
  const fromPem = parseCertificate(certificateToPem(cert));
  expect(fromPem.der).toEqual(cert.der);
  expect(fromPem.serialHex).toBe(cert.serialHex);
  expect(fromPem.notAfter).toEqual(cert.notAfter);
}

describe('certificates: round trip per scheme', () => {
  for (const name of ['ml-dsa-44', 'ml-dsa-65', 'ml-dsa-87', 'slh-dsa-sha2-128f']) {
    it(`${name}: CA and server certificate encode, parse and verify`, () => {
      const scheme = signatureSchemeByName(name);
      const ca = makeCa(`rt-${name}`, { scheme });
      const leaf = makeLeaf(ca, 'server', 'vpn.example.com', { scheme });
      for (const cert of [ca.certificate, leaf.certificate]) {
        checkRoundTrip(cert);
        expect(cert.signatureAlgorithm.scheme).toBe(scheme);
        expect(cert.subjectPublicKeyInfo.algorithm.scheme).toBe(scheme);
        expect(cert.subjectPublicKeyInfo.publicKey).toHaveLength(scheme.publicKeyBytes);
        // RFC 9881/9909: AlgorithmIdentifier is SEQUENCE { OID } with parameters absent.
        expect(cert.signatureAlgorithm.der).toEqual(derSequence(derOid(scheme.oid)));
      }
      expect(scheme.verify(ca.key.publicKey, ca.certificate.tbs, ca.certificate.signature)).toBe(true);
      expect(scheme.verify(ca.key.publicKey, leaf.certificate.tbs, leaf.certificate.signature)).toBe(true);
    });
  }

  it('slh-dsa-sha2-128s (a slow "s" variant): a self-signed CA round trips', () => {
    const scheme = signatureSchemeByName('slh-dsa-sha2-128s');
    const ca = makeCa('slow-s', { scheme });
    checkRoundTrip(ca.certificate);
    expect(scheme.verify(ca.key.publicKey, ca.certificate.tbs, ca.certificate.signature)).toBe(true);
  });

  it('falcon-512 (experimental OQS OID) round trips', () => {
    const scheme = signatureSchemeByName('falcon-512');
    const ca = makeCa('falcon', { scheme });
    checkRoundTrip(ca.certificate);
    expect(ca.certificate.signatureAlgorithm.oid).toBe('1.3.9999.3.11');
    expect(scheme.verify(ca.key.publicKey, ca.certificate.tbs, ca.certificate.signature)).toBe(true);
  });
});

describe('certificates: profiles', () => {
  const ca = makeCa('profiles');
  const server = makeLeaf(ca, 'server', 'vpn.example.com');
  const client = makeLeaf(ca, 'client', 'alice');

  it('a CA is CA:TRUE (critical) with keyCertSign and cRLSign (critical) and AKI = SKI', () => {
    const ext = ca.certificate.extensions;
    expect(ext.basicConstraints).toEqual({ ca: true });
    expect(ext.keyUsage).toEqual(['keyCertSign', 'cRLSign']);
    const byOid = new Map(ext.all.map((e) => [e.oid, e]));
    expect(byOid.get('2.5.29.19')!.critical).toBe(true);
    expect(byOid.get('2.5.29.15')!.critical).toBe(true);
    expect(ext.extKeyUsage).toBeUndefined();
    expect(ext.subjectKeyIdentifier).toEqual(keyIdentifier(ca.key.publicKey));
    expect(ext.authorityKeyIdentifier).toEqual(ext.subjectKeyIdentifier);
    expect(formatName(ca.certificate.subject)).toBe('CN=profiles CA');
    expect(ca.certificate.issuer.der).toEqual(ca.certificate.subject.der);
  });

  it('a server is CA:FALSE, digitalSignature only, serverAuth, SAN DNS:NAME by default', () => {
    const ext = server.certificate.extensions;
    expect(ext.basicConstraints).toEqual({ ca: false });
    expect(ext.keyUsage).toEqual(['digitalSignature']);
    expect(ext.extKeyUsage).toEqual([ExtKeyUsageOid.serverAuth]);
    expect(ext.subjectAltName).toEqual([{ type: 'dns', value: 'vpn.example.com' }]);
    expect(ext.authorityKeyIdentifier).toEqual(ca.certificate.extensions.subjectKeyIdentifier);
    expect(server.certificate.issuer.der).toEqual(ca.certificate.subject.der);
  });

  it('a client has clientAuth and no SAN unless asked', () => {
    const ext = client.certificate.extensions;
    expect(ext.extKeyUsage).toEqual([ExtKeyUsageOid.clientAuth]);
    expect(ext.subjectAltName).toBeUndefined();
  });

  it('explicit SANs replace the default; non-DNS names get no default SAN', () => {
    const s = makeLeaf(ca, 'server', 'gw1', {
      san: [
        { type: 'dns', value: 'gw1.example.com' },
        { type: 'ip', value: '198.51.100.7' },
        { type: 'ip', value: '2001:db8::7' },
      ],
    });
    expect(s.certificate.extensions.subjectAltName).toEqual([
      { type: 'dns', value: 'gw1.example.com' },
      { type: 'ip', value: '198.51.100.7' },
      { type: 'ip', value: '2001:db8::7' },
    ]);
    expect(makeLeaf(ca, 'server', 'under_score').certificate.extensions.subjectAltName).toBeUndefined();
  });

  it('serials are 16 random bytes, positive and minimal', () => {
    for (const cert of [ca.certificate, server.certificate, client.certificate]) {
      expect(cert.serial).toHaveLength(16);
      expect(cert.serial[0]! & 0xc0).toBe(0x40);
      expect(cert.serialHex).toMatch(/^[0-9A-F]{32}$/);
    }
    expect(server.certificate.serialHex).not.toBe(client.certificate.serialHex);
  });

  it('validity is whole seconds from now for the given days, and a leaf never outlives its CA', () => {
    const now = new Date('2026-03-01T12:34:56.789Z');
    const c = makeCa('days', { now, days: 10 });
    expect(c.certificate.notBefore.toISOString()).toBe('2026-03-01T12:34:56.000Z');
    expect(c.certificate.notAfter.getTime() - c.certificate.notBefore.getTime()).toBe(10 * DAY);
    const leaf = makeLeaf(c, 'client', 'long', { now, days: 825 });
    expect(leaf.certificate.notAfter).toEqual(c.certificate.notAfter);
  });

  it('rejects impossible requests', () => {
    expect(() => makeCa('bad', { days: 0 })).toThrow(RangeError);
    expect(() => makeCa('bad', { days: 1.5 })).toThrow(RangeError);
    expect(() =>
      createCertificate({
        profile: 'server',
        subject: { commonName: 'x' },
        scheme: mlDsa44,
        days: 1,
        now: NOW,
        random: seededRandom('x'),
      }),
    ).toThrow(/self-signed/);
    expect(() => makeCa('bad', { subject: { commonName: '' } })).toThrow(/CN must not be empty/);
    expect(() => makeCa('bad', { subject: { commonName: 'x', country: 'Germany' } })).toThrow(/two-letter/);
    expect(() => makeCa('bad', { subject: { commonName: 'a\nb' } })).toThrow(/control/);
  });

  it('is deterministic in the random source (same label, same key and serial)', () => {
    const a = makeCa('same');
    const b = makeCa('same');
    expect(a.certificate.serialHex).toBe(b.certificate.serialHex);
    expect(a.key.publicKey).toEqual(b.key.publicKey);
  });

  it('prints a SHA-256 fingerprint', () => {
    expect(certificateFingerprint(ca.certificate)).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  });

  it('reads PEM bundles', () => {
    const bundle = `junk\n${certificateToPem(ca.certificate)}${certificateToPem(server.certificate)}`;
    expect(parseCertificatesPem(bundle).map((c) => c.serialHex)).toEqual([
      ca.certificate.serialHex,
      server.certificate.serialHex,
    ]);
    expect(() => parseCertificatesPem('nothing here')).toThrow(/no CERTIFICATE/);
  });
});

describe('certificates: structural rejections', () => {
  const ca = makeCa('struct');
  const leaf = makeLeaf(ca, 'client', 'bob');
  const cert = leaf.certificate;

  function expectInvalid(
    der: Uint8Array,
    pattern: RegExp,
    type: typeof CertificateError | typeof DerError = CertificateError,
  ) {
    expect(() => parseCertificate(der)).toThrow(type);
    expect(() => parseCertificate(der)).toThrow(pattern);
  }

  it('rejects a v1 certificate (no version field)', () => {
    expectInvalid(
      resign(cert, ca.key, (f) => f.slice(1)),
      /v3/,
    );
  });

  it('rejects a v2 certificate', () => {
    expectInvalid(
      resign(cert, ca.key, (f) => [derExplicit(0, derInteger(1)), ...f.slice(1)]),
      /version 2/,
    );
  });

  it('rejects differing inner and outer signature algorithms', () => {
    const other = derSequence(derOid(signatureSchemeByName('ml-dsa-65').oid));
    expectInvalid(
      resign(cert, ca.key, (f) => f, other),
      /differs/,
    );
  });

  it('rejects AlgorithmIdentifier parameters for PQ schemes (RFC 9881: absent)', () => {
    const withNull = Uint8Array.from([...derSequence(derOid(mlDsa44.oid), Uint8Array.of(5, 0))]);
    expectInvalid(
      resign(cert, ca.key, (f) => [f[0]!, f[1]!, withNull, ...f.slice(3)], withNull),
      /unexpected trailing/,
      DerError,
    );
  });

  it('rejects serial numbers longer than 20 octets and non-positive ones', () => {
    expectInvalid(
      resign(cert, ca.key, (f) => [f[0]!, derUnsignedInteger(new Uint8Array(21).fill(0x11)), ...f.slice(2)]),
      /20 octets/,
    );
    expectInvalid(
      resign(cert, ca.key, (f) => [f[0]!, derInteger(-5), ...f.slice(2)]),
      /positive/,
      DerError,
    );
    expectInvalid(
      resign(cert, ca.key, (f) => [f[0]!, derInteger(0), ...f.slice(2)]),
      /positive/,
      DerError,
    );
  });

  function withExtensions(...exts: Uint8Array[]): Uint8Array {
    return resign(cert, ca.key, (f) => [...f.slice(0, 7), derExplicit(3, derSequence(...exts))]);
  }

  it('rejects a duplicated extension', () => {
    const bc = derSequence(derOid('2.5.29.19'), derBoolean(true), derOctetString(derSequence()));
    expectInvalid(withExtensions(bc, bc), /appears twice/, DerError);
  });

  it('rejects an explicitly encoded critical FALSE (DER omits defaults)', () => {
    const bc = derSequence(derOid('2.5.29.19'), derBoolean(false), derOctetString(derSequence()));
    expectInvalid(withExtensions(bc), /critical FALSE/, DerError);
  });

  it('rejects cA FALSE encoded explicitly and a malformed keyUsage', () => {
    const bc = derSequence(derOid('2.5.29.19'), derOctetString(derSequence(derBoolean(false))));
    expectInvalid(withExtensions(bc), /cA FALSE/, DerError);
    const ku = derSequence(derOid('2.5.29.15'), derOctetString(Uint8Array.of(3, 2, 1, 4)));
    expectInvalid(withExtensions(ku), /trailing zero bits/, DerError);
  });

  it('rejects an empty extensions list', () => {
    expectInvalid(withExtensions(), /must not be empty/, DerError);
  });

  it('rejects unique identifiers', () => {
    expectInvalid(
      resign(cert, ca.key, (f) => [...f.slice(0, 7), Uint8Array.of(0x81, 2, 0, 1), ...f.slice(7)]),
      /UniqueID/,
    );
  });

  it('rejects a wrong-length public key for a known scheme', () => {
    const spki = parseDer(cert.subjectPublicKeyInfo.der);
    const shortKey = derSequence(
      new Uint8Array(spki.children[0]!.encoded),
      Uint8Array.of(3, 3, 0, 1, 2), // BIT STRING of 2 bytes
    );
    expectInvalid(
      resign(cert, ca.key, (f) => [...f.slice(0, 6), shortKey, ...f.slice(7)]),
      /public key is 2 bytes/,
      DerError,
    );
  });

  it('parses an unknown signature algorithm without failing (the verifier names it)', () => {
    const unknown = derSequence(derOid('1.2.3.4.5'));
    const der = resign(cert, ca.key, (f) => [f[0]!, f[1]!, unknown, ...f.slice(3)], unknown);
    const parsed = parseCertificate(der);
    expect(parsed.signatureAlgorithm.scheme).toBeUndefined();
    expect(parsed.signatureAlgorithm.oid).toBe('1.2.3.4.5');
  });

  it('rejects trailing bytes, truncation and a wrong PEM label', () => {
    expectInvalid(Uint8Array.from([...cert.der, 0]), /trailing/, DerError);
    expectInvalid(cert.der.subarray(0, cert.der.length - 1), /past the end/, DerError);
    expect(() => parseCertificate(certificateToPem(cert).replaceAll('CERTIFICATE', 'X509 CRL'))).toThrow(
      /no "CERTIFICATE" PEM block/,
    );
  });

  it('keeps unknown non-critical and critical extensions for the verifier', () => {
    const ext = derSequence(derOid('1.2.3.4'), derBoolean(true), derOctetString(derSequence()));
    const parsed = parseCertificate(withExtensions(ext));
    expect(parsed.extensions.all).toEqual([{ oid: '1.2.3.4', critical: true, value: derSequence() }]);
  });

  it('keeps a readable subject for odd but valid names', () => {
    const c = makeLeaf(ca, 'client', 'x', { subject: { commonName: 'a,b+c', organization: ' lead' } });
    expect(formatName(c.certificate.subject)).toBe('O=\\ lead, CN=a\\,b\\+c');
    expect(hexOf(parseCertificate(c.certificate.der).subject.der)).toBe(hexOf(c.certificate.subject.der));
  });
});
