/**
 * How the ETSI 014 client reaches a KME: one small interface (`KmeTransport`)
 * and its production implementation over node:https with mutual TLS.
 *
 * The client logic (etsi014-client.ts) only sees `KmeTransport`, so tests can
 * swap the transport for a double; the tests in test/qkd nevertheless run the
 * real one against real HTTPS servers on 127.0.0.1.
 *
 * TLS: the KME's certificate must chain to `ca` (only that CA: the system store
 * is not used) and name the host of the KME URL (DNS name or IP address in
 * subjectAltName, checked by Node's `tls.checkServerIdentity`); we present the
 * SAE's `cert`/`key`. A KME that rejects our certificate does so inside the TLS
 * handshake (an alert, or a closed connection), never with an HTTP 401: both are
 * reported as `QKD_TLS_FAILED`.
 *
 * Every failure becomes a `QkdError` with `beforeRequest` telling whether the
 * KME can have seen the request: only errors before the TLS handshake completed
 * (refused, unreachable, timed out while connecting) are `beforeRequest`. The
 * client uses that to decide whether a dec_keys may be sent again.
 *
 * No keep-alive: a reused connection the KME closed meanwhile would fail after
 * the request was written, which for dec_keys is unrecoverable. TLS sessions are
 * still resumed through the agent's session cache, so a new connection is cheap.
 * @module
 */

import { Agent, request } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { printable, QkdError, QkdErrorCode } from './errors.js';

export interface KmeRequest {
  readonly method: 'GET' | 'POST';
  /** Path and query, e.g. `/api/v1/keys/sae-b/enc_keys?number=1`. Appended to the base URL's path. */
  readonly path: string;
  /** JSON body (POST). */
  readonly body?: Uint8Array;
  /** Deadline for the whole exchange, connection included. */
  readonly timeoutMs: number;
}

export interface KmeResponse {
  readonly status: number;
  readonly contentType: string | undefined;
  /** The raw body; the caller wipes it once parsed (it may hold base64 keys). */
  readonly body: Uint8Array;
}

export interface KmeTransport {
  /** Performs one exchange. Rejects only with `QkdError` (connect, TLS, name, timeout, too large). */
  request(req: KmeRequest): Promise<KmeResponse>;
  /** Releases cached TLS sessions and sockets. */
  close(): void;
}

export interface HttpsTransportOptions {
  /** Base URL of the KME, https, without query (the qkd-kme directive). */
  readonly baseUrl: string;
  /** PEM CA certificate(s) that issued the KME's certificate. */
  readonly ca: string;
  /** PEM client certificate of this SAE (chain allowed). */
  readonly cert: string;
  /** PEM private key of `cert`. */
  readonly key: string;
  /** Largest body accepted; a larger answer is `QKD_MALFORMED_RESPONSE`. Default 1 MiB. */
  readonly maxBodyBytes?: number;
}

const DEFAULT_MAX_BODY = 1 << 20;

/** OpenSSL certificate-verification results Node reports as `error.code`. */
const VERIFY_CODES = new Set([
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'CERT_SIGNATURE_FAILURE',
  'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'CERT_CHAIN_TOO_LONG',
  'CERT_REVOKED',
  'INVALID_CA',
  'INVALID_PURPOSE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
]);

const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EADDRNOTAVAIL',
]);

/** Parses and checks a KME base URL. */
export function parseKmeUrl(baseUrl: string): URL {
  const url = URL.canParse(baseUrl) ? new URL(baseUrl) : undefined;
  if (url?.protocol !== 'https:' || url.username || url.password || url.search || url.hash) {
    throw new QkdError(
      QkdErrorCode.config,
      `'${printable(baseUrl)}' is not a usable KME URL (https, no credentials, no query)`,
    );
  }
  return url;
}

