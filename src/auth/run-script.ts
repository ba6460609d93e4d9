/**
 * Running an administrator's script safely: no shell, a fixed environment, a
 * deadline, bounded output.
 *
 * - No shell: the command is already split into words (src/config splits a
 *   script line the way OpenVPN does: quotes and backslashes, `argv[0]`
 *   resolved to an absolute path) and is executed directly, so nothing a
 *   client sends is ever interpreted by a shell.
 * - Environment: exactly `env` — the server's own environment (which may hold
 *   secrets) is not inherited. `PATH` is set to a fixed system path unless
 *   `env` has one, so `#!/usr/bin/env sh` scripts work.
 * - Deadline: the script runs in its own process group; at `timeoutMs` the
 *   whole group gets SIGKILL (a `sleep` the script started dies with it) and
 *   the result is `timeout`. The promise settles when the script exits, even
 *   if a left-over grandchild still holds its output pipes.
 * - Output: at most `maxOutputBytes` of each of stdout and stderr are kept;
 *   the rest is read and dropped, so a chatty script neither blocks nor
 *   exhausts memory.
 * @module
 */

import { spawn } from 'node:child_process';

export const SAFE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
export const DEFAULT_MAX_OUTPUT_BYTES = 4096;

export interface ScriptRun {
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly maxOutputBytes?: number;
  readonly cwd?: string;
}

export type ScriptResult =
  | {
      readonly kind: 'exit';
      readonly code: number;
      readonly stdout: string;
      readonly stderr: string;
    }
  | { readonly kind: 'signal'; readonly signal: string; readonly stderr: string }
  | { readonly kind: 'timeout'; readonly stderr: string }
  | { readonly kind: 'spawn-error'; readonly message: string };

/** Runs `argv` and reports how it ended. Never rejects. */
export function runScript(run: ScriptRun): Promise<ScriptResult> {
  const [file, ...args] = run.argv;
  if (file === undefined) return Promise.resolve({ kind: 'spawn-error', message: 'empty command' });
  const limit = run.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  return new Promise((resolve) => {
    let settled = false;
    let timedOut = false;
    const out = new Bounded(limit);
    const err = new Bounded(limit);
    const child = spawn(file, args, {
      shell: false,
      detached: true,
      env: { PATH: SAFE_PATH, ...run.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(run.cwd ? { cwd: run.cwd } : {}),
    });
    const killGroup = () => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, run.timeoutMs);
    const finish = (result: ScriptResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.stdout?.destroy();
      child.stderr?.destroy();
      resolve(result);
    };
    child.stdout?.on('data', (chunk: Buffer) => out.add(chunk));
    child.stderr?.on('data', (chunk: Buffer) => err.add(chunk));
    child.on('error', (error: NodeJS.ErrnoException) => {
      finish({ kind: 'spawn-error', message: error.code ?? error.message });
    });
    child.on('exit', (code, signal) => {
      if (timedOut) killGroup(); // anything the script left behind
      // Let buffered output arrive, but do not wait for pipes a grandchild may hold.
      const done = () =>
        finish(
          timedOut
            ? { kind: 'timeout', stderr: err.text() }
            : code !== null
              ? { kind: 'exit', code, stdout: out.text(), stderr: err.text() }
              : { kind: 'signal', signal: signal ?? 'unknown', stderr: err.text() },
        );
      const grace = setTimeout(done, 50);
      child.once('close', () => {
        clearTimeout(grace);
        done();
      });
    });
  });
}

class Bounded {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private readonly limit: number;
  constructor(limit: number) {
    this.limit = limit;
  }
  add(chunk: Buffer): void {
    if (this.size >= this.limit) return;
    const part = chunk.subarray(0, this.limit - this.size);
    this.chunks.push(Buffer.from(part));
    this.size += part.length;
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}
