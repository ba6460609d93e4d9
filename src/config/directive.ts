/**
 * What a directive is: one row of the directive table.
 *
 * Every directive pqvpn knows — its own, OpenVPN's that it implements, and
 * OpenVPN's that it deliberately does not — is a `DirectiveSpec` with a status:
 *
 * - `supported`: parsed by `apply` into the draft config;
 * - `warned`: accepted with a one-line warning naming the reason, otherwise
 *   ignored (ignoring it weakens nothing the user relies on);
 * - `rejected`: an error naming the reason (ignoring it would silently weaken
 *   security or change behaviour the user relies on).
 *
 * The builder does the generic work once for every row — argument count,
 * server/client/ccd context, pushability, inline blocks, duplicates — and calls
 * `apply` only with arguments of the right count. This is OpenVPN's
 * `add_option` if-chain turned into data (docs/STYLE point 6); docs/CONFIG.md is
 * checked against the table by a test.
 * @module
 */

import type { SourceLocation } from '../errors.js';
import type { Draft } from './draft.js';
import type { FileSource, PushedOption, ScriptCommand } from './model.js';

export type DirectiveStatus = 'supported' | 'warned' | 'rejected';

/** Where a directive may appear: a server config, a client config, or a client-config-dir file. */
export type DirectiveContext = 'server' | 'client' | 'ccd';

/**
 * How a path argument is checked: an existing file; a private file (warning when
 * group or others may read it); the password database (stricter, as its loader);
 * a folder; a program; or an output file (its folder must exist).
 */
export type FileKind = 'file' | 'private' | 'passdb' | 'directory' | 'executable' | 'output';

export interface ApplyContext {
  readonly draft: Draft;
  readonly location: SourceLocation;
  readonly directive: string;
  /** The mode being built, when known: 'client' while validating a pushed option. */
  readonly mode: 'server' | 'client' | 'ccd' | undefined;
  /** True while validating the text of a `push "…"`. */
  readonly pushed: boolean;
  /**
   * Resolves a file argument: the inline block's content when `arg` is the
   * inline placeholder, otherwise an absolute path that is checked per `kind`.
   */
  file(arg: string, kind: FileKind): FileSource;
  /** Like `file` for arguments that can never be inline; returns the absolute path. */
  path(arg: string, kind: FileKind): string;
  /** Splits a script command line and checks its program. */
  command(line: string): ScriptCommand;
  warn(code: string, message: string): void;
  /** Applies another directive at the same location (`setenv opt NAME …`). */
  nested(name: string, args: readonly string[], options: { ignoreUnknown: boolean }): void;
  /** Parses and validates the text of a `push` as a client directive. */
  pushOption(text: string): PushedOption | undefined;
  /** Marks names that `ignore-unknown-option` lets through. */
  ignoreUnknown(names: readonly string[]): void;
}

export interface DirectiveSpec {
  readonly name: string;
  readonly status: DirectiveStatus;
  /** The argument synopsis after the name, e.g. `HOST [PORT] [PROTO]`. */
  readonly synopsis: string;
  /** Supported: what it does. Warned or rejected: why, and what to use instead. */
  readonly summary: string;
  readonly minArgs: number;
  readonly maxArgs: number;
  readonly contexts: readonly DirectiveContext[];
  /** Why it is limited to its contexts (shown when used in the wrong one). */
  readonly contextReason?: string;
  readonly repeatable: boolean;
  /** May a server `push` it to clients? */
  readonly pushable: boolean;
  /** Is the first argument a file that may be given as an inline `<name>` block? */
  readonly inline: boolean;
  /** The pqvpn default, as printed in docs and effective configs. */
  readonly default?: string;
  readonly apply?: (args: readonly string[], ctx: ApplyContext) => void;
}

export const BOTH: readonly DirectiveContext[] = ['server', 'client'];
export const SERVER: readonly DirectiveContext[] = ['server'];
export const CLIENT: readonly DirectiveContext[] = ['client'];
export const ANYWHERE: readonly DirectiveContext[] = ['server', 'client', 'ccd'];

type SupportedInput = Omit<
  DirectiveSpec,
  'status' | 'minArgs' | 'maxArgs' | 'contexts' | 'repeatable' | 'pushable' | 'inline' | 'apply'
> & {
  readonly args: readonly [number, number];
  readonly contexts?: readonly DirectiveContext[];
  readonly repeatable?: boolean;
  readonly pushable?: boolean;
  readonly inline?: boolean;
  readonly apply: (args: readonly string[], ctx: ApplyContext) => void;
};

/** A directive pqvpn implements. Defaults: both modes, single-valued, not pushable, no inline block. */
export function supported(input: SupportedInput): DirectiveSpec {
  const { args, ...rest } = input;
  return Object.freeze({
    contexts: BOTH,
    repeatable: false,
    pushable: false,
    inline: false,
    ...rest,
    status: 'supported',
    minArgs: args[0],
    maxArgs: args[1],
  });
}

interface NotSupportedOptions {
  /** Takes file content, so an inline `<name>` block is accepted (and ignored or refused with it). */
  readonly inline?: boolean;
  readonly synopsis?: string;
}

function notSupported(
  status: 'warned' | 'rejected',
  name: string,
  reason: string,
  options: NotSupportedOptions,
): DirectiveSpec {
  return Object.freeze({
    name,
    status,
    synopsis: options.synopsis ?? '…',
    summary: reason,
    minArgs: 0,
    maxArgs: Number.POSITIVE_INFINITY,
    contexts: ANYWHERE,
    repeatable: true,
    pushable: false,
    inline: options.inline ?? false,
  });
}

/** An OpenVPN directive accepted with a warning and otherwise ignored. */
export function warned(name: string, reason: string, options: NotSupportedOptions = {}): DirectiveSpec {
  return notSupported('warned', name, reason, options);
}

/** An OpenVPN directive that is an error, because ignoring it would weaken security or change behaviour. */
export function rejected(name: string, reason: string, options: NotSupportedOptions = {}): DirectiveSpec {
  return notSupported('rejected', name, reason, options);
}
