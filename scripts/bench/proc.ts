/**
 * Running the external programs of the rig: short commands that must finish
 * within a time limit, and daemons (tunnel servers and clients, iperf3 server,
 * the ping prober) that run until we stop them.
 *
 * Every child is started in its own process group (`detached`), so a stop
 * signal reaches everything it started (a shell loop's `ping`, a tunnel's
 * `ip` helper), and a Ctrl-C on the terminal reaches only us: our handler
 * then stops the children in order. `ip netns exec NS CMD` execs CMD in
 * place, so a daemon's pid is the program's own pid (its /proc entries are the
 * daemon's CPU time and memory).
 * @module
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { BenchError } from './errors.js';

/** Every child (command or daemon) started and not yet known to be gone: the emergency cleanup kills these. */
const live = new Set<ChildProcess>();

export interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  /** Kill the command (its whole group) after this long. */
  readonly timeoutMs: number;
  /** Written to stdin, which is then closed. */
  readonly input?: string;
  /** Resolve with a failing result instead of throwing. */
  readonly allowFailure?: boolean;
  readonly env?: NodeJS.ProcessEnv;
}

/** Runs a command to completion. Throws a BenchError (code CMD_FAILED / CMD_TIMEOUT) unless allowFailure. */
export function run(argv: readonly string[], options: RunOptions): Promise<RunResult> {
  const [cmd, ...args] = argv;
  if (!cmd) throw new BenchError('CMD_EMPTY', 'empty command');
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
      env: options.env ?? process.env,
    });
    live.add(child);
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid, 'SIGKILL');
    }, options.timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      live.delete(child);
      reject(new BenchError('CMD_FAILED', `${cmd}: ${e.message}`, { cause: e }));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      live.delete(child);
      const result = { code, signal, stdout, stderr };
      if (options.allowFailure) return resolve(result);
      if (timedOut)
        return reject(
          new BenchError('CMD_TIMEOUT', `${describe(argv)} did not finish in ${options.timeoutMs} ms`),
        );
      if (code !== 0) {
        const why = (stderr.trim() || stdout.trim()).split('\n').slice(-3).join(' | ');
        return reject(
          new BenchError(
            'CMD_FAILED',
            `${describe(argv)} failed (${code ?? signal})${why ? `: ${why}` : ''}`,
          ),
        );
      }
      resolve(result);
    });
  });
}

/** A long-running child whose output goes to a log file (and to `onLine`, line by line). */
export interface Daemon {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** Resolves with the exit code (or null when a signal ended it) once the process is gone. */
  readonly exited: Promise<number | null>;
  /** True once the process has exited. */
  readonly done: () => boolean;
  /** SIGTERM to the group, then SIGKILL after `graceMs`; resolves when it is gone. */
  stop(graceMs?: number): Promise<void>;
}

export interface DaemonOptions {
  readonly name: string;
  readonly logFile: string;
  /** Called for every line of stdout and stderr. */
  readonly onLine?: (line: string) => void;
  readonly env?: NodeJS.ProcessEnv;
}

export function startDaemon(argv: readonly string[], options: DaemonOptions): Daemon {
  const [cmd, ...args] = argv;
  if (!cmd) throw new BenchError('CMD_EMPTY', 'empty command');
  const log: WriteStream = createWriteStream(options.logFile, { flags: 'a' });
  const child = spawn(cmd, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
    env: options.env ?? process.env,
  });
  if (child.pid === undefined) throw new BenchError('CMD_FAILED', `could not start ${describe(argv)}`);
  const pid = child.pid;
  live.add(child);
  let finished = false;
  for (const stream of [child.stdout, child.stderr]) {
    let partial = '';
    stream.setEncoding('utf8').on('data', (d: string) => {
      log.write(d);
      if (!options.onLine) return;
      const lines = (partial + d).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) options.onLine(line);
    });
  }
  const exited = new Promise<number | null>((resolve) => {
    child.on('error', () => {
      finished = true;
      live.delete(child);
      resolve(null);
    });
    child.on('close', (code) => {
      finished = true;
      live.delete(child);
      log.end();
      resolve(code);
    });
  });
  return {
    name: options.name,
    pid,
    logFile: options.logFile,
    exited,
    done: () => finished,
    async stop(graceMs = 3000) {
      if (finished) return;
      killGroup(pid, 'SIGTERM');
      const timer = setTimeout(() => killGroup(pid, 'SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
      // Anything the daemon left in its group (a helper it spawned) goes too.
      killGroup(pid, 'SIGKILL');
    },
  };
}

/** Synchronous last resort (exit handler): SIGKILL every child still running, with its group. */
export function killAllDaemonsNow(): void {
  for (const child of live) killGroup(child.pid, 'SIGKILL');
  live.clear();
}

/** Signals a whole process group; ignores groups that are already gone. */
export function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: already gone.
  }
}

/** Resolves once `condition` returns true; throws BenchError(code) after `timeoutMs`. */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  options: { timeoutMs: number; intervalMs?: number; code: string; what: string },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() >= deadline)
      throw new BenchError(options.code, `${options.what} did not happen within ${options.timeoutMs} ms`);
    await sleep(options.intervalMs ?? 20);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function describe(argv: readonly string[]): string {
  const text = argv.join(' ');
  return text.length > 120 ? `${text.slice(0, 120)}…` : text;
}
