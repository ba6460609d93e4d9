/**
 * This endpoint's identity for the handshake: the certificate chain it sends
 * and the key it signs CertificateVerify with (`LocalIdentity` of
 * src/protocol/handshake/types.ts), loaded from the config's `cert`, `key` and
 * optionally `ca`.
 *
 * What is checked here, so that a mistake is reported at start-up with the file
 * names instead of as a handshake failure on the peer:
 * - the key parses (PKCS#8, src/pki) and belongs to the certificate
 *   (`IDENTITY_KEY_MISMATCH` naming both files);
 * - the certificate is fit for the role: a server certificate carries the
 *   serverAuth extended key usage, a client certificate clientAuth
 *   (`IDENTITY_WRONG_EKU`), and, if it has a keyUsage, digitalSignature
 *   (`IDENTITY_WRONG_KEY_USAGE`) — exactly what the peer's verifier demands;
 * - a certificate outside its validity period is logged as a warning, as
 *   OpenVPN does ("Your certificate has expired"): the peer will refuse it, but
 *   the local clock may be the thing that is wrong.
 *
 * The chain sent is the certificates of the `cert` file in order (leaf first,
 * as OpenVPN reads a chain file), followed by the intermediate CAs found in
 * `ca` that lead from the last of them towards a root — the way OpenSSL
 * completes a server's chain from its trust store. Self-issued (root)
 * certificates are never appended: the peer must already have the root.
 *
 * The result is plain data (DER bytes, a scheme name, the secret key), so it
 * can be posted to a worker thread. Load signature plugins (sig-plugin) before
 * calling: a certificate of a plugin scheme does not parse otherwise.
 * @module
 */

import type { FileSource } from '../config/model.js';
import { PqvpnError } from '../errors.js';
import { type Logger, silentLogger } from '../log.js';
import {
  type Certificate,
  formatName,
  isSelfIssued,
  keyMatchesCertificate,
  MAX_CHAIN_LENGTH,
  type PrivateKey,
  parseCertificate,
  parseCertificatesPem,
  parsePrivateKey,
} from '../pki/index.js';
import type { LocalIdentity } from '../protocol/handshake/types.js';
import { describeSource, readSourceBytes } from './file-source.js';

/** OIDs of the extended key usages a role needs (RFC 5280 §4.2.1.12). */
const EKU_FOR_ROLE = {
  server: { oid: '1.3.6.1.5.5.7.3.1', name: 'serverAuth' },
  client: { oid: '1.3.6.1.5.5.7.3.2', name: 'clientAuth' },
} as const;

export type IdentityRole = keyof typeof EKU_FOR_ROLE;

export interface LocalIdentitySources {
  readonly cert: FileSource;
  readonly key: FileSource;
  /** The `ca` bundle, searched for intermediates to complete the chain. */
  readonly ca?: FileSource;
  /** Which extended key usage the certificate must carry. */
  readonly role: IdentityRole;
  /** For the validity warning; default: the current time. */
  readonly now?: Date;
  readonly logger?: Logger;
}

/** The identity files are unusable; the message names the files, never key bytes. */
export class IdentityError extends PqvpnError {}

/** Reads, parses and cross-checks `cert`, `key` (and `ca`) into the handshake's `LocalIdentity`. */
export async function loadLocalIdentity(sources: LocalIdentitySources): Promise<LocalIdentity> {
  const certName = describeSource(sources.cert, 'cert');
  const keyName = describeSource(sources.key, 'key');
  const certs = parseCertificateBundle(await readSourceBytes(sources.cert, 'cert'), 'cert', certName);
  const leaf = certs[0]!;
  const key = await loadPrivateKey(sources.key, keyName);

  if (!keyMatchesCertificate(key, leaf)) {
    key.secretKey.fill(0);
    throw new IdentityError(
      'IDENTITY_KEY_MISMATCH',
      `key ${keyName} does not belong to certificate ${certName} (${formatName(leaf.subject)}): ` +
        'the certificate holds the public key of a different key pair',
    );
  }
  try {
    checkRole(leaf, sources.role, certName);
  } catch (error) {
    key.secretKey.fill(0);
    throw error;
  }
  warnIfOutsideValidity(leaf, certName, sources.now ?? new Date(), sources.logger ?? silentLogger);

  const chain = [...certs];
  if (sources.ca) {
    const caName = describeSource(sources.ca, 'ca');
    const anchors = parseCertificateBundle(await readSourceBytes(sources.ca, 'ca'), 'ca', caName);
    appendIntermediates(chain, anchors);
  }
  return { chain: chain.map((c) => c.der), scheme: key.scheme.name, secretKey: key.secretKey };
}

