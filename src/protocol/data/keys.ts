/**
 * Data-channel key material: what the handshake hands to the data channel.
 *
 * One `DataKeyMaterial` per key id (0–7) holds the AES-256-GCM key and the
 * 12-byte IV for each direction, from this endpoint's point of view: `send`
 * protects what we send, `receive` opens what the peer sends. The client's
 * `send` is the server's `receive` and vice versa; the key schedule derives the
 * two directions with different labels (docs/PROTOCOL.md, key schedule), so the
 * same key is never used by both sides.
 *
 * Contracts:
 * - `createDataKeyMaterial` validates lengths and the key id, **copies** the
 *   bytes (the caller may wipe its own copies afterwards) and returns a frozen
 *   object that prints as `<redacted>` through `toString`, `JSON.stringify` and
 *   `util.inspect`/`console.log`, so a stray log line cannot leak a key.
 * - The redaction methods are non-enumerable, so the object survives
 *   `structuredClone`/`postMessage` (a handshake running in a worker thread
 *   posts its keys to the main thread) as plain data; the receiving side passes
 *   the clone through `createDataKeyMaterial` again to re-validate and re-redact.
 * - `wipeDataKeyMaterial` zeroes every byte in place. The data channel calls it
 *   when a key retires; whoever else holds a copy wipes their own.
 * @module
 */

import { inspect } from 'node:util';
import { DataChannelError } from './errors.js';

/** AES-256-GCM key length in bytes. */
export const DATA_KEY_LENGTH = 32;
/** Per-direction IV length in bytes (the AES-GCM nonce length). */
export const DATA_IV_LENGTH = 12;
/** Key ids are 3 bits: 0..7, as OpenVPN's. */
export const KEY_ID_COUNT = 8;

/** One direction's key and IV. */
export interface DirectionKey {
  readonly key: Uint8Array;
  readonly iv: Uint8Array;
}

/** Everything the data channel needs for one key id. */
export interface DataKeyMaterial {
  /** 0..7; the first handshake uses 0, each rekey (previous + 1) mod 8. */
  readonly keyId: number;
  readonly send: DirectionKey;
  readonly receive: DirectionKey;
}

export function isValidKeyId(keyId: unknown): keyId is number {
  return typeof keyId === 'number' && Number.isInteger(keyId) && keyId >= 0 && keyId < KEY_ID_COUNT;
}

/** The key id a rekey after `keyId` uses: (keyId + 1) mod 8. */
export function nextKeyId(keyId: number): number {
  if (!isValidKeyId(keyId))
    throw new DataChannelError('DATA_KEY_INVALID', `key id must be 0..7, got ${keyId}`);
  return (keyId + 1) % KEY_ID_COUNT;
}

/**
 * Validate, copy and redact key material. Accepts a previously created object or
 * a structured clone of one (plain data), so it is also the way to re-import
 * keys posted from a worker thread.
 */
export function createDataKeyMaterial(input: DataKeyMaterial): DataKeyMaterial {
  if (!isValidKeyId(input.keyId)) {
    throw new DataChannelError(
      'DATA_KEY_INVALID',
      `key id must be an integer 0..7, got ${String(input.keyId)}`,
    );
  }
  const material = {
    keyId: input.keyId,
    send: copyDirection(input.send, 'send'),
    receive: copyDirection(input.receive, 'receive'),
  };
  redact(material, `DataKeyMaterial keyId=${material.keyId}`);
  return Object.freeze(material);
}

/** Zero every key and IV byte in place. Idempotent. */
export function wipeDataKeyMaterial(material: DataKeyMaterial): void {
  material.send.key.fill(0);
  material.send.iv.fill(0);
  material.receive.key.fill(0);
  material.receive.iv.fill(0);
}

function copyDirection(direction: DirectionKey | undefined, name: string): DirectionKey {
  if (direction === undefined || direction === null || typeof direction !== 'object') {
    throw new DataChannelError('DATA_KEY_INVALID', `${name}: missing key and iv`);
  }
  checkBytes(direction.key, DATA_KEY_LENGTH, `${name}.key`);
  checkBytes(direction.iv, DATA_IV_LENGTH, `${name}.iv`);
  const copy = { key: Uint8Array.from(direction.key), iv: Uint8Array.from(direction.iv) };
  redact(copy, 'DirectionKey');
  return Object.freeze(copy);
}

function checkBytes(value: unknown, length: number, name: string): void {
  if (!(value instanceof Uint8Array))
    throw new DataChannelError('DATA_KEY_INVALID', `${name} must be a Uint8Array`);
  if (value.length !== length) {
    throw new DataChannelError('DATA_KEY_INVALID', `${name} must be ${length} bytes, got ${value.length}`);
  }
}

/** Non-enumerable printers: invisible to structuredClone and Object.keys. */
function redact(target: object, label: string): void {
  const text = `<redacted ${label}>`;
  const print = () => text;
  Object.defineProperty(target, 'toString', { value: print, enumerable: false });
  Object.defineProperty(target, 'toJSON', { value: print, enumerable: false });
  Object.defineProperty(target, inspect.custom, { value: print, enumerable: false });
}
