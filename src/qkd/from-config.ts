/**
 * Building a `QkdKeySource` from the validated `qkd-*` directives
 * (`config.qkd`, src/config/model.ts `QkdConfig`): reads the CA, certificate
 * and key (files or inline blocks), checks them before the first KME call —
 * a PEM that does not parse or a key that does not belong to its certificate
 * is a `QKD_CONFIG` error at startup, not a TLS failure at the first rekey —
 * and wires transport → ETSI 014 client → key source.
 * @module
 */

import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { FileSource, QkdConfig } from '../config/model.js';
import type { Logger } from '../log.js';
import { QkdError, QkdErrorCode } from './errors.js';
import { Etsi014Client } from './etsi014-client.js';
import { QkdKeySource } from './key-source.js';
import { httpsTransport } from './transport.js';

export interface QkdSourceTuning {
  readonly log?: Logger;
  readonly now?: () => number;
  readonly prefetch?: number;
  readonly timeoutMs?: number;
  readonly retries?: number;
  readonly backoffMs?: number;
  /** 'POST' (default) or 'GET' request forms. */
  readonly method?: 'GET' | 'POST';
}

async function readSource(source: FileSource, directive: string): Promise<string> {
  if (source.kind === 'inline') return source.text;
  try {
    return await readFile(source.path, 'utf8');
  } catch (error) {
    throw new QkdError(
      QkdErrorCode.config,
      `${directive} ${source.path}: cannot read (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
}

/** Reads the TLS material of `qkd` and returns a key source (not yet started: call `start()`). */
export async function createQkdKeySource(
  qkd: QkdConfig,
  tuning: QkdSourceTuning = {},
): Promise<QkdKeySource> {
  const ca = await readSource(qkd.ca, 'qkd-ca');
  const cert = await readSource(qkd.cert, 'qkd-cert');
  const key = await readSource(qkd.key, 'qkd-key');
  try {
    new X509Certificate(ca);
  } catch {
    throw new QkdError(QkdErrorCode.config, 'qkd-ca: not a PEM certificate');
  }
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch {
    throw new QkdError(QkdErrorCode.config, 'qkd-cert: not a PEM certificate');
  }
  try {
    if (!x509.checkPrivateKey(createPrivateKey(key))) {
      throw new QkdError(QkdErrorCode.config, 'qkd-key does not belong to the certificate in qkd-cert');
    }
  } catch (error) {
    if (error instanceof QkdError) throw error;
    throw new QkdError(QkdErrorCode.config, 'qkd-key: not a PEM private key OpenSSL can use (RSA or EC)');
  }
  const transport = httpsTransport({ baseUrl: qkd.kme, ca, cert, key });
  const api = new Etsi014Client({
    transport,
    kmeName: qkd.kme,
    ...pick(tuning, ['timeoutMs', 'retries', 'backoffMs', 'method']),
  });
  return new QkdKeySource({
    api,
    localSaeId: qkd.saeId,
    peerSaeId: qkd.peerSaeId,
    keySizeBits: qkd.keySize,
    mode: qkd.mode,
    ...pick(tuning, ['log', 'now', 'prefetch']),
  });
}

function pick<T extends object, K extends keyof T>(o: T, keys: readonly K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}
