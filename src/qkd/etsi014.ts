/**
 * ETSI GS QKD 014 V1.1.1 (2019-02), "REST-based key delivery API": the paths,
 * the JSON shapes, and their strict validation. Pure functions, no I/O; both
 * the client (etsi014-client.ts) and the simulator (kme-handler.ts) use them.
 *
 * The three calls (§5.1), all under `https://{KME}/api/v1/keys/`:
 * | call                    | path                          | GET query       | POST body          |
 * |-------------------------|-------------------------------|-----------------|--------------------|
 * | Get status              | `{slave_SAE_ID}/status`       | —               | —                  |
 * | Get key                 | `{slave_SAE_ID}/enc_keys`     | number, size    | Key request §6.2   |
 * | Get key with key IDs    | `{master_SAE_ID}/dec_keys`    | key_ID          | Key IDs §6.4       |
 *
 * The master SAE (who asks first) calls enc_keys naming the slave; the slave
 * calls dec_keys naming the master. (The spec's own dec_keys example puts the
 * slave's ID there; the normative table of §5.1 names the master, and so do we.)
 *
 * Validation is strict where a mistake would change the key (sizes, base64,
 * IDs) and lenient where it cannot (unknown extra fields are ignored, key IDs
 * need not be UUIDs).
 * @module
 */

import { decodeBase64Canonical } from './base64.js';
import { printable, QkdError, QkdErrorCode } from './errors.js';

// ---------------------------------------------------------------------------
// Specification constants (ETSI GS QKD 014 V1.1.1)
// ---------------------------------------------------------------------------

/** §5.1: every path starts with this. */
export const API_PREFIX = '/api/v1/keys';

export const Etsi014Call = { status: 'status', encKeys: 'enc_keys', decKeys: 'dec_keys' } as const;
export type Etsi014Call = (typeof Etsi014Call)[keyof typeof Etsi014Call];

/** §6.1 Status. */
export interface KmeStatus {
  readonly source_KME_ID: string;
  readonly target_KME_ID: string;
  readonly master_SAE_ID: string;
  readonly slave_SAE_ID: string;
  /** Default key size in bits. */
  readonly key_size: number;
  readonly stored_key_count: number;
  readonly max_key_count: number;
  readonly max_key_per_request: number;
  readonly max_key_size: number;
  readonly min_key_size: number;
  /** 0 when the KME does not support key multicast (additional_slave_SAE_IDs). */
  readonly max_SAE_ID_count: number;
  readonly status_extension?: unknown;
}

/** §6.2 Key request (the enc_keys POST body). Empty optional fields are omitted, not sent empty. */
export interface KeyRequest {
  readonly number?: number;
  readonly size?: number;
  readonly additional_slave_SAE_IDs?: readonly string[];
  readonly extension_mandatory?: readonly unknown[];
  readonly extension_optional?: readonly unknown[];
}

/** §6.4 Key IDs (the dec_keys POST body): an array of OBJECTS `{key_ID}`, not of strings. */
export interface KeyIdsRequest {
  readonly key_IDs: readonly { readonly key_ID: string; readonly key_ID_extension?: unknown }[];
  readonly key_IDs_extension?: unknown;
}

/** One key of a §6.3 Key container, decoded. `key` is secret: wipe it after use. */
export interface DeliveredKey {
  readonly keyId: string;
  readonly key: Uint8Array;
}

/** §6.5 Error. */
export interface KmeErrorBody {
  readonly message: string;
  readonly details?: readonly unknown[];
}

// ---------------------------------------------------------------------------
// Implementation limits
// ---------------------------------------------------------------------------

/** Same rule as the qkd-sae-id directive: it is a URL path segment. */
export const SAE_ID_PATTERN = /^[A-Za-z0-9._~-]{1,255}$/;
/** Longest key ID we accept, in UTF-8 bytes: what the handshake can carry (messages.ts MAX_EXTRA_KEY_ID). */
export const MAX_KEY_ID_BYTES = 1024;
/** Smallest key we accept from a KME: below this the extra secret adds nothing. */
export const MIN_KEY_BITS = 128;
/** Largest key we ask for (the qkd-key-size bound). */
export const MAX_KEY_BITS = 8192;

export function isSaeId(text: string): boolean {
  return SAE_ID_PATTERN.test(text);
}

