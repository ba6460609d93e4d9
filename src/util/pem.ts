/**
 * PEM armor (RFC 7468): `-----BEGIN LABEL-----`, base64 lines, `-----END LABEL-----`.
 *
 * Decoding is strict: the base64 alphabet only, correct padding, and the END
 * label must match the BEGIN label. Node's `Buffer.from(s, 'base64')` silently
 * skips junk characters, so it is never used on untrusted text without
 * `decodeBase64Strict` first.
 * @module
 */

import { PqvpnError } from '../errors.js';

export interface PemBlock {
  readonly label: string;
  readonly bytes: Uint8Array;
}

export class PemError extends PqvpnError {
  constructor(message: string) {
    super('PEM_INVALID', message);
  }
}

export function encodePem(label: string, bytes: Uint8Array): string {
  const b64 = Buffer.from(bytes).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Decodes standard base64 (with padding) and rejects anything else. */
export function decodeBase64Strict(text: string): Uint8Array {
  if (!BASE64.test(text)) throw new PemError('invalid base64');
  return new Uint8Array(Buffer.from(text, 'base64'));
}

/** All PEM blocks in `text`, in order. Text outside blocks is ignored (OpenSSL does the same). */
export function decodePemAll(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  // RFC 7468 labels: printable characters, hyphens and spaces allowed inside ("PQVPN TLS-CRYPT KEY").
  const re =
    /-----BEGIN ([A-Z0-9](?:[A-Z0-9 -]*[A-Z0-9])?)-----\r?\n([\s\S]*?)-----END ([A-Z0-9](?:[A-Z0-9 -]*[A-Z0-9])?)-----/g;
  for (const match of text.matchAll(re)) {
    const [, label, body, endLabel] = match;
    if (label !== endLabel) throw new PemError(`PEM block BEGIN ${label} ends with END ${endLabel}`);
    const compact = body!.replace(/[\r\n\t ]+/g, '');
    try {
      blocks.push({ label: label!, bytes: decodeBase64Strict(compact) });
    } catch {
      throw new PemError(`PEM block ${label} has invalid base64`);
    }
  }
  return blocks;
}

/** Exactly one block with the given label, or a clear error. */
export function decodePem(text: string, label: string): Uint8Array {
  const blocks = decodePemAll(text).filter((b) => b.label === label);
  if (blocks.length === 0) throw new PemError(`no "${label}" PEM block found`);
  if (blocks.length > 1) throw new PemError(`expected one "${label}" PEM block, found ${blocks.length}`);
  return blocks[0]!.bytes;
}
