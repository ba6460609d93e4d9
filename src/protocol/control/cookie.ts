/**
 * Stateless cookies against spoofed ClientHello floods (docs/PROTOCOL.md §8),
 * in the spirit of WireGuard's cookie reply and DTLS's HelloVerifyRequest.
 *
 * When cookies are engaged, an Initial packet from a client must carry a token
 * the server minted for that client's address and session id within the last
 * period or two. Without one, the server answers with a COOKIE_REPLY and keeps
 * nothing: no session, no buffer, no public-key operation. Only a client that
 * can receive at its claimed address learns the cookie, so spoofed floods cost
 * the server one HMAC per packet.
 *
 * ```
 *   token  = timestamp (u32, seconds) ‖ HMAC-SHA-384(period_secret, addr ‖ client_sid ‖ timestamp)[0..16]
 *   period_secret = HKDF-Expand-Label(HKDF-Extract(0^48, cookie_master_key), "cookie secret", u32 period, 32)
 *   period = floor(timestamp_ms / 120 000)
 * ```
 * with `addr` the peer address as the driver names it (UTF-8, u8 length
 * prefix). The master key is random per server process, so the per-period
 * secrets rotate every 2 minutes without any state; a token is accepted while
 * its timestamp is at most one period old (and not from the future).
 *
 * Deviation from the brief: the MAC covers the client's session id rather than
 * the ClientHello random, because the session id is in every packet header —
 * so each fragment of a fragmented ClientHello is checked before it is
 * buffered — and, being fresh random per handshake, it plays the same role.
 *
 * COOKIE_REPLY packet (opcode 2, key id 0):
 * ```
 *   0   1  0x10
 *   1   8  client session id (echoed)
 *   9   1  cookie length (1..64)
 *  10   n  cookie
 *  ..  16  HMAC-SHA-384(cookie_reply_key(client_sid), all bytes above)[0..16]
 * ```
 * The tag detects corruption and off-path forgery (the session id is secret to
 * off-path attackers); like all Initial protection it is not a defence against
 * an on-path attacker, who could equally drop the packets.
 * @module
 */

import { COOKIE_PERIOD_MS, MAX_TOKEN_LENGTH, Opcode, SESSION_ID_LENGTH } from '../handshake/constants.js';
import {
  constantTimeEqual,
  expandLabel,
  hkdfExtract,
  hmacSha384,
  initialSecrets,
  ZERO_HASH,
} from '../handshake/key-schedule.js';
import { Label } from '../handshake/labels.js';
import { utf8, WireError, WireReader, WireWriter } from '../handshake/wire.js';
import { firstByte } from './packet.js';

export const COOKIE_LENGTH = 4 + 16;
const COOKIE_REPLY_TAG = 16;

export class CookieAuthority {
  /** HKDF-Extract of the master key: HKDF-Expand wants a PRK of at least HashLen bytes (RFC 5869 §2.3). */
  readonly #prk: Uint8Array;
  constructor(masterKey: Uint8Array) {
    if (masterKey.length < 32) throw new RangeError('cookie master key must be at least 32 bytes');
    this.#prk = hkdfExtract(ZERO_HASH, masterKey);
  }

  #mac(timestampSec: number, address: string, clientSessionId: Uint8Array): Uint8Array {
    const period = Math.floor((timestampSec * 1000) / COOKIE_PERIOD_MS);
    const secret = expandLabel(this.#prk, Label.cookieSecret, new WireWriter().u32(period).finish(), 32);
    const input = new WireWriter()
      .vector(1, utf8.encode(address).subarray(0, 255))
      .bytes(clientSessionId)
      .u32(timestampSec)
      .finish();
    return hmacSha384(secret, input).subarray(0, 16);
  }

  mint(now: number, address: string, clientSessionId: Uint8Array): Uint8Array {
    const ts = Math.floor(now / 1000) >>> 0;
    return new WireWriter()
      .u32(ts)
      .bytes(this.#mac(ts, address, clientSessionId))
      .finish();
  }

  /** True when `token` was minted for this address and session id, at most one period ago. */
  check(now: number, address: string, clientSessionId: Uint8Array, token: Uint8Array): boolean {
    if (token.length !== COOKIE_LENGTH) return false;
    const ts = new WireReader(token).u32('cookie.timestamp');
    const nowSec = Math.floor(now / 1000);
    if (ts > nowSec || nowSec - ts > COOKIE_PERIOD_MS / 1000) return false;
    return constantTimeEqual(token.subarray(4), this.#mac(ts, address, clientSessionId));
  }
}

export function encodeCookieReply(clientSessionId: Uint8Array, cookie: Uint8Array): Uint8Array {
  const body = new WireWriter()
    .u8(firstByte(Opcode.cookieReply, 0))
    .bytes(clientSessionId)
    .vector(1, cookie)
    .finish();
  const tag = hmacSha384(initialSecrets(clientSessionId).cookieReply, body).subarray(0, COOKIE_REPLY_TAG);
  const out = new Uint8Array(body.length + COOKIE_REPLY_TAG);
  out.set(body);
  out.set(tag, body.length);
  return out;
}

/** Parses and authenticates a COOKIE_REPLY addressed to `clientSessionId`; `undefined` if not valid. */
export function decodeCookieReply(datagram: Uint8Array, clientSessionId: Uint8Array): Uint8Array | undefined {
  try {
    const r = new WireReader(datagram);
    if (r.u8('cookie_reply.opcode') !== firstByte(Opcode.cookieReply, 0)) return undefined;
    const sid = r.bytesN(SESSION_ID_LENGTH, 'cookie_reply.session_id');
    const cookie = r.vector(1, 'cookie_reply.cookie', 1, MAX_TOKEN_LENGTH);
    const bodyLength = r.position;
    const tag = r.bytesN(COOKIE_REPLY_TAG, 'cookie_reply.tag');
    r.end('cookie_reply');
    if (!constantTimeEqual(sid, clientSessionId)) return undefined;
    const expected = hmacSha384(
      initialSecrets(clientSessionId).cookieReply,
      datagram.subarray(0, bodyLength),
    );
    if (!constantTimeEqual(tag, expected.subarray(0, COOKIE_REPLY_TAG))) return undefined;
    return cookie.slice();
  } catch (e) {
    if (e instanceof WireError) return undefined;
    throw e;
  }
}
