/**
 * Turning samples into the comparison table and into docs/BENCHMARKS.md.
 *
 * One row per metric: pqvpn's median [min–max], OpenVPN's, and the ratio of
 * medians pqvpn/OpenVPN. For throughput a ratio above 1 is better, for
 * everything else below 1. The derived "CPU per packet" rows divide a daemon's
 * CPU time by the number of full-size TCP segments iperf3 moved (goodput /
 * 1448 bytes), comparable with the 16–22 µs budget in baseline.md.
 *
 * BENCHMARKS.md keeps hand-written text: only the part between the
 * `<!-- bench:begin -->` and `<!-- bench:end -->` markers is replaced.
 * @module
 */

import type { Sample } from './measure.js';
import type { ProfileSummary } from './profile.js';
import { ratio, type Summary, summarize } from './stats.js';

export interface Metric {
  readonly label: string;
  /** 'higher' when bigger is better (throughput), otherwise 'lower'. */
  readonly better: 'higher' | 'lower';
  readonly digits: number;
  readonly value: (s: Sample) => number | undefined;
}

/** Payload bytes of a full-size TCP segment through a 1500-byte tunnel MTU (with timestamps). */
export const SEGMENT_BYTES = 1448;

function perPacketUs(cpuPercent: number | undefined, mbps: number | undefined): number | undefined {
  if (cpuPercent === undefined || !mbps) return undefined;
  const packetsPerSecond = (mbps * 1e6) / 8 / SEGMENT_BYTES;
  return ((cpuPercent / 100) * 1e6) / packetsPerSecond;
}

export const METRICS: readonly Metric[] = [
  { label: 'TCP throughput, 1 stream (Mbit/s)', better: 'higher', digits: 0, value: (s) => s.throughputMbps },
  {
    label: 'connect: client start → first ping reply (ms)',
    better: 'lower',
    digits: 0,
    value: (s) => s.connectMs,
  },
  {
    label: '… of which client start-up, until its first handshake packet (ms)',
    better: 'lower',
    digits: 0,
    value: (s) => s.startupMs,
  },
  {
    label: '… of which handshake until the address is configured (ms)',
    better: 'lower',
    digits: 0,
    value: (s) => s.handshakeMs,
  },
  { label: 'idle ping RTT avg (ms)', better: 'lower', digits: 3, value: (s) => s.rttMs },
  {
    label: 'server CPU during iperf3 (% of a core)',
    better: 'lower',
    digits: 0,
    value: (s) => s.serverCpuPercent,
  },
  {
    label: 'client CPU during iperf3 (% of a core)',
    better: 'lower',
    digits: 0,
    value: (s) => s.clientCpuPercent,
  },
  {
    label: 'server CPU per 1448-byte segment (µs)',
    better: 'lower',
    digits: 1,
    value: (s) => perPacketUs(s.serverCpuPercent, s.throughputMbps),
  },
  {
    label: 'client CPU per 1448-byte segment (µs)',
    better: 'lower',
    digits: 1,
    value: (s) => perPacketUs(s.clientCpuPercent, s.throughputMbps),
  },
  { label: 'server peak RSS (MiB)', better: 'lower', digits: 0, value: (s) => s.serverRssMiB },
  { label: 'client peak RSS (MiB)', better: 'lower', digits: 0, value: (s) => s.clientRssMiB },
  {
    label: 'UDP receive-buffer drops during iperf3',
    better: 'lower',
    digits: 0,
    value: (s) => s.udpRcvbufErrors,
  },
  {
    label: 'interface drops (TUN, veth) during iperf3',
    better: 'lower',
    digits: 0,
    value: (s) => s.linkDrops,
  },
  { label: 'TCP retransmits during iperf3', better: 'lower', digits: 0, value: (s) => s.tcpRetransmits },
];

export interface Row {
  readonly metric: Metric;
  readonly pqvpn: Summary | undefined;
  readonly openvpn: Summary | undefined;
  readonly ratio: number | undefined;
}

