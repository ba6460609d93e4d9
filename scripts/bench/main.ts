/**
 * `npm run bench`: pqvpn against OpenVPN 2.6 in the same namespaces, in the same run.
 *
 *     npm run bench                    # 3 runs × 10 s iperf3, writes docs/BENCHMARKS.md
 *     npm run bench -- --quick         # 1 run × 3 s, prints only (for development)
 *     npm run bench -- --runs 5 --time 20 --only pqvpn --no-profile --keep
 *
 * Root only. Creates two namespaces (`pqb-<pid>-s`, `pqb-<pid>-c`) joined by a
 * veth pair, makes throwaway keys for both tunnels in a private temporary
 * directory, and for each run measures both tunnels one after the other
 * (alternating which goes first, so slow drift of the machine hits both
 * alike). Then one extra pqvpn run with the packet path profiled (the V8
 * profiler of both pqvpn processes is on only during the iperf3 transfer).
 * Prints the table and the profile's top entries, writes them to
 * docs/BENCHMARKS.md, and removes everything it created, also on Ctrl-C.
 * Exit 0 when every tunnel produced numbers, 1 otherwise.
 * @module
 */

import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BenchError } from './errors.js';
import { measureOnce, type Rig, type Sample } from './measure.js';
import { createPair, deletePairSync, pairNames, sweepStale, UNDERLAY } from './netns.js';
import { openvpnTunnel } from './openvpn.js';
import { pqvpnTunnel } from './pqvpn.js';
import { summarizeCpuProfile } from './profile.js';
import { findRepoRoot } from './repo.js';
import { buildRows, formatProfile, formatTable, replaceGenerated } from './report.js';
import { Teardown } from './teardown.js';
import { ensureTools, TOOLS } from './tools.js';
import type { TunnelSetup, TunnelUnderTest } from './tunnel.js';
import { makeWorkDir } from './workdir.js';

const say = (text: string) => process.stdout.write(`${text}\n`);

interface Options {
  runs: number;
  seconds: number;
  only: string | undefined;
  profile: boolean;
  write: boolean;
  keep: boolean;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      runs: { type: 'string' },
      time: { type: 'string' },
      only: { type: 'string' },
      quick: { type: 'boolean', default: false },
      'no-profile': { type: 'boolean', default: false },
      'no-write': { type: 'boolean', default: false },
      write: { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    say(
      'usage: npm run bench -- [--quick] [--runs N] [--time SECONDS] [--only pqvpn|openvpn] [--no-profile] [--no-write|--write] [--keep]',
    );
    process.exit(0);
  }
  const int = (text: string | undefined, fallback: number, min: number, max: number, name: string) => {
    if (text === undefined) return fallback;
    const n = Number(text);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new BenchError('BAD_OPTION', `--${name} must be an integer from ${min} to ${max}`);
    return n;
  };
  const quick = values.quick === true;
  const only = values.only?.toLowerCase();
  if (only !== undefined && only !== 'pqvpn' && only !== 'openvpn')
    throw new BenchError('BAD_OPTION', '--only must be pqvpn or openvpn');
  return {
    runs: int(values.runs, quick ? 1 : 3, 1, 50, 'runs'),
    seconds: int(values.time, quick ? 3 : 10, 1, 120, 'time'),
    only,
    profile: values['no-profile'] !== true,
    write: values.write === true || (!quick && values['no-write'] !== true),
    keep: values.keep === true,
  };
}

