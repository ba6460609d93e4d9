/**
 * Reading the summary that iputils `ping -q` prints at the end:
 *
 *     20 packets transmitted, 20 received, 0% packet loss, time 390ms
 *     rtt min/avg/max/mdev = 0.263/0.350/0.512/0.050 ms
 *
 * (`rtt` is `round-trip` in some builds.) No reply at all means no rtt line,
 * which is an error here: an idle-RTT measurement needs replies.
 * @module
 */

import { BenchError } from './errors.js';

export interface PingSummary {
  readonly transmitted: number;
  readonly received: number;
  /** Milliseconds. */
  readonly min: number;
  readonly avg: number;
  readonly max: number;
  readonly mdev: number;
}

const COUNTS = /(\d+) packets transmitted, (\d+) (?:packets )?received/;
const RTT = /(?:rtt|round-trip) min\/avg\/max\/(?:mdev|stddev) = ([\d.]+)\/([\d.]+)\/([\d.]+)\/([\d.]+) ms/;

export function parsePingSummary(text: string): PingSummary {
  const counts = COUNTS.exec(text);
  if (!counts) throw new BenchError('PING_NO_SUMMARY', 'ping printed no packet counts');
  const rtt = RTT.exec(text);
  if (!rtt) throw new BenchError('PING_NO_REPLY', `ping got ${counts[2]} of ${counts[1]} replies and no rtt`);
  return {
    transmitted: Number(counts[1]),
    received: Number(counts[2]),
    min: Number(rtt[1]),
    avg: Number(rtt[2]),
    max: Number(rtt[3]),
    mdev: Number(rtt[4]),
  };
}
