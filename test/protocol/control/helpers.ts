/**
 * Test doubles and fixtures for the control-plane tests: fake certificates and
 * a verifier double (until src/pki is wired), cached key pairs, a counting
 * crypto provider, and SimNetwork adapters for client and server.
 */

import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js';
import type { SignatureScheme } from '../../../src/crypto/signature-scheme.js';
import { signatureSchemeByCodePoint, signatureSchemeByName } from '../../../src/crypto/signature-schemes.js';
import {
  type EndpointAction,
  ServerEndpoint,
  type ServerEndpointOptions,
} from '../../../src/protocol/control/server-endpoint.js';
import { ClientSession } from '../../../src/protocol/handshake/client.js';
import {
  createHandshakeCrypto,
  type HandshakeCrypto,
} from '../../../src/protocol/handshake/crypto-provider.js';
import type {
  ClientConfig,
  LocalIdentity,
  PeerCertificateVerifier,
  PeerVerification,
  SessionAction,
  SessionEvent,
} from '../../../src/protocol/handshake/types.js';
import { WireReader, WireWriter } from '../../../src/protocol/handshake/wire.js';
import type { SimEndpoint } from '../../../src/protocol/testing/network.js';
import { createPrng } from '../../../src/protocol/testing/prng.js';

const MAGIC = new TextEncoder().encode('PQVPN-TEST-CERT');

/** A fake certificate: name, EKU, key, and padding the size of an issuer signature (so flights are realistic). */
export function fakeCertificate(
  commonName: string,
  eku: 'serverAuth' | 'clientAuth',
  scheme: SignatureScheme,
  publicKey: Uint8Array,
  issuerSignatureBytes = 3309,
): Uint8Array {
  return new WireWriter()
    .bytes(MAGIC)
    .u8(eku === 'serverAuth' ? 1 : 2)
    .vector(1, new TextEncoder().encode(commonName))
    .u16(scheme.codePoint)
    .vector(2, publicKey)
    .vector(2, new Uint8Array(issuerSignatureBytes + 300))
    .finish();
}

/**
 * The PeerCertificateVerifier double: accepts fake certificates, checks EKU,
 * and returns the failure code configured for a common name (to simulate an
 * unknown CA, expiry, revocation).
 */
export class FakeVerifier implements PeerCertificateVerifier {
  readonly calls: Array<{ eku: string; chainLength: number }> = [];
  readonly verdicts: Record<string, { code: string; reason: string }>;
  constructor(verdicts: Record<string, { code: string; reason: string }> = {}) {
    this.verdicts = verdicts;
  }

  verify(chain: readonly Uint8Array[], expectedEku: 'serverAuth' | 'clientAuth'): PeerVerification {
    this.calls.push({ eku: expectedEku, chainLength: chain.length });
    try {
      const r = new WireReader(chain[0]!);
      const magic = r.bytesN(MAGIC.length, 'magic');
      if (!magic.every((b, i) => b === MAGIC[i]))
        return { ok: false, code: 'MALFORMED', reason: 'not a test certificate' };
      const eku = r.u8('eku') === 1 ? 'serverAuth' : 'clientAuth';
      const commonName = new TextDecoder().decode(r.vector(1, 'cn'));
      const scheme = signatureSchemeByCodePoint(r.u16('scheme'));
      const publicKey = r.vector(2, 'pk').slice();
      r.vector(2, 'sig');
      if (!scheme) return { ok: false, code: 'UNSUPPORTED_ALGORITHM', reason: 'unknown scheme' };
      const verdict = this.verdicts[commonName];
      if (verdict) return { ok: false, ...verdict };
      if (eku !== expectedEku)
        return { ok: false, code: 'WRONG_EKU', reason: `certificate '${commonName}' lacks ${expectedEku}` };
      return { ok: true, publicKey, scheme, commonName };
    } catch {
      return { ok: false, code: 'MALFORMED', reason: 'undecodable certificate' };
    }
  }
}

const keyCache = new Map<string, { publicKey: Uint8Array; secretKey: Uint8Array }>();

