/**
 * The handshake with real X.509 certificates from src/pki (ML-DSA-65), through
 * the production verifier adapter — and the flight sizes they give.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { signatureSchemeByName, signatureSchemeNames } from '../../../src/crypto/signature-schemes.js';
import { signCrl } from '../../../src/pki/crl.js';
import { createCertificate, type NewCertificate } from '../../../src/pki/issue.js';
import { ExtraSecretMode, MessageType } from '../../../src/protocol/handshake/constants.js';
import { ML_KEM_1024, X_WING } from '../../../src/protocol/handshake/kem-suites.js';
import { encodeMessage } from '../../../src/protocol/handshake/messages.js';
import { createPkiPeerVerifier } from '../../../src/protocol/handshake/pki-verifier.js';
import type { LocalIdentity, PeerCertificateVerifier } from '../../../src/protocol/handshake/types.js';
import { createPrng } from '../../../src/protocol/testing/prng.js';
import { runPair } from './harness.js';
import { baseServerOptions } from './helpers.js';

const T0 = Date.UTC(2030, 0, 1);
const prng = createPrng(99);
const random = (n: number) => prng.randomBytes(n);
const mldsa = signatureSchemeByName('ml-dsa-65');

let ca: NewCertificate;
let otherCa: NewCertificate;
let server: NewCertificate;
let client: NewCertificate;
let revoked: NewCertificate;

const id = (c: NewCertificate): LocalIdentity => ({
  chain: [c.certificate.der],
  scheme: 'ml-dsa-65',
  secretKey: c.key.secretKey,
});
/** The verifier at the handshake's clock plus an offset (to test expiry). */
const shifted = (v: PeerCertificateVerifier, offsetMs: number): PeerCertificateVerifier => ({
  verify: (chain, eku, now) => v.verify(chain, eku, now + offsetMs),
});

beforeAll(() => {
  const now = new Date(T0 - 86_400_000);
  ca = createCertificate({
    profile: 'ca',
    subject: { commonName: 'pqvpn test CA' },
    scheme: mldsa,
    days: 3650,
    now,
    random,
  });
  otherCa = createCertificate({
    profile: 'ca',
    subject: { commonName: 'other CA' },
    scheme: mldsa,
    days: 3650,
    now,
    random,
  });
  const leaf = (profile: 'server' | 'client', cn: string) =>
    createCertificate(
      { profile, subject: { commonName: cn }, scheme: mldsa, days: 30, now, random },
      { certificate: ca.certificate, key: ca.key },
    );
  server = leaf('server', 'vpn.example.org');
  client = leaf('client', 'alice');
  revoked = leaf('client', 'mallory');
});

function verifier(withCrl = false) {
  const crls = withCrl
    ? [
        signCrl(
          {
            issuer: ca.certificate,
            thisUpdate: new Date(T0 - 3_600_000),
            nextUpdate: new Date(T0 + 7 * 86_400_000),
            crlNumber: 1n,
            revoked: [{ serial: revoked.certificate.serial, revocationDate: new Date(T0 - 3_600_000) }],
          },
          ca.key,
        ),
      ]
    : [];
  return createPkiPeerVerifier({ trustAnchors: [ca.certificate], crls });
}

function pair(
  clientId: NewCertificate,
  opts: { clientVerifier?: PeerCertificateVerifier; serverVerifier?: PeerCertificateVerifier } = {},
) {
  const p = runPair({
    seed: 7,
    client: { identity: id(clientId) },
    server: baseServerOptions({ identity: id(server) }),
    clientVerifier: opts.clientVerifier ?? verifier(),
    serverVerifier: opts.serverVerifier ?? verifier(true),
    start: T0,
  });
  return p;
}

