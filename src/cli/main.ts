/**
 * The `pqvpn` command tree.
 *
 * One yargs instance; each sub-command lives in its own module under
 * `commands/` (`command`, `describe`, `builder`, `handler`). Errors thrown by a
 * handler reach `run` and become one clear line on stderr and an exit code from
 * `exitCodeFor` (0 ok, 1 runtime failure, 2 usage or configuration error). A stack
 * trace is printed only with `--verb 5` or more.
 *
 * Start-up time counts (it is part of a client's connect time), so nothing
 * heavy is imported at the top: yargs and the command modules load when the
 * parser is built, and `pqvpn server|client --config FILE …`, the daemon's own
 * command line, goes to its handler without yargs (tunnel-invocation.ts).
 * @module
 */

import type { Argv } from 'yargs';
import { ConfigErrors, exitCodeFor, PqvpnError, UsageError } from '../errors.js';
import type { CommandIO } from './io.js';
import { processIO } from './io.js';
import { tunnelInvocation } from './tunnel-invocation.js';

/**
 * The full parser. yargs and the command modules are imported here, on demand,
 * not at the top: `pqvpn server|client --config FILE …` (tunnel-invocation.ts)
 * starts without them.
 */
export async function buildParser(argv: readonly string[], io: CommandIO): Promise<Argv> {
  const [
    { default: yargs },
    { serverCommand },
    { clientCommand },
    { configCommand },
    { pkiCommand },
    { passwdCommand },
    { genkeyCommand },
    { kmeSimCommand },
  ] = await Promise.all([
    import('yargs'),
    import('./commands/server.js'),
    import('./commands/client.js'),
    import('./commands/config.js'),
    import('./commands/pki.js'),
    import('./commands/passwd.js'),
    import('./commands/genkey.js'),
    import('./commands/kme-sim.js'),
  ]);
  return yargs([...argv])
    .scriptName('pqvpn')
    .usage('$0 <command> [options]\n\nA post-quantum, OpenVPN-style VPN.')
    .command(serverCommand(io))
    .command(clientCommand(io))
    .command(configCommand(io))
    .command(pkiCommand(io))
    .command(passwdCommand(io))
    .command(genkeyCommand(io))
    .command(kmeSimCommand(io))
    .demandCommand(1, 'Name a command; see pqvpn --help.')
    .recommendCommands()
    .strict()
    .example('$0 pki init', 'create a certificate authority in ./pki')
    .example('$0 config check server.ovpn', 'validate a config and print the effective settings')
    .example('$0 server --config server.ovpn', 'run a server')
    .epilogue('Exit codes: 0 success, 1 runtime failure, 2 usage or configuration error.')
    .help()
    .alias('help', 'h')
    .version()
    .wrap(Math.min(100, process.stdout.columns || 100))
    .exitProcess(false)
    .fail((message, error) => {
      // yargs reports its own parse errors as a message; handler errors arrive as `error`.
      throw error ?? new UsageError(message);
    });
}

/** Runs the CLI and returns the exit code (the caller decides whether to exit). */
export async function run(argv: readonly string[], io: CommandIO = processIO()): Promise<number> {
  try {
    const tunnel = tunnelInvocation(argv);
    if (tunnel) {
      // The daemon's own command line: straight to the handler yargs would have called, with the same
      // arguments (tunnel-invocation.ts says why and when).
      const { tunnelCommand } = await import('./commands/tunnel-command.js');
      const { config, directives, mode } = tunnel;
      await tunnelCommand(io, mode).handler({ _: [mode], $0: 'pqvpn', config, directives: [...directives] });
      return io.exitCode ?? 0;
    }
    // With a parse callback yargs hands us what it would print (help, version) instead of writing to the
    // console itself, so every byte goes through `io` and tests can read it.
    let output = '';
    await (await buildParser(argv, io)).parseAsync(argv as string[], {}, (_error, _args, text) => {
      output = text;
    });
    if (output) io.stdout(output);
    return io.exitCode ?? 0;
  } catch (error) {
    reportError(error, io, verbosityOf(argv));
    return exitCodeFor(error);
  }
}

function reportError(error: unknown, io: CommandIO, verb: number): void {
  if (error instanceof ConfigErrors) {
    for (const e of error.errors) io.stderr(`ERROR: ${e.message}`);
  } else if (error instanceof PqvpnError) {
    io.stderr(`ERROR: ${error.message}`);
  } else if (error instanceof Error) {
    io.stderr(`ERROR: ${error.message}`);
  } else {
    io.stderr(`ERROR: ${String(error)}`);
  }
  if (error instanceof UsageError) io.stderr('Run with --help for usage.');
  if (verb >= 5 && error instanceof Error && error.stack) io.stderr(error.stack);
}

function verbosityOf(argv: readonly string[]): number {
  const i = argv.findIndex((a) => a === '--verb' || a.startsWith('--verb='));
  if (i < 0) return 0;
  const raw = argv[i]!.includes('=') ? argv[i]!.split('=')[1] : argv[i + 1];
  const n = Number(raw);
  return Number.isInteger(n) ? n : 0;
}
