/**
 * The one interface every signature scheme implements, built in or third-party.
 *
 * A scheme is a frozen plain object (the noble `Signer` model): a name used in
 * configs and on the wire, the X.509 algorithm OID it signs and is identified
 * by, fixed sizes, and three functions. pqvpn never implements the mathematics
 * itself: the built-in schemes wrap @noble/post-quantum, and a third-party plugin
 * (a "Picnic-style" scheme, say) is an ES module whose default export is an
 * object of this shape (see docs/PLUGINS.md).
 *
 * Contracts:
 * - `keygen(seed)` is deterministic in `seed` (length `seedBytes`), so tests and
 *   vectors can fix keys; callers pass fresh random bytes otherwise.
 * - `sign` is the scheme's "pure" mode with an empty context string; hedged
 *   randomness is the scheme's business.
 * - `verify` returns false for any malformed input and never throws on
 *   untrusted bytes.
 * @module
 */

export interface SignatureKeyPair {
  readonly publicKey: Uint8Array;
  readonly secretKey: Uint8Array;
}

export interface SignatureScheme {
  /** Lower-case name used in configs and logs, e.g. `ml-dsa-65`. */
  readonly name: string;
  /** Dotted X.509 AlgorithmIdentifier OID for both the key and the signature. */
  readonly oid: string;
  /** 16-bit code point on the wire (docs/PROTOCOL.md "Signature schemes"). */
  readonly codePoint: number;
  readonly seedBytes: number;
  readonly publicKeyBytes: number;
  /** Largest possible signature (some schemes, e.g. Falcon, are variable length). */
  readonly signatureBytes: number;
  keygen(seed: Uint8Array): SignatureKeyPair;
  sign(secretKey: Uint8Array, message: Uint8Array): Uint8Array;
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
}
