/**
 * QKD end to end: `pqvpn server` and `pqvpn client` in namespaces with
 * `qkd-*` directives, and `pqvpn kme-sim` as a real process in the server's
 * namespace, listening on the veth address both namespaces reach (its
 * certificates name it: `kme-sim init --host 10.77.0.1`). The server is SAE
 * A (KME A), the client SAE B (KME B). Only the client rekeys (reneg-sec on
 * its side), so every rekey takes exactly one key from the pool.
 *
 * (a) required: ping through, the key IDs of the first handshake and of two
 *     rekeys logged on both sides, all distinct, and in the status file;
 * (b) optional, KME stopped: rekeys go on without QKD, warned; traffic flows;
 * (c) required, KME stopped: the rekey waits, the keys expire after
 *     hand-window, traffic stops; the KME restarted, the client comes back;
 * (d) starvation (required): rekeys wait for the pool and follow its rate;
 *     the tunnel stays up;
 * (e) mismatch: two simulators that share no keys: the handshake fails with
 *     the reason in both logs.
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { run } from '../../src/cli/main.js';
import { memoryIO } from '../support/memory-io.js';
import type { Netns, NetnsLab } from '../support/netns.js';
import { useNetnsLab } from '../support/netns.js';
import { describeTun } from '../support/root.js';
import { REPO_ROOT } from '../support/run-ts.js';
import {
  clientConfig,
  type Daemon,
  makePki,
  serverConfig,
  startPqvpn,
  topology,
  useTempDir,
} from './support.js';

const KME_HOST = '10.77.0.1';
const execArgv = ['--import', join(REPO_ROOT, 'test/e2e/register-cached-ts.mjs')];

interface Kme {
  readonly child: ChildProcess;
  output(): string;
  ready: Promise<void>;
  stop(): Promise<void>;
}

/** `pqvpn kme-sim` in `ns` (the kme-sim-only entry: it starts in a fraction of the full CLI's time). */
function startKme(lab: NetnsLab, ns: Netns, dir: string, ports: [number, number], extra: string[] = []): Kme {
  const child = lab.spawn(ns, [
    process.execPath,
    ...execArgv,
    join(REPO_ROOT, 'test/qkd/kme-sim-entry.ts'),
    'kme-sim',
    '--config',
    dir,
    '--listen',
    KME_HOST,
    '--port-a',
    String(ports[0]),
    '--port-b',
    String(ports[1]),
    '--verb',
    '3',
    ...extra,
  ]);
  let text = '';
  child.stdout?.on('data', (d: Buffer) => {
    text += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    text += d.toString();
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const ready = new Promise<void>((resolve, reject) => {
    const t = setInterval(() => {
      if (/^pool: /m.test(text)) {
        clearInterval(t);
        resolve();
      } else if (child.exitCode !== null) {
        clearInterval(t);
        reject(new Error(`kme-sim exited: ${text}`));
      }
    }, 50);
    setTimeout(() => {
      clearInterval(t);
      reject(new Error(`kme-sim not ready: ${text}`));
    }, 15_000);
  });
  ready.catch(() => {});
  return {
    child,
    output: () => text,
    ready,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

function qkdLines(kmeDir: string, side: 'a' | 'b', port: number, mode: 'required' | 'optional'): string {
  const [me, peer] = side === 'a' ? ['sae-a', 'sae-b'] : ['sae-b', 'sae-a'];
  return [
    `qkd-kme https://${KME_HOST}:${port}`,
    `qkd-sae-id ${me}`,
    `qkd-peer-sae-id ${peer}`,
    `qkd-ca ${kmeDir}/ca.crt`,
    `qkd-cert ${kmeDir}/${me}.crt`,
    `qkd-key ${kmeDir}/${me}.key`,
    `qkd-mode ${mode}`,
  ].join('\n');
}

const MIXED = /QKD key (\S+) mixed into key id (\d)/g;

function mixedKeyIds(out: string): string[] {
  return [...out.matchAll(MIXED)].map((m) => m[1]!);
}

async function ping(lab: NetnsLab, ns: Netns, count = 1): Promise<boolean> {
  try {
    await lab.exec(ns, ['ping', '-c', String(count), '-i', '0.2', '-W', '1', '10.8.0.1']);
    return true;
  } catch {
    return false;
  }
}

async function until(
  what: string,
  timeoutMs: number,
  check: () => Promise<boolean> | boolean,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describeTun('e2e: QKD keys from the KME simulator in the running tunnel', () => {
  const lab = useNetnsLab();
  const dir = useTempDir('pqvpn-e2e-qkd-');
  const kmeDir = join(dir, 'kme');
  let net: Awaited<ReturnType<typeof topology>>;
  let port = 9440;
  const daemons: (Daemon | Kme)[] = [];

  async function setup(): Promise<void> {
    if (net) return;
    await makePki(dir);
    const io = memoryIO();
    if ((await run(['kme-sim', 'init', kmeDir, '--host', KME_HOST, '--days', '2'], io)) !== 0)
      throw new Error(io.err.join('\n'));
    net = await topology(lab, 1);
  }

  /** Server (SAE A) and client (SAE B) with QKD, against `kmePorts` ([A, B]; A and B of different sims for (e)). */
  async function tunnel(
    name: string,
    mode: 'required' | 'optional',
    kmePorts: [number, number],
    o: { server?: string; client?: string } = {},
  ) {
    const c0 = net.clients[0]!;
    const status = join(dir, `status-${name}.log`);
    const server = startPqvpn(
      lab,
      net.server,
      'server',
      serverConfig(
        join(dir),
        `${qkdLines(kmeDir, 'a', kmePorts[0], mode)}\nreneg-sec 0\nstatus ${status} 1\n${o.server ?? ''}`,
      ),
    );
    daemons.push(server);
    await server.waitFor(/Initialization Sequence Completed/);
    const client = startPqvpn(
      lab,
      c0.ns,
      'client',
      clientConfig(
        dir,
        'alice',
        c0.serverAddress,
        `${qkdLines(kmeDir, 'b', kmePorts[1], mode)}\n${o.client ?? ''}`,
      ),
    );
    daemons.push(client);
    return { server, client, status, ns: c0.ns };
  }

  async function stopAll(): Promise<void> {
    for (const d of daemons.splice(0).reverse()) await d.stop();
  }

  function kmePorts(): [number, number] {
    port += 2;
    return [port - 1, port];
  }

  it('(a) required: ping through, a fresh QKD key for the handshake and every rekey, in both logs and the status', async () => {
    await setup();
    const ports = kmePorts();
    const kme = startKme(lab, net.server, kmeDir, ports);
    daemons.push(kme);
    await kme.ready;
    const t = await tunnel('a', 'required', ports, { client: 'reneg-sec 2\n' });
    try {
      await t.client.waitFor(/Initialization Sequence Completed/, 20_000);
      expect(await ping(lab, t.ns)).toBe(true);
      await t.client.waitFor(/(QKD key \S+ mixed into key id \d[^\n]*\n[\s\S]*){3}/, 15_000);
      await t.server.waitFor(/(QKD key \S+ mixed into key id \d[^\n]*\n[\s\S]*){3}/, 5000);
      const ids = mixedKeyIds(t.client.output());
      expect(new Set(ids).size).toBe(ids.length); // never reused
      // the server fetched exactly the keys the client offered, epoch by epoch
      const byEpoch = (out: string) => [...out.matchAll(MIXED)].map((m) => `${m[2]}:${m[1]}`);
      expect(byEpoch(t.server.output()).slice(0, 3)).toEqual(byEpoch(t.client.output()).slice(0, 3));
      expect(t.client.output()).toMatch(/QKD key \S+ mixed into key id 0 \(we started it\)/);
      expect(t.server.output()).toMatch(/QKD key \S+ mixed into key id 1 \(the peer started it\)/);
      expect(kme.output()).toMatch(/enc_keys/);
      expect(await ping(lab, t.ns)).toBe(true);
      await until('the status file QKD section', 5000, () =>
        /^alice,[\d.:]+,required,\S+,0,\S+ \S+/m.test(readStatus(t.status)),
      );
      const status = readStatus(t.status);
      expect(status).toMatch(/^QKD KEYS$/m);
      const row = /^alice,[\d.:]+,required,(\S+),0,(.*)$/m.exec(status)!;
      for (const id of row[2]!.split(' ')) expect(ids).toContain(id);
      console.log(
        `QKD required mode, client log:\n${t.client
          .output()
          .split('\n')
          .filter((l) => /QKD/.test(l))
          .slice(0, 6)
          .join('\n')}\nserver status:\n${status
          .split('\n')
          .filter((l) => /QKD|alice,.*required/.test(l))
          .join('\n')}`,
      );
    } finally {
      await stopAll();
    }
  }, 60_000);

  it('(b) optional: the KME stopped mid-session, rekeys go on without QKD, warned, traffic flows', async () => {
    await setup();
    const ports = kmePorts();
    const kme = startKme(lab, net.server, kmeDir, ports);
    daemons.push(kme);
    await kme.ready;
    const t = await tunnel('b', 'optional', ports, { client: 'reneg-sec 2\n' });
    try {
      await t.client.waitFor(/Initialization Sequence Completed/, 20_000);
      await t.server.waitFor(/QKD key \S+ mixed into key id 0/, 5000);
      await kme.stop();
      await t.client.waitFor(/QKD: rekey without a QKD key \(qkd-mode optional, hybrid KEM only\)/, 10_000);
      await t.client.waitFor(/QKD: key id \d runs without a QKD key/, 5000);
      await t.server.waitFor(/QKD: key id \d runs without a QKD key/, 5000);
      expect(await ping(lab, t.ns, 2)).toBe(true);
      expect(t.client.output().match(/Initialization Sequence Completed/g)).toHaveLength(1);
    } finally {
      await stopAll();
    }
  }, 40_000);

  it('(c) required: the KME stopped, the current keys run until hand-window, then traffic stops; the KME back, the tunnel recovers', async () => {
    await setup();
    const ports = kmePorts();
    let kme = startKme(lab, net.server, kmeDir, ports);
    daemons.push(kme);
    await kme.ready;
    const t = await tunnel('c', 'required', ports, {
      server: 'hand-window 5\n',
      client: 'reneg-sec 2\nhand-window 5\n',
    });
    try {
      await t.client.waitFor(/Initialization Sequence Completed/, 20_000);
      expect(await ping(lab, t.ns)).toBe(true);
      await kme.stop();
      // Either side may be the one without a key: the client when its prefetched key is gone
      // (it keeps the keys and retries), the server when the client offers its prefetched key
      // (it holds its refusal back). Either way the current keys carry traffic for now.
      await until(
        'a rekey waiting for QKD',
        8000,
        () =>
          /QKD: keeping the current keys; rekey retried in/.test(t.client.output()) ||
          /QKD: the current keys stay for [\d.]+ s, then key id \d is refused/.test(t.server.output()),
      );
      expect(await ping(lab, t.ns)).toBe(true);
      await t.client.waitFor(
        /restarting in \d+ s \((QKD_KEYS_EXPIRED|session closed: EXTRA_SECRET_UNAVAILABLE)/,
        10_000,
      );
      await t.client.waitFor(/QKD: no handshake without a QKD key \(qkd-mode required\)/, 5000);
      expect(await ping(lab, t.ns)).toBe(false); // traffic stopped
      kme = startKme(lab, net.server, kmeDir, ports);
      daemons.push(kme);
      await kme.ready;
      await t.client.waitFor(/(Initialization Sequence Completed[\s\S]*){2}/, 15_000);
      await until('ping after recovery', 5000, () => ping(lab, t.ns));
      expect(t.server.output()).toMatch(/session ended: (EXTRA_SECRET_UNAVAILABLE|CLOSE_NOTIFY)/);
      console.log(
        `KME outage in required mode, client:\n${t.client
          .output()
          .split('\n')
          .filter((l) => /QKD|restarting|Initialization/.test(l))
          .join('\n')}`,
      );
    } finally {
      await stopAll();
    }
  }, 60_000);

  it('(d) starvation, required: rekeys wait for the pool and follow its rate; the tunnel stays up', async () => {
    await setup();
    const ports = kmePorts();
    // one 256-bit key every 4 s, the client wants one every 2 s
    const kme = startKme(lab, net.server, kmeDir, ports, ['--rate', '64', '--capacity', '256']);
    daemons.push(kme);
    await kme.ready;
    const t = await tunnel('d', 'required', ports, { client: 'reneg-sec 2\nhand-window 15\n' });
    try {
      await t.client.waitFor(/Initialization Sequence Completed/, 20_000);
      await t.client.waitFor(
        /QKD: no rekey without a QKD key \(qkd-mode required\): .*(503|QKD_UNAVAILABLE)/,
        10_000,
      );
      await t.client.waitFor(/(QKD key \S+ mixed into key id \d[^\n]*\n[\s\S]*){3}/, 15_000);
      const ids = mixedKeyIds(t.client.output());
      expect(new Set(ids).size).toBe(ids.length);
      expect(t.client.output()).not.toMatch(/QKD_KEYS_EXPIRED/);
      expect(t.client.output().match(/Initialization Sequence Completed/g)).toHaveLength(1);
      expect(await ping(lab, t.ns)).toBe(true);
    } finally {
      await stopAll();
    }
  }, 60_000);

  it('(e) mismatch: KMEs that share no keys fail the handshake with the reason in both logs', async () => {
    await setup();
    const one = kmePorts();
    const two = kmePorts();
    const kme1 = startKme(lab, net.server, kmeDir, one);
    const kme2 = startKme(lab, net.server, kmeDir, two);
    daemons.push(kme1, kme2);
    await Promise.all([kme1.ready, kme2.ready]);
    // server: KME A of simulator 1; client: KME B of simulator 2
    const t = await tunnel('e', 'required', [one[0], two[1]]);
    try {
      const server = await t.server.waitFor(
        /QKD: cannot get key \S+ offered for key id 0 from our KME: [^\n]*/,
        15_000,
      );
      expect(server).toMatch(/refusing the key epoch/);
      await t.server.waitFor(/handshake ended: EXTRA_SECRET_UNAVAILABLE/, 5000);
      await t.client.waitFor(
        /session closed: EXTRA_SECRET_UNAVAILABLE by the server \([^\n]*the peer's KME did not deliver our QKD key/,
        5000,
      );
      expect(t.client.output()).not.toMatch(/Initialization Sequence Completed/);
      console.log(`mismatch, server: ${server}`);
    } finally {
      await stopAll();
    }
  }, 40_000);
});

function readStatus(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
