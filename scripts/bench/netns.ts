/**
 * The namespace rig: two network namespaces joined by a veth pair, one for the
 * tunnel server and one for the client, so all benchmark and demo traffic stays
 * inside namespaces this process created (the host's own interfaces never see it).
 *
 *     [ PREFIX<pid>-s ]  veth PREFIX<pid>s 10.98.0.1/24 ── veth PREFIX<pid>c 10.98.0.2/24  [ PREFIX<pid>-c ]
 *
 * Names carry a prefix per tool (`pqb-` bench, `pqd-` demo) and the creating
 * process's pid, so a later run can tell its own leftovers from a crashed run
 * (pid gone) apart from a run still going on (pid alive), and sweep only the
 * former. Interface names stay within the kernel's 15 characters.
 * @module
 */

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { BenchError } from './errors.js';
import { run } from './proc.js';

export interface NetnsPair {
  readonly server: string;
  readonly client: string;
  readonly serverVeth: string;
  readonly clientVeth: string;
  /** Underlay addresses (on the veth ends), without prefix length. */
  readonly serverAddress: string;
  readonly clientAddress: string;
}

export const UNDERLAY = { server: '10.98.0.1', client: '10.98.0.2', prefixLength: 24 } as const;

/** The names a process with this pid uses. Prefix: a few lowercase letters and a dash. */
export function pairNames(prefix: string, pid: number): NetnsPair {
  if (!/^[a-z]{1,5}-$/.test(prefix))
    throw new BenchError('NETNS_BAD_PREFIX', `bad namespace prefix '${prefix}'`);
  if (!Number.isInteger(pid) || pid <= 0 || pid > 9_999_999)
    throw new BenchError('NETNS_BAD_PID', `bad pid ${pid}`);
  return {
    server: `${prefix}${pid}-s`,
    client: `${prefix}${pid}-c`,
    serverVeth: `${prefix}${pid}s`,
    clientVeth: `${prefix}${pid}c`,
    serverAddress: UNDERLAY.server,
    clientAddress: UNDERLAY.client,
  };
}

/**
 * Which of `names` (namespaces or links) were made by a process of ours that is
 * gone. `isAlive(pid)` decides; names of other tools or of live runs are kept.
 */
export function staleNames(
  names: readonly string[],
  prefix: string,
  isAlive: (pid: number) => boolean,
): string[] {
  const pattern = new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&')}(\\d+)(?:-[sc]|[sc])$`);
  return names.filter((name) => {
    const m = pattern.exec(name);
    return m !== null && !isAlive(Number(m[1]));
  });
}

/** `ip netns list` output → names (each line is `NAME` or `NAME (id: N)`). */
export function parseNetnsList(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0] ?? '')
    .filter((n) => n.length > 0);
}

/** Whether a process with this pid exists and is not a zombie (an exited child nobody reaped). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** argv that runs `command` inside namespace `ns`. */
export function inNetns(ns: string, command: readonly string[]): string[] {
  return ['ip', 'netns', 'exec', ns, ...command];
}

/** Creates both namespaces, the veth pair and the underlay addresses; undoes what it did on failure. */
export async function createPair(pair: NetnsPair): Promise<void> {
  const ip = (...args: string[]) => run(['ip', ...args], { timeoutMs: 10_000 });
  try {
    await ip('netns', 'add', pair.server);
    await ip('netns', 'add', pair.client);
    await ip('link', 'add', pair.serverVeth, 'type', 'veth', 'peer', 'name', pair.clientVeth);
    await ip('link', 'set', pair.serverVeth, 'netns', pair.server);
    await ip('link', 'set', pair.clientVeth, 'netns', pair.client);
    for (const [ns, dev, addr] of [
      [pair.server, pair.serverVeth, pair.serverAddress],
      [pair.client, pair.clientVeth, pair.clientAddress],
    ] as const) {
      await ip('-n', ns, 'link', 'set', 'lo', 'up');
      await ip('-n', ns, 'addr', 'add', `${addr}/${UNDERLAY.prefixLength}`, 'dev', dev);
      await ip('-n', ns, 'link', 'set', dev, 'up');
    }
  } catch (e) {
    deletePairSync(pair);
    throw e;
  }
}

/**
 * Kills every process still inside the pair's namespaces, then deletes the
 * namespaces (which removes the veth pair). Synchronous so that exit and
 * signal handlers can use it; never throws.
 */
export function deletePairSync(pair: Pick<NetnsPair, 'server' | 'client' | 'serverVeth'>): void {
  for (const ns of [pair.server, pair.client]) deleteNamespaceSync(ns);
  quiet(['ip', 'link', 'del', pair.serverVeth]);
}

function deleteNamespaceSync(ns: string): void {
  const pids = quiet(['ip', 'netns', 'pids', ns]);
  for (const pid of pids.split(/\s+/).filter(Boolean).map(Number)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  quiet(['ip', 'netns', 'del', ns]);
}

/** Deletes namespaces and links left by crashed runs with this prefix. Returns what it removed. */
export function sweepStale(prefix: string): string[] {
  const namespaces = staleNames(parseNetnsList(quiet(['ip', 'netns', 'list'])), prefix, processAlive);
  for (const ns of namespaces) deleteNamespaceSync(ns);
  const links = quiet(['ip', '-o', 'link', 'show'])
    .split('\n')
    .map((l) => /^\d+:\s+([^:@\s]+)/.exec(l)?.[1] ?? '')
    .filter(Boolean);
  const staleLinks = staleNames(links, prefix, processAlive);
  for (const link of staleLinks) quiet(['ip', 'link', 'del', link]);
  return [...namespaces, ...staleLinks];
}

function quiet(argv: readonly string[]): string {
  try {
    return execFileSync(argv[0]!, argv.slice(1), {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 10_000,
    });
  } catch {
    return '';
  }
}
