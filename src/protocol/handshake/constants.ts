/**
 * Constants of the pqvpn control protocol, version 1.
 *
 * "Specification constants" are part of the wire protocol: changing one breaks
 * interoperability and needs a new protocol version (docs/PROTOCOL.md cites each
 * one). "Implementation constants" are this implementation's tunables and
 * defaults; a compatible peer may choose differently (wireguard-go's
 * device/constants.go split).
 * @module
 */

// ---------------------------------------------------------------- specification

/** Protocol versions this implementation speaks, most preferred first. */
export const PROTOCOL_VERSION_1 = 0x0001;
export const SUPPORTED_VERSIONS: readonly number[] = [PROTOCOL_VERSION_1];

/** First byte of every datagram: opcode in the high 5 bits, key id in the low 3 (as OpenVPN). */
export const Opcode = {
  control: 1,
  cookieReply: 2,
  data: 9,
} as const;
export type Opcode = (typeof Opcode)[keyof typeof Opcode];

/** Protection levels of control packets (like QUIC's packet number spaces' keys, one number space per key id). */
export const Level = {
  /** Keys derived from the client's session id: integrity against corruption, no secrecy. */
  initial: 0,
  /** Keys from the handshake (or, in a rekey, from the previous epoch's rekey secret). */
  handshake: 1,
  /** Keys from the master secret of this key epoch. */
  application: 2,
} as const;
export type Level = (typeof Level)[keyof typeof Level];
export const LEVEL_COUNT = 3;

/** Frame types inside a control packet's protected payload. */
export const FrameType = {
  padding: 0x00,
  ack: 0x01,
  stream: 0x02,
} as const;

/** Handshake message types (the `type` byte of the message header). */
export const MessageType = {
  clientHello: 1,
  serverHello: 2,
  encryptedExtensions: 8,
  certificate: 11,
  certificateVerify: 15,
  finished: 20,
  passwordAuth: 21,
  serverResult: 22,
  rekeyInit: 24,
  rekeyResponse: 25,
  alert: 30,
} as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

export const SESSION_ID_LENGTH = 8;
/** ServerHello.key_check length. */
export const KEY_CHECK_LENGTH = 16;
export const RANDOM_LENGTH = 32;
/** SHA-384. */
export const HASH_LENGTH = 48;
export const AEAD_TAG_LENGTH = 16;
export const AEAD_KEY_LENGTH = 32;
export const AEAD_IV_LENGTH = 12;
/** Control packet header: op/key id, src sid, dst sid, level, packet number. */
export const CONTROL_HEADER_LENGTH = 1 + 8 + 8 + 1 + 4;
/** Handshake message header: type (1) + length (3). */
export const MESSAGE_HEADER_LENGTH = 4;
export const MAX_TOKEN_LENGTH = 64;
export const MAX_ACK_RANGES = 16;
/** Peer id 0xFFFFFF means "unassigned" (docs/PROTOCOL.md, data packets). */
export const PEER_ID_UNASSIGNED = 0xffffff;

/** Largest body accepted for each message type (bounds reassembly memory before the body arrives). */
export const MAX_MESSAGE_LENGTH: Readonly<Record<MessageType, number>> = {
  [MessageType.clientHello]: 16_384,
  [MessageType.serverHello]: 8_192,
  [MessageType.encryptedExtensions]: 4_096,
  [MessageType.certificate]: 262_144,
  [MessageType.certificateVerify]: 65_536,
  [MessageType.finished]: HASH_LENGTH,
  [MessageType.passwordAuth]: 1_300,
  [MessageType.serverResult]: 16_384,
  [MessageType.rekeyInit]: 8_192,
  [MessageType.rekeyResponse]: 8_192,
  [MessageType.alert]: 1,
};

