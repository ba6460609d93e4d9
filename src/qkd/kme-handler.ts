/**
 * A pair of simulated KMEs as a pure request handler: the ETSI GS QKD 014
 * server side, without sockets (kme-sim.ts puts it behind two HTTPS ports).
 *
 * Two KMEs, A and B, each serve one SAE and share one `KeyPool`. An SAE asks its
 * own KME (it is identified by its TLS client certificate's CN):
 * - `enc_keys` naming the other SAE as slave: the bits are taken from the pool
 *   (503 when it runs dry), fresh random keys with random UUID key IDs are
 *   returned to the caller (the master) and kept for the slave;
 * - `dec_keys` naming the other SAE as master: the keys kept for the caller
 *   under those IDs are returned and forgotten (wiped). Every key is delivered
 *   once: an unknown, already delivered, or someone else's key ID is a 400
 *   whose `details` names the ID, as §6.5 describes; nothing is delivered
 *   unless every requested ID is valid;
 * - `status`: the §6.1 fields, `stored_key_count` from the pool.
 *
 * Both SAEs may be master: pqvpn's peers each start rekeys. Undelivered keys
 * are held up to `maxPendingKeys`; beyond that the oldest are dropped (as a KME
 * whose storage is full), so a master that never finds its slave cannot grow
 * memory without bound.
 *
 * Every answer is a status and a JSON value; failures use the §6.5 error
 * object `{message, details}`. Sans-I/O: `now` and randomness are injected.
 * @module
 */

import { encodeBase64 } from './base64.js';
import { API_PREFIX, isSaeId, type KmeStatus, MAX_KEY_BITS } from './etsi014.js';
import type { KeyPool } from './kme-pool.js';

export interface SimulatedKme {
  readonly kmeId: string;
  /** The one SAE this KME serves (its client certificate's CN). */
  readonly saeId: string;
}

export interface KmePairOptions {
  readonly a: SimulatedKme;
  readonly b: SimulatedKme;
  readonly pool: KeyPool;
  /** Key size when a request names none. Default 256. */
  readonly defaultKeySize?: number;
  readonly minKeySize?: number;
  readonly maxKeySize?: number;
  readonly maxKeysPerRequest?: number;
  readonly maxPendingKeys?: number;
  readonly randomBytes: (n: number) => Uint8Array;
  readonly randomUuid: () => string;
}

export interface KmeRequestIn {
  /** CN of the verified client certificate. */
  readonly callerSaeId: string | undefined;
  readonly method: string;
  /** Path and query as received. */
  readonly url: string;
  readonly contentType: string | undefined;
  readonly body: Uint8Array;
}

export interface KmeAnswer {
  readonly status: number;
  readonly json: unknown;
  /** One line for the simulator's log (key IDs, never keys). */
  readonly log: string;
}

interface PendingKey {
  readonly master: string;
  readonly slave: string;
  readonly key: Uint8Array;
}

class Reject {
  readonly status: number;
  readonly message: string;
  readonly details: readonly unknown[] | undefined;
  constructor(status: number, message: string, details?: readonly unknown[]) {
    this.status = status;
    this.message = message;
    this.details = details;
  }
}

export class KmePair {
  private readonly kmes: readonly [SimulatedKme, SimulatedKme];
  readonly pool: KeyPool;
  private readonly defaultKeySize: number;
  private readonly minKeySize: number;
  private readonly maxKeySize: number;
  private readonly maxKeysPerRequest: number;
  private readonly maxPendingKeys: number;
  private readonly randomBytes: (n: number) => Uint8Array;
  private readonly randomUuid: () => string;
  /** Keys handed to a master and not yet to its slave, oldest first. */
  private readonly pending = new Map<string, PendingKey>();
  /** Counters for the status line and tests. */
  readonly stats = { keysIssued: 0, keysDelivered: 0, keysDropped: 0, starved: 0 };

  constructor(options: KmePairOptions) {
    if (options.a.saeId === options.b.saeId) throw new RangeError('the two SAE IDs must differ');
    for (const k of [options.a, options.b]) {
      if (!isSaeId(k.saeId)) throw new RangeError(`'${k.saeId}' is not a valid SAE ID`);
    }
    this.kmes = [options.a, options.b];
    this.pool = options.pool;
    this.defaultKeySize = options.defaultKeySize ?? 256;
    this.minKeySize = options.minKeySize ?? 64;
    this.maxKeySize = options.maxKeySize ?? MAX_KEY_BITS;
    this.maxKeysPerRequest = options.maxKeysPerRequest ?? 128;
    this.maxPendingKeys = options.maxPendingKeys ?? 4096;
    this.randomBytes = options.randomBytes;
    this.randomUuid = options.randomUuid;
  }

