/** An in-memory TUN backend: packets written by the driver are collected; tests inject packets "from the kernel". */
import type {
  TunAddress,
  TunBackend,
  TunDevice,
  TunOpenOptions,
  TunPacketHandler,
} from '../../../src/tun/tun-device.js';

export class MemoryTun implements TunDevice {
  readonly name: string;
  readonly mtu: number;
  readonly addresses: TunAddress[] = [];
  readonly written: Uint8Array[] = [];
  up = false;
  closed = false;
  #handler: TunPacketHandler | undefined;
  #waiters: (() => void)[] = [];

  constructor(name: string, mtu: number) {
    this.name = name;
    this.mtu = mtu;
  }
  async addAddress(address: TunAddress): Promise<void> {
    this.addresses.push(address);
  }
  async setUp(): Promise<void> {
    this.up = true;
  }
  onPackets(handler: TunPacketHandler): void {
    this.#handler = handler;
  }
  write(packet: Uint8Array): boolean {
    this.written.push(Uint8Array.from(packet));
    for (const w of this.#waiters.splice(0)) w();
    return true;
  }
  close(): void {
    this.closed = true;
  }
  /** Delivers packets as if the kernel had routed them into the device. */
  inject(...packets: Uint8Array[]): void {
    this.#handler?.(packets);
  }
  /** Resolves once a written packet satisfies `predicate`. */
  async waitFor(predicate: (p: Uint8Array) => boolean, timeoutMs = 5000): Promise<Uint8Array> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.written.find(predicate);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`${this.name}: no matching packet within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 50);
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }
}

export class MemoryTunBackend implements TunBackend {
  readonly devices: MemoryTun[] = [];
  async open(options: TunOpenOptions): Promise<MemoryTun> {
    const name = (options.name ?? 'tun%d').replace('%d', String(this.devices.length));
    const dev = new MemoryTun(name, options.mtu);
    this.devices.push(dev);
    return dev;
  }
  get last(): MemoryTun {
    const d = this.devices[this.devices.length - 1];
    if (!d) throw new Error('no TUN device opened yet');
    return d;
  }
}

/** A minimal IPv4/ICMP-echo-shaped packet (checksums are not needed by the tunnel). */
export function ipv4Packet(src: string, dst: string, payload: Uint8Array = new Uint8Array(8)): Uint8Array {
  const p = new Uint8Array(20 + payload.length);
  p[0] = 0x45;
  new DataView(p.buffer).setUint16(2, p.length);
  p[8] = 64;
  p[9] = 1;
  p.set(src.split('.').map(Number), 12);
  p.set(dst.split('.').map(Number), 16);
  p.set(payload, 20);
  return p;
}
