/**
 * Key-encapsulation suites: the key exchange of a pqvpn handshake.
 *
 * A suite is a frozen object (the noble `KEM` model) with a name for configs, a
 * 16-bit code point for the wire, fixed sizes, and three deterministic
 * functions whose randomness is passed in — so handshakes can be derandomised
 * for test vectors, and the state machines stay pure (the injected
 * `HandshakeCrypto` draws the seeds).
 *
 * Built in:
 * - `x-wing` (default): X-Wing, ML-KEM-768 + X25519 with the SHA3-256 combiner
 *   of draft-connolly-cfrg-xwing-kem; `ml_kem768_x25519` of @noble/post-quantum
 *   0.7, checked against the draft's test vector in
 *   test/protocol/control/kem-suites.test.ts. Code point 0x647A, the X-Wing
 *   KEM id the draft registers for HPKE. Secure while either ML-KEM-768 or
 *   X25519 holds.
 * - `ml-kem-1024`: pure ML-KEM-1024 (FIPS 203) for those who want no classical
 *   component. Code point 0x0202, its TLS NamedGroup
 *   (draft-connolly-tls-mlkem-key-agreement).
 *
 * Contracts: `encapsulate`/`decapsulate` return `undefined` for malformed input
 * (wrong length, an ML-KEM key failing the FIPS 203 modulus check, an X25519
 * low-order point) instead of throwing; ML-KEM decapsulation of a wrong
 * ciphertext yields the implicit-rejection secret, which simply fails Finished.
 * @module
 */

import { ml_kem768_x25519 } from '@noble/post-quantum/hybrid.js';
import { ml_kem1024 } from '@noble/post-quantum/ml-kem.js';
import { PqvpnError } from '../../errors.js';

export interface KemKeyPair {
  readonly publicKey: Uint8Array;
  readonly secretKey: Uint8Array;
}

export interface KemSuite {
  readonly name: string;
  readonly codePoint: number;
  readonly keygenSeedBytes: number;
  readonly encapsulationSeedBytes: number;
  readonly publicKeyBytes: number;
  readonly cipherTextBytes: number;
  readonly sharedSecretBytes: number;
  keygen(seed: Uint8Array): KemKeyPair;
  encapsulate(
    publicKey: Uint8Array,
    seed: Uint8Array,
  ): { cipherText: Uint8Array; sharedSecret: Uint8Array } | undefined;
  decapsulate(cipherText: Uint8Array, secretKey: Uint8Array): Uint8Array | undefined;
}

interface NobleKem {
  lengths: { seed?: number; publicKey?: number; cipherText?: number; msg?: number; msgRand?: number };
  keygen(seed?: Uint8Array): { publicKey: Uint8Array; secretKey: Uint8Array };
  encapsulate(publicKey: Uint8Array, msg?: Uint8Array): { cipherText: Uint8Array; sharedSecret: Uint8Array };
  decapsulate(cipherText: Uint8Array, secretKey: Uint8Array): Uint8Array;
}

function fromNoble(name: string, codePoint: number, kem: NobleKem): KemSuite {
  const keygenSeedBytes = kem.lengths.seed!;
  const encapsulationSeedBytes = kem.lengths.msgRand ?? kem.lengths.msg!;
  const publicKeyBytes = kem.lengths.publicKey!;
  const cipherTextBytes = kem.lengths.cipherText!;
  return Object.freeze({
    name,
    codePoint,
    keygenSeedBytes,
    encapsulationSeedBytes,
    publicKeyBytes,
    cipherTextBytes,
    sharedSecretBytes: 32,
    keygen(seed: Uint8Array): KemKeyPair {
      if (seed.length !== keygenSeedBytes)
        throw new PqvpnError('BAD_SEED', `${name} needs a ${keygenSeedBytes}-byte seed`);
      const { publicKey, secretKey } = kem.keygen(seed);
      return { publicKey, secretKey };
    },
    encapsulate(publicKey: Uint8Array, seed: Uint8Array) {
      if (publicKey.length !== publicKeyBytes || seed.length !== encapsulationSeedBytes) return undefined;
      try {
        const { cipherText, sharedSecret } = kem.encapsulate(publicKey, seed);
        return { cipherText, sharedSecret };
      } catch {
        return undefined;
      }
    },
    decapsulate(cipherText: Uint8Array, secretKey: Uint8Array) {
      if (cipherText.length !== cipherTextBytes) return undefined;
      try {
        return kem.decapsulate(cipherText, secretKey);
      } catch {
        return undefined;
      }
    },
  });
}

export const X_WING = fromNoble('x-wing', 0x647a, ml_kem768_x25519);
export const ML_KEM_1024 = fromNoble('ml-kem-1024', 0x0202, ml_kem1024);
export const DEFAULT_KEM_SUITE = X_WING.name;

const suites: readonly KemSuite[] = [X_WING, ML_KEM_1024];

export function kemSuiteByName(name: string): KemSuite {
  const s = suites.find((x) => x.name === name.toLowerCase());
  if (!s) {
    throw new PqvpnError(
      'UNKNOWN_KEM_SUITE',
      `unknown KEM suite '${name}' (known: ${kemSuiteNames().join(', ')})`,
    );
  }
  return s;
}

export function kemSuiteByCodePoint(codePoint: number): KemSuite | undefined {
  return suites.find((x) => x.codePoint === codePoint);
}

export function kemSuiteNames(): string[] {
  return suites.map((s) => s.name);
}
