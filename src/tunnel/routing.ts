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
 * Lookups allocate nothing for IPv4 (destinations are 32-bit numbers); IPv6
 * keys are 32-digit hex strings.
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
}

export class SessionRoutes<S> {
  readonly #v4 = new Map<number, S>();
  readonly #v6 = new Map<string, S>();
  readonly #bySession = new Map<S, Addresses>();

  get size(): number {
    return this.#bySession.size;
  }

  /** Routes `ipv4` (and `ipv6`) to `session`, replacing any earlier owner of those addresses. */
  add(session: S, ipv4: string, ipv6?: string): void {
    this.remove(session);
    const a: Addresses = { v4: ipv4ToUint(ipv4), v6: ipv6 === undefined ? undefined : ipv6Key(ipv6) };
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
    if (this.#v4.get(a.v4) === session) this.#v4.delete(a.v4);
    if (a.v6 !== undefined && this.#v6.get(a.v6) === session) this.#v6.delete(a.v6);
  }

  /** The session a packet from the TUN device is for, if any. */
  forTunPacket(packet: Uint8Array): S | undefined {
    const version = ipVersion(packet);
    if (version === 4) return this.#v4.get(ipv4Destination(packet));
    if (version === 6) return this.#v6.get(ipv6DestinationKey(packet));
    return undefined;
  }

  /** Where a packet decrypted from `sender` goes. */
  fromClient(sender: S, packet: Uint8Array, clientToClient: boolean): FromClientDecision<S> {
    const own = this.#bySession.get(sender);
    if (!own) return BAD_SOURCE;
    const version = ipVersion(packet);
    let peer: S | undefined;
    if (version === 4) {
      if (ipv4Source(packet) !== own.v4) return BAD_SOURCE;
      if (!clientToClient) return TO_TUN;
      peer = this.#v4.get(ipv4Destination(packet));
    } else if (version === 6) {
      if (own.v6 === undefined || ipv6SourceKey(packet) !== own.v6) return BAD_SOURCE;
      if (!clientToClient) return TO_TUN;
      peer = this.#v6.get(ipv6DestinationKey(packet));
    } else {
      return NOT_IP;
    }
    return peer === undefined || peer === sender ? TO_TUN : { kind: 'peer', peer };
  }
}
