/**
 * From a loaded pqvpn config (src/config) to everything a control session
 * needs: the handshake machine's `ServerConfig`/`ClientConfig`
 * (src/protocol/handshake/types.ts), the peer verifier's options, the
 * signature plugins to load, and the values the tunnel driver applies itself.
 *
 * The result is plain data — strings, numbers, booleans, arrays and
 * Uint8Arrays, no functions or class instances — so the driver can
 * `postMessage` it to a worker thread. In the worker:
 *
 *     await loadSignaturePlugins(setup.sigPlugins);          // src/crypto/signature-plugin.ts
 *     const verifier = createPeerVerifier(setup.verifier);   // src/identity/peer-verifier.ts
 *     new ServerEndpoint({ ...setup.session, … }, { crypto, verifier });
 *
 * Mapping (OpenVPN name → here):
 * - `cert`/`key`/`ca` → `session.identity` (`loadLocalIdentity`: key matches,
 *   EKU fits the role); `ca`/`crl-verify`/`sig-schemes`/`verify-x509-name …
 *   subject`/`remote-cert-eku`/`remote-cert-ku` → `verifier`;
 * - `verify-x509-name NAME name|name-prefix` → `session.verifyX509Name`;
 * - `tls-crypt`, `psk` → `session.tlsCryptKey`, `session.psk` (src/keys; the
 *   key files are wiped after copying);
 * - `kem-suites` → `kemSuites`; `sig-schemes` → `signatureSchemes`
 *   (client) / `clientSignatureSchemes` (server);
 * - `verify-client-cert` + `passdb`/`auth-user-pass-verify` →
 *   `session.clientAuth`. The machine knows "required" or "not asked" per
 *   factor; `optional` (certificate or password) cannot be expressed yet and
 *   becomes password-only, with a warning in `warnings`;
 * - `hand-window` → `handshakeTimeoutMs`; `tran-window`, only when given
 *   explicitly, → `transitionWindowMs` (OpenVPN's 3600 s default is far longer
 *   than the machine's 60 s default, which we keep); OpenVPN's `tls-timeout`
 *   has no directive in pqvpn's config, so the retransmission timers keep
 *   their defaults;
 * - control MTU: OpenVPN 2.6's `tls-mtu` default of 1250, lowered to
 *   `tun-mtu` when that is smaller (a small tun-mtu is set for a small path);
 * - `qkd-*` → `session.extraSecret` and `driver.qkd` (the KME settings);
 * - `reneg-sec`/`reneg-bytes`/`reneg-pkts` → `driver`, for the driver's
 *   rekey timer and counters;
 * - `auth-user-pass` (client) → `session.credentials` (`readAuthUserPass`),
 *   unless the caller passes credentials.
 *
 * Every file is read here, once, so every missing or malformed file is
 * reported at start-up naming its directive.
 * @module
 */

import type {
  CommonConfig,
  FileSource,
  ClientConfig as PqvpnClientConfig,
  ServerConfig as PqvpnServerConfig,
} from '../config/model.js';
import { loadSignaturePlugins } from '../crypto/signature-plugin.js';
import { signatureSchemeNames } from '../crypto/signature-schemes.js';
import { PqvpnError } from '../errors.js';
import { loadStaticKey, parseStaticKey, type StaticKeyKind } from '../keys/index.js';
import type { Logger } from '../log.js';
import { DEFAULT_CONTROL_MTU, MIN_CONTROL_MTU } from '../protocol/handshake/constants.js';
import type {
  ClientConfig,
  CommonSessionConfig,
  ExtraSecretConfig,
  ServerConfig,
} from '../protocol/handshake/types.js';
import { type AuthUserPassOptions, readAuthUserPass, type UserPassCredentials } from './auth-user-pass.js';
import { describeSource } from './file-source.js';
import { loadLocalIdentity } from './local-identity.js';
import { loadPeerVerifierSpec, type PeerVerifierSpec } from './peer-verifier.js';

/** A file argument as plain data (an inline block keeps its text). */
export type PlainSource =
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'inline'; readonly text: string };

