import { describe, expect, it } from 'vitest';
import {
  callPath,
  decKeysBody,
  encKeysBody,
  parseErrorBody,
  parseKeyContainer,
  parseStatus,
} from '../../src/qkd/etsi014.js';

const b64 = (n: number, fill = 1) => Buffer.alloc(n, fill).toString('base64');
const codeOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return 'no error';
};

describe('ETSI 014 shapes', () => {
  it('paths: enc_keys and status name the slave, dec_keys the master, IDs are path-safe', () => {
    expect(callPath('enc_keys', 'sae-b')).toBe('/api/v1/keys/sae-b/enc_keys');
    expect(callPath('dec_keys', 'sae-a')).toBe('/api/v1/keys/sae-a/dec_keys');
    expect(codeOf(() => callPath('status', '../x'))).toBe('QKD_CONFIG');
  });

  it('enc_keys body omits empty optional fields; dec_keys body is an array of objects', () => {
    expect(
      encKeysBody({ number: 1, size: 256, additional_slave_SAE_IDs: [], extension_mandatory: [] }),
    ).toEqual({
      number: 1,
      size: 256,
    });
    expect(decKeysBody(['x', 'y'])).toEqual({ key_IDs: [{ key_ID: 'x' }, { key_ID: 'y' }] });
  });

  it('a key container is matched by ID, not position', () => {
    const json = {
      keys: [
        { key_ID: 'b', key: b64(32, 2) },
        { key_ID: 'a', key: b64(32, 1) },
      ],
    };
    const keys = parseKeyContainer(json, { sizeBits: 256, expectedIds: ['a', 'b'] });
    expect(keys.find((k) => k.keyId === 'a')!.key[0]).toBe(1);
    expect(keys.find((k) => k.keyId === 'b')!.key[0]).toBe(2);
  });

  it('opaque non-UUID key IDs and unknown extra fields are accepted', () => {
    const json = {
      keys: [{ key_ID: 'kme:42/7', key: b64(32), key_extension: {} }],
      key_container_extension: 1,
    };
    expect(parseKeyContainer(json, { sizeBits: 256, count: 1 })[0]!.keyId).toBe('kme:42/7');
  });

  it.each([
    ['not an object', [], 'QKD_MALFORMED_RESPONSE'],
    ['keys missing', {}, 'QKD_MALFORMED_RESPONSE'],
    ['key_ID not a string', { keys: [{ key_ID: 5, key: b64(32) }] }, 'QKD_MALFORMED_RESPONSE'],
    ['empty key_ID', { keys: [{ key_ID: '', key: b64(32) }] }, 'QKD_MALFORMED_RESPONSE'],
    ['control character in key_ID', { keys: [{ key_ID: 'a\nb', key: b64(32) }] }, 'QKD_BAD_KEY_ID'],
    [
      'key_ID too long for the handshake',
      { keys: [{ key_ID: 'x'.repeat(1025), key: b64(32) }] },
      'QKD_BAD_KEY_ID',
    ],
    ['key not a string', { keys: [{ key_ID: 'a', key: 7 }] }, 'QKD_MALFORMED_RESPONSE'],
    ['bad base64', { keys: [{ key_ID: 'a', key: `${b64(30)}!!` }] }, 'QKD_BAD_BASE64'],
    ['size in bytes (32 bits for 256)', { keys: [{ key_ID: 'a', key: b64(4) }] }, 'QKD_KEY_SIZE'],
    ['rounded size', { keys: [{ key_ID: 'a', key: b64(33) }] }, 'QKD_KEY_SIZE'],
    [
      'duplicate IDs',
      {
        keys: [
          { key_ID: 'a', key: b64(32) },
          { key_ID: 'a', key: b64(32) },
        ],
      },
      'QKD_DUPLICATE_KEY_ID',
    ],
    ['too few keys', { keys: [] }, 'QKD_KEY_COUNT'],
  ])('rejects a container with %s', (_what, json, code) => {
    expect(codeOf(() => parseKeyContainer(json, { sizeBits: 256, count: 1 }))).toBe(code);
  });

  it('dec_keys answers must carry exactly the requested IDs', () => {
    const json = {
      keys: [
        { key_ID: 'a', key: b64(32) },
        { key_ID: 'c', key: b64(32) },
      ],
    };
    expect(codeOf(() => parseKeyContainer(json, { expectedIds: ['a', 'b'] }))).toBe('QKD_KEY_ID_MISMATCH');
    expect(codeOf(() => parseKeyContainer({ keys: [] }, { expectedIds: ['a'] }))).toBe('QKD_KEY_ID_MISMATCH');
  });

  it('keys decoded before a failure are wiped', () => {
    const seen: Uint8Array[] = [];
    const json = {
      keys: [
        { key_ID: 'a', key: b64(32, 9) },
        { key_ID: 'b', key: 'jun!' },
      ],
    };
    const orig = Uint8Array.prototype.fill;
    Uint8Array.prototype.fill = function (this: Uint8Array, ...args: Parameters<Uint8Array['fill']>) {
      seen.push(this);
      return orig.apply(this, args);
    };
    try {
      expect(codeOf(() => parseKeyContainer(json, { sizeBits: 256, count: 2 }))).toBe('QKD_BAD_BASE64');
    } finally {
      Uint8Array.prototype.fill = orig;
    }
    expect(seen.some((a) => a.length === 32 && a.every((x) => x === 0))).toBe(true);
  });

  it('status: all standard fields are required and typed', () => {
    const status = {
      source_KME_ID: 'A',
      target_KME_ID: 'B',
      master_SAE_ID: 'a',
      slave_SAE_ID: 'b',
      key_size: 256,
      stored_key_count: 1,
      max_key_count: 2,
      max_key_per_request: 1,
      max_key_size: 512,
      min_key_size: 64,
      max_SAE_ID_count: 0,
    };
    expect(parseStatus(status).stored_key_count).toBe(1);
    expect(codeOf(() => parseStatus({ ...status, key_size: '256' }))).toBe('QKD_MALFORMED_RESPONSE');
    const { target_KME_ID: _, ...missing } = status;
    expect(codeOf(() => parseStatus(missing))).toBe('QKD_MALFORMED_RESPONSE');
  });

  it('error bodies: message and details', () => {
    expect(parseErrorBody({ message: 'm', details: [{ a: 1 }] })).toEqual({
      message: 'm',
      details: [{ a: 1 }],
    });
    expect(parseErrorBody({ msg: 'x' })).toBeUndefined();
  });
});
