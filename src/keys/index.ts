/**
 * Pre-shared static keys (`pqvpn genkey`): the tls-crypt key and the optional PSK.
 *
 * - `static-key` — kinds, the armored text format, the redacting `StaticKey` holder.
 * - `openvpn-static-key` — OpenVPN's "Static key V1" files, accepted for tls-crypt.
 * - `key-file` — writing (0600, no silent overwrite) and loading (permission warning).
 *
 * A server or client loads its key with `await loadStaticKey(path, 'tls-crypt', { logger })`,
 * derives what it needs from `key.bytes`, and calls `key.wipe()`.
 * @module
 */

export {
  KEY_FILE_MAX_BYTES,
  KEY_FILE_MODE,
  type LoadKeyOptions,
  loadStaticKey,
  type WriteKeyOptions,
  writeStaticKeyFile,
} from './key-file.js';
export { OPENVPN_STATIC_KEY_BYTES, OPENVPN_STATIC_KEY_LABEL } from './openvpn-static-key.js';
export {
  formatStaticKey,
  generateStaticKey,
  parseStaticKey,
  STATIC_KEY_KIND_NAMES,
  STATIC_KEY_KINDS,
  StaticKey,
  type StaticKeyFormat,
  type StaticKeyKind,
} from './static-key.js';
