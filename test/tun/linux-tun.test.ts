import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTunAddon, type TunAddon, type TunHandle } from '../../src/tun/addon.js';
import { TunError } from '../../src/tun/errors.js';
import { createTunBackend } from '../../src/tun/index.js';
import { createLinuxTunBackend, type IpRunner } from '../../src/tun/linux-tun.js';

/** An addon double: records calls, lets the test fire batches and choose write results. */
function fakeAddon(options: { openError?: { errno: number; syscall: string } } = {}) {
  const state = {
    opened: [] as { name: string; mtu: number }[],
    closes: 0,
    writes: [] as Uint8Array[],
    writeResult: 0,
    onBatch: undefined as ((count: number, errno: number) => void) | undefined,
    buffer: new Uint8Array(0),
    lengths: new Int32Array(0),
    slotSize: 0,
    starts: 0,
  };
  const addon: TunAddon = {
    open(name, mtu) {
      if (options.openError) {
        throw Object.assign(new Error(`${options.openError.syscall}: nope`), options.openError);
      }
      state.opened.push({ name, mtu });
      const handle: TunHandle = {
        fd: 42,
        name: name.replace('%d', '7'),
        start(buffer, lengths, slotSize, onBatch) {
          state.starts += 1;
          Object.assign(state, { buffer, lengths, slotSize, onBatch });
        },
        write(packet) {
          state.writes.push(packet);
          return state.writeResult === 0 ? packet.length : state.writeResult;
        },
        oversizeDrops: () => 3,
        close() {
          state.closes += 1;
        },
      };
      return handle;
    },
  };
  /** Puts packets into the slots the way the addon does, then calls onBatch. */
  function deliver(packets: readonly Uint8Array[], errno = 0): void {
    packets.forEach((p, i) => {
      state.buffer.set(p, i * state.slotSize);
      state.lengths[i] = p.length;
    });
    state.onBatch?.(packets.length, errno);
  }
  return { addon, state, deliver };
}

function recordingIp(fail?: string): IpRunner & { calls: string[][] } {
  const calls: string[][] = [];
  return {
    calls,
    run: async (argv) => {
      calls.push([...argv]);
      if (fail) throw new Error(fail);
      return '';
    },
  };
}

