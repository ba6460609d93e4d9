/**
 * The few kernel counters the benchmark reads: CPU time and peak memory of a
 * daemon (`/proc/PID/stat`, `/proc/PID/status`), UDP receive-buffer drops of
 * a network namespace (`/proc/net/snmp`, read from inside the namespace), and
 * packets dropped by its interfaces (`ip -j -s link`: a TUN device whose
 * reader falls behind drops on transmit when its queue is full).
 *
 * Parsers take the file's text so tests feed them fixtures; readers return
 * undefined when the process is gone.
 * @module
 */

import { readFileSync } from 'node:fs';
import { BenchError } from './errors.js';

/** User + system CPU time of a process in clock ticks (fields 14 and 15 of /proc/PID/stat). */
export function parseStatCpuTicks(stat: string): number {
  // The command name (field 2) is in parentheses and may contain spaces or ')'; fields start after the last ')'.
  const close = stat.lastIndexOf(')');
  if (close < 0) throw new BenchError('PROC_BAD_STAT', 'no command name in /proc/PID/stat');
  const fields = stat
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  // fields[0] is field 3 (state); utime is field 14 → index 11, stime field 15 → index 12.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isInteger(utime) || !Number.isInteger(stime))
    throw new BenchError('PROC_BAD_STAT', 'no utime/stime in /proc/PID/stat');
  return utime + stime;
}

/** A `Name:   N kB` line of /proc/PID/status, in KiB (e.g. VmHWM = peak RSS). */
export function parseStatusKiB(status: string, name: string): number | undefined {
  const m = new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(status);
  return m ? Number(m[1]) : undefined;
}

/** One counter of /proc/net/snmp, e.g. ('Udp', 'RcvbufErrors'). Rows come in header/value pairs. */
export function parseSnmpCounter(snmp: string, protocol: string, counter: string): number {
  const rows = snmp.split('\n').filter((l) => l.startsWith(`${protocol}:`));
  const header = rows[0]?.split(/\s+/).slice(1);
  const values = rows[1]?.split(/\s+/).slice(1);
  const index = header?.indexOf(counter) ?? -1;
  const value = index >= 0 ? Number(values?.[index]) : Number.NaN;
  if (!Number.isFinite(value))
    throw new BenchError('PROC_BAD_SNMP', `no ${protocol} ${counter} in /proc/net/snmp`);
  return value;
}

/**
 * Packets dropped by every interface except loopback in `ip -j -s link show`
 * output (rx + tx `dropped` of stats64).
 */
export function parseLinkDrops(json: string): number {
  let links: unknown;
  try {
    links = JSON.parse(json);
  } catch (cause) {
    throw new BenchError('PROC_BAD_LINKS', 'ip -j -s link printed no JSON', { cause });
  }
  if (!Array.isArray(links)) throw new BenchError('PROC_BAD_LINKS', 'ip -j -s link printed no list');
  let dropped = 0;
  for (const link of links as {
    ifname?: unknown;
    stats64?: { rx?: { dropped?: unknown }; tx?: { dropped?: unknown } };
  }[]) {
    if (link.ifname === 'lo') continue;
    for (const d of [link.stats64?.rx?.dropped, link.stats64?.tx?.dropped])
      if (typeof d === 'number') dropped += d;
  }
  return dropped;
}

export function readCpuTicks(pid: number): number | undefined {
  try {
    return parseStatCpuTicks(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

export function readPeakRssKiB(pid: number): number | undefined {
  try {
    return parseStatusKiB(readFileSync(`/proc/${pid}/status`, 'utf8'), 'VmHWM');
  } catch {
    return undefined;
  }
}
