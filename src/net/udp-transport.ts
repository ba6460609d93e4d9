/**
 * UDP transport: one datagram socket, large buffers, and peer addresses as
 * strings — `'ip:port'` for IPv4 and `'[ip6]:port'` for IPv6 — which is
 * what the control plane (ServerEndpoint) keys sessions by.
 *
 * Families (`proto`), decided as OpenVPN 2.6 does (socket.c):
 * - `udp4`: an IPv4 socket.
 * - `udp6`: an IPv6 socket; dual-stack unless `bind ipv6only`.
 * - `udp` on a server without `local`: one IPv6 socket on `::` that also
 *   takes IPv4 (dual-stack, IPV6_V6ONLY off), falling back to IPv4 alone on a
 *   host without IPv6. Clients pick the family of the address they connect to.
 * IPv4 peers of a dual-stack socket arrive as `::ffff:a.b.c.d`; they are
 * named `a.b.c.d:port` here (so a client has one name whichever socket it
 * reaches) and mapped back when sending.
 *
 * Buffers: requested with SO_RCVBUF/SO_SNDBUF (default 4 MiB each, `rcvbuf`/
 * `sndbuf`); the kernel caps them at net.core.rmem_max/wmem_max and reports
 * double the granted size on Linux. `buffers` says what was granted so the
 * driver can log it; a small grant means drops under load, not an error.
 * @module
 */

import dgram from 'node:dgram';
import { isIPv4, isIPv6 } from 'node:net';
import { PqvpnError } from '../errors.js';

export type UdpFamily = 'udp' | 'udp4' | 'udp6';

/** A peer address, parsed once (per session, not per packet). */
export interface UdpEndpoint {
  /** 'ip:port' or '[ip6]:port'. */
  readonly key: string;
  readonly address: string;
  readonly port: number;
  readonly family: 4 | 6;
}

export interface UdpTransportOptions {
  readonly proto: UdpFamily;
  /** Local address to bind (default: all addresses of the family). */
  readonly address?: string;
  /** Local port (0: any). */
  readonly port: number;
  /** Only with a dual-stack socket: refuse IPv4 (`bind ipv6only`). */
  readonly ipv6Only?: boolean;
  readonly receiveBufferBytes?: number;
  readonly sendBufferBytes?: number;
  /**
   * Connect the socket to this one peer (a client without `float`): the
   * kernel then drops datagrams from anyone else, and sends skip the
   * per-datagram address handling.
   */
  readonly connect?: UdpEndpoint;
  /** Which family to use for `udp` when there is no local address: 6 = dual-stack (server), or the remote's family (client). */
  readonly preferFamily?: 4 | 6;
}

export type DatagramHandler = (datagram: Buffer, from: UdpEndpoint) => void;

export interface UdpTransport {
  readonly family: 4 | 6;
  readonly dualStack: boolean;
  /** The bound address, as an endpoint key. */
  readonly local: UdpEndpoint;
  /** Granted buffer sizes as the kernel reports them. */
  readonly buffers: { readonly receive: number; readonly send: number };
  /** Datagrams that could not be sent: no route for their family, or socket errors reported later. */
  readonly sendErrors: number;
  onDatagram(handler: DatagramHandler): void;
  send(datagram: Uint8Array, to: UdpEndpoint): void;
  /** Changes the buffer sizes (a pushed `rcvbuf`/`sndbuf`); 0 or undefined leaves one as it is. */
  setBuffers(receive?: number, send?: number): void;
  close(): Promise<void>;
}

export const DEFAULT_SOCKET_BUFFER = 4 * 1024 * 1024;

/** Sender addresses remembered by the receive path (bounded: spoofed sources cannot grow it). */
const ENDPOINT_CACHE_LIMIT = 4096;

export class UdpAddressError extends PqvpnError {
  constructor(message: string) {
    super('UDP_BAD_ADDRESS', message);
  }
}

/** Parses 'ip:port' / '[ip6]:port'. Throws UdpAddressError. */
export function parseEndpoint(text: string): UdpEndpoint {
  const v6 = /^\[([^\]]+)\]:(\d{1,5})$/.exec(text);
  const v4 = /^([^:[\]]+):(\d{1,5})$/.exec(text);
  const m = v6 ?? v4;
  const port = Number(m?.[2]);
  const address = m?.[1] ?? '';
  const ok = m !== null && port <= 65535 && (v6 ? isIPv6(address) : isIPv4(address));
  if (!ok) throw new UdpAddressError(`'${text}' is not ip:port or [ip6]:port`);
  return endpoint(address, port);
}

/** An endpoint from an address and a port; IPv4-mapped IPv6 becomes plain IPv4. */
export function endpoint(address: string, port: number): UdpEndpoint {
  let a = address;
  if (a.startsWith('::ffff:') && isIPv4(a.slice(7))) a = a.slice(7);
  if (isIPv4(a)) return { key: `${a}:${port}`, address: a, port, family: 4 };
  if (isIPv6(a)) return { key: `[${a}]:${port}`, address: a, port, family: 6 };
  throw new UdpAddressError(`'${address}' is not an IP address`);
}

export async function openUdpTransport(options: UdpTransportOptions): Promise<UdpTransport> {
  const requested = familyFor(options);
  try {
    return await open(options, requested);
  } catch (error) {
    // `proto udp` on a host without IPv6: fall back to IPv4, as OpenVPN does.
    const code = (error as NodeJS.ErrnoException).code;
    if (
      options.proto === 'udp' &&
      options.address === undefined &&
      requested === 6 &&
      (code === 'EAFNOSUPPORT' || code === 'EADDRNOTAVAIL')
    )
      return open(options, 4);
    throw error;
  }
}

