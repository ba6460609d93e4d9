import { describe, expect, it } from 'vitest';
import { runPair, typesOf } from './harness.js';
import { baseClientConfig, baseServerOptions, FakeVerifier, identity } from './helpers.js';

const password = new TextEncoder().encode('hunter2');
const lossy = { latencyMs: 30, jitterMs: 30, lossRate: 0.3, reorderRate: 0.2 };

function closedOf(events: readonly { type: string }[]) {
  return events.find((e) => e.type === 'closed') as
    | { reason: string; by: string; detail?: string }
    | undefined;
}

describe('password authentication failures', () => {
  for (const [what, reason] of [
    ['wrong password', 'wrong password for alice'],
    ['unknown user', 'unknown user mallory'],
  ] as const) {
    it(`${what}: the client gets a bare AUTH_FAILED, the server's event says why (even at 30% loss)`, () => {
      for (const seed of [1, 2, 3]) {
        const p = runPair({
          seed,
          link: lossy,
          client: { credentials: { username: 'alice', password } },
          server: baseServerOptions({ clientAuth: { certificate: false, password: true } }),
          auth: () => ({ ok: false, reason }),
        });
        p.net.run({ until: 60_000, stopWhen: () => p.client.phase === 'closed' });
        const c = closedOf(p.eventsOf('client'));
        expect(c).toEqual({
          type: 'closed',
          reason: 'AUTH_FAILED',
          by: 'peer',
          detail: 'peer sent alert AUTH_FAILED',
        });
        expect(JSON.stringify(p.eventsOf('client'))).not.toContain(reason);
        const s = closedOf(p.eventsOf('server'));
        expect(s).toMatchObject({
          reason: 'AUTH_FAILED',
          by: 'local',
          detail: `authentication failed: ${reason}`,
        });
        expect(typesOf(p.eventsOf('client'))).not.toContain('keys-installed');
        expect(typesOf(p.eventsOf('server'))).not.toContain('keys-installed');
      }
    });
  }

  it('a client without credentials refuses a password-only server before sending anything secret', () => {
    const p = runPair({
      seed: 4,
      client: {},
      server: baseServerOptions({ clientAuth: { certificate: false, password: true } }),
    });
    p.net.run({ until: 20_000 });
    expect(closedOf(p.eventsOf('client'))).toMatchObject({ reason: 'HANDSHAKE_FAILURE', by: 'local' });
    expect(closedOf(p.eventsOf('server'))).toMatchObject({ reason: 'HANDSHAKE_FAILURE', by: 'peer' });
    expect(typesOf(p.eventsOf('server'))).not.toContain('auth-needed');
  });
});

describe('certificate failures (verifier double)', () => {
  const cases = [
    ['UNKNOWN_ISSUER', 'UNKNOWN_CA'],
    ['EXPIRED', 'CERTIFICATE_EXPIRED'],
    ['REVOKED', 'CERTIFICATE_REVOKED'],
    ['WRONG_EKU', 'BAD_CERTIFICATE'],
    ['BAD_SIGNATURE', 'BAD_CERTIFICATE'],
  ] as const;

  for (const [code, alert] of cases) {
    it(`server certificate ${code}: the client aborts with ${alert} before sending its credentials`, () => {
      const p = runPair({
        seed: 5,
        client: baseClientConfig({ credentials: { username: 'alice', password } }),
        server: baseServerOptions({ clientAuth: { certificate: true, password: true } }),
        clientVerifier: new FakeVerifier({ 'vpn.example.org': { code, reason: `server cert ${code}` } }),
      });
      p.net.run({ until: 20_000 });
      expect(closedOf(p.eventsOf('client'))).toMatchObject({
        reason: alert,
        by: 'local',
        detail: `server certificate: server cert ${code}`,
      });
      expect(closedOf(p.eventsOf('server'))).toMatchObject({ reason: alert, by: 'peer' });
      expect(typesOf(p.eventsOf('server'))).not.toContain('auth-needed');
    });

    it(`client certificate ${code}: the server refuses with ${alert}`, () => {
      const p = runPair({
        seed: 6,
        client: baseClientConfig(),
        server: baseServerOptions(),
        serverVerifier: new FakeVerifier({ alice: { code, reason: `client cert ${code}` } }),
      });
      p.net.run({ until: 20_000 });
      expect(closedOf(p.eventsOf('server'))).toMatchObject({
        reason: alert,
        by: 'local',
        detail: `client certificate: client cert ${code}`,
      });
      expect(closedOf(p.eventsOf('client'))).toMatchObject({ reason: alert, by: 'peer' });
    });
  }

  it('wrong EKU for real: a client certificate presented as the server is refused', () => {
    const p = runPair({
      seed: 7,
      client: baseClientConfig(),
      server: baseServerOptions({ identity: identity('evil-client', 'clientAuth') }),
    });
    p.net.run({ until: 20_000 });
    expect(closedOf(p.eventsOf('client'))).toMatchObject({
      reason: 'BAD_CERTIFICATE',
      detail: expect.stringContaining('serverAuth'),
    });
  });

  it('verify-x509-name: a mismatching server name is refused, a matching prefix accepted', () => {
    const bad = runPair({
      seed: 8,
      client: baseClientConfig({ verifyX509Name: { type: 'name', value: 'other.example.org' } }),
      server: baseServerOptions(),
    });
    bad.net.run({ until: 20_000 });
    expect(closedOf(bad.eventsOf('client'))).toMatchObject({
      reason: 'BAD_CERTIFICATE',
      detail: expect.stringContaining('verify-x509-name'),
    });
    const good = runPair({
      seed: 8,
      client: baseClientConfig({ verifyX509Name: { type: 'name-prefix', value: 'vpn.' } }),
      server: baseServerOptions(),
    });
    good.net.run({ until: 20_000 });
    expect(good.client.phase).toBe('established');
  });

  it('a server that requires a certificate gets CERTIFICATE_REQUIRED from a client without one', () => {
    const p = runPair({
      seed: 9,
      client: { credentials: { username: 'a', password } },
      server: baseServerOptions(),
    });
    p.net.run({ until: 20_000 });
    expect(closedOf(p.eventsOf('client'))).toMatchObject({ reason: 'CERTIFICATE_REQUIRED', by: 'local' });
    expect(closedOf(p.eventsOf('server'))).toMatchObject({ reason: 'CERTIFICATE_REQUIRED', by: 'peer' });
  });
});

