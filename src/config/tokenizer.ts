/**
 * The OpenVPN config-file syntax: lines, tokens, comments, quotes, backslashes and
 * inline blocks. Pure: text in, directives with their locations out; no file
 * system, no knowledge of what any directive means.
 *
 * The rules are OpenVPN 2.6's `parse_line` and `read_config_file`
 * (openvpn(8), "--config file"), reimplemented as the same small state machine:
 *
 * - One directive per line: a name and up to 15 parameters separated by spaces
 *   or tabs. A leading `--` on the name is dropped, so a line copied from a
 *   command line works.
 * - A `#` or `;` where a token would start begins a comment that runs to the end
 *   of the line (`key server.key # secret` is `key server.key`); inside a token it
 *   is an ordinary character (`a#b` is one token).
 * - `"…"` and `'…'` quote one parameter (which may then contain spaces or be
 *   empty). A quoted parameter ends at its closing quote, even with no space
 *   after it. A quote in the middle of an unquoted token is literal.
 * - Outside single quotes a backslash escapes the next character, which must be
 *   `\`, `"`, a space or a tab; any other escape is an error, as in OpenVPN
 *   (so Windows paths need `\\`). Inside single quotes backslashes are literal.
 * - `<name>` alone on a line opens an inline block whose lines, up to the line
 *   starting `</name>` (leading blanks allowed), are the content of directive
 *   `name`'s file argument. `name [inline]` may also appear on its own line, as
 *   OpenVPN 2.6 writes it; it pairs with the next `<name>` block and keeps any
 *   further parameters (`tls-auth [inline] 1`).
 * - A UTF-8 byte-order mark at the start and CR before LF are ignored.
 *
 * Where OpenVPN silently truncates (more than 16 tokens, over-long lines), this
 * parser reports an error instead. All syntax errors in a text are collected and
 * thrown together as `ConfigErrors`.
 * @module
 */

import { ConfigError, ConfigErrors, type SourceLocation } from '../errors.js';
import { ValueError } from './values.js';

/** Where a config text came from: its path as shown to users and the folder relative paths start from. */
export interface ConfigSource {
  readonly file: string;
  readonly dir: string;
}

export interface RawDirective {
  readonly name: string;
  readonly args: readonly string[];
  readonly location: SourceLocation;
  /** The content of an inline block that supplies this directive's file argument. */
  readonly inline?: string;
}

export interface ParsedConfig {
  readonly source: ConfigSource;
  readonly directives: readonly RawDirective[];
}

/** OpenVPN's MAX_PARMS: a name and 15 parameters. */
export const MAX_TOKENS = 16;
/** Longest directive line accepted (inline block content is not limited per line). */
export const MAX_LINE_LENGTH = 8192;
/** The parameter that says "my file comes from an inline block". */
export const INLINE_MARKER = '[inline]';

const isSpace = (c: string): boolean => c === ' ' || c === '\t' || c === '\v' || c === '\f';

type State = 'initial' | 'unquoted' | 'double' | 'single';

/**
 * Splits one line into tokens with OpenVPN's rules. Throws `ValueError` with
 * `CONFIG_SYNTAX` for an unterminated quote, a bad escape or a trailing
 * backslash, and `CONFIG_TOO_MANY_PARAMETERS` past `MAX_TOKENS`.
 */
export function splitLine(line: string): string[] {
  const tokens: string[] = [];
  let state: State = 'initial';
  let token = '';
  let escaped = false;
  const finish = () => {
    tokens.push(token);
    token = '';
    state = 'initial';
    if (tokens.length > MAX_TOKENS)
      throw new ValueError(
        'CONFIG_TOO_MANY_PARAMETERS',
        `too many parameters on one line (at most ${MAX_TOKENS - 1} after the directive name)`,
      );
  };
  for (const c of line) {
    if (!escaped && c === '\\' && state !== 'single') {
      escaped = true;
      continue;
    }
    const wasEscaped = escaped;
    escaped = false;
    let out: string | undefined;
    if (state === 'initial') {
      if (isSpace(c)) continue;
      // As in OpenVPN, the comment check comes before the escape check: `\#` starting a token is a comment.
      if (c === '#' || c === ';') break;
      if (!wasEscaped && c === '"') state = 'double';
      else if (!wasEscaped && c === "'") state = 'single';
      else {
        out = c;
        state = 'unquoted';
      }
    } else if (state === 'unquoted') {
      if (!wasEscaped && isSpace(c)) finish();
      else out = c;
    } else if (state === 'double') {
      if (!wasEscaped && c === '"') finish();
      else out = c;
    } else if (c === "'") {
      finish();
    } else {
      out = c;
    }
    if (wasEscaped && out !== undefined && out !== '\\' && out !== '"' && !isSpace(out))
      throw new ValueError(
        'CONFIG_BAD_ESCAPE',
        `bad backslash escape '\\${out}': backslashes are shell-style escapes; write a literal backslash as \\\\ (e.g. "C:\\\\keys\\\\ca.crt") or use single quotes`,
      );
    if (out !== undefined) token += out;
  }
  if (escaped) throw new ValueError('CONFIG_BAD_ESCAPE', 'the line ends with a backslash (escaping nothing)');
  if (state === 'double') throw new ValueError('CONFIG_UNTERMINATED_QUOTE', 'no closing double quote (")');
  if (state === 'single') throw new ValueError('CONFIG_UNTERMINATED_QUOTE', "no closing single quote (')");
  if (state === 'unquoted') finish();
  return tokens;
}

