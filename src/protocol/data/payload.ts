/**
 * What a data packet carries once decrypted: an IP packet or an in-band message.
 *
 * The first plaintext byte decides. IPv4 and IPv6 packets start with their
 * version nibble (0x4_ or 0x6_, so ≥ 0x40); bytes below 0x40 are in-band
 * messages of the data channel itself:
 *
 *   0x00            keepalive     (exactly 1 byte)
 *   0x01 reason     exit notice   (exactly 2 bytes; 0 = shutting down, 1 = restarting)
 *
 * Anything else is dropped with a named reason: an unknown in-band type
 * (reserved for future use), an in-band message of the wrong length, a first
 * nibble that is neither 4 nor 6, or an IP packet shorter than its fixed header.
 * The send side applies the same rule to packets from the TUN device, so a
 * stray non-IP buffer can never be mistaken for an in-band message by the peer.
 * @module
 */

import {
  EXIT_NOTICE_LENGTH,
  IN_BAND_LIMIT,
  InBandType,
  KEEPALIVE_LENGTH,
  MAX_DATA_PLAINTEXT,
} from './constants.js';
import { DropReason } from './drop-reasons.js';

export type Payload =
  | { readonly type: 'ip'; readonly packet: Uint8Array }
  | { readonly type: 'keepalive' }
  | { readonly type: 'exit'; readonly reason: number }
  | { readonly type: 'drop'; readonly reason: DropReason };

const IPV4_MIN_HEADER = 20;
const IPV6_HEADER = 40;

const KEEPALIVE: Payload = Object.freeze({ type: 'keepalive' });

/** Why `packet` (from the TUN device) cannot be sent as an IP packet, or undefined if it can. */
export function ipPacketProblem(packet: Uint8Array): DropReason | undefined {
  const length = packet.length;
  if (length > MAX_DATA_PLAINTEXT) return DropReason.oversizedPacket;
  if (length === 0) return DropReason.notIp;
  const version = packet[0]! >>> 4;
  if (version === 4) return length >= IPV4_MIN_HEADER ? undefined : DropReason.notIp;
  if (version === 6) return length >= IPV6_HEADER ? undefined : DropReason.notIp;
  return DropReason.notIp;
}

/** Classify an authenticated plaintext. */
export function classifyPlaintext(plaintext: Uint8Array): Payload {
  const first = plaintext[0];
  if (first === undefined) return { type: 'drop', reason: DropReason.malformedInBand };
  if (first >= IN_BAND_LIMIT) {
    const version = first >>> 4;
    if (version === 4 && plaintext.length >= IPV4_MIN_HEADER) return { type: 'ip', packet: plaintext };
    if (version === 6 && plaintext.length >= IPV6_HEADER) return { type: 'ip', packet: plaintext };
    return { type: 'drop', reason: DropReason.malformedIp };
  }
  switch (first) {
    case InBandType.keepalive:
      return plaintext.length === KEEPALIVE_LENGTH
        ? KEEPALIVE
        : { type: 'drop', reason: DropReason.malformedInBand };
    case InBandType.exitNotice:
      return plaintext.length === EXIT_NOTICE_LENGTH
        ? { type: 'exit', reason: plaintext[1]! }
        : { type: 'drop', reason: DropReason.malformedInBand };
    default:
      return { type: 'drop', reason: DropReason.unknownInBand };
  }
}

export function keepalivePlaintext(): Uint8Array {
  return Uint8Array.of(InBandType.keepalive);
}

export function exitNoticePlaintext(reason: number): Uint8Array {
  return Uint8Array.of(InBandType.exitNotice, reason);
}
