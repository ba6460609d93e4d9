/**
 * Network namespaces for root-only tests: throwaway "machines" joined by veth
 * pairs, with commands run inside them through `ip netns exec`.
 *
 * Use one lab per test file, created at the top of a `describeRoot` suite:
 *
 * ```ts
 * describeRoot('tunnel over veth', () => {
 *   const lab = useNetnsLab();              // cleans up in afterAll
 *   it('pings', async () => {
 *     const a = await lab.namespace();
 *     const b = await lab.namespace();
 *     await lab.veth(a, b, { a: '10.99.0.1/24', b: '10.99.0.2/24' });
 *     await lab.exec(a, ['ping', '-c1', '-W1', '10.99.0.2']);
 *   });
 * });
 * ```
 *
 * Ownership: a lab deletes exactly what it created, by name — its namespaces
 * (which takes their veth ends with them) and the processes it spawned (by
 * pid), plus any other process still inside one of its namespaces (those can
 * only have been started by this test). It never touches other namespaces.
 * Names are `pqt-<pid>-<thread>-<n>` so parallel test files (processes or
 * worker threads) never collide, and a leftover from a crashed run says which
 * pid made it. Cleanup runs in `afterAll` (also when tests fail) and, as a last
 * resort, synchronously at process exit.
 * @module
 */
import { type ChildProcess, execFile, execFileSync, type SpawnOptions, spawn } from 'node:child_process';
import { threadId } from 'node:worker_threads';
import { afterAll } from 'vitest';

/** A namespace created by a lab. */
export interface Netns {
  readonly name: string;
}

export interface ExecResult {
  readonly stdout: string;
  readonly stderr: string;
}

export interface ExecOptions {
  /** Milliseconds before the command is killed and the promise rejects. Default 20 000. */
  readonly timeoutMs?: number;
  /** Text written to the command's stdin. */
  readonly input?: string;
}

/** The two ends of a veth pair, each inside its namespace. */
export interface VethPair {
  /** Interface name inside namespace `a`. */
  readonly a: string;
  /** Interface name inside namespace `b`. */
  readonly b: string;
}

export interface VethOptions {
  /** Addresses (CIDR, IPv4 or IPv6) for the end in namespace `a`; one string or several. */
  readonly a?: string | readonly string[];
  /** Addresses for the end in namespace `b`. */
  readonly b?: string | readonly string[];
  /** Link MTU for both ends. Default: the kernel's (1500). */
  readonly mtu?: number;
}

/** Thrown when a command run by the lab exits non-zero; carries its output. */
export class NetnsCommandError extends Error {
  readonly code = 'NETNS_COMMAND_FAILED';
  readonly argv: readonly string[];
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number | null;
  constructor(
    argv: readonly string[],
    exitCode: number | null,
    stdout: string,
    stderr: string,
    cause: unknown,
  ) {
    super(`command failed (exit ${exitCode ?? 'signal'}): ${argv.join(' ')}\n${stderr.trim()}`, { cause });
    this.argv = argv;
    this.exitCode = exitCode;
    this.stdout = stdout;
    this.stderr = stderr;
  }
}

let counter = 0;

/** A fresh namespace name for this process and thread; never reused within a run. */
export function uniqueNetnsName(): string {
  counter += 1;
  return `pqt-${process.pid}-${threadId}-${counter}`;
}

/** Runs a command on the host (not in a namespace). Rejects with `NetnsCommandError` on non-zero exit. */
export function run(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
  const [file, ...args] = argv;
  if (file === undefined) return Promise.reject(new TypeError('run: empty argv'));
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      { timeout: options.timeoutMs ?? 20_000, maxBuffer: 16 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (error) {
          const exitCode = typeof error.code === 'number' ? error.code : null;
          reject(new NetnsCommandError(argv, exitCode, stdout, stderr, error));
        } else {
          resolve({ stdout, stderr });
        }
      },
    );
    // The command may exit without reading its stdin; that EPIPE is not our failure.
    child.stdin?.on('error', () => {});
    child.stdin?.end(options.input ?? '');
  });
}

function listAddresses(spec: string | readonly string[] | undefined): readonly string[] {
  if (spec === undefined) return [];
  return typeof spec === 'string' ? [spec] : spec;
}

/** `ip addr add` arguments for one CIDR address; IPv6 gets `nodad` so it is usable at once. */
function addrArgs(cidr: string, dev: string): string[] {
  return cidr.includes(':') ? ['addr', 'add', cidr, 'dev', dev, 'nodad'] : ['addr', 'add', cidr, 'dev', dev];
}

/**
 * A set of namespaces, veth pairs and processes owned by one test file.
 * Create with `useNetnsLab()` (registers cleanup in `afterAll`) or `new NetnsLab()` (call `cleanup()`).
 */
export class NetnsLab {
  readonly #namespaces: string[] = [];
  readonly #children = new Set<ChildProcess>();
  #vethCount = 0;
  #exitHook: (() => void) | undefined;

