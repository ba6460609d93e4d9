/**
 * Deterministic fixtures for the protocol vectors (scripts/make-protocol-vectors.ts) and their tests:
 * a seeded crypto provider that records every random draw and KEM shared secret, opaque test
 * certificates with a verifier double, and a lossless lockstep driver for one client and one
 * `ServerEndpoint`.
 *
 * Everything here is a function of fixed seeds, so the same run yields the same datagrams on every
 * machine: ML-DSA signs deterministically (FIPS 204 "deterministic variant", no extra entropy), and
 * all other randomness comes from a seeded xoshiro128** stream (src/protocol/testing/prng.ts).
 * @module
 */

import { ml_dsa44, ml_dsa65 } from '@noble/post-quantum/ml-dsa.js';
import { signatureSchemeByCodePoint, signatureSchemeByName } from '../../../src/crypto/signature-schemes.js';
import { type EndpointAction, ServerEndpoint } from '../../../src/protocol/control/server-endpoint.js';
import { ClientSession } from '../../../src/protocol/handshake/client.js';
import {
  createHandshakeCrypto,
  type HandshakeCrypto,
} from '../../../src/protocol/handshake/crypto-provider.js';
import { sha384 } from '../../../src/protocol/handshake/key-schedule.js';
import type {
  AuthResult,
  ClientConfig,
  ExtraSecretInput,
  LocalIdentity,
  PeerCertificateVerifier,
  PeerVerification,
  ServerConfig,
  SessionAction,
  SessionEvent,
} from '../../../src/protocol/handshake/types.js';
import { WireReader, WireWriter } from '../../../src/protocol/handshake/wire.js';
import { createPrng } from '../../../src/protocol/testing/prng.js';

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
export const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));
export const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

/** `n` bytes derived from a label: SHA-384("pqvpn vector " ‖ label), repeated as needed. */
export function labelled(label: string, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0, at = 0; at < n; i++) {
    const block = sha384(ascii(`pqvpn vector ${label} ${i}`));
    out.set(block.subarray(0, Math.min(block.length, n - at)), at);
    at += block.length;
  }
  return out;
}

export interface RecordingCrypto extends HandshakeCrypto {
  /** Every `randomBytes` result, in order (hex). */
  readonly draws: string[];
  /** Every KEM shared secret, in order (hex): encapsulations and decapsulations. */
  readonly sharedSecrets: string[];
}

/** A derandomised provider: randomness from a seeded PRNG, deterministic ML-DSA, everything recorded. */
export function recordingCrypto(seed: number): RecordingCrypto {
  const prng = createPrng(seed);
  const draws: string[] = [];
  const sharedSecrets: string[] = [];
  const base = createHandshakeCrypto({
    randomBytes: (n) => {
      const b = prng.randomBytes(n);
      draws.push(hex(b));
      return b;
    },
  });
  return {
    ...base,
    draws,
    sharedSecrets,
    kemEncapsulate: (suite, pk) => {
      const r = base.kemEncapsulate(suite, pk);
      if (r) sharedSecrets.push(hex(r.sharedSecret));
      return r;
    },
    kemDecapsulate: (suite, ct, sk) => {
      const r = base.kemDecapsulate(suite, ct, sk);
      if (r) sharedSecrets.push(hex(r));
      return r;
    },
    sign: (scheme, sk, msg) => {
      if (scheme.name === 'ml-dsa-65') return ml_dsa65.sign(msg, sk, { extraEntropy: false });
      if (scheme.name === 'ml-dsa-44') return ml_dsa44.sign(msg, sk, { extraEntropy: false });
      return base.sign(scheme, sk, msg);
    },
  };
}

const CERT_MAGIC = ascii('pqvpn-vector-cert');

/**
 * An opaque stand-in for an X.509 certificate (the protocol carries certificates as opaque DER;
 * their format and checks are docs/PKI.md's business): magic ‖ eku(1) ‖ cn(u8 vector) ‖ scheme(u16) ‖
 * public key(u16 vector).
 */
export function vectorCertificate(
  commonName: string,
  eku: 'serverAuth' | 'clientAuth',
  schemeName: string,
  publicKey: Uint8Array,
): Uint8Array {
  return new WireWriter()
    .bytes(CERT_MAGIC)
    .u8(eku === 'serverAuth' ? 1 : 2)
    .vector(1, ascii(commonName))
    .u16(signatureSchemeByName(schemeName).codePoint)
    .vector(2, publicKey)
    .finish();
}

