/**
 * From parsed directives to a validated `PqvpnConfig`: the generic half of
 * OpenVPN's `add_option`, driven by the directive table.
 *
 * 1. Decide the mode (server or client) from the whole text first, so every
 *    directive can be checked against it wherever it appears.
 * 2. Apply each directive in order — the file's, then the command line's
 *    overrides — checking, for every row alike: known name (else a did-you-mean),
 *    status (warned → warning, rejected → error), mode, argument count, inline
 *    block, duplicates; then the row's own `apply` parses the values.
 * 3. `finalize` checks the combination, fills defaults and freezes the result.
 *
 * Every problem is collected; if there is any error the whole list is thrown
 * as `InvalidConfigError` (a `ConfigErrors`, so the CLI exits 2), with the
 * warnings attached. The file system is reached only through the injected
 * `FileChecker`, so this module is synchronous and testable in memory.
 * @module
 */

import { resolve } from 'node:path';
import { signatureSchemeNames } from '../crypto/signature-schemes.js';
import { ConfigError, ConfigErrors, type SourceLocation } from '../errors.js';
import type { ApplyContext, DirectiveSpec, FileKind } from './directive.js';
import { type Draft, emptyDraft } from './draft.js';
import { type FileChecker, formatMode, nodeFileChecker, resolveConfigPath } from './files.js';
import { finalize } from './finalize.js';
import {
  type ConfigWarning,
  type FileSource,
  InlineContent,
  type PqvpnConfig,
  type PushedOption,
} from './model.js';
import { suggest } from './suggest.js';
import { directiveNames, directiveSpec } from './table.js';
import {
  type ConfigSource,
  INLINE_MARKER,
  type ParsedConfig,
  quoteToken,
  type RawDirective,
  splitLine,
} from './tokenizer.js';
import { ValueError } from './values.js';

export interface BuildOptions {
  /** How files are looked up; default the real file system. */
  readonly files?: FileChecker;
  /** Check that referenced files exist and their permissions (default true). */
  readonly checkFiles?: boolean;
  /** Command-line directives applied after the file's (see `splitOverrides`). */
  readonly overrides?: readonly RawDirective[];
  /** Signature scheme names `sig-schemes` may use; default the registry's. */
  readonly signatureSchemes?: readonly string[];
}

export interface BuildResult {
  readonly config: PqvpnConfig;
  readonly warnings: readonly ConfigWarning[];
}

/** The config has errors; `errors` lists them all, `warnings` what else was found. */
export class InvalidConfigError extends ConfigErrors {
  readonly warnings: readonly ConfigWarning[];
  constructor(errors: readonly ConfigError[], warnings: readonly ConfigWarning[]) {
    super(errors);
    this.warnings = warnings;
  }
}

/** Stands for "the inline block" in the argument list handed to `apply`. */
const INLINE_ARG = '\u0000inline';

type Mode = 'server' | 'client' | 'ccd';

interface Scope {
  readonly draft: Draft;
  readonly mode: Mode | undefined;
  readonly pushed: boolean;
  readonly ignoreUnknown: boolean;
}

/** Collects problems and applies directives; one instance per build. */
export class Builder {
  readonly errors: ConfigError[] = [];
  readonly warnings: ConfigWarning[] = [];
  readonly draft: Draft = emptyDraft();
  private readonly files: FileChecker;
  private readonly checkFiles: boolean;
  private readonly ignoredNames = new Set<string>();
  private readonly firstSeen = new Map<string, SourceLocation>();
  private inlineSecrets = false;
  /** Names of supported directives that were given, whether or not their values were valid. */
  readonly attempted = new Set<string>();

  readonly source: ConfigSource;

  constructor(source: ConfigSource, options: BuildOptions) {
    this.source = source;
    this.files = options.files ?? nodeFileChecker;
    this.checkFiles = options.checkFiles ?? true;
  }

  error(code: string, message: string, location?: SourceLocation, directive?: string): void {
    this.errors.push(new ConfigError(code, message, location, directive));
  }

  warn(code: string, message: string, location?: SourceLocation, directive?: string): void {
    this.warnings.push({
      code,
      message,
      ...(location === undefined ? {} : { location }),
      ...(directive === undefined ? {} : { directive }),
    });
  }

