import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InlineContent } from '../../src/config/model.js';
import { IdentityError, loadLocalIdentity } from '../../src/identity/local-identity.js';
import { Logger } from '../../src/log.js';
import { certificateToPem, parseCertificate } from '../../src/pki/index.js';
import { DAY, makePki, type Pki } from './pki-fixture.js';

let pki: Pki;
const f = (path: string) => ({ kind: 'file', path }) as const;

beforeAll(async () => {
  pki = await makePki(3);
});
afterAll(() => pki.cleanup());

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as IdentityError).code;
  }
  return 'no error';
}

describe('loadLocalIdentity', () => {
  it('loads a server certificate and key into plain data: DER chain leaf first, scheme name, secret key', async () => {
    const { cert, key, issued } = await pki.issue('server', 'server');
    const id = await loadLocalIdentity({ cert: f(cert), key: f(key), role: 'server' });
    expect(id.chain).toHaveLength(1);
    expect(Buffer.from(id.chain[0]!)).toEqual(Buffer.from(issued.certificate.der));
    expect(id.scheme).toBe('ml-dsa-44');
    expect(Buffer.from(id.secretKey)).toEqual(Buffer.from(issued.key.secretKey));
    // Plain data: survives structuredClone (what postMessage does).
    expect(structuredClone(id)).toEqual(id);
  });

  it('accepts inline <cert>/<key> blocks', async () => {
    const { cert, key } = await pki.issue('inline-client', 'client');
    const fs = await import('node:fs/promises');
    const id = await loadLocalIdentity({
      cert: new InlineContent(await fs.readFile(cert, 'utf8')),
      key: new InlineContent(await fs.readFile(key, 'utf8')),
      role: 'client',
    });
    expect(parseCertificate(id.chain[0]!).subject.rdns[0]![0]!.value).toBe('inline-client');
  });

  it('refuses a key that belongs to another certificate, naming both files', async () => {
    const a = await pki.issue('a', 'server');
    const b = await pki.issue('b', 'server');
    const p = loadLocalIdentity({ cert: f(a.cert), key: f(b.key), role: 'server' });
    await expect(p).rejects.toMatchObject({ code: 'IDENTITY_KEY_MISMATCH' });
    await expect(p).rejects.toThrow(a.cert);
    await expect(p).rejects.toThrow(b.key);
  });

  it('refuses a client certificate used by a server, and the reverse (EKU)', async () => {
    const client = await pki.issue('eku-client', 'client');
    const server = await pki.issue('eku-server', 'server');
    const p = loadLocalIdentity({ cert: f(client.cert), key: f(client.key), role: 'server' });
    await expect(p).rejects.toMatchObject({ code: 'IDENTITY_WRONG_EKU' });
    await expect(p).rejects.toThrow(/serverAuth.*clientAuth/);
    expect(
      await codeOf(loadLocalIdentity({ cert: f(server.cert), key: f(server.key), role: 'client' })),
    ).toBe('IDENTITY_WRONG_EKU');
  });

  it('refuses a CA certificate as an identity (no EKU)', async () => {
    const key = await pki.file(
      'ca.key',
      (await import('../../src/pki/index.js')).privateKeyToPem(pki.ca.pkcs8),
      0o600,
    );
    expect(
      await codeOf(loadLocalIdentity({ cert: f(`${pki.dir}/ca.crt`), key: f(key), role: 'server' })),
    ).toBe('IDENTITY_WRONG_EKU');
  });

  it('reports missing, garbage and wrong-kind files with specific codes', async () => {
    const { cert, key } = await pki.issue('files', 'client');
    const garbage = await pki.file(
      'garbage.pem',
      '-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n',
    );
    const noPem = await pki.file('nopem.txt', 'hello\n');
    expect(
      await codeOf(loadLocalIdentity({ cert: f(`${pki.dir}/nope.crt`), key: f(key), role: 'client' })),
    ).toBe('SOURCE_MISSING');
    expect(await codeOf(loadLocalIdentity({ cert: f(garbage), key: f(key), role: 'client' }))).toBe(
      'IDENTITY_BAD_CERT',
    );
    expect(await codeOf(loadLocalIdentity({ cert: f(noPem), key: f(key), role: 'client' }))).toBe(
      'IDENTITY_BAD_CERT',
    );
    // A certificate where the key should be.
    expect(await codeOf(loadLocalIdentity({ cert: f(cert), key: f(cert), role: 'client' }))).toBe(
      'IDENTITY_BAD_KEY',
    );
    expect(await codeOf(loadLocalIdentity({ cert: f(pki.dir), key: f(key), role: 'client' }))).toBe(
      'SOURCE_NOT_A_FILE',
    );
  });

  it('never puts key bytes in the error for a corrupt key', async () => {
    const { cert, key } = await pki.issue('corrupt', 'client');
    const fs = await import('node:fs/promises');
    const text = await fs.readFile(key, 'utf8');
    const body = text.split('\n')[1]!;
    const bad = await pki.file('corrupt-bad.key', text.replace(body, `${body.slice(0, -4)}AAAA`), 0o600);
    const error = await loadLocalIdentity({ cert: f(cert), key: f(bad), role: 'client' }).catch((e) => e);
    expect(error).toBeInstanceOf(IdentityError);
    expect(String(error.message)).not.toContain(body.slice(0, 16));
  });

  it('completes the chain with intermediates from ca, never the root', async () => {
    const inter = await pki.issue('intermediate', 'ca', { subject: { commonName: 'Intermediate CA' } });
    const leaf = await pki.issue('via-inter', 'server', {
      issuer: { certificate: inter.issued.certificate, key: inter.issued.key },
    });
    const bundle = await pki.file(
      'bundle.crt',
      certificateToPem(pki.ca.certificate) + certificateToPem(inter.issued.certificate),
    );
    const id = await loadLocalIdentity({
      cert: f(leaf.cert),
      key: f(leaf.key),
      ca: f(bundle),
      role: 'server',
    });
    expect(id.chain.map((d) => parseCertificate(d).subject.rdns[0]![0]!.value)).toEqual([
      'via-inter',
      'Intermediate CA',
    ]);
    // A cert file that already holds the chain is sent as it is, without duplicates.
    const chainFile = await pki.file(
      'chain.crt',
      certificateToPem(leaf.issued.certificate) + certificateToPem(inter.issued.certificate),
    );
    const id2 = await loadLocalIdentity({
      cert: f(chainFile),
      key: f(leaf.key),
      ca: f(bundle),
      role: 'server',
    });
    expect(id2.chain).toHaveLength(2);
  });

  it('warns (does not fail) when the certificate has expired or is not yet valid', async () => {
    const old = await pki.issue('old', 'client', { notBefore: new Date(Date.now() - 40 * DAY), days: 10 });
    const lines: string[] = [];
    const logger = new Logger({ verb: 3, sink: (l) => lines.push(l) });
    await loadLocalIdentity({ cert: f(old.cert), key: f(old.key), role: 'client', logger });
    expect(lines.join('\n')).toMatch(/expired/);
    lines.length = 0;
    await loadLocalIdentity({ cert: f(old.cert), key: f(old.key), role: 'client', logger, now: new Date(0) });
    expect(lines.join('\n')).toMatch(/not valid before/);
  });
});
