/**
 * Identity, peer verification and the cryptography pqvpn negotiates.
 *
 * OpenVPN's certificate directives keep their names and meaning (`ca`, `cert`,
 * `key`, `crl-verify`, `remote-cert-tls`, `verify-x509-name`, `tls-crypt`); the
 * certificates are ML-DSA/SLH-DSA X.509 made by `pqvpn pki`. pqvpn's own
 * directives choose the post-quantum algorithms (`kem-suites`, `sig-schemes`,
 * `sig-plugin`), mix in a pre-shared key (`psk`) or keys from a QKD Key
 * Management Entity (`qkd-*`, ETSI GS QKD 014).
 * @module
 */

import { type DirectiveSpec, supported } from '../directive.js';
import { DATA_CIPHER, KEM_SUITE_NAMES, type KemSuiteName } from '../model.js';
import { parseChoice, parseColonList, parseInteger, ValueError } from '../values.js';

/** Extended key usage purposes by the names OpenSSL prints (RFC 5280 §4.2.1.12). */
const EKU_BY_NAME: Readonly<Record<string, string>> = {
  serverAuth: '1.3.6.1.5.5.7.3.1',
  'TLS Web Server Authentication': '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  'TLS Web Client Authentication': '1.3.6.1.5.5.7.3.2',
};

function parseKemSuites(text: string): KemSuiteName[] {
  return parseColonList(text, 'kem-suites').map((name) => {
    const lower = name.toLowerCase();
    const found = KEM_SUITE_NAMES.find((k) => k === lower);
    if (!found)
      throw new ValueError(
        'CONFIG_BAD_CHOICE',
        `unknown key-exchange suite '${name}' (pqvpn offers: ${KEM_SUITE_NAMES.join(', ')})`,
      );
    return found;
  });
}

const SAE_ID = /^[A-Za-z0-9._~-]{1,255}$/;

function parseSaeId(text: string): string {
  if (!SAE_ID.test(text))
    throw new ValueError(
      'CONFIG_BAD_VALUE',
      `'${text}' is not a valid SAE ID (1–255 letters, digits, '.', '_', '~', '-'; it is part of KME URLs)`,
    );
  return text;
}