/** The path of one call for `saeId` (the slave for status/enc_keys, the master for dec_keys). */
export function callPath(call: Etsi014Call, saeId: string): string {
  if (!isSaeId(saeId)) throw new QkdError(QkdErrorCode.config, `'${printable(saeId)}' is not a valid SAE ID`);
  return `${API_PREFIX}/${encodeURIComponent(saeId)}/${call}`;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** A key ID we are willing to use: a non-empty printable string that fits in the handshake. */
export function checkKeyId(keyId: unknown, what: string): string {
  if (typeof keyId !== 'string' || keyId.length === 0) {
    throw new QkdError(QkdErrorCode.malformed, `${what}: key_ID must be a non-empty string`);
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is rejected
  if (/[\u0000-\u001f\u007f]/.test(keyId) || LONE_SURROGATE.test(keyId)) {
    throw new QkdError(QkdErrorCode.badKeyId, `${what}: key_ID contains control characters or bad UTF-16`);
  }
  if (Buffer.byteLength(keyId, 'utf8') > MAX_KEY_ID_BYTES) {
    throw new QkdError(QkdErrorCode.badKeyId, `${what}: key_ID is longer than ${MAX_KEY_ID_BYTES} bytes`);
  }
  return keyId;
}

// ---------------------------------------------------------------------------
// Parsing answers
// ---------------------------------------------------------------------------

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function malformed(what: string, message: string): QkdError {
  return new QkdError(QkdErrorCode.malformed, `${what}: ${message}`);
}

const STATUS_STRINGS = ['source_KME_ID', 'target_KME_ID', 'master_SAE_ID', 'slave_SAE_ID'] as const;
const STATUS_NUMBERS = [
  'key_size',
  'stored_key_count',
  'max_key_count',
  'max_key_per_request',
  'max_key_size',
  'min_key_size',
  'max_SAE_ID_count',
] as const;

/** Validates a §6.1 Status object. */
export function parseStatus(json: unknown, what = 'status'): KmeStatus {
  if (!isObject(json)) throw malformed(what, 'the answer is not a JSON object');
  for (const f of STATUS_STRINGS) {
    if (typeof json[f] !== 'string') throw malformed(what, `${f} must be a string`);
  }
  for (const f of STATUS_NUMBERS) {
    const v = json[f];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
      throw malformed(what, `${f} must be a non-negative integer`);
    }
  }
  return json as unknown as KmeStatus;
}

/**
 * Validates a §6.3 Key container and decodes its keys, checking everything the
 * caller asked for: exactly `expectedIds` (any order; matched by ID, never by
 * position) or exactly `count` keys, no duplicate IDs, every key strict base64
 * of exactly `sizeBits / 8` bytes. On any failure the keys decoded so far are
 * wiped before the error is thrown.
 */
export function parseKeyContainer(
  json: unknown,
  expect: { readonly sizeBits?: number; readonly count?: number; readonly expectedIds?: readonly string[] },
  what = 'key container',
): DeliveredKey[] {
  if (!isObject(json)) throw malformed(what, 'the answer is not a JSON object');
  const keys = json.keys;
  if (!Array.isArray(keys)) throw malformed(what, "'keys' must be an array");
  const out: DeliveredKey[] = [];
  try {
    const seen = new Set<string>();
    for (const [i, entry] of keys.entries()) {
      const at = `${what} keys[${i}]`;
      if (!isObject(entry)) throw malformed(at, 'not an object');
      const keyId = checkKeyId(entry.key_ID, at);
      if (seen.has(keyId)) {
        throw new QkdError(QkdErrorCode.duplicateKeyId, `${at}: key_ID '${printable(keyId)}' appears twice`);
      }
      seen.add(keyId);
      if (typeof entry.key !== 'string') throw malformed(at, "'key' must be a base64 string");
      const key = decodeBase64Canonical(entry.key);
      if (!key) {
        throw new QkdError(
          QkdErrorCode.badBase64,
          `${at}: 'key' is not canonical padded base64 (RFC 4648 §4)`,
        );
      }
      out.push({ keyId, key });
      const bits = key.length * 8;
      if (expect.sizeBits !== undefined ? bits !== expect.sizeBits : bits < MIN_KEY_BITS) {
        throw new QkdError(
          QkdErrorCode.keySize,
          expect.sizeBits !== undefined
            ? `${at}: the key has ${bits} bits, not the ${expect.sizeBits} requested (size is in bits)`
            : `${at}: the key has ${bits} bits, fewer than ${MIN_KEY_BITS}`,
        );
      }
    }
    if (expect.expectedIds) {
      const wanted = new Set(expect.expectedIds);
      const missing = expect.expectedIds.filter((id) => !seen.has(id));
      const extra = [...seen].filter((id) => !wanted.has(id));
      if (missing.length > 0 || extra.length > 0) {
        throw new QkdError(
          QkdErrorCode.keyIdMismatch,
          `${what}: the KME answered other key IDs than requested` +
            (missing.length ? `; missing ${missing.map((id) => `'${printable(id, 80)}'`).join(', ')}` : '') +
            (extra.length ? `; unexpected ${extra.map((id) => `'${printable(id, 80)}'`).join(', ')}` : ''),
        );
      }
    } else if (expect.count !== undefined && out.length !== expect.count) {
      throw new QkdError(
        QkdErrorCode.keyCount,
        `${what}: ${out.length} keys, not the ${expect.count} requested`,
      );
    }
    return out;
  } catch (error) {
    for (const k of out) k.key.fill(0);
    throw error;
  }
}

/** The §6.5 Error object, if `json` is one. */
export function parseErrorBody(json: unknown): KmeErrorBody | undefined {
  if (!isObject(json) || typeof json.message !== 'string') return undefined;
  return Array.isArray(json.details)
    ? { message: json.message, details: json.details }
    : { message: json.message };
}

// ---------------------------------------------------------------------------
// Building requests
// ---------------------------------------------------------------------------

/** The enc_keys POST body: only the fields that carry something. */
export function encKeysBody(request: KeyRequest): KeyRequest {
  const body: { -readonly [K in keyof KeyRequest]: KeyRequest[K] } = {};
  if (request.number !== undefined) body.number = request.number;
  if (request.size !== undefined) body.size = request.size;
  if (request.additional_slave_SAE_IDs?.length)
    body.additional_slave_SAE_IDs = request.additional_slave_SAE_IDs;
  if (request.extension_mandatory?.length) body.extension_mandatory = request.extension_mandatory;
  if (request.extension_optional?.length) body.extension_optional = request.extension_optional;
  return body;
}

/** The dec_keys POST body. */
export function decKeysBody(keyIds: readonly string[]): KeyIdsRequest {
  return { key_IDs: keyIds.map((key_ID) => ({ key_ID })) };
}
