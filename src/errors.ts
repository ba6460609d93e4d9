/**
 * Errors that cross a module boundary.
 *
 * One base class with a stable `code`; subclasses carry the context a user needs
 * (a config file and line, a certificate's subject, …). Callers and tests match on
 * `code`, never on message text. The CLI maps error kinds to exit codes in one
 * place (`exitCodeFor`): 2 for usage and configuration errors, 1 for everything
 * that went wrong at run time.
 * @module
 */

export class PqvpnError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** The command line itself is wrong: unknown flag, missing argument, bad value. */
export class UsageError extends PqvpnError {
  constructor(message: string, code = 'USAGE') {
    super(code, message);
  }
}

/** Where in a config a problem sits. `line` is 1-based; 0 means "the command line". */
export interface SourceLocation {
  readonly file: string;
  readonly line: number;
}

/** A configuration file (or a `--directive` override) is invalid. */
export class ConfigError extends PqvpnError {
  readonly location: SourceLocation | undefined;
  readonly directive: string | undefined;
  constructor(code: string, message: string, location?: SourceLocation, directive?: string) {
    super(code, formatLocated(message, location, directive));
    this.location = location;
    this.directive = directive;
  }
}

/** Several configuration errors found in one pass, reported together. */
export class ConfigErrors extends PqvpnError {
  readonly errors: readonly ConfigError[];
  constructor(errors: readonly ConfigError[]) {
    super('CONFIG_INVALID', errors.map((e) => e.message).join('\n'));
    this.errors = errors;
  }
}

export function formatLocation(location: SourceLocation): string {
  return location.line === 0 ? `${location.file}` : `${location.file}:${location.line}`;
}

function formatLocated(message: string, location?: SourceLocation, directive?: string): string {
  const where = location ? `${formatLocation(location)}: ` : '';
  const what = directive ? `'${directive}': ` : '';
  return `${where}${what}${message}`;
}

/** Exit codes of the `pqvpn` command (see README "Exit codes"). */
export const ExitCode = { ok: 0, failure: 1, usage: 2 } as const;

export function exitCodeFor(error: unknown): number {
  if (error instanceof UsageError || error instanceof ConfigError || error instanceof ConfigErrors) {
    return ExitCode.usage;
  }
  return ExitCode.failure;
}