  /** Applies one directive in `scope`, recording any problem instead of throwing. */
  apply(d: RawDirective, scope: Scope): void {
    const spec = directiveSpec(d.name);
    if (!spec) {
      if (scope.ignoreUnknown || this.ignoredNames.has(d.name)) {
        this.warn('CONFIG_UNKNOWN_IGNORED', 'unknown directive ignored (as asked)', d.location, d.name);
        return;
      }
      this.error('CONFIG_UNKNOWN_DIRECTIVE', unknownMessage(d.name), d.location, d.name);
      return;
    }
    if (d.inline !== undefined && !spec.inline) {
      this.error(
        'CONFIG_INLINE_NOT_ALLOWED',
        'takes no file, so it cannot be an inline block',
        d.location,
        d.name,
      );
      return;
    }
    if (spec.status === 'rejected') {
      this.error('CONFIG_REJECTED', `not supported: ${spec.summary}`, d.location, d.name);
      return;
    }
    if (spec.status === 'warned') {
      this.warn('CONFIG_IGNORED', `ignored: ${spec.summary}`, d.location, d.name);
      return;
    }
    if (!scope.pushed) this.attempted.add(d.name);
    if (scope.mode !== undefined && !spec.contexts.includes(scope.mode)) {
      this.error('CONFIG_WRONG_MODE', wrongModeMessage(spec, scope.mode), d.location, d.name);
      return;
    }
    if (d.inline === undefined && d.args[0]?.toLowerCase() === INLINE_MARKER) {
      this.error(
        'CONFIG_INLINE_MISSING',
        `says ${INLINE_MARKER} but no <${d.name}> block supplies it`,
        d.location,
        d.name,
      );
      return;
    }
    const args = d.inline === undefined ? d.args : [INLINE_ARG, ...d.args];
    if (args.length < spec.minArgs || args.length > spec.maxArgs) {
      this.error('CONFIG_ARG_COUNT', arityMessage(spec, args.length), d.location, d.name);
      return;
    }
    this.noteDuplicate(spec, d.location);
    try {
      spec.apply?.(args, this.context(d, scope));
      scope.draft.seen.set(d.name, d.location);
    } catch (e) {
      if (!(e instanceof ValueError)) throw e;
      this.error(e.code, e.message, d.location, d.name);
    }
  }

  private noteDuplicate(spec: DirectiveSpec, location: SourceLocation): void {
    if (spec.repeatable || location.line === 0) return;
    const first = this.firstSeen.get(spec.name);
    if (first && first.file === location.file)
      this.warn(
        'CONFIG_DUPLICATE',
        `given again; this line replaces line ${first.line}`,
        location,
        spec.name,
      );
    this.firstSeen.set(spec.name, location);
  }

  private context(d: RawDirective, scope: Scope): ApplyContext {
    const path = (arg: string, kind: FileKind): string => {
      if (arg === INLINE_ARG) throw new Error(`directive '${d.name}' read its inline block as a path`);
      return this.checkPath(arg, kind, d, scope.draft);
    };
    return {
      draft: scope.draft,
      location: d.location,
      directive: d.name,
      mode: scope.pushed ? 'client' : scope.mode,
      pushed: scope.pushed,
      path,
      file: (arg: string, kind: FileKind): FileSource => {
        if (arg !== INLINE_ARG) return { kind: 'file', path: path(arg, kind) };
        if (kind === 'private' || kind === 'passdb') this.inlineSecrets = true;
        return new InlineContent(d.inline ?? '');
      },
      command: (line: string) => {
        const argv = splitLine(line);
        const [program, ...rest] = argv;
        if (program === undefined) throw new ValueError('CONFIG_BAD_VALUE', 'the command is empty');
        return { line, argv: [path(program, 'executable'), ...rest] };
      },
      warn: (code, message) => this.warn(code, message, d.location, d.name),
      nested: (name, args, options) =>
        this.apply({ name, args, location: d.location }, { ...scope, ignoreUnknown: options.ignoreUnknown }),
      pushOption: (text) => this.pushOption(text, d.location),
      ignoreUnknown: (names) => {
        for (const n of names) this.ignoredNames.add(n);
      },
    };
  }

