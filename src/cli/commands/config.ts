/**
 * `pqvpn config check FILE [--directive value …]`: validate a config and print
 * the effective settings.
 *
 * The effective config (defaults marked, paths absolute, no key material) goes
 * to stdout, warnings and errors to stderr, each with file:line. Overrides after
 * FILE work as on `pqvpn server --config FILE …`. Exit codes: 0 valid (warnings
 * allowed), 2 invalid — the errors are thrown as `ConfigErrors` and
 * `src/cli/main.ts` prints them and picks the code.
 * @module
 */

import type { Argv, CommandModule } from 'yargs';
import type { ConfigWarning } from '../../config/model.js';
import { UsageError } from '../../errors.js';
import type { CommandIO } from '../io.js';

interface CheckArgs {
  file?: unknown;
  directives?: unknown[];
  quiet?: boolean;
}

function printWarnings(
  io: CommandIO,
  warnings: readonly ConfigWarning[],
  formatWarning: (w: ConfigWarning) => string,
): void {
  for (const w of warnings) io.stderr(`WARNING: ${formatWarning(w)}`);
}

function checkCommand(io: CommandIO): CommandModule<object, CheckArgs> {
  return {
    command: 'check <file> [directives..]',
    describe: 'validate a config file and print the effective settings',
    builder: (y: Argv) =>
      y
        // Everything after FILE that is not --quiet/--help is a --directive override, kept in order.
        .parserConfiguration({ 'unknown-options-as-args': true, 'parse-positional-numbers': false })
        .strict(false)
        .positional('file', { type: 'string', describe: 'the .ovpn file' })
        .positional('directives', { type: 'string', array: true, describe: '--directive value … overrides' })
        .option('quiet', { type: 'boolean', default: false, describe: 'print only problems' })
        .example('$0 config check server.ovpn', 'check a server config and print its effective settings')
        .example('$0 config check client.ovpn --verb 4 --remote vpn2.example 1194', 'check with overrides')
        .epilogue(
          'Any --directive after FILE overrides the file, as on "pqvpn server --config FILE": single-valued ' +
            "directives replace the file's value, repeatable ones (route, push, remote…) are added. " +
            'Exit code 0: valid (warnings allowed); 2: errors. Every directive: docs/CONFIG.md.',
        ) as unknown as Argv<CheckArgs>,
    handler: async (argv) => {
      if (typeof argv.file !== 'string')
        throw new UsageError('give the config file first, then any --directive overrides');
      const overrides = (argv.directives ?? []).map(String);
      // Loaded here, not at the top, so that other commands, --help and --version start faster.
      const [{ InvalidConfigError }, { formatEffectiveConfig, formatWarning }, { loadConfigFile }] =
        await Promise.all([
          import('../../config/build.js'),
          import('../../config/format.js'),
          import('../../config/load.js'),
        ]);
      try {
        const { config, warnings } = await loadConfigFile(argv.file, overrides);
        printWarnings(io, warnings, formatWarning);
        if (!argv.quiet) {
          for (const line of formatEffectiveConfig(config).trimEnd().split('\n')) io.stdout(line);
          io.stderr(
            `${argv.file}: valid ${config.mode} config${warnings.length > 0 ? ` (${warnings.length} warning${warnings.length === 1 ? '' : 's'})` : ''}`,
          );
        }
      } catch (e) {
        if (e instanceof InvalidConfigError) printWarnings(io, e.warnings, formatWarning);
        throw e;
      }
    },
  };
}

export function configCommand(io: CommandIO): CommandModule {
  return {
    command: 'config <action>',
    describe: 'check configuration files',
    builder: (y: Argv) =>
      y
        .command(checkCommand(io) as unknown as CommandModule)
        .demandCommand(1, 'Name an action: pqvpn config check FILE')
        .example('$0 config check server.ovpn', 'validate a config and print the effective settings'),
    handler: () => {},
  };
}
