/**
 * `pqvpn pki` — a post-quantum certificate authority in one directory, the way
 * easy-rsa serves OpenVPN (docs/PKI.md):
 *
 *     pqvpn pki init [--algo ml-dsa-65] [--cn NAME] [--days 3650] [--force]
 *     pqvpn pki issue server NAME [--algo A] [--days 825] [--san DNS:x,IP:y] [--force]
 *     pqvpn pki issue client NAME [--algo A] [--days 825] [--san ...] [--force]
 *     pqvpn pki revoke NAME [--reason keyCompromise]
 *     pqvpn pki crl [--days 180]
 *     pqvpn pki list
 *     pqvpn pki show NAME|FILE
 *
 * All take `--pki DIR` (default `./pki`). Nothing existing is overwritten without
 * `--force`; keys are written 0600. The work is done by src/pki/ca.ts; this file
 * only maps options and prints results.
 * @module
 */

import { promises as fs } from 'node:fs';
import { resolve } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { loadSignaturePlugin } from '../../crypto/signature-plugin.js';
import { signatureSchemeByName, signatureSchemeNames } from '../../crypto/signature-schemes.js';
import { PqvpnError, UsageError } from '../../errors.js';
import {
  commonNameOf,
  DEFAULT_CA_DAYS,
  DEFAULT_CA_NAME,
  DEFAULT_CRL_DAYS,
  DEFAULT_LEAF_DAYS,
  DEFAULT_PKI_DIR,
  describeCertificate,
  describeCrl,
  formatName,
  type GeneralName,
  initCa,
  issueCertificate,
  listCertificates,
  type NameInput,
  type PkiContext,
  parseCertificate,
  parseCrl,
  parseSanList,
  pkiPaths,
  type RevocationReasonName,
  readPkiCertificate,
  revokeCertificate,
  systemContext,
  writeCrl,
} from '../../pki/index.js';
import type { CommandIO } from '../io.js';

/** What tests may replace: the clock and the random source. */
export interface PkiDeps {
  readonly context?: PkiContext;
}

/** Reasons `revoke` accepts (certificateHold is left out: there is no un-revoke). */
const REASONS = [
  'unspecified',
  'keyCompromise',
  'cACompromise',
  'affiliationChanged',
  'superseded',
  'cessationOfOperation',
  'privilegeWithdrawn',
] as const satisfies readonly RevocationReasonName[];

interface Common {
  pki: string;
}
interface Dn {
  'dn-org': string | undefined;
  'dn-ou': string | undefined;
  'dn-country': string | undefined;
}
interface InitArgs extends Common, Dn {
  algo: string | undefined;
  cn: string | undefined;
  days: number | undefined;
  'crl-days': number | undefined;
  force: boolean;
}
interface IssueArgs extends Common, Dn {
  type: string;
  name: string;
  algo: string | undefined;
  days: number | undefined;
  san: string | undefined;
  force: boolean;
}
interface RevokeArgs extends Common {
  name: string;
  reason: string;
}
interface CrlArgs extends Common {
  days: number | undefined;
}
interface ShowArgs extends Common {
  name: string;
}