describe('Linux TUN backend (addon double, no root)', () => {
  it('opens with the validated name and MTU, and reports the kernel-chosen name', async () => {
    const { addon, state } = fakeAddon();
    const device = await createLinuxTunBackend({ addon, ip: recordingIp() }).open({ mtu: 1400 });
    expect(state.opened).toEqual([{ name: 'tun%d', mtu: 1400 }]);
    expect(device.name).toBe('tun7');
    expect(device.mtu).toBe(1400);
  });

  it('configures addresses and link state with ip (IPv6 without duplicate address detection)', async () => {
    const { addon } = fakeAddon();
    const ip = recordingIp();
    const device = await createLinuxTunBackend({ addon, ip }).open({ name: 'pq0', mtu: 1420 });
    await device.addAddress({ family: 4, address: '10.8.0.2', prefixLength: 24 });
    await device.addAddress({ family: 6, address: 'fd00:8::2', prefixLength: 64 });
    await device.setUp();
    expect(ip.calls).toEqual([
      ['addr', 'add', '10.8.0.2/24', 'dev', 'pq0'],
      ['-6', 'addr', 'add', 'fd00:8::2/64', 'dev', 'pq0', 'nodad'],
      ['link', 'set', 'dev', 'pq0', 'mtu', '1420', 'up'],
    ]);
  });

  it('turns an ip failure into TUN_CONFIG_FAILED with the command and its message', async () => {
    const { addon } = fakeAddon();
    const device = await createLinuxTunBackend({
      addon,
      ip: recordingIp('RTNETLINK answers: File exists'),
    }).open({
      name: 'pq0',
      mtu: 1400,
    });
    const error = await device
      .addAddress({ family: 4, address: '10.8.0.2', prefixLength: 24 })
      .catch((e) => e);
    expect(error).toBeInstanceOf(TunError);
    expect(error.code).toBe('TUN_CONFIG_FAILED');
    expect(error.message).toBe('ip addr add 10.8.0.2/24 dev pq0 failed: RTNETLINK answers: File exists');
  });

  it('delivers a batch as views over the slots, in order, with the right lengths', async () => {
    const { addon, state, deliver } = fakeAddon();
    const device = await createLinuxTunBackend({ addon, ip: recordingIp(), batchSize: 4 }).open({
      mtu: 1400,
    });
    const seen: number[][] = [];
    device.onPackets((packets) => seen.push(...packets.map((p) => Array.from(p))));
    expect(state.slotSize).toBe(1408); // MTU rounded up to 64
    expect(state.buffer.length).toBe(4 * 1408);
    expect(state.lengths.length).toBe(4);
    deliver([Uint8Array.of(0x45, 1, 2), Uint8Array.of(0x60), new Uint8Array(1400).fill(9)]);
    expect(seen.map((p) => p.length)).toEqual([3, 1, 1400]);
    expect(seen[0]).toEqual([0x45, 1, 2]);
    expect(seen[1]).toEqual([0x60]);
    expect(device.stats()).toMatchObject({ batches: 1, packetsRead: 3, oversizeDrops: 3 });
  });

  it('replaces the handler without restarting the reader', async () => {
    const { addon, state, deliver } = fakeAddon();
    const device = await createLinuxTunBackend({ addon, ip: recordingIp() }).open({ mtu: 1400 });
    const first: number[] = [];
    const second: number[] = [];
    device.onPackets((p) => first.push(p.length));
    deliver([Uint8Array.of(1)]);
    device.onPackets((p) => second.push(p.length));
    deliver([Uint8Array.of(1), Uint8Array.of(2)]);
    expect(state.starts).toBe(1);
    expect(first).toEqual([1]);
    expect(second).toEqual([2]);
  });

  it('write returns false and counts by errno name when the kernel refuses; after close it drops', async () => {
    const { addon, state } = fakeAddon();
    const device = await createLinuxTunBackend({ addon, ip: recordingIp() }).open({ mtu: 1400 });
    expect(device.write(Uint8Array.of(0x45))).toBe(true);
    state.writeResult = -11; // EAGAIN
    expect(device.write(Uint8Array.of(0x45))).toBe(false);
    state.writeResult = -22; // EINVAL
    expect(device.write(Uint8Array.of(0))).toBe(false);
    expect(device.stats()).toMatchObject({ packetsWritten: 1, writeDrops: { EAGAIN: 1, EINVAL: 1 } });
    device.close();
    expect(device.write(Uint8Array.of(0x45))).toBe(false);
    expect(state.writes.length).toBe(3);
  });

  it('close is idempotent; configuring or reading a closed device is TUN_CLOSED', async () => {
    const { addon, state } = fakeAddon();
    const device = await createLinuxTunBackend({ addon, ip: recordingIp() }).open({ mtu: 1400 });
    device.close();
    device.close();
    expect(state.closes).toBe(1);
    expect(device.closed).toBe(true);
    await expect(device.setUp()).rejects.toMatchObject({ code: 'TUN_CLOSED' });
    await expect(
      device.addAddress({ family: 4, address: '10.0.0.1', prefixLength: 8 }),
    ).rejects.toMatchObject({
      code: 'TUN_CLOSED',
    });
    expect(() => device.onPackets(() => {})).toThrow(expect.objectContaining({ code: 'TUN_CLOSED' }));
    expect(device.stats().oversizeDrops).toBe(3);
  });

  it('a read failure delivers the packets read before it, then goes to onError once', async () => {
    const { addon, deliver } = fakeAddon();
    const errors: unknown[] = [];
    const device = await createLinuxTunBackend({ addon, ip: recordingIp() }).open({
      mtu: 1400,
      onError: (e) => errors.push(e),
    });
    const lengths: number[] = [];
    device.onPackets((p) => lengths.push(p.length));
    deliver([Uint8Array.of(1, 2)], 77); // EBADFD
    expect(lengths).toEqual([1]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'TUN_READ_FAILED', errno: 'EBADFD', syscall: 'read' });
  });

  it('without onError, a read failure is thrown (from the event loop, in the real addon)', async () => {
    const { addon, deliver } = fakeAddon();
    const device = await createLinuxTunBackend({ addon, ip: recordingIp() }).open({ mtu: 1400 });
    device.onPackets(() => {});
    expect(() => deliver([], 9)).toThrow(
      expect.objectContaining({ code: 'TUN_READ_FAILED', errno: 'EBADF' }),
    );
  });

  it('maps open failures to TUN_OPEN_FAILED with the errno name, the call and a hint', async () => {
    const cases = [
      { errno: 1, syscall: 'TUNSETIFF', text: 'TUNSETIFF failed with EPERM (needs root or CAP_NET_ADMIN)' },
      {
        errno: 2,
        syscall: 'open /dev/net/tun',
        text: 'open /dev/net/tun failed with ENOENT (the TUN driver is',
      },
      {
        errno: 16,
        syscall: 'TUNSETIFF',
        text: 'TUNSETIFF failed with EBUSY (the device is in use by another process)',
      },
      { errno: 22, syscall: 'SIOCSIFMTU', text: 'SIOCSIFMTU failed with EINVAL' },
    ];
    for (const c of cases) {
      const { addon } = fakeAddon({ openError: c });
      const error = await createLinuxTunBackend({ addon, ip: recordingIp() })
        .open({ name: 'pq0', mtu: 1400 })
        .catch((e) => e);
      expect(error).toBeInstanceOf(TunError);
      expect(error.code).toBe('TUN_OPEN_FAILED');
      expect(error.syscall).toBe(c.syscall);
      expect(error.message).toContain(`cannot open TUN device pq0: ${c.text}`);
    }
  });

  it('rejects bad names and MTUs before touching the addon', async () => {
    const { addon, state } = fakeAddon();
    const backend = createLinuxTunBackend({ addon, ip: recordingIp() });
    await expect(backend.open({ name: 'a/b', mtu: 1400 })).rejects.toMatchObject({ code: 'TUN_BAD_NAME' });
    await expect(backend.open({ name: 'pq0', mtu: 100 })).rejects.toMatchObject({ code: 'TUN_BAD_MTU' });
    expect(state.opened).toEqual([]);
  });

  it('refuses a batch size outside 1..1024', () => {
    expect(() => createLinuxTunBackend({ batchSize: 0 })).toThrow(RangeError);
    expect(() => createLinuxTunBackend({ batchSize: 1025 })).toThrow(RangeError);
  });
});

