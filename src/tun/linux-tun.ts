/**
 * The Linux TUN backend: a layer-3 device (IFF_TUN | IFF_NO_PI) whose
 * descriptor lives in the native addon (native/tun) and whose configuration
 * goes through iproute2.
 *
 * Packet path. Reading is driven by the libuv loop: when the descriptor is
 * readable the addon drains up to `batchSize` packets with non-blocking
 * reads into one preallocated buffer of `batchSize` slots (each slot one MTU,
 * rounded up) and makes a single call into JavaScript; this module turns the
 * slots into `Uint8Array` views and hands them to the `TunPacketHandler`.
 * The views are only valid during that call: the next batch overwrites the
 * slots, so a handler copies (or encrypts into its own buffer) what it keeps.
 * Writing is a direct write(2) on the event-loop thread: no thread pool, no
 * reordering.
 *
 * Why native: `fs.read` on a TUN descriptor goes through the thread pool and
 * peaks near 31k packets/s with one read in flight (several in flight reorder
 * packets); the addon reads 500–800k packets/s on the same machine
 * (docs/TUN.md has the measurements).
 *
 * Configuration: addresses with `ip addr add` (IPv6 with `nodad`, so the
 * address is usable at once), link state and MTU with `ip link set`, run
 * through an injectable `IpRunner` (execFile, never a shell). The MTU is also
 * set natively at open, before the link can come up.
 *
 * Failure policy: bad arguments throw `TunError` at once; a packet the kernel
 * will not take (queue full, malformed) makes `write` return false and is
 * counted; a failing read stops reading and is reported to `onError` (from
 * the open options) or, without one, thrown from the event loop like an
 * error in an event listener.
 * @module
 */
import { execFile } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import { loadTunAddon, type TunAddon, type TunHandle } from './addon.js';
import { TunError, TunErrorCode } from './errors.js';
import type { TunAddress, TunBackend, TunDevice, TunOpenOptions, TunPacketHandler } from './tun-device.js';
import { DEFAULT_TUN_NAME, validateMtu, validateTunAddress, validateTunName } from './validate.js';

/** Runs `ip ARGV…`; rejects with the command's stderr on failure. Same shape as src/net's `CommandRunner`. */
export interface IpRunner {
  run(argv: readonly string[]): Promise<string>;
}

export interface LinuxTunOptions {
  /** Packets read per readiness event at most (slots in the read buffer). Default 64. */
  readonly batchSize?: number;
  /** How `ip` commands run. Default: execFile of `ip` from PATH. */
  readonly ip?: IpRunner;
  /** The native addon. Default: the one built into build/Release (tests may inject a double). */
  readonly addon?: TunAddon;
}

/** Counters of one device; drops are packets lost here, not in the kernel. */
export interface LinuxTunStats {
  readonly batches: number;
  readonly packetsRead: number;
  readonly packetsWritten: number;
  /** Packets longer than the read slot (MTU), dropped by the addon. */
  readonly oversizeDrops: number;
  /** Writes refused by the kernel, by errno name (EAGAIN: queue full; EINVAL: not an IP packet). */
  readonly writeDrops: Readonly<Record<string, number>>;
}

export const DEFAULT_BATCH_SIZE = 64;
export const MAX_BATCH_SIZE = 1024;

/** The default `IpRunner`: `ip` from PATH through execFile. */
export function execFileIpRunner(ipPath = 'ip', timeoutMs = 10_000): IpRunner {
  return {
    run: (argv) =>
      new Promise((resolve, reject) => {
        execFile(ipPath, [...argv], { timeout: timeoutMs, encoding: 'utf8' }, (error, stdout, stderr) => {
          if (error) reject(new Error(stderr.trim() || error.message, { cause: error }));
          else resolve(stdout);
        });
      }),
  };
}

/** The Linux backend's `open` resolves to the concrete device (with `stats()` and `closed`). */
export interface LinuxTunBackend extends TunBackend {
  open(options: TunOpenOptions): Promise<LinuxTunDevice>;
}

