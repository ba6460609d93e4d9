/**
 * The server's address pool: `server NET MASK` with `topology subnet` (the
 * server is NET+1, clients get NET+2 … the last address before broadcast),
 * optionally paired with `server-ipv6 PREFIX/LEN` (server ::1, clients from
 * ::2; a client's IPv6 address has the same offset as its IPv4 one, as in
 * OpenVPN), `max-clients`, `duplicate-cn` and `ifconfig-pool-persist`.
 *
 * Semantics (OpenVPN 2.6's, pool.c and multi.c):
 * - Without `duplicate-cn`, a common name has at most one session: a second
 *   connection with the same name takes over the address and the old session
 *   is to be closed by the driver (`AcquireResult.replaced`). With
 *   `duplicate-cn`, every session gets its own address and the persisted
 *   reservations are not used (OpenVPN passes no name to the pool then).
 * - A name keeps its address across sessions and restarts (the reservation);
 *   new names take never-reserved addresses first, then the least recently
 *   used reservation of a name that is not connected.
 * - `max-clients` bounds the number of leases at once.
 *
 * This module is pure: persistence is text in (`loadReservations`) and text
 * out (`formatReservations`), in OpenVPN's `ifconfig-pool-persist` format,
 * one `CN,IPv4[,IPv6]` line per reservation. pool-file.ts reads and writes it.
 * @module
 */

import {
  canonicalIpv6,
  ipv4ToUint,
  ipv6AddOffset,
  ipv6ToBytes,
  prefixToMaskUint,
  prefixToNetmask,
  uintToIpv4,
} from './ip.js';
import { hasControlCharacters } from './text.js';

export interface AddressPoolOptions {
  /** `server NET MASK`: the network address and prefix length (≤ 30). */
  readonly network: string;
  readonly prefixLength: number;
  /** `server-ipv6 PREFIX/LEN` (prefix length ≤ 124). */
  readonly ipv6?: { readonly network: string; readonly prefixLength: number };
  readonly maxClients: number;
  readonly duplicateCn: boolean;
}

export interface Lease {
  /** The session holding it (the control plane's session id). */
  readonly session: string;
  /** Common name (or username) it was leased to. */
  readonly commonName: string;
  readonly ipv4: string;
  readonly ipv6?: string;
  /** A fixed address from client-config-dir (`ifconfig-push`) rather than the pool. */
  readonly fixed?: {
    readonly netmask: string;
    readonly ipv6PrefixLength?: number;
    readonly ipv6Remote?: string;
  };
}

/** `ifconfig-push` / `ifconfig-ipv6-push` of a client-config-dir file. */
export interface FixedAddress {
  readonly ipv4: string;
  readonly netmask: string;
  readonly ipv6?: { readonly address: string; readonly prefixLength: number; readonly remote?: string };
}

export type AcquireResult =
  | { readonly ok: true; readonly lease: Lease; readonly replaced?: string }
  | {
      readonly ok: false;
      readonly code: 'POOL_MAX_CLIENTS' | 'POOL_EXHAUSTED' | 'POOL_ADDRESS_IN_USE';
      readonly reason: string;
    };

export class AddressPool {
  readonly serverIpv4: string;
  readonly netmask: string;
  readonly prefixLength: number;
  readonly serverIpv6: string | undefined;
  readonly ipv6PrefixLength: number | undefined;
  /** Number of client addresses. */
  readonly size: number;
  readonly #options: AddressPoolOptions;
  readonly #base: number;
  /** index → lease in use. */
  readonly #inUse = new Map<number, Lease>();
  readonly #bySession = new Map<string, number>();
  /** Active session per common name (without duplicate-cn only). */
  readonly #activeByName = new Map<string, string>();
  /** name → index; Map order is least recently used first. */
  readonly #reservations = new Map<string, number>();
  readonly #reservedBy = new Map<number, string>();
  /** Fixed (ifconfig-push) leases by session. */
  readonly #fixed = new Map<string, Lease>();
  /** Pool indexes held by a fixed lease. */
  readonly #blocked = new Set<number>();
  #next = 0;