/** Alert codes (values from the TLS alert registry where one exists). */
export const AlertCode = {
  closeNotify: 0,
  restart: 1,
  unexpectedMessage: 10,
  handshakeFailure: 40,
  badCertificate: 42,
  certificateRevoked: 44,
  certificateExpired: 45,
  illegalParameter: 47,
  unknownCa: 48,
  decodeError: 50,
  decryptError: 51,
  protocolVersion: 70,
  noCommonSuite: 71,
  internalError: 80,
  certificateRequired: 116,
  authFailed: 200,
  extraSecretUnavailable: 201,
  pskMismatch: 202,
  timeout: 203,
} as const;
export type AlertCode = (typeof AlertCode)[keyof typeof AlertCode];

/** Stable names for alert codes (events, logs, docs). */
export const ALERT_NAMES: Readonly<Record<AlertCode, string>> = {
  0: 'CLOSE_NOTIFY',
  1: 'RESTART',
  10: 'UNEXPECTED_MESSAGE',
  40: 'HANDSHAKE_FAILURE',
  42: 'BAD_CERTIFICATE',
  44: 'CERTIFICATE_REVOKED',
  45: 'CERTIFICATE_EXPIRED',
  47: 'ILLEGAL_PARAMETER',
  48: 'UNKNOWN_CA',
  50: 'DECODE_ERROR',
  51: 'DECRYPT_ERROR',
  70: 'PROTOCOL_VERSION',
  71: 'NO_COMMON_SUITE',
  80: 'INTERNAL_ERROR',
  116: 'CERTIFICATE_REQUIRED',
  200: 'AUTH_FAILED',
  201: 'EXTRA_SECRET_UNAVAILABLE',
  202: 'PSK_MISMATCH',
  203: 'TIMEOUT',
};

export function isAlertCode(v: number): v is AlertCode {
  return Object.hasOwn(ALERT_NAMES, v);
}

/** Client authentication the server requires (bit mask in EncryptedExtensions). */
export const ClientAuth = {
  certificate: 1,
  password: 2,
} as const;

/** Extra secret (QKD key) modes, carried in ClientHello and RekeyInit. */
export const ExtraSecretMode = {
  none: 0,
  optional: 1,
  required: 2,
} as const;
export type ExtraSecretMode = (typeof ExtraSecretMode)[keyof typeof ExtraSecretMode];

// ---------------------------------------------------------------- implementation

/** Default largest control datagram (OpenVPN's tls-mtu default is 1250). */
export const DEFAULT_CONTROL_MTU = 1250;
/** Smallest control MTU accepted in configuration. */
export const MIN_CONTROL_MTU = 256;
/**
 * First retransmission timeout; doubles per retransmission up to MAX_RTO_MS (RFC 9147 §5.8.2 uses 1 s;
 * the low cap keeps a lossy handshake well inside the 60 s hand-window — handshakes are a few packets).
 */
export const DEFAULT_INITIAL_RTO_MS = 1_000;
export const MAX_RTO_MS = 4_000;
/** A handshake (initial or rekey) that has not completed after this long fails (OpenVPN hand-window). */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 60_000;
/** How long a closed session keeps answering (acknowledging, repeating its alert). */
export const DEFAULT_LINGER_MS = 10_000;
/** How long the keys of a superseded epoch are kept after a rekey (OpenVPN tran-window). */
export const DEFAULT_TRANSITION_WINDOW_MS = 60_000;
/** Before the peer proves it owns its address, send at most this many times the bytes received (RFC 9000 §8.1). */
export const AMPLIFICATION_FACTOR = 3;
/** Packets buffered at a level whose keys are not known yet (e.g. Handshake packets overtaking the ServerHello). */
export const MAX_BUFFERED_PACKETS = 32;
/** Out-of-order fragments held per stream before new ones are dropped. */
export const MAX_STREAM_GAPS = 64;
/** Received packet-number ranges remembered per key epoch. */
export const MAX_RECEIVED_RANGES = 64;
/** Cookie lifetime and secret rotation period. */
export const COOKIE_PERIOD_MS = 120_000;
