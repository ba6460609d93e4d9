/**
 * The server's front door: a stateless first look at every datagram
 * (docs/PROTOCOL.md §8).
 *
 * `ServerGate.inspect` runs on the main thread before any session exists. It
 * costs at most one XChaCha20-Poly1305 decryption (tls-crypt), one HKDF and
 * AES-GCM open (Initial protection) and one HMAC (cookie) per datagram, and it
 * allocates nothing that outlives the call. Its verdict tells the driver what
 * to do:
 * - `data`: a data-channel packet; route it by peer id to the data channel.
 * - `session`: a control packet for an existing session; route by our session
 *   id (`serverSessionId`, hex) to that session (which authenticates it).
 * - `initial`: an authenticated Initial packet from a client; route by
 *   (address, client session id) to its half-open session, or create one.
 * - `reply`: send this COOKIE_REPLY back to the address and keep nothing.
 * - `drop`: with a named reason, for the driver's counters.
 *
 * Cookies are engaged when configured `always`, or `under-load` while the
 * driver says it is under load (e.g. more half-open sessions than it wants).
 * @module
 */

import { Level, Opcode } from '../handshake/constants.js';
import type { HandshakeCrypto } from '../handshake/crypto-provider.js';
import { initialSecrets, trafficKeys } from '../handshake/key-schedule.js';
import { toHex, WireError } from '../handshake/wire.js';
import { CookieAuthority, encodeCookieReply } from './cookie.js';
import { isZeroSessionId, opcodeOf, openControlPacket, parseControlPacket } from './packet.js';
import {
  deriveTlsCryptKeys,
  TLS_CRYPT_NONCE_LENGTH,
  type TlsCryptKeys,
  tlsCryptUnwrap,
  tlsCryptWrap,
} from './tls-crypt.js';

export type CookiePolicy = 'off' | 'under-load' | 'always';

export interface ServerGateOptions {
  readonly tlsCryptKey?: Uint8Array;
  readonly cookies?: CookiePolicy;
}

export type GateVerdict =
  | { readonly kind: 'data' }
  | { readonly kind: 'session'; readonly serverSessionId: string }
  | { readonly kind: 'initial'; readonly clientSessionId: Uint8Array; readonly addressValidated: boolean }
  | { readonly kind: 'reply'; readonly datagram: Uint8Array }
  | { readonly kind: 'drop'; readonly reason: string };

export class ServerGate {
  private readonly tlsCrypt: TlsCryptKeys | undefined;
  private readonly cookies: CookiePolicy;
  private readonly authority: CookieAuthority;
  private readonly crypto: HandshakeCrypto;
  /** Verdicts by kind/reason, for monitoring. */
  readonly counters: Record<string, number> = {};

  constructor(options: ServerGateOptions, crypto: HandshakeCrypto) {
    this.tlsCrypt = options.tlsCryptKey ? deriveTlsCryptKeys(options.tlsCryptKey) : undefined;
    this.cookies = options.cookies ?? 'under-load';
    this.crypto = crypto;
    this.authority = new CookieAuthority(crypto.randomBytes(32));
  }

  /**
   * `hasHalfOpen(address, clientSessionIdHex)`: whether the driver already
   * keeps a session for this client at this address. Such a client passed
   * the gate once (with a cookie if one was needed then), so its later
   * Initial datagrams (the rest of a ClientHello, retransmissions) reach it
   * even when cookies engage meanwhile, instead of costing a round trip.
   */
  inspect(
    now: number,
    datagram: Uint8Array,
    address: string,
    underLoad: boolean,
    hasHalfOpen: (address: string, clientSessionIdHex: string) => boolean = () => false,
  ): GateVerdict {
    const v = this.classify(now, datagram, address, underLoad, hasHalfOpen);
    const key = v.kind === 'drop' ? `drop:${v.reason}` : v.kind;
    this.counters[key] = (this.counters[key] ?? 0) + 1;
    return v;
  }

  private classify(
    now: number,
    datagram: Uint8Array,
    address: string,
    underLoad: boolean,
    hasHalfOpen: (address: string, clientSessionIdHex: string) => boolean,
  ): GateVerdict {
    const op = opcodeOf(datagram);
    if (op === Opcode.data) return { kind: 'data' };
    if (op !== Opcode.control) return { kind: 'drop', reason: 'unknown-opcode' };
    let inner: Uint8Array | undefined = datagram;
    if (this.tlsCrypt) {
      inner = tlsCryptUnwrap(this.tlsCrypt, 'client-to-server', datagram);
      if (!inner) return { kind: 'drop', reason: 'tls-crypt-auth' };
    }
    let parsed: ReturnType<typeof parseControlPacket>;
    try {
      parsed = parseControlPacket(inner);
    } catch (e) {
      if (e instanceof WireError) return { kind: 'drop', reason: 'malformed' };
      throw e;
    }
    const h = parsed.header;
    if (!isZeroSessionId(h.dstSessionId)) return { kind: 'session', serverSessionId: toHex(h.dstSessionId) };
    if (h.level !== Level.initial || h.keyId !== 0) return { kind: 'drop', reason: 'no-session' };
    if (isZeroSessionId(h.srcSessionId)) return { kind: 'drop', reason: 'zero-session-id' };
    // Authenticate the Initial packet (integrity against corruption and blind forgery) before answering it.
    if (!openControlPacket(parsed, trafficKeys(initialSecrets(h.srcSessionId).client))) {
      return { kind: 'drop', reason: 'initial-auth' };
    }
    const validCookie = h.token.length > 0 && this.authority.check(now, address, h.srcSessionId, h.token);
    const engaged = this.cookies === 'always' || (this.cookies === 'under-load' && underLoad);
    if (engaged && !validCookie && !hasHalfOpen(address, toHex(h.srcSessionId))) {
      const reply = encodeCookieReply(h.srcSessionId, this.authority.mint(now, address, h.srcSessionId));
      const wrapped = this.tlsCrypt
        ? tlsCryptWrap(
            this.tlsCrypt,
            'server-to-client',
            reply,
            this.crypto.randomBytes(TLS_CRYPT_NONCE_LENGTH),
          )
        : reply;
      // Never answer with more bytes than we received: no amplification.
      if (wrapped.length > datagram.length) return { kind: 'drop', reason: 'cookie-needed-packet-too-small' };
      return { kind: 'reply', datagram: wrapped };
    }
    return { kind: 'initial', clientSessionId: h.srcSessionId.slice(), addressValidated: validCookie };
  }
}