export function createLinuxTunBackend(options: LinuxTunOptions = {}): LinuxTunBackend {
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_BATCH_SIZE) {
    throw new RangeError(`batchSize must be an integer in 1..${MAX_BATCH_SIZE}, not ${batchSize}`);
  }
  const ip = options.ip ?? execFileIpRunner();
  return Object.freeze({
    async open(openOptions: TunOpenOptions): Promise<LinuxTunDevice> {
      const name = validateTunName(openOptions.name ?? DEFAULT_TUN_NAME);
      const mtu = validateMtu(openOptions.mtu);
      const addon = options.addon ?? loadTunAddon();
      let handle: TunHandle;
      try {
        handle = addon.open(name, mtu);
      } catch (cause) {
        throw openError(name, cause);
      }
      return new LinuxTunDevice(handle, mtu, batchSize, ip, openOptions.onError);
    },
  });
}

export class LinuxTunDevice implements TunDevice {
  readonly name: string;
  readonly mtu: number;
  readonly #ip: IpRunner;
  readonly #onError: ((error: Error) => void) | undefined;
  readonly #slotSize: number;
  readonly #buffer: Uint8Array;
  readonly #lengths: Int32Array;
  #handle: TunHandle | undefined;
  #handler: TunPacketHandler | undefined;
  #reading = false;
  #batches = 0;
  #packetsRead = 0;
  #packetsWritten = 0;
  #oversizeAtClose = 0;
  readonly #writeDrops: Record<string, number> = {};

  /** Use `createLinuxTunBackend().open()`. */
  constructor(
    handle: TunHandle,
    mtu: number,
    batchSize: number,
    ip: IpRunner,
    onError: ((error: Error) => void) | undefined,
  ) {
    this.#handle = handle;
    this.name = handle.name;
    this.mtu = mtu;
    this.#ip = ip;
    this.#onError = onError;
    // Slots are MTU-sized (rounded to a cache line); the kernel never hands a TUN reader more than the MTU.
    this.#slotSize = Math.ceil(mtu / 64) * 64;
    this.#buffer = new Uint8Array(this.#slotSize * batchSize);
    this.#lengths = new Int32Array(batchSize);
  }

  get closed(): boolean {
    return this.#handle === undefined;
  }

  async addAddress(address: TunAddress): Promise<void> {
    const cidr = validateTunAddress(address, this.mtu);
    this.#assertOpen();
    const argv =
      address.family === 6
        ? ['-6', 'addr', 'add', cidr, 'dev', this.name, 'nodad']
        : ['addr', 'add', cidr, 'dev', this.name];
    await this.#runIp(argv);
  }

  async setUp(): Promise<void> {
    this.#assertOpen();
    await this.#runIp(['link', 'set', 'dev', this.name, 'mtu', String(this.mtu), 'up']);
  }

  onPackets(handler: TunPacketHandler): void {
    this.#assertOpen();
    this.#handler = handler;
    if (this.#reading) return;
    this.#handle?.start(this.#buffer, this.#lengths, this.#slotSize, (count, errno) =>
      this.#onBatch(count, errno),
    );
    this.#reading = true;
  }

  write(packet: Uint8Array): boolean {
    const handle = this.#handle;
    if (handle === undefined) return false; // closed: dropped, like a packet to a vanished interface
    const result = handle.write(packet);
    if (result >= 0) {
      this.#packetsWritten += 1;
      return true;
    }
    const name = errnoName(-result);
    this.#writeDrops[name] = (this.#writeDrops[name] ?? 0) + 1;
    return false;
  }

  close(): void {
    const handle = this.#handle;
    if (handle === undefined) return;
    this.#oversizeAtClose = handle.oversizeDrops();
    this.#handle = undefined;
    this.#handler = undefined;
    handle.close();
  }

