/** Shared fixtures for the PKI tests: a deterministic random source, fixed times, quick CAs. */

import { createHash } from 'node:crypto';
import { signatureSchemeByName } from '../../src/crypto/signature-schemes.js';
import { type Certificate, type Signer, signCertificate } from '../../src/pki/certificate.js';
import type { PkiContext, RandomSource } from '../../src/pki/context.js';
import { derBitString, derSequence, parseDer } from '../../src/pki/der.js';
import {
  createCertificate,
  type IssuingCa,
  type NewCertificate,
  type NewCertificateOptions,
} from '../../src/pki/issue.js';

/** SHA-256 in counter mode over a label: the same label gives the same bytes, run after run. */
export function seededRandom(label: string): RandomSource {
  let counter = 0;
  return (length) => {
    const out = new Uint8Array(length);
    for (let off = 0; off < length; off += 32) {
      const block = createHash('sha256').update(`${label}/${counter++}`).digest();
      out.set(block.subarray(0, Math.min(32, length - off)), off);
    }
    return out;
  };
}

export const NOW = new Date('2026-03-01T12:00:00Z');
export const DAY = 86_400_000;

export function fixedContext(label: string, now: Date = NOW): PkiContext & { setNow(d: Date): void } {
  let current = now;
  return { now: () => current, random: seededRandom(label), setNow: (d) => (current = d) };
}

export const mlDsa44 = signatureSchemeByName('ml-dsa-44');
export const mlDsa65 = signatureSchemeByName('ml-dsa-65');

type Overrides = Partial<Omit<NewCertificateOptions, 'profile'>>;

export function makeCa(label = 'ca', overrides: Overrides = {}, issuer?: IssuingCa): NewCertificate {
  return createCertificate(
    {
      profile: 'ca',
      subject: { commonName: `${label} CA` },
      scheme: mlDsa44,
      days: 3650,
      now: new Date(NOW.getTime() - DAY),
      random: seededRandom(label),
      ...overrides,
    },
    issuer,
  );
}

export function makeLeaf(
  ca: IssuingCa,
  profile: 'server' | 'client',
  name: string,
  overrides: Overrides = {},
): NewCertificate {
  return createCertificate(
    {
      profile,
      subject: { commonName: name },
      scheme: mlDsa44,
      days: 365,
      now: new Date(NOW.getTime() - DAY),
      random: seededRandom(`${profile}/${name}`),
      ...overrides,
    },
    ca,
  );
}

/**
 * Rebuilds a certificate with its TBSCertificate fields edited and signs it again,
 * so a test can make a certificate that is wrong in exactly one way.
 */
export function resign(
  cert: Certificate,
  signer: Signer,
  edit: (fields: Uint8Array[]) => Uint8Array[],
  outerAlgorithm?: Uint8Array,
): Uint8Array {
  const tbsNode = parseDer(cert.tbs);
  const tbs = derSequence(...edit(tbsNode.children.map((c) => new Uint8Array(c.encoded))));
  const algorithm = outerAlgorithm ?? cert.signatureAlgorithm.der;
  return derSequence(tbs, algorithm, derBitString(signer.scheme.sign(signer.secretKey, tbs)));
}

/** A copy of `bytes` with one bit flipped at `index` (negative counts from the end). */
export function flipBit(bytes: Uint8Array, index: number): Uint8Array {
  const copy = new Uint8Array(bytes);
  const i = index < 0 ? copy.length + index : index;
  copy[i]! ^= 0x01;
  return copy;
}

export { signCertificate };