/** A deterministic key pair per (scheme, label), computed once per test file. */
export function keyPair(schemeName: string, label: string): { publicKey: Uint8Array; secretKey: Uint8Array } {
  const k = `${schemeName}/${label}`;
  let kp = keyCache.get(k);
  if (!kp) {
    const scheme = signatureSchemeByName(schemeName);
    const seed = createPrng(hash(k)).randomBytes(scheme.seedBytes);
    kp = scheme.keygen(seed);
    keyCache.set(k, kp);
  }
  return kp;
}

function hash(s: string): number {
  let h = 2166136261;
  for (const c of s) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
  return h >>> 0;
}

export function identity(
  commonName: string,
  eku: 'serverAuth' | 'clientAuth',
  schemeName = 'ml-dsa-65',
): LocalIdentity {
  const scheme = signatureSchemeByName(schemeName);
  const kp = keyPair(schemeName, commonName);
  return {
    chain: [fakeCertificate(commonName, eku, scheme, kp.publicKey)],
    scheme: schemeName,
    secretKey: kp.secretKey,
  };
}

export interface Counts {
  kemKeygen: number;
  encapsulate: number;
  decapsulate: number;
  sign: number;
  verify: number;
}

/** Wraps a provider to count public-key operations. */
export function countingCrypto(inner: HandshakeCrypto): HandshakeCrypto & { counts: Counts } {
  const counts: Counts = { kemKeygen: 0, encapsulate: 0, decapsulate: 0, sign: 0, verify: 0 };
  return {
    counts,
    randomBytes: (n) => inner.randomBytes(n),
    kemKeygen: (s) => {
      counts.kemKeygen++;
      return inner.kemKeygen(s);
    },
    kemEncapsulate: (s, pk) => {
      counts.encapsulate++;
      return inner.kemEncapsulate(s, pk);
    },
    kemDecapsulate: (s, ct, sk) => {
      counts.decapsulate++;
      return inner.kemDecapsulate(s, ct, sk);
    },
    sign: (s, sk, m) => {
      counts.sign++;
      return inner.sign(s, sk, m);
    },
    verify: (s, pk, m, sig) => {
      counts.verify++;
      return inner.verify(s, pk, m, sig);
    },
  };
}

/** A derandomised provider: all randomness from a seeded PRNG; ML-DSA signs deterministically. */
export function seededCrypto(seed: number): HandshakeCrypto {
  const prng = createPrng(seed);
  const base = createHandshakeCrypto({ randomBytes: (n) => prng.randomBytes(n) });
  return {
    ...base,
    sign: (scheme, sk, msg) =>
      scheme.name === 'ml-dsa-65'
        ? ml_dsa65.sign(msg, sk, { extraEntropy: false })
        : base.sign(scheme, sk, msg),
  };
}

export type AnyEvent = SessionEvent | (SessionEvent & { session: string; address: string });

/** Adapts a ClientSession to the SimNetwork endpoint interface. */
export function clientEndpoint(session: ClientSession): SimEndpoint<SessionEvent> {
  return {
    receive: (now, d) => session.receive(now, d) as SessionAction[],
    onTimer: (now) => session.onTimer(now),
  };
}

export function serverEndpoint(server: ServerEndpoint): SimEndpoint<AnyEvent> {
  return {
    receive: (now, d, from) => server.receive(now, d, from) as EndpointAction[],
    onTimer: (now) => server.onTimer(now),
  };
}

export const SERVER_ID = identity('vpn.example.org', 'serverAuth');

export function baseServerOptions(
  overrides: Partial<ServerEndpointOptions['session']> = {},
  extra: Partial<ServerEndpointOptions> = {},
): ServerEndpointOptions {
  return {
    session: { identity: SERVER_ID, clientAuth: { certificate: true, password: false }, ...overrides },
    cookies: 'off',
    ...extra,
  };
}

export function baseClientConfig(overrides: Partial<ClientConfig> = {}): ClientConfig {
  return { identity: identity('alice', 'clientAuth'), ...overrides };
}

export { ClientSession, createHandshakeCrypto, ServerEndpoint };
