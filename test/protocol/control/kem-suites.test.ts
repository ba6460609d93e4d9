import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createHandshakeCrypto } from '../../../src/protocol/handshake/crypto-provider.js';
import {
  kemSuiteByCodePoint,
  kemSuiteByName,
  ML_KEM_1024,
  X_WING,
} from '../../../src/protocol/handshake/kem-suites.js';
import { fromHex, toHex } from '../../../src/protocol/handshake/wire.js';

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('KEM suites', () => {
  // draft-connolly-cfrg-xwing-kem-08, Appendix C, first vector. pk and ct are long;
  // we pin their SHA-256 (computed from the draft's hex) and the shared secret.
  it('x-wing reproduces the X-Wing draft test vector (combiner and key derivation)', () => {
    const seed = fromHex('7f9c2ba4e88f827d616045507605853ed73b8093f6efbc88eb1a6eacfa66ef26');
    const eseed = fromHex(
      '3cb1eea988004b93103cfb0aeefd2a686e01fa4a58e8a3639ca8a1e3f9ae57e2' +
        '35b8cc873c23dc62b8d260169afa2f75ab916a58d974918835d25e6a435085b2',
    );
    const kp = X_WING.keygen(seed);
    expect(toHex(kp.publicKey.subarray(0, 16))).toBe('e2236b35a8c24b39b10aa1323a96a919');
    expect(sha256(kp.publicKey)).toBe('2e816deebcd76c5c80d0cd2d174478871658e8e2ff42bc9d4a6e486372e856bb');
    const enc = X_WING.encapsulate(kp.publicKey, eseed)!;
    expect(sha256(enc.cipherText)).toBe('17cd532d657e44c897ca6583e548a5424fc70bf54f99515a4d2bcf99e3469f33');
    expect(toHex(enc.sharedSecret)).toBe('d2df0522128f09dd8e2c92b1e905c793d8f57a54c3da25861f10bf4ca613e384');
    expect(X_WING.decapsulate(enc.cipherText, kp.secretKey)).toEqual(enc.sharedSecret);
  });

  it('sizes are as documented', () => {
    expect([X_WING.publicKeyBytes, X_WING.cipherTextBytes, X_WING.keygenSeedBytes]).toEqual([1216, 1120, 32]);
    expect([ML_KEM_1024.publicKeyBytes, ML_KEM_1024.cipherTextBytes]).toEqual([1568, 1568]);
  });

  it('ml-kem-1024 round-trips and the registry finds suites by name and code point', () => {
    const c = createHandshakeCrypto();
    const kp = c.kemKeygen(ML_KEM_1024);
    const enc = c.kemEncapsulate(ML_KEM_1024, kp.publicKey)!;
    expect(c.kemDecapsulate(ML_KEM_1024, enc.cipherText, kp.secretKey)).toEqual(enc.sharedSecret);
    expect(kemSuiteByName('X-Wing')).toBe(X_WING);
    expect(kemSuiteByCodePoint(0x0202)).toBe(ML_KEM_1024);
    expect(kemSuiteByCodePoint(0x11ec)).toBeUndefined();
    expect(() => kemSuiteByName('rsa')).toThrow(/unknown KEM suite/);
  });

  it('malformed public keys and ciphertexts yield undefined, not exceptions', () => {
    const seed = new Uint8Array(64).fill(1);
    expect(X_WING.encapsulate(new Uint8Array(10), seed)).toBeUndefined();
    expect(ML_KEM_1024.encapsulate(new Uint8Array(1568).fill(0xff), new Uint8Array(32))).toBeUndefined();
    const kp = X_WING.keygen(new Uint8Array(32));
    expect(X_WING.decapsulate(new Uint8Array(5), kp.secretKey)).toBeUndefined();
  });
});
