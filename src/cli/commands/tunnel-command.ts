/**
 * What `pqvpn server` and `pqvpn client` share: `--config FILE` plus OpenVPN-style
 * `--directive value` overrides, loaded and validated with the same code as
 * `pqvpn config check`.
 *
 * The tunnel itself (TUN device, UDP transport, sessions) is not in this version
 * yet (see README "Status"). Until it is, these commands validate the config,
 * report the warnings, and stop with exit code 1 and a message that says so —
 * never pretending to run a VPN.
 * @module
 */

import type { Argv, CommandModule } from 'yargs';
import { InvalidConfigError } from '../../config/build.js';
import { formatWarning } from '../../config/format.js';
import { loadConfigFile } from '../../config/load.js';
import { PqvpnError, UsageError } from '../../errors.js';
import type { CommandIO } from '../io.js';

interface TunnelArgs {
  config?: unknown;
  directives?: unknown[];
}

export function tunnelCommand(io: CommandIO, mode: 'server' | 'client'): CommandModule {
  const builder = (y: Argv) =>
    y
      .parserConfiguration({ 'unknown-options-as-args': true, 'parse-positional-numbers': false })
      .strict(false)
      .option('config', { type: 'string', describe: 'the .ovpn config file', demandOption: true })
      .positional('directives', { type: 'string', array: true, describe: '--directive value … overrides' })
      .example(`$0 ${mode} --config ${mode}.ovpn`, `run a ${mode} from a config file`)
      .example(
        `$0 ${mode} --config ${mode}.ovpn --verb 4`,
        'the same with more logging (any directive works)',
      )
      .epilogue('Directives after --config override the file, as with "openvpn --config FILE --verb 4".');
  return {
    command: `${mode} [directives..]`,
    describe:
      mode === 'server'
        ? 'run a VPN server from a config file'
        : 'connect to a VPN server from a config file',
    builder,
    handler: async (argv) => {
      const args = argv as TunnelArgs;
      if (typeof args.config !== 'string') throw new UsageError(`pqvpn ${mode} needs --config FILE`);
      const overrides = (args.directives ?? []).map(String);
      try {
        const { config, warnings } = await loadConfigFile(args.config, overrides);
        for (const w of warnings) io.stderr(`WARNING: ${formatWarning(w)}`);
        if (config.mode !== mode) {
          throw new UsageError(
            `${args.config} is a ${config.mode} config; run it with 'pqvpn ${config.mode} --config ${args.config}'`,
          );
        }
      } catch (e) {
        if (e instanceof InvalidConfigError)
          for (const w of e.warnings) io.stderr(`WARNING: ${formatWarning(w)}`);
        throw e;
      }
      throw new PqvpnError(
        'NOT_IMPLEMENTED',
        `the configuration is valid, but this version of pqvpn cannot run a ${mode} yet: the tunnel is still being built (README, "Status")`,
      );
    },
  };
}
