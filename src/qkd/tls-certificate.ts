/**
 * ECDSA P-256 X.509 certificates for the TLS links between SAEs and KMEs.
 *
 * Why not the rest of pqvpn's PKI: the KME interface of ETSI GS QKD 014 is
 * plain HTTPS, served and consumed by OpenSSL (node:https here, other KMEs
 * elsewhere), which does not speak ML-DSA. src/pki builds post-quantum
 * certificates only (its templates name a `SignatureScheme`), so this file
 * reuses its DER encoder, name and extension builders and adds the one
 * classical profile that the TLS stack understands everywhere: an ECDSA
 * P-256 key, signed with ecdsa-with-SHA256 (RFC 5758 §3.2, RFC 5480), with
 * key generation and signing done by node:crypto. No `openssl` subprocess.
 *
 * The profiles mirror src/pki/issue.ts: a CA (basicConstraints CA:TRUE,
 * keyCertSign/cRLSign), servers (serverAuth, subjectAltName with the KME's
 * host names and addresses — TLS clients check those, not the CN) and clients
 * (clientAuth; the CN is the SAE ID, which is how a KME identifies its SAE).
 *
 * Note that this classical link is outside pqvpn's post-quantum security
 * argument: the QKD key only ever adds to the hybrid KEM secret (see
 * docs/QKD.md), so a broken KME link cannot weaken a session below the
 * post-quantum handshake alone.
 * @module
 */

import { generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';
import {
  derBitString,
  derExplicit,
  derInteger,
  derOid,
  derSequence,
  derTime,
  derUnsignedInteger,
} from '../pki/der.js';
import {
  authorityKeyIdentifierExtension,
  basicConstraintsExtension,
  extKeyUsageExtension,
  keyIdentifier,
  keyUsageExtension,
  subjectAltNameExtension,
  subjectKeyIdentifierExtension,
} from '../pki/extensions.js';
import type { GeneralName } from '../pki/general-name.js';
import { randomSerial } from '../pki/issue.js';
import { buildName, type DistinguishedName, type NameInput } from '../pki/name.js';
import { ExtKeyUsageOid } from '../pki/oids.js';
import { encodePem } from '../util/pem.js';

/** RFC 5758 §3.2 ecdsa-with-SHA256; parameters absent. */
const ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';

export type TlsProfile = 'ca' | 'server' | 'client';

export interface TlsIdentity {
  /** PEM certificate. */
  readonly certPem: string;
  /** PEM PKCS#8 private key (mode 0600 on disk). */
  readonly keyPem: string;
  /** For signing further certificates. */
  readonly privateKey: KeyObject;
  readonly subject: DistinguishedName;
  readonly subjectKeyId: Uint8Array;
  readonly notAfter: Date;
}

export interface TlsCertificateOptions {
  readonly profile: TlsProfile;
  readonly subject: NameInput;
  /** subjectAltName entries (servers: every host name and address clients use). */
  readonly san?: readonly GeneralName[];
  readonly days: number;
  readonly now: Date;
}

/** Makes a P-256 key and a certificate for it, self-signed (a CA) or signed by `issuer`. */
export function createTlsCertificate(options: TlsCertificateOptions, issuer?: TlsIdentity): TlsIdentity {
  if (!issuer && options.profile !== 'ca') throw new RangeError('only a CA certificate can be self-signed');
  if (!Number.isInteger(options.days) || options.days < 1)
    throw new RangeError('days must be a positive integer');
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }));
  // keyIdentifier hashes the subjectPublicKey BIT STRING contents: the 65-byte uncompressed point at the end.
  const ski = keyIdentifier(spki.subarray(spki.length - 65));
  const subject = buildName(options.subject);
  // Backdated an hour, so a peer whose clock is slightly behind still accepts a fresh certificate.
  const notBefore = new Date(Math.floor(options.now.getTime() / 1000) * 1000 - 3_600_000);
  let notAfter = new Date(notBefore.getTime() + options.days * 86_400_000);
  if (issuer && notAfter > issuer.notAfter) notAfter = issuer.notAfter;

  const extensions: Uint8Array[] = [];
  if (options.profile === 'ca') {
    extensions.push(
      basicConstraintsExtension({ ca: true, pathLength: 0 }),
      keyUsageExtension(['keyCertSign', 'cRLSign']),
    );
  } else {
    extensions.push(
      basicConstraintsExtension({ ca: false }),
      keyUsageExtension(['digitalSignature']),
      extKeyUsageExtension([
        options.profile === 'server' ? ExtKeyUsageOid.serverAuth : ExtKeyUsageOid.clientAuth,
      ]),
    );
  }
  if (options.san && options.san.length > 0) extensions.push(subjectAltNameExtension(options.san));
  extensions.push(
    subjectKeyIdentifierExtension(ski),
    authorityKeyIdentifierExtension(issuer ? issuer.subjectKeyId : ski),
  );

  const algorithm = derSequence(derOid(ECDSA_WITH_SHA256));
  const tbs = derSequence(
    derExplicit(0, derInteger(2)),
    derUnsignedInteger(randomSerial((n) => new Uint8Array(randomBytes(n)))),
    algorithm,
    (issuer ? issuer.subject : subject).der,
    derSequence(derTime(notBefore), derTime(notAfter)),
    subject.der,
    spki,
    derExplicit(3, derSequence(...extensions)),
  );
  // node:crypto signs ECDSA as a DER Ecdsa-Sig-Value, which is what X.509 wants (RFC 5480 §2.2 / 3279 §2.2.3).
  const signature = new Uint8Array(sign('sha256', tbs, issuer ? issuer.privateKey : privateKey));
  const der = derSequence(tbs, algorithm, derBitString(signature));
  return {
    certPem: encodePem('CERTIFICATE', der),
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    privateKey,
    subject,
    subjectKeyId: ski,
    notAfter,
  };
}