/** A deterministic identity: key pair from `labelled(label)`, and its vector certificate. */
export function vectorIdentity(
  commonName: string,
  eku: 'serverAuth' | 'clientAuth',
  schemeName: string,
): LocalIdentity & { publicKey: Uint8Array } {
  const scheme = signatureSchemeByName(schemeName);
  const kp = scheme.keygen(labelled(`${schemeName} ${commonName}`, scheme.seedBytes));
  return {
    chain: [vectorCertificate(commonName, eku, schemeName, kp.publicKey)],
    scheme: schemeName,
    secretKey: kp.secretKey,
    publicKey: kp.publicKey,
  };
}

/** Accepts vector certificates with the expected EKU. */
export const vectorVerifier: PeerCertificateVerifier = {
  verify(chain, expectedEku): PeerVerification {
    try {
      const r = new WireReader(chain[0] ?? new Uint8Array(0));
      if (hex(r.bytesN(CERT_MAGIC.length, 'magic')) !== hex(CERT_MAGIC)) {
        return { ok: false, code: 'MALFORMED', reason: 'not a vector certificate' };
      }
      const eku = r.u8('eku') === 1 ? 'serverAuth' : 'clientAuth';
      const commonName = new TextDecoder().decode(r.vector(1, 'cn'));
      const scheme = signatureSchemeByCodePoint(r.u16('scheme'));
      const publicKey = r.vector(2, 'pk').slice();
      if (!scheme) return { ok: false, code: 'UNSUPPORTED_ALGORITHM', reason: 'unknown scheme' };
      if (eku !== expectedEku) return { ok: false, code: 'WRONG_EKU', reason: `lacks ${expectedEku}` };
      return { ok: true, publicKey, scheme, commonName };
    } catch {
      return { ok: false, code: 'MALFORMED', reason: 'undecodable certificate' };
    }
  },
};

export interface LoggedDatagram {
  /** Who sent it. */
  readonly from: 'client' | 'server';
  /** Time of delivery (ms). */
  readonly at: number;
  readonly bytes: Uint8Array;
}

export interface LockstepOptions {
  readonly client: ClientConfig;
  readonly server: ServerConfig;
  readonly clientCrypto: HandshakeCrypto;
  readonly serverCrypto: HandshakeCrypto;
  readonly start: number;
  readonly startExtra?: ExtraSecretInput;
  readonly auth: AuthResult;
  /** The responder's extra secret for a key epoch (by the extra key id the initiator sent). */
  readonly extraSecret?: (keyId: number, extraKeyId: Uint8Array) => Uint8Array | undefined;
}

/**
 * A lossless, in-order driver: every datagram is delivered 5 ms after the previous one, in the order
 * sent. Events are answered at once (auth result, extra secrets). `step` runs the queue empty.
 */
export function lockstep(o: LockstepOptions) {
  const server = new ServerEndpoint(
    { session: o.server, cookies: 'off' },
    { crypto: o.serverCrypto, verifier: vectorVerifier },
  );
  const client = new ClientSession(o.client, { crypto: o.clientCrypto, verifier: vectorVerifier });
  const queue: Array<{ from: 'client' | 'server'; bytes: Uint8Array }> = [];
  const log: LoggedDatagram[] = [];
  const events: Array<{ side: 'client' | 'server'; event: SessionEvent }> = [];
  let now = o.start;
  const perform = (side: 'client' | 'server', actions: readonly (SessionAction | EndpointAction)[]): void => {
    // Sends first, then events: answering an event produces later datagrams.
    for (const a of actions) if (a.type === 'send') queue.push({ from: side, bytes: a.datagram });
    for (const a of actions) {
      if (a.type === 'send' || a.type === 'timer') continue;
      events.push({ side, event: a });
      if (side === 'server' && 'session' in a) {
        if (a.type === 'auth-needed') perform('server', server.authResult(now, a.session, o.auth));
        if (a.type === 'extra-secret-needed') {
          const s = o.extraSecret?.(a.keyId, a.extraKeyId);
          perform('server', server.provideExtraSecret(now, a.session, a.keyId, s));
        }
      } else if (side === 'client' && a.type === 'extra-secret-needed') {
        perform('client', client.provideExtraSecret(now, a.keyId, o.extraSecret?.(a.keyId, a.extraKeyId)));
      }
    }
  };
  const step = (): void => {
    for (let guard = 0; queue.length > 0 && guard < 10_000; guard++) {
      const d = queue.shift()!;
      now += 5;
      log.push({ from: d.from, at: now, bytes: d.bytes });
      if (d.from === 'client') perform('server', server.receive(now, d.bytes, 'client'));
      else perform('client', client.receive(now, d.bytes));
    }
  };
  perform('client', client.start(now, o.startExtra));
  return {
    client,
    server,
    log,
    events,
    step,
    now: () => now,
    /** Performs actions of a driver call made outside (e.g. startRekey) for `side`. */
    perform,
    serverSession: () => server.session(server.sessionIds()[0]!)!,
  };
}
