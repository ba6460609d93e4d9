/**
 * Every reason the data channel drops a packet, as a named value with a counter.
 *
 * Untrusted input never throws: the receive path checks the cheap things first
 * (length, opcode, peer id, key id, counter range, replay window) and only then
 * spends an AES-GCM verification; whatever fails is counted here under a stable
 * name that logs, metrics and tests use. The send path has its own reasons (no
 * key yet, key exhausted, not an IP packet from the TUN device).
 * @module
 */

export const DropReason = {
  // receive path, before decryption
  truncated: 'truncated',
  oversizedDatagram: 'oversized-datagram',
  notData: 'not-data-opcode',
  peerIdMismatch: 'peer-id-mismatch',
  unknownKeyId: 'unknown-key-id',
  counterOutOfRange: 'counter-out-of-range',
  replayed: 'replayed',
  tooOld: 'too-old',
  // receive path, decryption and after
  authFailed: 'auth-failed',
  receiveKeyExhausted: 'receive-key-exhausted',
  unknownInBand: 'unknown-in-band',
  malformedInBand: 'malformed-in-band',
  malformedIp: 'malformed-ip',
  // send path
  noSendKey: 'no-send-key',
  sendKeyExhausted: 'send-key-exhausted',
  notIp: 'not-ip',
  oversizedPacket: 'oversized-packet',
  // both
  closed: 'closed',
} as const;

export type DropReason = (typeof DropReason)[keyof typeof DropReason];

export type DropCounters = Record<DropReason, number>;

export function emptyDropCounters(): DropCounters {
  const counters = {} as DropCounters;
  for (const reason of Object.values(DropReason)) counters[reason] = 0;
  return counters;
}
