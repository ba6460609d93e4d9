/**
 * The PKI directory: what easy-rsa does for OpenVPN, post-quantum. One directory
 * (default `./pki`) holds a CA and everything it issued, laid out as easy-rsa does:
 *
 * ```
 * pki/ca.crt                          the CA certificate (give it to every peer)
 * pki/private/ca.key                  the CA key (0600; directory 0700)
 * pki/issued/NAME.crt                 current certificate of NAME
 * pki/private/NAME.key                its key (0600)
 * pki/certs_by_serial/SERIAL.crt      every certificate ever issued, by serial
 * pki/revoked/certs_by_serial/SERIAL.crt, pki/revoked/private_by_serial/SERIAL.key
 *                                     where `revoke` moves NAME's files, so NAME can be issued again
 * pki/index.txt                       the CA database (OpenSSL `ca` format, see index-file.ts)
 * pki/crlnumber                       next CRL number, hex (as OpenSSL keeps it)
 * pki/crl.pem                         the current signed CRL (for `crl-verify`)
 * ```
 *
 * Guarantees: every file is written atomically (temp file + rename), keys with
 * mode 0600; nothing existing is replaced without `force`; every read-modify-write
 * of the database holds the `index.txt.lock` file lock, so concurrent `issue`s
 * never lose a line; an operation that revokes (revoke, or issue --force over an
 * existing NAME, which revokes the old certificate as `superseded`) republishes
 * crl.pem at once. The CA key is wiped from memory after each operation.
 * @module
 */

import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { SignatureScheme } from '../crypto/signature-scheme.js';
import { DEFAULT_SIGNATURE_SCHEME, signatureSchemeByName } from '../crypto/signature-schemes.js';
import { exists, FileExistsError, withFileLock, writeFileAtomic } from '../util/atomic-file.js';
import { type Certificate, certificateToPem, parseCertificate } from './certificate.js';
import { type PkiContext, systemContext } from './context.js';
import { type Crl, crlToPem, signCrl } from './crl.js';
import type { RevocationReasonName } from './extensions.js';
import type { GeneralName } from './general-name.js';
import { formatIndex, type IndexEntry, parseIndex } from './index-file.js';
import { createCertificate, DEFAULT_CA_DAYS, DEFAULT_LEAF_DAYS, type IssuingCa } from './issue.js';
import {
  checkDays,
  checkEntityName,
  DEFAULT_CA_NAME,
  DEFAULT_CRL_DAYS,
  PkiError,
  type PkiPaths,
  pkiPaths,
} from './layout.js';
import { formatNameSlashed, type NameInput } from './name.js';
import { ExtKeyUsageOid } from './oids.js';
import {
  assertKeyMatchesCertificate,
  parsePrivateKey,
  privateKeyToPem,
  wipePrivateKey,
} from './private-key.js';

export {
  checkDays,
  checkEntityName,
  DEFAULT_CA_NAME,
  DEFAULT_CRL_DAYS,
  DEFAULT_PKI_DIR,
  PkiError,
  type PkiPaths,
  pkiPaths,
} from './layout.js';

// ---------------------------------------------------------------------------
// init
// ---------------------------------------------------------------------------

export interface InitCaOptions {
  readonly dir: string;
  /** Signature scheme name; default ml-dsa-65. */
  readonly scheme?: string;
  readonly commonName?: string;
  /** Further subject attributes (O, OU, C, …). */
  readonly subject?: Omit<NameInput, 'commonName'>;
  readonly days?: number;
  readonly crlDays?: number;
  /** Replace an existing CA; this discards the whole PKI (issued certificates, keys, index, CRL). */
  readonly force?: boolean;
  readonly context?: PkiContext;
}