  private checkPath(given: string, kind: FileKind, d: RawDirective, draft: Draft): string {
    if (given === '') throw new ValueError('CONFIG_BAD_PATH', 'the path is empty');
    const resolved = resolveConfigPath(draft.cd ?? this.source.dir, given);
    if (!this.checkFiles) return resolved;
    const shown = given === resolved ? resolved : `'${given}' (${resolved})`;
    if (kind === 'output') {
      const folder = resolve(resolved, '..');
      if (this.files.stat(folder)?.type !== 'directory')
        throw new ValueError('CONFIG_FILE_MISSING', `the folder ${folder} for ${shown} does not exist`);
      if (this.files.stat(resolved)?.type === 'directory')
        throw new ValueError('CONFIG_NOT_A_FILE', `${shown} is a folder, not a file`);
      return resolved;
    }
    const stat = this.files.stat(resolved);
    if (!stat) throw new ValueError('CONFIG_FILE_MISSING', `${shown} does not exist`);
    if (kind === 'directory') {
      if (stat.type !== 'directory')
        throw new ValueError('CONFIG_NOT_A_DIRECTORY', `${shown} is not a folder`);
      return resolved;
    }
    if (stat.type !== 'file') throw new ValueError('CONFIG_NOT_A_FILE', `${shown} is not a regular file`);
    if (kind === 'executable' && (stat.mode & 0o111) === 0)
      throw new ValueError('CONFIG_NOT_EXECUTABLE', `${shown} is not executable (chmod +x)`);
    if (kind === 'passdb' && (stat.mode & 0o026) !== 0)
      throw new ValueError(
        'CONFIG_INSECURE_MODE',
        `${shown} has mode ${formatMode(stat.mode)}: others may read it or others/group may change it; run 'chmod 600 ${resolved}'`,
      );
    if ((kind === 'private' || kind === 'passdb') && (stat.mode & 0o077) !== 0)
      this.warn(
        'CONFIG_KEY_PERMISSIONS',
        `${shown} is accessible by group or others (mode ${formatMode(stat.mode)}); it holds secrets: run 'chmod 600 ${resolved}'`,
        d.location,
        d.name,
      );
    return resolved;
  }

  /** Parses the text of a `push` as a client directive; throws ValueError for the first problem. */
  private pushOption(text: string, location: SourceLocation): PushedOption | undefined {
    const tokens = splitLine(text);
    const [name, ...args] = tokens;
    if (name === undefined) throw new ValueError('CONFIG_BAD_PUSH', 'the pushed option is empty');
    const spec = directiveSpec(name);
    if (!spec) throw new ValueError('CONFIG_BAD_PUSH', `pushed option: ${unknownMessage(name)}`);
    if (spec.status === 'warned') {
      this.warn('CONFIG_IGNORED', `pushed option '${name}' is dropped: ${spec.summary}`, location, 'push');
      return undefined;
    }
    if (spec.status === 'rejected')
      throw new ValueError('CONFIG_REJECTED', `pushed option '${name}' is not supported: ${spec.summary}`);
    if (!spec.pushable) throw new ValueError('CONFIG_NOT_PUSHABLE', `'${name}' cannot be pushed to clients`);
    if (args.length < spec.minArgs || args.length > spec.maxArgs)
      throw new ValueError('CONFIG_BAD_PUSH', `pushed option '${name}': ${arityMessage(spec, args.length)}`);
    const scope: Scope = { draft: emptyDraft(), mode: 'client', pushed: true, ignoreUnknown: false };
    try {
      spec.apply?.(args, this.context({ name, args, location }, scope));
    } catch (e) {
      if (e instanceof ValueError) throw new ValueError(e.code, `pushed option '${name}': ${e.message}`);
      throw e;
    }
    return { name, args, text: tokens.map(quoteToken).join(' '), origin: 'push' };
  }

  /** Warns when inline private material sits in a config file others can read. */
  checkInlineSecrets(): void {
    if (!this.inlineSecrets || !this.checkFiles) return;
    const stat = this.files.stat(resolve(this.source.file));
    if (stat && (stat.mode & 0o077) !== 0)
      this.warn(
        'CONFIG_KEY_PERMISSIONS',
        `the config holds inline private keys or passwords but is accessible by group or others (mode ${formatMode(stat.mode)}); run 'chmod 600 ${this.source.file}'`,
        { file: this.source.file, line: 0 },
      );
  }
}

function unknownMessage(name: string): string {
  const guess = suggest(name, directiveNames());
  return guess ? `unknown directive; did you mean '${guess}'?` : 'unknown directive (see docs/CONFIG.md)';
}

