import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { type Netns, useNetnsLab } from '../support/netns.js';
import { describeTun } from '../support/root.js';
import { REPO_ROOT } from '../support/run-ts.js';
import { TunChild } from './child.js';
import { buildUdp, parseUdp, type UdpView } from './packets.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const bytes = (text: unknown): Uint8Array => Buffer.from(String(text), 'hex');

/** Consumes batches until one holds a UDP packet to `port` (the kernel also sends IPv6 router solicitations). */
async function nextUdp(child: TunChild, port: number): Promise<UdpView> {
  for (;;) {
    const batch = await child.event('batch');
    const found = (batch.packets as string[])
      .map(bytes)
      .map(parseUdp)
      .find((p) => p?.dstPort === port);
    if (found) return found;
  }
}

describeTun('Linux TUN device in a network namespace', () => {
  const lab = useNetnsLab();

  async function start(args: readonly string[], prefix: readonly string[] = []) {
    const ns = await lab.namespace();
    const child = new TunChild(lab, ns, args, prefix);
    const ready = await child.event(prefix.length > 0 ? 'error' : 'ready');
    return { ns, child, name: String(ready.name), ready };
  }

  // One device serves the tests below in order (a child costs ~1 s of TypeScript loading); the
  // last of them closes it.
  let shared: { ns: Netns; child: TunChild; name: string };
  beforeAll(async () => {
    shared = await start(['pqt%d', '1400', '64', '10.201.0.1/24', 'fd01::1/64']);
  });

  it('delivers datagrams the kernel routes into the subnet (IPv4 and IPv6), with the right bytes', async () => {
    const { child, name } = shared;
    expect(name).toMatch(/^pqt\d+$/);
    const payload = hex(Buffer.from('hello through the tun'));
    child.send({ op: 'udp-send', to: '10.201.0.2', port: 4000, hex: payload });
    const udp = await nextUdp(child, 4000);
    expect(udp).toMatchObject({ version: 4, src: '10.201.0.1', dst: '10.201.0.2', dstPort: 4000 });
    expect(hex(udp.payload)).toBe(payload);

    child.send({ op: 'udp-send', to: 'fd01::2', port: 4001, hex: payload });
    const udp6 = await nextUdp(child, 4001);
    expect(udp6).toMatchObject({ version: 6, src: 'fd01:0:0:0:0:0:0:1', dst: 'fd01:0:0:0:0:0:0:2' });
    expect(hex(udp6.payload)).toBe(payload);
  });

  it('writes packets the kernel delivers to a socket (IPv4 and IPv6), and answers ping', async () => {
    const { ns, child } = shared;
    child.send({ op: 'udp-listen', address: '10.201.0.1', port: 5000 });
    await child.event('listening');
    const payload = Buffer.from('from the other end of the tunnel');
    child.send({ op: 'write', hex: hex(buildUdp('10.201.0.9', 6000, '10.201.0.1', 5000, payload)) });
    expect((await child.event('written')).ok).toBe(true);
    expect(await child.event('udp')).toMatchObject({ from: '10.201.0.9', port: 6000, hex: hex(payload) });

    child.send({ op: 'udp-listen', address: 'fd01::1', port: 5001 });
    await child.event('listening');
    child.send({ op: 'write', hex: hex(buildUdp('fd01::9', 6001, 'fd01::1', 5001, payload)) });
    expect((await child.event('written')).ok).toBe(true);
    expect(await child.event('udp')).toMatchObject({ from: 'fd01::9', port: 6001, hex: hex(payload) });

    // Not an IP packet: the kernel refuses it; write() says false and counts it by errno.
    child.send({ op: 'write', hex: '00'.repeat(40) });
    expect((await child.event('written')).ok).toBe(false);
    child.send({ op: 'report' });
    expect((await child.event('report')).stats).toMatchObject({
      packetsWritten: 2,
      writeDrops: { EINVAL: 1 },
    });

    // ping from the namespace gets its replies from the device's writes.
    child.send({ op: 'echo-responder' });
    await child.event('mode');
    const { stdout } = await lab.exec(ns, ['ping', '-c3', '-i0.2', '-W2', '10.201.0.77']);
    expect(stdout).toMatch(/3 received/);
  });

  it('keeps order under a flood: sequence numbers arrive strictly increasing', async () => {
    const { ns, child } = shared;
    child.send({ op: 'count-seq', port: 7000 });
    await child.event('mode');
    const total = 20_000;
    // A separate sender process, in bursts so its socket buffer does not refuse.
    const sender = `
      const s = require('node:dgram').createSocket('udp4');
      const total = ${total}; let seq = 0;
      function burst() {
        for (let i = 0; i < 256 && seq < total; i++) {
          const b = Buffer.alloc(1200); b.writeUInt32BE(seq++, 0); s.send(b, 7000, '10.201.0.2');
        }
        if (seq < total) setImmediate(burst); else setTimeout(() => s.close(), 100);
      }
      burst();`;
    await lab.exec(ns, [process.execPath, '-e', sender], { timeoutMs: 20_000 });
    await new Promise((r) => setTimeout(r, 200));
    child.send({ op: 'report' });
    const report = await child.event('report');
    expect(report.seqOutOfOrder).toBe(0);
    // The kernel may drop when its 500-packet queue is full, but most must arrive.
    expect(report.seqReceived).toBeGreaterThan(total / 2);
    expect(report.seqReceived).toBeLessThanOrEqual(total);
    expect(report.maxBatch).toBeLessThanOrEqual(64);
  });

  it('reports kernel refusals with errno names: a name taken by a non-TUN device, a busy device', async () => {
    const { child, name } = shared;
    child.send({ op: 'open', name: 'lo' });
    expect(await child.event('open-result')).toMatchObject({
      ok: false,
      code: 'TUN_OPEN_FAILED',
      errno: 'EINVAL',
    });
    child.send({ op: 'open', name });
    const busy = await child.event('open-result');
    expect(busy).toMatchObject({ ok: false, code: 'TUN_OPEN_FAILED', errno: 'EBUSY' });
    expect(String(busy.message)).toContain('in use by another process');
    child.send({ op: 'open', name: 'bad/name' });
    expect(await child.event('open-result')).toMatchObject({ ok: false, code: 'TUN_BAD_NAME' });
  });

  it('closes twice, drops writes after close, removes the device, and lets the process exit by itself', async () => {
    const { ns, child, name } = shared;
    await lab.exec(ns, ['ip', 'link', 'show', 'dev', name]);
    child.send({ op: 'close' });
    expect(await child.event('closed')).toMatchObject({ writeAfterClose: false });
    expect(await child.exited()).toBe(0);
    await expect(lab.exec(ns, ['ip', 'link', 'show', 'dev', name])).rejects.toThrow(/does not exist/);
  });

  it('stops reading and reports TUN_READ_FAILED when the interface is deleted under it', async () => {
    const { ns, child, name } = await start(['pqt%d', '1400', '64', '10.205.0.1/24']);
    await lab.exec(ns, ['ip', 'link', 'del', 'dev', name]);
    const error = await child.event('read-error');
    expect(error).toMatchObject({ code: 'TUN_READ_FAILED' });
    expect(String(error.errno)).toMatch(/^EBADF/);
    child.send({ op: 'close' });
    expect(await child.exited()).toBe(0);
  });

  it('the raw addon refuses misuse with exceptions, and exits cleanly while reading (process.exit, worker terminate)', async () => {
    const ns = await lab.namespace();
    const addon = `${REPO_ROOT}build/Release/pqvpn_tun.node`;
    // Plain JavaScript on the addon itself: fast to start, and nothing between the addon and the exit.
    const script = `
      const { Worker, isMainThread, parentPort } = require('node:worker_threads');
      const tun = require(${JSON.stringify(addon)});
      const read = () => {
        const h = tun.open('pqx%d', 1400);
        h.start(new Uint8Array(1408 * 4), new Int32Array(4), 1408, () => {});
        return h.name;
      };
      const refusal = (fn) => { try { fn(); return 'no error'; } catch (e) { return e.constructor.name + ': ' + e.message; } };
      if (isMainThread) {
        // Misuse of the raw addon is an exception, never a crash.
        const b = tun.open('pqb%d', 1400, true);
        const h = tun.open('pqc%d', 1400);
        const buf = new Uint8Array(1408 * 4);
        const lens = new Int32Array(4);
        const refusals = {
          blocking: refusal(() => b.start(buf, lens, 1408, () => {})),
          types: refusal(() => h.start(new Uint16Array(4), lens, 1408, () => {})),
          small: refusal(() => h.start(new Uint8Array(100), lens, 1408, () => {})),
          twice: (h.start(buf, lens, 1408, () => {}), refusal(() => h.start(buf, lens, 1408, () => {}))),
          write: refusal(() => h.write('not bytes')),
          afterClose: (b.close(), b.close(), refusal(() => b.start(buf, lens, 1408, () => {}))),
          writeAfterClose: b.write(new Uint8Array(20)),
        };
        console.log(JSON.stringify(refusals));
        read();
        const w = new Worker(__filename);
        w.on('message', async () => { await w.terminate(); setTimeout(() => process.exit(0), 20); });
      } else {
        parentPort.postMessage(read());
      }`;
    const dir = mkdtempSync(join(tmpdir(), 'pqvpn-tun-exit-'));
    try {
      writeFileSync(join(dir, 'exit.cjs'), script);
      const { stdout } = await lab.exec(ns, [process.execPath, join(dir, 'exit.cjs')]);
      expect(JSON.parse(stdout)).toEqual({
        blocking: 'Error: TUN handle is blocking: read it with fs.read, not start()',
        types: 'TypeError: start: buffer must be a Uint8Array and lengths an Int32Array',
        small: 'RangeError: start: buffer smaller than lengths.length * slotSize',
        twice: 'Error: TUN handle is already reading',
        write: 'TypeError: write(packet: Uint8Array)',
        afterClose: 'Error: TUN handle is closed',
        writeAfterClose: -9, // -EBADF
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // Both devices went away with their descriptors.
    const { stdout } = await lab.exec(ns, ['ip', '-o', 'link']);
    expect(stdout).not.toContain('pqx');
  });

  it('a throwing batch handler surfaces as uncaughtException, and reading goes on', async () => {
    const ns = await lab.namespace();
    const script = `
      const { execFileSync } = require('node:child_process');
      const tun = require(${JSON.stringify(`${REPO_ROOT}build/Release/pqvpn_tun.node`)});
      const h = tun.open('pqe%d', 1400);
      execFileSync('ip', ['addr', 'add', '10.206.0.1/24', 'dev', h.name]);
      execFileSync('ip', ['link', 'set', 'dev', h.name, 'up']);
      let batches = 0;
      const caught = [];
      process.on('uncaughtException', (e) => caught.push(e.message));
      h.start(new Uint8Array(1408 * 4), new Int32Array(4), 1408, (n) => {
        batches += 1;
        if (batches === 1) throw new Error('boom in handler');
      });
      const s = require('node:dgram').createSocket('udp4');
      const send = () => s.send(Buffer.from('x'), 9, '10.206.0.2');
      send(); setTimeout(send, 100);
      setTimeout(() => { console.log(JSON.stringify({ caught, batches: batches >= 2 })); process.exit(0); }, 400);`;
    const dir = mkdtempSync(join(tmpdir(), 'pqvpn-tun-throw-'));
    try {
      writeFileSync(join(dir, 'throw.cjs'), script);
      const { stdout } = await lab.exec(ns, [process.execPath, join(dir, 'throw.cjs')]);
      expect(JSON.parse(stdout)).toEqual({ caught: ['boom in handler'], batches: true });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails with EPERM and a hint for a process without CAP_NET_ADMIN', async () => {
    // Root with every capability dropped: /dev/net/tun opens (owner), TUNSETIFF is refused.
    const { ready } = await start(
      ['pqt%d', '1400', '64'],
      ['setpriv', '--bounding-set=-all', '--inh-caps=-all'],
    );
    expect(ready).toMatchObject({ code: 'TUN_OPEN_FAILED', errno: 'EPERM' });
    expect(String(ready.message)).toContain('TUNSETIFF failed with EPERM (needs root or CAP_NET_ADMIN)');
  });
});