  stats(): LinuxTunStats {
    return {
      batches: this.#batches,
      packetsRead: this.#packetsRead,
      packetsWritten: this.#packetsWritten,
      oversizeDrops: this.#handle?.oversizeDrops() ?? this.#oversizeAtClose,
      writeDrops: { ...this.#writeDrops },
    };
  }

  #onBatch(count: number, errno: number): void {
    const handler = this.#handler;
    if (count > 0 && handler !== undefined) {
      const packets: Uint8Array[] = new Array(count);
      const slot = this.#slotSize;
      for (let i = 0; i < count; i++) {
        const start = i * slot;
        packets[i] = this.#buffer.subarray(start, start + (this.#lengths[i] ?? 0));
      }
      this.#batches += 1;
      this.#packetsRead += count;
      handler(packets);
    }
    if (errno !== 0 && this.#handle !== undefined) {
      this.#reading = false;
      const name = errnoName(errno);
      const error = new TunError(
        TunErrorCode.readFailed,
        `reading from TUN device ${this.name} failed: ${name}`,
        {
          errno: name,
          syscall: 'read',
        },
      );
      if (this.#onError) this.#onError(error);
      else throw error;
    }
  }

  #assertOpen(): void {
    if (this.#handle === undefined) {
      throw new TunError(TunErrorCode.closed, `TUN device ${this.name} is closed`);
    }
  }

  async #runIp(argv: readonly string[]): Promise<void> {
    try {
      await this.#ip.run(argv);
    } catch (cause) {
      const detail = cause instanceof Error ? cause.message : String(cause);
      throw new TunError(TunErrorCode.configFailed, `ip ${argv.join(' ')} failed: ${detail}`, { cause });
    }
  }
}

/** Linux errnos a TUN descriptor can return that Node's tables (libuv's) do not name. */
const LINUX_ONLY_ERRNO: Readonly<Record<number, string>> = { 77: 'EBADFD', 94: 'ESOCKTNOSUPPORT' };

/** errno number → name; the first name wins where two share a number (EAGAIN over EWOULDBLOCK). */
const ERRNO_NAMES: ReadonlyMap<number, string> = (() => {
  const names = new Map<number, string>();
  for (const [name, value] of Object.entries(osConstants.errno))
    if (!names.has(value)) names.set(value, name);
  for (const [value, name] of Object.entries(LINUX_ONLY_ERRNO)) names.set(Number(value), name);
  return names;
})();

/** 'EAGAIN' for 11 (positive or negative); 'errno N' when unknown. */
export function errnoName(errno: number): string {
  return ERRNO_NAMES.get(Math.abs(errno)) ?? `errno ${Math.abs(errno)}`;
}

const OPEN_HINTS: Readonly<Record<string, string>> = {
  EPERM: 'needs root or CAP_NET_ADMIN',
  EACCES: 'needs root or CAP_NET_ADMIN (or access to /dev/net/tun)',
  ENOENT: 'the TUN driver is missing (modprobe tun, or give the container /dev/net/tun)',
  ENODEV: 'the TUN driver is missing (modprobe tun)',
  EBUSY: 'the device is in use by another process',
  EINVAL: 'an interface with that name exists and is not a TUN device, or the MTU is out of range',
};

/** Wraps an addon `open` failure: errno name, the failing call, and a hint. */
function openError(name: string, cause: unknown): TunError {
  const raw = cause as { errno?: unknown; syscall?: unknown; message?: unknown };
  if (typeof raw.errno !== 'number') {
    return new TunError(TunErrorCode.openFailed, `cannot open TUN device ${name}: ${String(raw.message)}`, {
      cause,
    });
  }
  const errno = errnoName(raw.errno);
  const syscall = typeof raw.syscall === 'string' ? raw.syscall : 'open';
  const hint = OPEN_HINTS[errno];
  return new TunError(
    TunErrorCode.openFailed,
    `cannot open TUN device ${name}: ${syscall} failed with ${errno}${hint ? ` (${hint})` : ''}`,
    { errno, syscall, cause },
  );
}
