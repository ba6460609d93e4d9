/**
 * Interoperability: the system's OpenSSL must parse every file the PKI writes.
 * OpenSSL 3.0 does not know ML-DSA or SLH-DSA, so it prints their OIDs in dotted
 * form and cannot load the public keys ("Unable to load Public Key"), but it must
 * still decode the whole structure and exit 0.
 */

import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signatureSchemeByName } from '../../src/crypto/signature-schemes.js';
import { initCa, issueCertificate, pkiPaths, revokeCertificate } from '../../src/pki/ca.js';
import { fixedContext } from './helpers.js';

const hasOpenssl = spawnSync('openssl', ['version']).status === 0;

function openssl(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

let root: string;
let dir: string;
const ml44 = signatureSchemeByName('ml-dsa-44').oid;
const ml65 = signatureSchemeByName('ml-dsa-65').oid;
const slh = signatureSchemeByName('slh-dsa-sha2-128f').oid;

describe.skipIf(!hasOpenssl)('openssl parses what we write', () => {
  beforeAll(async () => {
    root = await fs.mkdtemp(join(tmpdir(), 'pqvpn-openssl-'));
    dir = join(root, 'pki');
    const context = fixedContext('openssl');
    await initCa({
      dir,
      scheme: 'ml-dsa-44',
      commonName: 'Interop CA',
      subject: { organization: 'Example', country: 'DE' },
      context,
    });
    await issueCertificate({
      dir,
      profile: 'server',
      name: 'vpn.example.com',
      san: [
        { type: 'dns', value: 'vpn.example.com' },
        { type: 'ip', value: '192.0.2.1' },
      ],
      context,
    });
    await issueCertificate({ dir, profile: 'client', name: 'alice', scheme: 'ml-dsa-65', context });
    await issueCertificate({ dir, profile: 'client', name: 'hash', scheme: 'slh-dsa-sha2-128f', context });
    await issueCertificate({ dir, profile: 'client', name: 'gone', context });
    await revokeCertificate({ dir, name: 'gone', reason: 'keyCompromise', context });
  });
  afterAll(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  it('openssl x509 -noout -text reads the CA and the issued certificates', () => {
    const paths = pkiPaths(dir);
    const ca = openssl('x509', '-in', paths.caCert, '-noout', '-text');
    expect(ca.status).toBe(0);
    expect(ca.stdout).toContain(`Signature Algorithm: ${ml44}`);
    expect(ca.stdout).toMatch(/Basic Constraints: critical\s+CA:TRUE/);
    expect(ca.stdout).toMatch(/Key Usage: critical\s+Certificate Sign, CRL Sign/);
    expect(ca.stdout).toContain('Subject: C = DE, O = Example, CN = Interop CA');

    const server = openssl('x509', '-in', paths.issued('vpn.example.com'), '-noout', '-text');
    expect(server.status).toBe(0);
    expect(server.stdout).toContain(`Public Key Algorithm: ${ml44}`);
    expect(server.stdout).toContain('TLS Web Server Authentication');
    expect(server.stdout).toContain('DNS:vpn.example.com, IP Address:192.0.2.1');
    expect(server.stdout).toMatch(/Basic Constraints: critical\s+CA:FALSE/);
    expect(server.stdout).toMatch(/Key Usage: critical\s+Digital Signature\n/);

    const alice = openssl('x509', '-in', paths.issued('alice'), '-noout', '-text');
    expect(alice.status).toBe(0);
    expect(alice.stdout).toContain(`Public Key Algorithm: ${ml65}`);
    expect(alice.stdout).toContain('TLS Web Client Authentication');

    const hash = openssl('x509', '-in', paths.issued('hash'), '-noout', '-text');
    expect(hash.status).toBe(0);
    expect(hash.stdout).toContain(`Public Key Algorithm: ${slh}`);
  });

  it('openssl x509 agrees on the serial and the SHA-256 fingerprint', async () => {
    const paths = pkiPaths(dir);
    const out = openssl('x509', '-in', paths.issued('alice'), '-noout', '-serial', '-fingerprint', '-sha256');
    expect(out.status).toBe(0);
    const { parseCertificate, certificateFingerprint } = await import('../../src/pki/certificate.js');
    const cert = parseCertificate(await fs.readFile(paths.issued('alice'), 'utf8'));
    expect(out.stdout).toContain(`serial=${cert.serialHex}`);
    expect(out.stdout).toContain(certificateFingerprint(cert));
  });

  it('openssl crl -noout -text reads the CRL with its revoked entry and reason', () => {
    const out = openssl('crl', '-in', pkiPaths(dir).crl, '-noout', '-text');
    expect(out.status).toBe(0);
    expect(out.stdout).toContain(`Signature Algorithm: ${ml44}`);
    expect(out.stdout).toContain('Key Compromise');
    expect(out.stdout).toMatch(/CRL Number:\s+2/);
    expect(out.stdout).toContain('Authority Key Identifier');
  });

  it('openssl asn1parse reads the private keys and shows the algorithm OID', () => {
    const paths = pkiPaths(dir);
    for (const [file, oid] of [
      [paths.caKey, ml44],
      [paths.key('alice'), ml65],
      [paths.key('hash'), slh],
    ] as const) {
      const out = openssl('asn1parse', '-in', file);
      expect(out.status).toBe(0);
      expect(out.stdout).toContain(`OBJECT            :${oid}`);
    }
    const seed = openssl('asn1parse', '-in', paths.key('alice'), '-strparse', '18');
    expect(seed.status).toBe(0);
    expect(seed.stdout).toMatch(/cont \[ 0 \]/);
  });

  it('openssl asn1parse reads certificates and CRLs too (every file we write)', () => {
    const paths = pkiPaths(dir);
    for (const file of [paths.caCert, paths.issued('vpn.example.com'), paths.crl]) {
      expect(openssl('asn1parse', '-in', file).status).toBe(0);
    }
  });
});
