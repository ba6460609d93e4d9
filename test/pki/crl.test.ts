import { describe, expect, it } from 'vitest';
import { type Crl, CrlError, crlToPem, parseCrl, signCrl } from '../../src/pki/crl.js';
import { DerError, derBitString, derInteger, derSequence, parseDer } from '../../src/pki/der.js';
import { DAY, makeCa, makeLeaf, NOW } from './helpers.js';

const ca = makeCa('crl');
const alice = makeLeaf(ca, 'client', 'alice');
const bob = makeLeaf(ca, 'client', 'bob');

function crlWith(revoked: Parameters<typeof signCrl>[0]['revoked'], crlNumber = 7n): Crl {
  return signCrl(
    {
      issuer: ca.certificate,
      thisUpdate: NOW,
      nextUpdate: new Date(NOW.getTime() + 30 * DAY),
      crlNumber,
      revoked,
    },
    ca.key,
  );
}

/** Re-signs the CRL with its TBSCertList fields edited. */
function resignCrl(crl: Crl, edit: (fields: Uint8Array[]) => Uint8Array[]): Uint8Array {
  const fields = parseDer(crl.tbs).children.map((c) => new Uint8Array(c.encoded));
  const tbs = derSequence(...edit(fields));
  return derSequence(
    tbs,
    crl.signatureAlgorithm.der,
    derBitString(ca.key.scheme.sign(ca.key.secretKey, tbs)),
  );
}

describe('CRLs', () => {
  it('round trips revoked serials, dates, reasons, the CRL number and the AKI', () => {
    const crl = crlWith([
      { serial: alice.certificate.serial, revocationDate: NOW, reason: 'keyCompromise' },
      { serial: bob.certificate.serial, revocationDate: new Date(NOW.getTime() - DAY) },
    ]);
    const parsed = parseCrl(crlToPem(crl));
    expect(parsed.der).toEqual(crl.der);
    expect(parsed.issuer.der).toEqual(ca.certificate.subject.der);
    expect(parsed.thisUpdate).toEqual(NOW);
    expect(parsed.nextUpdate).toEqual(new Date(NOW.getTime() + 30 * DAY));
    expect(parsed.extensions.crlNumber).toBe(7n);
    expect(parsed.extensions.authorityKeyIdentifier).toEqual(ca.certificate.extensions.subjectKeyIdentifier);
    expect(parsed.revoked).toEqual([
      {
        serial: alice.certificate.serial,
        serialHex: alice.certificate.serialHex,
        revocationDate: NOW,
        reason: 'keyCompromise',
      },
      {
        serial: bob.certificate.serial,
        serialHex: bob.certificate.serialHex,
        revocationDate: new Date(NOW.getTime() - DAY),
      },
    ]);
    expect(ca.key.scheme.verify(ca.key.publicKey, parsed.tbs, parsed.signature)).toBe(true);
  });

  it('omits the reasonCode for "unspecified" and revokedCertificates when empty (RFC 5280 5.3.1, DER)', () => {
    const unspecified = crlWith([
      { serial: alice.certificate.serial, revocationDate: NOW, reason: 'unspecified' },
    ]);
    expect(unspecified.revoked[0]!.reason).toBeUndefined();
    const entry = parseDer(unspecified.tbs).children[5]!.children[0]!;
    expect(entry.children).toHaveLength(2);
    const empty = crlWith([]);
    expect(empty.revoked).toEqual([]);
    // version, signature, issuer, thisUpdate, nextUpdate, [0] extensions: no revokedCertificates.
    expect(parseDer(empty.tbs).children.map((c) => c.tag)).toEqual([0x02, 0x30, 0x30, 0x17, 0x17, 0xa0]);
  });

  it('rejects a v1 CRL, an empty revokedCertificates and differing algorithms', () => {
    const crl = crlWith([{ serial: alice.certificate.serial, revocationDate: NOW }]);
    expect(() => parseCrl(resignCrl(crl, (f) => f.slice(1)))).toThrow(CrlError);
    expect(() => parseCrl(resignCrl(crl, (f) => f.slice(1)))).toThrow(/v2/);
    expect(() => parseCrl(resignCrl(crl, (f) => [...f.slice(0, 5), derSequence(), f[6]!]))).toThrow(
      /omitted when empty/,
    );
    const withNull = derSequence(
      parseDer(ca.certificate.signatureAlgorithm.der).children[0]!.encoded,
      Uint8Array.of(5, 0),
    );
    expect(() => parseCrl(derSequence(crl.tbs, withNull, derBitString(crl.signature)))).toThrow(
      /unexpected trailing/,
    );
  });

  it('rejects a CRL whose signatureAlgorithm differs from the inner one', () => {
    const crl = crlWith([]);
    const ml65 = derSequence(Uint8Array.of(0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x03, 0x12));
    expect(() => parseCrl(derSequence(crl.tbs, ml65, derBitString(crl.signature)))).toThrow(/differs/);
  });

  it('rejects an unknown reason code and malformed input', () => {
    const crl = crlWith([{ serial: alice.certificate.serial, revocationDate: NOW, reason: 'superseded' }]);
    const bytes = new Uint8Array(crl.der);
    const at = Buffer.from(bytes).indexOf(Buffer.from('0a0104', 'hex')); // ENUMERATED 4
    bytes[at + 2] = 7; // 7 is unassigned
    expect(() => parseCrl(bytes)).toThrow(/unknown CRL reason code 7/);
    expect(() => parseCrl(Uint8Array.from([...crl.der, 0]))).toThrow(DerError);
    expect(() => parseCrl(derSequence(derInteger(1)))).toThrow(DerError);
  });

  it('refuses to sign a CRL whose nextUpdate is not after thisUpdate', () => {
    expect(() =>
      signCrl(
        { issuer: ca.certificate, thisUpdate: NOW, nextUpdate: NOW, crlNumber: 1n, revoked: [] },
        ca.key,
      ),
    ).toThrow(RangeError);
  });
});
