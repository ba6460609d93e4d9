/**
 * One measurement of one tunnel: start its server, time the client's connect
 * (client start → first ping reply through the tunnel), idle ping round trip,
 * one single-stream TCP iperf3 run from client to server with the daemons' CPU
 * time and UDP receive-buffer drops around it, then stop everything.
 *
 * Every wait is bounded; whatever fails, the daemons of this measurement are
 * stopped before it returns. A failure is recorded in the sample (with the
 * tail of the daemon's log) so one bad run does not lose the others.
 * @module
 */

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { BenchError } from './errors.js';
import { parseIperfJson } from './iperf.js';
import { inNetns, type NetnsPair } from './netns.js';
import { parsePingSummary } from './ping.js';
import { serverReady, startPingProbe } from './probe.js';
import { type Daemon, run, sleep, startDaemon, waitFor } from './proc.js';
import { parseLinkDrops, parseSnmpCounter, readCpuTicks, readPeakRssKiB } from './procfs.js';
import type { Launch, TunnelSetup, TunnelUnderTest } from './tunnel.js';

export interface Rig {
  readonly pair: NetnsPair;
  /** Where logs and profiles go. */
  readonly logDir: string;
  readonly iperfSeconds: number;
  /** Clock ticks per second of /proc/PID/stat (getconf CLK_TCK). */
  readonly clockTicks: number;
  readonly say: (text: string) => void;
}

export interface Sample {
  readonly tunnel: string;
  readonly run: number;
  throughputMbps?: number;
  connectMs?: number;
  /** Parts of connectMs, when the tunnel's client log allows (see TunnelUnderTest.connectPhases). */
  startupMs?: number;
  handshakeMs?: number;
  rttMs?: number;
  /** CPU of each daemon during the iperf3 run, percent of one core. */
  serverCpuPercent?: number;
  clientCpuPercent?: number;
  /** Peak resident memory (VmHWM) at the end, MiB. */
  serverRssMiB?: number;
  clientRssMiB?: number;
  /** UDP datagrams dropped for a full receive buffer during the iperf3 run, both namespaces. */
  udpRcvbufErrors?: number;
  /** Packets dropped by the interfaces (TUN and veth) of both namespaces during the iperf3 run. */
  linkDrops?: number;
  tcpRetransmits?: number;
  /** Profiles written (profiling runs only). */
  profiles?: string[];
  error?: string;
}

const IPERF_PORT = 5201;