export async function initCa(options: InitCaOptions): Promise<Certificate> {
  const ctx = options.context ?? systemContext;
  const paths = pkiPaths(options.dir);
  const scheme = signatureSchemeByName(options.scheme ?? DEFAULT_SIGNATURE_SCHEME);
  checkDays(options.days);
  checkDays(options.crlDays, 'CRL days');
  await fs.mkdir(paths.root, { recursive: true });
  return withFileLock(paths.index, async () => {
    const existing = (await exists(paths.caCert))
      ? paths.caCert
      : (await exists(paths.caKey))
        ? paths.caKey
        : undefined;
    if (existing) {
      if (!options.force) throw new FileExistsError(existing);
      await discardPki(paths);
    }
    await ensureDirs(paths);
    const ca = createCertificate({
      profile: 'ca',
      subject: { ...options.subject, commonName: options.commonName ?? DEFAULT_CA_NAME },
      scheme,
      days: options.days ?? DEFAULT_CA_DAYS,
      now: ctx.now(),
      random: ctx.random,
    });
    try {
      await writeFileAtomic(paths.caKey, privateKeyToPem(ca.pkcs8), { mode: 0o600 });
      try {
        await writeFileAtomic(paths.caCert, certificateToPem(ca.certificate));
        await writeFileAtomic(paths.index, '', { overwrite: true });
        await writeFileAtomic(paths.crlNumber, '01\n', { overwrite: true });
        await publishCrl(paths, ca, [], ctx, options.crlDays ?? DEFAULT_CRL_DAYS);
      } catch (error) {
        // A half-made CA would block the next `init` without --force; leave nothing behind.
        await fs.rm(paths.caCert, { force: true });
        await fs.rm(paths.caKey, { force: true });
        throw error;
      }
    } finally {
      wipePrivateKey(ca.key);
      ca.pkcs8.fill(0);
    }
    return ca.certificate;
  });
}

async function discardPki(paths: PkiPaths): Promise<void> {
  for (const entry of ['ca.crt', 'private', 'issued', 'certs_by_serial', 'revoked', 'crlnumber', 'crl.pem']) {
    await fs.rm(join(paths.root, entry), { recursive: true, force: true });
  }
}

async function ensureDirs(paths: PkiPaths): Promise<void> {
  await fs.mkdir(paths.privateDir, { recursive: true, mode: 0o700 });
  await fs.chmod(paths.privateDir, 0o700);
  for (const d of ['issued', 'certs_by_serial', join('revoked', 'certs_by_serial')]) {
    await fs.mkdir(join(paths.root, d), { recursive: true });
  }
  await fs.mkdir(join(paths.root, 'revoked', 'private_by_serial'), { recursive: true, mode: 0o700 });
}

// ---------------------------------------------------------------------------
// issue
// ---------------------------------------------------------------------------

export interface IssueOptions {
  readonly dir: string;
  readonly profile: 'server' | 'client';
  readonly name: string;
  /** Scheme of the new key; default: the CA's. */
  readonly scheme?: string;
  readonly days?: number;
  readonly san?: readonly GeneralName[];
  readonly subject?: Omit<NameInput, 'commonName'>;
  /** Replace NAME's existing certificate and key; the old certificate is revoked as superseded. */
  readonly force?: boolean;
  readonly crlDays?: number;
  readonly context?: PkiContext;
}

export interface IssueResult {
  readonly certificate: Certificate;
  readonly certPath: string;
  readonly keyPath: string;
  /** Serial of the certificate this one replaced (revoked as superseded), with `force`. */
  readonly supersededSerial?: string;
}

