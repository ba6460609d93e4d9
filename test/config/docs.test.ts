/**
 * docs/CONFIG.md carries a reference of every directive generated from the table.
 * This test fails when they differ; `UPDATE_DOCS=1 npx vitest run test/config/docs.test.ts`
 * rewrites the block.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { directiveReference, REFERENCE_BEGIN, REFERENCE_END } from '../../src/config/reference.js';
import { DIRECTIVES } from '../../src/config/table.js';

const DOC = fileURLToPath(new URL('../../docs/CONFIG.md', import.meta.url));

describe('docs/CONFIG.md', () => {
  it('lists every directive with its status and reason, as generated from the table', () => {
    const generated = directiveReference();
    const block = (text: string) => {
      const start = text.indexOf(REFERENCE_BEGIN);
      const end = text.indexOf(REFERENCE_END);
      expect(start, 'the begin marker').toBeGreaterThanOrEqual(0);
      expect(end, 'the end marker').toBeGreaterThan(start);
      return { start, end: end + REFERENCE_END.length };
    };
    let text = readFileSync(DOC, 'utf8');
    if (process.env.UPDATE_DOCS) {
      const { start, end } = block(text);
      text = text.slice(0, start) + generated + text.slice(end);
      writeFileSync(DOC, text);
    }
    const { start, end } = block(text);
    expect(text.slice(start, end)).toBe(generated);
    for (const spec of DIRECTIVES.values()) expect(generated).toContain(`| \`${spec.name}\` |`);
  });

  it('gives every warned or rejected directive a reason', () => {
    for (const spec of DIRECTIVES.values()) {
      expect(spec.summary.length, spec.name).toBeGreaterThan(10);
      if (spec.status !== 'supported') expect(spec.apply, spec.name).toBeUndefined();
      else expect(spec.apply, spec.name).toBeTypeOf('function');
    }
  });
});
