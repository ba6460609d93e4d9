/** SLH-DSA's 17–50 KB signatures: fragmentation, reassembly limits and retransmission cope, even at 30% loss. */
import { describe, expect, it } from 'vitest';
import { signatureSchemeByName } from '../../../src/crypto/signature-schemes.js';
import type { LocalIdentity } from '../../../src/protocol/handshake/types.js';
import { runPair } from './harness.js';
import { baseServerOptions, fakeCertificate, keyPair } from './helpers.js';

function slhIdentity(cn: string, eku: 'serverAuth' | 'clientAuth', schemeName: string): LocalIdentity {
  const scheme = signatureSchemeByName(schemeName);
  const kp = keyPair(schemeName, cn);
  // issued by a CA of the same scheme: the certificate carries a signature as large as ours
  return {
    chain: [fakeCertificate(cn, eku, scheme, kp.publicKey, scheme.signatureBytes)],
    scheme: schemeName,
    secretKey: kp.secretKey,
  };
}

describe('SLH-DSA certificates and signatures', () => {
  it('slh-dsa-sha2-256f server (≈100 KB flight) with an ML-DSA client, 30% loss, small MTU', () => {
    const p = runPair({
      seed: 77,
      client: { identity: { ...slhIdentity('alice', 'clientAuth', 'ml-dsa-65') }, mtu: 1200 },
      server: baseServerOptions({
        identity: slhIdentity('vpn.example.org', 'serverAuth', 'slh-dsa-sha2-256f'),
        mtu: 1200,
      }),
      link: { latencyMs: 30, jitterMs: 30, lossRate: 0.3, reorderRate: 0.2, maxDatagramSize: 1200 },
    });
    p.net.run({ until: 60_000, stopWhen: () => p.client.phase !== 'handshaking' });
    expect(p.client.closedReason).toBeUndefined();
    expect(p.client.phase).toBe('established');
  });

  it('slh-dsa-sha2-128f on both sides', () => {
    const p = runPair({
      seed: 78,
      client: { identity: slhIdentity('bob', 'clientAuth', 'slh-dsa-sha2-128f') },
      server: baseServerOptions({
        identity: slhIdentity('vpn.example.org', 'serverAuth', 'slh-dsa-sha2-128f'),
      }),
      link: { latencyMs: 30, jitterMs: 30, lossRate: 0.1 },
    });
    p.net.run({ until: 60_000, stopWhen: () => p.client.phase !== 'handshaking' });
    expect(p.client.phase).toBe('established');
    expect(p.eventsOf('server').find((e) => e.type === 'auth-needed')).toMatchObject({ commonName: 'bob' });
  });
});
