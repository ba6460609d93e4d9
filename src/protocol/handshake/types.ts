/**
 * The contract between a pqvpn control session and its driver
 * (docs/PROTOCOL.md §10 and src/protocol/README.md).
 *
 * A session is a pure state machine. The driver calls `start`/`receive`/
 * `onTimer`/… with the current time in milliseconds and performs the actions
 * each call returns, in order:
 * - `send`: transmit the datagram to the peer (the session's one peer address;
 *   the server driver knows it from where the packets came);
 * - `timer`: call `onTimer` at `at` (absolute ms). Every call returns exactly
 *   one `timer` action, last: the session's earliest deadline, replacing any
 *   earlier one (`Infinity` = none);
 * - events: everything else (see `SessionEvent`).
 *
 * Configurations are plain data (strings, numbers, Uint8Arrays), so a driver
 * can post them to a worker thread and build the session there; the injected
 * dependencies (`HandshakeCrypto`, `PeerCertificateVerifier`) are built in
 * that worker too.
 * @module
 */

import type { SignatureScheme } from '../../crypto/signature-scheme.js';
import type { DataKeyMaterial } from '../data/keys.js';
import type { ExtraSecretMode } from './constants.js';

export interface SendAction {
  readonly type: 'send';
  readonly datagram: Uint8Array;
}

export interface TimerAction {
  readonly type: 'timer';
  readonly at: number;
}

/** Who the peer proved to be. */
export interface PeerIdentity {
  /** Subject common name of the peer's certificate, when it presented one. */
  readonly commonName?: string;
  /** The username it authenticated with (server side, password modes). */
  readonly username?: string;
}

export type SessionEvent =
  /** The handshake finished; data keys for `keyId` are installed. Client: with the server's pushed options. */
  | {
      readonly type: 'established';
      readonly keyId: number;
      readonly peerId: number;
      readonly pushOptions: readonly string[];
      readonly peer: PeerIdentity;
      /** The negotiated KEM suite's name (e.g. 'x-wing'), for logs and status. */
      readonly suite: string;
      /** The signature scheme of the peer's certificate, when it presented one (e.g. 'ml-dsa-65'). */
      readonly peerScheme?: string;
    }
  /**
   * New data keys. `sending: true` — use them for sending at once (and for
   * receiving). `sending: false` — accept packets under them, keep sending
   * under the old key until `keys-activated`.
   */
  | { readonly type: 'keys-installed'; readonly keys: DataKeyMaterial; readonly sending: boolean }
  /** Start sending under `keyId` (the peer has proven it holds the keys). */
  | { readonly type: 'keys-activated'; readonly keyId: number }
  /**
   * Server only: the client finished its part; decide. Answer with
   * `authResult`. `password` is the raw bytes the client sent (wipe them when
   * done); absent in certificate-only mode.
   */
  | {
      readonly type: 'auth-needed';
      readonly commonName?: string;
      readonly username?: string;
      readonly password?: Uint8Array;
    }
  /**
   * Responder only: the peer mixes an extra secret (a QKD key) into this key
   * epoch; fetch it by `extraKeyId` (ETSI QKD 014 "get key with key IDs") and
   * answer with `provideExtraSecret`.
   */
  | {
      readonly type: 'extra-secret-needed';
      readonly keyId: number;
      readonly extraKeyId: Uint8Array;
      readonly initiatorSaeId: string;
      readonly responderSaeId: string;
      readonly mode: 'optional' | 'required';
    }
  /** A rekey handshake began (`initiator`: who started it). */
  | { readonly type: 'rekey-started'; readonly keyId: number; readonly initiator: 'local' | 'peer' }
  /**
   * The session ended. `reason` is a stable code: an alert name
   * (AUTH_FAILED, BAD_CERTIFICATE, …, CLOSE_NOTIFY, RESTART) or
   * HANDSHAKE_TIMEOUT. `by`: who ended it. `detail` is local diagnostics for
   * logs (never sent to the peer, never secret).
   */
  | {
      readonly type: 'closed';
      readonly reason: string;
      readonly by: 'local' | 'peer';
      readonly detail?: string;
    };

