import { describe, expect, it } from 'vitest';
import type { DataKeyMaterial } from '../../../src/protocol/data/keys.js';
import { runPair } from './harness.js';
import { baseClientConfig, baseServerOptions } from './helpers.js';

const lossy = { latencyMs: 30, jitterMs: 30, lossRate: 0.3, reorderRate: 0.2 };

type Installed = { type: 'keys-installed'; keys: DataKeyMaterial; sending: boolean };
const installed = (events: readonly { type: string }[]) =>
  events.filter((e) => e.type === 'keys-installed') as Installed[];
const closedOf = (events: readonly { type: string }[]) =>
  events.find((e) => e.type === 'closed') as { reason: string; by: string; detail?: string } | undefined;

function established(seed: number, extra: Partial<Parameters<typeof runPair>[0]> = {}) {
  const p = runPair({ seed, client: baseClientConfig(), server: baseServerOptions(), link: lossy, ...extra });
  p.net.run({
    until: 60_000,
    stopWhen: () => p.client.phase === 'established' && p.serverSession()?.phase === 'established',
  });
  expect(p.client.phase).toBe('established');
  return p;
}

function settle(p: ReturnType<typeof runPair>, keyId: number) {
  p.net.run({
    until: p.net.now + 60_000,
    stopWhen: () => p.client.keyId === keyId && p.serverSession()!.keyId === keyId,
  });
  p.net.run({ until: p.net.now + 5_000 });
}

describe('rekey', () => {
  it('key ids advance 0 → 7 → 0 → 1 with either side initiating, at 30% loss, with matching fresh keys', () => {
    const p = established(21);
    const sid = p.server.sessionIds()[0]!;
    const seen = new Set<string>();
    for (let i = 1; i <= 9; i++) {
      const keyId = i % 8;
      if (i % 2) p.net.perform('client', p.client.startRekey(p.net.now));
      else p.net.perform('server', p.server.startRekey(p.net.now, sid));
      settle(p, keyId);
      expect(p.client.keyId).toBe(keyId);
      expect(p.serverSession()!.keyId).toBe(keyId);
      const c = installed(p.eventsOf('client')).at(-1)!;
      const s = installed(p.eventsOf('server')).at(-1)!;
      expect(c.keys.keyId).toBe(keyId);
      expect(s.keys.keyId).toBe(keyId);
      expect(c.keys.send.key).toEqual(s.keys.receive.key);
      expect(c.keys.receive.key).toEqual(s.keys.send.key);
      const hex = Buffer.from(c.keys.send.key).toString('hex');
      expect(seen.has(hex)).toBe(false);
      seen.add(hex);
      // the initiator sends at once; the responder installs for receiving, then activates
      const initiator = i % 2 ? 'client' : 'server';
      const responder = i % 2 ? 'server' : 'client';
      expect(installed(p.eventsOf(initiator)).at(-1)!.sending).toBe(true);
      expect(installed(p.eventsOf(responder)).at(-1)!.sending).toBe(false);
      expect(
        p
          .eventsOf(responder)
          .filter((e) => e.type === 'keys-activated')
          .at(-1),
      ).toEqual({
        type: 'keys-activated',
        keyId,
        ...(responder === 'server' ? { session: sid, address: 'client' } : {}),
      });
    }
    expect(p.client.phase).toBe('established');
    expect(closedOf(p.eventsOf('server'))).toBeUndefined();
  });

  it('collision: both start at once, the server wins, both end on the same keys', () => {
    for (const seed of [31, 32, 33]) {
      const p = established(seed);
      const sid = p.server.sessionIds()[0]!;
      const now = p.net.now;
      p.net.perform('client', p.client.startRekey(now));
      p.net.perform('server', p.server.startRekey(now, sid));
      settle(p, 1);
      const c = installed(p.eventsOf('client')).at(-1)!;
      const s = installed(p.eventsOf('server')).at(-1)!;
      expect(c.keys.send.key).toEqual(s.keys.receive.key);
      expect(s.sending).toBe(true); // the server was the initiator
      expect(c.sending).toBe(false);
      expect(p.client.phase).toBe('established');
    }
  });

  it('startRekey is refused before establishment and a no-op while a rekey runs', () => {
    const p = runPair({ seed: 40, client: baseClientConfig(), server: baseServerOptions() });
    expect(() => p.client.startRekey(p.net.now)).toThrow(/before the session is established/);
    p.net.run({ until: 10_000 });
    const first = p.client.startRekey(p.net.now);
    const second = p.client.startRekey(p.net.now);
    expect(first.filter((a) => a.type === 'send').length).toBeGreaterThan(0);
    expect(second.filter((a) => a.type !== 'timer')).toEqual([]);
  });
});

