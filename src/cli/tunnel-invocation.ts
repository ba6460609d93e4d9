/**
 * The one command line a VPN daemon is started with, recognised without yargs.
 *
 * `pqvpn server --config FILE [--directive value …]` and the same for
 * `client` are how services, scripts and the benchmark start pqvpn, and the
 * time to the first handshake packet counts in the connect time. Loading
 * yargs and letting it lay out the help text it caches before every command
 * costs about 90 ms of a 350 ms start-up, so `run` (main.ts) hands exactly
 * this shape straight to the command's handler and everything else — help,
 * version, mistakes, any other command — to yargs.
 *
 * The contract is "same result as yargs or no result": the shape accepted here
 * is narrow (the command word, then `--config FILE` or `--config=FILE`, then
 * arguments none of which yargs would read as one of its own options), and for
 * it yargs gives the same `config` and `directives` (test/cli/tunnel-invocation.test.ts
 * compares the two). Anything else returns undefined, and yargs decides.
 * @module
 */

export interface TunnelInvocation {
  readonly mode: 'server' | 'client';
  readonly config: string;
  /** The `--directive value …` overrides after the config file, in order, as typed. */
  readonly directives: readonly string[];
}

/**
 * Arguments yargs might not pass through as directives: its own options
 * (`--config` again, `--help`, `--version`, `--h`, also in `--no-…`, `=`, `-…`
 * and `.…` forms), any single-dash argument (`-h`, or a cluster containing it;
 * directives are always `--name`), the end-of-options marker, and empty
 * strings. Their presence sends the whole command line to yargs.
 */
const OWN = /^--(?:no-)?(?:config|help|version|h)(?![A-Za-z0-9])/;

function yargsWouldRead(arg: string): boolean {
  if (arg === '' || arg === '--' || /^-[^-]/.test(arg)) return true;
  // yargs-parser also claims its names followed by `-` or `.` (`--help-me` and `--config.x` vanish with
  // their values), so any of them followed by a non-alphanumeric character counts.
  return OWN.test(arg);
}

/** `{mode, config, directives}` when yargs would parse `argv` to exactly that, else undefined. */
export function tunnelInvocation(argv: readonly string[]): TunnelInvocation | undefined {
  const [mode, flag, next] = argv;
  if (mode !== 'server' && mode !== 'client') return undefined;
  let config: string | undefined;
  let rest: readonly string[];
  if (flag === '--config') {
    config = next;
    rest = argv.slice(3);
  } else if (flag?.startsWith('--config=')) {
    config = flag.slice('--config='.length);
    rest = argv.slice(2);
  } else {
    return undefined;
  }
  if (config === undefined || config === '' || config.startsWith('-')) return undefined;
  if (rest.some(yargsWouldRead)) return undefined;
  return { mode, config, directives: [...rest] };
}
