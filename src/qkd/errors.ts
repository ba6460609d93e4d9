/**
 * Errors of the QKD key path, one stable `code` per way a KME exchange can fail.
 *
 * Callers (the tunnel driver, tests, the CLI) match on `code`, never on message
 * text. Messages name what went wrong and where (the KME URL, the call, the HTTP
 * status, the KME's own `message` when it sent one) but never contain key
 * material: a key only exists as bytes that are wiped, never as part of an error.
 *
 * `retryable` says whether sending the same request again might succeed (a
 * connection refused, a 503); it does NOT say whether retrying is safe — that
 * depends on the call (see etsi014-client.ts: dec_keys is never retried once
 * the KME may have seen the request).
 * @module
 */

import { PqvpnError } from '../errors.js';

export const QkdErrorCode = {
  /** 400: the KME says the request was malformed (or, per ETSI 014, an unknown key ID / SAE). */
  badRequest: 'QKD_BAD_REQUEST',
  /** 401: the KME does not accept this SAE for this call. */
  unauthorized: 'QKD_UNAUTHORIZED',
  /** 404: wrong path, or a KME that reports unknown key IDs this way. */
  notFound: 'QKD_NOT_FOUND',
  /** 409: the KME reports a conflict (e.g. a key ID already delivered). */
  conflict: 'QKD_CONFLICT',
  /** 500 and other 5xx the spec does not name. */
  kmeError: 'QKD_KME_ERROR',
  /** 503: the KME cannot serve now (ETSI 014 "error on server side"; simulators: key pool empty). */
  unavailable: 'QKD_UNAVAILABLE',
  /** 504: a gateway in front of the KME timed out. */
  gatewayTimeout: 'QKD_GATEWAY_TIMEOUT',
  /** Any other unexpected HTTP status (3xx, 405, 413, …). */
  httpStatus: 'QKD_HTTP_STATUS',
  /** The body is not JSON (an HTML error page, plain text). */
  notJson: 'QKD_NOT_JSON',
  /** JSON, but not the shape ETSI 014 defines (missing/mistyped fields, too large). */
  malformed: 'QKD_MALFORMED_RESPONSE',
  /** A `key` field is not strict, canonical, padded standard base64. */
  badBase64: 'QKD_BAD_BASE64',
  /** A key's decoded length × 8 is not the size requested (KMEs that count bytes, or round). */
  keySize: 'QKD_KEY_SIZE',
  /** Fewer or more keys than requested. */
  keyCount: 'QKD_KEY_COUNT',
  /** The same key ID twice in one answer. */
  duplicateKeyId: 'QKD_DUPLICATE_KEY_ID',
  /** dec_keys answered with key IDs other than the ones asked for. */
  keyIdMismatch: 'QKD_KEY_ID_MISMATCH',
  /** A key ID that was already used once (never request or accept a key twice). */
  keyIdReused: 'QKD_KEY_ID_REUSED',
  /** A key ID that cannot be used: empty, too long for the handshake, control characters, bad UTF-8. */
  badKeyId: 'QKD_BAD_KEY_ID',
  /** The peer names an initiator SAE other than the configured qkd-peer-sae-id. */
  peerMismatch: 'QKD_PEER_MISMATCH',
  /** TCP connection to the KME failed (refused, unreachable, reset before an answer). */
  connect: 'QKD_CONNECT_FAILED',
  /** TLS failed: untrusted KME certificate, or the KME rejected our client certificate. */
  tls: 'QKD_TLS_FAILED',
  /** The KME's certificate is valid but does not name the host in qkd-kme. */
  kmeName: 'QKD_KME_NAME_MISMATCH',
  /** No answer within the timeout. */
  timeout: 'QKD_TIMEOUT',
  /** The QKD settings themselves are unusable (unreadable certificate, bad URL, bad SAE ID). */
  config: 'QKD_CONFIG',
  /** The key source was closed. */
  closed: 'QKD_CLOSED',
} as const;

export type QkdErrorCode = (typeof QkdErrorCode)[keyof typeof QkdErrorCode];

export interface QkdErrorDetails {
  /** HTTP status when the KME answered. */
  readonly status?: number;
  /** Sending the same request again might succeed. */
  readonly retryable?: boolean;
  /** The TCP/TLS stage had not finished: the KME cannot have seen the request. */
  readonly beforeRequest?: boolean;
  readonly cause?: unknown;
}

export class QkdError extends PqvpnError {
  declare readonly code: QkdErrorCode;
  readonly status: number | undefined;
  readonly retryable: boolean;
  readonly beforeRequest: boolean;
  constructor(code: QkdErrorCode, message: string, details: QkdErrorDetails = {}) {
    super(code, message, details.cause === undefined ? undefined : { cause: details.cause });
    this.status = details.status;
    this.retryable = details.retryable ?? false;
    this.beforeRequest = details.beforeRequest ?? false;
  }
}

/** Makes untrusted text (a KME's error message, a key ID) safe to put in one log line. */
export function printable(text: string, max = 200): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}
