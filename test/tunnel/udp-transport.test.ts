import { afterEach, describe, expect, it } from 'vitest';
import {
  endpoint,
  openUdpTransport,
  parseEndpoint,
  type UdpEndpoint,
  type UdpTransport,
} from '../../src/net/udp-transport.js';

const open: UdpTransport[] = [];
afterEach(async () => {
  for (const t of open.splice(0)) await t.close();
});

async function transport(o: Parameters<typeof openUdpTransport>[0]): Promise<UdpTransport> {
  const t = await openUdpTransport(o);
  open.push(t);
  return t;
}

function next(t: UdpTransport): Promise<{ data: string; from: UdpEndpoint }> {
  return new Promise((resolve) => t.onDatagram((d, from) => resolve({ data: d.toString(), from })));
}

describe('endpoint names', () => {
  it("names peers 'ip:port' and '[ip6]:port', IPv4-mapped IPv6 as plain IPv4", () => {
    expect(endpoint('10.0.0.1', 1194).key).toBe('10.0.0.1:1194');
    expect(endpoint('::ffff:10.0.0.1', 1194)).toMatchObject({ key: '10.0.0.1:1194', family: 4 });
    expect(endpoint('fd00::1', 5).key).toBe('[fd00::1]:5');
    expect(parseEndpoint('[fd00::1]:5')).toMatchObject({ address: 'fd00::1', port: 5, family: 6 });
    expect(parseEndpoint('192.0.2.1:65535').port).toBe(65535);
  });

  it.each(['', '10.0.0.1', '10.0.0.1:70000', 'fd00::1:5', '[10.0.0.1]:5', 'host:5', '[fd00::1]'])(
    'rejects %j with UDP_BAD_ADDRESS',
    (text) => {
      expect(() => parseEndpoint(text)).toThrow(expect.objectContaining({ code: 'UDP_BAD_ADDRESS' }));
    },
  );
});

describe('UDP transport', () => {
  it('proto udp on a server is one dual-stack socket: IPv4 peers get answers at their IPv4 name', async () => {
    const server = await transport({ proto: 'udp', port: 0 });
    expect(server.dualStack).toBe(true);
    const client = await transport({ proto: 'udp4', port: 0 });
    const got = next(server);
    client.send(Buffer.from('hello'), endpoint('127.0.0.1', server.local.port));
    const { data, from } = await got;
    expect(data).toBe('hello');
    expect(from.key).toBe(`127.0.0.1:${client.local.port}`);
    const reply = next(client);
    server.send(Buffer.from('back'), from);
    expect((await reply).data).toBe('back');
    expect(server.buffers.receive).toBeGreaterThan(0);
  });

  it('bind ipv6only refuses IPv4 peers; an IPv4 socket cannot reach IPv6 (counted, not thrown)', async () => {
    const v6only = await transport({ proto: 'udp6', port: 0, ipv6Only: true });
    expect(v6only.dualStack).toBe(false);
    v6only.send(Buffer.from('x'), endpoint('127.0.0.1', 9));
    expect(v6only.sendErrors).toBe(1);
    const v4 = await transport({ proto: 'udp4', port: 0 });
    v4.send(Buffer.from('x'), endpoint('::1', 9));
    expect(v4.sendErrors).toBe(1);
  });

  it('a connected socket talks to its one peer only', async () => {
    const server = await transport({ proto: 'udp4', port: 0, address: '127.0.0.1' });
    const other = await transport({ proto: 'udp4', port: 0, address: '127.0.0.1' });
    const peer = endpoint('127.0.0.1', server.local.port);
    const client = await transport({ proto: 'udp4', port: 0, connect: peer });
    const got = next(server);
    client.send(Buffer.from('hi'), peer);
    const { from } = await got;
    client.send(Buffer.from('x'), other.local);
    expect(client.sendErrors).toBe(1);
    // Datagrams from anyone but the peer never arrive.
    const received: string[] = [];
    client.onDatagram((d) => received.push(d.toString()));
    other.send(Buffer.from('intruder'), from);
    server.send(Buffer.from('answer'), from);
    await new Promise((r) => setTimeout(r, 100));
    expect(received).toEqual(['answer']);
  });

  it('a port in use is an error at open', async () => {
    const a = await transport({ proto: 'udp4', port: 0, address: '127.0.0.1' });
    await expect(
      openUdpTransport({ proto: 'udp4', port: a.local.port, address: '127.0.0.1' }),
    ).rejects.toThrow();
  });
});