/** The ETSI GS QKD 014 client settings, for whoever talks to the KME. */
export interface QkdSettings {
  readonly kme: string;
  readonly saeId: string;
  readonly peerSaeId: string;
  readonly keySize: number;
  readonly mode: 'required' | 'optional';
  readonly ca: PlainSource;
  readonly cert: PlainSource;
  readonly key: PlainSource;
}

/** What the driver applies itself (the machines do not rekey on their own). */
export interface DriverSettings {
  /** Rekey after this many seconds (0 = never). */
  readonly renegSec: number;
  /** Rekey after this many data-channel bytes (0 = never). */
  readonly renegBytes: number;
  /** Rekey after this many data-channel packets (0 = never). */
  readonly renegPkts: number;
  readonly tunMtu: number;
  readonly qkd?: QkdSettings;
}

interface SetupBase {
  readonly verifier: PeerVerifierSpec;
  /** Absolute paths of the `sig-plugin` modules; load them in every thread before building a session. */
  readonly sigPlugins: readonly string[];
  readonly driver: DriverSettings;
  /** Things the operator should know (already worded for a log line). */
  readonly warnings: readonly string[];
}

export interface ServerHandshakeSetup extends SetupBase {
  readonly session: ServerConfig;
}

export interface ClientHandshakeSetup extends SetupBase {
  readonly session: ClientConfig;
}

export interface BuildOptions {
  readonly logger?: Logger;
  /** For the local certificate's validity warning; default: now. */
  readonly now?: Date;
}

export interface ClientBuildOptions extends BuildOptions, AuthUserPassOptions {
  /** Use these instead of reading `auth-user-pass` (e.g. asked for by a GUI). */
  readonly credentials?: UserPassCredentials;
}

/** A problem turning a valid config into a handshake setup (e.g. a plugin did not provide a scheme). */
export class HandshakeSetupError extends PqvpnError {}

export async function buildServerHandshakeConfig(
  config: PqvpnServerConfig,
  options: BuildOptions = {},
): Promise<ServerHandshakeSetup> {
  await loadPlugins(config);
  const warnings: string[] = [];
  const identity = await loadLocalIdentity({
    cert: config.cert,
    key: config.key,
    ca: config.ca,
    role: 'server',
    ...loggerAndNow(options),
  });
  const verifier = await wipeOnFailure(identity.secretKey, () => loadPeerVerifierSpec(config));
  const password = config.passdb !== undefined || config.authUserPassVerify !== undefined;
  const certificate = config.verifyClientCert === 'require';
  if (config.verifyClientCert === 'optional') {
    warnings.push(
      'verify-client-cert optional: this version cannot accept "certificate or password"; ' +
        'clients must send a username and password, and their certificates are not requested',
    );
  }
  const session: ServerConfig = {
    ...(await wipeOnFailure(identity.secretKey, () => commonSession(config, options))),
    identity,
    kemSuites: [...config.kemSuites],
    clientAuth: { certificate, password },
    clientSignatureSchemes: [...config.sigSchemes],
  };
  return { session, verifier, sigPlugins: [...config.sigPlugins], driver: driverSettings(config), warnings };
}

export async function buildClientHandshakeConfig(
  config: PqvpnClientConfig,
  options: ClientBuildOptions = {},
): Promise<ClientHandshakeSetup> {
  await loadPlugins(config);
  const identity =
    config.cert && config.key
      ? await loadLocalIdentity({
          cert: config.cert,
          key: config.key,
          ca: config.ca,
          role: 'client',
          ...loggerAndNow(options),
        })
      : undefined;
  const secret = identity?.secretKey ?? new Uint8Array(0);
  const verifier = await wipeOnFailure(secret, () => loadPeerVerifierSpec(config));
  const credentials =
    options.credentials ??
    (config.authUserPass
      ? await wipeOnFailure(secret, () => readAuthUserPass(config.authUserPass?.source, options))
      : undefined);
  const common = await wipeOnFailure(secret, () => commonSession(config, options)).catch((error) => {
    if (!options.credentials) credentials?.password.fill(0);
    throw error;
  });
  const rule = config.verifyX509Name;
  const session: ClientConfig = {
    ...common,
    kemSuites: [...config.kemSuites],
    signatureSchemes: [...config.sigSchemes],
    ...(identity ? { identity } : {}),
    ...(credentials
      ? { credentials: { username: credentials.username, password: credentials.password } }
      : {}),
    ...(rule && rule.type !== 'subject' ? { verifyX509Name: { type: rule.type, value: rule.name } } : {}),
  };
  return {
    session,
    verifier,
    sigPlugins: [...config.sigPlugins],
    driver: driverSettings(config),
    warnings: [],
  };
}

