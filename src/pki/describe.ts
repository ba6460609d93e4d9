/**
 * Human-readable dumps of certificates and CRLs (`pqvpn pki show`), in the spirit
 * of `openssl x509 -noout -text` but naming post-quantum schemes, which the
 * OpenSSL 3.0 on most systems prints only as dotted OIDs.
 * @module
 */

import type { AlgorithmIdentifier } from './algorithm.js';
import { type Certificate, certificateFingerprint, toHex } from './certificate.js';
import type { Crl } from './crl.js';
import { formatGeneralName } from './general-name.js';
import { formatName } from './name.js';
import { ExtKeyUsageOid } from './oids.js';

const EKU_NAMES: Readonly<Record<string, string>> = {
  [ExtKeyUsageOid.serverAuth]: 'serverAuth (TLS Web Server Authentication)',
  [ExtKeyUsageOid.clientAuth]: 'clientAuth (TLS Web Client Authentication)',
  [ExtKeyUsageOid.anyExtendedKeyUsage]: 'anyExtendedKeyUsage',
};

export function describeAlgorithm(algorithm: AlgorithmIdentifier): string {
  const scheme = algorithm.scheme;
  if (!scheme) return `unknown (${algorithm.oid})`;
  const experimental = algorithm.oid.startsWith('1.3.9999.') ? ', experimental OQS OID' : '';
  return `${scheme.name} (${algorithm.oid}${experimental})`;
}

export function describeCertificate(cert: Certificate, status?: string): string[] {
  const ext = cert.extensions;
  const lines: [string, string][] = [
    ['Subject', formatName(cert.subject)],
    ['Issuer', formatName(cert.issuer)],
    ['Serial', cert.serialHex],
  ];
  if (status) lines.push(['Status', status]);
  lines.push(
    ['Signature algorithm', describeAlgorithm(cert.signatureAlgorithm)],
    [
      'Public key',
      `${describeAlgorithm(cert.subjectPublicKeyInfo.algorithm)}, ${cert.subjectPublicKeyInfo.publicKey.length} bytes`,
    ],
    ['Not before', cert.notBefore.toISOString()],
    ['Not after', cert.notAfter.toISOString()],
  );
  if (ext.basicConstraints) {
    const bc = ext.basicConstraints;
    lines.push([
      'Basic constraints',
      `CA:${bc.ca ? 'TRUE' : 'FALSE'}${bc.pathLength !== undefined ? `, pathlen:${bc.pathLength}` : ''}`,
    ]);
  }
  if (ext.keyUsage) lines.push(['Key usage', ext.keyUsage.join(', ')]);
  if (ext.extKeyUsage)
    lines.push(['Extended key usage', ext.extKeyUsage.map((o) => EKU_NAMES[o] ?? o).join(', ')]);
  if (ext.subjectAltName)
    lines.push(['Subject alt names', ext.subjectAltName.map(formatGeneralName).join(', ')]);
  if (ext.subjectKeyIdentifier) lines.push(['Subject key id', colonHex(ext.subjectKeyIdentifier)]);
  if (ext.authorityKeyIdentifier) lines.push(['Authority key id', colonHex(ext.authorityKeyIdentifier)]);
  const known = new Set(['2.5.29.14', '2.5.29.15', '2.5.29.17', '2.5.29.19', '2.5.29.35', '2.5.29.37']);
  for (const e of ext.all) {
    if (!known.has(e.oid)) lines.push(['Other extension', `${e.oid}${e.critical ? ' (critical)' : ''}`]);
  }
  lines.push(['SHA-256 fingerprint', certificateFingerprint(cert)]);
  return align(lines);
}

export function describeCrl(crl: Crl): string[] {
  const lines: [string, string][] = [
    ['Issuer', formatName(crl.issuer)],
    ['Signature algorithm', describeAlgorithm(crl.signatureAlgorithm)],
    ['This update', crl.thisUpdate.toISOString()],
    ['Next update', crl.nextUpdate ? crl.nextUpdate.toISOString() : '(none)'],
  ];
  if (crl.extensions.crlNumber !== undefined) lines.push(['CRL number', String(crl.extensions.crlNumber)]);
  lines.push(['Revoked', String(crl.revoked.length)]);
  for (const r of crl.revoked) {
    lines.push([
      '  serial',
      `${r.serialHex} at ${r.revocationDate.toISOString()}${r.reason ? ` (${r.reason})` : ''}`,
    ]);
  }
  return align(lines);
}

function colonHex(bytes: Uint8Array): string {
  return toHex(bytes).replace(/(..)(?!$)/g, '$1:');
}

function align(lines: readonly [string, string][]): string[] {
  const width = Math.max(...lines.map(([k]) => k.length)) + 1;
  return lines.map(([k, v]) => `${`${k}:`.padEnd(width + 1)}${v}`);
}
