/**
 * A temporary directory with a real pqvpn PKI (made by src/pki) and the
 * other files a config names: CA, server and client certificates and keys,
 * an intermediate-issued server, a CRL, a tls-crypt key and a PSK. Shared by
 * test/identity, test/auth and test/handshake-real.
 */
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signatureSchemeByName } from '../../src/crypto/signature-schemes.js';
import { writeStaticKeyFile } from '../../src/keys/index.js';
import {
  type CertificateProfile,
  certificateToPem,
  createCertificate,
  crlToPem,
  type IssuingCa,
  type NameInput,
  type NewCertificate,
  privateKeyToPem,
  signCrl,
} from '../../src/pki/index.js';
import { createPrng } from '../../src/protocol/testing/prng.js';

export const DAY = 86_400_000;

export interface Pki {
  readonly dir: string;
  readonly now: Date;
  readonly ca: NewCertificate;
  readonly otherCa: NewCertificate;
  /** Writes a certificate and key as NAME.crt / NAME.key; returns the paths. */
  issue(
    name: string,
    profile: CertificateProfile,
    options?: { subject?: NameInput; issuer?: IssuingCa; days?: number; notBefore?: Date; scheme?: string },
  ): Promise<{ cert: string; key: string; issued: NewCertificate }>;
  /** Writes crl.pem revoking `revoked` (signed by the CA); returns the path. */
  writeCrl(revoked: readonly NewCertificate[], name?: string): Promise<string>;
  file(name: string, text: string | Uint8Array, mode?: number): Promise<string>;
  cleanup(): Promise<void>;
}

export async function makePki(seed = 1, schemeName = 'ml-dsa-44'): Promise<Pki> {
  const dir = await fs.mkdtemp(join(tmpdir(), 'pqvpn-identity-'));
  const prng = createPrng(seed);
  const random = (n: number) => prng.randomBytes(n);
  const now = new Date(Date.now() - DAY);
  const scheme = signatureSchemeByName(schemeName);
  const ca = createCertificate({
    profile: 'ca',
    subject: { commonName: 'Test CA' },
    scheme,
    days: 3650,
    now,
    random,
  });
  const otherCa = createCertificate({
    profile: 'ca',
    subject: { commonName: 'Other CA' },
    scheme,
    days: 3650,
    now,
    random,
  });
  const file = async (name: string, text: string | Uint8Array, mode = 0o644) => {
    const path = join(dir, name);
    await fs.writeFile(path, text, { mode });
    await fs.chmod(path, mode);
    return path;
  };
  await file('ca.crt', certificateToPem(ca.certificate));
  await file('other-ca.crt', certificateToPem(otherCa.certificate));
  await file('both-ca.crt', certificateToPem(otherCa.certificate) + certificateToPem(ca.certificate));
  await writeStaticKeyFile(join(dir, 'tls-crypt.key'), 'tls-crypt');
  await writeStaticKeyFile(join(dir, 'psk.key'), 'psk');
  return {
    dir,
    now,
    ca,
    otherCa,
    async issue(name, profile, options = {}) {
      const issued = createCertificate(
        {
          profile,
          subject: options.subject ?? { commonName: name },
          scheme: options.scheme ? signatureSchemeByName(options.scheme) : scheme,
          days: options.days ?? 30,
          now: options.notBefore ?? now,
          random,
        },
        options.issuer ?? { certificate: ca.certificate, key: ca.key },
      );
      const cert = await file(`${name}.crt`, certificateToPem(issued.certificate));
      const key = await file(`${name}.key`, privateKeyToPem(issued.pkcs8), 0o600);
      return { cert, key, issued };
    },
    async writeCrl(revoked, name = 'crl.pem') {
      const crl = signCrl(
        {
          issuer: ca.certificate,
          thisUpdate: new Date(Date.now() - DAY),
          nextUpdate: new Date(Date.now() + 30 * DAY),
          crlNumber: BigInt(revoked.length + 1),
          revoked: revoked.map((r) => ({
            serial: r.certificate.serial,
            revocationDate: new Date(Date.now() - DAY),
          })),
        },
        ca.key,
      );
      return file(name, crlToPem(crl));
    },
    file,
    cleanup: () => fs.rm(dir, { recursive: true, force: true }),
  };
}