function familyFor(options: UdpTransportOptions): 4 | 6 {
  if (options.proto === 'udp4') return 4;
  if (options.proto === 'udp6') return 6;
  if (options.address !== undefined) return isIPv6(options.address) ? 6 : 4;
  return options.preferFamily ?? 6;
}

/**
 * dgram resolves the destination of every `send` through `dns.lookup`, which
 * for an address literal still costs a `process.nextTick` and a closure per
 * packet. Every destination here is an address already (names are resolved
 * once, by the client, before a socket exists), so the lookup answers at once.
 */
type LookupCallback = (error: NodeJS.ErrnoException | null, address: string, family: number) => void;
const literalLookup4 = (address: string, _family: unknown, callback: LookupCallback): void =>
  callback(null, address, 4);
const literalLookup6 = (address: string, _family: unknown, callback: LookupCallback): void =>
  callback(null, address, 6);

async function open(options: UdpTransportOptions, family: 4 | 6): Promise<UdpTransport> {
  const ipv6Only = family === 6 ? (options.ipv6Only ?? false) : false;
  const socket = dgram.createSocket({
    type: family === 6 ? 'udp6' : 'udp4',
    ipv6Only,
    lookup: family === 6 ? literalLookup6 : literalLookup4,
    recvBufferSize: options.receiveBufferBytes || DEFAULT_SOCKET_BUFFER,
    sendBufferSize: options.sendBufferBytes || DEFAULT_SOCKET_BUFFER,
  });
  const bindAddress = options.address ?? (family === 6 ? '::' : '0.0.0.0');
  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error) => {
      socket.close();
      reject(error);
    };
    socket.once('error', onError);
    socket.bind({ address: bindAddress, port: options.port, exclusive: true }, () => {
      socket.off('error', onError);
      resolve();
    });
  });
  const peer = options.connect;
  if (peer) {
    const address = peer.family === 4 && family === 6 ? `::ffff:${peer.address}` : peer.address;
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error) => {
        socket.close();
        reject(error);
      };
      socket.once('error', onError);
      socket.connect(peer.port, address, () => {
        socket.off('error', onError);
        resolve();
      });
    });
  }
  return new NodeUdpTransport(socket, family, family === 6 && !ipv6Only, peer);
}

class NodeUdpTransport implements UdpTransport {
  readonly family: 4 | 6;
  readonly dualStack: boolean;
  readonly local: UdpEndpoint;
  buffers: { readonly receive: number; readonly send: number };
  sendErrors = 0;
  readonly #socket: dgram.Socket;
  #handler: DatagramHandler = () => {};
  #closed = false;
  readonly #endpoints = new Map<string, UdpEndpoint>();
  readonly #connected: UdpEndpoint | undefined;

  constructor(socket: dgram.Socket, family: 4 | 6, dualStack: boolean, connected: UdpEndpoint | undefined) {
    this.#socket = socket;
    this.#connected = connected;
    this.family = family;
    this.dualStack = dualStack;
    const a = socket.address();
    this.local = endpoint(a.address, a.port);
    this.buffers = { receive: socket.getRecvBufferSize(), send: socket.getSendBufferSize() };
    socket.on('message', (msg, rinfo) => {
      const from = this.#endpointOf(rinfo.address, rinfo.port);
      if (from !== undefined) this.#handler(msg, from);
    });
    // Errors after bind (ICMP unreachable reported on a later call, …) are not fatal for UDP.
    socket.on('error', () => {
      this.sendErrors++;
    });
  }

  /**
   * The endpoint of a sender, cached per address (one port each), so the
   * packet path parses and formats addresses only when a peer is new or moved.
   */
  #endpointOf(address: string, port: number): UdpEndpoint | undefined {
    const cached = this.#endpoints.get(address);
    if (cached !== undefined && cached.port === port) return cached;
    let e: UdpEndpoint;
    try {
      e = endpoint(address, port);
    } catch {
      return undefined;
    }
    if (this.#endpoints.size >= ENDPOINT_CACHE_LIMIT) this.#endpoints.clear();
    this.#endpoints.set(address, e);
    return e;
  }

  onDatagram(handler: DatagramHandler): void {
    this.#handler = handler;
  }

  setBuffers(receive?: number, send?: number): void {
    if (receive) this.#socket.setRecvBufferSize(receive);
    if (send) this.#socket.setSendBufferSize(send);
    this.buffers = { receive: this.#socket.getRecvBufferSize(), send: this.#socket.getSendBufferSize() };
  }

  send(datagram: Uint8Array, to: UdpEndpoint): void {
    if (this.#closed) return;
    if (this.#connected !== undefined) {
      if (to === this.#connected || to.key === this.#connected.key) this.#socket.send(datagram);
      else this.sendErrors++;
      return;
    }
    let address = to.address;
    if (to.family === 4 && this.family === 6) {
      if (!this.dualStack) {
        this.sendErrors++;
        return;
      }
      address = `::ffff:${address}`;
    } else if (to.family === 6 && this.family === 4) {
      this.sendErrors++;
      return;
    }
    // No callback: with one, dgram schedules a process.nextTick per datagram. A failed send of a
    // datagram is a lost packet either way; the protocol copes with loss.
    this.#socket.send(datagram, to.port, address);
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    return new Promise((resolve) => this.#socket.close(() => resolve()));
  }
}
