/**
 * Data-channel constants: the wire format (specification constants) apart from
 * the defaults a deployment may tune (implementation constants), each citing
 * where it comes from. docs/PROTOCOL.md §11 and §12.3 are the prose for these.
 * @module
 */

// ── Specification constants ──────────────────────────────────────────────────

/** First byte of every datagram: opcode in the high 5 bits, key id in the low 3 (OpenVPN). */
export const OPCODE_SHIFT = 3;
export const KEY_ID_MASK = 0x07;
/** Opcode of data packets (OpenVPN's P_DATA_V2 number). */
export const OPCODE_DATA = 9;

/** `[op|key_id:1][peer_id:3][counter:8]` — also the AEAD associated data. */
export const DATA_HEADER_LENGTH = 12;
export const PEER_ID_OFFSET = 1;
export const COUNTER_OFFSET = 4;
/** AES-256-GCM tag length. */
export const DATA_TAG_LENGTH = 16;
/** Bytes a data packet adds to its plaintext. */
export const DATA_OVERHEAD = DATA_HEADER_LENGTH + DATA_TAG_LENGTH;

/** Peer ids are 24 bits; 0xFFFFFF means "unassigned" and never appears in a data packet. */
export const PEER_ID_UNASSIGNED = 0xffffff;
export const MAX_PEER_ID = 0xfffffe;

/**
 * Counters run 1..2^48−1 per key. The 64-bit field leaves room, but no conforming
 * sender gets near 2^48: the AEAD confidentiality limit stops a key after at most
 * 2^31 packets. Receivers drop 0 and anything larger without decrypting.
 */
export const MAX_PACKET_COUNTER = 2 ** 48 - 1;

/** Largest plaintext (an IPv4/IPv6 packet without jumbograms is at most 65535 bytes). */
export const MAX_DATA_PLAINTEXT = 65_535;

/** Plaintexts whose first byte is below this are in-band messages, not IP packets. */
export const IN_BAND_LIMIT = 0x40;
/** In-band message types (first plaintext byte). */
export const InBandType = { keepalive: 0x00, exitNotice: 0x01 } as const;
export const KEEPALIVE_LENGTH = 1;
export const EXIT_NOTICE_LENGTH = 2;
/** Reason byte of an exit notice. Unknown values are still exit notices (the peer is leaving). */
export const ExitReason = { shuttingDown: 0, restarting: 1 } as const;

// AES-GCM usage limits, draft-irtf-cfrg-aead-limits-13 §6.2 (single key) and
// §7.1 (multi-key, nonce randomisation as here: nonce = IV xor counter).
// Usage is counted in 16-byte blocks of AAD + plaintext, plus one per packet for
// the q term: blocks(packet) = ceil((12 + plaintext) / 16) + 1. Counting blocks
// rather than packets makes the limit independent of packet size.

/**
 * Hard confidentiality limit per send key: 2^32 blocks (~64 GiB). §6.2.1:
 * CA ≤ (s + q + 1)^2 / 2^129 = 2^-65 at the limit. For the multi-key bound of
 * §7.1.2 this caps B (blocks per key) at 2^32. The sender stops using the key.
 */
export const AEAD_CONFIDENTIALITY_HARD_BLOCKS = 2 ** 32;
/** Rekey is requested at half the hard limit, leaving time for a handshake at line rate. */
export const AEAD_CONFIDENTIALITY_SOFT_BLOCKS = 2 ** 31;
/**
 * Hard integrity limit per receive key: 2^36 failed decryptions, DTLS 1.3's
 * figure for AES-GCM (RFC 9147 §4.5.3), far below the draft's §6.2.2 bound
 * v ≤ min(2^64, p·2^127/(L+1)). The key is discarded when reached.
 */
export const AEAD_INTEGRITY_HARD_FAILURES = 2 ** 36;
export const AEAD_INTEGRITY_SOFT_FAILURES = 2 ** 35;

// ── Implementation constants (tunable defaults) ──────────────────────────────

/** `reneg-sec`: rekey after this long under one key (OpenVPN's default 3600 s). */
export const DEFAULT_RENEG_MS = 3_600_000;
/** `tran-window`: how long an old receive key stays valid after a new one is installed (OpenVPN: 60 s). */
export const DEFAULT_TRAN_WINDOW_MS = 60_000;
