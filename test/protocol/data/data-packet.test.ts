import { gcm } from '@noble/ciphers/aes.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DATA_OVERHEAD, MAX_PACKET_COUNTER } from '../../../src/protocol/data/constants.js';
import {
  counterOf,
  DataOpener,
  DataSealer,
  keyIdOf,
  opcodeOf,
  openDataPacket,
  peerIdOf,
  sealDataPacket,
} from '../../../src/protocol/data/data-packet.js';
import type { DirectionKey } from '../../../src/protocol/data/keys.js';
import { createPrng } from '../../../src/protocol/testing/prng.js';

const prng = createPrng(0xdada);
const direction: DirectionKey = { key: prng.randomBytes(32), iv: prng.randomBytes(12) };

/** The protocol, written out independently with @noble/ciphers as the AES-GCM oracle. */
function referenceSeal(
  d: DirectionKey,
  keyId: number,
  peerId: number,
  counter: number,
  pt: Uint8Array,
): Uint8Array {
  const header = new Uint8Array(12);
  header[0] = (9 << 3) | keyId;
  header[1] = peerId >>> 16;
  header[2] = (peerId >>> 8) & 0xff;
  header[3] = peerId & 0xff;
  const view = new DataView(header.buffer);
  view.setBigUint64(4, BigInt(counter));
  const nonce = Uint8Array.from(d.iv);
  for (let i = 0; i < 8; i++) nonce[4 + i]! ^= header[4 + i]!;
  const sealed = gcm(d.key, nonce, header).encrypt(pt);
  const out = new Uint8Array(12 + sealed.length);
  out.set(header);
  out.set(sealed, 12);
  return out;
}

describe('DATA packet codec', () => {
  it('matches an independent implementation of the format (header, nonce = IV xor counter, AAD)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 7 }),
        fc.integer({ min: 0, max: 0xfffffe }),
        fc.oneof(fc.integer({ min: 1, max: 2 ** 32 + 10 }), fc.integer({ min: 1, max: MAX_PACKET_COUNTER })),
        fc.uint8Array({ minLength: 1, maxLength: 1500 }),
        (keyId, peerId, counter, pt) => {
          const datagram = new DataSealer(direction, keyId, peerId).seal(counter, pt);
          expect(
            Buffer.from(datagram).equals(Buffer.from(referenceSeal(direction, keyId, peerId, counter, pt))),
          ).toBe(true);
          expect(opcodeOf(datagram)).toBe(9);
          expect(keyIdOf(datagram)).toBe(keyId);
          expect(peerIdOf(datagram)).toBe(peerId);
          expect(counterOf(datagram)).toBe(counter);
          expect(datagram.length).toBe(pt.length + DATA_OVERHEAD);
          const opened = new DataOpener(direction).open(datagram);
          expect(opened && Buffer.from(opened).equals(Buffer.from(pt))).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('opens a datagram that is a plain Uint8Array view into a larger buffer', () => {
    const datagram = sealDataPacket(
      direction,
      { keyId: 1, peerId: 7, counter: 3 },
      Uint8Array.of(0x45, 1, 2),
    );
    const big = new Uint8Array(datagram.length + 10);
    big.set(datagram, 5);
    const view = big.subarray(5, 5 + datagram.length);
    expect(openDataPacket(direction, view)?.plaintext).toEqual(Buffer.from([0x45, 1, 2]));
  });

  it('rejects every single-bit flip', () => {
    const datagram = sealDataPacket(
      direction,
      { keyId: 2, peerId: 0x123456, counter: 77 },
      prng.randomBytes(20),
    );
    const opener = new DataOpener(direction);
    for (let bit = 0; bit < datagram.length * 8; bit++) {
      const flipped = Uint8Array.from(datagram);
      flipped[bit >> 3]! ^= 1 << (bit & 7);
      expect(opener.open(flipped)).toBeUndefined();
    }
    expect(opener.open(datagram)).toBeDefined();
  });

  it('rejects the wrong key, truncation and garbage without throwing', () => {
    const datagram = sealDataPacket(direction, { keyId: 0, peerId: 1, counter: 1 }, Uint8Array.of(0x45));
    const other: DirectionKey = { key: prng.randomBytes(32), iv: direction.iv };
    expect(openDataPacket(other, datagram)).toBeUndefined();
    expect(openDataPacket(direction, datagram.subarray(0, DATA_OVERHEAD))).toBeUndefined();
    expect(openDataPacket(direction, new Uint8Array(0))).toBeUndefined();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        expect(openDataPacket(direction, bytes)).toBeUndefined();
      }),
    );
  });

  it('refuses misuse: counter 0 or beyond 2^48-1, empty or oversized plaintext, bad key id or peer id', () => {
    const pt = Uint8Array.of(0x45);
    for (const counter of [0, -1, 1.5, MAX_PACKET_COUNTER + 1]) {
      expect(() => sealDataPacket(direction, { keyId: 0, peerId: 0, counter }, pt)).toThrow(
        expect.objectContaining({ code: 'DATA_MISUSE' }),
      );
    }
    expect(() => sealDataPacket(direction, { keyId: 0, peerId: 0, counter: 1 }, new Uint8Array(0))).toThrow(
      expect.objectContaining({ code: 'DATA_MISUSE' }),
    );
    expect(() =>
      sealDataPacket(direction, { keyId: 0, peerId: 0, counter: 1 }, new Uint8Array(65_536)),
    ).toThrow(expect.objectContaining({ code: 'DATA_MISUSE' }));
    expect(() => new DataSealer(direction, 8, 0)).toThrow(
      expect.objectContaining({ code: 'DATA_KEY_INVALID' }),
    );
    expect(() => new DataSealer(direction, 0, 0xffffff)).toThrow(
      expect.objectContaining({ code: 'DATA_CONFIG_INVALID' }),
    );
    expect(() => new DataOpener({ key: new Uint8Array(16), iv: direction.iv })).toThrow(
      expect.objectContaining({ code: 'DATA_KEY_INVALID' }),
    );
  });

  it('wipe() zeroes the key so nothing opens afterwards', () => {
    const sealer = new DataSealer(direction, 0, 0);
    const opener = new DataOpener(direction);
    const datagram = sealer.seal(1, Uint8Array.of(0x45));
    opener.wipe();
    expect(opener.open(datagram)).toBeUndefined();
  });
});
