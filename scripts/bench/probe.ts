/**
 * Connect time: from starting the tunnel client to the first ping reply
 * through the tunnel.
 *
 * A shell loop inside the client namespace pings the server's tunnel address
 * once at a time. Until the client has configured its address and route, each
 * attempt fails at once ("Network is unreachable", about 2.5 ms per attempt
 * here); once the route exists the attempt waits up to 100 ms for the reply.
 * The loop says `ready` before its first attempt (so the prober's own start-up
 * is not counted) and `up` at the first reply; the caller starts the client
 * between the two. The loop is bounded in time, and the caller's timeout kills it.
 * The same prober measures pqvpn and OpenVPN, so its small overhead cancels out
 * in the ratio.
 * @module
 */

import { performance } from 'node:perf_hooks';
import { BenchError } from './errors.js';
import { inNetns } from './netns.js';
import { run, startDaemon } from './proc.js';

export interface PingProbe {
  /** Resolves when the loop is about to send its first ping. */
  readonly ready: Promise<void>;
  /** Resolves with performance.now() at the first reply. Rejects if the loop gives up or dies. */
  readonly up: Promise<number>;
  stop(): Promise<void>;
}

/** The loop's shell text (exported for the test). Address must be a validated literal. */
export function probeScript(address: string, limitSeconds: number): string {
  if (!/^[0-9a-f.:]+$/i.test(address)) throw new BenchError('PROBE_BAD_ADDRESS', `bad address '${address}'`);
  const limit = Math.max(1, Math.ceil(limitSeconds));
  return [
    'echo ready',
    `while [ "$SECONDS" -lt ${limit} ]; do`,
    `  if ping -c1 -n -q -W 0.1 ${address} >/dev/null 2>&1; then echo up; exit 0; fi`,
    'done',
    'echo gave-up',
    'exit 1',
  ].join('\n');
}

export function startPingProbe(
  ns: string,
  address: string,
  limitSeconds: number,
  logFile: string,
): PingProbe {
  let onReady: () => void = () => {};
  let onUp: (t: number) => void = () => {};
  const ready = new Promise<void>((r) => {
    onReady = r;
  });
  let fail: (e: Error) => void = () => {};
  const up = new Promise<number>((resolve, reject) => {
    onUp = resolve;
    fail = reject;
  });
  const daemon = startDaemon(inNetns(ns, ['bash', '-c', probeScript(address, limitSeconds)]), {
    name: 'ping-probe',
    logFile,
    onLine: (line) => {
      if (line === 'ready') onReady();
      else if (line === 'up') onUp(performance.now());
    },
  });
  void daemon.exited.then((code) => {
    onReady();
    if (code !== 0)
      fail(
        new BenchError(
          'CONNECT_TIMEOUT',
          `no ping reply from ${address} through the tunnel within ${limitSeconds} s`,
        ),
      );
  });
  up.catch(() => {});
  return { ready, up, stop: () => daemon.stop(500) };
}

/** A tunnel server is ready: its UDP port is bound in `ns` and its tunnel address is configured there. */
export async function serverReady(ns: string, tunnelAddress: string, port: number): Promise<boolean> {
  const addr = await run(['ip', '-n', ns, '-o', 'addr', 'show'], { timeoutMs: 5000, allowFailure: true });
  if (!addr.stdout.includes(` ${tunnelAddress}/`)) return false;
  const ss = await run(['ss', '-N', ns, '-H', '-u', '-l', '-n'], { timeoutMs: 5000, allowFailure: true });
  return ss.stdout.split('\n').some((l) => new RegExp(`:${port}\\s`).test(l));
}
