import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CommandIO } from '../../src/cli/io.js';
import {
  nodeScrypt,
  type ScryptFunction,
  type ScryptLimits,
  type ScryptParams,
} from '../../src/passdb/scrypt-hash.js';

/** Cheap parameters (N = 16, r = 1) so tests hash in microseconds. */
export const FAST: ScryptParams = Object.freeze({ logN: 4, r: 1, p: 1 });
/** Limits that accept the cheap parameters. */
export const OPEN_LIMITS: ScryptLimits = Object.freeze({
  minMemoryBytes: 0,
  maxMemoryBytes: 2 ** 30,
  minWork: 0,
  maxWork: 2 ** 24,
});
export const fast = { params: FAST, limits: OPEN_LIMITS } as const;

/** A scrypt that records each call's parameters and then runs the real one. */
export function countingScrypt(): { scrypt: ScryptFunction; calls: ScryptParams[] } {
  const calls: ScryptParams[] = [];
  const scrypt: ScryptFunction = (password, salt, keyLength, params) => {
    calls.push(params);
    return nodeScrypt(password, salt, keyLength, params);
  };
  return { scrypt, calls };
}

export async function tempDir(prefix = 'pqvpn-passdb-'): Promise<string> {
  return fs.mkdtemp(join(tmpdir(), prefix));
}

export async function modeOf(path: string): Promise<number> {
  return (await fs.stat(path)).mode & 0o777;
}

/** A CommandIO whose stdin and hidden prompts are scripted and whose output is captured. */
export function fakeIO(input: { stdin?: string; prompts?: (string | undefined)[] } = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const prompts = [...(input.prompts ?? [])];
  const asked: string[] = [];
  const io: CommandIO = {
    stdout: (line) => out.push(line),
    stderr: (line) => err.push(line),
    readStdin: async () => input.stdin ?? '',
    promptHidden: async (prompt) => {
      asked.push(prompt);
      return prompts.shift();
    },
  };
  return { io, out, err, asked };
}
