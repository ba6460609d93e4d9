/**
 * The in-process control planes: real timers, real PKI, asynchronous delivery
 * and asynchronous auth answers, as the tunnel driver uses them.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PqvpnError } from '../../src/errors.js';
import type { DataKeyMaterial } from '../../src/protocol/data/keys.js';
import type { ClientConfig, SessionEvent } from '../../src/protocol/handshake/types.js';
import type { ClientControlPlane, ServerControlPlane } from '../../src/runtime/control-plane.js';
import {
  createInProcessClientControlPlane,
  createInProcessServerControlPlane,
} from '../../src/runtime/in-process.js';
import { acceptAll, Loopback, makePki, type TestPki } from './fixtures.js';

let pki: TestPki;
beforeAll(() => {
  pki = makePki();
});

const planes: Array<ServerControlPlane | ClientControlPlane> = [];
afterEach(async () => {
  for (const p of planes.splice(0)) await p.shutdown('shutdown');
});

async function server(
  loop: Loopback,
  session: Partial<Parameters<typeof createInProcessServerControlPlane>[0]['session']> = {},
  extra: { onError?: (e: Error) => void } = {},
) {
  const s = await createInProcessServerControlPlane(
    {
      session: { identity: pki.server, clientAuth: { certificate: true, password: false }, ...session },
      verifier: { trustAnchors: [pki.caPem] },
      cookies: 'off',
      ...extra,
    },
    loop.serverSink,
  );
  loop.server = s;
  planes.push(s);
  return s;
}

async function client(
  loop: Loopback,
  address: string,
  session: ClientConfig = { identity: pki.client(address) },
) {
  const c = await createInProcessClientControlPlane(
    { session, verifier: { trustAnchors: [pki.caPem] } },
    loop.clientSink(address),
  );
  loop.clients.set(address, c);
  planes.push(c);
  return c;
}

function keysOf(events: readonly SessionEvent[]): DataKeyMaterial[] {
  return events.flatMap((e) => (e.type === 'keys-installed' ? [e.keys] : []));
}

describe('in-process server and client control planes', () => {
  it('three concurrent certificate handshakes establish with matching data keys', async () => {
    const loop = new Loopback();
    await server(loop);
    const names = ['10.0.0.1:1194', '10.0.0.2:1194', '10.0.0.3:1194'];
    for (const a of names) (await client(loop, a)).start();
    await loop.waitFor(() => names.every((a) => loop.established(a)), 15_000, 'three handshakes');
    await loop.waitFor(
      () => loop.serverEvents.filter((e) => e.type === 'established').length === 3,
      5_000,
      'server established',
    );
    for (const a of names) {
      const serverSide = loop.serverEvents.filter((e) => e.address === a);
      expect(serverSide.find((e) => e.type === 'auth-needed')).toMatchObject({ commonName: a });
      const [ck] = keysOf(loop.eventsOf(a));
      const [sk] = keysOf(serverSide);
      expect(ck && sk).toBeTruthy();
      expect(Buffer.from(ck!.send.key)).toEqual(Buffer.from(sk!.receive.key));
      expect(Buffer.from(ck!.receive.iv)).toEqual(Buffer.from(sk!.send.iv));
      expect(String(sk)).toContain('redacted');
    }
    const ids = new Set(loop.serverEvents.map((e) => e.session));
    expect(ids.size).toBe(3);
  });

  it('password mode: the auth-needed round trip carries the password; a wrong one gets AUTH_FAILED', async () => {
    const loop = new Loopback((e) =>
      Buffer.from(e.password ?? []).toString() === 'correct horse'
        ? { ok: true, peerId: 5, pushOptions: ['route 10.9.0.0 255.255.0.0'] }
        : { ok: false, reason: `bad password for ${e.username}` },
    );
    await server(loop, { clientAuth: { certificate: false, password: true } });
    const pw = (p: string) => ({ username: 'bob', password: new TextEncoder().encode(p) });
    (await client(loop, 'good:1', { credentials: pw('correct horse') })).start();
    (await client(loop, 'bad:1', { credentials: pw('wrong') })).start();
    await loop.waitFor(() => loop.established('good:1') && loop.closed('bad:1'), 10_000, 'both outcomes');
    expect(loop.eventsOf('good:1').find((e) => e.type === 'established')).toMatchObject({
      peerId: 5,
      pushOptions: ['route 10.9.0.0 255.255.0.0'],
    });
    expect(loop.eventsOf('bad:1').find((e) => e.type === 'closed')).toMatchObject({
      reason: 'AUTH_FAILED',
      by: 'peer',
    });
    const closed = loop.serverEvents.find((e) => e.type === 'closed' && e.address === 'bad:1');
    expect(closed).toMatchObject({
      reason: 'AUTH_FAILED',
      detail: expect.stringContaining('bad password for bob'),
    });
  });

  it('a server-started rekey installs key id 1 on both sides; updateAddress moves later control datagrams', async () => {
    const loop = new Loopback();
    const s = await server(loop);
    const c = await client(loop, 'old:1');
    c.start();
    await loop.waitFor(() => loop.established('old:1'), 10_000, 'handshake');
    const id = loop.serverEvents.find((e) => e.type === 'established')!.session;
    // The client floats: same session, new address.
    loop.clients.set('new:2', c);
    loop.clients.delete('old:1');
    s.updateAddress(id, 'new:2');
    s.startRekey(id);
    await loop.waitFor(() => keysOf(loop.eventsOf('old:1')).some((k) => k.keyId === 1), 10_000, 'rekey');
    expect(loop.serverEvents.filter((e) => e.type === 'rekey-started')).toHaveLength(1);
    expect(loop.serverEvents.filter((e) => e.type === 'rekey-started')[0]).toMatchObject({
      address: 'new:2',
    });
  });

  it('driver misuse: onError gets SESSION_MISUSE; without onError the call throws it', async () => {
    const errors: Error[] = [];
    const loop = new Loopback();
    const s = await server(loop, {}, { onError: (e) => errors.push(e) });
    const c = await client(loop, 'a:1');
    c.start();
    await loop.waitFor(() => loop.established('a:1'), 10_000, 'handshake');
    const id = loop.serverEvents.find((e) => e.type === 'established')!.session;
    s.authResult(id, { ok: true, peerId: 1, pushOptions: [] });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'SESSION_MISUSE' });
    expect(() => c.provideExtraSecret(3, undefined)).toThrowError(PqvpnError);
  });

  it('a client with nobody answering closes with HANDSHAKE_TIMEOUT on its own timer', async () => {
    const loop = new Loopback();
    await client(loop, 'lonely:1', { identity: pki.client('x'), handshakeTimeoutMs: 300, initialRtoMs: 50 });
    loop.clients.get('lonely:1')!.start();
    await loop.waitFor(() => loop.closed('lonely:1'), 5_000, 'timeout');
    expect(loop.eventsOf('lonely:1').find((e) => e.type === 'closed')).toMatchObject({
      reason: 'HANDSHAKE_TIMEOUT',
      by: 'local',
    });
  });

  it('shutdown tells every client and then ignores input', async () => {
    const loop = new Loopback(acceptAll());
    const s = await server(loop);
    for (const a of ['a:1', 'b:1']) (await client(loop, a)).start();
    await loop.waitFor(() => loop.established('a:1') && loop.established('b:1'), 10_000, 'handshakes');
    await s.shutdown('restart');
    await loop.waitFor(() => loop.closed('a:1') && loop.closed('b:1'), 5_000, 'clients told');
    expect(loop.eventsOf('a:1').find((e) => e.type === 'closed')).toMatchObject({
      reason: 'RESTART',
      by: 'peer',
    });
    const before = loop.serverEvents.length;
    s.receive(new Uint8Array([0x20, 1, 2, 3]), 'a:1');
    s.close('nope', 'shutdown');
    expect(loop.serverEvents.length).toBe(before);
  });

  it('shutdown requested from inside a sink callback still tells the client', async () => {
    const loop = new Loopback();
    const s = await server(loop);
    const event = loop.serverSink.event;
    loop.serverSink.event = (e) => {
      event(e);
      if (e.type === 'established') void s.shutdown('shutdown');
    };
    (await client(loop, 'a:1')).start();
    await loop.waitFor(() => loop.closed('a:1'), 10_000, 'client told');
    expect(loop.eventsOf('a:1').find((e) => e.type === 'closed')).toMatchObject({
      reason: 'CLOSE_NOTIFY',
      by: 'peer',
    });
  });

  it('refuses bad configurations at creation with stable codes', async () => {
    const loop = new Loopback();
    const base = { identity: pki.server, clientAuth: { certificate: true, password: false } };
    await expect(
      createInProcessServerControlPlane(
        {
          session: { ...base, identity: { ...pki.server, scheme: 'rsa-2048' } },
          verifier: { trustAnchors: [pki.caPem] },
        },
        loop.serverSink,
      ),
    ).rejects.toMatchObject({ code: 'UNKNOWN_SIGNATURE_SCHEME' });
    await expect(
      createInProcessServerControlPlane(
        {
          session: { ...base, clientAuth: { certificate: false, password: false } },
          verifier: { trustAnchors: [pki.caPem] },
        },
        loop.serverSink,
      ),
    ).rejects.toMatchObject({ code: 'CONTROL_CONFIG' });
    await expect(
      createInProcessServerControlPlane({ session: base, verifier: { trustAnchors: [] } }, loop.serverSink),
    ).rejects.toMatchObject({ code: 'CONTROL_CONFIG' });
    await expect(
      createInProcessClientControlPlane(
        { session: { kemSuites: ['rsa-kem'] }, verifier: { trustAnchors: [pki.caPem] } },
        loop.clientSink('x'),
      ),
    ).rejects.toBeInstanceOf(PqvpnError);
    await expect(
      createInProcessServerControlPlane(
        { session: base, verifier: { trustAnchors: [pki.caPem] }, pluginPaths: ['/nonexistent/plugin.js'] },
        loop.serverSink,
      ),
    ).rejects.toMatchObject({ code: 'PLUGIN_LOAD_FAILED' });
  });
});
