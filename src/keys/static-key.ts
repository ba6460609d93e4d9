/**
 * Pre-shared static keys: the tls-crypt key and the optional PSK.
 *
 * Two kinds, one armored text format (RFC 7468 style), made by `pqvpn genkey`:
 *
 *     # pqvpn tls-crypt key, 512 bits. Secret: ...
 *     -----BEGIN PQVPN TLS-CRYPT KEY-----
 *     <base64 of 64 random bytes>
 *     -----END PQVPN TLS-CRYPT KEY-----
 *
 * - `tls-crypt` (label `PQVPN TLS-CRYPT KEY`) protects the control channel: every
 *   handshake packet is encrypted and authenticated with subkeys derived from it by
 *   HKDF, so a host without the key cannot even start a handshake.
 * - `psk` (label `PQVPN PSK`) is mixed into the handshake's key schedule, so a
 *   session stays secret as long as either the PSK or the post-quantum exchange holds.
 *
 * Both are 512 bits. 256 would be enough for security: every use derives its own
 * subkeys with HKDF, and 256-bit keys are out of reach even for Grover's algorithm.
 * The extra 256 bits cost nothing and leave room to split the key into two
 * independent 256-bit halves later (e.g. one per purpose) without a new file format.
 *
 * For tls-crypt, an OpenVPN key file (`-----BEGIN OpenVPN Static key V1-----`,
 * 2048 bits of hex, as `openvpn --genkey tls-crypt` writes) is accepted too, so an
 * existing deployment can reuse its key file. pqvpn derives its own subkeys from
 * the whole 256-byte key with HKDF: the file is compatible, the wire format is not.
 *
 * Parsing is strict: `#` comments and blank lines may surround exactly one block;
 * anything else, a mismatched END, bad base64 or hex, or a wrong length is a
 * `ConfigError` naming file:line. Messages never quote key material.
 *
 * The parsed `StaticKey` holds the bytes in a private field: printing, logging or
 * JSON-encoding it shows `<redacted>`; the owner reads `bytes` and calls `wipe()`
 * when done.
 * @module
 */

import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { ConfigError } from '../errors.js';
import { decodeBase64Strict, encodePem } from '../util/pem.js';
import { OPENVPN_STATIC_KEY_LABEL, parseOpenvpnStaticKeyBody } from './openvpn-static-key.js';

export const STATIC_KEY_KINDS = Object.freeze({
  'tls-crypt': Object.freeze({ label: 'PQVPN TLS-CRYPT KEY', bytes: 64, what: 'tls-crypt key' }),
  psk: Object.freeze({ label: 'PQVPN PSK', bytes: 64, what: 'pre-shared key' }),
});

export type StaticKeyKind = keyof typeof STATIC_KEY_KINDS;

export const STATIC_KEY_KIND_NAMES = Object.keys(STATIC_KEY_KINDS) as StaticKeyKind[];

/** `pqvpn`: our armored base64 format; `openvpn-static-key-v1`: an OpenVPN tls-crypt key file. */
export type StaticKeyFormat = 'pqvpn' | 'openvpn-static-key-v1';

/** Key material that prints as `<redacted>`. The owner zeroes it with `wipe()`. */
export class StaticKey {
  readonly kind: StaticKeyKind;
  readonly format: StaticKeyFormat;
  readonly #bytes: Uint8Array;

  constructor(kind: StaticKeyKind, format: StaticKeyFormat, bytes: Uint8Array) {
    this.kind = kind;
    this.format = format;
    this.#bytes = bytes;
  }

  /** The key itself (not a copy): 64 bytes, or 256 for an OpenVPN file. */
  get bytes(): Uint8Array {
    return this.#bytes;
  }

  get bits(): number {
    return this.#bytes.length * 8;
  }

  /** Overwrites the key with zeros. */
  wipe(): void {
    this.#bytes.fill(0);
  }

  toString(): string {
    return `StaticKey(${this.kind}, ${this.bits} bits, <redacted>)`;
  }

