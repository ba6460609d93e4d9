/**
 * What a control plane is built from: plain data only (strings, numbers,
 * booleans, Uint8Arrays), so the same options object can be posted to worker
 * threads with `postMessage` and every thread builds its own crypto provider,
 * certificate verifier and signature plugins from it.
 *
 * This module holds types only: the worker pool's main thread imports it
 * without pulling in any public-key code.
 * @module
 */

import type { CookiePolicy } from '../protocol/control/gate.js';
import type { ClientConfig, ServerConfig } from '../protocol/handshake/types.js';

/**
 * Where the peer's certificates are checked against: the `ca` file's
 * certificates and the `crl-verify` file's CRLs, as DER bytes or PEM text (a
 * PEM text may hold several certificates). Parsed once per thread.
 */
export interface VerifierSource {
  readonly trustAnchors: readonly (Uint8Array | string)[];
  readonly crls?: readonly (Uint8Array | string)[];
  /** Scheme names allowed anywhere in the path (default: all registered). */
  readonly allowedSchemes?: readonly string[];
  /** `crl-verify FILE`: re-read in the handshake thread whenever the file changes. */
  readonly crlFile?: string;
  /** `crl-verify DIR dir`: a file named by the decimal serial revokes the peer. */
  readonly crlDir?: string;
  /** `verify-x509-name NAME subject`: the exact subject. */
  readonly expectedSubject?: string;
  /** `remote-cert-eku`: a dotted OID the leaf's extendedKeyUsage must contain. */
  readonly requiredEku?: string;
  /** `remote-cert-ku`: OpenVPN key-usage values; empty = any keyUsage present. */
  readonly requiredKeyUsage?: readonly number[];
}

/** Everything both sides share. */
export interface CommonControlPlaneOptions {
  readonly verifier: VerifierSource;
  /**
   * Signature scheme plugins (paths of ES modules, docs/PLUGINS.md), loaded
   * in every thread that runs handshakes before the first session exists.
   */
  readonly pluginPaths?: readonly string[];
  /**
   * Called when the driver misused a session (e.g. `authResult` twice, or
   * `startRekey` before the session is established): a `PqvpnError` with code
   * SESSION_MISUSE. Without it the error is thrown — from the call itself in
   * process, and from the worker-message handler (uncaught) in the pool.
   */
  readonly onError?: (error: Error) => void;
}

export interface ServerControlPlaneOptions extends CommonControlPlaneOptions {
  /** The handshake configuration of every session (src/protocol/handshake/types.ts). */
  readonly session: ServerConfig;
  /** Stateless cookies against spoofed sources (docs/PROTOCOL.md §8). Default 'under-load'. */
  readonly cookies?: CookiePolicy;
  /** Cookies engage (policy 'under-load') while at least this many sessions are half-open. Default 64. */
  readonly halfOpenLoadThreshold?: number;
  /** New sessions are refused beyond this many half-open ones. Default 4096. */
  readonly maxHalfOpen?: number;
}

export interface ClientControlPlaneOptions extends CommonControlPlaneOptions {
  readonly session: ClientConfig;
}

/** Defaults shared by both server implementations (they match ServerEndpoint's). */
export const DEFAULT_HALF_OPEN_LOAD_THRESHOLD = 64;
export const DEFAULT_MAX_HALF_OPEN = 4096;
