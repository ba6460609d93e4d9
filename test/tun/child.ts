/**
 * Drives test/tun/fixtures/tun-child.ts (a process owning a real TUN device
 * inside a namespace) from a test: send a command, wait for an event.
 * @module
 */
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Netns, NetnsLab } from '../support/netns.js';
import { REPO_ROOT, tsExecArgv } from '../support/run-ts.js';

export type ChildEvent = { readonly ev: string } & Record<string, unknown>;

const CHILD = `${REPO_ROOT}test/tun/fixtures/tun-child.ts`;

export class TunChild {
  readonly process: ChildProcess;
  readonly #events: ChildEvent[] = [];
  readonly #waiters = new Set<() => void>();
  #stderr = '';
  #exited = false;

  constructor(lab: NetnsLab, ns: Netns, args: readonly string[], prefix: readonly string[] = []) {
    this.process = lab.spawn(ns, [...prefix, process.execPath, ...tsExecArgv, CHILD, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out = this.process.stdout;
    if (out) {
      createInterface({ input: out }).on('line', (line) => {
        this.#events.push(JSON.parse(line) as ChildEvent);
        this.#wake();
      });
    }
    this.process.stderr?.on('data', (chunk: Buffer) => {
      this.#stderr += chunk.toString();
    });
    this.process.on('exit', () => {
      this.#exited = true;
      this.#wake();
    });
  }

  send(command: Record<string, unknown>): void {
    this.process.stdin?.write(`${JSON.stringify(command)}\n`);
  }

  /** Waits for (and consumes) the first event matching `match`; fails with the child's stderr on timeout or exit. */
  async next(match: (e: ChildEvent) => boolean, timeoutMs = 10_000): Promise<ChildEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.#events.findIndex(match);
      if (index >= 0) return this.#events.splice(index, 1)[0]!;
      const left = deadline - Date.now();
      if (left <= 0 || this.#exited) {
        const seen = this.#events.map((e) => e.ev).join(', ');
        throw new Error(
          `tun child: no matching event (exited: ${this.#exited}; seen: ${seen})\n${this.#stderr}`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, left);
        function done(): void {
          clearTimeout(timer);
          resolve();
        }
        this.#waiters.add(done);
      });
    }
  }

  event(ev: string, timeoutMs?: number): Promise<ChildEvent> {
    return this.next((e) => e.ev === ev || e.ev === 'error', timeoutMs).then((e) => {
      if (e.ev === 'error' && ev !== 'error') throw new Error(`tun child error: ${JSON.stringify(e)}`);
      return e;
    });
  }

  /** Resolves with the exit code once the child has exited by itself. */
  exited(timeoutMs = 10_000): Promise<number | null> {
    return new Promise((resolve, reject) => {
      if (this.#exited) return resolve(this.process.exitCode);
      const timer = setTimeout(() => reject(new Error(`tun child did not exit\n${this.#stderr}`)), timeoutMs);
      this.process.once('exit', (code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });
  }

  get stderr(): string {
    return this.#stderr;
  }

  #wake(): void {
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const w of waiters) w();
  }
}
