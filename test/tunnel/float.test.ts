/**
 * Float: a client behind a NAT whose public port changes mid-session keeps
 * its session — the server moves it after the first packet from the new
 * address that authenticates, and only then. A relay in front of the server
 * plays the NAT.
 */
import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import type { ServerConfig } from '../../src/config/model.js';
import { Logger } from '../../src/log.js';
import {
  createInProcessClientControlPlane,
  createInProcessServerControlPlane,
} from '../../src/runtime/in-process.js';
import { TunnelClient } from '../../src/tunnel/client.js';
import { TunnelServer } from '../../src/tunnel/server.js';
import { client as clientConfig, server as serverConfig } from '../config/helpers.js';
import { FakeVerifier, identity } from '../protocol/control/helpers.js';
import { ipv4Packet, MemoryTunBackend } from './support/memory-tun.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A NAT: the client talks to `port`; the relay talks to the server from `outside`, which `rebind()` replaces. */
async function nat(serverPort: number) {
  const inside = dgram.createSocket('udp4');
  await new Promise<void>((r) => inside.bind(0, '127.0.0.1', () => r()));
  let client: { address: string; port: number } | undefined;
  let outside: dgram.Socket;
  const open = async () => {
    const s = dgram.createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
    s.on('message', (msg) => client && inside.send(msg, client.port, client.address));
    return s;
  };
  outside = await open();
  let lastData: Uint8Array | undefined;
  inside.on('message', (msg, rinfo) => {
    client = { address: rinfo.address, port: rinfo.port };
    if (msg[0]! >>> 3 === 9) lastData = Uint8Array.from(msg);
    outside.send(msg, serverPort, '127.0.0.1');
  });
  cleanups.push(() => {
    inside.close();
    outside.close();
  });
  return {
    port: (inside.address() as { port: number }).port,
    get lastData() {
      return lastData;
    },
    get outsidePort() {
      return (outside.address() as { port: number }).port;
    },
    async rebind() {
      const old = outside;
      outside = await open();
      old.close();
    },
    /** Sends raw bytes to the server from a fresh socket (an attacker elsewhere). */
    async spoof(datagram: Uint8Array) {
      const s = dgram.createSocket('udp4');
      await new Promise<void>((r) => s.send(datagram, serverPort, '127.0.0.1', () => r()));
      s.close();
    },
  };
}

describe('float', () => {
  it('moves the session to the new address after an authentic packet; forged or replayed ones move nothing', async () => {
    const lines: string[] = [];
    const stun = new MemoryTunBackend();
    const config: ServerConfig = { ...serverConfig('proto udp4\n'), lport: 0 };
    const server = await TunnelServer.start({
      config,
      log: new Logger({ verb: 4, sink: (l) => lines.push(l) }),
      tun: stun,
      authenticate: async () => ({ ok: true }),
      tickMs: 50,
      createControlPlane: (sink) =>
        createInProcessServerControlPlane(
          {
            session: {
              identity: identity('server', 'serverAuth'),
              clientAuth: { certificate: true, password: false },
            },
            verifier: { trustAnchors: [] },
            peerVerifier: new FakeVerifier(),
          },
          sink,
        ),
    });
    cleanups.push(() => server.stop());
    const relay = await nat(server.local!.port);

    const ctun = new MemoryTunBackend();
    let connected = false;
    const client = new TunnelClient({
      config: {
        ...clientConfig('nobind\n'),
        remotes: [{ host: '127.0.0.1', port: relay.port, proto: 'udp4' }],
      },
      log: new Logger({ verb: -1 }),
      tun: ctun,
      ip: { run: async (a) => (a.includes('get') ? '[]' : '') },
      tickMs: 50,
      onConnected: () => {
        connected = true;
      },
      createControlPlane: (sink) =>
        createInProcessClientControlPlane(
          {
            session: { identity: identity('alice', 'clientAuth') },
            verifier: { trustAnchors: [] },
            peerVerifier: new FakeVerifier(),
          },
          sink,
        ),
    });
    const run = client.run();
    cleanups.push(async () => {
      client.stop();
      await run.catch(() => {});
    });
    while (!connected) await new Promise((r) => setTimeout(r, 20));
    const packet = ipv4Packet('10.8.0.2', '10.8.0.1');
    ctun.last.inject(packet);
    await stun.last.waitFor((p) => p.length === packet.length);
    const before = relay.outsidePort;
    expect(lines.join('\n')).toContain(`127.0.0.1:${before}: connected`);

    // Forged datagrams from elsewhere (right peer id, garbage tag) change nothing.
    const forged = new Uint8Array(60);
    forged[0] = 9 << 3;
    await relay.spoof(forged);
    // A genuine data packet replayed from elsewhere is a replay: dropped before it could move anything.
    await relay.spoof(relay.lastData!);
    await new Promise((r) => setTimeout(r, 100));
    expect(lines.join('\n')).not.toMatch(/floated/);
    expect(server.peers()[0]?.stats.drops).toMatchObject({ replayed: 1 });
    expect(server.peers()[0]?.endpoint).toBe(`127.0.0.1:${before}`);

    // The NAT rebinds: the next authentic packet comes from a new port, and the session follows it.
    await relay.rebind();
    const after = relay.outsidePort;
    ctun.last.inject(ipv4Packet('10.8.0.2', '10.8.0.1', new Uint8Array(9)));
    await stun.last.waitFor((p) => p.length === packet.length + 1);
    expect(lines.join('\n')).toContain(`floated from 127.0.0.1:${before} to 127.0.0.1:${after}`);
    // Replies reach the client at its new address.
    stun.last.inject(ipv4Packet('10.8.0.1', '10.8.0.2', new Uint8Array(3)));
    await ctun.last.waitFor((p) => p.length === packet.length - 5);
    expect(server.peerCount).toBe(1);
  });
});

