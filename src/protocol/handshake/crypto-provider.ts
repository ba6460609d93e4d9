/**
 * The crypto a handshake state machine may use, injected.
 *
 * The state machines never reach for `crypto.randomBytes` or a clock: they call
 * this provider. That is what makes them pure (a driver may run them in a
 * worker thread, with a provider built there), derandomisable (test vectors use
 * a seeded `randomBytes`) and observable (tests wrap the provider to count
 * public-key operations, e.g. to show that spoofed ClientHellos cost none).
 *
 * Only the *public-key* operations and randomness go through here; symmetric
 * primitives (HKDF, HMAC, AES-GCM) are called directly from node:crypto because
 * they are cheap, deterministic and never worth faking.
 * @module
 */

import { randomBytes as nodeRandomBytes } from 'node:crypto';
import type { SignatureScheme } from '../../crypto/signature-scheme.js';
import type { KemKeyPair, KemSuite } from './kem-suites.js';

export interface HandshakeCrypto {
  randomBytes(length: number): Uint8Array;
  kemKeygen(suite: KemSuite): KemKeyPair;
  /** `undefined` when the peer's public key is malformed. */
  kemEncapsulate(
    suite: KemSuite,
    publicKey: Uint8Array,
  ): { cipherText: Uint8Array; sharedSecret: Uint8Array } | undefined;
  /** `undefined` when the ciphertext is malformed. */
  kemDecapsulate(suite: KemSuite, cipherText: Uint8Array, secretKey: Uint8Array): Uint8Array | undefined;
  sign(scheme: SignatureScheme, secretKey: Uint8Array, message: Uint8Array): Uint8Array;
  verify(scheme: SignatureScheme, publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
}

export interface HandshakeCryptoOptions {
  /** Randomness source; default node:crypto's CSPRNG. */
  readonly randomBytes?: (length: number) => Uint8Array;
}

/** The production provider (and, with a seeded `randomBytes`, the vector generator's). */
export function createHandshakeCrypto(options: HandshakeCryptoOptions = {}): HandshakeCrypto {
  const random = options.randomBytes ?? ((n: number) => new Uint8Array(nodeRandomBytes(n)));
  return {
    randomBytes: random,
    kemKeygen: (suite) => suite.keygen(random(suite.keygenSeedBytes)),
    kemEncapsulate: (suite, publicKey) => suite.encapsulate(publicKey, random(suite.encapsulationSeedBytes)),
    kemDecapsulate: (suite, cipherText, secretKey) => suite.decapsulate(cipherText, secretKey),
    sign: (scheme, secretKey, message) => scheme.sign(secretKey, message),
    verify: (scheme, publicKey, message, signature) => scheme.verify(publicKey, message, signature),
  };
}
