/**
 * `ifconfig-pool-persist FILE`: reads the reservations at start and writes
 * them back atomically (src/util/atomic-file.ts) whenever they change, so a
 * crash at any moment leaves either the old file or the new one.
 *
 * Writes are serialised and coalesced: while one write is in flight, any
 * number of further changes produce exactly one more write with the latest
 * content. `flush()` waits for the last one (at shutdown).
 * @module
 */

import { promises as fs } from 'node:fs';
import { writeFileAtomic } from '../util/atomic-file.js';

/** The file's text, or '' when it does not exist yet. */
export async function readPoolFile(path: string): Promise<string> {
  try {
    return await fs.readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw error;
  }
}

export class PoolFileWriter {
  readonly path: string;
  readonly #onError: (error: unknown) => void;
  #pending: string | undefined;
  #running: Promise<void> | undefined;

  constructor(path: string, onError: (error: unknown) => void) {
    this.path = path;
    this.#onError = onError;
  }

  /** Schedules writing `content` (the latest call wins). */
  write(content: string): void {
    this.#pending = content;
    if (!this.#running) this.#running = this.#drain();
  }

  /** Resolves when everything scheduled so far is on disk (or failed and was reported). */
  async flush(): Promise<void> {
    while (this.#running) await this.#running;
  }

  async #drain(): Promise<void> {
    try {
      while (this.#pending !== undefined) {
        const content = this.#pending;
        this.#pending = undefined;
        try {
          await writeFileAtomic(this.path, content, { mode: 0o600, overwrite: true });
        } catch (error) {
          this.#onError(error);
        }
      }
    } finally {
      this.#running = undefined;
    }
  }
}