export function buildRows(samples: readonly Sample[], pqvpnLabel = 'pqvpn', openvpnLabel = 'OpenVPN'): Row[] {
  const of = (label: string, m: Metric) =>
    summarize(
      samples
        .filter((s) => s.tunnel === label)
        .map(m.value)
        .filter((v): v is number => v !== undefined),
    );
  return METRICS.map((metric) => {
    const pq = of(pqvpnLabel, metric);
    const ov = of(openvpnLabel, metric);
    return { metric, pqvpn: pq, openvpn: ov, ratio: ratio(pq, ov) };
  });
}

export function formatSummary(s: Summary | undefined, digits: number): string {
  if (!s) return '—';
  const f = (v: number) => v.toFixed(digits);
  return s.n === 1 ? `${f(s.median)} (1 run)` : `${f(s.median)} [${f(s.min)}–${f(s.max)}]`;
}

export function formatRatio(r: number | undefined): string {
  return r === undefined || !Number.isFinite(r) ? '—' : r.toFixed(2);
}

/** The comparison as a Markdown table (readable in a terminal too). */
export function formatTable(rows: readonly Row[]): string {
  const body = rows.map((r) => [
    r.metric.label,
    formatSummary(r.pqvpn, r.metric.digits),
    formatSummary(r.openvpn, r.metric.digits),
    formatRatio(r.ratio),
  ]);
  const header = ['metric', 'pqvpn median [min–max]', 'OpenVPN median [min–max]', 'ratio pqvpn/OpenVPN'];
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}

/** Top entries of a profile as Markdown lines. */
/**
 * Top entries of a profile as Markdown. V8 samples wall-clock time: a sample
 * taken after the thread sat in a system call, or waited for a CPU on a busy
 * machine, counts that wait for the function on top of the stack. So "busy"
 * can exceed the CPU time the kernel charged the process (`cpuPercent`, from
 * /proc), and system calls that wake another process (a TUN write waking the
 * iperf3 receiver, a UDP send over veth) look heavier than their own CPU cost.
 */
export function formatProfile(
  title: string,
  p: ProfileSummary,
  options: { cpuPercent?: number; activities?: boolean; top?: number; topFiles?: number } = {},
): string {
  const { cpuPercent, activities = true, top = 15, topFiles = 8 } = options;
  const cpu = cpuPercent === undefined ? '' : `; the kernel charged it ${cpuPercent.toFixed(0)} % of a core`;
  const out = [
    `**${title}** — not idle ${pct(p.busyMs / (p.totalMs || 1))} of the ${(p.totalMs / 1000).toFixed(1)} s profiled${cpu}`,
    '',
    ...(activities
      ? [
          '| self ms | share of busy | activity |',
          '|--:|--:|---|',
          ...p.activities.map((e) => `| ${e.selfMs.toFixed(0)} | ${pct(e.share)} | ${e.name} |`),
          '',
        ]
      : []),
    '| self ms | share of busy | function |',
    '|--:|--:|---|',
    ...p.functions.slice(0, top).map((e) => `| ${e.selfMs.toFixed(0)} | ${pct(e.share)} | \`${e.name}\` |`),
    '',
    '| self ms | share of busy | script |',
    '|--:|--:|---|',
    ...p.files.slice(0, topFiles).map((e) => `| ${e.selfMs.toFixed(0)} | ${pct(e.share)} | \`${e.name}\` |`),
  ];
  return out.join('\n');
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)} %`;
}

export const BEGIN = '<!-- bench:begin -->';
export const END = '<!-- bench:end -->';

/** Replaces the generated section of BENCHMARKS.md (or appends one); hand-written text around it stays. */
export function replaceGenerated(existing: string, generated: string): string {
  const block = `${BEGIN}\n${generated.trim()}\n${END}`;
  const start = existing.indexOf(BEGIN);
  const end = existing.indexOf(END);
  if (start >= 0 && end > start) return existing.slice(0, start) + block + existing.slice(end + END.length);
  return `${existing.trimEnd()}${existing.trim() ? '\n\n' : ''}${block}\n`;
}