export type SessionAction = SendAction | TimerAction | SessionEvent;

/** Result of checking a peer's certificate chain (implemented by src/pki in production). */
export type PeerVerification =
  | {
      readonly ok: true;
      readonly publicKey: Uint8Array;
      readonly scheme: SignatureScheme;
      readonly commonName: string;
    }
  | { readonly ok: false; readonly code: string; readonly reason: string };

export interface PeerCertificateVerifier {
  /** `now` in ms since the epoch. Must not throw on malformed input. */
  verify(
    chainDer: readonly Uint8Array[],
    expectedEku: 'serverAuth' | 'clientAuth',
    now: number,
  ): PeerVerification;
}

/** This endpoint's certificate chain and signing key. */
export interface LocalIdentity {
  /** DER certificates, leaf first (the trust anchor may be omitted). */
  readonly chain: readonly Uint8Array[];
  /** Signature scheme name (registry of src/crypto/signature-schemes.ts), e.g. 'ml-dsa-65'. */
  readonly scheme: string;
  readonly secretKey: Uint8Array;
}

/** Extra-secret (QKD) configuration of one endpoint. */
export interface ExtraSecretConfig {
  readonly mode: 'optional' | 'required';
  /** Our SAE id (ETSI GS QKD 014). */
  readonly localSaeId: string;
  /** The SAE id we expect the peer to have. */
  readonly peerSaeId: string;
}

/** What the initiator's driver fetched from its KME for one key epoch. */
export interface ExtraSecretInput {
  readonly keyId: Uint8Array;
  readonly secret: Uint8Array;
}

export interface CommonSessionConfig {
  /** Largest control datagram in bytes, tls-crypt included. Default 1250. */
  readonly mtu?: number;
  /** tls-crypt static key (≥ 32 bytes); both sides must agree. */
  readonly tlsCryptKey?: Uint8Array;
  /** Pre-shared key mixed into every key epoch; both sides must have the same one. */
  readonly psk?: Uint8Array;
  readonly extraSecret?: ExtraSecretConfig;
  readonly initialRtoMs?: number;
  readonly maxRtoMs?: number;
  readonly handshakeTimeoutMs?: number;
  readonly lingerMs?: number;
  readonly transitionWindowMs?: number;
  readonly maxInFlight?: number;
}

export interface ClientConfig extends CommonSessionConfig {
  /** KEM suites to offer, most preferred first (a key share is sent for each). Default ['x-wing']. */
  readonly kemSuites?: readonly string[];
  /** Signature schemes accepted for the server. Default: every registered scheme. */
  readonly signatureSchemes?: readonly string[];
  /** Client certificate, for servers that require one. */
  readonly identity?: LocalIdentity;
  /** Username and password, for servers that require them. */
  readonly credentials?: { readonly username: string; readonly password: Uint8Array };
  /** OpenVPN verify-x509-name: the server certificate's common name must match. */
  readonly verifyX509Name?: { readonly type: 'name' | 'name-prefix'; readonly value: string };
}

export interface ServerConfig extends CommonSessionConfig {
  readonly identity: LocalIdentity;
  /** KEM suites accepted. Default ['x-wing', 'ml-kem-1024']; the client's order decides among them. */
  readonly kemSuites?: readonly string[];
  /** What the client must present. At least one of the two. */
  readonly clientAuth: { readonly certificate: boolean; readonly password: boolean };
  /** Signature schemes accepted for client certificates. Default: every registered scheme. */
  readonly clientSignatureSchemes?: readonly string[];
}

export type AuthResult =
  | { readonly ok: true; readonly peerId: number; readonly pushOptions: readonly string[] }
  | { readonly ok: false; readonly reason: string };

export type SessionPhase = 'handshaking' | 'established' | 'closed';

export function extraModeName(mode: ExtraSecretMode): 'optional' | 'required' {
  return mode === 2 ? 'required' : 'optional';
}
