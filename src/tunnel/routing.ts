/**
 * The server's routing table: which session owns which tunnel address, and
 * where an IP packet goes.
 *
 * - A packet read from the server's TUN device goes to the session whose
 *   assigned address (IPv4 or IPv6) is its destination; none → dropped (the
 *   kernel only routes the VPN subnet to us, so this is a departed client).
 * - A packet a client sent (already authenticated and decrypted) must carry
 *   that client's own address as its source — otherwise it is dropped, as
 *   OpenVPN drops "bad source address from client": a client may not spoof
 *   another client or the server. Then: with `client-to-client`, a
 *   destination owned by another session is forwarded inside the server
 *   without touching the TUN device; everything else goes to the TUN device
 *   and the kernel routes it (and applies its firewall), as OpenVPN does.
 *
 * Networks behind a client (client-config-dir `iroute`/`iroute-ipv6`) are
 * routed to it by longest prefix, and it may send from them.
 *
 * Lookups allocate nothing for IPv4 (destinations are 32-bit numbers); IPv6
 * keys are 32-digit hex strings; iroutes are a short list scanned only when
 * no client address matched.
 * @module
 */

import {
  ipVersion,
  ipv4Destination,
  ipv4Source,
  ipv4ToUint,
  ipv6DestinationKey,
  ipv6Key,
  ipv6SourceKey,
  ipv6ToBytes,
  prefixToMaskUint,
} from './ip.js';

export type FromClientDecision<S> =
  | { readonly kind: 'tun' }
  | { readonly kind: 'peer'; readonly peer: S }
  | { readonly kind: 'drop'; readonly reason: 'bad-source' | 'not-ip' };

const TO_TUN = Object.freeze({ kind: 'tun' } as const);
const BAD_SOURCE = Object.freeze({ kind: 'drop', reason: 'bad-source' } as const);
const NOT_IP = Object.freeze({ kind: 'drop', reason: 'not-ip' } as const);

interface Addresses {
  readonly v4: number;
  readonly v6: string | undefined;
  readonly networks: readonly Network[];
}

/** A network behind a client (`iroute`, `iroute-ipv6`). */
interface Network {
  readonly family: 4 | 6;
  /** IPv4: network as a number; IPv6: 16 bytes. */
  readonly v4: number;
  readonly mask: number;
  readonly v6: Uint8Array | undefined;
  readonly prefixLength: number;
}

interface NetworkRoute<S> {
  readonly network: Network;
  readonly session: S;
}

/** A network in CIDR terms, as client-config-dir gives it. */
export interface RoutedNetwork {
  readonly family: 4 | 6;
  readonly network: string;
  readonly prefixLength: number;
}

export class SessionRoutes<S> {
  readonly #v4 = new Map<number, S>();
  readonly #v6 = new Map<string, S>();
  readonly #bySession = new Map<S, Addresses>();
  /** Every session's iroutes, longest prefix first. */
  readonly #networks: NetworkRoute<S>[] = [];

  get size(): number {
    return this.#bySession.size;
  }

  /**
   * Routes `ipv4` (and `ipv6`) to `session`, replacing any earlier owner of
   * those addresses, and `networks` (its iroutes: longest prefix wins).
   */
  add(session: S, ipv4: string, ipv6?: string, networks: readonly RoutedNetwork[] = []): void {
    this.remove(session);
    const a: Addresses = {
      v4: ipv4ToUint(ipv4),
      v6: ipv6 === undefined ? undefined : ipv6Key(ipv6),
      networks: networks.map(toNetwork),
    };
    for (const network of a.networks) this.#networks.push({ network, session });
    this.#networks.sort((x, y) => y.network.prefixLength - x.network.prefixLength);
    const previous = this.#v4.get(a.v4);
    if (previous !== undefined) this.remove(previous);
    if (a.v6 !== undefined) {
      const previous6 = this.#v6.get(a.v6);
      if (previous6 !== undefined) this.remove(previous6);
      this.#v6.set(a.v6, session);
    }
    this.#v4.set(a.v4, session);
    this.#bySession.set(session, a);
  }

