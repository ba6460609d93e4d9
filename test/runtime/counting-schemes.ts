/**
 * Three signature "plugins" that are ML-DSA-44 under private names, each
 * counting its sign/verify calls in the thread that calls them. With the
 * server's key under `test-server-dsa` and the clients' keys and CA under
 * `test-client-dsa` / `test-client-ca-dsa`, a thread's counters say which
 * side's public-key work it did: only the server signs with test-server-dsa
 * and only the server verifies test-client-dsa and test-client-ca-dsa
 * signatures. Imported by the test (main thread) and by the pool's test
 * worker entry (each thread gets its own counters).
 */

import { randomBytes } from 'node:crypto';
import type { SignatureScheme } from '../../src/crypto/signature-scheme.js';
import {
  registerSignatureScheme,
  signatureSchemeByName,
  signatureSchemeNames,
} from '../../src/crypto/signature-schemes.js';
import { certificateToPem } from '../../src/pki/certificate.js';
import { createCertificate } from '../../src/pki/issue.js';
import type { LocalIdentity } from '../../src/protocol/handshake/types.js';

export const counts = {
  serverSign: 0,
  serverVerify: 0,
  clientSign: 0,
  clientVerify: 0,
  clientCaSign: 0,
  clientCaVerify: 0,
};

type Side = 'server' | 'client' | 'clientCa';

function counting(name: string, oid: string, codePoint: number, side: Side): SignatureScheme {
  const base = signatureSchemeByName('ml-dsa-44');
  return Object.freeze({
    name,
    oid,
    codePoint,
    seedBytes: base.seedBytes,
    publicKeyBytes: base.publicKeyBytes,
    signatureBytes: base.signatureBytes,
    keygen: (seed: Uint8Array) => base.keygen(seed),
    sign(secretKey: Uint8Array, message: Uint8Array) {
      counts[`${side}Sign`]++;
      return base.sign(secretKey, message);
    },
    verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) {
      counts[`${side}Verify`]++;
      return base.verify(publicKey, message, signature);
    },
  });
}

if (!signatureSchemeNames().includes('test-server-dsa')) {
  registerSignatureScheme(counting('test-server-dsa', '1.3.9999.77.1', 0xfe71, 'server'));
  registerSignatureScheme(counting('test-client-dsa', '1.3.9999.77.2', 0xfe72, 'client'));
  registerSignatureScheme(counting('test-client-ca-dsa', '1.3.9999.77.3', 0xfe73, 'clientCa'));
}

const random = (n: number) => new Uint8Array(randomBytes(n));

export interface SplitPki {
  /** What clients trust (issued the server certificate; plain ML-DSA-44). */
  readonly serverCaPem: string;
  /** What the server trusts (issued the client certificates; test-client-ca-dsa). */
  readonly clientCaPem: string;
  readonly server: LocalIdentity;
  client(commonName: string): LocalIdentity;
}

export function makeSplitPki(): SplitPki {
  const now = new Date(Date.now() - 86_400_000);
  const ca = (cn: string, scheme: string) =>
    createCertificate({
      profile: 'ca',
      subject: { commonName: cn },
      scheme: signatureSchemeByName(scheme),
      days: 30,
      now,
      random,
    });
  const serverCa = ca('server CA', 'ml-dsa-44');
  const clientCa = ca('client CA', 'test-client-ca-dsa');
  const leaf = (
    issuer: typeof serverCa,
    profile: 'server' | 'client',
    cn: string,
    scheme: string,
  ): LocalIdentity => {
    const c = createCertificate(
      { profile, subject: { commonName: cn }, scheme: signatureSchemeByName(scheme), days: 30, now, random },
      { certificate: issuer.certificate, key: issuer.key },
    );
    return { chain: [c.certificate.der], scheme, secretKey: c.key.secretKey };
  };
  return {
    serverCaPem: certificateToPem(serverCa.certificate),
    clientCaPem: certificateToPem(clientCa.certificate),
    server: leaf(serverCa, 'server', 'vpn.example.org', 'test-server-dsa'),
    client: (cn) => leaf(clientCa, 'client', cn, 'test-client-dsa'),
  };
}
