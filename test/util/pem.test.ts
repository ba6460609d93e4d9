import { describe, expect, it } from 'vitest';
import { decodeBase64Strict, decodePem, decodePemAll, encodePem } from '../../src/util/pem.js';

describe('PEM', () => {
  it('round-trips bytes', () => {
    const bytes = new Uint8Array(200).map((_, i) => i);
    expect(decodePem(encodePem('TEST', bytes), 'TEST')).toEqual(bytes);
  });

  it('rejects junk that Buffer.from would accept silently', () => {
    expect(() => decodeBase64Strict('AAA*')).toThrow(/base64/);
    expect(() => decodeBase64Strict('AAA')).toThrow(/base64/);
    expect(() => decodeBase64Strict('AA=A')).toThrow(/base64/);
  });

  it('rejects mismatched labels and missing blocks', () => {
    expect(() => decodePemAll('-----BEGIN A-----\nAAAA\n-----END B-----')).toThrow(/ends with END B/);
    expect(() => decodePem('nothing', 'CERTIFICATE')).toThrow(/no "CERTIFICATE"/);
  });
});

describe('PEM labels', () => {
  it('accepts RFC 7468 labels with hyphens', () => {
    const bytes = new Uint8Array([1, 2, 3]);
    expect(decodePem(encodePem('PQVPN TLS-CRYPT KEY', bytes), 'PQVPN TLS-CRYPT KEY')).toEqual(bytes);
  });
});