describe('float on the client', () => {
  it('with float, the client follows the server to a new address after an authentic packet from there', async () => {
    const stun = new MemoryTunBackend();
    const server = await TunnelServer.start({
      config: { ...serverConfig('proto udp4\n'), lport: 0 },
      log: new Logger({ verb: -1 }),
      tun: stun,
      authenticate: async () => ({ ok: true }),
      tickMs: 50,
      createControlPlane: (sink) =>
        createInProcessServerControlPlane(
          {
            session: {
              identity: identity('server', 'serverAuth'),
              clientAuth: { certificate: true, password: false },
            },
            verifier: { trustAnchors: [] },
            peerVerifier: new FakeVerifier(),
          },
          sink,
        ),
    });
    cleanups.push(() => server.stop());
    // Two front addresses for the server; replies leave from the active one.
    const bind = async () => {
      const s = dgram.createSocket('udp4');
      await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
      return s;
    };
    const [front1, front2, back] = [await bind(), await bind(), await bind()];
    cleanups.push(() => {
      for (const s of [front1, front2, back]) s.close();
    });
    let client: { address: string; port: number } | undefined;
    let active = front1;
    for (const f of [front1, front2])
      f.on('message', (msg, rinfo) => {
        client = { address: rinfo.address, port: rinfo.port };
        back.send(msg, server.local!.port, '127.0.0.1');
      });
    back.on('message', (msg) => client && active.send(msg, client.port, client.address));

    const lines: string[] = [];
    const ctun = new MemoryTunBackend();
    let connected = false;
    const port1 = (front1.address() as { port: number }).port;
    const port2 = (front2.address() as { port: number }).port;
    const c = new TunnelClient({
      config: {
        ...clientConfig('nobind\nfloat\n'),
        remotes: [{ host: '127.0.0.1', port: port1, proto: 'udp4' }],
      },
      log: new Logger({ verb: 3, sink: (l) => lines.push(l) }),
      tun: ctun,
      ip: { run: async (a) => (a.includes('get') ? '[]' : '') },
      tickMs: 50,
      onConnected: () => {
        connected = true;
      },
      createControlPlane: (sink) =>
        createInProcessClientControlPlane(
          {
            session: { identity: identity('alice', 'clientAuth') },
            verifier: { trustAnchors: [] },
            peerVerifier: new FakeVerifier(),
          },
          sink,
        ),
    });
    const run = c.run();
    cleanups.push(async () => {
      c.stop();
      await run.catch(() => {});
    });
    while (!connected) await new Promise((r) => setTimeout(r, 20));
    ctun.last.inject(ipv4Packet('10.8.0.2', '10.8.0.1'));
    await stun.last.waitFor(() => true);

    active = front2;
    stun.last.inject(ipv4Packet('10.8.0.1', '10.8.0.2', new Uint8Array(5)));
    await ctun.last.waitFor((p) => p.length === 25);
    expect(lines.join('\n')).toContain(`the server floated from 127.0.0.1:${port1} to 127.0.0.1:${port2}`);
    // The client now talks to the new address (front2 relays it): traffic still flows.
    const before = stun.last.written.length;
    ctun.last.inject(ipv4Packet('10.8.0.2', '10.8.0.1', new Uint8Array(7)));
    await stun.last.waitFor((p) => p.length === 27);
    expect(stun.last.written.length).toBe(before + 1);
  });
});
