import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { signatureSchemeByName } from '../../src/crypto/signature-schemes.js';
import {
  initCa,
  issueCertificate,
  listCertificates,
  loadCa,
  pkiPaths,
  readPkiCertificate,
  revokeCertificate,
  writeCrl,
} from '../../src/pki/ca.js';
import { parseCertificate } from '../../src/pki/certificate.js';
import { parseCrl } from '../../src/pki/crl.js';
import { parseIndex } from '../../src/pki/index-file.js';
import {
  generatePrivateKey,
  keyMatchesCertificate,
  parsePrivateKey,
  privateKeyToPem,
} from '../../src/pki/private-key.js';
import { verifyCertificateChain } from '../../src/pki/verify.js';
import { DAY, fixedContext, NOW, seededRandom } from './helpers.js';

let dir: string;
beforeEach(async () => {
  dir = join(await fs.mkdtemp(join(tmpdir(), 'pqvpn-pki-')), 'pki');
});
afterEach(async () => {
  await fs.rm(join(dir, '..'), { recursive: true, force: true });
});

const mode = async (p: string) => (await fs.stat(p)).mode & 0o777;

async function allFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await fs.readdir(root, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) out.push(join(entry.parentPath, entry.name).slice(root.length + 1));
  }
  return out.sort();
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
  return 'no error';
}

const ctx = () => fixedContext('ca-test');
const init = (extra: Partial<Parameters<typeof initCa>[0]> = {}) =>
  initCa({ dir, scheme: 'ml-dsa-44', context: ctx(), ...extra });

describe('initCa', () => {
  it('creates the easy-rsa-like layout with private files 0600 in a 0700 directory', async () => {
    const ca = await init({ commonName: 'Example CA', subject: { organization: 'Example' } });
    const paths = pkiPaths(dir);
    expect(await allFiles(dir)).toEqual(['ca.crt', 'crl.pem', 'crlnumber', 'index.txt', 'private/ca.key']);
    expect(await mode(paths.caKey)).toBe(0o600);
    expect(await mode(paths.privateDir)).toBe(0o700);
    expect(await mode(paths.caCert)).toBe(0o644);
    expect(parseCertificate(await fs.readFile(paths.caCert, 'utf8')).der).toEqual(ca.der);
    expect(await fs.readFile(paths.index, 'utf8')).toBe('');
    expect(await fs.readFile(paths.crlNumber, 'utf8')).toBe('02\n');
    const crl = parseCrl(await fs.readFile(paths.crl, 'utf8'));
    expect(crl.extensions.crlNumber).toBe(1n);
    expect(crl.revoked).toEqual([]);
    const loaded = await loadCa(dir);
    expect(keyMatchesCertificate(loaded.key, loaded.certificate)).toBe(true);
    expect(ca.extensions.basicConstraints?.ca).toBe(true);
    expect(ca.notAfter.getTime() - ca.notBefore.getTime()).toBe(3650 * DAY);
  });

  it('refuses to replace a CA without force; with force it starts a fresh PKI', async () => {
    const first = await init();
    await issueCertificate({ dir, profile: 'client', name: 'alice', context: ctx() });
    expect(await codeOf(init())).toBe('FILE_EXISTS');
    expect(parseCertificate(await fs.readFile(pkiPaths(dir).caCert, 'utf8')).serialHex).toBe(first.serialHex);
    const second = await initCa({ dir, scheme: 'ml-dsa-44', force: true, context: fixedContext('other') });
    expect(second.serialHex).not.toBe(first.serialHex);
    expect(await allFiles(dir)).toEqual(['ca.crt', 'crl.pem', 'crlnumber', 'index.txt', 'private/ca.key']);
  });

  it('rejects unknown schemes and bad days before touching the disk', async () => {
    expect(await codeOf(init({ scheme: 'rsa-2048' }))).toBe('UNKNOWN_SIGNATURE_SCHEME');
    expect(await codeOf(init({ days: 0 }))).toBe('PKI_BAD_DAYS');
    await expect(fs.stat(dir)).rejects.toThrow();
  });
});

