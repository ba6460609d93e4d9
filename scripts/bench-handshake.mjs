#!/usr/bin/env node
// `npm run bench:handshake`: what a pqvpn handshake costs on this machine (a benchmark, not a test).
//
// Runs the compiled dist/ (npm run build first), in-process, no sockets:
//   1. per-primitive timings (KEM keygen/encaps/decaps, signature sign/verify, certificate chain verify);
//   2. the size of each handshake flight per suite (datagrams and bytes at the default control MTU);
//   3. server handshakes per second per suite: the server on the main thread (its CPU time per handshake,
//      which is also how long it blocks that thread), and through the worker pool (clients in a separate
//      worker thread; wall-clock throughput and the main thread's own time per handshake).
// Every figure is the median of several runs (>= 5) with the min-max range: timings here are noisy.
// Options: --quick (fewer runs and handshakes), --suites x-wing/ml-dsa-65,... , --workers N.
// This file is also the entry of the client-load worker thread (see runClientWorker).

import { availableParallelism } from 'node:os';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

const dist = new URL('../dist/', import.meta.url);
const load = (path) => import(new URL(path, dist).href);

const [{ signatureSchemeByName }, { kemSuiteByName }, { createCertificate }, { certificateToPem }] =
  await Promise.all([
    load('crypto/signature-schemes.js'),
    load('protocol/handshake/kem-suites.js'),
    load('pki/issue.js'),
    load('pki/certificate.js'),
  ]);
const [{ ServerEndpoint }, { ClientSession }, { createHandshakeCrypto }, { createPkiPeerVerifier }] =
  await Promise.all([
    load('protocol/control/server-endpoint.js'),
    load('protocol/handshake/client.js'),
    load('protocol/handshake/crypto-provider.js'),
    load('protocol/handshake/pki-verifier.js'),
  ]);
const { randomBytes } = await import('node:crypto');
const random = (n) => new Uint8Array(randomBytes(n));

/** A CA and a server and a client certificate, all under `scheme`. Plain data, so it can go to a worker. */
function makePki(scheme) {
  const s = signatureSchemeByName(scheme);
  const now = new Date(Date.now() - 86_400_000);
  const ca = createCertificate({
    profile: 'ca',
    subject: { commonName: 'bench CA' },
    scheme: s,
    days: 30,
    now,
    random,
  });
  const leaf = (profile, cn) => {
    const c = createCertificate(
      { profile, subject: { commonName: cn }, scheme: s, days: 30, now, random },
      { certificate: ca.certificate, key: ca.key },
    );
    return { chain: [c.certificate.der], scheme, secretKey: c.key.secretKey };
  };
  return {
    caPem: certificateToPem(ca.certificate),
    ca,
    server: leaf('server', 'vpn.example.org'),
    client: leaf('client', 'bench-client'),
  };
}

// ---------------------------------------------------------------------------------------------- client worker

/** Client-load worker: runs `count` client handshakes, `concurrency` at a time, against the main thread's pool. */
async function runClientWorker({ suite, pki, count, concurrency }) {
  const crypto = createHandshakeCrypto();
  const verifier = createPkiPeerVerifier({ trustAnchors: [pki.caPem] });
  const sessions = new Map();
  let started = 0;
  let done = 0;
  const startOne = () => {
    const address = `10.0.${started >> 8}.${started & 255}:1194`;
    started++;
    const session = new ClientSession({ kemSuites: [suite], identity: pki.client }, { crypto, verifier });
    sessions.set(address, session);
    perform(address, session.start(Date.now()));
  };
  const timers = new Map();
  const perform = (address, actions) => {
    for (const a of actions) {
      if (a.type === 'send')
        parentPort.postMessage({ type: 'datagram', datagram: a.datagram, from: address });
      else if (a.type === 'timer') {
        // The session's own timer (delayed ACKs, retransmissions), as a control plane would run it.
        clearTimeout(timers.get(address));
        if (a.at < Number.POSITIVE_INFINITY && sessions.has(address)) {
          const s = sessions.get(address);
          timers.set(
            address,
            setTimeout(() => perform(address, s.onTimer(Date.now())), Math.max(0, a.at - Date.now())),
          );
        }
      } else if (a.type === 'established' || a.type === 'closed') {
        sessions.delete(address);
        clearTimeout(timers.get(address));
        if (a.type === 'closed')
          parentPort.postMessage({ type: 'failed', reason: a.reason, detail: a.detail });
        done++;
        if (done === count) parentPort.postMessage({ type: 'finished' });
        else if (started < count) startOne();
      }
    }
  };
  const listen = () =>
    parentPort.on('message', (m) => {
      const s = sessions.get(m.to);
      if (s) perform(m.to, s.receive(Date.now(), m.datagram));
    });
  parentPort.postMessage({ type: 'ready' });
  await new Promise((resolve) => parentPort.once('message', resolve)); // 'go'
  listen();
  for (let i = 0; i < Math.min(concurrency, count); i++) startOne();
}