/** Quotes a token so that `splitLine` gives it back unchanged (for printing effective configs). */
export function quoteToken(token: string): string {
  if (token !== '' && /^[^\s"'\\#;]+$/.test(token)) return token;
  return `"${token.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

interface PendingBlock {
  readonly name: string;
  readonly line: number;
  readonly lines: string[];
}

interface Marker {
  readonly index: number;
  readonly name: string;
  readonly line: number;
}

/**
 * Parses a whole config text into directives. Throws `ConfigErrors` listing every
 * syntax error (each with file:line) if there is any.
 */
export function parseConfigText(text: string, source: ConfigSource): ParsedConfig {
  const errors: ConfigError[] = [];
  const directives: RawDirective[] = [];
  const markers: Marker[] = [];
  const lines = (text.startsWith('\uFEFF') ? text.slice(1) : text).split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  let block: PendingBlock | undefined;
  const at = (line: number): SourceLocation => ({ file: source.file, line });

  const attachBlock = (done: PendingBlock) => {
    const content = done.lines.map((l) => `${l}\n`).join('');
    const markerIndex = markers.findIndex((m) => m.name === done.name);
    const marker = markers[markerIndex];
    if (marker) {
      markers.splice(markerIndex, 1);
      const d = directives[marker.index]!;
      directives[marker.index] = { ...d, inline: content };
    } else {
      directives.push({ name: done.name, args: [], location: at(done.line), inline: content });
    }
  };

  lines.forEach((rawLine, i) => {
    const lineNumber = i + 1;
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    if (block) {
      if (line.trimStart().startsWith(`</${block.name}>`)) {
        attachBlock(block);
        block = undefined;
      } else {
        block.lines.push(line);
      }
      return;
    }
    if (line.includes('\0')) {
      errors.push(new ConfigError('CONFIG_SYNTAX', 'the line contains a NUL byte', at(lineNumber)));
      return;
    }
    if (line.length > MAX_LINE_LENGTH) {
      errors.push(
        new ConfigError(
          'CONFIG_LINE_TOO_LONG',
          `the line is longer than ${MAX_LINE_LENGTH} characters`,
          at(lineNumber),
        ),
      );
      return;
    }
    let tokens: string[];
    try {
      tokens = splitLine(line);
    } catch (e) {
      if (!(e instanceof ValueError)) throw e;
      errors.push(new ConfigError(e.code, e.message, at(lineNumber)));
      return;
    }
    const [first, ...rest] = tokens;
    if (first === undefined) return;
    const tag = first.match(/^<(\/?)([^<>/]+)>$/);
    if (tag) {
      const [, closing, name = ''] = tag;
      if (closing) {
        errors.push(
          new ConfigError(
            'CONFIG_INLINE_UNMATCHED',
            `closing tag </${name}> without an opening <${name}>`,
            at(lineNumber),
          ),
        );
      } else if (rest.length > 0) {
        errors.push(
          new ConfigError(
            'CONFIG_SYNTAX',
            `an inline block's opening tag <${name}> must be alone on its line`,
            at(lineNumber),
          ),
        );
      } else {
        block = { name, line: lineNumber, lines: [] };
      }
      return;
    }
    const name = first.startsWith('--') ? first.slice(2) : first;
    if (rest[0]?.toLowerCase() === INLINE_MARKER) {
      markers.push({ index: directives.length, name, line: lineNumber });
      directives.push({ name, args: rest.slice(1), location: at(lineNumber) });
      return;
    }
    directives.push({ name, args: rest, location: at(lineNumber) });
  });

  if (block)
    errors.push(
      new ConfigError(
        'CONFIG_INLINE_UNTERMINATED',
        `inline block <${block.name}> has no closing </${block.name}>`,
        at(block.line),
      ),
    );
  for (const m of markers)
    errors.push(
      new ConfigError(
        'CONFIG_INLINE_MISSING',
        `says ${INLINE_MARKER} but no <${m.name}> block follows`,
        at(m.line),
        m.name,
      ),
    );
  if (errors.length > 0) throw new ConfigErrors(errors);
  return { source, directives };
}