export function httpsTransport(options: HttpsTransportOptions): KmeTransport {
  const base = parseKmeUrl(options.baseUrl);
  const host = base.hostname.replace(/^\[|\]$/g, '');
  const port = base.port ? Number(base.port) : 443;
  // A base with a path prefix (https://kme/prefix) keeps it; a trailing slash is dropped.
  const prefix = base.pathname.replace(/\/+$/, '');
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY;
  const where = `KME ${base.origin}`;
  const agent = new Agent({
    keepAlive: false,
    ca: options.ca,
    cert: options.cert,
    key: options.key,
    rejectUnauthorized: true,
    minVersion: 'TLSv1.2',
  });

  function exchange(req: KmeRequest): Promise<KmeResponse> {
    return new Promise<KmeResponse>((resolve, reject) => {
      let tlsDone = false;
      let settled = false;
      const chunks: Buffer[] = [];
      const wipeChunks = () => {
        for (const c of chunks) c.fill(0);
        chunks.length = 0;
      };
      const fail = (error: QkdError) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        wipeChunks();
        reject(error);
        r.destroy();
      };
      const headers: Record<string, string | number> = { accept: 'application/json' };
      if (req.body) {
        headers['content-type'] = 'application/json';
        headers['content-length'] = req.body.byteLength;
      }
      const r = request({
        agent,
        host,
        port,
        method: req.method,
        path: `${prefix}${req.path}`,
        headers,
      });
      const timer = setTimeout(() => {
        fail(
          new QkdError(QkdErrorCode.timeout, `${where}: no answer within ${req.timeoutMs} ms`, {
            retryable: true,
            beforeRequest: !tlsDone,
          }),
        );
      }, req.timeoutMs);
      // TLS 1.3 clients finish their handshake before the server has checked their certificate. A server
      // that then rejects it may just close the connection (Node does) instead of sending an alert. What
      // tells it apart from a KME that crashed mid-request: an accepting server sends session tickets
      // right after the handshake, before any answer; a rejecting one sends nothing. (A KME that resets the
      // connection in the instant after the handshake, before its tickets arrive, looks like a refusal too.)
      let rejectedLooking = false;
      r.on('socket', (socket) => {
        const tls = socket as TLSSocket;
        const onSecure = () => {
          tlsDone = true;
          rejectedLooking = tls.getProtocol() === 'TLSv1.3' && !tls.isSessionReused();
        };
        tls.on('session', () => (rejectedLooking = false));
        if (!tls.connecting && tls.encrypted) onSecure();
        else tls.once('secureConnect', onSecure);
      });
      r.on('error', (error) => fail(classify(error, tlsDone, where, rejectedLooking)));
      r.on('response', (res) => {
        rejectedLooking = false;
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          chunks.push(chunk);
          if (size > maxBody) {
            fail(
              new QkdError(QkdErrorCode.malformed, `${where}: the answer is larger than ${maxBody} bytes`),
            );
          }
        });
        res.on('error', (error) => fail(classify(error, true, where)));
        res.on('close', () => {
          if (!res.complete) {
            fail(
              new QkdError(QkdErrorCode.connect, `${where}: the connection closed mid-answer`, {
                retryable: true,
              }),
            );
          }
        });
        res.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          const body = new Uint8Array(size);
          let o = 0;
          for (const c of chunks) {
            body.set(c, o);
            o += c.length;
          }
          wipeChunks();
          const type = res.headers['content-type'];
          resolve({ status: res.statusCode ?? 0, contentType: type, body });
        });
      });
      r.end(req.body ? Buffer.from(req.body.buffer, req.body.byteOffset, req.body.byteLength) : undefined);
    });
  }

  return {
    request: exchange,
    close: () => agent.destroy(),
  };
}

/**
 * Maps a Node socket/TLS error to a QkdError. `tlsDone`: the TLS handshake had completed.
 * `silentAfterTls13`: a TLS 1.3 handshake completed but the server sent neither a session ticket nor
 * an answer (see above), so a reset now most likely means our certificate was refused.
 */
export function classify(
  error: unknown,
  tlsDone: boolean,
  where: string,
  silentAfterTls13 = false,
): QkdError {
  if (error instanceof QkdError) return error;
  const e = error as NodeJS.ErrnoException;
  const code = typeof e?.code === 'string' ? e.code : '';
  const text = printable(e instanceof Error ? e.message : String(error));
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return new QkdError(QkdErrorCode.kmeName, `${where}: its certificate does not name this host (${text})`, {
      cause: error,
    });
  }
  if (
    code.startsWith('ERR_SSL_') ||
    code.startsWith('ERR_TLS_') ||
    VERIFY_CODES.has(code) ||
    code === 'EPROTO'
  ) {
    const hint = /alert|certificate required/i.test(text)
      ? ' (the KME rejected our client certificate?)'
      : '';
    return new QkdError(QkdErrorCode.tls, `${where}: TLS failed: ${text}${hint}`, { cause: error });
  }
  if (CONNECT_CODES.has(code)) {
    return new QkdError(QkdErrorCode.connect, `${where}: cannot connect: ${text}`, {
      cause: error,
      retryable: true,
      beforeRequest: true,
    });
  }
  if (silentAfterTls13 && (code === 'ECONNRESET' || code === 'EPIPE')) {
    return new QkdError(
      QkdErrorCode.tls,
      `${where}: the KME closed the connection right after the TLS 1.3 handshake, without an answer: ` +
        'it most likely rejected our client certificate (check qkd-cert/qkd-key and the KME’s trust)',
      { cause: error },
    );
  }
  if (!tlsDone) {
    // Closed during the TLS handshake: how a TLS 1.2 server typically turns away a bad client certificate.
    return new QkdError(
      QkdErrorCode.tls,
      `${where}: the connection closed during the TLS handshake (${text}); check qkd-cert/qkd-key/qkd-ca`,
      { cause: error },
    );
  }
  return new QkdError(QkdErrorCode.connect, `${where}: connection failed: ${text}`, {
    cause: error,
    retryable: true,
  });
}
