import { describe, expect, it } from 'vitest';
import type { SignatureScheme } from '../../src/crypto/signature-scheme.js';
import {
  DEFAULT_SIGNATURE_SCHEME,
  isBuiltinSignatureScheme,
  registerSignatureScheme,
  signatureSchemeByCodePoint,
  signatureSchemeByName,
  signatureSchemeByOid,
  signatureSchemeNames,
  UnknownSignatureSchemeError,
} from '../../src/crypto/signature-schemes.js';

const message = new TextEncoder().encode('pqvpn');

describe('signature scheme registry', () => {
  it('finds every built-in scheme by name, OID and code point', () => {
    const names = signatureSchemeNames();
    expect(names).toContain(DEFAULT_SIGNATURE_SCHEME);
    expect(names).toHaveLength(16);
    for (const name of names) {
      const scheme = signatureSchemeByName(name);
      expect(signatureSchemeByOid(scheme.oid)).toBe(scheme);
      expect(signatureSchemeByCodePoint(scheme.codePoint)).toBe(scheme);
      expect(isBuiltinSignatureScheme(scheme)).toBe(true);
      expect(Object.isFrozen(scheme)).toBe(true);
    }
    expect(signatureSchemeByName('ML-DSA-65').name).toBe('ml-dsa-65');
  });

  it('uses the RFC 9881 and RFC 9909 OIDs', () => {
    expect(signatureSchemeByName('ml-dsa-44').oid).toBe('2.16.840.1.101.3.4.3.17');
    expect(signatureSchemeByName('ml-dsa-87').oid).toBe('2.16.840.1.101.3.4.3.19');
    expect(signatureSchemeByName('slh-dsa-sha2-128s').oid).toBe('2.16.840.1.101.3.4.3.20');
    expect(signatureSchemeByName('slh-dsa-shake-256f').oid).toBe('2.16.840.1.101.3.4.3.31');
    expect(signatureSchemeByName('falcon-512').oid).toBe('1.3.9999.3.11');
  });

  it('names unknown schemes with a stable code and the known list', () => {
    expect(() => signatureSchemeByName('rsa')).toThrow(UnknownSignatureSchemeError);
    expect(() => signatureSchemeByName('rsa')).toThrow(/known: ml-dsa-44/);
    expect(signatureSchemeByOid('1.2.3')).toBeUndefined();
    expect(signatureSchemeByCodePoint(0x0001)).toBeUndefined();
  });

  it('refuses plugins that reuse a name, OID or code point', () => {
    const base = signatureSchemeByName('ml-dsa-44');
    const plugin = (over: Partial<SignatureScheme>): SignatureScheme => ({ ...base, ...over });
    expect(() => registerSignatureScheme(plugin({ oid: '1.2.3.4.1', codePoint: 0xfe99 }))).toThrow(
      /name ml-dsa-44/,
    );
    expect(() => registerSignatureScheme(plugin({ name: 'p1', codePoint: 0xfe99 }))).toThrow(/OID/);
    expect(() => registerSignatureScheme(plugin({ name: 'p2', oid: '1.2.3.4.2' }))).toThrow(/code point/);
  });

  it('ML-DSA: deterministic keygen, sign/verify, and false (not a throw) on bad input', () => {
    const scheme = signatureSchemeByName('ml-dsa-44');
    const seed = new Uint8Array(scheme.seedBytes).fill(1);
    const a = scheme.keygen(seed);
    expect(scheme.keygen(seed).publicKey).toEqual(a.publicKey);
    expect(a.publicKey).toHaveLength(scheme.publicKeyBytes);
    const sig = scheme.sign(a.secretKey, message);
    expect(sig.length).toBeLessThanOrEqual(scheme.signatureBytes);
    expect(scheme.verify(a.publicKey, message, sig)).toBe(true);
    const flipped = new Uint8Array(sig);
    flipped[0]! ^= 1;
    expect(scheme.verify(a.publicKey, message, flipped)).toBe(false);
    expect(scheme.verify(a.publicKey, message, sig.subarray(1))).toBe(false);
    expect(scheme.verify(a.publicKey.subarray(1), message, sig)).toBe(false);
    expect(scheme.verify(a.publicKey, message, new Uint8Array(scheme.signatureBytes + 1))).toBe(false);
    expect(() => scheme.keygen(new Uint8Array(31))).toThrow(/32-byte seed/);
  });

  it('SLH-DSA (fast variant) and Falcon-512 sign and verify', () => {
    for (const name of ['slh-dsa-sha2-128f', 'falcon-512']) {
      const scheme = signatureSchemeByName(name);
      const { publicKey, secretKey } = scheme.keygen(new Uint8Array(scheme.seedBytes).fill(2));
      const sig = scheme.sign(secretKey, message);
      expect(sig.length).toBeLessThanOrEqual(scheme.signatureBytes);
      expect(scheme.verify(publicKey, message, sig)).toBe(true);
      expect(scheme.verify(publicKey, new Uint8Array(1), sig)).toBe(false);
    }
  });
});
