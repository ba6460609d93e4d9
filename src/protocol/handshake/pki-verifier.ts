/**
 * The production `PeerCertificateVerifier`: src/pki's `verifyCertificateChain`
 * behind the small interface the handshake state machines take.
 *
 * The peer sends its chain leaf first; everything after the leaf is offered
 * as intermediates (path building picks what it needs). The trust anchors and
 * CRLs are the local `ca` and `crl-verify` files, parsed once by the driver.
 * The handshake's `now` (ms) becomes the validity time. verify-x509-name is
 * checked by the client state machine on the returned common name, so it
 * works with any verifier; this adapter does not pass it to src/pki.
 *
 * Everything here is plain data plus pure functions: build one per worker
 * thread from the same DER bytes.
 * @module
 */

import type { Certificate } from '../../pki/certificate.js';
import type { Crl } from '../../pki/crl.js';
import { verifyCertificateChain } from '../../pki/verify.js';
import type { PeerCertificateVerifier, PeerVerification } from './types.js';

export interface PkiVerifierOptions {
  /** CA certificates (parsed, DER or PEM). */
  readonly trustAnchors: readonly (Certificate | Uint8Array | string)[];
  readonly crls?: readonly (Crl | Uint8Array | string)[];
  /** Scheme names allowed anywhere in the path (default: all registered). */
  readonly allowedSchemes?: readonly string[];
}

export function createPkiPeerVerifier(options: PkiVerifierOptions): PeerCertificateVerifier {
  return {
    verify(chainDer, expectedEku, now): PeerVerification {
      const [leaf, ...intermediates] = chainDer;
      if (!leaf) return { ok: false, code: 'MALFORMED', reason: 'empty certificate chain' };
      const r = verifyCertificateChain({
        leaf,
        intermediates,
        trustAnchors: options.trustAnchors,
        now: new Date(now),
        expectedEku,
        ...(options.crls ? { crls: options.crls } : {}),
        ...(options.allowedSchemes ? { allowedSchemes: options.allowedSchemes } : {}),
      });
      if (!r.ok) return { ok: false, code: r.code, reason: r.reason };
      return { ok: true, publicKey: r.publicKey, scheme: r.scheme, commonName: r.commonName ?? '' };
    },
  };
}
