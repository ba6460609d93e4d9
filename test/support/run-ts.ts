/**
 * Helpers for tests that need a real separate process or worker thread running our TypeScript sources
 * (cross-process file locking, CLI exit codes, worker pools): they start Node with the test-only loader in
 * `register-ts.mjs`, so no build step is needed.
 * @module
 */
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const REGISTER_TS = fileURLToPath(new URL('./register-ts.mjs', import.meta.url));

/** Node arguments that make a child process or Worker understand our .ts files. */
export const tsExecArgv: readonly string[] = ['--import', REGISTER_TS];

/** Runs `pqvpn ARGS…` from the TypeScript sources in a child process and returns its result. */
export function runCli(
  args: readonly string[],
  options: { input?: string; cwd?: string } = {},
): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [...tsExecArgv, `${REPO_ROOT}test/support/cli-entry.ts`, ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    input: options.input ?? '',
    encoding: 'utf8',
    timeout: 60_000,
  });
}