export async function issueCertificate(options: IssueOptions): Promise<IssueResult> {
  const ctx = options.context ?? systemContext;
  checkEntityName(options.name);
  checkDays(options.days);
  checkDays(options.crlDays, 'CRL days');
  if (options.scheme) signatureSchemeByName(options.scheme);
  const paths = pkiPaths(options.dir);
  await requireCa(paths);
  return withFileLock(paths.index, async () => {
    const certPath = paths.issued(options.name);
    const keyPath = paths.key(options.name);
    const previous = await readIfExists(certPath);
    if (!options.force) {
      if (previous !== undefined) throw new FileExistsError(certPath);
      if (await exists(keyPath)) throw new FileExistsError(keyPath);
    }
    const index = await readIndex(paths);
    const ca = await loadCa(options.dir);
    let fresh: ReturnType<typeof createCertificate> | undefined;
    try {
      const scheme: SignatureScheme = options.scheme
        ? signatureSchemeByName(options.scheme)
        : ca.certificate.subjectPublicKeyInfo.algorithm.scheme!;
      const serials = new Set(index.map((e) => e.serialHex));
      do {
        fresh?.key.secretKey.fill(0);
        fresh = createCertificate(
          {
            profile: options.profile,
            subject: { ...options.subject, commonName: options.name },
            scheme,
            days: options.days ?? DEFAULT_LEAF_DAYS,
            ...(options.san ? { san: options.san } : {}),
            now: ctx.now(),
            random: ctx.random,
          },
          ca,
        );
      } while (serials.has(fresh.certificate.serialHex));
      const cert = fresh.certificate;

      let superseded: IndexEntry | undefined;
      if (previous !== undefined) {
        const old = parseCertificate(previous);
        superseded = index.find((e) => e.serialHex === old.serialHex && e.status === 'V');
      }
      const now = ctx.now();
      const updated = index.map((e) =>
        e === superseded ? { ...e, status: 'R' as const, revokedAt: now, reason: 'superseded' as const } : e,
      );
      updated.push({
        status: 'V',
        expires: cert.notAfter,
        serialHex: cert.serialHex,
        fileName: 'unknown',
        subject: formatNameSlashed(cert.subject),
      });

      const written: string[] = [];
      try {
        const pem = certificateToPem(cert);
        await writeFileAtomic(paths.bySerial(cert.serialHex), pem);
        written.push(paths.bySerial(cert.serialHex));
        await writeFileAtomic(keyPath, privateKeyToPem(fresh.pkcs8), {
          mode: 0o600,
          overwrite: !!options.force,
        });
        written.push(keyPath);
        await writeFileAtomic(certPath, pem, { overwrite: !!options.force });
        written.push(certPath);
        await writeFileAtomic(paths.index, formatIndex(updated), { overwrite: true });
      } catch (error) {
        // Without the index line these files describe nothing; an overwritten file cannot be restored.
        if (!options.force) for (const p of written) await fs.rm(p, { force: true });
        throw error;
      }
      if (superseded) await publishCrl(paths, ca, updated, ctx, options.crlDays ?? DEFAULT_CRL_DAYS);
      const result = { certificate: cert, certPath, keyPath };
      return superseded ? { ...result, supersededSerial: superseded.serialHex } : result;
    } finally {
      if (fresh) {
        wipePrivateKey(fresh.key);
        fresh.pkcs8.fill(0);
      }
      wipePrivateKey(ca.key);
    }
  });
}

// ---------------------------------------------------------------------------
// revoke and crl
// ---------------------------------------------------------------------------

export interface RevokeOptions {
  readonly dir: string;
  readonly name: string;
  readonly reason?: RevocationReasonName;
  readonly crlDays?: number;
  readonly context?: PkiContext;
}

export interface RevokeResult {
  readonly certificate: Certificate;
  readonly crl: Crl;
}

