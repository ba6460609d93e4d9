/**
 * `pqvpn genkey KIND FILE [--force]` — make a pre-shared static key.
 *
 * KIND is `tls-crypt` (the key that hides and authenticates the handshake, as
 * OpenVPN's `--genkey tls-crypt`) or `psk` (an optional key mixed into every
 * session's key schedule). The file is written with mode 0600 and never replaces
 * an existing file without `--force`. Format and key length: src/keys/static-key.ts.
 * @module
 */

import type { CommandModule } from 'yargs';
import { writeStaticKeyFile } from '../../keys/key-file.js';
import { STATIC_KEY_KIND_NAMES, type StaticKeyKind } from '../../keys/static-key.js';
import type { CommandIO } from '../io.js';

interface GenkeyArgs {
  kind: StaticKeyKind;
  file: string;
  force: boolean;
}

export function genkeyCommand(io: CommandIO): CommandModule<object, GenkeyArgs> {
  return {
    command: 'genkey <kind> <file>',
    describe: 'generate a pre-shared key file (tls-crypt or psk)',
    builder: (y) =>
      y
        .positional('kind', {
          choices: STATIC_KEY_KIND_NAMES,
          demandOption: true,
          describe: 'tls-crypt: protects the handshake; psk: mixed into every session key',
        })
        .positional('file', {
          type: 'string',
          demandOption: true,
          describe: 'where to write the key (mode 0600)',
        })
        .option('force', { type: 'boolean', default: false, describe: 'replace an existing file' })
        .example('$0 genkey tls-crypt /etc/pqvpn/ta.key', 'the tls-crypt key for the server and every client')
        .example('$0 genkey psk /etc/pqvpn/psk.key', 'an optional pre-shared key for "psk FILE" on both ends')
        .example(
          '$0 genkey tls-crypt ta.key --force',
          'replace an existing key (every client needs the new one)',
        )
        .epilogue(
          'Keys are 512 random bits in a PEM-style text file. For tls-crypt, pqvpn also reads key files ' +
            'made by "openvpn --genkey tls-crypt" (file-compatible only: the wire protocol differs).',
        ),
    handler: async (argv) => {
      const bits = await writeStaticKeyFile(argv.file, argv.kind, { force: argv.force });
      io.stdout(`wrote a ${bits}-bit ${argv.kind} key to ${argv.file} (mode 0600)`);
    },
  };
}