  /** Names of the namespaces this lab created and has not deleted yet. */
  get namespaces(): readonly string[] {
    return [...this.#namespaces];
  }

  /** Creates a namespace with its loopback up. */
  async namespace(): Promise<Netns> {
    const name = uniqueNetnsName();
    await run(['ip', 'netns', 'add', name]);
    // Registered only after `add` succeeded: we never delete a namespace someone else made.
    this.#namespaces.push(name);
    this.#installExitHook();
    await run(['ip', '-n', name, 'link', 'set', 'dev', 'lo', 'up']);
    return { name };
  }

  /**
   * Joins two of this lab's namespaces with a veth pair, sets the given addresses and brings both
   * ends up. The ends are created directly inside their namespaces, so their names (`vp<n>a`,
   * `vp<n>b`) only need to be unique per lab; deleting either namespace removes the pair.
   */
  async veth(a: Netns, b: Netns, options: VethOptions = {}): Promise<VethPair> {
    this.#assertOwned(a);
    this.#assertOwned(b);
    this.#vethCount += 1;
    const pair: VethPair = { a: `vp${this.#vethCount}a`, b: `vp${this.#vethCount}b` };
    // biome-ignore format: the ip command reads best on one line
    await run(['ip', 'link', 'add', pair.a, 'netns', a.name, 'type', 'veth', 'peer', 'name', pair.b, 'netns', b.name]);
    for (const [ns, dev, spec] of [
      [a, pair.a, options.a],
      [b, pair.b, options.b],
    ] as const) {
      for (const cidr of listAddresses(spec)) await run(['ip', '-n', ns.name, ...addrArgs(cidr, dev)]);
      const mtu = options.mtu === undefined ? [] : ['mtu', String(options.mtu)];
      await run(['ip', '-n', ns.name, 'link', 'set', 'dev', dev, ...mtu, 'up']);
    }
    return pair;
  }

  /** Runs `argv` inside `ns` and resolves with its output; rejects with `NetnsCommandError` on failure. */
  async exec(ns: Netns, argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    this.#assertOwned(ns);
    return run(['ip', 'netns', 'exec', ns.name, ...argv], options);
  }

  /**
   * Starts `argv` inside `ns` (`ip netns exec` execs the command, so the child's pid is the command's).
   * The lab kills it at cleanup if it is still running.
   */
  spawn(ns: Netns, argv: readonly string[], options: SpawnOptions = {}): ChildProcess {
    this.#assertOwned(ns);
    const child = spawn('ip', ['netns', 'exec', ns.name, ...argv], { stdio: 'pipe', ...options });
    this.#children.add(child);
    child.once('exit', () => this.#children.delete(child));
    // A spawn failure must not become an unhandled 'error' event that kills the test worker.
    child.once('error', () => this.#children.delete(child));
    return child;
  }

  /**
   * Kills this lab's processes (TERM, then KILL after `graceMs`), then deletes its namespaces.
   * Safe to call more than once; collects every failure and throws them together at the end.
   */
  async cleanup(graceMs = 2_000): Promise<void> {
    const failures: unknown[] = [];
    const children = [...this.#children];
    const exited = children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) resolve();
          else child.once('exit', () => resolve());
        }),
    );
    for (const child of children) killQuietly(child.pid, 'SIGTERM');
    const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), graceMs).unref());
    if ((await Promise.race([Promise.all(exited), timer])) === 'timeout') {
      for (const child of children) killQuietly(child.pid, 'SIGKILL');
      await Promise.race([Promise.all(exited), new Promise((r) => setTimeout(r, 1_000).unref())]);
    }
    this.#children.clear();

    for (const name of [...this.#namespaces]) {
      try {
        // Anything still inside our namespace was started by this test (a grandchild, a daemon).
        const { stdout } = await run(['ip', 'netns', 'pids', name]);
        for (const pid of stdout.split(/\s+/).filter(Boolean)) killQuietly(Number(pid), 'SIGKILL');
        await run(['ip', 'netns', 'del', name]);
        this.#namespaces.splice(this.#namespaces.indexOf(name), 1);
      } catch (error) {
        failures.push(error);
      }
    }
    if (this.#namespaces.length === 0) this.#removeExitHook();
    if (failures.length > 0) throw new AggregateError(failures, 'netns cleanup failed');
  }

  #assertOwned(ns: Netns): void {
    if (!this.#namespaces.includes(ns.name)) {
      throw new Error(`namespace ${ns.name} does not belong to this lab (or was already deleted)`);
    }
  }

  /** Last resort when the worker exits without afterAll (e.g. an uncaught error): synchronous and quiet. */
  #installExitHook(): void {
    if (this.#exitHook) return;
    this.#exitHook = () => {
      for (const child of this.#children) killQuietly(child.pid, 'SIGKILL');
      for (const name of this.#namespaces) {
        try {
          execFileSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
        } catch {
          // best effort at exit
        }
      }
    };
    process.once('exit', this.#exitHook);
  }

  #removeExitHook(): void {
    if (this.#exitHook) process.removeListener('exit', this.#exitHook);
    this.#exitHook = undefined;
  }
}

function killQuietly(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined || !Number.isInteger(pid) || pid <= 1) return;
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** A lab whose cleanup runs in `afterAll` of the enclosing suite (or file). */
export function useNetnsLab(): NetnsLab {
  const lab = new NetnsLab();
  afterAll(() => lab.cleanup());
  return lab;
}