/** Marks NAME's certificate revoked, moves its files under revoked/, and republishes crl.pem. */
export async function revokeCertificate(options: RevokeOptions): Promise<RevokeResult> {
  const ctx = options.context ?? systemContext;
  checkEntityName(options.name);
  checkDays(options.crlDays, 'CRL days');
  const paths = pkiPaths(options.dir);
  await requireCa(paths);
  return withFileLock(paths.index, async () => {
    const certPath = paths.issued(options.name);
    const pem = await readIfExists(certPath);
    if (pem === undefined) {
      throw new PkiError(
        'PKI_NOT_FOUND',
        `no certificate named '${options.name}' in ${paths.root} (see pqvpn pki list)`,
      );
    }
    const cert = parseCertificate(pem);
    const index = await readIndex(paths);
    const entry = index.find((e) => e.serialHex === cert.serialHex);
    if (!entry)
      throw new PkiError('PKI_INDEX_INVALID', `${paths.index} has no entry for serial ${cert.serialHex}`);
    if (entry.status === 'R')
      throw new PkiError('PKI_ALREADY_REVOKED', `'${options.name}' is already revoked`);
    const now = ctx.now();
    const reason = options.reason ?? 'unspecified';
    const updated = index.map((e) =>
      e === entry
        ? { ...e, status: 'R' as const, revokedAt: now, ...(reason === 'unspecified' ? {} : { reason }) }
        : e,
    );
    const ca = await loadCa(options.dir);
    try {
      await writeFileAtomic(paths.index, formatIndex(updated), { overwrite: true });
      await fs.rename(certPath, paths.revokedCert(cert.serialHex));
      if (await exists(paths.key(options.name))) {
        await fs.rename(paths.key(options.name), paths.revokedKey(cert.serialHex));
      }
      const crl = await publishCrl(paths, ca, updated, ctx, options.crlDays ?? DEFAULT_CRL_DAYS);
      return { certificate: cert, crl };
    } finally {
      wipePrivateKey(ca.key);
    }
  });
}

export interface CrlOptions {
  readonly dir: string;
  readonly days?: number;
  readonly context?: PkiContext;
}

/** Signs and writes a fresh crl.pem listing every revoked certificate in the index. */
export async function writeCrl(options: CrlOptions): Promise<Crl> {
  const ctx = options.context ?? systemContext;
  checkDays(options.days, 'CRL days');
  const paths = pkiPaths(options.dir);
  await requireCa(paths);
  return withFileLock(paths.index, async () => {
    const index = await readIndex(paths);
    const ca = await loadCa(options.dir);
    try {
      return await publishCrl(paths, ca, index, ctx, options.days ?? DEFAULT_CRL_DAYS);
    } finally {
      wipePrivateKey(ca.key);
    }
  });
}

/** Call with the index lock held. */
async function publishCrl(
  paths: PkiPaths,
  ca: IssuingCa,
  index: readonly IndexEntry[],
  ctx: PkiContext,
  days: number,
): Promise<Crl> {
  checkDays(days, 'CRL days');
  const numberText = ((await readIfExists(paths.crlNumber)) ?? '01').trim();
  if (!/^[0-9A-Fa-f]{1,40}$/.test(numberText)) {
    throw new PkiError('PKI_INDEX_INVALID', `${paths.crlNumber} does not hold a hex number`);
  }
  const crlNumber = BigInt(`0x${numberText}`);
  const thisUpdate = new Date(Math.floor(ctx.now().getTime() / 1000) * 1000);
  const crl = signCrl(
    {
      issuer: ca.certificate,
      thisUpdate,
      nextUpdate: new Date(thisUpdate.getTime() + days * 86_400_000),
      crlNumber,
      revoked: index
        .filter((e) => e.status === 'R')
        .map((e) => ({
          serial: Buffer.from(e.serialHex, 'hex'),
          revocationDate: e.revokedAt!,
          ...(e.reason ? { reason: e.reason } : {}),
        })),
    },
    ca.key,
  );
  await writeFileAtomic(paths.crl, crlToPem(crl), { overwrite: true });
  const next = (crlNumber + 1n).toString(16).toUpperCase();
  await writeFileAtomic(paths.crlNumber, `${next.length % 2 ? `0${next}` : next}\n`, { overwrite: true });
  return crl;
}

// ---------------------------------------------------------------------------
// reading
// ---------------------------------------------------------------------------

/** Loads the CA certificate and key and checks that they belong together. Wipe `key` when done. */
export async function loadCa(dir: string): Promise<IssuingCa> {
  const paths = pkiPaths(dir);
  await requireCa(paths);
  const certificate = parseCertificate(await fs.readFile(paths.caCert, 'utf8'));
  const keyText = await readIfExists(paths.caKey);
  if (keyText === undefined) throw new PkiError('PKI_NOT_INITIALISED', `${paths.caKey} is missing`);
  const key = parsePrivateKey(keyText);
  assertKeyMatchesCertificate(key, certificate, paths.caKey);
  return { certificate, key };
}