describe('issueCertificate', () => {
  it('says to run pqvpn pki init first when there is no CA', async () => {
    const attempt = issueCertificate({ dir, profile: 'server', name: 'vpn', context: ctx() });
    await expect(attempt).rejects.toThrow(/run `pqvpn pki init` first/);
    expect(await codeOf(issueCertificate({ dir, profile: 'server', name: 'vpn', context: ctx() }))).toBe(
      'PKI_NOT_INITIALISED',
    );
  });

  it('writes the key (0600), the certificate, a copy by serial and an index line', async () => {
    const ca = await init();
    const { certificate, certPath, keyPath } = await issueCertificate({
      dir,
      profile: 'server',
      name: 'vpn.example.com',
      context: ctx(),
    });
    const paths = pkiPaths(dir);
    expect(certPath).toBe(paths.issued('vpn.example.com'));
    expect(await mode(keyPath)).toBe(0o600);
    const key = parsePrivateKey(await fs.readFile(keyPath, 'utf8'));
    expect(keyMatchesCertificate(key, certificate)).toBe(true);
    expect(await fs.readFile(paths.bySerial(certificate.serialHex), 'utf8')).toBe(
      await fs.readFile(certPath, 'utf8'),
    );
    const index = parseIndex(await fs.readFile(paths.index, 'utf8'));
    expect(index).toEqual([
      {
        status: 'V',
        expires: certificate.notAfter,
        serialHex: certificate.serialHex,
        fileName: 'unknown',
        subject: '/CN=vpn.example.com',
      },
    ]);
    const verdict = verifyCertificateChain({
      leaf: certificate,
      trustAnchors: [ca],
      now: NOW,
      expectedEku: 'serverAuth',
    });
    expect(verdict.ok).toBe(true);
    expect(certificate.notAfter.getTime() - certificate.notBefore.getTime()).toBe(825 * DAY);
  });

  it("defaults to the CA's scheme and honours --algo, --days and --san", async () => {
    await init();
    const a = await issueCertificate({ dir, profile: 'client', name: 'a', context: ctx() });
    expect(a.certificate.subjectPublicKeyInfo.algorithm.scheme?.name).toBe('ml-dsa-44');
    const b = await issueCertificate({
      dir,
      profile: 'server',
      name: 'b',
      scheme: 'ml-dsa-65',
      days: 30,
      san: [{ type: 'ip', value: '192.0.2.1' }],
      context: ctx(),
    });
    expect(b.certificate.subjectPublicKeyInfo.algorithm.scheme).toBe(signatureSchemeByName('ml-dsa-65'));
    expect(b.certificate.signatureAlgorithm.scheme?.name).toBe('ml-dsa-44');
    expect(b.certificate.notAfter.getTime() - b.certificate.notBefore.getTime()).toBe(30 * DAY);
    expect(b.certificate.extensions.subjectAltName).toEqual([{ type: 'ip', value: '192.0.2.1' }]);
  });

  it('refuses to overwrite NAME without force and leaves nothing behind', async () => {
    await init();
    await issueCertificate({ dir, profile: 'client', name: 'alice', context: ctx() });
    const before = await allFiles(dir);
    const index = await fs.readFile(pkiPaths(dir).index, 'utf8');
    expect(await codeOf(issueCertificate({ dir, profile: 'client', name: 'alice', context: ctx() }))).toBe(
      'FILE_EXISTS',
    );
    // A stray key alone also blocks a new certificate for that name.
    await fs.writeFile(pkiPaths(dir).key('bob'), 'x');
    expect(await codeOf(issueCertificate({ dir, profile: 'client', name: 'bob', context: ctx() }))).toBe(
      'FILE_EXISTS',
    );
    await fs.rm(pkiPaths(dir).key('bob'));
    expect(await allFiles(dir)).toEqual(before);
    expect(await fs.readFile(pkiPaths(dir).index, 'utf8')).toBe(index);
  });

  it('with force, replaces NAME and revokes the old certificate as superseded', async () => {
    await init();
    const old = await issueCertificate({ dir, profile: 'client', name: 'alice', context: ctx() });
    const fresh = await issueCertificate({
      dir,
      profile: 'client',
      name: 'alice',
      force: true,
      context: ctx(),
    });
    expect(fresh.supersededSerial).toBe(old.certificate.serialHex);
    const index = parseIndex(await fs.readFile(pkiPaths(dir).index, 'utf8'));
    expect(index.map((e) => [e.serialHex, e.status, e.reason])).toEqual([
      [old.certificate.serialHex, 'R', 'superseded'],
      [fresh.certificate.serialHex, 'V', undefined],
    ]);
    const crl = parseCrl(await fs.readFile(pkiPaths(dir).crl, 'utf8'));
    expect(crl.revoked.map((r) => [r.serialHex, r.reason])).toEqual([
      [old.certificate.serialHex, 'superseded'],
    ]);
  });

  it('removes what it wrote when a write fails half-way (no partial PKI, no temp files)', async () => {
    await init();
    const paths = pkiPaths(dir);
    await fs.rm(join(dir, 'issued'), { recursive: true });
    await fs.writeFile(join(dir, 'issued'), 'not a directory');
    const before = await allFiles(dir);
    const index = await fs.readFile(paths.index, 'utf8');
    const failure = await codeOf(issueCertificate({ dir, profile: 'client', name: 'carol', context: ctx() }));
    expect(failure).toBe('ENOTDIR');
    expect(await allFiles(dir)).toEqual(before);
    expect((await allFiles(dir)).filter((f) => f.endsWith('.tmp') || f.endsWith('.lock'))).toEqual([]);
    expect(await fs.readFile(paths.index, 'utf8')).toBe(index);
  });

  it('loses no index line when several issues run at once', async () => {
    await init();
    const context = fixedContext('parallel');
    const names = ['c1', 'c2', 'c3', 'c4', 'c5', 'c6'];
    const results = await Promise.all(
      names.map((name) => issueCertificate({ dir, profile: 'client', name, context })),
    );
    const index = parseIndex(await fs.readFile(pkiPaths(dir).index, 'utf8'));
    expect(index.map((e) => e.subject).sort()).toEqual(names.map((n) => `/CN=${n}`));
    expect(new Set(index.map((e) => e.serialHex)).size).toBe(names.length);
    expect(new Set(results.map((r) => r.certificate.serialHex)).size).toBe(names.length);
  });

  it('rejects names that are not safe file names, and the reserved name ca', async () => {
    await init();
    for (const name of ['../evil', 'a/b', '', '.hidden', 'ca', 'CA', 'crl', 'x'.repeat(65), 'a..b']) {
      expect(await codeOf(issueCertificate({ dir, profile: 'client', name, context: ctx() }))).toBe(
        'PKI_BAD_NAME',
      );
    }
  });

  it('refuses a CA key that does not match ca.crt', async () => {
    await init();
    const other = generatePrivateKey(signatureSchemeByName('ml-dsa-44'), seededRandom('wrong'));
    await fs.writeFile(pkiPaths(dir).caKey, privateKeyToPem(other.pkcs8));
    expect(await codeOf(issueCertificate({ dir, profile: 'client', name: 'x', context: ctx() }))).toBe(
      'KEY_CERT_MISMATCH',
    );
  });

  it('stops on a corrupt index instead of guessing', async () => {
    await init();
    await fs.writeFile(pkiPaths(dir).index, 'garbage\n');
    const attempt = issueCertificate({ dir, profile: 'client', name: 'x', context: ctx() });
    await expect(attempt).rejects.toThrow(/index\.txt:1: expected 6 tab-separated fields/);
  });
});

