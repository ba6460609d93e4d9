/** Small POSIX shell scripts for the auth-user-pass-verify tests, written into a temp dir. */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { ScriptCommand } from '../../src/config/model.js';

/**
 * Accepts alice / "correct horse". Records its arguments, the temp file's mode
 * and content (via-file) and its environment into $RECORD_DIR/<pid>.
 */
export const CHECK = `#!/bin/sh
rec="$(dirname "$0")/record.$$"
for last; do :; done
{
  echo "args=$*"
  echo "argc=$#"
  if [ -n "$last" ] && [ -f "$last" ]; then
    echo "mode=$(stat -c %a "$last")"
    user=$(sed -n 1p "$last"); pass=$(sed -n 2p "$last")
  else
    user="$username"; pass="$password"
  fi
  env | sort | sed 's/^/env:/'
} > "$rec"
[ "$user" = alice ] && [ "$pass" = "correct horse" ] && exit 0
exit 1
`;

/** Exits with $1. */
export const EXIT_WITH = `#!/bin/sh
exit "$1"
`;

/** Hangs (and starts a child that would hang too). */
export const HANG = `#!/bin/sh
sleep 30 &
echo $! > "$(dirname "$0")/hang-child.pid"
wait
`;

/** Complains on stderr, quoting the password it got from the environment. */
export const LEAKY = `#!/bin/sh
echo "bad password: $password (for $username)" >&2
exit 1
`;

/** Writes a lot of output and rejects. */
export const CHATTY = `#!/bin/sh
i=0
while [ $i -lt 20000 ]; do echo "line $i of output that goes on and on"; i=$((i+1)); done
echo "stderr too" >&2
exit 1
`;

/** Sleeps a little, then accepts (for the concurrency test). */
export const SLOW_OK = `#!/bin/sh
sleep 0.3
exit 0
`;

export async function writeScript(
  dir: string,
  name: string,
  text: string,
  args: string[] = [],
): Promise<ScriptCommand> {
  const path = join(dir, name);
  await fs.writeFile(path, text, { mode: 0o755 });
  return { line: [path, ...args].join(' '), argv: [path, ...args] };
}

/** The records CHECK left, parsed. */
export async function readRecords(
  dir: string,
): Promise<{ args: string; argc: number; mode?: string; env: Record<string, string> }[]> {
  const names = (await fs.readdir(dir)).filter((n) => n.startsWith('record.'));
  const out = [];
  for (const n of names) {
    const text = await fs.readFile(join(dir, n), 'utf8');
    await fs.rm(join(dir, n));
    const env: Record<string, string> = {};
    let args = '';
    let argc = 0;
    let mode: string | undefined;
    for (const line of text.split('\n')) {
      if (line.startsWith('env:')) {
        const [k, ...v] = line.slice(4).split('=');
        env[k!] = v.join('=');
      } else if (line.startsWith('args=')) args = line.slice(5);
      else if (line.startsWith('argc=')) argc = Number(line.slice(5));
      else if (line.startsWith('mode=')) mode = line.slice(5);
    }
    out.push({ args, argc, env, ...(mode ? { mode } : {}) });
  }
  return out;
}