describe('negotiation failures', () => {
  it('no common KEM suite: NO_COMMON_SUITE', () => {
    const p = runPair({
      seed: 10,
      client: baseClientConfig({ kemSuites: ['ml-kem-1024'] }),
      server: baseServerOptions({ kemSuites: ['x-wing'] }),
    });
    p.net.run({ until: 20_000 });
    expect(closedOf(p.eventsOf('client'))).toMatchObject({ reason: 'NO_COMMON_SUITE', by: 'peer' });
  });

  it('the client preference decides among common suites', () => {
    const p = runPair({
      seed: 11,
      client: baseClientConfig({ kemSuites: ['ml-kem-1024', 'x-wing'] }),
      server: baseServerOptions(),
    });
    p.net.run({ until: 20_000 });
    expect(p.client.phase).toBe('established');
  });

  it('the client does not accept the server signature scheme: NO_COMMON_SUITE', () => {
    const p = runPair({
      seed: 12,
      client: baseClientConfig({ signatureSchemes: ['ml-dsa-87'] }),
      server: baseServerOptions(),
    });
    p.net.run({ until: 20_000 });
    expect(closedOf(p.eventsOf('server'))).toMatchObject({ reason: 'NO_COMMON_SUITE', by: 'local' });
    expect(closedOf(p.eventsOf('client'))).toMatchObject({ reason: 'NO_COMMON_SUITE', by: 'peer' });
  });

  it('PSK on one side only: PSK_MISMATCH; different PSKs: DECRYPT_ERROR at Finished', () => {
    const psk = new Uint8Array(32).fill(1);
    const one = runPair({ seed: 13, client: baseClientConfig({ psk }), server: baseServerOptions() });
    one.net.run({ until: 20_000 });
    expect(closedOf(one.eventsOf('client'))).toMatchObject({ reason: 'PSK_MISMATCH', by: 'peer' });
    const diff = runPair({
      seed: 13,
      client: baseClientConfig({ psk }),
      server: baseServerOptions({ psk: new Uint8Array(32).fill(2) }),
    });
    diff.net.run({ until: 20_000 });
    expect(closedOf(diff.eventsOf('client'))).toMatchObject({
      reason: 'DECRYPT_ERROR',
      detail: expect.stringContaining('key check failed'),
    });
    expect(closedOf(diff.eventsOf('server'))?.reason).toBe('DECRYPT_ERROR');
    const same = runPair({ seed: 13, client: baseClientConfig({ psk }), server: baseServerOptions({ psk }) });
    same.net.run({ until: 20_000 });
    expect(same.client.phase).toBe('established');
  });

  it('close: SHUTDOWN from the client reaches the server as CLOSE_NOTIFY', () => {
    const p = runPair({ seed: 14, client: baseClientConfig(), server: baseServerOptions(), link: lossy });
    p.net.run({ until: 60_000, stopWhen: () => p.client.phase === 'established' });
    p.net.perform('client', p.client.close(p.net.now, 'restart'));
    p.net.run({ until: p.net.now + 30_000 });
    expect(closedOf(p.eventsOf('server'))).toMatchObject({ reason: 'RESTART', by: 'peer' });
    expect(p.client.isFinished(p.net.now)).toBe(true);
  });
});