// ---------------------------------------------------------------------------------------------- main

function stats(samples) {
  const s = [...samples].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)], min: s[0], max: s[s.length - 1] };
}
const fmt = (x, digits = 2) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(digits));
const range = (st, digits) => `${fmt(st.median, digits)} (${fmt(st.min, digits)}–${fmt(st.max, digits)})`;

/** Median per-operation time in ms over `runs` runs of `batch` operations each. */
function timeOp(fn, runs, batch) {
  fn(); // warm up (JIT, lazy tables)
  const samples = [];
  for (let r = 0; r < runs; r++) {
    const t = performance.now();
    for (let i = 0; i < batch; i++) fn();
    samples.push((performance.now() - t) / batch);
  }
  return stats(samples);
}

function table(title, header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => `| ${cells.map((c, i) => String(c).padEnd(widths[i])).join(' | ')} |`;
  console.log(`\n### ${title}\n`);
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rows) console.log(line(r));
}

function primitives(runs) {
  const rows = [];
  const kem = (name, k) => {
    const kp = k.keygen(random(k.keygenSeedBytes ?? 64));
    const enc = k.encapsulate(kp.publicKey, random(k.encapsulationSeedBytes ?? 32));
    rows.push([name, 'keygen', range(timeOp(() => k.keygen(random(k.keygenSeedBytes ?? 64)), runs, 5))]);
    rows.push([
      name,
      'encapsulate',
      range(timeOp(() => k.encapsulate(kp.publicKey, random(k.encapsulationSeedBytes ?? 32)), runs, 5)),
    ]);
    rows.push([
      name,
      'decapsulate',
      range(timeOp(() => k.decapsulate(enc.cipherText, kp.secretKey), runs, 5)),
    ]);
  };
  kem('x-wing', kemSuiteByName('x-wing'));
  kem('ml-kem-1024', kemSuiteByName('ml-kem-1024'));
  return rows;
}

async function mlKem768Rows(runs) {
  const { ml_kem768 } = await import('@noble/post-quantum/ml-kem.js');
  const kp = ml_kem768.keygen();
  const enc = ml_kem768.encapsulate(kp.publicKey);
  return [
    ['ml-kem-768', 'keygen', range(timeOp(() => ml_kem768.keygen(), runs, 5))],
    ['ml-kem-768', 'encapsulate', range(timeOp(() => ml_kem768.encapsulate(kp.publicKey), runs, 5))],
    [
      'ml-kem-768',
      'decapsulate',
      range(timeOp(() => ml_kem768.decapsulate(enc.cipherText, kp.secretKey), runs, 5)),
    ],
  ];
}

function signatureRows(runs) {
  const rows = [];
  const msg = random(200);
  for (const [name, batch] of [
    ['ml-dsa-44', 5],
    ['ml-dsa-65', 5],
    ['ml-dsa-87', 5],
    ['falcon-512', 3],
    ['slh-dsa-sha2-128f', 1],
  ]) {
    const s = signatureSchemeByName(name);
    const kp = s.keygen(random(s.seedBytes));
    const sig = s.sign(kp.secretKey, msg);
    rows.push([name, 'sign', range(timeOp(() => s.sign(kp.secretKey, msg), runs, batch))]);
    rows.push([name, 'verify', range(timeOp(() => s.verify(kp.publicKey, msg, sig), runs, batch))]);
  }
  for (const scheme of ['ml-dsa-65', 'ml-dsa-44']) {
    const pki = makePki(scheme);
    const verifier = createPkiPeerVerifier({ trustAnchors: [pki.ca.certificate] });
    const chain = pki.client.chain;
    const check = () => {
      if (!verifier.verify(chain, 'clientAuth', Date.now()).ok) throw new Error('chain did not verify');
    };
    rows.push([`chain (${scheme} CA + leaf)`, 'verify', range(timeOp(check, runs, 5))]);
  }
  return rows;
}

/**
 * One handshake, client and ServerEndpoint on this thread, exchanged in lock-step phases (everything one side
 * sends in answer to everything the other sent). Returns the server's CPU time and the phases' sizes.
 */
