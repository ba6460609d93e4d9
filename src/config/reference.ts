/**
 * The directive reference in docs/CONFIG.md, generated from the table so the
 * two cannot drift apart: a test compares the marked block in the document with
 * `directiveReference()` (run it with UPDATE_DOCS=1 to rewrite the block).
 * @module
 */

import type { DirectiveSpec } from './directive.js';
import { DIRECTIVES } from './table.js';

export const REFERENCE_BEGIN =
  '<!-- directive-reference:begin (generated from src/config/directives; do not edit) -->';
export const REFERENCE_END = '<!-- directive-reference:end -->';

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

function where(spec: DirectiveSpec): string {
  if (spec.contexts.length === 0) return 'pushed only';
  const modes = spec.contexts.filter((c) => c !== 'ccd');
  const parts = [modes.length === 2 ? 'both' : modes.join(', ')].filter((p) => p !== '');
  if (spec.contexts.includes('ccd')) parts.push('ccd');
  return parts.join(', ');
}

function byName(a: DirectiveSpec, b: DirectiveSpec): number {
  return a.name.localeCompare(b.name);
}

/** The generated Markdown, between the begin and end markers. */
export function directiveReference(): string {
  const all = [...DIRECTIVES.values()];
  const supported = all.filter((s) => s.status === 'supported').sort(byName);
  const warned = all.filter((s) => s.status === 'warned').sort(byName);
  const rejected = all.filter((s) => s.status === 'rejected').sort(byName);
  const lines = [
    REFERENCE_BEGIN,
    '',
    `### Supported (${supported.length})`,
    '',
    '"Where": server or client config (both), `ccd` = client-config-dir file, "pushed only" = valid only in a',
    'server\'s `push`. "Push": a server may push it to clients. "Many": may be given more than once.',
    '',
    '| Directive | Arguments | Where | Many | Push | Default | What it does |',
    '|---|---|---|---|---|---|---|',
    ...supported.map(
      (s) =>
        `| \`${s.name}\` | ${s.synopsis ? `\`${cell(s.synopsis)}\`` : ''} | ${where(s)} | ${s.repeatable ? 'yes' : ''} | ${s.pushable ? 'yes' : ''} | ${s.default === undefined ? '' : `\`${cell(s.default)}\``} | ${cell(s.summary)}${s.inline ? ' Inline block allowed.' : ''} |`,
    ),
    '',
    `### Warned: accepted with a WARNING and ignored (${warned.length})`,
    '',
    '| Directive | Why pqvpn ignores it |',
    '|---|---|',
    ...warned.map((s) => `| \`${s.name}\` | ${cell(s.summary)} |`),
    '',
    `### Rejected: an ERROR (${rejected.length})`,
    '',
    '| Directive | Why pqvpn refuses it |',
    '|---|---|',
    ...rejected.map((s) => `| \`${s.name}\` | ${cell(s.summary)} |`),
    '',
    REFERENCE_END,
  ];
  return lines.join('\n');
}
