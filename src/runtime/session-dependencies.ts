/**
 * Building what a handshake session needs in the thread that runs it: the
 * signature plugins, the certificate verifier and a check of the session
 * configuration — from the plain-data options of control-plane-options.ts.
 *
 * This is the public-key side of the runtime: it imports src/pki and (through
 * the sessions) the signature and KEM code. The in-process control planes and
 * the handshake workers import it; the worker pool's main thread must not.
 * @module
 */

import { PqvpnError } from '../errors.js';
import { createPeerVerifier } from '../identity/peer-verifier.js';
import { parseCertificate, parseCertificatesPem } from '../pki/certificate.js';
import { ClientSession } from '../protocol/handshake/client.js';
import type { HandshakeCrypto } from '../protocol/handshake/crypto-provider.js';
import { ServerSession } from '../protocol/handshake/server.js';
import type { ClientConfig, PeerCertificateVerifier, ServerConfig } from '../protocol/handshake/types.js';
import { decodePem } from '../util/pem.js';
import type { VerifierSource } from './control-plane-options.js';

/**
 * Loads the plugin files in order, in this thread (a plugin registers its
 * scheme as it loads; loading the same file again is a no-op). The loader is
 * imported only when there is a plugin, so plugin-less starts stay light.
 * Fails with the loader's PLUGIN_LOAD_FAILED / PLUGIN_INVALID.
 */
export async function loadSignaturePlugins(paths: readonly string[]): Promise<void> {
  if (paths.length === 0) return;
  const { loadSignaturePlugin } = await import('../crypto/signature-plugin.js');
  for (const path of paths) await loadSignaturePlugin(path);
}

/**
 * Parses the trust anchors and CRLs once and returns the production verifier
 * over them: src/identity's, so a handshake thread checks exactly what the
 * config asks (a CRL file re-read on change, a CRL directory, the subject
 * form of verify-x509-name, remote-cert-eku/-ku) wherever it runs.
 */
export function createVerifierFromSource(source: VerifierSource): PeerCertificateVerifier {
  const trustAnchors: Uint8Array[] = [];
  for (const a of source.trustAnchors) {
    if (typeof a === 'string') trustAnchors.push(...parseCertificatesPem(a).map((c) => c.der));
    else trustAnchors.push(parseCertificate(a).der);
  }
  if (trustAnchors.length === 0) {
    throw new PqvpnError('CONTROL_CONFIG', 'no CA certificate to verify peers against');
  }
  const crls = (source.crls ?? []).map((c) => (typeof c === 'string' ? decodePem(c, 'X509 CRL') : c));
  return createPeerVerifier({
    trustAnchors,
    ...(crls.length > 0 ? { crls } : {}),
    ...(source.allowedSchemes ? { allowedSchemes: source.allowedSchemes } : {}),
    ...(source.crlFile !== undefined ? { crlFile: source.crlFile } : {}),
    ...(source.crlDir !== undefined ? { crlDir: source.crlDir } : {}),
    ...(source.expectedSubject !== undefined ? { expectedSubject: source.expectedSubject } : {}),
    ...(source.requiredEku !== undefined ? { requiredEku: source.requiredEku } : {}),
    ...(source.requiredKeyUsage !== undefined ? { requiredKeyUsage: source.requiredKeyUsage } : {}),
  });
}

/** A provider that is never called: config checks construct sessions but run no handshake step. */
const NO_CRYPTO: HandshakeCrypto = {
  randomBytes: (n) => new Uint8Array(n).fill(1),
  kemKeygen: unreachable,
  kemEncapsulate: unreachable,
  kemDecapsulate: unreachable,
  sign: unreachable,
  verify: unreachable,
};
const NO_VERIFIER: PeerCertificateVerifier = { verify: unreachable };

function unreachable(): never {
  throw new PqvpnError('INTERNAL', 'configuration check performed a handshake operation');
}

/**
 * Throws the session's own error (CONTROL_CONFIG, UNKNOWN_SIGNATURE_SCHEME, …)
 * for a configuration no session could be built from, at start-up rather than
 * at the first client. Construction checks names, sizes and tunables and
 * performs no public-key operation.
 */
export function checkServerConfig(config: ServerConfig): void {
  new ServerSession(
    config,
    { crypto: NO_CRYPTO, verifier: NO_VERIFIER },
    { now: 0, clientSessionId: new Uint8Array(8).fill(1), addressValidated: false },
  );
}

export function checkClientConfig(config: ClientConfig): void {
  new ClientSession(config, { crypto: NO_CRYPTO, verifier: NO_VERIFIER });
}