  remove(session: S): void {
    const a = this.#bySession.get(session);
    if (!a) return;
    this.#bySession.delete(session);
    if (a.networks.length > 0) {
      const kept = this.#networks.filter((r) => r.session !== session);
      this.#networks.length = 0;
      this.#networks.push(...kept);
    }
    if (this.#v4.get(a.v4) === session) this.#v4.delete(a.v4);
    if (a.v6 !== undefined && this.#v6.get(a.v6) === session) this.#v6.delete(a.v6);
  }

  /** The session a packet from the TUN device is for, if any. */
  forTunPacket(packet: Uint8Array): S | undefined {
    const version = ipVersion(packet);
    if (version === 4) return this.#v4.get(ipv4Destination(packet)) ?? this.#byNetwork(packet, 4, 16);
    if (version === 6) return this.#v6.get(ipv6DestinationKey(packet)) ?? this.#byNetwork(packet, 6, 24);
    return undefined;
  }

  /** Longest-prefix match of the address at `offset` against the iroutes (few: a linear scan). */
  #byNetwork(packet: Uint8Array, family: 4 | 6, offset: number): S | undefined {
    if (this.#networks.length === 0) return undefined;
    for (const r of this.#networks) if (contains(r.network, family, packet, offset)) return r.session;
    return undefined;
  }

  /** Where a packet decrypted from `sender` goes. */
  fromClient(sender: S, packet: Uint8Array, clientToClient: boolean): FromClientDecision<S> {
    const own = this.#bySession.get(sender);
    if (!own) return BAD_SOURCE;
    const version = ipVersion(packet);
    let peer: S | undefined;
    if (version === 4) {
      if (ipv4Source(packet) !== own.v4 && !ownNetwork(own, 4, packet, 12)) return BAD_SOURCE;
      if (!clientToClient) return TO_TUN;
      peer = this.#v4.get(ipv4Destination(packet)) ?? this.#byNetwork(packet, 4, 16);
    } else if (version === 6) {
      const fromOwn = own.v6 !== undefined && ipv6SourceKey(packet) === own.v6;
      if (!fromOwn && !ownNetwork(own, 6, packet, 8)) return BAD_SOURCE;
      if (!clientToClient) return TO_TUN;
      peer = this.#v6.get(ipv6DestinationKey(packet)) ?? this.#byNetwork(packet, 6, 24);
    } else {
      return NOT_IP;
    }
    return peer === undefined || peer === sender ? TO_TUN : { kind: 'peer', peer };
  }
}

function toNetwork(n: RoutedNetwork): Network {
  if (n.family === 4) {
    const mask = prefixToMaskUint(n.prefixLength);
    return {
      family: 4,
      v4: (ipv4ToUint(n.network) & mask) >>> 0,
      mask,
      v6: undefined,
      prefixLength: n.prefixLength,
    };
  }
  return { family: 6, v4: 0, mask: 0, v6: ipv6ToBytes(n.network), prefixLength: n.prefixLength };
}

/** Is the address at `offset` of `packet` inside `n`? */
function contains(n: Network, family: 4 | 6, packet: Uint8Array, offset: number): boolean {
  if (n.family !== family) return false;
  if (family === 4) {
    const a =
      ((packet[offset]! << 24) |
        (packet[offset + 1]! << 16) |
        (packet[offset + 2]! << 8) |
        packet[offset + 3]!) >>>
      0;
    return (a & n.mask) >>> 0 === n.v4;
  }
  const net = n.v6!;
  let bits = n.prefixLength;
  for (let i = 0; i < 16 && bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((packet[offset + i]! & mask) !== (net[i]! & mask)) return false;
  }
  return true;
}

function ownNetwork(own: Addresses, family: 4 | 6, packet: Uint8Array, offset: number): boolean {
  for (const n of own.networks) if (contains(n, family, packet, offset)) return true;
  return false;
}