export async function measureOnce(
  rig: Rig,
  tunnel: TunnelUnderTest,
  setup: TunnelSetup,
  runIndex: number,
  profile = false,
): Promise<Sample> {
  const sample: Sample = { tunnel: tunnel.label, run: runIndex };
  const { pair } = rig;
  const tag = `${tunnel.label.toLowerCase()}-${profile ? 'profile' : `run${runIndex}`}`;
  const profileFile = (role: string) => join(rig.logDir, `${tag}-${role}.cpuprofile`);
  const daemons: Daemon[] = [];
  const launch = (ns: string, role: string, l: Launch) => {
    const d = startDaemon(inNetns(ns, l.argv), {
      name: `${tunnel.label} ${role}`,
      logFile: join(rig.logDir, `${tag}-${role}.log`),
      ...(l.env ? { env: { ...process.env, ...l.env } } : {}),
    });
    daemons.push(d);
    return d;
  };
  try {
    const server = launch(
      pair.server,
      'server',
      tunnel.server(setup, profile ? { profileFile: profileFile('server') } : {}),
    );
    await waitFor(
      async () => alive(server) && (await serverReady(pair.server, tunnel.serverTunnelAddress, tunnel.port)),
      {
        timeoutMs: 20_000,
        intervalMs: 25,
        code: 'SERVER_NOT_READY',
        what: `${tunnel.label} server listening on UDP ${tunnel.port} with ${tunnel.serverTunnelAddress}`,
      },
    );
    const iperfServer = launch(pair.server, 'iperf3-server', {
      argv: ['iperf3', '-s', '-p', String(IPERF_PORT), '--forceflush'],
    });
    await sleep(150); // let the server settle, and iperf3 bind

    // Connect time.
    const probe = startPingProbe(
      pair.client,
      tunnel.serverTunnelAddress,
      30,
      join(rig.logDir, `${tag}-probe.log`),
    );
    await probe.ready;
    const t0 = performance.now();
    const startedAt = Date.now();
    const client = launch(
      pair.client,
      'client',
      tunnel.client(
        setup,
        profile
          ? { profileFile: profileFile('client'), startupProfileFile: profileFile('client-connect') }
          : {},
      ),
    );
    const clientDied = client.exited.then(() => {
      throw new BenchError('CLIENT_EXITED', `${tunnel.label} client exited before the tunnel came up`);
    });
    const t1 = await Promise.race([probe.up, clientDied]);
    await probe.stop();
    sample.connectMs = t1 - t0;
    if (profile) signal([client], 'SIGURG'); // ends the client's start-up and connect profile
    const phases = tunnel.connectPhases?.(await readFile(client.logFile, 'utf8').catch(() => ''), startedAt);
    if (phases) {
      sample.startupMs = phases.startupMs;
      sample.handshakeMs = phases.handshakeMs;
    }

    // Idle round trip.
    const ping = await run(
      inNetns(pair.client, ['ping', '-c', '20', '-i', '0.05', '-n', '-q', tunnel.serverTunnelAddress]),
      { timeoutMs: 15_000, allowFailure: true },
    );
    sample.rttMs = parsePingSummary(ping.stdout).avg;

    // Throughput, with CPU and drops around it.
    if (alive(iperfServer)) {
      const before = await counters(rig, server, client);
      if (profile) signal([server, client], 'SIGURG');
      const started = performance.now();
      const iperf = await run(
        inNetns(pair.client, [
          'iperf3',
          '-c',
          tunnel.serverTunnelAddress,
          '-p',
          String(IPERF_PORT),
          '-t',
          String(rig.iperfSeconds),
          '-C',
          'cubic',
          '-J',
        ]),
        { timeoutMs: (rig.iperfSeconds + 20) * 1000, allowFailure: true },
      );
      const seconds = (performance.now() - started) / 1000;
      if (profile) signal([server, client], 'SIGURG');
      const after = await counters(rig, server, client);
      const result = parseIperfJson(iperf.stdout);
      sample.throughputMbps = result.receivedBitsPerSecond / 1e6;
      if (result.retransmits !== undefined) sample.tcpRetransmits = result.retransmits;
      const cpu = (a?: number, b?: number) =>
        a === undefined || b === undefined ? undefined : ((b - a) / rig.clockTicks / seconds) * 100;
      assign(sample, 'serverCpuPercent', cpu(before.serverTicks, after.serverTicks));
      assign(sample, 'clientCpuPercent', cpu(before.clientTicks, after.clientTicks));
      sample.udpRcvbufErrors = after.rcvbufErrors - before.rcvbufErrors;
      sample.linkDrops = after.linkDrops - before.linkDrops;
      assign(sample, 'serverRssMiB', mib(readPeakRssKiB(server.pid)));
      assign(sample, 'clientRssMiB', mib(readPeakRssKiB(client.pid)));
    } else {
      throw new BenchError('IPERF_SERVER_DIED', 'the iperf3 server exited');
    }
    if (profile) {
      const files = [profileFile('server'), profileFile('client'), profileFile('client-connect')];
      await waitFor(() => files.every(existsSync), {
        timeoutMs: 15_000,
        intervalMs: 100,
        code: 'PROFILE_MISSING',
        what: 'both CPU profiles written',
      }).catch(() => {});
      sample.profiles = files.filter(existsSync);
    }
  } catch (e) {
    sample.error = e instanceof Error ? e.message : String(e);
    sample.error += await logTails(daemons);
  } finally {
    // Client first (it says goodbye to the server), then the servers.
    for (const d of [...daemons].reverse()) await d.stop(3000);
  }
  return sample;
}

function alive(d: Daemon): boolean {
  if (d.done()) throw new BenchError('DAEMON_EXITED', `${d.name} exited early`);
  return true;
}

interface Counters {
  serverTicks: number | undefined;
  clientTicks: number | undefined;
  rcvbufErrors: number;
  linkDrops: number;
}

async function counters(rig: Rig, server: Daemon, client: Daemon): Promise<Counters> {
  let rcvbufErrors = 0;
  let linkDrops = 0;
  for (const ns of [rig.pair.server, rig.pair.client]) {
    const snmp = await run(inNetns(ns, ['cat', '/proc/net/snmp']), { timeoutMs: 5000 });
    rcvbufErrors += parseSnmpCounter(snmp.stdout, 'Udp', 'RcvbufErrors');
    const links = await run(['ip', '-n', ns, '-j', '-s', 'link', 'show'], { timeoutMs: 5000 });
    linkDrops += parseLinkDrops(links.stdout);
  }
  return {
    serverTicks: readCpuTicks(server.pid),
    clientTicks: readCpuTicks(client.pid),
    rcvbufErrors,
    linkDrops,
  };
}

function signal(daemons: readonly Daemon[], sig: NodeJS.Signals): void {
  for (const d of daemons) {
    try {
      process.kill(d.pid, sig);
    } catch {
      // Gone; the missing profile is reported.
    }
  }
}

function mib(kib: number | undefined): number | undefined {
  return kib === undefined ? undefined : kib / 1024;
}

function assign<K extends keyof Sample>(sample: Sample, key: K, value: Sample[K] | undefined): void {
  if (value !== undefined) sample[key] = value;
}

/** The last lines of each daemon's log, for an error message. */
async function logTails(daemons: readonly Daemon[]): Promise<string> {
  let text = '';
  for (const d of daemons) {
    if (d.name.includes('iperf3')) continue;
    const log = await readFile(d.logFile, 'utf8').catch(() => '');
    const tail = log.trim().split('\n').slice(-4).join('\n    ');
    if (tail) text += `\n  ${d.name} (${d.done() ? 'exited' : 'running'}), log tail:\n    ${tail}`;
  }
  return text;
}