/**
 * Every certificate of a PEM bundle (leaf first for `cert`), or one DER
 * certificate. Throws `IDENTITY_BAD_CERT` naming the file.
 */
export function parseCertificateBundle(bytes: Uint8Array, directive: string, name: string): Certificate[] {
  try {
    if (bytes[0] === 0x30) return [parseCertificate(bytes)];
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return parseCertificatesPem(text);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new IdentityError('IDENTITY_BAD_CERT', `${directive} ${name}: not a usable certificate (${why})`, {
      cause: error,
    });
  }
}

async function loadPrivateKey(source: FileSource, name: string): Promise<PrivateKey> {
  const bytes = await readSourceBytes(source, 'key');
  try {
    if (bytes[0] === 0x30) return parsePrivateKey(bytes);
    return parsePrivateKey(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (error) {
    // src/pki's key errors never contain key bytes; a TextDecoder error has no content either.
    const why = error instanceof Error ? error.message : String(error);
    throw new IdentityError('IDENTITY_BAD_KEY', `key ${name}: not a usable private key (${why})`);
  } finally {
    bytes.fill(0);
  }
}

function checkRole(leaf: Certificate, role: IdentityRole, certName: string): void {
  const wanted = EKU_FOR_ROLE[role];
  const eku = leaf.extensions.extKeyUsage;
  if (!eku?.includes(wanted.oid)) {
    const has = eku?.length ? `it has ${eku.map(ekuName).join(', ')}` : 'it has no extendedKeyUsage';
    throw new IdentityError(
      'IDENTITY_WRONG_EKU',
      `certificate ${certName} (${formatName(leaf.subject)}) cannot identify a ${role}: ` +
        `it needs the ${wanted.name} extended key usage, ${has} ` +
        `(issue one with 'pqvpn pki issue ${role} NAME')`,
    );
  }
  const ku = leaf.extensions.keyUsage;
  if (ku && !ku.includes('digitalSignature')) {
    throw new IdentityError(
      'IDENTITY_WRONG_KEY_USAGE',
      `certificate ${certName} (${formatName(leaf.subject)}) lacks the digitalSignature key usage, ` +
        'so its key may not sign the handshake',
    );
  }
}

function ekuName(oid: string): string {
  for (const { oid: known, name } of Object.values(EKU_FOR_ROLE)) if (known === oid) return name;
  return oid;
}

function warnIfOutsideValidity(leaf: Certificate, name: string, now: Date, logger: Logger): void {
  if (now.getTime() > leaf.notAfter.getTime()) {
    logger.warn(
      `certificate ${name} expired on ${leaf.notAfter.toISOString()}; peers will refuse it (or the clock is wrong)`,
    );
  } else if (now.getTime() < leaf.notBefore.getTime()) {
    logger.warn(
      `certificate ${name} is not valid before ${leaf.notBefore.toISOString()}; peers will refuse it (or the clock is wrong)`,
    );
  }
}

/** Follows issuer names from the chain's last certificate through non-root CAs of `pool`. */
function appendIntermediates(chain: Certificate[], pool: readonly Certificate[]): void {
  const inChain = (c: Certificate) => chain.some((x) => sameBytes(x.der, c.der));
  while (chain.length < MAX_CHAIN_LENGTH) {
    const last = chain[chain.length - 1]!;
    if (isSelfIssued(last)) return;
    const issuer = pool.find(
      (c) => sameBytes(c.subject.der, last.issuer.der) && !isSelfIssued(c) && !inChain(c),
    );
    if (!issuer) return;
    chain.push(issuer);
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) === 0;
}