/** The 1-minute load average when the run started: how busy the shared machine was. */
const loadAtStart = loadavg()[0] ?? 0;

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  if (process.getuid?.() !== 0) {
    process.stderr.write(
      'npm run bench needs root (it creates network namespaces and TUN devices); try: sudo npm run bench\n',
    );
    return 1;
  }
  const root = findRepoRoot();
  const teardown = new Teardown();
  teardown.install(say);
  await ensureTools(Object.keys(TOOLS), say);
  const swept = sweepStale('pqb-');
  if (swept.length > 0) say(`removed leftovers of an earlier run: ${swept.join(', ')}`);

  const dir = makeWorkDir('pqvpn-bench');
  teardown.add(() => {
    if (!options.keep) rmSync(dir, { recursive: true, force: true });
  });
  const pair = pairNames('pqb-', process.pid);
  await createPair(pair);
  teardown.add(() => deletePairSync(pair));
  say(`namespaces ${pair.server} and ${pair.client}; work directory ${dir}${options.keep ? ' (kept)' : ''}`);

  const setup: TunnelSetup = { dir, underlayServerAddress: UNDERLAY.server };
  const rig: Rig = {
    pair,
    logDir: dir,
    iperfSeconds: options.seconds,
    clockTicks: Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100,
    say,
  };
  const all = [pqvpnTunnel(root), openvpnTunnel()].filter(
    (t) => options.only === undefined || t.label.toLowerCase() === options.only,
  );
  const tunnels: TunnelUnderTest[] = [];
  const problems: string[] = [];
  for (const t of all) {
    try {
      await t.prepare(setup);
      tunnels.push(t);
    } catch (e) {
      problems.push(`${t.label}: setup failed: ${(e as Error).message}`);
    }
  }

  const samples: Sample[] = [];
  const givenUp = new Set<string>();
  for (let runIndex = 1; runIndex <= options.runs; runIndex++) {
    const order = runIndex % 2 === 1 ? tunnels : [...tunnels].reverse();
    for (const t of order) {
      if (givenUp.has(t.label)) continue;
      const s = await measureOnce(rig, t, setup, runIndex);
      samples.push(s);
      say(describeSample(s));
      // A tunnel that produced nothing on its first run will not on later ones (e.g. not built yet).
      if (runIndex === 1 && s.connectMs === undefined) givenUp.add(t.label);
    }
  }

  const profiles: string[] = [];
  const connectProfiles: string[] = [];
  const pq = tunnels.find((t) => t.profilable && !givenUp.has(t.label));
  if (options.profile && pq) {
    say(`profiling ${pq.label}'s packet path during a ${options.seconds} s iperf3 run…`);
    const s = await measureOnce(rig, pq, setup, 0, true);
    if (s.error) problems.push(`profile run: ${s.error}`);
    for (const file of s.profiles ?? []) {
      const summary = summarizeCpuProfile(readFileSync(file, 'utf8'), root);
      if (file.includes('-client-connect.')) {
        const title = `${pq.label} client, from loading its first module to the first ping reply (connect ${s.connectMs?.toFixed(0) ?? '?'} ms)`;
        connectProfiles.push(formatProfile(title, summary, { activities: false }));
        continue;
      }
      const role = file.includes('-server.') ? 'server' : 'client';
      const cpuPercent = role === 'server' ? s.serverCpuPercent : s.clientCpuPercent;
      const title = `${pq.label} ${role} at ${s.throughputMbps?.toFixed(0) ?? '?'} Mbit/s`;
      profiles.push(formatProfile(title, summary, cpuPercent === undefined ? {} : { cpuPercent }));
    }
    if (!s.error && (s.profiles ?? []).length < 3)
      problems.push('profile run: a pqvpn process wrote no profile');
  }

  for (const t of tunnels)
    if (!samples.some((s) => s.tunnel === t.label && s.throughputMbps !== undefined))
      problems.push(`${t.label}: no complete run`);
  for (const s of samples) if (s.error) problems.push(`${s.tunnel} run ${s.run}: ${s.error}`);

  const table = formatTable(buildRows(samples));
  say(`\n${table}\n`);
  for (const p of [...profiles, ...connectProfiles]) say(`${p}\n`);
  if (problems.length > 0) say(`Problems:\n${problems.map((p) => `- ${p}`).join('\n')}\n`);

  if (options.write) {
    const file = join(root, 'docs', 'BENCHMARKS.md');
    const existing = readOr(file, '# Benchmarks\n');
    writeFileSync(
      file,
      replaceGenerated(existing, generatedSection(options, table, profiles, connectProfiles, problems, root)),
    );
    say(`wrote ${file}`);
  }
  const complete = tunnels.length === all.length && !problems.some((p) => p.endsWith('no complete run'));
  return complete ? 0 : 1;
}

function describeSample(s: Sample): string {
  const f = (v: number | undefined, d: number, unit: string) =>
    v === undefined ? '—' : `${v.toFixed(d)} ${unit}`;
  const line = `${s.tunnel.padEnd(8)} run ${s.run}: ${f(s.throughputMbps, 0, 'Mbit/s')}, connect ${f(s.connectMs, 0, 'ms')}, rtt ${f(s.rttMs, 3, 'ms')}, CPU server ${f(s.serverCpuPercent, 0, '%')} client ${f(s.clientCpuPercent, 0, '%')}`;
  return s.error ? `${line}\n  error: ${s.error}` : line;
}

function generatedSection(
  o: Options,
  table: string,
  profiles: readonly string[],
  connectProfiles: readonly string[],
  problems: readonly string[],
  root: string,
): string {
  const version = (argv: string[]) => {
    try {
      return execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
        .split('\n')[0]!
        .trim();
    } catch {
      return 'unknown';
    }
  };
  const commit = version(['git', '-C', root, 'rev-parse', '--short', 'HEAD']);
  const dirty =
    version(['git', '-C', root, 'status', '--porcelain', '--', 'src']) === '' ? '' : ' (src modified)';
  return [
    `## Latest run: ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}`,
    '',
    `Machine: ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}), kernel ${release()}, Node ${process.version}, ` +
      `${version(['openvpn', '--version'])
        .replace(/\s*\[.*$/, '')
        .replace(/ x86_64.*$/, '')}, ${version(['iperf3', '--version'])}; pqvpn ${commit}${dirty}. ` +
      `Load average at the start: ${loadAtStart.toFixed(1)} (other work shares the CPUs; quote ratios, not absolutes).`,
    '',
    `Command: \`npm run bench${o.runs === 3 && o.seconds === 10 ? '' : ` -- --runs ${o.runs} --time ${o.seconds}`}\` — ` +
      `${o.runs} run(s) per tunnel, iperf3 ${o.seconds} s single TCP stream (cubic) client → server, medians [min–max].`,
    '',
    table,
    '',
    ...(profiles.length > 0
      ? [
          '### Where pqvpn spends its CPU during the transfer (V8 self time)',
          '',
          ...profiles.flatMap((p) => [p, '']),
        ]
      : []),
    ...(connectProfiles.length > 0
      ? [
          "### Where the client's start-up and connect go (V8 self time)",
          '',
          ...connectProfiles.flatMap((p) => [p, '']),
        ]
      : []),
    ...(problems.length > 0
      ? ['### Problems in this run', '', ...problems.map((p) => `- ${p.replace(/\n/g, ' ')}`), '']
      : []),
  ].join('\n');
}

function readOr(file: string, fallback: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(
      `bench: ${e instanceof BenchError ? `${e.code}: ` : ''}${(e as Error).message ?? String(e)}\n`,
    );
    process.exit(1);
  },
);
