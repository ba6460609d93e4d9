/**
 * Certificate profiles: what a CA, a server and a client certificate contain.
 * Pure functions: time and randomness come in, a signed certificate and a fresh
 * key pair come out; nothing touches the file system (that is ca.ts).
 *
 * | extension              | CA                     | server                | client            |
 * |------------------------|------------------------|-----------------------|-------------------|
 * | basicConstraints (crit)| CA:TRUE [, pathlen]    | CA:FALSE              | CA:FALSE          |
 * | keyUsage (critical)    | keyCertSign, cRLSign   | digitalSignature      | digitalSignature  |
 * | extendedKeyUsage       | —                      | serverAuth            | clientAuth        |
 * | subjectAltName         | —                      | DNS:NAME or `--san`   | `--san` if given  |
 * | subject/authority KID  | both (AKI = own SKI)   | both                  | both              |
 *
 * Post-quantum leaf keys only sign (the key exchange is ML-KEM), so leaves assert
 * digitalSignature alone; keyEncipherment would be meaningless. The EKUs make
 * OpenVPN-style `remote-cert-tls server|client` checks work.
 *
 * Serial numbers are 16 random bytes with the top bit cleared and the next one set:
 * always positive, always 16 octets in DER (minimal), 126 bits of randomness.
 * A leaf's notAfter is capped at its CA's notAfter, so it never outlives its issuer.
 * @module
 */

import type { SignatureScheme } from '../crypto/signature-scheme.js';
import { type Certificate, type CertificateTemplate, signCertificate } from './certificate.js';
import type { RandomSource } from './context.js';
import {
  authorityKeyIdentifierExtension,
  basicConstraintsExtension,
  extKeyUsageExtension,
  keyIdentifier,
  keyUsageExtension,
  subjectAltNameExtension,
  subjectKeyIdentifierExtension,
} from './extensions.js';
import { type GeneralName, isDnsName } from './general-name.js';
import { buildName, type NameInput } from './name.js';
import { ExtKeyUsageOid } from './oids.js';
import { generatePrivateKey, type PrivateKey } from './private-key.js';

export type CertificateProfile = 'ca' | 'server' | 'client';

export const DEFAULT_CA_DAYS = 3650;
export const DEFAULT_LEAF_DAYS = 825;
export const MAX_DAYS = 36_500;

export interface NewCertificateOptions {
  readonly profile: CertificateProfile;
  readonly subject: NameInput;
  /** Scheme of the new key pair. */
  readonly scheme: SignatureScheme;
  readonly days: number;
  /** subjectAltName entries; servers default to DNS:<commonName> when that is a DNS name. */
  readonly san?: readonly GeneralName[];
  /** pathLenConstraint for a CA certificate. */
  readonly pathLength?: number;
  readonly now: Date;
  readonly random: RandomSource;
}

export interface IssuingCa {
  readonly certificate: Certificate;
  readonly key: PrivateKey;
}

export interface NewCertificate {
  readonly certificate: Certificate;
  readonly key: PrivateKey;
  /** The new private key, PKCS#8 DER. */
  readonly pkcs8: Uint8Array;
}

/**
 * Generates a key pair and a certificate for it: self-signed when `issuer` is
 * absent (a root CA; `profile` must be 'ca'), otherwise signed by `issuer`.
 */
export function createCertificate(options: NewCertificateOptions, issuer?: IssuingCa): NewCertificate {
  const { profile, days } = options;
  if (!Number.isInteger(days) || days < 1 || days > MAX_DAYS) {
    throw new RangeError(`days must be a whole number from 1 to ${MAX_DAYS}`);
  }
  if (!issuer && profile !== 'ca') throw new RangeError('only a CA certificate can be self-signed');
  if (options.pathLength !== undefined && profile !== 'ca')
    throw new RangeError('pathLength is for CA certificates');
  const subject = buildName(options.subject);
  const generated = generatePrivateKey(options.scheme, options.random);
  const { key } = generated;
  const notBefore = new Date(Math.floor(options.now.getTime() / 1000) * 1000);
  let notAfter = new Date(notBefore.getTime() + days * 86_400_000);
  if (issuer && notAfter > issuer.certificate.notAfter) notAfter = issuer.certificate.notAfter;

  const ski = keyIdentifier(key.publicKey);
  const aki = issuer
    ? (issuer.certificate.extensions.subjectKeyIdentifier ?? keyIdentifier(issuer.key.publicKey))
    : ski;
  const extensions: Uint8Array[] = [];
  if (profile === 'ca') {
    extensions.push(
      basicConstraintsExtension(
        options.pathLength === undefined ? { ca: true } : { ca: true, pathLength: options.pathLength },
      ),
      keyUsageExtension(['keyCertSign', 'cRLSign']),
    );
  } else {
    extensions.push(basicConstraintsExtension({ ca: false }), keyUsageExtension(['digitalSignature']));
    extensions.push(
      extKeyUsageExtension([profile === 'server' ? ExtKeyUsageOid.serverAuth : ExtKeyUsageOid.clientAuth]),
    );
  }
  const san = options.san ?? defaultSan(profile, options.subject.commonName);
  if (san.length > 0) extensions.push(subjectAltNameExtension(san));
  extensions.push(subjectKeyIdentifierExtension(ski), authorityKeyIdentifierExtension(aki));

  const template: CertificateTemplate = {
    serial: randomSerial(options.random),
    issuer: issuer ? issuer.certificate.subject : subject,
    subject,
    notBefore,
    notAfter,
    subjectScheme: options.scheme,
    subjectPublicKey: key.publicKey,
    extensions,
  };
  const certificate = signCertificate(template, issuer ? issuer.key : key);
  return { certificate, key, pkcs8: generated.pkcs8 };
}

function defaultSan(profile: CertificateProfile, commonName: string): GeneralName[] {
  return profile === 'server' && isDnsName(commonName) ? [{ type: 'dns', value: commonName }] : [];
}

/** 16 random bytes, top bit 0 (positive) and next bit 1 (so DER keeps all 16 octets). */
export function randomSerial(random: RandomSource): Uint8Array {
  const serial = new Uint8Array(random(16));
  if (serial.length !== 16) throw new RangeError('random source returned the wrong length');
  serial[0] = (serial[0]! & 0x7f) | 0x40;
  return serial;
}
