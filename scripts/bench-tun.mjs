#!/usr/bin/env node
// npm run bench:tun [-- --packets N --runs N --sender c|node|both]   (root; docs/TUN.md)
//
// How fast can Node read packets from a TUN device? A reader process owns a
// TUN device inside a throwaway network namespace; a flood of 1400-byte UDP
// datagrams into the device's subnet is routed by the kernel into the device,
// and the reader counts what it gets. Three readers:
//   addon-64   the native addon: uv_poll readiness, up to 64 reads per wakeup, one JS call per batch
//   addon-1    the same with one read per wakeup (what batching buys)
//   fs.read    Node's fs.read on a blocking descriptor, one read in flight (thread pool)
// Two packet sources: native/tun/flood.c (sendmmsg, compiled here with cc) and
// a Node dgram sender (slower; shows what a Node process can push).
// Rate = packets read / time from first to last packet read; the kernel drops
// what the reader cannot take (the device queue holds 500). Medians of --runs.
// The namespace and every process are removed at the end, also on Ctrl-C.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const ADDON = join(ROOT, 'build/Release/pqvpn_tun.node');
const DEVICE = 'pqb0';
const LOCAL = '10.250.0.1';
const TARGET = '10.250.0.2';
const SIZE = 1400;
const PORT = 9;

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

// ---- reader (runs inside the namespace) ------------------------------------

function reader(mode) {
  const tun = createRequire(import.meta.url)(ADDON);
  const handle = tun.open(DEVICE, 1500, mode === 'fs.read');
  execFileSync('ip', ['addr', 'add', `${LOCAL}/24`, 'dev', handle.name]);
  execFileSync('ip', ['link', 'set', 'dev', handle.name, 'up']);
  let packets = 0;
  let calls = 0;
  let first = 0;
  let last = 0;
  const mark = (n) => {
    const now = performance.now();
    if (packets === 0) first = now;
    packets += n;
    calls += 1;
    last = now;
  };
  if (mode === 'fs.read') {
    // Imported lazily so the addon modes do not touch the thread pool.
    import('node:fs').then(({ read }) => {
      const buf = Buffer.alloc(2048);
      const next = () =>
        read(handle.fd, buf, 0, buf.length, null, (error, n) => {
          if (error) throw error;
          if (n > 0) mark(1);
          next();
        });
      next();
    });
  } else {
    const slots = mode === 'addon-1' ? 1 : 64;
    const slot = 1536;
    const buffer = new Uint8Array(slot * slots);
    const lengths = new Int32Array(slots);
    handle.start(buffer, lengths, slot, (n, errno) => {
      if (errno !== 0) throw new Error(`read failed: errno ${errno}`);
      mark(n);
    });
  }
  createInterface({ input: process.stdin }).on('line', () => {
    process.stdout.write(`${JSON.stringify({ packets, calls, seconds: (last - first) / 1000 })}\n`);
  });
  process.stdout.write('ready\n');
}

// ---- driver (root namespace) -------------------------------------------------

const NODE_SENDER = `
  const s = require('node:dgram').createSocket('udp4');
  const total = Number(process.argv[1]); let seq = 0; const t0 = performance.now();
  function burst() {
    for (let i = 0; i < 512 && seq < total; i++) {
      const b = Buffer.alloc(${SIZE}); b.writeUInt32BE(seq++, 0); s.send(b, ${PORT}, '${TARGET}');
    }
    if (seq < total) setImmediate(burst);
    else s.close(() => process.stderr.write('node sender: ' + Math.round(total / ((performance.now() - t0) / 1000)) + ' pps\\n'));
  }
  burst();`;

function run(argv, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], ...options });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(stderr);
      else reject(new Error(`${argv.join(' ')} exited ${code}: ${stderr}`));
    });
  });
}