describe('real ML-DSA-65 certificates through src/pki', () => {
  it('establishes, and both sides learn the verified common names', () => {
    const p = runPairAt(pair(client));
    expect(p.eventsOf('client').find((e) => e.type === 'established')).toMatchObject({
      peer: { commonName: 'vpn.example.org' },
    });
    expect(p.eventsOf('server').find((e) => e.type === 'auth-needed')).toMatchObject({ commonName: 'alice' });
  });

  it('a revoked client (CRL) is refused with CERTIFICATE_REVOKED', () => {
    const p = runPairAt(pair(revoked));
    expect(p.eventsOf('server').find((e) => e.type === 'closed')).toMatchObject({
      reason: 'CERTIFICATE_REVOKED',
      detail: expect.stringContaining('revoked'),
    });
    expect(p.client.closedReason).toBe('CERTIFICATE_REVOKED');
  });

  it('a server from another CA is refused with UNKNOWN_CA', () => {
    const p = runPairAt(
      pair(client, { clientVerifier: createPkiPeerVerifier({ trustAnchors: [otherCa.certificate] }) }),
    );
    expect(p.client.closedReason).toBe('UNKNOWN_CA');
  });

  it('an expired server certificate is refused with CERTIFICATE_EXPIRED', () => {
    const p = runPairAt(pair(client, { clientVerifier: shifted(verifier(), 60 * 86_400_000) }));
    expect(p.client.closedReason).toBe('CERTIFICATE_EXPIRED');
  });

  it('the client certificate used as a server certificate fails the EKU check (BAD_CERTIFICATE)', () => {
    const p = runPair({
      seed: 8,
      client: { identity: id(client) },
      server: baseServerOptions({ identity: id(client) }),
      clientVerifier: verifier(),
      serverVerifier: verifier(),
      start: T0,
    });
    runPairAt(p);
    expect(p.client.closedReason).toBe('BAD_CERTIFICATE');
  });

  it('flight sizes (message bytes, ML-DSA-65 leaf certificates, no intermediates)', () => {
    const cert = server.certificate.der.length;
    const sig = mldsa.signatureBytes;
    const rows: string[] = [];
    for (const suite of [X_WING, ML_KEM_1024]) {
      const ch = encodeMessage({
        type: MessageType.clientHello,
        versions: [1],
        sessionId: new Uint8Array(8),
        random: new Uint8Array(32),
        kemOffers: [{ suite: suite.codePoint, keyShare: new Uint8Array(suite.publicKeyBytes) }],
        signatureSchemes: signatureSchemeNames().map((n) => signatureSchemeByName(n).codePoint),
        psk: false,
        extra: {
          mode: ExtraSecretMode.none,
          initiatorSaeId: '',
          responderSaeId: '',
          keyId: new Uint8Array(0),
        },
        extensions: new Uint8Array(0),
      }).length;
      const sh = encodeMessage({
        type: MessageType.serverHello,
        version: 1,
        sessionId: new Uint8Array(8),
        random: new Uint8Array(32),
        kemSuite: suite.codePoint,
        kemCipherText: new Uint8Array(suite.cipherTextBytes),
        extraUsed: false,
        keyCheck: new Uint8Array(16),
        extensions: new Uint8Array(0),
      }).length;
      const ee = 4 + 1 + 1 + 2 * signatureSchemeNames().length + 2;
      const certMsg = 4 + 1 + 3 + cert;
      const cv = 4 + 2 + 3 + sig;
      const fin = 4 + 48;
      const serverFlight = sh + ee + certMsg + cv + fin;
      const clientFlightCert = certMsg + cv + fin;
      const result = encodeMessage({
        type: MessageType.serverResult,
        peerId: 1,
        options: [
          'ifconfig 10.8.0.2 255.255.255.0',
          'route 10.9.0.0 255.255.0.0',
          'ping 10',
          'ping-restart 60',
        ],
      }).length;
      rows.push(
        `${suite.name}: ClientHello ${ch}, server flight ${serverFlight} (ServerHello ${sh}, certificate ${certMsg}, CertificateVerify ${cv}), client flight ${clientFlightCert} with a certificate, ServerResult ${result}`,
      );
      expect(serverFlight).toBeLessThan(12_000);
    }
    console.log(`certificate DER ${cert} bytes\n${rows.join('\n')}`);
  });
});

function runPairAt<T extends ReturnType<typeof runPair>>(p: T): T {
  p.net.run({ until: p.net.now + 30_000 });
  return p;
}
