// The test loader of test/support/ts-loader.mjs with a disk cache: e2e tests start many pqvpn processes, and
// transpiling every source file in each of them (plus loading TypeScript itself) costs seconds per start on
// a loaded machine. Transpiled output is kept in node_modules/.cache/pqvpn-e2e-ts/<sha256 of path+source>.js,
// so a changed source is simply a miss; TypeScript is imported only on a miss. Test-only.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const CACHE = fileURLToPath(new URL('../../node_modules/.cache/pqvpn-e2e-ts/', import.meta.url));
mkdirSync(CACHE, { recursive: true });
let ts;

export async function resolve(specifier, context, nextResolve) {
  if (specifier.endsWith('.js') && (specifier.startsWith('.') || specifier.startsWith('file:'))) {
    const candidate = new URL(specifier.replace(/\.js$/, '.ts'), context.parentURL);
    if (!existsSync(new URL(specifier, context.parentURL)) && existsSync(candidate)) {
      return { url: candidate.href, shortCircuit: true, format: 'module' };
    }
  }
  return nextResolve(specifier, context);
}

export async function load(url, context, nextLoad) {
  if (url.startsWith('file:') && url.endsWith('.ts')) {
    const path = fileURLToPath(url);
    const source = await readFile(path, 'utf8');
    const key = createHash('sha256').update(path).update('\0').update(source).digest('hex');
    const cached = `${CACHE}${key}.js`;
    try {
      return { format: 'module', source: await readFile(cached, 'utf8'), shortCircuit: true };
    } catch {}
    ts ??= (await import('typescript')).default;
    const { outputText } = ts.transpileModule(source, {
      fileName: path,
      compilerOptions: {
        module: ts.ModuleKind.ESNext,
        target: ts.ScriptTarget.ES2022,
        verbatimModuleSyntax: true,
        sourceMap: false,
        inlineSourceMap: true,
      },
    });
    const temp = `${cached}.${process.pid}.tmp`;
    await writeFile(temp, outputText);
    await rename(temp, cached);
    return { format: 'module', source: outputText, shortCircuit: true };
  }
  return nextLoad(url, context);
}