describe('TUN backend selection and the real addon (no root)', () => {
  it('says other platforms are not supported yet', () => {
    expect(() => createTunBackend({}, 'win32')).toThrow(
      expect.objectContaining({
        code: 'TUN_UNSUPPORTED_PLATFORM',
        message: 'TUN devices are not supported on win32 yet (Wintun backend planned)',
      }),
    );
    expect(createTunBackend({}, 'linux')).toHaveProperty('open');
  });

  // As root this is covered in the namespace suite (a root process with its capabilities dropped).
  it.runIf(process.platform === 'linux' && process.getuid?.() !== 0)(
    'a process without root fails to open with a clear permission error',
    async () => {
      const error = await createLinuxTunBackend()
        .open({ name: 'pqnr%d', mtu: 1400 })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TunError);
      expect(error).toMatchObject({ code: 'TUN_OPEN_FAILED' });
      expect(['EPERM', 'EACCES']).toContain((error as TunError).errno);
      expect((error as TunError).message).toContain('needs root or CAP_NET_ADMIN');
    },
  );

  it('a missing or broken addon is TUN_ADDON_MISSING with a build hint', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pqvpn-addon-'));
    try {
      const missing = join(dir, 'none.node');
      expect(() => loadTunAddon([missing])).toThrow(
        expect.objectContaining({
          code: 'TUN_ADDON_MISSING',
          message: `native TUN addon not built: run npm ci (needs g++ and Node headers); looked for ${missing}`,
        }),
      );
      const junk = join(dir, 'junk.node');
      writeFileSync(junk, 'not an ELF file');
      expect(() => loadTunAddon([junk])).toThrow(
        expect.objectContaining({
          code: 'TUN_ADDON_MISSING',
          message: expect.stringContaining('does not load'),
        }),
      );
      const wrong = join(dir, 'wrong.cjs');
      writeFileSync(wrong, 'module.exports = {};');
      expect(() => loadTunAddon([wrong])).toThrow(
        expect.objectContaining({ message: expect.stringContaining('is not the pqvpn TUN addon') }),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.runIf(process.platform === 'linux')('the built addon loads and exposes open', () => {
    const addon = loadTunAddon();
    expect(typeof addon.open).toBe('function');
    expect(() => addon.open('x'.repeat(16), 1400)).toThrow(RangeError);
    expect(() => (addon.open as unknown as (n: number) => void)(5)).toThrow(TypeError);
  });
});
