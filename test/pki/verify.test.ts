import { describe, expect, it } from 'vitest';
import { signatureSchemeByName } from '../../src/crypto/signature-schemes.js';
import { type Certificate, certificateToPem, signCertificate } from '../../src/pki/certificate.js';
import { type Crl, crlToPem, signCrl } from '../../src/pki/crl.js';
import { derBitString, derExplicit, derOid, derSequence, derTime, parseDer } from '../../src/pki/der.js';
import {
  authorityKeyIdentifierExtension,
  basicConstraintsExtension,
  encodeExtension,
  extKeyUsageExtension,
  keyUsageExtension,
  subjectKeyIdentifierExtension,
} from '../../src/pki/extensions.js';
import type { IssuingCa } from '../../src/pki/issue.js';
import { buildName } from '../../src/pki/name.js';
import { ExtKeyUsageOid } from '../../src/pki/oids.js';
import { type VerifyOptions, type VerifyResult, verifyCertificateChain } from '../../src/pki/verify.js';
import { DAY, flipBit, makeCa, makeLeaf, NOW, resign } from './helpers.js';

const root = makeCa('root');
const server = makeLeaf(root, 'server', 'vpn.example.com');
const client = makeLeaf(root, 'client', 'alice');

function check(options: Partial<VerifyOptions> & Pick<VerifyOptions, 'leaf'>): VerifyResult {
  return verifyCertificateChain({ trustAnchors: [root.certificate], now: NOW, ...options });
}

function expectFailure(result: VerifyResult, code: string, reason?: RegExp): void {
  expect(result.ok ? 'ok' : result.code).toBe(code);
  if (reason && !result.ok) expect(result.reason).toMatch(reason);
}

/** Re-signs `cert` with its extensions replaced. */
function withExtensions(cert: Certificate, signer: IssuingCa, exts: Uint8Array[]): Uint8Array {
  return resign(cert, signer.key, (f) => [...f.slice(0, 7), derExplicit(3, derSequence(...exts))]);
}

function crl(
  options: { thisUpdate?: Date; nextUpdate?: Date; revoked?: Certificate[]; issuer?: IssuingCa } = {},
): Crl {
  const issuer = options.issuer ?? root;
  const thisUpdate = options.thisUpdate ?? new Date(NOW.getTime() - DAY);
  return signCrl(
    {
      issuer: issuer.certificate,
      thisUpdate,
      nextUpdate: options.nextUpdate ?? new Date(thisUpdate.getTime() + 30 * DAY),
      crlNumber: 1n,
      revoked: (options.revoked ?? []).map((c) => ({
        serial: c.serial,
        revocationDate: thisUpdate,
        reason: 'keyCompromise' as const,
      })),
    },
    issuer.key,
  );
}

describe('verifyCertificateChain: accepting', () => {
  it('accepts a server certificate issued by the trust anchor and reports who it is', () => {
    const result = check({ leaf: server.certificate, expectedEku: 'serverAuth', crls: [crl()] });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.subject).toBe('CN=vpn.example.com');
    expect(result.commonName).toBe('vpn.example.com');
    expect(result.serialHex).toBe(server.certificate.serialHex);
    expect(result.scheme.name).toBe('ml-dsa-44');
    expect(result.publicKey).toEqual(server.key.publicKey);
    expect(result.chain.map((c) => c.serialHex)).toEqual([
      server.certificate.serialHex,
      root.certificate.serialHex,
    ]);
  });

  it('accepts DER and PEM inputs', () => {
    const result = verifyCertificateChain({
      leaf: certificateToPem(client.certificate),
      trustAnchors: [root.certificate.der],
      now: NOW,
      crls: [crlToPem(crl())],
      expectedEku: 'clientAuth',
    });
    expect(result.ok).toBe(true);
  });

  it('builds a path through intermediates given in any order', () => {
    const int1 = makeCa('int1', {}, root);
    const int2 = makeCa('int2', {}, int1);
    const leaf = makeLeaf(int2, 'client', 'deep');
    const result = check({
      leaf: leaf.certificate,
      intermediates: [int2.certificate, root.certificate, int1.certificate],
    });
    expect(result.ok && result.chain.length).toBe(4);
  });

  it('matches verify-x509-name name, name-prefix and subject', () => {
    const leaf = makeLeaf(root, 'client', 'office-42', {
      subject: { commonName: 'office-42', organization: 'Example' },
    });
    for (const expectedName of [
      { kind: 'name', value: 'office-42' },
      { kind: 'name-prefix', value: 'office-' },
      { kind: 'subject', value: 'O=Example, CN=office-42' },
    ] as const) {
      expect(check({ leaf: leaf.certificate, expectedName }).ok).toBe(true);
    }
  });
});

