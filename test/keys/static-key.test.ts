import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import {
  formatStaticKey,
  generateStaticKey,
  parseStaticKey,
  StaticKey,
  type StaticKeyKind,
} from '../../src/keys/static-key.js';
import { encodePem } from '../../src/util/pem.js';

const counting = (n: number) => Uint8Array.from({ length: n }, (_, i) => i);

function openvpnKey(hex = Buffer.from(counting(256)).toString('hex')): string {
  const lines = hex.match(/.{1,32}/g) ?? [];
  return `#\n# 2048 bit OpenVPN static key\n#\n-----BEGIN OpenVPN Static key V1-----\n${lines.join('\n')}\n-----END OpenVPN Static key V1-----\n`;
}

function parseError(text: string, kind: StaticKeyKind = 'tls-crypt'): ConfigError {
  try {
    parseStaticKey(text, kind, 'ta.key');
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('static key format', () => {
  it.each(['tls-crypt', 'psk'] as const)('round-trips a generated %s key of 512 bits', (kind) => {
    const key = generateStaticKey(kind, counting);
    expect(key.bits).toBe(512);
    const text = formatStaticKey(key);
    expect(text).toMatch(/^# pqvpn .*512 bits/);
    expect(text).toContain(
      kind === 'tls-crypt' ? '-----BEGIN PQVPN TLS-CRYPT KEY-----\n' : '-----BEGIN PQVPN PSK-----\n',
    );
    const again = parseStaticKey(text, kind, 'k');
    expect(again).toMatchObject({ kind, format: 'pqvpn' });
    expect(again.bytes).toEqual(counting(64));
  });

  it('generates from node:crypto by default', () => {
    const a = generateStaticKey('tls-crypt');
    const b = generateStaticKey('tls-crypt');
    expect(a.bytes).toHaveLength(64);
    expect(Buffer.from(a.bytes).equals(Buffer.from(b.bytes))).toBe(false);
  });

  it('accepts CRLF line endings and comments around the block', () => {
    const text = `# mine\r\n\r\n${encodePem('PQVPN PSK', counting(64)).replaceAll('\n', '\r\n')}# end\r\n`;
    expect(parseStaticKey(text, 'psk', 'k').bytes).toEqual(counting(64));
  });

  it('reads an OpenVPN static key V1 file as a 2048-bit tls-crypt key', () => {
    const key = parseStaticKey(openvpnKey(), 'tls-crypt', 'ta.key');
    expect(key.format).toBe('openvpn-static-key-v1');
    expect(key.bytes).toEqual(counting(256));
    // Upper-case hex and other line splits are fine too.
    const upper = openvpnKey(Buffer.from(counting(256)).toString('hex').toUpperCase());
    expect(parseStaticKey(upper, 'tls-crypt', 'k').bytes).toEqual(counting(256));
  });

  it.each([
    ['', 'KEY_MALFORMED', 0, /no key block/],
    ['# only a comment\n', 'KEY_MALFORMED', 0, /no key block/],
    [`hello\n${encodePem('PQVPN TLS-CRYPT KEY', counting(64))}`, 'KEY_MALFORMED', 1, /outside the key block/],
    [
      `${encodePem('PQVPN TLS-CRYPT KEY', counting(64))}trailing\n`,
      'KEY_MALFORMED',
      5,
      /outside the key block/,
    ],
    [
      encodePem('PQVPN TLS-CRYPT KEY', counting(64)) + encodePem('PQVPN TLS-CRYPT KEY', counting(64)),
      'KEY_MALFORMED',
      5,
      /more than one key block/,
    ],
    ['-----BEGIN PQVPN TLS-CRYPT KEY-----\nAAAA\n', 'KEY_MALFORMED', 1, /no -----END/],
    [
      '-----BEGIN PQVPN TLS-CRYPT KEY-----\nAAAA\n-----END PQVPN PSK-----\n',
      'KEY_MALFORMED',
      3,
      /does not match BEGIN/,
    ],
    [encodePem('PQVPN PSK', counting(64)), 'KEY_WRONG_KIND', 1, /holds a pre-shared key \(PQVPN PSK\)/],
    [encodePem('PRIVATE KEY', counting(64)), 'KEY_MALFORMED', 1, /found a PRIVATE KEY block; expected/],
    [encodePem('PQVPN TLS-CRYPT KEY', counting(32)), 'KEY_BAD_LENGTH', 1, /256 bits; expected 512/],
    [encodePem('PQVPN TLS-CRYPT KEY', counting(65)), 'KEY_BAD_LENGTH', 1, /520 bits; expected 512/],
    [
      '-----BEGIN PQVPN TLS-CRYPT KEY-----\nAA!A\n-----END PQVPN TLS-CRYPT KEY-----\n',
      'KEY_BAD_ENCODING',
      1,
      /base64/,
    ],
    [
      '-----BEGIN PQVPN TLS-CRYPT KEY-----\nAAA\n-----END PQVPN TLS-CRYPT KEY-----\n',
      'KEY_BAD_ENCODING',
      1,
      /base64/,
    ],
    [openvpnKey('zz'.repeat(256)), 'KEY_BAD_ENCODING', 4, /not valid hexadecimal/],
    [openvpnKey('ab'.repeat(128)), 'KEY_BAD_LENGTH', 4, /1024 bits; expected 2048/],
    [openvpnKey('ab'.repeat(257)), 'KEY_BAD_LENGTH', 4, /2056 bits; expected 2048/],
    [
      '-----BEGIN OpenVPN tls-crypt-v2 server key-----\nAAAA\n-----END OpenVPN tls-crypt-v2 server key-----\n',
      'KEY_UNSUPPORTED',
      1,
      /tls-crypt-v2 keys are not supported/,
    ],
  ])('rejects case %# with a code and file:line', (text, code, line, message) => {
    const error = parseError(text);
    expect(error.code).toBe(code);
    expect(error.location).toEqual({ file: 'ta.key', line });
    expect(error.message).toMatch(message);
  });

  it('accepts an OpenVPN key only for tls-crypt', () => {
    const error = parseError(openvpnKey(), 'psk');
    expect(error.code).toBe('KEY_WRONG_KIND');
    expect(error.message).toMatch(/only as a tls-crypt key/);
    expect(parseError(encodePem('PQVPN TLS-CRYPT KEY', counting(64)), 'psk').code).toBe('KEY_WRONG_KIND');
  });

  it('never quotes key material in errors', () => {
    const body = Buffer.from(counting(32)).toString('base64');
    const error = parseError(
      `-----BEGIN PQVPN TLS-CRYPT KEY-----\n${body}\n-----END PQVPN TLS-CRYPT KEY-----\n`,
    );
    expect(error.message).not.toContain(body.slice(0, 16));
  });
});

describe('StaticKey', () => {
  it('prints <redacted> however it is printed, and wipes to zeros', () => {
    const key = new StaticKey('psk', 'pqvpn', counting(64));
    for (const shown of [
      String(key),
      `${key}`,
      inspect(key),
      JSON.stringify({ key }),
      inspect({ nested: key }),
    ]) {
      expect(shown).toContain('<redacted>');
      expect(shown).not.toMatch(/\b1, 2, 3\b|AAECAwQF|000102030405/);
    }
    expect(Object.keys(key)).not.toContain('bytes');
    expect({ ...key }).not.toHaveProperty('bytes');
    key.wipe();
    expect(key.bytes.every((b) => b === 0)).toBe(true);
  });

  it('refuses a short random source', () => {
    expect(() => generateStaticKey('psk', () => new Uint8Array(10))).toThrow(/random source/);
  });
});
