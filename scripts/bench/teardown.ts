/**
 * Cleanup that happens however the script ends: normal return, thrown error,
 * Ctrl-C (SIGINT), SIGTERM or SIGHUP.
 *
 * Actions are synchronous on purpose: an `exit` handler cannot await, and a
 * signal handler should not depend on an event loop that may be wedged. They
 * run once, last registered first (the client is stopped before the
 * namespace it lives in is deleted). The normal path stops daemons gracefully
 * first (so a profiled process can write its profile); the actions here are
 * the backstop that SIGKILLs whatever is left.
 * @module
 */

import { killAllDaemonsNow } from './proc.js';

export class Teardown {
  #actions: (() => void)[] = [];
  #done = false;
  #installed = false;

  /** Registers an action; it runs at most once, in reverse order of registration. */
  add(action: () => void): void {
    this.#actions.push(action);
  }

  /** Kills remaining daemons, then runs every action (errors are swallowed so each one gets its turn). */
  runNow(): void {
    if (this.#done) return;
    this.#done = true;
    killAllDaemonsNow();
    for (const action of this.#actions.reverse()) {
      try {
        action();
      } catch {
        // Best effort: the next action still runs.
      }
    }
  }

  /**
   * On SIGINT/SIGTERM/SIGHUP: say so, clean up, and exit 128+signal. On
   * process exit (any cause): clean up. Idempotent.
   */
  install(say: (text: string) => void): void {
    if (this.#installed) return;
    this.#installed = true;
    const codes = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;
    for (const signal of Object.keys(codes) as (keyof typeof codes)[]) {
      process.on(signal, () => {
        say(`\n${signal}: stopping and cleaning up…`);
        this.runNow();
        process.exit(codes[signal]);
      });
    }
    process.on('exit', () => this.runNow());
  }
}