  /** Keys issued to a master and not yet fetched by its slave. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** Forgets every pending key (shutdown). */
  wipe(): void {
    for (const p of this.pending.values()) p.key.fill(0);
    this.pending.clear();
  }

  /** Answers one request arriving at KME `which` (0 = A, 1 = B). */
  handle(which: 0 | 1, req: KmeRequestIn, now: number): KmeAnswer {
    const self = this.kmes[which];
    const other = this.kmes[which === 0 ? 1 : 0];
    const head = `${self.kmeId} ${req.method} ${req.url.split('?')[0]}`;
    try {
      if (req.callerSaeId !== self.saeId) {
        throw new Reject(401, 'Unauthorized', [
          { reason: `this KME serves SAE '${self.saeId}'; the client certificate does not name it` },
        ]);
      }
      const { call, saeId, query } = route(req.url);
      if (saeId !== other.saeId) {
        throw new Reject(400, 'Bad request format', [{ reason: `unknown SAE ID '${saeId}'` }]);
      }
      switch (call) {
        case 'status':
          if (req.method !== 'GET') throw new Reject(405, 'Method not allowed');
          return { status: 200, json: this.status(self, other, now), log: `${head}: ok` };
        case 'enc_keys': {
          const { number, size } = req.method === 'GET' ? encQuery(query) : encBody(parseJson(req));
          return this.encKeys(self, other, number ?? 1, size ?? this.defaultKeySize, now, head);
        }
        case 'dec_keys': {
          const ids = req.method === 'GET' ? decQuery(query) : decBody(parseJson(req));
          return this.decKeys(self, other, ids, head);
        }
        default:
          throw new Reject(404, 'Not found');
      }
    } catch (error) {
      if (!(error instanceof Reject)) throw error;
      const json = error.details
        ? { message: error.message, details: error.details }
        : { message: error.message };
      return { status: error.status, json, log: `${head}: ${error.status} ${error.message}` };
    }
  }

  private status(self: SimulatedKme, other: SimulatedKme, now: number): KmeStatus {
    return {
      source_KME_ID: self.kmeId,
      target_KME_ID: other.kmeId,
      master_SAE_ID: self.saeId,
      slave_SAE_ID: other.saeId,
      key_size: this.defaultKeySize,
      stored_key_count: Math.floor(this.pool.available(now) / this.defaultKeySize),
      max_key_count: Math.floor(this.pool.capacityBits / this.defaultKeySize),
      max_key_per_request: this.maxKeysPerRequest,
      max_key_size: this.maxKeySize,
      min_key_size: this.minKeySize,
      max_SAE_ID_count: 0,
    };
  }

  private encKeys(
    self: SimulatedKme,
    other: SimulatedKme,
    number: number,
    size: number,
    now: number,
    head: string,
  ): KmeAnswer {
    if (number < 1 || number > this.maxKeysPerRequest) {
      throw new Reject(400, 'Bad request format', [
        { reason: `number must be 1 to ${this.maxKeysPerRequest}, not ${number}` },
      ]);
    }
    if (size % 8 !== 0 || size < this.minKeySize || size > this.maxKeySize) {
      throw new Reject(400, 'Bad request format', [
        {
          reason: `size must be a multiple of 8 from ${this.minKeySize} to ${this.maxKeySize} bits, not ${size}`,
        },
      ]);
    }
    if (!this.pool.take(number * size, now)) {
      this.stats.starved++;
      throw new Reject(503, 'Insufficient key material', [
        { reason: `${number * size} bits requested, ${this.pool.available(now)} available` },
      ]);
    }
    const keys: { key_ID: string; key: string }[] = [];
    for (let i = 0; i < number; i++) {
      const key = this.randomBytes(size / 8);
      const id = this.randomUuid();
      this.pending.set(id, { master: self.saeId, slave: other.saeId, key: Uint8Array.from(key) });
      keys.push({ key_ID: id, key: encodeBase64(key) });
      key.fill(0);
    }
    this.stats.keysIssued += number;
    while (this.pending.size > this.maxPendingKeys) {
      const [oldest, p] = this.pending.entries().next().value as [string, PendingKey];
      p.key.fill(0);
      this.pending.delete(oldest);
      this.stats.keysDropped++;
    }
    return {
      status: 200,
      json: { keys },
      log: `${head}: ${number}×${size} bits, key IDs ${keys.map((k) => k.key_ID).join(' ')}`,
    };
  }