async function measure(ns, mode, sender, flood, packets) {
  const child = spawn(
    'ip',
    ['netns', 'exec', ns, process.execPath, fileURLToPath(import.meta.url), '--reader', mode],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const lines = createInterface({ input: child.stdout });
  const nextLine = () =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`reader ${mode} did not answer`)), 15_000);
      lines.once('line', (line) => {
        clearTimeout(timer);
        resolve(line);
      });
      child.once('exit', () => reject(new Error(`reader ${mode} exited`)));
    });
  try {
    if ((await nextLine()) !== 'ready') throw new Error(`reader ${mode} did not start`);
    const argv =
      sender === 'c'
        ? [flood, TARGET, String(packets), String(SIZE), String(PORT)]
        : [process.execPath, '-e', NODE_SENDER, String(packets)];
    const senderLog = await run(['ip', 'netns', 'exec', ns, ...argv]);
    const sent = /= (\d+) pps|: (\d+) pps/.exec(senderLog);
    await new Promise((r) => setTimeout(r, 300)); // let the reader drain the device queue
    child.stdin.write('report\n');
    const report = JSON.parse(await nextLine());
    const senderPps = Number(sent?.[1] ?? sent?.[2] ?? Number.NaN);
    return {
      ...report,
      pps: report.packets / report.seconds,
      batch: report.packets / report.calls,
      senderPps,
    };
  } finally {
    // SIGKILL: an fs.read reader has a thread blocked in read(2) that would keep it alive.
    child.kill('SIGKILL');
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function main() {
  if (process.getuid?.() !== 0) {
    console.error('bench:tun needs root (it creates a network namespace and a TUN device)');
    process.exit(2);
  }
  try {
    createRequire(import.meta.url)(ADDON);
  } catch {
    console.error(`native TUN addon not built (${ADDON}): run npm ci (needs g++ and Node headers)`);
    process.exit(2);
  }
  const runs = Number(arg('runs', '3'));
  const packets = Number(arg('packets', '1000000'));
  const senderArg = arg('sender', 'both');
  const senders = senderArg === 'both' ? ['c', 'node'] : [senderArg];
  const nodePackets = Math.min(packets, 300_000); // the Node sender is slower; keep its runs short

  const dir = mkdtempSync(join(tmpdir(), 'pqvpn-bench-tun-'));
  const ns = `pqtb-${process.pid}`;
  let nsCreated = false;
  const cleanup = () => {
    if (nsCreated) {
      try {
        const pids = execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' })
          .split(/\s+/)
          .filter(Boolean);
        for (const pid of pids) process.kill(Number(pid), 'SIGKILL');
        execFileSync('ip', ['netns', 'del', ns]);
      } catch {
        // best effort
      }
      nsCreated = false;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => {
      cleanup();
      process.exit(130);
    });
  }
  try {
    const flood = join(dir, 'flood');
    if (senders.includes('c')) {
      execFileSync('cc', ['-O2', '-o', flood, join(ROOT, 'native/tun/flood.c')], { stdio: 'inherit' });
    }
    execFileSync('ip', ['netns', 'add', ns]);
    nsCreated = true;
    execFileSync('ip', ['-n', ns, 'link', 'set', 'dev', 'lo', 'up']);
    console.log(
      `TUN read benchmark: ${SIZE}-byte UDP into ${DEVICE}, ${runs} runs each, ${describeMachine()}`,
    );
    const rows = [];
    for (const sender of senders) {
      for (const mode of ['addon-64', 'addon-1', 'fs.read']) {
        const results = [];
        for (let i = 0; i < runs; i++) {
          results.push(await measure(ns, mode, sender, flood, sender === 'c' ? packets : nodePackets));
        }
        const row = {
          sender: sender === 'c' ? 'flood.c (sendmmsg)' : 'node dgram',
          reader: mode,
          medianPps: Math.round(median(results.map((r) => r.pps))),
          runsPps: results.map((r) => Math.round(r.pps)).join(' / '),
          avgBatch: median(results.map((r) => r.batch)).toFixed(1),
          senderPps: Math.round(median(results.map((r) => r.senderPps))),
        };
        rows.push(row);
        console.log(
          `${row.sender.padEnd(20)} ${row.reader.padEnd(9)} median ${String(row.medianPps).padStart(8)} pps` +
            `  (runs ${row.runsPps}; avg batch ${row.avgBatch}; sender ${row.senderPps} pps)`,
        );
      }
    }
  } finally {
    cleanup();
  }
}

function describeMachine() {
  const model = cpus()[0]?.model ?? 'unknown CPU';
  return `${cpus().length} CPUs (${model}), load average ${loadavg()[0].toFixed(1)}`;
}

if (process.argv[2] === '--reader') reader(process.argv[3]);
else await main();