export type CertificateKind = 'ca' | 'server' | 'client' | 'unknown';
export type CertificateStatus = 'valid' | 'revoked' | 'expired';

export interface ListedCertificate {
  readonly name: string;
  readonly kind: CertificateKind;
  readonly serialHex: string;
  readonly status: CertificateStatus;
  readonly notAfter: Date;
  readonly revokedAt?: Date;
}

export function kindOf(cert: Certificate): CertificateKind {
  if (cert.extensions.basicConstraints?.ca) return 'ca';
  const eku = cert.extensions.extKeyUsage ?? [];
  if (eku.includes(ExtKeyUsageOid.serverAuth)) return 'server';
  if (eku.includes(ExtKeyUsageOid.clientAuth)) return 'client';
  return 'unknown';
}

/** The CA followed by every index entry, in issue order. */
export async function listCertificates(dir: string, now: Date = new Date()): Promise<ListedCertificate[]> {
  const paths = pkiPaths(dir);
  await requireCa(paths);
  const ca = parseCertificate(await fs.readFile(paths.caCert, 'utf8'));
  const rows: ListedCertificate[] = [
    {
      name: 'ca',
      kind: 'ca',
      serialHex: ca.serialHex,
      status: statusAt(ca.notAfter, now),
      notAfter: ca.notAfter,
    },
  ];
  for (const e of await readIndex(paths)) {
    const pem = await readIfExists(paths.bySerial(e.serialHex));
    const kind = pem === undefined ? 'unknown' : kindOf(parseCertificate(pem));
    const name = /\/CN=((?:[^/\\]|\\.)*)/.exec(e.subject)?.[1]?.replace(/\\(.)/g, '$1') ?? e.subject;
    const status: CertificateStatus = e.status === 'R' ? 'revoked' : statusAt(e.expires, now);
    const row = { name, kind, serialHex: e.serialHex, status, notAfter: e.expires };
    rows.push(e.revokedAt ? { ...row, revokedAt: e.revokedAt } : row);
  }
  return rows;
}

/** NAME's current certificate (`ca` for the CA) and its status in the index. */
export async function readPkiCertificate(
  dir: string,
  name: string,
  now: Date = new Date(),
): Promise<{ certificate: Certificate; status: CertificateStatus }> {
  const paths = pkiPaths(dir);
  await requireCa(paths);
  if (name.toLowerCase() === 'ca') {
    const certificate = parseCertificate(await fs.readFile(paths.caCert, 'utf8'));
    return { certificate, status: statusAt(certificate.notAfter, now) };
  }
  checkEntityName(name);
  const pem = await readIfExists(paths.issued(name));
  if (pem === undefined) {
    throw new PkiError(
      'PKI_NOT_FOUND',
      `no certificate named '${name}' in ${paths.root} (see pqvpn pki list)`,
    );
  }
  const certificate = parseCertificate(pem);
  const entry = (await readIndex(paths)).find((e) => e.serialHex === certificate.serialHex);
  const status = entry?.status === 'R' ? 'revoked' : statusAt(certificate.notAfter, now);
  return { certificate, status };
}

function statusAt(notAfter: Date, now: Date): CertificateStatus {
  return now.getTime() > notAfter.getTime() ? 'expired' : 'valid';
}

async function requireCa(paths: PkiPaths): Promise<void> {
  if (!(await exists(paths.caCert))) {
    throw new PkiError(
      'PKI_NOT_INITIALISED',
      `no CA in ${paths.root}: run \`pqvpn pki init\` first (or pass --pki DIR)`,
    );
  }
}

async function readIndex(paths: PkiPaths): Promise<IndexEntry[]> {
  const text = await readIfExists(paths.index);
  return text === undefined ? [] : parseIndex(text, paths.index);
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await fs.readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
