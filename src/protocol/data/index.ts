/**
 * The pqvpn data channel: what other modules import.
 *
 * - `DataChannel` — the per-session state machine (encrypt/decrypt/timers/rekey).
 * - `DataKeyMaterial`, `createDataKeyMaterial`, `wipeDataKeyMaterial`, `nextKeyId`
 *   — the keys the handshake hands over.
 * - `DropReason` — the named reasons packets are dropped, for logs and metrics.
 * - The wire constants and the one-shot codec (`sealDataPacket`, `openDataPacket`)
 *   for tools and vectors.
 *
 * The layout and the rules are specified in docs/PROTOCOL.md §11.
 * @module
 */

export * from './constants.js';
export {
  DataChannel,
  type DataChannelAction,
  type DataChannelEvent,
  type DataChannelOptions,
  type DataChannelStats,
  type DecryptResult,
  type EncryptResult,
  type KeySlotStats,
} from './data-channel.js';
export {
  counterOf,
  type DataHeader,
  DataOpener,
  DataSealer,
  keyIdOf,
  opcodeOf,
  openDataPacket,
  peerIdOf,
  sealDataPacket,
} from './data-packet.js';
export { type DropCounters, DropReason } from './drop-reasons.js';
export { DataChannelError, type DataChannelErrorCode } from './errors.js';
export type { KeyExpiryReason, SlotRole } from './key-slots.js';
export {
  createDataKeyMaterial,
  DATA_IV_LENGTH,
  DATA_KEY_LENGTH,
  type DataKeyMaterial,
  type DirectionKey,
  isValidKeyId,
  KEY_ID_COUNT,
  nextKeyId,
  wipeDataKeyMaterial,
} from './keys.js';
export type { Payload } from './payload.js';
export {
  DEFAULT_REPLAY_WINDOW,
  MIN_REPLAY_WINDOW,
  type ReplayVerdict,
  ReplayWindow,
} from './replay-window.js';
export {
  type AeadLimits,
  DEFAULT_REKEY_POLICY,
  type KeyUsage,
  type RekeyPolicy,
  type RekeyReason,
  SPEC_AEAD_LIMITS,
} from './usage-limits.js';
