/**
 * Where things live in a PKI directory, what an entity may be called, and the
 * errors of the directory layer. See ca.ts for the layout as a picture and
 * docs/PKI.md for the reasons.
 * @module
 */

import { join } from 'node:path';
import { PqvpnError } from '../errors.js';
import { MAX_DAYS } from './issue.js';

export const DEFAULT_CRL_DAYS = 180;
export const DEFAULT_PKI_DIR = 'pki';
export const DEFAULT_CA_NAME = 'pqvpn CA';

export class PkiError extends PqvpnError {}

export interface PkiPaths {
  readonly root: string;
  readonly caCert: string;
  readonly caKey: string;
  readonly privateDir: string;
  readonly index: string;
  readonly crl: string;
  readonly crlNumber: string;
  issued(name: string): string;
  key(name: string): string;
  bySerial(serialHex: string): string;
  revokedCert(serialHex: string): string;
  revokedKey(serialHex: string): string;
}

export function pkiPaths(root: string): PkiPaths {
  return {
    root,
    caCert: join(root, 'ca.crt'),
    caKey: join(root, 'private', 'ca.key'),
    privateDir: join(root, 'private'),
    index: join(root, 'index.txt'),
    crl: join(root, 'crl.pem'),
    crlNumber: join(root, 'crlnumber'),
    issued: (name) => join(root, 'issued', `${name}.crt`),
    key: (name) => join(root, 'private', `${name}.key`),
    bySerial: (serial) => join(root, 'certs_by_serial', `${serial}.crt`),
    revokedCert: (serial) => join(root, 'revoked', 'certs_by_serial', `${serial}.crt`),
    revokedKey: (serial) => join(root, 'revoked', 'private_by_serial', `${serial}.key`),
  };
}

/**
 * Entity names become file names and commonNames: letters, digits, `.`, `_`, `-`.
 * `ca` (private/ca.key) and `crl` (`pqvpn pki show crl`) are reserved.
 */
export function checkEntityName(name: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name) || name.includes('..')) {
    throw new PkiError(
      'PKI_BAD_NAME',
      `invalid name '${name}': use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit`,
    );
  }
  const lower = name.toLowerCase();
  if (lower === 'ca') throw new PkiError('PKI_BAD_NAME', `'${name}' is reserved for the CA`);
  if (lower === 'crl') throw new PkiError('PKI_BAD_NAME', `'${name}' is reserved (pqvpn pki show crl)`);
}

export function checkDays(days: number | undefined, what = 'days'): void {
  if (days !== undefined && (!Number.isInteger(days) || days < 1 || days > MAX_DAYS)) {
    throw new PkiError('PKI_BAD_DAYS', `${what} must be a whole number from 1 to ${MAX_DAYS}`);
  }
}
