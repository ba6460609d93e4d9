/**
 * `index.txt`, the CA database, in the format of OpenSSL's `ca` command (which
 * easy-rsa also uses), so existing habits and scripts keep working:
 *
 * ```
 * V<TAB>281231120000Z<TAB><TAB>4F3A…<TAB>unknown<TAB>/CN=server
 * R<TAB>281231120000Z<TAB>260101093000Z,keyCompromise<TAB>51B2…<TAB>unknown<TAB>/CN=client1
 * ```
 * Fields: status (V valid, R revoked, E expired), expiry, revocation date with an
 * optional `,reason`, serial in upper-case hex, file name (always `unknown`, as
 * OpenSSL writes), and the subject in slash form. Times are UTCTime text before
 * 2050 and GeneralizedTime text after, as in the certificates themselves.
 *
 * Parsing is strict and reports `file:line`; a corrupt index stops the PKI tool
 * rather than letting it issue duplicate serials or forget a revocation.
 * @module
 */

import { PqvpnError } from '../errors.js';
import { RevocationReason, type RevocationReasonName } from './extensions.js';

export interface IndexEntry {
  readonly status: 'V' | 'R' | 'E';
  readonly expires: Date;
  readonly revokedAt?: Date;
  readonly reason?: RevocationReasonName;
  readonly serialHex: string;
  readonly fileName: string;
  /** Subject in slash form, `/CN=server`. */
  readonly subject: string;
}

/** OpenSSL's spellings where they differ from RFC 5280's ASN.1 names. */
const OPENSSL_REASON: Partial<Record<RevocationReasonName, string>> = { cACompromise: 'CACompromise' };

export function formatIndexTime(date: Date): string {
  const iso = date.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const digits = iso.slice(0, 19).replace(/[-T:]/g, '');
  const year = date.getUTCFullYear();
  return `${year < 2050 ? digits.slice(2) : digits}Z`;
}

export function parseIndexTime(text: string): Date | undefined {
  const m = /^(\d{12}|\d{14})Z$/.exec(text);
  if (!m) return undefined;
  const d = m[1]!;
  const long = d.length === 14;
  const year = long
    ? Number(d.slice(0, 4))
    : Number(d.slice(0, 2)) + (Number(d.slice(0, 2)) >= 50 ? 1900 : 2000);
  const rest = long ? d.slice(4) : d.slice(2);
  const [mo, da, h, mi, s] = [0, 2, 4, 6, 8].map((i) => Number(rest.slice(i, i + 2))) as [
    number,
    number,
    number,
    number,
    number,
  ];
  const date = new Date(Date.UTC(year, mo - 1, da, h, mi, s));
  if (date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== da || h > 23 || mi > 59 || s > 59)
    return undefined;
  return date;
}

export function formatIndexLine(e: IndexEntry): string {
  let revoked = '';
  if (e.revokedAt) {
    revoked = formatIndexTime(e.revokedAt);
    if (e.reason) revoked += `,${OPENSSL_REASON[e.reason] ?? e.reason}`;
  }
  return [e.status, formatIndexTime(e.expires), revoked, e.serialHex, e.fileName, e.subject].join('\t');
}

export function formatIndex(entries: readonly IndexEntry[]): string {
  return entries.map((e) => `${formatIndexLine(e)}\n`).join('');
}

export function parseIndex(text: string, file = 'index.txt'): IndexEntry[] {
  const entries: IndexEntry[] = [];
  const serials = new Set<string>();
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  lines.forEach((line, i) => {
    const bad = (why: string) =>
      new PqvpnError('PKI_INDEX_INVALID', `${file}:${i + 1}: ${why} (the CA database is corrupt)`);
    const fields = line.split('\t');
    if (fields.length !== 6) throw bad(`expected 6 tab-separated fields, found ${fields.length}`);
    const [status, expiresText, revokedText, serialHex, fileName, subject] = fields as [
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    if (status !== 'V' && status !== 'R' && status !== 'E') throw bad(`unknown status '${status}'`);
    const expires = parseIndexTime(expiresText);
    if (!expires) throw bad(`invalid expiry time '${expiresText}'`);
    if (!/^(?:[0-9A-F]{2})+$/.test(serialHex)) throw bad(`invalid serial '${serialHex}'`);
    if (serials.has(serialHex)) throw bad(`serial ${serialHex} appears twice`);
    serials.add(serialHex);
    if (!subject.startsWith('/')) throw bad('subject must start with /');
    const base = { status, expires, serialHex, fileName, subject } as const;
    if (status !== 'R') {
      if (revokedText !== '') throw bad('only revoked (R) entries have a revocation date');
      entries.push(base);
      return;
    }
    const [dateText, reasonText, extra] = revokedText.split(',');
    const revokedAt = parseIndexTime(dateText ?? '');
    if (!revokedAt || extra !== undefined) throw bad(`invalid revocation field '${revokedText}'`);
    if (reasonText === undefined) {
      entries.push({ ...base, revokedAt });
      return;
    }
    const reason = reasonFromIndex(reasonText);
    if (!reason) throw bad(`unknown revocation reason '${reasonText}'`);
    entries.push({ ...base, revokedAt, reason });
  });
  return entries;
}

function reasonFromIndex(text: string): RevocationReasonName | undefined {
  for (const name of Object.keys(RevocationReason) as RevocationReasonName[]) {
    if (name === text || OPENSSL_REASON[name] === text) return name;
  }
  return undefined;
}
