/**
 * Reading `iperf3 -J` output.
 *
 * We quote receiver goodput (`end.sum_received.bits_per_second`): what actually
 * arrived through the tunnel, not what the sender pushed into its socket. The
 * sender's retransmit count is kept too, as a hint of loss inside the tunnel.
 * iperf3 reports its own failures (server busy, connection refused) as a JSON
 * object with an `error` string, which becomes a BenchError.
 * @module
 */

import { BenchError } from './errors.js';

export interface IperfResult {
  /** Receiver goodput, bits per second. */
  readonly receivedBitsPerSecond: number;
  readonly receivedBytes: number;
  readonly seconds: number;
  /** TCP retransmits seen by the sender, when iperf3 reports them. */
  readonly retransmits: number | undefined;
}

export function parseIperfJson(text: string): IperfResult {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (cause) {
    throw new BenchError('IPERF_BAD_JSON', `iperf3 printed something that is not JSON: ${snippet(text)}`, {
      cause,
    });
  }
  if (!isRecord(doc)) throw new BenchError('IPERF_BAD_JSON', 'iperf3 JSON is not an object');
  if (typeof doc.error === 'string') throw new BenchError('IPERF_FAILED', `iperf3: ${doc.error}`);
  const end = doc.end;
  const received = isRecord(end) ? end.sum_received : undefined;
  if (!isRecord(received)) throw new BenchError('IPERF_NO_RESULT', 'iperf3 JSON has no end.sum_received');
  const bps = received.bits_per_second;
  const bytes = received.bytes;
  const seconds = received.seconds;
  if (typeof bps !== 'number' || !Number.isFinite(bps) || bps < 0)
    throw new BenchError('IPERF_NO_RESULT', 'iperf3 JSON has no valid end.sum_received.bits_per_second');
  const sent = isRecord(end) ? end.sum_sent : undefined;
  const retransmits = isRecord(sent) && typeof sent.retransmits === 'number' ? sent.retransmits : undefined;
  return {
    receivedBitsPerSecond: bps,
    receivedBytes: typeof bytes === 'number' ? bytes : 0,
    seconds: typeof seconds === 'number' ? seconds : 0,
    retransmits,
  };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function snippet(text: string): string {
  const t = text.trim().replace(/\s+/g, ' ');
  return t.length > 80 ? `${t.slice(0, 80)}…` : t || '(nothing)';
}
