/**
 * JSON forms of handshake messages for the vector files: byte strings as lowercase hex, everything else
 * as is. `messageToJson` and `messageFromJson` are exact inverses for every message type.
 * @module
 */

import type { HandshakeMessage } from '../../../src/protocol/handshake/messages.js';
import { hex, unhex } from './fixtures.js';

/** Field names whose values are byte strings (hex in JSON). `chain` is a list of them. */
const BYTE_FIELDS = new Set([
  'sessionId',
  'random',
  'keyShare',
  'kemCipherText',
  'keyCheck',
  'extensions',
  'verifyData',
  'signature',
  'password',
  'keyId',
]);

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

function toJson(key: string, v: unknown): Json {
  if (v instanceof Uint8Array) return hex(v);
  if (Array.isArray(v)) return v.map((x) => toJson(key, x));
  if (v !== null && typeof v === 'object') {
    const out: { [k: string]: Json } = {};
    for (const [k, x] of Object.entries(v)) out[k] = toJson(k, x);
    return out;
  }
  return v as Json;
}

function fromJson(key: string, v: Json): unknown {
  if (typeof v === 'string' && (BYTE_FIELDS.has(key) || key === 'chain')) return unhex(v);
  if (Array.isArray(v)) return v.map((x) => fromJson(key, x));
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = fromJson(k, x);
    return out;
  }
  return v;
}

export function messageToJson(m: HandshakeMessage): Json {
  return toJson('', m);
}

export function messageFromJson(j: Json): HandshakeMessage {
  return fromJson('', j) as HandshakeMessage;
}
