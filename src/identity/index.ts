/**
 * This endpoint's identity and what it needs to judge the peer's, from a
 * pqvpn config (docs/AUTH.md):
 *
 * - `buildServerHandshakeConfig` / `buildClientHandshakeConfig` — everything
 *   a control session needs, as plain data for a worker thread;
 * - `loadLocalIdentity` — `cert`/`key`/`ca` → the handshake's `LocalIdentity`;
 * - `loadPeerVerifierSpec` + `createPeerVerifier` — `ca`, `crl-verify`,
 *   `sig-schemes`, `verify-x509-name … subject`, `remote-cert-*` → the
 *   `PeerCertificateVerifier`;
 * - `readAuthUserPass` — the client's `auth-user-pass`.
 * @module
 */

export {
  AuthUserPassError,
  type AuthUserPassOptions,
  readAuthUserPass,
  type UserPassCredentials,
} from './auth-user-pass.js';
export {
  describeSource,
  MAX_SOURCE_BYTES,
  readSourceBytes,
  readSourceText,
  SourceError,
} from './file-source.js';
export {
  type BuildOptions,
  buildClientHandshakeConfig,
  buildServerHandshakeConfig,
  type ClientBuildOptions,
  type ClientHandshakeSetup,
  controlMtu,
  type DriverSettings,
  HandshakeSetupError,
  type PlainSource,
  type QkdSettings,
  type ServerHandshakeSetup,
} from './handshake-config.js';
export {
  IdentityError,
  type IdentityRole,
  type LocalIdentitySources,
  loadLocalIdentity,
  parseCertificateBundle,
} from './local-identity.js';
export {
  createPeerVerifier,
  loadPeerVerifierSpec,
  openvpnKeyUsageValue,
  type PeerVerifierOptions,
  type PeerVerifierSpec,
  parseCrlBundle,
} from './peer-verifier.js';