export function pkiCommand(io: CommandIO, deps: PkiDeps = {}): CommandModule {
  const context = deps.context ?? systemContext;

  const init: CommandModule<Common, InitArgs> = {
    command: 'init',
    describe: 'create the certificate authority (ca.crt, private/ca.key, index.txt, crl.pem)',
    builder: (y) =>
      withDn(y)
        .option('algo', {
          type: 'string',
          requiresArg: true,
          describe: `CA signature scheme (default ml-dsa-65)`,
        })
        .option('cn', {
          type: 'string',
          requiresArg: true,
          describe: `CA common name (default "${DEFAULT_CA_NAME}")`,
        })
        .option('days', {
          type: 'number',
          requiresArg: true,
          describe: `CA validity in days (default ${DEFAULT_CA_DAYS})`,
        })
        .option('crl-days', {
          type: 'number',
          requiresArg: true,
          describe: `validity of the first CRL in days (default ${DEFAULT_CRL_DAYS})`,
        })
        .option('force', {
          type: 'boolean',
          default: false,
          describe: 'replace an existing CA, DISCARDING the whole PKI (issued certificates, keys, index)',
        })
        .example('$0 pki init', 'an ML-DSA-65 CA in ./pki')
        .example(
          '$0 pki --pki /etc/pqvpn/pki init --algo slh-dsa-sha2-128s --cn "Example VPN CA"',
          'a hash-based CA',
        ),
    handler: async (argv) => {
      const scheme = schemeOption(argv.algo);
      const cert = await usage(() =>
        initCa({
          dir: argv.pki,
          ...(scheme ? { scheme } : {}),
          ...(argv.cn !== undefined ? { commonName: argv.cn } : {}),
          subject: dnOptions(argv),
          ...daysOption('days', argv.days),
          ...(argv['crl-days'] !== undefined ? { crlDays: whole('--crl-days', argv['crl-days']) } : {}),
          force: argv.force,
          context,
        }),
      );
      const paths = pkiPaths(argv.pki);
      io.stdout(
        `created CA '${commonNameOf(cert.subject) ?? formatName(cert.subject)}' ` +
          `(${cert.subjectPublicKeyInfo.algorithm.scheme!.name}, expires ${day(cert.notAfter)})`,
      );
      io.stdout(`  certificate: ${paths.caCert}  (give this to every server and client)`);
      io.stdout(`  key:         ${paths.caKey}  (keep secret; mode 0600)`);
      io.stdout(`  CRL:         ${paths.crl}`);
    },
  };

  const issue: CommandModule<Common, IssueArgs> = {
    command: 'issue <type> <name>',
    describe: 'issue a server or client certificate and key signed by the CA',
    builder: (y) =>
      withDn(y)
        .positional('type', {
          choices: ['server', 'client'],
          demandOption: true,
          describe: 'certificate type',
        })
        .positional('name', {
          type: 'string',
          demandOption: true,
          describe: 'entity name: the CN and the file name',
        })
        .option('algo', {
          type: 'string',
          requiresArg: true,
          describe: "signature scheme of the new key (default: the CA's)",
        })
        .option('days', {
          type: 'number',
          requiresArg: true,
          describe: `validity in days (default ${DEFAULT_LEAF_DAYS})`,
        })
        .option('san', {
          type: 'string',
          requiresArg: true,
          describe:
            'subjectAltName list, e.g. DNS:vpn.example.com,IP:192.0.2.1 (servers default to DNS:NAME)',
        })
        .option('force', {
          type: 'boolean',
          default: false,
          describe: 'replace an existing NAME; its old certificate is revoked as superseded',
        })
        .example('$0 pki issue server vpn.example.com', 'server certificate with DNS:vpn.example.com')
        .example('$0 pki issue client alice --days 365', 'client certificate valid one year')
        .example('$0 pki issue server gw1 --san DNS:gw1.example.com,IP:198.51.100.7', 'explicit alt names'),
    handler: async (argv) => {
      const scheme = schemeOption(argv.algo);
      const san = argv.san === undefined ? undefined : sanOption(argv.san);
      const profile = argv.type === 'server' ? 'server' : 'client';
      const result = await usage(() =>
        issueCertificate({
          dir: argv.pki,
          profile,
          name: argv.name,
          ...(scheme ? { scheme } : {}),
          ...daysOption('days', argv.days),
          ...(san ? { san } : {}),
          subject: dnOptions(argv),
          force: argv.force,
          context,
        }),
      );
      const cert = result.certificate;
      io.stdout(
        `issued ${profile} certificate '${argv.name}' (${cert.subjectPublicKeyInfo.algorithm.scheme!.name}, ` +
          `serial ${cert.serialHex}, expires ${day(cert.notAfter)})`,
      );
      io.stdout(`  certificate: ${result.certPath}`);
      io.stdout(`  key:         ${result.keyPath}  (mode 0600)`);
      if (result.supersededSerial) {
        io.stdout(`  replaced serial ${result.supersededSerial}, now revoked as superseded; crl.pem updated`);
      }
    },
  };

  const revoke: CommandModule<Common, RevokeArgs> = {
    command: 'revoke <name>',
    describe: "revoke NAME's certificate and publish a fresh crl.pem",
    builder: (y) =>
      y
        .positional('name', { type: 'string', demandOption: true, describe: 'entity name' })
        .option('reason', {
          choices: REASONS,
          default: 'unspecified',
          describe: 'revocation reason (RFC 5280 CRLReason)',
        })
        .example(
          '$0 pki revoke alice --reason keyCompromise',
          'revoke alice; copy pki/crl.pem to the server',
        ),
    handler: async (argv) => {
      const reason = argv.reason as RevocationReasonName;
      const { certificate, crl } = await usage(() =>
        revokeCertificate({ dir: argv.pki, name: argv.name, reason, context }),
      );
      io.stdout(`revoked '${argv.name}' (serial ${certificate.serialHex}, reason ${reason})`);
      io.stdout(
        `  CRL: ${pkiPaths(argv.pki).crl} (number ${crl.extensions.crlNumber}, ${crl.revoked.length} revoked)`,
      );
      io.stdout('  install it where the server\'s "crl-verify" points');
    },
  };

  const crl: CommandModule<Common, CrlArgs> = {
    command: 'crl',
    describe: 'sign and write a fresh crl.pem (do this before the current one expires)',
    builder: (y) =>
      y
        .option('days', {
          type: 'number',
          requiresArg: true,
          describe: `CRL validity in days (default ${DEFAULT_CRL_DAYS})`,
        })
        .example('$0 pki crl --days 30', 'publish a CRL valid for 30 days'),
    handler: async (argv) => {
      const result = await usage(() =>
        writeCrl({ dir: argv.pki, ...daysOption('days', argv.days), context }),
      );
      io.stdout(
        `wrote ${pkiPaths(argv.pki).crl}: CRL number ${result.extensions.crlNumber}, ` +
          `${result.revoked.length} revoked, next update ${day(result.nextUpdate!)}`,
      );
    },
  };

  const list: CommandModule<Common, Common> = {
    command: 'list',
    describe: 'list the CA and every certificate it issued',
    builder: (y) => y.example('$0 pki list', 'name, type, serial, status and expiry of each certificate'),
    handler: async (argv) => {
      const rows = await listCertificates(argv.pki, context.now());
      const table = [
        ['NAME', 'TYPE', 'SERIAL', 'STATUS', 'EXPIRES'],
        ...rows.map((r) => [r.name, r.kind, r.serialHex, r.status, day(r.notAfter)]),
      ];
      const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
      for (const row of table)
        io.stdout(
          row
            .map((cell, i) => cell.padEnd(widths[i]!))
            .join('  ')
            .trimEnd(),
        );
    },
  };

  const show: CommandModule<Common, ShowArgs> = {
    command: 'show <name>',
    describe: 'print a certificate (NAME, "ca", or a .crt/.pem file) or a CRL ("crl" or a file)',
    builder: (y) =>
      y
        .positional('name', {
          type: 'string',
          demandOption: true,
          describe: 'entity name, ca, crl, or a file path',
        })
        .example(
          '$0 pki show alice',
          "alice's certificate: subject, issuer, algorithm, validity, EKU, SAN, …",
        )
        .example('$0 pki show crl', 'the current CRL'),
    handler: async (argv) => {
      const name = argv.name;
      if (name === 'crl' || /\.(crl|crl\.pem)$/.test(name)) {
        const path = name === 'crl' ? pkiPaths(argv.pki).crl : name;
        for (const line of describeCrl(parseCrl(await readText(path)))) io.stdout(line);
        return;
      }
      if (name.includes('/') || /\.(crt|pem|cer)$/.test(name)) {
        for (const line of describeCertificate(parseCertificate(await readText(name)))) io.stdout(line);
        return;
      }
      const { certificate, status } = await usage(() => readPkiCertificate(argv.pki, name, context.now()));
      for (const line of describeCertificate(certificate, status)) io.stdout(line);
    },
  };

  return {
    command: 'pki',
    describe: 'manage a post-quantum certificate authority (easy-rsa style)',
    builder: (y: Argv) =>
      y
        .option('pki', {
          type: 'string',
          default: DEFAULT_PKI_DIR,
          requiresArg: true,
          describe: 'the PKI directory',
        })
        .option('sig-plugin', {
          // Not `array: true`: that would swallow the sub-command that follows. Repeating the
          // option still gives an array (yargs' duplicate-arguments-array).
          type: 'string',
          requiresArg: true,
          describe: 'load a third-party signature scheme module first (docs/PLUGINS.md); repeatable',
        })
        // Plugins register their scheme before any sub-command parses --algo or reads a
        // certificate signed with it, exactly as the sig-plugin directive does for a tunnel.
        .middleware(async (argv) => {
          const paths = [argv['sig-plugin'] ?? []].flat();
          for (const path of paths) await loadSignaturePlugin(resolve(path));
        })
        .command(init)
        .command(issue)
        .command(revoke)
        .command(crl)
        .command(list)
        .command(show)
        .demandCommand(1, 'Name an action: init, issue, revoke, crl, list or show.')
        .example('$0 pki init', 'create the CA in ./pki')
        .example('$0 pki issue server vpn.example.com', 'a server certificate')
        .example('$0 pki issue client alice', 'a client certificate')
        .example('$0 pki revoke alice', 'revoke it and update pki/crl.pem')
        .example(
          '$0 pki --sig-plugin ./my-scheme.mjs init --algo my-scheme',
          'a CA in a third-party signature scheme',
        )
        .epilogue(
          `Signature schemes: ${signatureSchemeNames().join(', ')}. Layout and formats: docs/PKI.md.`,
        ),
    handler: () => {},
  };
}

