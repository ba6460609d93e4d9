import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  createDataKeyMaterial,
  type DataKeyMaterial,
  isValidKeyId,
  nextKeyId,
  wipeDataKeyMaterial,
} from '../../../src/protocol/data/keys.js';

function material(keyId = 3): DataKeyMaterial {
  return {
    keyId,
    send: { key: new Uint8Array(32).fill(0xa1), iv: new Uint8Array(12).fill(0xa2) },
    receive: { key: new Uint8Array(32).fill(0xb1), iv: new Uint8Array(12).fill(0xb2) },
  };
}

describe('DataKeyMaterial', () => {
  it('copies the input so the caller can wipe its own bytes', () => {
    const input = material();
    const keys = createDataKeyMaterial(input);
    input.send.key.fill(0);
    expect(keys.send.key.every((b) => b === 0xa1)).toBe(true);
    expect(keys.keyId).toBe(3);
    expect(Object.isFrozen(keys)).toBe(true);
  });

  it('never prints key bytes', () => {
    const keys = createDataKeyMaterial(material());
    for (const text of [
      String(keys),
      JSON.stringify(keys),
      inspect(keys),
      inspect(keys.send),
      `${keys.receive}`,
    ]) {
      expect(text).toContain('redacted');
      expect(text).not.toMatch(/a1|161|b1|177/);
    }
    expect(JSON.stringify({ k: keys })).toBe('{"k":"<redacted DataKeyMaterial keyId=3>"}');
  });

  it('survives structuredClone (postMessage from a worker) as plain data and re-imports', () => {
    const keys = createDataKeyMaterial(material(5));
    const clone = structuredClone(keys) as DataKeyMaterial;
    expect(Object.keys(clone).sort()).toEqual(['keyId', 'receive', 'send']);
    const again = createDataKeyMaterial(clone);
    expect(again.receive.iv).toEqual(new Uint8Array(12).fill(0xb2));
    expect(String(again)).toContain('redacted');
  });

  it('wipes every byte', () => {
    const keys = createDataKeyMaterial(material());
    wipeDataKeyMaterial(keys);
    for (const bytes of [keys.send.key, keys.send.iv, keys.receive.key, keys.receive.iv]) {
      expect(bytes.every((b) => b === 0)).toBe(true);
    }
  });

  it.each([
    ['key id 8', { ...material(), keyId: 8 }],
    ['key id -1', { ...material(), keyId: -1 }],
    ['key id 1.5', { ...material(), keyId: 1.5 }],
    ['short send key', { ...material(), send: { key: new Uint8Array(31), iv: new Uint8Array(12) } }],
    ['long receive iv', { ...material(), receive: { key: new Uint8Array(32), iv: new Uint8Array(13) } }],
    ['missing direction', { keyId: 0, send: material().send } as unknown as DataKeyMaterial],
    [
      'key not bytes',
      { ...material(), send: { key: [1, 2] as unknown as Uint8Array, iv: new Uint8Array(12) } },
    ],
  ])('rejects %s with DATA_KEY_INVALID', (_name, input) => {
    expect(() => createDataKeyMaterial(input)).toThrow(expect.objectContaining({ code: 'DATA_KEY_INVALID' }));
  });

  it('cycles key ids 0..7 and wraps 7 -> 0', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7].map(nextKeyId)).toEqual([1, 2, 3, 4, 5, 6, 7, 0]);
    expect(() => nextKeyId(8)).toThrow(expect.objectContaining({ code: 'DATA_KEY_INVALID' }));
    expect(isValidKeyId(7)).toBe(true);
    expect(isValidKeyId('1')).toBe(false);
  });
});
