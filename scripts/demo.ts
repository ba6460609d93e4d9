/**
 * `npm run demo` (as root): the README's main job, end to end, on one machine.
 *
 * 1. Two network namespaces (`pqd-<pid>-s`, `pqd-<pid>-c`) joined by a veth pair.
 * 2. A throwaway ML-DSA PKI (`pqvpn pki`), a tls-crypt key (`pqvpn genkey`)
 *    and a password database with one user (`pqvpn passwd`), in a private
 *    temporary directory.
 * 3. `pqvpn server` in one namespace, `pqvpn client` in the other (password
 *    mode), their logs shown as they come.
 * 4. The negotiated suite and the client's address from the logs, and a ping
 *    through the tunnel.
 * 5. Everything removed: processes, namespaces, files — also on Ctrl-C or
 *    SIGTERM, and leftovers of an earlier demo that crashed are swept first.
 *
 * Every wait is bounded; the whole demo takes a few seconds.
 * @module
 */

import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { BenchError } from './bench/errors.js';
import { createPair, deletePairSync, inNetns, pairNames, sweepStale, UNDERLAY } from './bench/netns.js';
import { firstHost, type PqvpnConfigOptions, pqvpnLaunch, preparePqvpn } from './bench/pqvpn.js';
import { serverReady, startPingProbe } from './bench/probe.js';
import { type Daemon, run, startDaemon, waitFor } from './bench/proc.js';
import { findRepoRoot } from './bench/repo.js';
import { Teardown } from './bench/teardown.js';
import { makeWorkDir, sweepStaleWorkDirs } from './bench/workdir.js';

const tty = process.stdout.isTTY === true;
const bold = (t: string) => (tty ? `\x1b[1m${t}\x1b[0m` : t);
const dim = (t: string) => (tty ? `\x1b[2m${t}\x1b[0m` : t);
const say = (text: string) => process.stdout.write(`${text}\n`);
const step = (text: string) => say(`\n${bold(`== ${text}`)}`);

/** The log lines that name the negotiated suite: the client's "negotiated …" line, else any line naming a suite. */
function suiteLines(log: string): string[] {
  const lines = log.split('\n');
  const negotiated = lines.filter((l) => /negotiated/i.test(l));
  return negotiated.length > 0 ? negotiated : lines.filter((l) => /suite/i.test(l));
}

async function main(): Promise<number> {
  if (process.getuid?.() !== 0) {
    process.stderr.write(
      'npm run demo needs root: it creates network namespaces and TUN devices. Run it as root (e.g. sudo npm run demo).\n',
    );
    return 1;
  }
  const root = findRepoRoot();
  const teardown = new Teardown();
  teardown.install(say);
  const swept = [...sweepStale('pqd-'), ...sweepStaleWorkDirs('pqvpn-demo')];
  if (swept.length > 0) say(`removed leftovers of an earlier demo: ${swept.join(', ')}`);

  const dir = makeWorkDir('pqvpn-demo');
  teardown.add(() => rmSync(dir, { recursive: true, force: true }));
  const options: PqvpnConfigOptions = {
    mode: 'passdb',
    tlsCrypt: true,
    network: '10.8.0.0',
    port: 1194,
    underlayServerAddress: UNDERLAY.server,
    verb: 3,
  };
  const serverTunnelAddress = firstHost(options.network);

  step('A throwaway ML-DSA-65 PKI, a tls-crypt key and a password database user "demo"');
  await preparePqvpn(dir, options, root);
  say(`in ${dir}: pki/ (CA + server certificate), tls-crypt.key, passdb, client.auth (0600)`);

  step('Two network namespaces joined by a veth pair');
  const pair = pairNames('pqd-', process.pid);
  teardown.add(() => deletePairSync(pair));
  await createPair(pair);
  say(`${pair.server} (${pair.serverAddress})  <-- veth -->  ${pair.client} (${pair.clientAddress})`);

  const daemons: Daemon[] = [];
  const start = (ns: string, role: 'server' | 'client') => {
    const d = startDaemon(inNetns(ns, pqvpnLaunch(root, dir, role).argv), {
      name: `pqvpn ${role}`,
      logFile: join(dir, `${role}.log`),
      onLine: (line) => say(dim(`  ${role} | ${line}`)),
    });
    daemons.push(d);
    return d;
  };
  const fail = async (e: unknown): Promise<number> => {
    say(`\n${bold('demo failed:')} ${e instanceof Error ? e.message : String(e)}`);
    for (const d of daemons) if (d.done()) say(`${d.name} exited with code ${await d.exited}`);
    return 1;
  };

  try {
    step(`pqvpn server in ${pair.server}`);
    const server = start(pair.server, 'server');
    await waitFor(
      async () => {
        if (server.done()) throw new BenchError('SERVER_EXITED', 'the server exited during start-up');
        return serverReady(pair.server, serverTunnelAddress, options.port);
      },
      { timeoutMs: 15_000, intervalMs: 50, code: 'SERVER_NOT_READY', what: 'the server listening' },
    );

    step(`pqvpn client in ${pair.client}, connecting to ${UNDERLAY.server}:${options.port}`);
    const probe = startPingProbe(pair.client, serverTunnelAddress, 20, join(dir, 'probe.log'));
    await probe.ready;
    const t0 = performance.now();
    const client = start(pair.client, 'client');
    const clientDied = client.exited.then((code) => {
      throw new BenchError('CLIENT_EXITED', `the client exited (code ${code}) before the tunnel came up`);
    });
    const t1 = await Promise.race([probe.up, clientDied]);
    await probe.stop();

    step('Result');
    say(`tunnel up ${(t1 - t0).toFixed(0)} ms after the client started`);
    const logs = ['server', 'client'].map((r) => readFileSync(join(dir, `${r}.log`), 'utf8')).join('\n');
    const suites = suiteLines(logs);
    say(
      suites.length > 0
        ? `negotiated suite (from the logs):\n${suites.map((l) => `  ${l.trim()}`).join('\n')}`
        : 'the logs do not name the negotiated suite',
    );
    const addresses = await run(['ip', '-n', pair.client, '-o', '-4', 'addr', 'show'], { timeoutMs: 5000 });
    for (const line of addresses.stdout.split('\n')) {
      const m = /^\d+:\s+(\S+)\s+inet\s+(10\.8\.0\.\S+)/.exec(line);
      if (m) say(`client address: ${m[2]} on ${m[1]}`);
    }

    step(`ping ${serverTunnelAddress} (the server's tunnel address) from the client namespace`);
    const ping = await run(
      inNetns(pair.client, ['ping', '-c', '3', '-i', '0.2', '-n', serverTunnelAddress]),
      {
        timeoutMs: 10_000,
        allowFailure: true,
      },
    );
    say(ping.stdout.trim());
    if (ping.code !== 0) throw new BenchError('PING_FAILED', 'ping through the tunnel failed');
  } catch (e) {
    return await fail(e);
  } finally {
    step('Tearing down');
    for (const d of [...daemons].reverse()) await d.stop(3000);
    teardown.runNow();
    say(`stopped the client and the server, deleted ${pair.server} and ${pair.client}, removed ${dir}`);
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`demo: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
