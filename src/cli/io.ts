/**
 * What a command may touch of the process: its output streams, standard input
 * and exit code. Commands take a `CommandIO` so tests run them in-process and read
 * what they printed, without spawning a child.
 * @module
 */

export interface CommandIO {
  stdout(line: string): void;
  stderr(line: string): void;
  /** Reads all of standard input (for `--stdin` style options). */
  readStdin(): Promise<string>;
  /** Reads one line without echo from the terminal, or undefined when stdin is not a terminal. */
  promptHidden(prompt: string): Promise<string | undefined>;
  /** A command that succeeds but wants a non-zero code (e.g. `passwd check` on a mismatch) sets it here. */
  exitCode?: number;
}

export function processIO(): CommandIO {
  return {
    stdout: (line) => process.stdout.write(`${line}\n`),
    stderr: (line) => process.stderr.write(`${line}\n`),
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
    promptHidden: (prompt) => promptWithoutEcho(prompt),
  };
}

async function promptWithoutEcho(prompt: string): Promise<string | undefined> {
  const stdin = process.stdin;
  if (!stdin.isTTY) return undefined;
  process.stderr.write(prompt);
  stdin.setRawMode(true);
  stdin.resume();
  stdin.setEncoding('utf8');
  try {
    return await new Promise<string>((resolve, reject) => {
      let value = '';
      const onData = (chunk: string) => {
        for (const ch of chunk) {
          if (ch === '\r' || ch === '\n') {
            stdin.off('data', onData);
            process.stderr.write('\n');
            resolve(value);
            return;
          }
          if (ch === '\u0003') {
            stdin.off('data', onData);
            reject(new Error('interrupted'));
            return;
          }
          if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
          else value += ch;
        }
      };
      stdin.on('data', onData);
    });
  } finally {
    stdin.setRawMode(false);
    stdin.pause();
  }
}
