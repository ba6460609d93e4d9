import type { CommandIO } from '../../src/cli/io.js';

/** A CommandIO that captures output and serves scripted input, for running commands in-process. */
export interface MemoryIO extends CommandIO {
  readonly out: string[];
  readonly err: string[];
}

export function memoryIO(options: { stdin?: string; prompts?: string[] } = {}): MemoryIO {
  const prompts = [...(options.prompts ?? [])];
  const io: MemoryIO = {
    out: [],
    err: [],
    stdout: (line) => io.out.push(line),
    stderr: (line) => io.err.push(line),
    readStdin: async () => options.stdin ?? '',
    promptHidden: async () => prompts.shift(),
  };
  return io;
}
