import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PUSH, runPair, typesOf } from './harness.js';
import { baseClientConfig, baseServerOptions, identity } from './helpers.js';

const password = new TextEncoder().encode('correct horse battery staple');

const modes = {
  certificate: {
    server: { certificate: true, password: false },
    client: { identity: identity('alice', 'clientAuth') },
  },
  password: {
    server: { certificate: false, password: true },
    client: { credentials: { username: 'alice', password } },
  },
  both: {
    server: { certificate: true, password: true },
    client: { identity: identity('alice', 'clientAuth'), credentials: { username: 'alice', password } },
  },
} as const;

describe('handshakes complete at 30% loss with reordering and duplication', () => {
  for (const [modeName, mode] of Object.entries(modes)) {
    for (const suite of ['x-wing', 'ml-kem-1024']) {
      it(`${modeName} auth, ${suite}`, () => {
        fc.assert(
          fc.property(
            fc.integer({ min: 1, max: 2 ** 31 }),
            fc.integer({ min: 300, max: 1400 }),
            (seed, mtu) => {
              const p = runPair({
                seed,
                client: { ...mode.client, kemSuites: [suite], mtu },
                server: baseServerOptions({ clientAuth: mode.server, kemSuites: [suite], mtu }),
                link: {
                  latencyMs: 30,
                  jitterMs: 30,
                  lossRate: 0.3,
                  reorderRate: 0.2,
                  reorderDelayMs: 80,
                  duplicateRate: 0.05,
                  maxDatagramSize: mtu,
                },
              });
              p.net.run({
                until: 60_000,
                stopWhen: () =>
                  p.client.phase !== 'handshaking' && p.serverSession()?.phase === 'established',
              });
              expect(p.client.internalError).toBeUndefined();
              expect(p.client.closedReason).toBeUndefined();
              expect(p.client.phase).toBe('established');
              expect(p.serverSession()?.phase).toBe('established');
              const est = p.eventsOf('client').find((e) => e.type === 'established');
              expect(est).toMatchObject({ peerId: 7, pushOptions: PUSH });
              expect(typesOf(p.eventsOf('server')).slice(0, 3)).toEqual([
                'auth-needed',
                'keys-installed',
                'established',
              ]);
              expect(p.server.counters['session-created']).toBe(1);
            },
          ),
          { numRuns: Number(process.env.PQVPN_RUNS ?? 4) },
        );
      });
    }
  }
});

describe('clean network sanity', () => {
  it('password mode passes the username and password to the driver exactly once', () => {
    const p = runPair({
      seed: 3,
      client: { credentials: { username: 'alice', password } },
      server: baseServerOptions({ clientAuth: modes.password.server }),
    });
    p.net.run({ until: 10_000 });
    const auth = p.eventsOf('server').filter((e) => e.type === 'auth-needed');
    expect(auth).toHaveLength(1);
    expect(auth[0]).toMatchObject({ username: 'alice', password });
    expect(auth[0]).not.toHaveProperty('commonName');
    void baseClientConfig;
  });
});
