/**
 * Command-line overrides: `pqvpn server --config x.ovpn --verb 4 --remote h 1194`
 * works like `openvpn --config x --verb 4`.
 *
 * Every `--name` starts a directive and the words after it, up to the next
 * `--name`, are its arguments (`--name=value` is accepted as a shorthand for a
 * single argument). The directives are applied after the file's: a repeatable
 * one (`--route`, `--push`) is added, a single-valued one (`--verb`) replaces the
 * file's value. Their location is reported as the command line.
 * @module
 */

import { UsageError } from '../errors.js';
import type { RawDirective } from './tokenizer.js';

/** How overrides are located in messages: `(command line): 'verb': …`. */
export const COMMAND_LINE = { file: '(command line)', line: 0 } as const;

/** Splits `['--verb', '4', '--route', '10.0.0.0', '255.0.0.0']` into directives. */
export function splitOverrides(argv: readonly string[]): RawDirective[] {
  const directives: { name: string; args: string[] }[] = [];
  for (const word of argv) {
    if (word.startsWith('--')) {
      const body = word.slice(2);
      const eq = body.indexOf('=');
      const name = eq < 0 ? body : body.slice(0, eq);
      if (name === '') throw new UsageError(`'${word}' is not a --directive`, 'CONFIG_OVERRIDE_SYNTAX');
      directives.push({ name, args: eq < 0 ? [] : [body.slice(eq + 1)] });
      continue;
    }
    const current = directives[directives.length - 1];
    if (!current)
      throw new UsageError(
        `unexpected argument '${word}': directives on the command line start with -- (e.g. --verb 4)`,
        'CONFIG_OVERRIDE_SYNTAX',
      );
    current.args.push(word);
  }
  return directives.map((d) => ({ name: d.name, args: d.args, location: COMMAND_LINE }));
}