function withDn<T>(y: Argv<T>): Argv<T & Dn> {
  return y
    .option('dn-org', { type: 'string', requiresArg: true, describe: 'add O=… to the subject' })
    .option('dn-ou', { type: 'string', requiresArg: true, describe: 'add OU=… to the subject' })
    .option('dn-country', {
      type: 'string',
      requiresArg: true,
      describe: 'add C=… (two letters) to the subject',
    });
}

function dnOptions(argv: Dn): Omit<NameInput, 'commonName'> {
  return {
    ...(argv['dn-org'] !== undefined ? { organization: argv['dn-org'] } : {}),
    ...(argv['dn-ou'] !== undefined ? { organizationalUnit: argv['dn-ou'] } : {}),
    ...(argv['dn-country'] !== undefined ? { country: argv['dn-country'] } : {}),
  };
}

function schemeOption(name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  try {
    return signatureSchemeByName(name).name;
  } catch (error) {
    throw new UsageError(`--algo: ${(error as Error).message}`, 'UNKNOWN_SIGNATURE_SCHEME');
  }
}

function sanOption(text: string): GeneralName[] {
  try {
    const names = parseSanList(text);
    if (names.length === 0) throw new RangeError('empty list');
    return names;
  } catch (error) {
    throw new UsageError(`--san: ${(error as Error).message}`, 'PKI_BAD_SAN');
  }
}

function whole(flag: string, value: number): number {
  if (!Number.isInteger(value) || value < 1)
    throw new UsageError(`${flag} must be a positive whole number`, 'PKI_BAD_DAYS');
  return value;
}

function daysOption(key: 'days', value: number | undefined): { days?: number } {
  return value === undefined ? {} : { [key]: whole('--days', value) };
}

/** Codes that mean "the command line was wrong" and so exit 2, not 1. */
const USAGE_CODES = new Set(['PKI_BAD_NAME', 'PKI_BAD_DAYS', 'UNKNOWN_SIGNATURE_SCHEME']);

/** Runs a PKI operation; a bad value (a RangeError from a builder, or a bad name) is a usage error. */
async function usage<T>(action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    if (error instanceof RangeError) throw new UsageError(error.message, 'PKI_BAD_VALUE');
    if (error instanceof PqvpnError && USAGE_CODES.has(error.code))
      throw new UsageError(error.message, error.code);
    throw error;
  }
}

async function readText(path: string): Promise<string> {
  try {
    return await fs.readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(
      `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
      'PKI_NOT_FOUND',
    );
  }
}

function day(date: Date): string {
  return date.toISOString().slice(0, 10);
}
