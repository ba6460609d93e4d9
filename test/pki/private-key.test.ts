import { describe, expect, it } from 'vitest';
import { signatureSchemeByName } from '../../src/crypto/signature-schemes.js';
import { encodeAlgorithmIdentifier } from '../../src/pki/algorithm.js';
import { DerError, derImplicit, derInteger, derOctetString, derOid, derSequence } from '../../src/pki/der.js';
import {
  assertKeyMatchesCertificate,
  generatePrivateKey,
  keyMatchesCertificate,
  PrivateKeyError,
  parsePrivateKey,
  privateKeyToPem,
  wipePrivateKey,
} from '../../src/pki/private-key.js';
import { makeCa, makeLeaf, seededRandom } from './helpers.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function pkcs8(oid: string, content: Uint8Array, version = 0): Uint8Array {
  return derSequence(derInteger(version), derSequence(derOid(oid)), derOctetString(content));
}

describe('PKCS#8 private keys', () => {
  it('ML-DSA keys use the RFC 9881 seed form and load back to the same key pair', () => {
    for (const name of ['ml-dsa-44', 'ml-dsa-65', 'ml-dsa-87']) {
      const scheme = signatureSchemeByName(name);
      const seed = seededRandom(`k-${name}`)(32);
      const { key, pkcs8: der } = generatePrivateKey(scheme, seededRandom(`k-${name}`));
      // 30 34 | 02 01 00 | 30 0b 06 09 <oid> | 04 22 80 20 <seed>
      expect(hex(der)).toBe(`3034020100${hex(encodeAlgorithmIdentifier(scheme))}04228020${hex(seed)}`);
      const loaded = parsePrivateKey(privateKeyToPem(der));
      expect(loaded.scheme).toBe(scheme);
      expect(loaded.publicKey).toEqual(key.publicKey);
      expect(loaded.secretKey).toEqual(key.secretKey);
      const sig = scheme.sign(loaded.secretKey, Uint8Array.of(1, 2, 3));
      expect(scheme.verify(key.publicKey, Uint8Array.of(1, 2, 3), sig)).toBe(true);
    }
  });

  it('SLH-DSA keys hold the raw FIPS 205 private key (RFC 9909)', () => {
    const scheme = signatureSchemeByName('slh-dsa-sha2-128f');
    const { key, pkcs8: der } = generatePrivateKey(scheme, seededRandom('slh'));
    expect(hex(der)).toBe(`3052020100${hex(encodeAlgorithmIdentifier(scheme))}0440${hex(key.secretKey)}`);
    const loaded = parsePrivateKey(der);
    expect(loaded.publicKey).toEqual(key.publicKey);
    expect(loaded.publicKey).toEqual(key.secretKey.subarray(32));
  });

  it('Falcon keys use the seed form under the OQS OID (experimental)', () => {
    const scheme = signatureSchemeByName('falcon-512');
    const { key, pkcs8: der } = generatePrivateKey(scheme, seededRandom('falcon'));
    expect(hex(der)).toContain(`8030${hex(seededRandom('falcon')(48))}`);
    expect(parsePrivateKey(der).publicKey).toEqual(key.publicKey);
  });

  it('reads the ML-DSA "both" form and checks the expanded key against the seed', () => {
    const scheme = signatureSchemeByName('ml-dsa-44');
    const seed = seededRandom('both')(32);
    const { secretKey, publicKey } = scheme.keygen(new Uint8Array(seed));
    const both = derSequence(derOctetString(seed), derOctetString(secretKey));
    expect(parsePrivateKey(pkcs8(scheme.oid, both)).publicKey).toEqual(publicKey);
    const tampered = new Uint8Array(secretKey);
    tampered[100]! ^= 1;
    const bad = derSequence(derOctetString(seed), derOctetString(tampered));
    expect(() => parsePrivateKey(pkcs8(scheme.oid, bad))).toThrow(/expandedKey does not match seed/);
  });

  it('refuses the expandedKey-only form, wrong seed sizes and inconsistent SLH-DSA keys', () => {
    const ml = signatureSchemeByName('ml-dsa-44');
    const { key } = generatePrivateKey(ml, seededRandom('exp'));
    expect(() => parsePrivateKey(pkcs8(ml.oid, derOctetString(key.secretKey)))).toThrow(/expandedKey-only/);
    expect(() => parsePrivateKey(pkcs8(ml.oid, derImplicit(0, new Uint8Array(31))))).toThrow(/32 bytes/);
    const slh = signatureSchemeByName('slh-dsa-sha2-128f');
    const generated = generatePrivateKey(slh, seededRandom('slh2'));
    const broken = new Uint8Array(generated.key.secretKey);
    broken[63]! ^= 1; // PK.root
    expect(() => parsePrivateKey(pkcs8(slh.oid, broken))).toThrow(/inconsistent/);
    expect(() => parsePrivateKey(pkcs8(slh.oid, broken.subarray(1)))).toThrow(/64 bytes/);
  });

  it('refuses unknown algorithms, unknown versions and malformed DER, with stable codes', () => {
    const seed = derImplicit(0, new Uint8Array(32));
    const unknown = () => parsePrivateKey(pkcs8('1.2.840.10045.2.1', seed));
    expect(unknown).toThrow(PrivateKeyError);
    expect(unknown).toThrow(/not a known signature scheme/);
    expect(() => parsePrivateKey(pkcs8(signatureSchemeByName('ml-dsa-44').oid, seed, 2))).toThrow(
      /version 2/,
    );
    try {
      unknown();
    } catch (error) {
      expect((error as PrivateKeyError).code).toBe('KEY_INVALID');
    }
    expect(() => parsePrivateKey(Uint8Array.of(0x30, 0x03, 0x02, 0x01))).toThrow(DerError);
    expect(() =>
      parsePrivateKey('-----BEGIN RSA PRIVATE KEY-----\nAA==\n-----END RSA PRIVATE KEY-----\n'),
    ).toThrow(/no "PRIVATE KEY" PEM block/);
  });

  it('error messages never contain key bytes', () => {
    const ml = signatureSchemeByName('ml-dsa-44');
    const seed = seededRandom('secret')(32);
    const { secretKey } = ml.keygen(new Uint8Array(seed));
    const tampered = new Uint8Array(secretKey);
    tampered[0]! ^= 1;
    try {
      parsePrivateKey(pkcs8(ml.oid, derSequence(derOctetString(seed), derOctetString(tampered))));
      expect.unreachable();
    } catch (error) {
      const message = (error as Error).message.toLowerCase();
      expect(message).not.toContain(hex(seed).slice(0, 16));
      expect(message).not.toContain(hex(secretKey).slice(0, 16));
    }
  });

  it('matches keys to certificates in constant time and names mismatches', () => {
    const ca = makeCa('match');
    const leaf = makeLeaf(ca, 'client', 'carol');
    const loaded = parsePrivateKey(privateKeyToPem(leaf.pkcs8));
    expect(keyMatchesCertificate(loaded, leaf.certificate)).toBe(true);
    expect(keyMatchesCertificate(loaded, ca.certificate)).toBe(false);
    expect(() => assertKeyMatchesCertificate(loaded, ca.certificate)).toThrow(/does not match/);
    try {
      assertKeyMatchesCertificate(loaded, ca.certificate);
    } catch (error) {
      expect((error as PrivateKeyError).code).toBe('KEY_CERT_MISMATCH');
    }
    // Same public key bytes under another scheme OID never match.
    const other = { ...loaded, scheme: signatureSchemeByName('ml-dsa-65') };
    expect(keyMatchesCertificate(other, leaf.certificate)).toBe(false);
  });

  it('wipes secret keys and the generation seed', () => {
    const random = seededRandom('wipe');
    let handedOut: Uint8Array | undefined;
    const spy = (n: number) => {
      handedOut = random(n);
      return handedOut;
    };
    const { key } = generatePrivateKey(signatureSchemeByName('ml-dsa-44'), spy);
    expect(handedOut!.every((b) => b === 0)).toBe(true);
    wipePrivateKey(key);
    expect(key.secretKey.every((b) => b === 0)).toBe(true);
  });
});