describe('verifyCertificateChain: each rejection has its own code', () => {
  it('BAD_SIGNATURE: one bit flipped in the signature', () => {
    const tampered = flipBit(server.certificate.der, -1);
    expectFailure(check({ leaf: tampered }), 'BAD_SIGNATURE', /vpn\.example\.com/);
  });

  it('BAD_SIGNATURE: the signed content changed (CN edited)', () => {
    const der = new Uint8Array(client.certificate.der);
    const at = Buffer.from(der).indexOf(Buffer.from('alice'));
    der[at] = 'm'.charCodeAt(0); // "mlice"
    expectFailure(check({ leaf: der }), 'BAD_SIGNATURE');
  });

  it('BAD_SIGNATURE: signed by an impostor key under the right issuer name', () => {
    const impostor = makeCa('impostor', { subject: { commonName: 'root CA' } });
    const forged = makeLeaf(impostor, 'client', 'mallory');
    // Same issuer name as the real root, but the AKI differs: no candidate matches, so the issuer is unknown.
    expectFailure(check({ leaf: forged.certificate }), 'UNKNOWN_ISSUER');
    // Strip the AKI so the name alone selects the real root: its key must then reject the signature.
    const noAki = withExtensions(forged.certificate, impostor, [
      basicConstraintsExtension({ ca: false }),
      keyUsageExtension(['digitalSignature']),
    ]);
    expectFailure(check({ leaf: noAki }), 'BAD_SIGNATURE');
  });

  it('EXPIRED: validity entirely in the past', () => {
    const old = makeLeaf(root, 'client', 'old', { now: new Date(NOW.getTime() - 400 * DAY), days: 365 });
    expectFailure(check({ leaf: old.certificate }), 'EXPIRED', /expired on/);
  });

  it('EXPIRED: an expired trust anchor fails even for a current leaf', () => {
    const shortRoot = makeCa('short', { now: new Date(NOW.getTime() - 20 * DAY), days: 10 });
    const leaf = makeLeaf(shortRoot, 'client', 'x', { now: new Date(NOW.getTime() - 15 * DAY) });
    const extended = resign(leaf.certificate, shortRoot.key, (f) => [
      ...f.slice(0, 4),
      derSequence(derTime(new Date(NOW.getTime() - DAY)), derTime(new Date(NOW.getTime() + DAY))),
      ...f.slice(5),
    ]);
    const result = verifyCertificateChain({
      leaf: extended,
      trustAnchors: [shortRoot.certificate],
      now: NOW,
    });
    expectFailure(result, 'EXPIRED', /trust anchor/);
  });

  it('NOT_YET_VALID: validity in the future', () => {
    const future = makeLeaf(root, 'client', 'future', { now: new Date(NOW.getTime() + 2 * DAY) });
    expectFailure(check({ leaf: future.certificate }), 'NOT_YET_VALID', /not valid before/);
  });

  it('WRONG_EKU: a client certificate presented as a server, and a leaf without EKU', () => {
    expectFailure(check({ leaf: client.certificate, expectedEku: 'serverAuth' }), 'WRONG_EKU', /serverAuth/);
    expectFailure(check({ leaf: server.certificate, expectedEku: 'clientAuth' }), 'WRONG_EKU');
    const noEku = withExtensions(server.certificate, root, [basicConstraintsExtension({ ca: false })]);
    expectFailure(check({ leaf: noEku, expectedEku: 'serverAuth' }), 'WRONG_EKU', /absent/);
    const anyEku = withExtensions(server.certificate, root, [
      extKeyUsageExtension([ExtKeyUsageOid.anyExtendedKeyUsage]),
    ]);
    expectFailure(check({ leaf: anyEku, expectedEku: 'serverAuth' }), 'WRONG_EKU');
  });

  it('WRONG_KEY_USAGE: a leaf whose keyUsage lacks digitalSignature', () => {
    const leaf = withExtensions(client.certificate, root, [keyUsageExtension(['keyAgreement'])]);
    expectFailure(check({ leaf }), 'WRONG_KEY_USAGE');
  });

  it('UNKNOWN_ISSUER: a certificate from another CA, or a missing intermediate', () => {
    const other = makeCa('other');
    expectFailure(
      check({ leaf: makeLeaf(other, 'client', 'eve').certificate }),
      'UNKNOWN_ISSUER',
      /other CA/,
    );
    const int = makeCa('int', {}, root);
    expectFailure(check({ leaf: makeLeaf(int, 'client', 'x').certificate }), 'UNKNOWN_ISSUER');
    expectFailure(check({ leaf: server.certificate, trustAnchors: [] }), 'UNKNOWN_ISSUER');
  });

  it('NOT_CA: a leaf used as an issuer', () => {
    const fake = makeLeaf(client, 'client', 'child');
    expectFailure(check({ leaf: fake.certificate, intermediates: [client.certificate] }), 'NOT_CA', /alice/);
  });

  it('NOT_CA: a trust anchor that is not a CA', () => {
    const name = buildName({ commonName: 'selfie' });
    const anchor = signCertificate(
      {
        serial: Uint8Array.of(0x42),
        issuer: name,
        subject: name,
        notBefore: new Date(NOW.getTime() - DAY),
        notAfter: new Date(NOW.getTime() + DAY),
        subjectScheme: client.key.scheme,
        subjectPublicKey: client.key.publicKey,
        extensions: [basicConstraintsExtension({ ca: false })],
      },
      client.key,
    );
    const leaf = makeLeaf({ certificate: anchor, key: client.key }, 'client', 'under-selfie');
    const result = verifyCertificateChain({ leaf: leaf.certificate, trustAnchors: [anchor], now: NOW });
    expectFailure(result, 'NOT_CA', /trust anchor 'selfie'/);
  });

  it('MISSING_KEY_CERT_SIGN: an intermediate whose keyUsage lacks keyCertSign', () => {
    const int = makeCa('nocertsign', {}, root);
    const ski = int.certificate.extensions.subjectKeyIdentifier!;
    const bad = withExtensions(int.certificate, root, [
      basicConstraintsExtension({ ca: true }),
      keyUsageExtension(['cRLSign']),
      subjectKeyIdentifierExtension(ski),
      authorityKeyIdentifierExtension(root.certificate.extensions.subjectKeyIdentifier!),
    ]);
    const leaf = makeLeaf(int, 'client', 'x');
    expectFailure(check({ leaf: leaf.certificate, intermediates: [bad] }), 'MISSING_KEY_CERT_SIGN');
  });

  it('PATH_LENGTH_EXCEEDED: pathlen 0 on the root with one intermediate below it', () => {
    const strict = makeCa('strict', { pathLength: 0 });
    const int = makeCa('strict-int', {}, strict);
    const leaf = makeLeaf(int, 'client', 'x');
    const result = verifyCertificateChain({
      leaf: leaf.certificate,
      intermediates: [int.certificate],
      trustAnchors: [strict.certificate],
      now: NOW,
    });
    expectFailure(result, 'PATH_LENGTH_EXCEEDED', /allows 0/);
    const relaxed = makeCa('relaxed', { pathLength: 1 });
    const int2 = makeCa('relaxed-int', {}, relaxed);
    const ok = verifyCertificateChain({
      leaf: makeLeaf(int2, 'client', 'y').certificate,
      intermediates: [int2.certificate],
      trustAnchors: [relaxed.certificate],
      now: NOW,
    });
    expect(ok.ok).toBe(true);
  });

  it('CHAIN_TOO_LONG: more intermediates than MAX_CHAIN_LENGTH allows', () => {
    let issuer: IssuingCa = root;
    const intermediates: Certificate[] = [];
    for (let i = 0; i < 8; i++) {
      const next = makeCa(`long-${i}`, {}, issuer);
      intermediates.push(next.certificate);
      issuer = next;
    }
    const leaf = makeLeaf(issuer, 'client', 'far');
    expectFailure(check({ leaf: leaf.certificate, intermediates }), 'CHAIN_TOO_LONG');
  });

  it('UNSUPPORTED_CRITICAL_EXTENSION: an unknown critical extension', () => {
    const leaf = withExtensions(client.certificate, root, [
      encodeExtension('1.3.6.1.4.1.99999.1', true, derSequence()),
      authorityKeyIdentifierExtension(root.certificate.extensions.subjectKeyIdentifier!),
    ]);
    expectFailure(check({ leaf }), 'UNSUPPORTED_CRITICAL_EXTENSION', /1\.3\.6\.1\.4\.1\.99999\.1/);
    const nonCritical = withExtensions(client.certificate, root, [
      encodeExtension('1.3.6.1.4.1.99999.1', false, derSequence()),
    ]);
    expect(check({ leaf: nonCritical }).ok).toBe(true);
  });

  it('NAME_MISMATCH: each verify-x509-name kind', () => {
    const leaf = server.certificate;
    expectFailure(check({ leaf, expectedName: { kind: 'name', value: 'vpn.example.co' } }), 'NAME_MISMATCH');
    expectFailure(check({ leaf, expectedName: { kind: 'name-prefix', value: 'vpn2' } }), 'NAME_MISMATCH');
    expectFailure(check({ leaf, expectedName: { kind: 'subject', value: 'CN=vpn' } }), 'NAME_MISMATCH');
  });

  it('DISALLOWED_SCHEME: a chain signed with a scheme the config does not allow', () => {
    expectFailure(
      check({ leaf: server.certificate, allowedSchemes: ['ml-dsa-65', 'ml-dsa-87'] }),
      'DISALLOWED_SCHEME',
      /ml-dsa-44/,
    );
    // The leaf key itself is checked too: ML-DSA-65 key under an ML-DSA-44 CA.
    const mixed = makeLeaf(root, 'client', 'mixed', { scheme: signatureSchemeByName('ml-dsa-65') });
    expectFailure(
      check({ leaf: mixed.certificate, allowedSchemes: ['ml-dsa-44'] }),
      'DISALLOWED_SCHEME',
      /ml-dsa-65/,
    );
    expect(check({ leaf: mixed.certificate, allowedSchemes: ['ML-DSA-44', 'ml-dsa-65'] }).ok).toBe(true);
  });

  it('UNSUPPORTED_ALGORITHM: a signature algorithm no scheme knows', () => {
    const unknown = derSequence(derOid('1.2.3.4.5'));
    const leaf = resign(client.certificate, root.key, (f) => [f[0]!, f[1]!, unknown, ...f.slice(3)], unknown);
    expectFailure(check({ leaf }), 'UNSUPPORTED_ALGORITHM', /1\.2\.3\.4\.5/);
  });

  it('MALFORMED: undecodable certificates and CRLs', () => {
    expectFailure(check({ leaf: Uint8Array.of(0x30, 0x80) }), 'MALFORMED', /leaf certificate is malformed/);
    expectFailure(
      check({ leaf: server.certificate, intermediates: ['not PEM'] }),
      'MALFORMED',
      /intermediate #1/,
    );
    expectFailure(check({ leaf: server.certificate, crls: [flipBit(crl().der, 1)] }), 'MALFORMED', /CRL #1/);
  });
});

describe('verifyCertificateChain: revocation', () => {
  it('REVOKED: the leaf serial is on its issuer CRL', () => {
    const list = crl({ revoked: [client.certificate] });
    expectFailure(check({ leaf: client.certificate, crls: [list] }), 'REVOKED', /keyCompromise/);
    expect(check({ leaf: server.certificate, crls: [list] }).ok).toBe(true);
  });

  it('REVOKED: an intermediate on the root CRL', () => {
    const int = makeCa('revoked-int', {}, root);
    const leaf = makeLeaf(int, 'client', 'x');
    const result = check({
      leaf: leaf.certificate,
      intermediates: [int.certificate],
      crls: [crl({ revoked: [int.certificate] })],
    });
    expectFailure(result, 'REVOKED', /revoked-int CA/);
  });

  it('CRL_BAD_SIGNATURE: one bit flipped in the CRL signature', () => {
    const tampered = flipBit(crl().der, -1);
    expectFailure(check({ leaf: client.certificate, crls: [tampered] }), 'CRL_BAD_SIGNATURE');
  });

  it('CRL_EXPIRED: past nextUpdate (fail closed)', () => {
    const stale = crl({ thisUpdate: new Date(NOW.getTime() - 40 * DAY) });
    expectFailure(check({ leaf: client.certificate, crls: [stale] }), 'CRL_EXPIRED', /pqvpn pki crl/);
  });

  it('CRL_NOT_YET_VALID: thisUpdate in the future', () => {
    const early = crl({ thisUpdate: new Date(NOW.getTime() + DAY) });
    expectFailure(check({ leaf: client.certificate, crls: [early] }), 'CRL_NOT_YET_VALID');
  });

  it('CRL_INVALID: an unknown critical CRL extension', () => {
    const list = crl();
    const fields = parseDer(list.tbs).children.map((c) => new Uint8Array(c.encoded));
    const critical = encodeExtension('1.3.6.1.4.1.99999.2', true, derSequence());
    const tbs = derSequence(...fields.slice(0, 5), derExplicit(0, derSequence(critical)));
    const der = derSequence(
      tbs,
      list.signatureAlgorithm.der,
      derBitString(root.key.scheme.sign(root.key.secretKey, tbs)),
    );
    expectFailure(check({ leaf: client.certificate, crls: [der] }), 'CRL_INVALID', /critical extension/);
  });

  it('CRL_INVALID: a CRL issuer without cRLSign', () => {
    const noCrlSign = withExtensions(root.certificate, root, [
      basicConstraintsExtension({ ca: true }),
      keyUsageExtension(['keyCertSign']),
      subjectKeyIdentifierExtension(root.certificate.extensions.subjectKeyIdentifier!),
    ]);
    const result = verifyCertificateChain({
      leaf: client.certificate,
      trustAnchors: [noCrlSign],
      now: NOW,
      crls: [crl()],
    });
    expectFailure(result, 'CRL_INVALID', /cRLSign/);
  });

  it('ignores CRLs of other issuers', () => {
    const other = makeCa('other-crl');
    const theirs = crl({ issuer: other, revoked: [client.certificate] });
    expect(check({ leaf: client.certificate, crls: [theirs] }).ok).toBe(true);
  });

  it('never throws on garbage and keeps reasons free of key bytes', () => {
    const result = check({ leaf: flipBit(server.certificate.der, -1) });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).not.toMatch(/[0-9a-f]{40}/i);
  });
});
