/**
 * OpenVPN's static key file, read so that `openvpn --genkey tls-crypt` keys can be reused.
 *
 * The format (OpenVPN `crypto.c`, "OpenVPN Static key V1") is 2048 bits written as
 * hexadecimal between armor lines, usually 16 lines of 32 digits after a few `#`
 * comment lines:
 *
 *     -----BEGIN OpenVPN Static key V1-----
 *     6a1c...
 *     -----END OpenVPN Static key V1-----
 *
 * OpenVPN splits these 256 bytes into cipher and HMAC keys per direction; pqvpn
 * instead feeds all 256 bytes to HKDF (see docs/PROTOCOL.md), so the same file
 * works on both, but an OpenVPN peer and a pqvpn peer cannot talk to each other.
 * @module
 */

import { ConfigError } from '../errors.js';

export const OPENVPN_STATIC_KEY_LABEL = 'OpenVPN Static key V1';
export const OPENVPN_STATIC_KEY_BYTES = 256;

/** Decodes the lines between the armor lines: hex digits only (whitespace ignored), exactly 256 bytes. */
export function parseOpenvpnStaticKeyBody(
  body: readonly string[],
  file: string,
  beginLine: number,
): Uint8Array {
  const at = { file, line: beginLine };
  const hex = body.map((l) => l.replace(/\s+/g, '')).join('');
  if (!/^[0-9a-fA-F]*$/.test(hex)) {
    throw new ConfigError('KEY_BAD_ENCODING', 'the OpenVPN static key is not valid hexadecimal', at);
  }
  if (hex.length !== OPENVPN_STATIC_KEY_BYTES * 2) {
    throw new ConfigError(
      'KEY_BAD_LENGTH',
      `the OpenVPN static key has ${Math.floor(hex.length / 2) * 8} bits; expected ${OPENVPN_STATIC_KEY_BYTES * 8}`,
      at,
    );
  }
  return new Uint8Array(Buffer.from(hex, 'hex'));
}