  constructor(options: AddressPoolOptions) {
    const { network, prefixLength } = options;
    if (!Number.isInteger(prefixLength) || prefixLength < 1 || prefixLength > 30)
      throw new RangeError(`server prefix length must be 1..30, got ${prefixLength}`);
    this.#base = ipv4ToUint(network) & prefixToMaskUint(prefixLength);
    this.#options = options;
    this.prefixLength = prefixLength;
    this.netmask = prefixToNetmask(prefixLength);
    this.serverIpv4 = uintToIpv4(this.#base + 1);
    let size = 2 ** (32 - prefixLength) - 3;
    if (options.ipv6) {
      const p = options.ipv6.prefixLength;
      if (!Number.isInteger(p) || p < 64 || p > 124)
        throw new RangeError(`server-ipv6 prefix length must be 64..124, got ${p}`);
      ipv6ToBytes(options.ipv6.network);
      this.serverIpv6 = ipv6AddOffset(options.ipv6.network, 1);
      this.ipv6PrefixLength = p;
      size = Math.min(size, 2 ** Math.min(32, 128 - p) - 2);
    } else {
      this.serverIpv6 = undefined;
      this.ipv6PrefixLength = undefined;
    }
    this.size = size;
  }

  get activeCount(): number {
    return this.#inUse.size + this.#fixed.size;
  }

  leaseOf(session: string): Lease | undefined {
    const index = this.#bySession.get(session);
    return index === undefined ? this.#fixed.get(session) : this.#inUse.get(index);
  }

  leases(): Lease[] {
    return [...this.#inUse.values(), ...this.#fixed.values()];
  }

  /**
   * Leases a fixed address (client-config-dir `ifconfig-push`) to a new
   * session. It may lie outside the pool (OpenVPN's advice) but must not be
   * the server's own or held by another session.
   */
  acquireFixed(session: string, commonName: string, address: FixedAddress): AcquireResult {
    const existing = this.leaseOf(session);
    if (existing) return { ok: true, lease: existing };
    let replaced: string | undefined;
    if (!this.#options.duplicateCn) replaced = this.#activeByName.get(commonName);
    if (replaced !== undefined) this.release(replaced);
    else if (this.activeCount >= this.#options.maxClients)
      return {
        ok: false,
        code: 'POOL_MAX_CLIENTS',
        reason: `max-clients ${this.#options.maxClients} reached`,
      };
    const v6 = address.ipv6 === undefined ? undefined : canonicalIpv6(address.ipv6.address);
    const clash =
      address.ipv4 === this.serverIpv4 || (v6 !== undefined && v6 === this.serverIpv6)
        ? 'the server'
        : this.leases().find((l) => l.ipv4 === address.ipv4 || (v6 !== undefined && l.ipv6 === v6))
            ?.commonName;
    if (clash !== undefined)
      return {
        ok: false,
        code: 'POOL_ADDRESS_IN_USE',
        reason: `ifconfig-push ${address.ipv4}${v6 ? `/${v6}` : ''} is in use by ${clash}`,
      };
    const index = this.#indexOfIpv4(address.ipv4);
    if (index !== undefined) {
      // Inside the pool: take it out of it while leased, so the pool never hands it to anyone else.
      this.#blocked.add(index);
    }
    const lease: Lease = {
      session,
      commonName,
      ipv4: address.ipv4,
      ...(v6 !== undefined ? { ipv6: v6 } : {}),
      fixed: {
        netmask: address.netmask,
        ...(address.ipv6 ? { ipv6PrefixLength: address.ipv6.prefixLength } : {}),
        ...(address.ipv6?.remote !== undefined ? { ipv6Remote: address.ipv6.remote } : {}),
      },
    };
    this.#fixed.set(session, lease);
    if (!this.#options.duplicateCn) this.#activeByName.set(commonName, session);
    return { ok: true, lease, ...(replaced !== undefined ? { replaced } : {}) };
  }

  /** Leases an address to a new session of `commonName`. */
  acquire(session: string, commonName: string): AcquireResult {
    const existing = this.leaseOf(session);
    if (existing) return { ok: true, lease: existing };
    let replaced: string | undefined;
    if (!this.#options.duplicateCn) {
      const previous = this.#activeByName.get(commonName);
      const index = previous === undefined ? undefined : this.#bySession.get(previous);
      if (previous !== undefined && index !== undefined) {
        // Take over the previous session's address; the driver closes that session.
        this.#bySession.delete(previous);
        const lease = this.#lease(index, session, commonName);
        return { ok: true, lease, replaced: previous };
      }
      if (previous !== undefined) {
        // The previous session had a fixed address: it goes, and this one takes a pool address.
        this.release(previous);
        replaced = previous;
      }
    }
    if (this.activeCount >= this.#options.maxClients)
      return {
        ok: false,
        code: 'POOL_MAX_CLIENTS',
        reason: `max-clients ${this.#options.maxClients} reached`,
      };
    const index = this.#pick(commonName);
    if (index === undefined)
      return {
        ok: false,
        code: 'POOL_EXHAUSTED',
        reason: `all ${this.size} addresses of ${uintToIpv4(this.#base)}/${this.prefixLength} are in use`,
      };
    return {
      ok: true,
      lease: this.#lease(index, session, commonName),
      ...(replaced !== undefined ? { replaced } : {}),
    };
  }

  /** Frees the session's address (its reservation stays). Returns the lease it held. */
  release(session: string): Lease | undefined {
    const fixed = this.#fixed.get(session);
    if (fixed) {
      this.#fixed.delete(session);
      const blocked = this.#indexOfIpv4(fixed.ipv4);
      if (blocked !== undefined) this.#blocked.delete(blocked);
      if (this.#activeByName.get(fixed.commonName) === session) this.#activeByName.delete(fixed.commonName);
      return fixed;
    }
    const index = this.#bySession.get(session);
    if (index === undefined) return undefined;
    const lease = this.#inUse.get(index)!;
    this.#bySession.delete(session);
    this.#inUse.delete(index);
    if (this.#activeByName.get(lease.commonName) === session) this.#activeByName.delete(lease.commonName);
    return lease;
  }

  /** Reservations in `ifconfig-pool-persist` format (one `CN,IPv4[,IPv6]` line each). */
  formatReservations(): string {
    let out = '';
    for (const [name, index] of this.#reservations) {
      const a = this.#addresses(index);
      out += a.ipv6 === undefined ? `${name},${a.ipv4}\n` : `${name},${a.ipv4},${a.ipv6}\n`;
    }
    return out;
  }

  /**
   * Reads reservations written by `formatReservations` (or OpenVPN). Lines that
   * do not fit this pool (another subnet, a malformed address) are skipped
   * and reported, never fatal: a stale file must not stop a server.
   */
  loadReservations(text: string): { loaded: number; skipped: string[] } {
    const skipped: string[] = [];
    let loaded = 0;
    for (const [i, raw] of text.split('\n').entries()) {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) continue;
      const [name = '', ipv4 = '', ipv6 = ''] = line.split(',');
      const index = this.#indexOfIpv4(ipv4);
      if (name === '' || unpersistable(name) || index === undefined) {
        skipped.push(`line ${i + 1}: '${line.slice(0, 80)}' is not NAME,ADDRESS within this pool`);
        continue;
      }
      if (ipv6 !== '' && this.serverIpv6 !== undefined) {
        const expected = this.#addresses(index).ipv6;
        let same = false;
        try {
          same = canonicalIpv6(ipv6) === expected;
        } catch {}
        if (!same) {
          skipped.push(`line ${i + 1}: IPv6 ${ipv6} does not pair with ${ipv4} in this pool`);
          continue;
        }
      }
      if (this.#reservedBy.has(index) || this.#reservations.has(name)) {
        skipped.push(`line ${i + 1}: ${name} or ${ipv4} is reserved twice`);
        continue;
      }
      this.#reserve(name, index);
      loaded++;
    }
    return { loaded, skipped };
  }

  #lease(index: number, session: string, commonName: string): Lease {
    const a = this.#addresses(index);
    const lease: Lease = {
      session,
      commonName,
      ipv4: a.ipv4,
      ...(a.ipv6 === undefined ? {} : { ipv6: a.ipv6 }),
    };
    this.#inUse.set(index, lease);
    this.#bySession.set(session, index);
    if (!this.#options.duplicateCn) {
      this.#activeByName.set(commonName, session);
      if (!unpersistable(commonName)) this.#reserve(commonName, index);
    }
    return lease;
  }

  #reserve(name: string, index: number): void {
    const previousName = this.#reservedBy.get(index);
    if (previousName !== undefined && previousName !== name) this.#reservations.delete(previousName);
    const previousIndex = this.#reservations.get(name);
    if (previousIndex !== undefined && previousIndex !== index) this.#reservedBy.delete(previousIndex);
    this.#reservations.delete(name); // re-insert: most recently used last
    this.#reservations.set(name, index);
    this.#reservedBy.set(index, name);
  }

  #pick(commonName: string): number | undefined {
    if (!this.#options.duplicateCn) {
      const reserved = this.#reservations.get(commonName);
      if (reserved !== undefined && !this.#taken(reserved)) return reserved;
    }
    // Never-reserved free addresses first, scanning round-robin from the last pick.
    for (let n = 0; n < this.size; n++) {
      const index = (this.#next + n) % this.size;
      if (!this.#taken(index) && !this.#reservedBy.has(index)) {
        this.#next = (index + 1) % this.size;
        return index;
      }
    }
    // Then the least recently used reservation of a name that is not connected.
    for (const index of this.#reservations.values()) if (!this.#taken(index)) return index;
    return undefined;
  }

  #taken(index: number): boolean {
    return this.#inUse.has(index) || this.#blocked.has(index);
  }

  #addresses(index: number): { ipv4: string; ipv6: string | undefined } {
    return {
      ipv4: uintToIpv4(this.#base + 2 + index),
      ipv6:
        this.#options.ipv6 === undefined ? undefined : ipv6AddOffset(this.#options.ipv6.network, 2 + index),
    };
  }

  #indexOfIpv4(text: string): number | undefined {
    let n: number;
    try {
      n = ipv4ToUint(text);
    } catch {
      return undefined;
    }
    const index = n - this.#base - 2;
    return Number.isInteger(index) && index >= 0 && index < this.size ? index : undefined;
  }
}

/** Names that cannot round-trip through the persistence file. */
function unpersistable(name: string): boolean {
  return name.includes(',') || hasControlCharacters(name);
}
