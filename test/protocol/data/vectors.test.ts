/**
 * DATA packet test vectors: test/vectors/data/data-packets.json.
 *
 * Fixed keys, IVs, counters and plaintexts → exact datagrams (hex), plus invalid
 * datagrams with the drop reason a receiver reports. Every run checks the file
 * against our codec, against an independent AES-GCM (@noble/ciphers) applied to
 * the documented format, and against the data channel's receive path.
 * Regenerate (only when the format changes on purpose):
 *
 *   PQVPN_WRITE_VECTORS=1 npx vitest run test/protocol/data/vectors.test.ts
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { gcm } from '@noble/ciphers/aes.js';
import { describe, expect, it } from 'vitest';
import { DataChannel } from '../../../src/protocol/data/data-channel.js';
import { DataSealer, openDataPacket, sealDataPacket } from '../../../src/protocol/data/data-packet.js';

const FILE = new URL('../../vectors/data/data-packets.json', import.meta.url);

interface ValidVector {
  name: string;
  key: string;
  iv: string;
  keyId: number;
  peerId: number;
  counter: number;
  nonce: string;
  plaintext: string;
  datagram: string;
  payload: 'ip' | 'keepalive' | 'exit';
}

interface InvalidVector {
  name: string;
  key: string;
  iv: string;
  keyId: number;
  peerId: number;
  datagram: string;
  drop: string;
}

interface VectorFile {
  description: string;
  valid: ValidVector[];
  invalid: InvalidVector[];
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const unhex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));
const seq = (n: number, start: number) => Uint8Array.from({ length: n }, (_, i) => (start + i) & 0xff);

function nonceFor(iv: Uint8Array, counter: number): Uint8Array {
  const nonce = Uint8Array.from(iv);
  const c = new Uint8Array(8);
  new DataView(c.buffer).setBigUint64(0, BigInt(counter));
  for (let i = 0; i < 8; i++) nonce[4 + i]! ^= c[i]!;
  return nonce;
}

function ipv4Packet(length: number): Uint8Array {
  const p = seq(length, 0x10);
  p[0] = 0x45;
  p[2] = length >> 8;
  p[3] = length & 0xff;
  return p;
}

function ipv6Packet(length: number): Uint8Array {
  const p = seq(length, 0x80);
  p[0] = 0x60;
  p[1] = 0;
  return p;
}

function generate(): VectorFile {
  const keyA = seq(32, 0x00);
  const ivA = seq(12, 0xa0);
  const keyB = unhex('8f0e6c2a9b1d4e7f30c5a1b2d3e4f5061728394a5b6c7d8e9fa0b1c2d3e4f5a6');
  const ivB = unhex('0123456789abcdeffedcba98');
  const valid = [
    {
      name: 'keepalive, key id 0, peer id 0, first counter',
      key: keyA,
      iv: ivA,
      keyId: 0,
      peerId: 0,
      counter: 1,
      plaintext: Uint8Array.of(0x00),
      payload: 'keepalive' as const,
    },
    {
      name: 'exit notice (shutting down), key id 3',
      key: keyA,
      iv: ivA,
      keyId: 3,
      peerId: 1,
      counter: 2,
      plaintext: Uint8Array.of(0x01, 0x00),
      payload: 'exit' as const,
    },
    {
      name: 'exit notice (restarting), key id 4',
      key: keyB,
      iv: ivB,
      keyId: 4,
      peerId: 0x000102,
      counter: 77,
      plaintext: Uint8Array.of(0x01, 0x01),
      payload: 'exit' as const,
    },
    {
      name: 'IPv4 packet, key id 7, counter above 2^32 (nonce high word changes)',
      key: keyB,
      iv: ivB,
      keyId: 7,
      peerId: 0xabcdef,
      counter: 0x0102030405,
      plaintext: ipv4Packet(60),
      payload: 'ip' as const,
    },
    {
      name: 'IPv6 packet, key id 1, largest counter 2^48-1',
      key: keyB,
      iv: ivB,
      keyId: 1,
      peerId: 0xfffffe,
      counter: 2 ** 48 - 1,
      plaintext: ipv6Packet(100),
      payload: 'ip' as const,
    },
    {
      name: 'IPv4 packet of 1400 bytes, key id 2',
      key: keyA,
      iv: ivA,
      keyId: 2,
      peerId: 0x123456,
      counter: 4096,
      plaintext: ipv4Packet(1400),
      payload: 'ip' as const,
    },
  ].map((v) => ({
    name: v.name,
    key: hex(v.key),
    iv: hex(v.iv),
    keyId: v.keyId,
    peerId: v.peerId,
    counter: v.counter,
    nonce: hex(nonceFor(v.iv, v.counter)),
    plaintext: hex(v.plaintext),
    datagram: hex(sealDataPacket({ key: v.key, iv: v.iv }, v, v.plaintext)),
    payload: v.payload,
  }));

  const base = valid[3]!;
  const good = unhex(base.datagram);
  const mutate = (f: (d: Uint8Array) => void) => {
    const d = Uint8Array.from(good);
    f(d);
    return d;
  };
  const rawSeal = (counter: number, plaintext: Uint8Array, keyId = base.keyId) =>
    new DataSealer({ key: unhex(base.key), iv: unhex(base.iv) }, keyId, base.peerId).seal(counter, plaintext);
  const invalid = [
    {
      name: 'tag modified (last byte)',
      datagram: mutate((d) => {
        d[d.length - 1]! ^= 0x01;
      }),
      drop: 'auth-failed',
    },
    {
      name: 'ciphertext modified',
      datagram: mutate((d) => {
        d[20]! ^= 0x80;
      }),
      drop: 'auth-failed',
    },
    {
      name: 'counter modified (covered by the AAD and the nonce)',
      datagram: mutate((d) => {
        d[11]! ^= 0x01;
      }),
      drop: 'auth-failed',
    },
    {
      name: 'peer id modified',
      datagram: mutate((d) => {
        d[3]! ^= 0x01;
      }),
      drop: 'peer-id-mismatch',
    },
    {
      name: 'key id modified (no key installed under it)',
      datagram: mutate((d) => {
        d[0] = (9 << 3) | 6;
      }),
      drop: 'unknown-key-id',
    },
    {
      name: 'opcode 1 (CONTROL) is not a data packet',
      datagram: mutate((d) => {
        d[0] = (1 << 3) | 7;
      }),
      drop: 'not-data-opcode',
    },
    { name: 'header and tag only: no plaintext byte', datagram: good.subarray(0, 28), drop: 'truncated' },
    { name: 'counter 0 is never valid', datagram: rawSeal(0, ipv4Packet(40)), drop: 'counter-out-of-range' },
    {
      name: 'counter 2^48 is out of range',
      datagram: rawSeal(2 ** 48, ipv4Packet(40)),
      drop: 'counter-out-of-range',
    },
    {
      name: 'authentic, but in-band type 0x02 is unknown',
      datagram: rawSeal(9, Uint8Array.of(0x02)),
      drop: 'unknown-in-band',
    },
    {
      name: 'authentic, but keepalive with a trailing byte',
      datagram: rawSeal(10, Uint8Array.of(0x00, 0x00)),
      drop: 'malformed-in-band',
    },
    {
      name: 'authentic, but first nibble 5 is neither IPv4 nor IPv6',
      datagram: rawSeal(11, seq(40, 0x50)),
      drop: 'malformed-ip',
    },
  ].map((v) => ({
    name: v.name,
    key: base.key,
    iv: base.iv,
    keyId: base.keyId,
    peerId: base.peerId,
    datagram: hex(v.datagram),
    drop: v.drop,
  }));

  return {
    description:
      "pqvpn DATA packets (docs/PROTOCOL.md §11). datagram = [0x48|keyId][peerId:3][counter:8] || AES-256-GCM(key, nonce, aad = first 12 bytes, plaintext) || tag:16; nonce = iv XOR (0x00000000 || counter:8). `key`/`iv` are the sender direction's; a receiver with the same peer id and that key installed as its receive key for keyId must accept `valid` and drop `invalid` with `drop`. All byte strings are hex.",
    valid,
    invalid,
  };
}

describe('DATA packet vectors', () => {
  // Written while collecting, so the checks below read the fresh file.
  if (process.env.PQVPN_WRITE_VECTORS === '1')
    writeFileSync(FILE, `${JSON.stringify(generate(), null, 2)}\n`);

  const file = JSON.parse(readFileSync(FILE, 'utf8')) as VectorFile;

  it('the file is what the generator produces (the format has not drifted)', () => {
    expect(file).toEqual(generate());
  });

  it.each(file.valid.map((v) => [v.name, v] as const))('valid: %s', (_name, v) => {
    const direction = { key: unhex(v.key), iv: unhex(v.iv) };
    const datagram = unhex(v.datagram);
    const plaintext = unhex(v.plaintext);
    // Our codec.
    expect(hex(sealDataPacket(direction, v, plaintext))).toBe(v.datagram);
    expect(hex(openDataPacket(direction, datagram)!.plaintext)).toBe(v.plaintext);
    // The format written out independently: header, nonce = iv xor counter, AES-GCM from another library.
    expect(hex(nonceFor(direction.iv, v.counter))).toBe(v.nonce);
    const header = datagram.subarray(0, 12);
    expect(header[0]).toBe(0x48 | v.keyId);
    expect((header[1]! << 16) | (header[2]! << 8) | header[3]!).toBe(v.peerId);
    expect(new DataView(header.buffer, header.byteOffset).getBigUint64(4)).toBe(BigInt(v.counter));
    const sealed = gcm(direction.key, unhex(v.nonce), header).encrypt(plaintext);
    expect(hex(sealed)).toBe(v.datagram.slice(24));
    // A receiver.
    const receiver = receiverFor(v);
    expect(receiver.decrypt(0, datagram).type).toBe(v.payload);
  });

  it.each(file.invalid.map((v) => [v.name, v] as const))('invalid: %s', (_name, v) => {
    expect(receiverFor(v).decrypt(0, unhex(v.datagram))).toEqual({ type: 'drop', reason: v.drop });
  });
});

function receiverFor(v: { key: string; iv: string; keyId: number; peerId: number }): DataChannel {
  const receiver = new DataChannel({ peerId: v.peerId, now: 0 });
  const unused = { key: new Uint8Array(32).fill(1), iv: new Uint8Array(12) };
  receiver.installKeys(
    0,
    { keyId: v.keyId, send: unused, receive: { key: unhex(v.key), iv: unhex(v.iv) } },
    {
      activate: true,
    },
  );
  return receiver;
}