function arityMessage(spec: DirectiveSpec, got: number): string {
  const { minArgs: min, maxArgs: max } = spec;
  const wanted =
    min === max ? `${min === 0 ? 'no' : min} argument${min === 1 ? '' : 's'}` : `${min} to ${max} arguments`;
  return `takes ${wanted} (${spec.name} ${spec.synopsis}), not ${got}`.replace(/ \)/, ')');
}

const CONTEXT_NAMES = {
  server: 'server configs',
  client: 'client configs',
  ccd: 'client-config-dir files',
} as const;

function wrongModeMessage(spec: DirectiveSpec, mode: Mode): string {
  const where = mode === 'ccd' ? 'a client-config-dir file' : `a ${mode} config`;
  const allowed =
    spec.contexts.length === 0
      ? 'may only be pushed by a server'
      : `belongs in ${spec.contexts.map((c) => CONTEXT_NAMES[c]).join(' or ')}`;
  return `not valid in ${where}: it ${allowed}${spec.contextReason ? `; ${spec.contextReason}` : ''}`;
}

/** Server or client, decided from the whole directive list before anything is applied. */
function detectMode(all: readonly RawDirective[], builder: Builder): 'server' | 'client' | undefined {
  const find = (pred: (d: RawDirective) => boolean) => all.find(pred);
  const client =
    find((d) => d.name === 'client') ??
    (find((d) => d.name === 'pull') && find((d) => d.name === 'tls-client'));
  const server = find(
    (d) => d.name === 'server' || d.name === 'server-ipv6' || (d.name === 'mode' && d.args[0] === 'server'),
  );
  if (client && server) {
    builder.error(
      'CONFIG_MODE_CONFLICT',
      `a config is either a server ('server …', line ${server.location.line}) or a client ('client'), not both`,
      client.location,
      client.name,
    );
    return undefined;
  }
  if (client) return 'client';
  if (server) return 'server';
  if (find((d) => d.name === 'mode')) return undefined; // `mode p2p` reports itself
  const p2p = find((d) => d.name === 'tls-server' || d.name === 'tls-client');
  if (p2p) {
    builder.error(
      'CONFIG_P2P_UNSUPPORTED',
      "point-to-point TLS mode is not supported; write 'server NETWORK NETMASK' on the server and 'client' on clients",
      p2p.location,
      p2p.name,
    );
    return undefined;
  }
  builder.error(
    'CONFIG_MODE_MISSING',
    "neither a server nor a client: add 'server NETWORK NETMASK' or 'client'",
    { file: builder.source.file, line: 0 },
  );
  return undefined;
}

/**
 * Builds a server or client config from parsed directives plus overrides.
 * Returns the config and warnings, or throws `InvalidConfigError` with every error.
 */
export function buildConfig(parsed: ParsedConfig, options: BuildOptions = {}): BuildResult {
  const builder = new Builder(parsed.source, options);
  const all = [...parsed.directives, ...(options.overrides ?? [])];
  const mode = detectMode(all, builder);
  const scope: Scope = { draft: builder.draft, mode, pushed: false, ignoreUnknown: false };
  for (const d of all) builder.apply(d, scope);
  builder.checkInlineSecrets();
  const config =
    mode === undefined
      ? undefined
      : finalize(builder.draft, mode, {
          source: parsed.source,
          signatureSchemes: options.signatureSchemes ?? signatureSchemeNames(),
          attempted: builder.attempted,
          error: (code, message, directive) =>
            builder.error(
              code,
              message,
              builder.draft.seen.get(directive ?? '') ?? { file: parsed.source.file, line: 0 },
              directive,
            ),
          warn: (code, message, directive) =>
            builder.warn(
              code,
              message,
              builder.draft.seen.get(directive ?? '') ?? { file: parsed.source.file, line: 0 },
              directive,
            ),
        });
  const errors = byLine(builder.errors);
  const warnings = byLine(builder.warnings);
  if (errors.length > 0 || config === undefined) throw new InvalidConfigError(errors, warnings);
  return { config, warnings };
}

/** Sorts problems by line (stable), with file-wide and command-line ones (line 0) last. */
export function byLine<T extends { readonly location?: SourceLocation | undefined }>(
  items: readonly T[],
): T[] {
  const key = (t: T) =>
    t.location === undefined || t.location.line === 0 ? Number.POSITIVE_INFINITY : t.location.line;
  return [...items].sort((a, b) => key(a) - key(b));
}
