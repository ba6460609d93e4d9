/**
 * `status FILE N`: the connected clients, rewritten every N seconds, in
 * OpenVPN's version 1 layout (the default of `status-version`), so tools that
 * read OpenVPN status files read ours.
 * @module
 */

import type { Logger } from '../log.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import type { Peer } from './server-peer.js';

function stamp(d: Date): string {
  return d
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, '');
}

/** Names go into a comma-separated file: commas and control characters become '_'. */
function field(text: string): string {
  let out = '';
  for (const ch of text) {
    const c = ch.charCodeAt(0);
    out += ch === ',' || c < 0x20 || c === 0x7f ? '_' : ch;
  }
  return out;
}

/** `sections`: more sections (a title line, a header line, rows), placed before GLOBAL STATS. */
export function formatStatus(now: Date, peers: readonly Peer[], sections: readonly string[] = []): string {
  const lines = ['OpenVPN CLIENT LIST', `Updated,${stamp(now)}`];
  lines.push('Common Name,Real Address,Bytes Received,Bytes Sent,Connected Since');
  const established = peers.filter((p) => p.establishedAt !== undefined && !p.ended);
  for (const p of established) {
    const s = p.data.stats();
    lines.push(
      `${field(p.name)},${p.endpoint.key},${s.bytesReceived},${s.bytesSent},${stamp(new Date(p.connectedAt))}`,
    );
  }
  lines.push('ROUTING TABLE', 'Virtual Address,Common Name,Real Address,Last Ref');
  for (const p of established) {
    const since = stamp(new Date(p.establishedAt ?? p.connectedAt));
    lines.push(`${p.lease.ipv4},${field(p.name)},${p.endpoint.key},${since}`);
    if (p.lease.ipv6) lines.push(`${p.lease.ipv6},${field(p.name)},${p.endpoint.key},${since}`);
  }
  lines.push(...sections, 'GLOBAL STATS', 'Max bcast/mcast queue length,0', 'END', '');
  return lines.join('\n');
}

/** Rewrites the status file every `seconds` (atomically) while started, and once more at `stop`. */
export class StatusWriter {
  readonly #path: string;
  readonly #seconds: number;
  readonly #peers: () => readonly Peer[];
  readonly #clock: () => number;
  readonly #log: Logger;
  readonly #sections: (() => readonly string[]) | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    status: { readonly path: string; readonly seconds: number },
    peers: () => readonly Peer[],
    clock: () => number,
    log: Logger,
    /** Extra sections (the server's QKD KEYS). */
    sections?: () => readonly string[],
  ) {
    this.#path = status.path;
    this.#seconds = Math.max(1, status.seconds);
    this.#peers = peers;
    this.#clock = clock;
    this.#log = log;
    this.#sections = sections;
  }

  start(): void {
    this.#timer = setInterval(() => void this.write(), this.#seconds * 1000);
    void this.write();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.write();
  }

  async write(): Promise<void> {
    try {
      const text = formatStatus(new Date(this.#clock()), this.#peers(), this.#sections?.() ?? []);
      await writeFileAtomic(this.#path, text, { mode: 0o644, overwrite: true });
    } catch (error) {
      this.#log.warn(`could not write status ${this.#path}: ${(error as Error).message}`);
    }
  }
}
