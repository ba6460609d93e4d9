import { DataChannel, type DataChannelOptions } from '../../../src/protocol/data/data-channel.js';
import { createDataKeyMaterial, type DataKeyMaterial } from '../../../src/protocol/data/keys.js';
import { createPrng } from '../../../src/protocol/testing/prng.js';

/** Matching key material for both ends of one key id: the client's send is the server's receive. */
export function keyPair(
  keyId: number,
  seed = keyId + 1,
): { client: DataKeyMaterial; server: DataKeyMaterial } {
  const p = createPrng(seed * 7919);
  const c2s = { key: p.randomBytes(32), iv: p.randomBytes(12) };
  const s2c = { key: p.randomBytes(32), iv: p.randomBytes(12) };
  return {
    client: createDataKeyMaterial({ keyId, send: c2s, receive: s2c }),
    server: createDataKeyMaterial({ keyId, send: s2c, receive: c2s }),
  };
}

/** A minimal valid IPv4 packet whose payload carries `n` (so tests can track packets). */
export function ipv4(n: number, size = 40): Uint8Array {
  const p = new Uint8Array(Math.max(size, 24));
  p[0] = 0x45;
  new DataView(p.buffer).setUint32(20, n);
  return p;
}

export function ipv4Id(packet: Uint8Array): number {
  return new DataView(packet.buffer, packet.byteOffset, packet.byteLength).getUint32(20);
}

/** A client and a server data channel with key 0 installed by the handshake rules. */
export function connectedPair(
  options: Partial<DataChannelOptions> = {},
  now = 0,
): { client: DataChannel; server: DataChannel } {
  const client = new DataChannel({ peerId: 0x00abcd, now, ...options });
  const server = new DataChannel({ peerId: 0x00abcd, now, ...options });
  const keys = keyPair(0);
  client.installKeys(now, keys.client, { activate: false });
  server.installKeys(now, keys.server, { activate: true });
  client.activateSendKey(now, 0);
  client.drainEvents();
  server.drainEvents();
  return { client, server };
}

export function sealed(
  result: { ok: true; datagram: Uint8Array } | { ok: false; reason: string },
): Uint8Array {
  if (!result.ok) throw new Error(`expected a datagram, got drop ${result.reason}`);
  return result.datagram;
}