function inProcessHandshake(suite, pki, crypto, verifiers) {
  const now = Date.now();
  const server = new ServerEndpoint(
    { session: { identity: pki.server, clientAuth: { certificate: true, password: false } }, cookies: 'off' },
    { crypto, verifier: verifiers.server },
  );
  const client = new ClientSession(
    { kemSuites: [suite], identity: pki.client },
    { crypto, verifier: verifiers.client },
  );
  let serverMs = 0;
  const timed = (f) => {
    const t = performance.now();
    const r = f();
    serverMs += performance.now() - t;
    return r;
  };
  const phases = [];
  const sends = (actions) => actions.filter((a) => a.type === 'send').map((a) => a.datagram);
  let toServer = sends(client.start(now));
  let established = false;
  for (let round = 0; round < 12 && !established; round++) {
    if (toServer.length)
      phases.push({ dir: 'c→s', n: toServer.length, bytes: toServer.reduce((s, d) => s + d.length, 0) });
    const fromServer = [];
    for (const d of toServer) {
      const actions = timed(() => server.receive(now, d, '192.0.2.1:1194'));
      for (const a of actions) {
        if (a.type === 'send') fromServer.push(a.datagram);
        if (a.type === 'auth-needed') {
          for (const b of timed(() =>
            server.authResult(now, a.session, { ok: true, peerId: 1, pushOptions: ['ping 10'] }),
          )) {
            if (b.type === 'send') fromServer.push(b.datagram);
          }
        }
      }
    }
    if (fromServer.length)
      phases.push({ dir: 's→c', n: fromServer.length, bytes: fromServer.reduce((s, d) => s + d.length, 0) });
    toServer = [];
    for (const d of fromServer) {
      const actions = client.receive(now, d);
      toServer.push(...sends(actions));
      if (actions.some((a) => a.type === 'established')) established = true;
    }
  }
  if (!established) throw new Error(`${suite}: handshake did not complete`);
  if (toServer.length)
    phases.push({ dir: 'c→s', n: toServer.length, bytes: toServer.reduce((s, d) => s + d.length, 0) });
  return { serverMs, phases };
}

/**
 * End to end: `count` handshakes (`concurrency` at a time) from clients in a worker thread against a server
 * control plane on this thread — in-process (`workers` = 0) or the worker pool. Measures throughput, this
 * thread's time inside `receive()` (for the in-process plane that includes the server's public-key work,
 * run synchronously; auth is answered from inside it) and the longest single `receive()`: the stall a data
 * packet queued behind it would see.
 */
async function endToEnd(suite, pki, workers, count, concurrency) {
  const [{ createWorkerPoolServerControlPlane }, { createInProcessServerControlPlane }] = await Promise.all([
    load('runtime/handshake-pool.js'),
    load('runtime/in-process.js'),
  ]);
  let clientWorker;
  let plane;
  const options = {
    session: { identity: pki.server, clientAuth: { certificate: true, password: false } },
    verifier: { trustAnchors: [pki.caPem] },
    cookies: 'off',
  };
  const sink = {
    send: (datagram, to) => clientWorker.postMessage({ datagram, to }),
    event: (e) => {
      if (e.type === 'auth-needed')
        plane.authResult(e.session, { ok: true, peerId: 1, pushOptions: ['ping 10'] });
    },
  };
  plane =
    workers > 0
      ? await createWorkerPoolServerControlPlane({ ...options, workers }, sink)
      : await createInProcessServerControlPlane(options, sink);
  const pool = plane;
  const serializable = { caPem: pki.caPem, client: pki.client };
  const failures = [];
  let t0 = 0;
  let elu0;
  let receiveMs = 0;
  let maxStallMs = 0;
  await new Promise((resolve, reject) => {
    clientWorker = new Worker(new URL(import.meta.url), {
      workerData: { suite, pki: serializable, count, concurrency },
    });
    clientWorker.on('message', (m) => {
      if (m.type === 'datagram') {
        const t = performance.now();
        pool.receive(m.datagram, m.from);
        const ms = performance.now() - t;
        receiveMs += ms;
        maxStallMs = Math.max(maxStallMs, ms);
      } else if (m.type === 'failed') failures.push(`${m.reason} ${m.detail ?? ''}`);
      else if (m.type === 'finished') resolve();
      else if (m.type === 'ready') {
        t0 = performance.now();
        // Everything the main thread does (gate, routing, results, posting) is event-loop active time.
        elu0 = performance.eventLoopUtilization();
        clientWorker.postMessage({ type: 'go' });
      }
    });
    clientWorker.on('error', reject);
  });
  const wallMs = performance.now() - t0;
  const mainMs = performance.eventLoopUtilization(elu0).active;
  await clientWorker.terminate();
  await pool.shutdown('shutdown');
  if (failures.length) throw new Error(`handshakes failed: ${failures.slice(0, 3).join('; ')}`);
  if (process.env.BENCH_DEBUG) console.error({ wallMs, mainMs, receiveMs, count });
  return {
    perSecond: (count * 1000) / wallMs,
    mainMsPerHandshake: mainMs / count,
    receiveMsPerHandshake: receiveMs / count,
    maxStallMs,
  };
}