  private decKeys(self: SimulatedKme, other: SimulatedKme, ids: readonly string[], head: string): KmeAnswer {
    if (ids.length === 0 || ids.length > this.maxKeysPerRequest) {
      throw new Reject(400, 'Bad request format', [
        { reason: `ask for 1 to ${this.maxKeysPerRequest} key IDs` },
      ]);
    }
    if (new Set(ids).size !== ids.length) {
      throw new Reject(400, 'Bad request format', [{ reason: 'a key ID is listed twice' }]);
    }
    const bad = ids.filter((id) => {
      const p = this.pending.get(id);
      return !p || p.master !== other.saeId || p.slave !== self.saeId;
    });
    if (bad.length > 0) {
      throw new Reject(
        400,
        'Key not found',
        bad.map((key_ID) => ({ key_ID, reason: 'unknown, already delivered, or not shared with this SAE' })),
      );
    }
    const keys = ids.map((id) => {
      const p = this.pending.get(id)!;
      this.pending.delete(id);
      const key = encodeBase64(p.key);
      p.key.fill(0);
      return { key_ID: id, key };
    });
    this.stats.keysDelivered += keys.length;
    return { status: 200, json: { keys }, log: `${head}: delivered key IDs ${ids.join(' ')}` };
  }
}

function route(url: string): { call: string; saeId: string; query: URLSearchParams } {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const query = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
  if (!path.startsWith(`${API_PREFIX}/`)) throw new Reject(404, 'Not found');
  const parts = path.slice(API_PREFIX.length + 1).split('/');
  if (parts.length !== 2) throw new Reject(404, 'Not found');
  let saeId: string;
  try {
    saeId = decodeURIComponent(parts[0]!);
  } catch {
    throw new Reject(400, 'Bad request format', [{ reason: 'bad percent-encoding in the SAE ID' }]);
  }
  return { call: parts[1]!, saeId, query };
}

function parseJson(req: KmeRequestIn): Record<string, unknown> {
  if (req.method !== 'POST') throw new Reject(405, 'Method not allowed');
  if (!/^application\/json\b/i.test(req.contentType ?? '')) {
    throw new Reject(400, 'Bad request format', [{ reason: 'POST bodies must be application/json' }]);
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(req.body));
  } catch {
    throw new Reject(400, 'Bad request format', [{ reason: 'the body is not valid JSON' }]);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new Reject(400, 'Bad request format', [{ reason: 'the body must be a JSON object' }]);
  }
  return json as Record<string, unknown>;
}

function integer(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = typeof value === 'string' && /^[0-9]{1,9}$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n)) {
    throw new Reject(400, 'Bad request format', [{ reason: `${name} must be an integer` }]);
  }
  return n;
}

function encQuery(query: URLSearchParams): { number: number | undefined; size: number | undefined } {
  return {
    number: integer(query.get('number') ?? undefined, 'number'),
    size: integer(query.get('size') ?? undefined, 'size'),
  };
}

function encBody(body: Record<string, unknown>): { number: number | undefined; size: number | undefined } {
  for (const [field, reason] of [
    ['additional_slave_SAE_IDs', 'key multicast is not supported (max_SAE_ID_count 0)'],
    ['extension_mandatory', 'no mandatory extension is supported'],
  ] as const) {
    const v = body[field];
    if (v !== undefined && (!Array.isArray(v) || v.length > 0))
      throw new Reject(400, 'Bad request format', [{ reason }]);
  }
  if (typeof body.number === 'string' || typeof body.size === 'string') {
    throw new Reject(400, 'Bad request format', [{ reason: 'number and size are JSON integers' }]);
  }
  return { number: integer(body.number, 'number'), size: integer(body.size, 'size') };
}

function decQuery(query: URLSearchParams): string[] {
  const ids = query.getAll('key_ID');
  if (ids.length !== 1) throw new Reject(400, 'Bad request format', [{ reason: 'give exactly one key_ID' }]);
  return ids;
}

function decBody(body: Record<string, unknown>): string[] {
  const list = body.key_IDs;
  if (!Array.isArray(list))
    throw new Reject(400, 'Bad request format', [{ reason: 'key_IDs must be an array' }]);
  return list.map((entry) => {
    if (
      typeof entry !== 'object' ||
      entry === null ||
      typeof (entry as { key_ID?: unknown }).key_ID !== 'string'
    ) {
      throw new Reject(400, 'Bad request format', [
        { reason: 'key_IDs must be an array of objects {"key_ID": "..."}, not of strings' },
      ]);
    }
    return (entry as { key_ID: string }).key_ID;
  });
}
