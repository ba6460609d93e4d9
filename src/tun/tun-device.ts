/**
 * The TUN device as the rest of pqvpn sees it: one small interface per
 * operating-system thing (see ../../docs/ARCHITECTURE.md once it exists).
 *
 * A backend opens a layer-3 (IP, no packet-information header) device with a
 * name and MTU, sets its addresses and link state, delivers received packets
 * in batches from the event loop, and writes packets without a thread hop.
 * Linux implements it with a small N-API addon (native/tun); a Windows
 * backend (Wintun) can implement the same interface later.
 * @module
 */

/** An address on the device, in CIDR terms. */
export interface TunAddress {
  readonly family: 4 | 6;
  /** Textual address, e.g. '10.8.0.2' or 'fd00:8::2'. */
  readonly address: string;
  /** Prefix length, e.g. 24 or 64. */
  readonly prefixLength: number;
}

export interface TunOpenOptions {
  /** Interface name, e.g. 'tun0'; a pattern such as 'tun%d' lets the kernel pick. Default 'tun%d'. */
  readonly name?: string;
  /** Link MTU in bytes (576..65535). */
  readonly mtu: number;
  /**
   * Called once if reading fails for good (the device has stopped reading: close it). Without it the
   * backend throws the error from the event loop, like an error in an event listener.
   */
  readonly onError?: (error: Error) => void;
}

/**
 * Called with a batch of packets read since the last call. The views are
 * only valid during the call (the backend reuses its buffers): copy what you
 * keep.
 */
export type TunPacketHandler = (packets: readonly Uint8Array[]) => void;

export interface TunDevice {
  /** The name the kernel gave the device. */
  readonly name: string;
  readonly mtu: number;
  /** Adds an address (IPv4 or IPv6) to the device. */
  addAddress(address: TunAddress): Promise<void>;
  /** Sets the link up (and the MTU). */
  setUp(): Promise<void>;
  /** Starts (or replaces) packet delivery; packets read before this are queued by the kernel. */
  onPackets(handler: TunPacketHandler): void;
  /** Writes one IP packet. Returns false when the kernel queue is full (the packet is dropped, as a router would). */
  write(packet: Uint8Array): boolean;
  /** Stops reading and closes the descriptor; the kernel removes a non-persistent device. Idempotent. */
  close(): void;
}

export interface TunBackend {
  open(options: TunOpenOptions): Promise<TunDevice>;
}