async function main() {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const arg = (name) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const runs = quick ? 5 : 7;
  const workers = Number(arg('--workers') ?? Math.max(1, availableParallelism() - 1));
  const suites = (
    arg('--suites') ??
    'x-wing/ml-dsa-65,ml-kem-1024/ml-dsa-65,x-wing/ml-dsa-44,x-wing/ml-dsa-87,x-wing/slh-dsa-sha2-128f'
  )
    .split(',')
    .map((s) => s.split('/'));

  console.log(`# pqvpn handshake benchmark`);
  console.log(
    `\nNode ${process.version}, ${availableParallelism()} cores, ${runs} runs per figure (median, min–max); pool workers: ${workers}.`,
  );

  table(
    'Primitives (ms per operation)',
    ['primitive', 'operation', 'ms'],
    [...primitives(runs), ...(await mlKem768Rows(runs)), ...signatureRows(runs)],
  );

  const sizeRows = [];
  const rateRows = [];
  const cpuRows = [];
  for (const [suite, scheme] of suites) {
    const pki = makePki(scheme);
    const crypto = createHandshakeCrypto();
    const verifiers = {
      server: createPkiPeerVerifier({ trustAnchors: [pki.ca.certificate] }),
      client: createPkiPeerVerifier({ trustAnchors: [pki.ca.certificate] }),
    };
    const first = inProcessHandshake(suite, pki, crypto, verifiers);
    sizeRows.push([
      `${suite} / ${scheme}`,
      first.phases.map((p) => `${p.dir} ${p.n}×, ${p.bytes} B`).join('; '),
      first.phases.reduce((s, p) => s + p.bytes, 0),
    ]);
    const slow = scheme.startsWith('slh-dsa');
    const perRun = quick || slow ? 3 : 5;
    const serverMs = [];
    for (let r = 0; r < runs; r++) {
      let ms = 0;
      for (let i = 0; i < perRun; i++) ms += inProcessHandshake(suite, pki, crypto, verifiers).serverMs;
      serverMs.push(ms / perRun);
    }
    const inProc = stats(serverMs);
    cpuRows.push([`${suite} / ${scheme}`, range(inProc), range(stats(serverMs.map((ms) => 1000 / ms)), 1)]);
    const count = quick || slow ? 12 : 24;
    for (const [label, w] of [
      ['in-process', 0],
      [`pool, ${workers} worker${workers > 1 ? 's' : ''}`, workers],
    ]) {
      const e2e = [];
      for (let r = 0; r < 5; r++) e2e.push(await endToEnd(suite, pki, w, count, 8));
      rateRows.push([
        `${suite} / ${scheme}`,
        label,
        range(stats(e2e.map((x) => x.perSecond)), 1),
        range(stats(e2e.map((x) => x.receiveMsPerHandshake)), 3),
        range(stats(e2e.map((x) => x.maxStallMs)), 2),
        range(stats(e2e.map((x) => x.mainMsPerHandshake)), 1),
      ]);
    }
  }
  table(
    'Handshake flights (certificate mode, default MTU; in lock-step order, ACK-only datagrams included)',
    ['suite / certificates', 'flights', 'total bytes'],
    sizeRows,
  );
  table(
    'Server CPU per handshake (certificate mode; client and server on one thread in lock-step, server calls timed)',
    ['suite / certificates', 'server ms per handshake', 'handshakes/s per core'],
    cpuRows,
  );
  table(
    'End to end (clients in a worker thread, 8 handshakes at a time; server control plane on the main thread or the pool)',
    [
      'suite / certificates',
      'server',
      'handshakes/s',
      'main thread: ms in receive() per handshake',
      'longest receive() (event-loop stall, ms)',
      'main thread event-loop active ms per handshake',
    ],
    rateRows,
  );
}

if (isMainThread) await main();
else await runClientWorker(workerData);