  toJSON(): string {
    return '<redacted>';
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

/** A fresh key of `kind` from node:crypto's CSPRNG (or an injected source, for tests). */
export function generateStaticKey(
  kind: StaticKeyKind,
  random: (length: number) => Uint8Array = randomBytes,
): StaticKey {
  const { bytes } = STATIC_KEY_KINDS[kind];
  const key = new Uint8Array(random(bytes));
  if (key.length !== bytes) throw new Error(`random source returned ${key.length} bytes, not ${bytes}`);
  return new StaticKey(kind, 'pqvpn', key);
}

/** The key file text: a comment header and one armored block. Only for the pqvpn format. */
export function formatStaticKey(key: StaticKey): string {
  if (key.format !== 'pqvpn') throw new Error('only pqvpn-format keys are written');
  const { label, what } = STATIC_KEY_KINDS[key.kind];
  const use =
    key.kind === 'tls-crypt'
      ? '# Put the same file on the server and every client ("tls-crypt FILE").'
      : '# Put the same file on both ends ("psk FILE").';
  return `# pqvpn ${what}, ${key.bits} bits. Secret: keep it mode 0600.\n${use}\n${encodePem(label, key.bytes)}`;
}

const BEGIN = /^-----BEGIN ([^-]+(?:-[^-]+)*)-----$/;
const END = /^-----END ([^-]+(?:-[^-]+)*)-----$/;

interface Block {
  readonly label: string;
  readonly beginLine: number;
  readonly body: readonly string[];
}

/**
 * Parses key file text for `kind`. `file` only names the source in errors.
 * Error codes: KEY_MALFORMED, KEY_WRONG_KIND, KEY_UNSUPPORTED, KEY_BAD_ENCODING, KEY_BAD_LENGTH.
 */
export function parseStaticKey(text: string, kind: StaticKeyKind, file: string): StaticKey {
  const block = findBlock(text, file);
  const at = { file, line: block.beginLine };
  const expected = STATIC_KEY_KINDS[kind];
  if (block.label === expected.label) {
    const bytes = decodeBody(block, file);
    if (bytes.length !== expected.bytes) {
      bytes.fill(0);
      throw new ConfigError(
        'KEY_BAD_LENGTH',
        `the ${expected.what} has ${bytes.length * 8} bits; expected ${expected.bytes * 8}`,
        at,
      );
    }
    return new StaticKey(kind, 'pqvpn', bytes);
  }
  if (block.label === OPENVPN_STATIC_KEY_LABEL) {
    if (kind !== 'tls-crypt') {
      throw new ConfigError(
        'KEY_WRONG_KIND',
        `this is an OpenVPN static key; pqvpn accepts those only as a tls-crypt key, not as a ${expected.what}`,
        at,
      );
    }
    return new StaticKey(
      kind,
      'openvpn-static-key-v1',
      parseOpenvpnStaticKeyBody(block.body, file, block.beginLine),
    );
  }
  const other = STATIC_KEY_KIND_NAMES.find((k) => STATIC_KEY_KINDS[k].label === block.label);
  if (other) {
    throw new ConfigError(
      'KEY_WRONG_KIND',
      `this file holds a ${STATIC_KEY_KINDS[other].what} (${block.label}), not a ${expected.what} (${expected.label})`,
      at,
    );
  }
  if (/^OpenVPN tls-crypt-v2 /.test(block.label)) {
    throw new ConfigError(
      'KEY_UNSUPPORTED',
      "tls-crypt-v2 keys are not supported; make a tls-crypt key with 'pqvpn genkey tls-crypt FILE'",
      at,
    );
  }
  const accepted = kind === 'tls-crypt' ? `${expected.label} or ${OPENVPN_STATIC_KEY_LABEL}` : expected.label;
  throw new ConfigError('KEY_MALFORMED', `found a ${block.label} block; expected ${accepted}`, at);
}

function findBlock(text: string, file: string): Block {
  const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  let block: { label: string; beginLine: number; body: string[] } | undefined;
  let found: Block | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const at = { file, line: i + 1 };
    if (block) {
      const end = END.exec(line);
      if (end) {
        if (end[1] !== block.label) {
          throw new ConfigError(
            'KEY_MALFORMED',
            `-----END ${end[1]}----- does not match BEGIN ${block.label}`,
            at,
          );
        }
        found = block;
        block = undefined;
      } else {
        block.body.push(line);
      }
      continue;
    }
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const begin = BEGIN.exec(line);
    if (!begin) throw new ConfigError('KEY_MALFORMED', 'unexpected text outside the key block', at);
    if (found) throw new ConfigError('KEY_MALFORMED', 'more than one key block in the file', at);
    block = { label: begin[1]!, beginLine: i + 1, body: [] };
  }
  if (block) {
    throw new ConfigError('KEY_MALFORMED', `no -----END ${block.label}----- line`, {
      file,
      line: block.beginLine,
    });
  }
  if (!found)
    throw new ConfigError('KEY_MALFORMED', 'no key block (-----BEGIN ...-----) found', { file, line: 0 });
  return found;
}

function decodeBody(block: Block, file: string): Uint8Array {
  const compact = block.body.map((l) => l.trim()).join('');
  try {
    return decodeBase64Strict(compact);
  } catch {
    throw new ConfigError('KEY_BAD_ENCODING', 'the key is not valid base64', { file, line: block.beginLine });
  }
}
