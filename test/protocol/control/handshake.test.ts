import { describe, expect, it } from 'vitest';
import { PUSH, runPair, typesOf } from './harness.js';
import { baseClientConfig, baseServerOptions, identity } from './helpers.js';

describe('handshake over a clean network', () => {
  it('certificate mode: both sides establish with the same data keys and the client gets the pushed options', () => {
    const p = runPair({ seed: 1, client: baseClientConfig(), server: baseServerOptions() });
    p.net.run({ until: 10_000 });
    const c = p.eventsOf('client');
    const s = p.eventsOf('server');
    expect(typesOf(c)).toEqual(['keys-installed', 'established']);
    // The server installs first (for receiving) and sends under the keys once the client acknowledged the result.
    expect(typesOf(s)).toEqual(['auth-needed', 'keys-installed', 'established', 'keys-activated']);
    expect(s[1]).toMatchObject({ sending: false });
    expect(c[0]).toMatchObject({ sending: true });
    expect(s[3]).toMatchObject({ keyId: 0 });
    const ck = c[0] as Extract<(typeof c)[0], { type: 'keys-installed' }>;
    const sk = s[1] as Extract<(typeof s)[0], { type: 'keys-installed' }>;
    expect(ck.keys.send.key).toEqual(sk.keys.receive.key);
    expect(ck.keys.receive.iv).toEqual(sk.keys.send.iv);
    expect(ck.keys.send.key).not.toEqual(ck.keys.receive.key);
    expect(c[1]).toMatchObject({
      type: 'established',
      keyId: 0,
      peerId: 7,
      pushOptions: PUSH,
      peer: { commonName: 'vpn.example.org' },
      suite: 'x-wing',
      peerScheme: 'ml-dsa-65',
    });
    expect(s[2]).toMatchObject({
      type: 'established',
      peer: { commonName: 'alice' },
      suite: 'x-wing',
      peerScheme: 'ml-dsa-65',
    });
    expect(p.client.internalError).toBeUndefined();
  });

  it("the established events name the suite the server chose from the client's offer, and each peer's scheme", () => {
    const p = runPair({
      seed: 2,
      client: baseClientConfig({
        kemSuites: ['ml-kem-1024', 'x-wing'],
        identity: identity('alice', 'clientAuth', 'ml-dsa-44'),
      }),
      server: baseServerOptions({ kemSuites: ['x-wing', 'ml-kem-1024'] }),
    });
    p.net.run({ until: 10_000 });
    const established = [...p.eventsOf('client'), ...p.eventsOf('server')].filter(
      (e) => e.type === 'established',
    );
    expect(established).toHaveLength(2);
    expect(established[0]).toMatchObject({ suite: 'ml-kem-1024', peerScheme: 'ml-dsa-65' });
    expect(established[1]).toMatchObject({ suite: 'ml-kem-1024', peerScheme: 'ml-dsa-44' });
  });
});
