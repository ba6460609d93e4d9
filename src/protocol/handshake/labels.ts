/**
 * The one registry of key-derivation labels (rosenpass's `hash_domains.rs`
 * idea): every HKDF label and signature context string pqvpn uses is here, so
 * domain separation can be reviewed in one place and two derivations can never
 * share a label by accident.
 *
 * On the wire of the KDF each label is prefixed with `LABEL_PREFIX` ("pqvpn1 ",
 * the protocol name and major version, as TLS 1.3 uses "tls13 ") inside the
 * HkdfLabel structure of RFC 8446 §7.1 (see key-schedule.ts). A new protocol
 * version changes the prefix, so keys of different versions never collide.
 *
 * docs/PROTOCOL.md §6.7 lists the same table (test/protocol/vectors/doc.test.ts
 * checks that it names every label); a test checks that all
 * labels are distinct and fit the HkdfLabel length limit.
 * @module
 */

export const LABEL_PREFIX = 'pqvpn1 ';

export const Label = {
  // --- the TLS 1.3-shaped schedule (RFC 8446 §7.1) ---
  derived: 'derived',
  clientHandshakeTraffic: 'c hs traffic',
  serverHandshakeTraffic: 's hs traffic',
  clientAppTraffic: 'c ap traffic',
  serverAppTraffic: 's ap traffic',
  /** ServerHello.key_check: early detection of a PSK or extra-secret mismatch (context: hash of ClientHello). */
  keyCheck: 'key check',
  /** Secret from which both directions' data keys for one key id are expanded. */
  data: 'data',
  /** Chains one key epoch to the next (the role of TLS's resumption_master_secret). */
  rekey: 'rekey',
  // --- expansion of a traffic secret into AEAD keys, and the Finished MAC key ---
  key: 'key',
  iv: 'iv',
  finished: 'finished',
  // --- data-channel keys per direction (context: the key id as one byte) ---
  clientDataKey: 'c data key',
  clientDataIv: 'c data iv',
  serverDataKey: 's data key',
  serverDataIv: 's data iv',
  // --- protection of rekey handshake packets (from the previous epoch's rekey secret; context: new key id) ---
  clientRekeyTraffic: 'c rk traffic',
  serverRekeyTraffic: 's rk traffic',
  // --- Initial packet protection (keyed by the client's session id; integrity against corruption only) ---
  clientInitial: 'c initial',
  serverInitial: 's initial',
  cookieReply: 'cookie reply',
  // --- stateless cookies: per-period secret from the server's cookie master key ---
  cookieSecret: 'cookie secret',
  // --- tls-crypt: per-direction subkeys from the static key ---
  tlsCryptClientToServer: 'tls-crypt c2s',
  tlsCryptServerToClient: 'tls-crypt s2c',
} as const;

export type LabelName = keyof typeof Label;

/** Signature context strings (full strings, prefix included), as TLS 1.3 §4.4.3. */
export const SignatureContext = {
  server: `${LABEL_PREFIX}server CertificateVerify`,
  client: `${LABEL_PREFIX}client CertificateVerify`,
} as const;

/** The fixed salt of the Initial-packet key derivation: SHA-384 of this ASCII string. */
export const INITIAL_SALT_INPUT = `${LABEL_PREFIX}initial salt`;