export const securityDirectives: readonly DirectiveSpec[] = [
  supported({
    name: 'ca',
    synopsis: 'FILE',
    summary: 'CA certificate(s) that issued the peer certificates (PEM).',
    args: [1, 1],
    inline: true,
    apply: ([file = ''], ctx) => {
      ctx.draft.ca = ctx.file(file, 'file');
    },
  }),
  supported({
    name: 'cert',
    synopsis: 'FILE',
    summary: 'This side’s certificate (PEM).',
    args: [1, 1],
    inline: true,
    apply: ([file = ''], ctx) => {
      ctx.draft.cert = ctx.file(file, 'file');
    },
  }),
  supported({
    name: 'key',
    synopsis: 'FILE',
    summary: 'This side’s private key (PKCS#8 PEM; keep it mode 0600).',
    args: [1, 1],
    inline: true,
    apply: ([file = ''], ctx) => {
      ctx.draft.key = ctx.file(file, 'private');
    },
  }),
  supported({
    name: 'crl-verify',
    synopsis: 'FILE | DIR dir',
    summary: 'Refuse peers whose certificate is revoked: a CRL file, or a folder of files named by serial.',
    args: [1, 2],
    inline: true,
    apply: ([file = '', dir], ctx) => {
      const isDir = dir !== undefined && parseChoice(dir, ['dir'], 'crl-verify option') === 'dir';
      ctx.draft.crlVerify = { source: ctx.file(file, isDir ? 'directory' : 'file'), dir: isDir };
    },
  }),
  supported({
    name: 'tls-crypt',
    synopsis: 'FILE',
    summary:
      'Encrypt and authenticate every handshake packet with this pre-shared key (pqvpn genkey tls-crypt).',
    args: [1, 1],
    inline: true,
    apply: ([file = ''], ctx) => {
      ctx.draft.tlsCrypt = ctx.file(file, 'private');
    },
  }),
  supported({
    name: 'remote-cert-tls',
    synopsis: 'server | client',
    summary: 'Require the peer certificate to be a server (or client) certificate by its extended key usage.',
    args: [1, 1],
    apply: ([v = ''], ctx) => {
      ctx.draft.remoteCertTls = parseChoice(v, ['server', 'client'] as const, 'remote-cert-tls');
    },
  }),
  supported({
    name: 'remote-cert-eku',
    synopsis: 'OID | NAME',
    summary: "Require this extended key usage in the peer certificate (dotted OID or e.g. 'serverAuth').",
    args: [1, 1],
    apply: ([v = ''], ctx) => {
      const oid = EKU_BY_NAME[v] ?? v;
      if (!/^[0-2](\.(0|[1-9][0-9]*)){1,}$/.test(oid))
        throw new ValueError(
          'CONFIG_BAD_VALUE',
          `'${v}' is not an OID or a known usage name (${Object.keys(EKU_BY_NAME).join(', ')})`,
        );
      ctx.draft.remoteCertEku = oid;
    },
  }),
  supported({
    name: 'remote-cert-ku',
    synopsis: '[HEX…]',
    summary:
      'Require the peer certificate’s key usage to equal one of these values (hex); none: any key usage present.',
    args: [0, 8],
    apply: (args, ctx) => {
      ctx.draft.remoteCertKu = args.map((a) => {
        if (!/^(0x)?[0-9a-f]{1,4}$/i.test(a))
          throw new ValueError(
            'CONFIG_BAD_VALUE',
            `'${a}' is not a hexadecimal key-usage value such as 80 or a0`,
          );
        return Number.parseInt(a.replace(/^0x/i, ''), 16);
      });
    },
  }),
  supported({
    name: 'verify-x509-name',
    synopsis: 'NAME [subject | name | name-prefix]',
    summary: 'Accept only a peer whose certificate subject (or common name, or its prefix) matches NAME.',
    args: [1, 2],
    apply: ([name = '', type], ctx) => {
      if (name === '') throw new ValueError('CONFIG_BAD_VALUE', 'the name to match is empty');
      ctx.draft.verifyX509Name = {
        name,
        type:
          type === undefined
            ? 'subject'
            : parseChoice(type, ['subject', 'name', 'name-prefix'] as const, 'name type'),
      };
    },
  }),
  supported({
    name: 'data-ciphers',
    synopsis: 'AES-256-GCM',
    summary:
      "Data-channel ciphers; pqvpn has exactly one, AES-256-GCM ('?NAME' optional entries are skipped).",
    default: DATA_CIPHER,
    args: [1, 1],
    apply: ([list = ''], ctx) => {
      // OpenVPN 2.6: a '?' prefix marks a cipher as optional ("use it if this build has it").
      const names = parseColonList(list, 'data-ciphers');
      const optional = names.filter((n) => n.startsWith('?') && n.slice(1).toUpperCase() !== DATA_CIPHER);
      const others = names.filter((n) => !n.startsWith('?') && n.toUpperCase() !== DATA_CIPHER);
      if (others.length > 0)
        throw new ValueError(
          'CONFIG_UNSUPPORTED_CIPHER',
          `pqvpn's data channel supports only ${DATA_CIPHER}; remove ${others.join(', ')}`,
        );
      if (!names.some((n) => n.replace(/^\?/, '').toUpperCase() === DATA_CIPHER))
        throw new ValueError(
          'CONFIG_UNSUPPORTED_CIPHER',
          `the list must include ${DATA_CIPHER}, the only cipher pqvpn has`,
        );
      if (optional.length > 0)
        ctx.warn(
          'CONFIG_IGNORED',
          `optional ciphers ${optional.join(', ')} are not available in pqvpn and are skipped`,
        );
      ctx.draft.dataCiphers = [DATA_CIPHER];
    },
  }),
  supported({
    name: 'kem-suites',
    synopsis: 'SUITE[:SUITE…]',
    summary: 'Key-exchange suites in order of preference: x-wing (ML-KEM-768 + X25519 hybrid), ml-kem-1024.',
    default: 'x-wing:ml-kem-1024',
    args: [1, 1],
    apply: ([list = ''], ctx) => {
      ctx.draft.kemSuites = parseKemSuites(list);
    },
  }),
  supported({
    name: 'sig-schemes',
    synopsis: 'SCHEME[:SCHEME…]',
    summary:
      'Signature schemes accepted in peer certificates and handshakes (ml-dsa-*, slh-dsa-*, falcon-512, plugins).',
    default: 'ml-dsa-44:ml-dsa-65:ml-dsa-87',
    args: [1, 1],
    apply: ([list = ''], ctx) => {
      // Whether each name exists is checked once all sig-plugin lines are known (finalize).
      ctx.draft.sigSchemes = parseColonList(list, 'sig-schemes').map((n) => n.toLowerCase());
    },
  }),
  supported({
    name: 'sig-plugin',
    synopsis: 'FILE',
    summary: 'Load a third-party signature scheme from this ES module (docs/PLUGINS.md).',
    args: [1, 1],
    repeatable: true,
    apply: ([file = ''], ctx) => {
      ctx.draft.sigPlugins.push(ctx.path(file, 'file'));
    },
  }),
  supported({
    name: 'psk',
    synopsis: 'FILE',
    summary: 'A pre-shared key mixed into every session key (pqvpn genkey psk); both sides need the same.',
    args: [1, 1],
    inline: true,
    apply: ([file = ''], ctx) => {
      ctx.draft.psk = ctx.file(file, 'private');
    },
  }),
  supported({
    name: 'qkd-kme',
    synopsis: 'URL',
    summary: 'Base https URL of this side’s QKD Key Management Entity (ETSI GS QKD 014).',
    args: [1, 1],
    apply: ([text = ''], ctx) => {
      const url = URL.canParse(text) ? new URL(text) : undefined;
      if (!url) throw new ValueError('CONFIG_BAD_URL', `'${text}' is not a URL`);
      if (url.protocol !== 'https:')
        throw new ValueError(
          'CONFIG_BAD_URL',
          `the KME must be reached over https, not ${url.protocol.replace(':', '')}`,
        );
      if (url.username || url.password)
        throw new ValueError(
          'CONFIG_BAD_URL',
          'the KME URL must not contain credentials; use qkd-cert/qkd-key',
        );
      if (url.search || url.hash)
        throw new ValueError('CONFIG_BAD_URL', 'the KME URL must not have a query or fragment');
      ctx.draft.qkdKme = url.href.replace(/\/+$/, '');
    },
  }),
  supported({
    name: 'qkd-sae-id',
    synopsis: 'ID',
    summary: 'This side’s SAE ID at its KME.',
    args: [1, 1],
    apply: ([id = ''], ctx) => {
      ctx.draft.qkdSaeId = parseSaeId(id);
    },
  }),
  supported({
    name: 'qkd-peer-sae-id',
    synopsis: 'ID',
    summary: 'The peer’s SAE ID, for which keys are requested.',
    args: [1, 1],
    apply: ([id = ''], ctx) => {
      ctx.draft.qkdPeerSaeId = parseSaeId(id);
    },
  }),
  supported({
    name: 'qkd-ca',
    synopsis: 'FILE',
    summary: 'CA certificate(s) that issued the KME’s https certificate.',
    args: [1, 1],
    inline: true,
    apply: ([file = ''], ctx) => {
      ctx.draft.qkdCa = ctx.file(file, 'file');
    },
  }),
  supported({
    name: 'qkd-cert',
    synopsis: 'FILE',
    summary: 'Client certificate presented to the KME.',
    args: [1, 1],
    inline: true,
    apply: ([file = ''], ctx) => {
      ctx.draft.qkdCert = ctx.file(file, 'file');
    },
  }),
  supported({
    name: 'qkd-key',
    synopsis: 'FILE',
    summary: 'Private key for qkd-cert.',
    args: [1, 1],
    inline: true,
    apply: ([file = ''], ctx) => {
      ctx.draft.qkdKey = ctx.file(file, 'private');
    },
  }),
  supported({
    name: 'qkd-key-size',
    synopsis: 'BITS',
    summary: 'Size of each key requested from the KME: 128 to 8192, a multiple of 8.',
    default: '256',
    args: [1, 1],
    apply: ([bits = ''], ctx) => {
      const n = parseInteger(bits, 128, 8192, 'a key size in bits');
      if (n % 8 !== 0)
        throw new ValueError('CONFIG_BAD_VALUE', `the key size must be a multiple of 8 bits, not ${n}`);
      ctx.draft.qkdKeySize = n;
    },
  }),
  supported({
    name: 'qkd-mode',
    synopsis: 'required | optional',
    summary:
      'required: no session without a QKD key; optional: continue with post-quantum keys alone if the KME fails.',
    default: 'required',
    args: [1, 1],
    apply: ([m = ''], ctx) => {
      ctx.draft.qkdMode = parseChoice(m, ['required', 'optional'] as const, 'qkd-mode');
    },
  }),
];
