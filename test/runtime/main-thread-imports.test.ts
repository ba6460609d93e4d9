/**
 * The worker pool's main thread cannot do public-key work because it never
 * loads the code: the modules reachable from handshake-pool.ts by runtime
 * imports (type-only imports are erased; with verbatimModuleSyntax an
 * `import { type X }` still loads its module, so it counts) include no
 * KEM, signature, PKI or session module. The counting test in
 * pool.test.ts checks the behaviour; this one checks the structure, so a
 * careless import fails here even before any handshake runs.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

/** Runtime import specifiers of one TypeScript file. */
function runtimeImports(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const out: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && !node.importClause?.isTypeOnly) {
      out.push((node.moduleSpecifier as ts.StringLiteral).text);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && !node.isTypeOnly) {
      out.push((node.moduleSpecifier as ts.StringLiteral).text);
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteral(node.arguments[0])
    ) {
      out.push(node.arguments[0].text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

/** Every module reachable from `entry`: repository files by path, packages by name. */
function closure(entry: string): Set<string> {
  const seen = new Set<string>();
  const todo = [entry];
  for (let file = todo.pop(); file; file = todo.pop()) {
    if (seen.has(file)) continue;
    seen.add(file);
    if (!file.endsWith('.ts')) continue;
    for (const spec of runtimeImports(file)) {
      if (spec.startsWith('.')) todo.push(resolve(dirname(file), spec).replace(/\.js$/, '.ts'));
      else seen.add(spec);
    }
  }
  return seen;
}

const FORBIDDEN = [
  /@noble\/post-quantum/,
  /src\/pki\//,
  /crypto\/signature-schemes\.ts$/,
  /handshake\/kem-suites\.ts$/,
  /handshake\/(server|client|session-core|rekey)\.ts$/,
  /runtime\/session-dependencies\.ts$/,
  /runtime\/in-process\.ts$/,
];

describe('the handshake pool main thread', () => {
  const graph = closure(`${SRC}runtime/handshake-pool.ts`);

  it('loads the gate (its only protocol work) …', () => {
    expect([...graph].some((m) => m.endsWith('protocol/control/gate.ts'))).toBe(true);
  });

  it('… and no public-key or session module', () => {
    const bad = [...graph].filter((m) => FORBIDDEN.some((re) => re.test(m)));
    expect(bad).toEqual([]);
  });

  it('the checker itself sees the public-key modules where they are (the worker entry)', () => {
    const worker = [...closure(`${SRC}runtime/handshake-worker.ts`)];
    expect(worker.some((m) => /@noble\/post-quantum/.test(m))).toBe(true);
    expect(worker.some((m) => /src\/pki\//.test(m))).toBe(true);
  });
});
