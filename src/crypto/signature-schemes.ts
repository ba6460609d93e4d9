/**
 * The built-in signature schemes and the registry that finds a scheme by name,
 * OID or wire code point.
 *
 * Every scheme wraps @noble/post-quantum; pqvpn adds only names and identifiers:
 * - ML-DSA (FIPS 204): OIDs from RFC 9881, TLS code points from
 *   draft-ietf-tls-mldsa (0x0904–0x0906).
 * - SLH-DSA (FIPS 205): OIDs from RFC 9909, code points from draft-reddy-tls-slhdsa
 *   (0x0911–0x091C). `-f` variants sign fast with big signatures, `-s` variants
 *   sign slowly with smaller ones.
 * - Falcon-512 (FN-DSA draft): no IETF OID exists yet; we use the Open Quantum
 *   Safe experimental OID 1.3.9999.3.11 and a TLS private-use code point, and say
 *   so wherever it is printed.
 *
 * Third-party plugins (docs/PLUGINS.md) are added with `registerSignatureScheme`
 * and must not reuse a built-in name, OID or code point.
 *
 * Start-up cost: ML-DSA (the default) is imported with this module, but Falcon
 * (about 70 ms of import-time table building) and SLH-DSA are loaded on the
 * first `keygen`/`sign`/`verify` of one of their schemes, synchronously, with
 * `require` of the ES module (Node ≥ 20.19, the `engines` floor). Their sizes are
 * the FIPS 205 / Falcon constants written here, checked against noble's on load,
 * so finding a scheme and reading its sizes never loads it.
 * @module
 */

import { createRequire } from 'node:module';
import { ml_dsa44, ml_dsa65, ml_dsa87 } from '@noble/post-quantum/ml-dsa.js';
import { PqvpnError } from '../errors.js';
import type { SignatureKeyPair, SignatureScheme } from './signature-scheme.js';

/** The subset of noble's `Signer` that we use. */
interface NobleSigner {
  lengths: { seed?: number; publicKey?: number; signature?: number };
  keygen(seed?: Uint8Array): { publicKey: Uint8Array; secretKey: Uint8Array };
  sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array;
  verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean;
}

interface Sizes {
  readonly seed: number;
  readonly publicKey: number;
  /** Largest signature. */
  readonly signature: number;
}

/**
 * A scheme over a noble signer that `load` returns (the first call may import
 * its module; later calls must be cheap). `sizes` are what the scheme
 * advertises before anything is loaded.
 */
function fromNoble(
  name: string,
  oid: string,
  codePoint: number,
  sizes: Sizes,
  load: () => NobleSigner,
): SignatureScheme {
  const { seed: seedBytes, publicKey: publicKeyBytes, signature: signatureBytes } = sizes;
  return Object.freeze({
    name,
    oid,
    codePoint,
    seedBytes,
    publicKeyBytes,
    signatureBytes,
    keygen(seed: Uint8Array): SignatureKeyPair {
      if (seed.length !== seedBytes)
        throw new PqvpnError('BAD_SEED', `${name} needs a ${seedBytes}-byte seed`);
      const { publicKey, secretKey } = load().keygen(seed);
      return { publicKey, secretKey };
    },
    sign(secretKey: Uint8Array, message: Uint8Array): Uint8Array {
      return load().sign(message, secretKey);
    },
    verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
      // noble throws on wrong lengths; untrusted input must yield false instead.
      if (publicKey.length !== publicKeyBytes || signature.length > signatureBytes) return false;
      const signer = load();
      try {
        return signer.verify(signature, message, publicKey);
      } catch {
        return false;
      }
    },
  });
}

/** An already imported signer: its sizes are noble's. */
function eager(name: string, oid: string, codePoint: number, signer: NobleSigner): SignatureScheme {
  const sizes = {
    seed: signer.lengths.seed!,
    publicKey: signer.lengths.publicKey!,
    signature: signer.lengths.signature!,
  };
  return fromNoble(name, oid, codePoint, sizes, () => signer);
}

const requireModule = createRequire(import.meta.url);

type SlhModule = typeof import('@noble/post-quantum/slh-dsa.js');
type FalconModule = typeof import('@noble/post-quantum/falcon.js');

/**
 * A signer from a module loaded on first use. The written sizes must be
 * noble's: a difference is a programming error (a noble upgrade changed a
 * parameter set), reported loudly rather than producing wrong-length checks.
 */
function lazy<M>(
  name: string,
  oid: string,
  codePoint: number,
  sizes: Sizes,
  specifier: string,
  pick: (module: M) => NobleSigner,
): SignatureScheme {
  let signer: NobleSigner | undefined;
  return fromNoble(name, oid, codePoint, sizes, () => {
    if (signer) return signer;
    const loaded = pick(requireModule(specifier) as M);
    const { seed, publicKey, signature } = loaded.lengths;
    if (
      seed !== sizes.seed ||
      publicKey !== sizes.publicKey ||
      (signature ?? sizes.signature) !== sizes.signature
    )
      throw new PqvpnError(
        'SCHEME_SIZE_MISMATCH',
        `${name}: @noble/post-quantum's sizes differ from pqvpn's`,
      );
    signer = loaded;
    return signer;
  });
}

