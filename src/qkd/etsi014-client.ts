/**
 * ETSI GS QKD 014 client: Get status, Get key (enc_keys) and Get key with key
 * IDs (dec_keys), over a `KmeTransport` (transport.ts; production: HTTPS with
 * mutual TLS).
 *
 * Requests: POST with `Content-Type: application/json` by default (some KMEs
 * ignore GET query parameters and answer with their defaults), empty optional
 * fields omitted; `method: 'GET'` selects the query-string forms for KMEs that
 * lack POST. `size` is always sent, so the answer can be checked (decoded
 * length × 8 must equal it: some KMEs count bytes or round).
 *
 * Retries (with exponential back-off, `retries` extra attempts):
 * - status: on any retryable failure (connection, timeout, 500/502/503/504);
 * - enc_keys: the same. Not idempotent — a retry after a lost answer makes the
 *   KME hand out fresh keys and the lost ones are simply never used; wasting
 *   key material is acceptable, reusing it is not;
 * - dec_keys: ONLY when the KME cannot have seen the request (connection
 *   refused, unreachable, timed out before TLS finished). Once the KME may have
 *   delivered the keys it will refuse them a second time, so a blind retry could
 *   only turn a transient error into a confusing "unknown key ID". The caller
 *   starts over with a new enc_keys instead.
 *
 * Answers: anything but 200 is a `QkdError` whose code names the status (400,
 * 401, 404, 409, 500, 503, 504, others) and whose message carries the KME's
 * §6.5 `message` when it sent one, or says it sent an HTML page. A 200 must be a
 * JSON Key container (etsi014.ts `parseKeyContainer`: counts, sizes, strict
 * base64, unique IDs, IDs matched by value not position).
 *
 * Secrets: the returned `key` arrays belong to the caller, who wipes them. The
 * raw response body is wiped here after parsing. What cannot be wiped are the
 * JavaScript strings `JSON.parse` makes of the base64 text; they are dropped at
 * once and left to the garbage collector.
 * @module
 */

import { printable, QkdError, QkdErrorCode } from './errors.js';
import {
  callPath,
  type DeliveredKey,
  decKeysBody,
  type Etsi014Call,
  encKeysBody,
  type KmeStatus,
  parseErrorBody,
  parseKeyContainer,
  parseStatus,
} from './etsi014.js';
import type { KmeResponse, KmeTransport } from './transport.js';