describe('extra secret (QKD hook)', () => {
  const qkd = (local: string, peer: string) => ({
    mode: 'required' as const,
    localSaeId: local,
    peerSaeId: peer,
  });
  const keyStore = new Map<string, Uint8Array>();
  const fetch = (id: Uint8Array) => keyStore.get(Buffer.from(id).toString('hex'));
  const newKey = (n: number) => {
    const keyId = new TextEncoder().encode(`key-${n}`);
    const secret = new Uint8Array(32).fill(n);
    keyStore.set(Buffer.from(keyId).toString('hex'), secret);
    return { keyId, secret };
  };

  it('is mixed into the first handshake and every rekey; the responder asks for it by key id', () => {
    const p = established(50, {
      client: baseClientConfig({ extraSecret: qkd('sae-client', 'sae-server') }),
      server: baseServerOptions({ extraSecret: qkd('sae-server', 'sae-client') }),
      startExtra: newKey(1),
      serverExtra: (_k, id) => fetch(id),
      clientExtra: (_k, id) => fetch(id),
    });
    const need = p.eventsOf('server').filter((e) => e.type === 'extra-secret-needed');
    expect(need[0]).toMatchObject({
      keyId: 0,
      initiatorSaeId: 'sae-client',
      responderSaeId: 'sae-server',
      mode: 'required',
    });
    const sid = p.server.sessionIds()[0]!;
    p.net.perform('server', p.server.startRekey(p.net.now, sid, newKey(2)));
    settle(p, 1);
    expect(p.eventsOf('client').filter((e) => e.type === 'extra-secret-needed')).toHaveLength(1);
    expect(p.client.keyId).toBe(1);
  });

  it('a different extra secret on the responder fails the rekey Finished (DECRYPT_ERROR)', () => {
    const p = established(51, {
      client: baseClientConfig({ extraSecret: qkd('a', 'b') }),
      server: baseServerOptions({ extraSecret: qkd('b', 'a') }),
      startExtra: newKey(3),
      serverExtra: (keyId, id) => (keyId === 0 ? fetch(id) : new Uint8Array(32).fill(0xee)),
    });
    p.net.perform('client', p.client.startRekey(p.net.now, newKey(4)));
    p.net.run({ until: p.net.now + 60_000, stopWhen: () => p.client.phase === 'closed' });
    expect(closedOf(p.eventsOf('client'))).toMatchObject({
      reason: 'DECRYPT_ERROR',
      by: 'local',
      detail: expect.stringContaining('rekey Finished'),
    });
  });

  it('a different extra secret in the first handshake is detected as a key mismatch', () => {
    const p = runPair({
      seed: 52,
      client: baseClientConfig({ extraSecret: qkd('a', 'b') }),
      server: baseServerOptions({ extraSecret: qkd('b', 'a') }),
      startExtra: newKey(5),
      serverExtra: () => new Uint8Array(32).fill(0xdd),
    });
    p.net.run({ until: 30_000 });
    expect(closedOf(p.eventsOf('client'))?.reason).toBe('DECRYPT_ERROR');
  });

  it('required on the server but not offered: EXTRA_SECRET_UNAVAILABLE; optional without a key: proceeds', () => {
    const p = runPair({
      seed: 53,
      client: baseClientConfig(),
      server: baseServerOptions({ extraSecret: qkd('b', 'a') }),
    });
    p.net.run({ until: 20_000 });
    expect(closedOf(p.eventsOf('client'))).toMatchObject({ reason: 'EXTRA_SECRET_UNAVAILABLE', by: 'peer' });
    const q = runPair({
      seed: 54,
      client: baseClientConfig({ extraSecret: { mode: 'optional', localSaeId: 'a', peerSaeId: 'b' } }),
      server: baseServerOptions({ extraSecret: { mode: 'optional', localSaeId: 'b', peerSaeId: 'a' } }),
      startExtra: newKey(6),
      serverExtra: () => undefined, // the server's KME has no such key
    });
    q.net.run({ until: 20_000 });
    expect(q.client.phase).toBe('established');
  });

  it('a required extra secret must be supplied by the initiator (driver misuse throws)', () => {
    const p = runPair({ seed: 55, client: baseClientConfig(), server: baseServerOptions() });
    void p;
    expect(() =>
      runPair({
        seed: 56,
        client: baseClientConfig({ extraSecret: qkd('a', 'b') }),
        server: baseServerOptions(),
      }),
    ).toThrow(/required but no extra secret/);
  });
});