const NIST_SIG = '2.16.840.1.101.3.4.3';

/** Falcon-512 detached signatures are variable length; 752 bytes is the bound for the padded form. */
const FALCON512_MAX_SIGNATURE = 752;

/** FIPS 205 table 2: seed (3n), public key (2n) and signature bytes per parameter set. */
const SLH_SIZES = {
  '128s': { seed: 48, publicKey: 32, signature: 7856 },
  '128f': { seed: 48, publicKey: 32, signature: 17088 },
  '192s': { seed: 72, publicKey: 48, signature: 16224 },
  '192f': { seed: 72, publicKey: 48, signature: 35664 },
  '256s': { seed: 96, publicKey: 64, signature: 29792 },
  '256f': { seed: 96, publicKey: 64, signature: 49856 },
} as const satisfies Record<string, Sizes>;

function slhDsa(hash: 'sha2' | 'shake', set: keyof typeof SLH_SIZES, oidArc: number, codePoint: number) {
  const key = `slh_dsa_${hash}_${set}` as const;
  return lazy<SlhModule>(
    `slh-dsa-${hash}-${set}`,
    `${NIST_SIG}.${oidArc}`,
    codePoint,
    SLH_SIZES[set],
    '@noble/post-quantum/slh-dsa.js',
    (m) => m[key],
  );
}

const builtins: readonly SignatureScheme[] = [
  eager('ml-dsa-44', `${NIST_SIG}.17`, 0x0904, ml_dsa44),
  eager('ml-dsa-65', `${NIST_SIG}.18`, 0x0905, ml_dsa65),
  eager('ml-dsa-87', `${NIST_SIG}.19`, 0x0906, ml_dsa87),
  slhDsa('sha2', '128s', 20, 0x0911),
  slhDsa('sha2', '128f', 21, 0x0912),
  slhDsa('sha2', '192s', 22, 0x0913),
  slhDsa('sha2', '192f', 23, 0x0914),
  slhDsa('sha2', '256s', 24, 0x0915),
  slhDsa('sha2', '256f', 25, 0x0916),
  slhDsa('shake', '128s', 26, 0x0917),
  slhDsa('shake', '128f', 27, 0x0918),
  slhDsa('shake', '192s', 28, 0x0919),
  slhDsa('shake', '192f', 29, 0x091a),
  slhDsa('shake', '256s', 30, 0x091b),
  slhDsa('shake', '256f', 31, 0x091c),
  lazy<FalconModule>(
    'falcon-512',
    '1.3.9999.3.11',
    0xfe01,
    { seed: 48, publicKey: 897, signature: FALCON512_MAX_SIGNATURE },
    '@noble/post-quantum/falcon.js',
    (m) => m.falcon512,
  ),
];

export const DEFAULT_SIGNATURE_SCHEME = 'ml-dsa-65';

const byName = new Map<string, SignatureScheme>();
const byOid = new Map<string, SignatureScheme>();
const byCodePoint = new Map<number, SignatureScheme>();

export class UnknownSignatureSchemeError extends PqvpnError {
  constructor(what: string) {
    super('UNKNOWN_SIGNATURE_SCHEME', `unknown signature scheme ${what}`);
  }
}

/** Adds a scheme (a third-party plugin) to the registry. Throws if any identifier is taken. */
export function registerSignatureScheme(scheme: SignatureScheme): void {
  const name = scheme.name.toLowerCase();
  if (byName.has(name))
    throw new PqvpnError('SCHEME_CONFLICT', `signature scheme name ${name} is already registered`);
  if (byOid.has(scheme.oid))
    throw new PqvpnError(
      'SCHEME_CONFLICT',
      `OID ${scheme.oid} is already used by ${byOid.get(scheme.oid)!.name}`,
    );
  if (byCodePoint.has(scheme.codePoint)) {
    throw new PqvpnError(
      'SCHEME_CONFLICT',
      `code point 0x${scheme.codePoint.toString(16)} is already used by ${byCodePoint.get(scheme.codePoint)!.name}`,
    );
  }
  byName.set(name, scheme);
  byOid.set(scheme.oid, scheme);
  byCodePoint.set(scheme.codePoint, scheme);
}

for (const scheme of builtins) registerSignatureScheme(scheme);

export function signatureSchemeByName(name: string): SignatureScheme {
  const scheme = byName.get(name.toLowerCase());
  if (!scheme)
    throw new UnknownSignatureSchemeError(`'${name}' (known: ${signatureSchemeNames().join(', ')})`);
  return scheme;
}

export function signatureSchemeByOid(oid: string): SignatureScheme | undefined {
  return byOid.get(oid);
}

export function signatureSchemeByCodePoint(codePoint: number): SignatureScheme | undefined {
  return byCodePoint.get(codePoint);
}

export function signatureSchemeNames(): string[] {
  return [...byName.keys()];
}

export function isBuiltinSignatureScheme(scheme: SignatureScheme): boolean {
  return builtins.includes(scheme);
}