export interface Etsi014ClientOptions {
  readonly transport: KmeTransport;
  /** Named in error messages (the qkd-kme URL). */
  readonly kmeName: string;
  /** Per attempt, connection included. Default 5000 ms. */
  readonly timeoutMs?: number;
  /** Extra attempts after a retryable failure. Default 2. */
  readonly retries?: number;
  /** First back-off; doubled each retry. Default 200 ms. */
  readonly backoffMs?: number;
  /** 'POST' (default) or 'GET' forms of enc_keys/dec_keys. */
  readonly method?: 'GET' | 'POST';
  /** Injected for tests. */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** What a key source needs of a KME; `Etsi014Client` implements it, tests may fake it. */
export interface Etsi014Api {
  status(slaveSaeId: string): Promise<KmeStatus>;
  /** enc_keys: `number` keys of `sizeBits` for the slave SAE. */
  getKey(
    slaveSaeId: string,
    request: { readonly number: number; readonly sizeBits: number },
  ): Promise<DeliveredKey[]>;
  /** dec_keys: exactly the keys `keyIds` that the master SAE fetched. `sizeBits`, when given, is checked. */
  getKeyWithKeyIds(
    masterSaeId: string,
    keyIds: readonly string[],
    sizeBits?: number,
  ): Promise<DeliveredKey[]>;
  close(): void;
}

const STATUS_CODE: Readonly<Record<number, QkdErrorCode>> = {
  400: QkdErrorCode.badRequest,
  401: QkdErrorCode.unauthorized,
  404: QkdErrorCode.notFound,
  409: QkdErrorCode.conflict,
  500: QkdErrorCode.kmeError,
  502: QkdErrorCode.kmeError,
  503: QkdErrorCode.unavailable,
  504: QkdErrorCode.gatewayTimeout,
};
const RETRYABLE_STATUS = new Set([500, 502, 503, 504]);

const sleepReal = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class Etsi014Client implements Etsi014Api {
  private readonly transport: KmeTransport;
  private readonly kmeName: string;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly backoffMs: number;
  private readonly method: 'GET' | 'POST';
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(options: Etsi014ClientOptions) {
    this.transport = options.transport;
    this.kmeName = options.kmeName;
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.retries = options.retries ?? 2;
    this.backoffMs = options.backoffMs ?? 200;
    this.method = options.method ?? 'POST';
    this.sleep = options.sleep ?? sleepReal;
  }

  async status(slaveSaeId: string): Promise<KmeStatus> {
    const path = callPath('status', slaveSaeId);
    const json = await this.call('status', 'GET', path, undefined, (e) => e.retryable);
    return parseStatus(json, `KME ${this.kmeName} status`);
  }

  async getKey(
    slaveSaeId: string,
    request: { readonly number: number; readonly sizeBits: number },
  ): Promise<DeliveredKey[]> {
    const { number, sizeBits } = request;
    if (!Number.isSafeInteger(number) || number < 1)
      throw new RangeError('number must be a positive integer');
    if (!Number.isSafeInteger(sizeBits) || sizeBits < 8 || sizeBits % 8 !== 0) {
      throw new RangeError('sizeBits must be a positive multiple of 8');
    }
    const base = callPath('enc_keys', slaveSaeId);
    const [path, body] =
      this.method === 'POST'
        ? [base, encKeysBody({ number, size: sizeBits })]
        : [`${base}?number=${number}&size=${sizeBits}`, undefined];
    const json = await this.call('enc_keys', this.method, path, body, (e) => e.retryable);
    return parseKeyContainer(json, { sizeBits, count: number }, `KME ${this.kmeName} enc_keys`);
  }

  async getKeyWithKeyIds(
    masterSaeId: string,
    keyIds: readonly string[],
    sizeBits?: number,
  ): Promise<DeliveredKey[]> {
    if (keyIds.length === 0) throw new RangeError('ask for at least one key ID');
    if (new Set(keyIds).size !== keyIds.length) {
      throw new QkdError(QkdErrorCode.duplicateKeyId, 'the same key ID is asked for twice in one dec_keys');
    }
    const base = callPath('dec_keys', masterSaeId);
    let path = base;
    let body: unknown;
    if (this.method === 'POST') body = decKeysBody(keyIds);
    else if (keyIds.length === 1) path = `${base}?key_ID=${encodeURIComponent(keyIds[0]!)}`;
    else throw new QkdError(QkdErrorCode.config, 'the GET form of dec_keys takes one key ID; use POST');
    // Never resend once the KME may have seen the request: it would refuse the now-delivered keys.
    const json = await this.call('dec_keys', this.method, path, body, (e) => e.beforeRequest && e.retryable);
    return parseKeyContainer(
      json,
      sizeBits === undefined ? { expectedIds: keyIds } : { expectedIds: keyIds, sizeBits },
      `KME ${this.kmeName} dec_keys`,
    );
  }

  close(): void {
    this.transport.close();
  }

  /** One call with retries; returns the parsed JSON of a 200 answer. */
  private async call(
    call: Etsi014Call,
    method: 'GET' | 'POST',
    path: string,
    body: unknown,
    mayRetry: (e: QkdError) => boolean,
  ): Promise<unknown> {
    const bytes = body === undefined ? undefined : new TextEncoder().encode(JSON.stringify(body));
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await this.transport.request({
          method,
          path,
          timeoutMs: this.timeoutMs,
          ...(bytes ? { body: bytes } : {}),
        });
        return this.answer(call, res);
      } catch (error) {
        if (!(error instanceof QkdError)) throw error;
        if (attempt >= this.retries || !mayRetry(error)) throw error;
        await this.sleep(this.backoffMs * 2 ** attempt);
      }
    }
  }

  private answer(call: Etsi014Call, res: KmeResponse): unknown {
    const what = `KME ${this.kmeName} ${call}`;
    try {
      const text = decodeUtf8(res.body);
      const html = /html/i.test(res.contentType ?? '') || /^\s*</.test(text ?? '');
      let json: unknown;
      let parsed = false;
      if (text !== undefined && !html) {
        try {
          json = JSON.parse(text);
          parsed = true;
        } catch {
          parsed = false;
        }
      }
      if (res.status !== 200) {
        const code = STATUS_CODE[res.status] ?? QkdErrorCode.httpStatus;
        const err = parsed ? parseErrorBody(json) : undefined;
        const said = err
          ? `: ${printable(err.message)}`
          : html
            ? ' (an HTML page, not an ETSI 014 error object)'
            : res.body.length > 0
              ? ' (not an ETSI 014 error object)'
              : '';
        return failWith(
          new QkdError(code, `${what}: HTTP ${res.status}${said}`, {
            status: res.status,
            retryable: RETRYABLE_STATUS.has(res.status),
          }),
        );
      }
      if (!parsed) {
        const jsonType = /json/i.test(res.contentType ?? '');
        return failWith(
          html || !jsonType
            ? new QkdError(
                QkdErrorCode.notJson,
                `${what}: the answer is ${html ? 'an HTML page' : `not JSON (${printable(res.contentType ?? 'no content type', 60)})`}`,
                { status: 200 },
              )
            : new QkdError(QkdErrorCode.malformed, `${what}: the answer is not valid JSON`, { status: 200 }),
        );
      }
      return json;
    } finally {
      res.body.fill(0);
    }
  }
}

function failWith(error: QkdError): never {
  throw error;
}

function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}