/** Loads `sig-plugin`s and checks that every `sig-schemes` name now exists. */
async function loadPlugins(config: CommonConfig): Promise<void> {
  await loadSignaturePlugins(config.sigPlugins);
  const known = new Set(signatureSchemeNames());
  const missing = config.sigSchemes.filter((n) => !known.has(n));
  if (missing.length > 0)
    throw new HandshakeSetupError(
      'HANDSHAKE_SETUP_UNKNOWN_SCHEME',
      `sig-schemes names ${missing.join(', ')}, which no built-in scheme or sig-plugin provides ` +
        `(known: ${[...known].join(', ')})`,
    );
}

async function commonSession(config: CommonConfig, options: BuildOptions): Promise<CommonSessionConfig> {
  const explicit = (directive: string) => !config.defaulted.includes(directive);
  const tlsCryptKey = config.tlsCrypt ? await loadKey(config.tlsCrypt, 'tls-crypt', options) : undefined;
  const psk = config.psk ? await loadKey(config.psk, 'psk', options) : undefined;
  const extraSecret: ExtraSecretConfig | undefined = config.qkd
    ? { mode: config.qkd.mode, localSaeId: config.qkd.saeId, peerSaeId: config.qkd.peerSaeId }
    : undefined;
  return {
    mtu: controlMtu(config.tunMtu),
    handshakeTimeoutMs: config.handWindow * 1000,
    ...(explicit('tran-window') ? { transitionWindowMs: config.tranWindow * 1000 } : {}),
    ...(tlsCryptKey ? { tlsCryptKey } : {}),
    ...(psk ? { psk } : {}),
    ...(extraSecret ? { extraSecret } : {}),
  };
}

/** OpenVPN's tls-mtu default (1250), or tun-mtu when smaller; never below the machine's minimum. */
export function controlMtu(tunMtu: number): number {
  return Math.max(MIN_CONTROL_MTU, Math.min(DEFAULT_CONTROL_MTU, tunMtu));
}

async function loadKey(source: FileSource, kind: StaticKeyKind, options: BuildOptions): Promise<Uint8Array> {
  const key =
    source.kind === 'file'
      ? await loadStaticKey(source.path, kind, options.logger ? { logger: options.logger } : {})
      : parseStaticKey(source.text, kind, describeSource(source, kind));
  try {
    return new Uint8Array(key.bytes);
  } finally {
    key.wipe();
  }
}

function driverSettings(config: CommonConfig): DriverSettings {
  const q = config.qkd;
  return {
    renegSec: config.renegSec,
    renegBytes: config.renegBytes,
    renegPkts: config.renegPkts,
    tunMtu: config.tunMtu,
    ...(q
      ? {
          qkd: {
            kme: q.kme,
            saeId: q.saeId,
            peerSaeId: q.peerSaeId,
            keySize: q.keySize,
            mode: q.mode,
            ca: plain(q.ca),
            cert: plain(q.cert),
            key: plain(q.key),
          },
        }
      : {}),
  };
}

/** Runs `step`; if it fails, zeroes `secret` (a key loaded earlier) before rethrowing. */
async function wipeOnFailure<T>(secret: Uint8Array, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    secret.fill(0);
    throw error;
  }
}

function plain(source: FileSource): PlainSource {
  return source.kind === 'file' ? { kind: 'file', path: source.path } : { kind: 'inline', text: source.text };
}

function loggerAndNow(options: BuildOptions): { logger?: Logger; now?: Date } {
  return {
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.now ? { now: options.now } : {}),
  };
}