describe('revokeCertificate, writeCrl, listing', () => {
  it('revokes: index R with reason, files moved under revoked/, fresh CRL; NAME can be issued again', async () => {
    const ca = await init();
    const context = ctx();
    const { certificate } = await issueCertificate({ dir, profile: 'client', name: 'alice', context });
    context.setNow(new Date(NOW.getTime() + DAY));
    const { crl } = await revokeCertificate({ dir, name: 'alice', reason: 'keyCompromise', context });
    const paths = pkiPaths(dir);
    const [entry] = parseIndex(await fs.readFile(paths.index, 'utf8'));
    expect(entry).toMatchObject({
      status: 'R',
      reason: 'keyCompromise',
      revokedAt: new Date(NOW.getTime() + DAY),
    });
    expect(await allFiles(dir)).toContain(`revoked/certs_by_serial/${certificate.serialHex}.crt`);
    expect(await allFiles(dir)).toContain(`revoked/private_by_serial/${certificate.serialHex}.key`);
    expect(await mode(paths.revokedKey(certificate.serialHex))).toBe(0o600);
    expect(await allFiles(dir)).not.toContain('issued/alice.crt');
    const published = parseCrl(await fs.readFile(paths.crl, 'utf8'));
    expect(published.der).toEqual(crl.der);
    expect(published.extensions.crlNumber).toBe(2n);
    const verdict = verifyCertificateChain({
      leaf: certificate,
      trustAnchors: [ca],
      now: new Date(NOW.getTime() + DAY),
      crls: [published],
    });
    expect(verdict.ok ? 'ok' : verdict.code).toBe('REVOKED');

    expect(await codeOf(revokeCertificate({ dir, name: 'alice', context }))).toBe('PKI_NOT_FOUND');
    const again = await issueCertificate({ dir, profile: 'client', name: 'alice', context });
    expect(again.certificate.serialHex).not.toBe(certificate.serialHex);
  });

  it('writeCrl numbers CRLs upwards and honours days', async () => {
    await init();
    const a = await writeCrl({ dir, context: ctx() });
    const b = await writeCrl({ dir, days: 7, context: ctx() });
    expect([a.extensions.crlNumber, b.extensions.crlNumber]).toEqual([2n, 3n]);
    expect(b.nextUpdate!.getTime() - b.thisUpdate.getTime()).toBe(7 * DAY);
    expect(a.nextUpdate!.getTime() - a.thisUpdate.getTime()).toBe(180 * DAY);
    expect(await codeOf(writeCrl({ dir, days: -1, context: ctx() }))).toBe('PKI_BAD_DAYS');
  });

  it('lists the CA and every entry with type and status; shows one', async () => {
    await init();
    const context = ctx();
    const s = await issueCertificate({ dir, profile: 'server', name: 'vpn', context });
    const c = await issueCertificate({ dir, profile: 'client', name: 'bob', days: 10, context });
    const r = await issueCertificate({ dir, profile: 'client', name: 'eve', context });
    await revokeCertificate({ dir, name: 'eve', context });
    const rows = await listCertificates(dir, new Date(NOW.getTime() + 20 * DAY));
    expect(rows.map((row) => [row.name, row.kind, row.serialHex, row.status])).toEqual([
      ['ca', 'ca', rows[0]!.serialHex, 'valid'],
      ['vpn', 'server', s.certificate.serialHex, 'valid'],
      ['bob', 'client', c.certificate.serialHex, 'expired'],
      ['eve', 'client', r.certificate.serialHex, 'revoked'],
    ]);
    const shown = await readPkiCertificate(dir, 'bob', NOW);
    expect(shown).toMatchObject({ status: 'valid' });
    expect(shown.certificate.serialHex).toBe(c.certificate.serialHex);
    expect((await readPkiCertificate(dir, 'ca')).certificate.extensions.basicConstraints?.ca).toBe(true);
    expect(await codeOf(readPkiCertificate(dir, 'nobody'))).toBe('PKI_NOT_FOUND');
  });
});
