/**
 * A full client/server handshake in memory from real setups: what
 * buildServerHandshakeConfig / buildClientHandshakeConfig made of real config
 * files, the production verifier (createPeerVerifier) and, for password modes,
 * a real Authenticator — which is asynchronous, so the simulation pauses at
 * each auth-needed event, awaits the authenticator, and resumes.
 *
 * Uses the control helper's SimNetwork adapters (test/protocol/control/helpers.ts).
 */
import type { Authenticator } from '../../src/auth/authenticator.js';
import type { ClientHandshakeSetup, ServerHandshakeSetup } from '../../src/identity/handshake-config.js';
import { createPeerVerifier } from '../../src/identity/peer-verifier.js';
import type { EndpointEvent } from '../../src/protocol/control/server-endpoint.js';
import type { SessionEvent } from '../../src/protocol/handshake/types.js';
import { SimNetwork } from '../../src/protocol/testing/network.js';
import {
  type AnyEvent,
  ClientSession,
  clientEndpoint,
  createHandshakeCrypto,
  ServerEndpoint,
  serverEndpoint,
} from '../protocol/control/helpers.js';

export interface RealPairOptions {
  readonly server: ServerHandshakeSetup;
  readonly client: ClientHandshakeSetup;
  readonly authenticator?: Authenticator;
  readonly seed?: number;
  readonly start?: number;
}

export interface RealPairResult {
  readonly client: ClientSession;
  readonly clientEvents: readonly SessionEvent[];
  readonly serverEvents: readonly AnyEvent[];
  /** What the authenticator answered (reasons are server-log only). */
  readonly authOutcomes: readonly { ok: boolean; reason?: string }[];
  readonly serverEstablished: boolean;
}

export async function realHandshake(o: RealPairOptions): Promise<RealPairResult> {
  const server = new ServerEndpoint(
    { session: o.server.session, cookies: 'off' },
    { crypto: createHandshakeCrypto(), verifier: createPeerVerifier(o.server.verifier) },
  );
  const client = new ClientSession(o.client.session, {
    crypto: createHandshakeCrypto(),
    verifier: createPeerVerifier(o.client.verifier),
  });
  const pending: EndpointEvent[] = [];
  const net = new SimNetwork<AnyEvent>({
    seed: o.seed ?? 1,
    start: o.start ?? Date.now(),
    link: { latencyMs: 20, jitterMs: 5 },
    onEvent: (r) => {
      const e = r.event;
      if (r.endpoint === 'server' && 'session' in e && e.type === 'auth-needed') pending.push(e);
    },
  });
  net.addEndpoint('client', clientEndpoint(client), { peer: 'server' });
  net.addEndpoint('server', serverEndpoint(server));
  net.perform('client', client.start(net.now));

  const serverEstablished = () =>
    net.events.some((r) => r.endpoint === 'server' && r.event.type === 'established');
  const settled = () => client.phase === 'closed' || (client.phase === 'established' && serverEstablished());
  const authOutcomes: { ok: boolean; reason?: string }[] = [];
  for (let round = 0; round < 20; round++) {
    net.run({ stopWhen: () => pending.length > 0 || settled(), until: net.now + 120_000 });
    const e = pending.shift();
    if (!e) break;
    if (e.type !== 'auth-needed') continue;
    const outcome = o.authenticator
      ? await o.authenticator.authenticate({
          ...(e.username !== undefined ? { username: e.username } : {}),
          ...(e.password !== undefined ? { password: e.password } : {}),
          ...(e.commonName !== undefined ? { commonName: e.commonName } : {}),
          untrustedIp: '192.0.2.10',
          untrustedPort: 50_000,
        })
      : ({ ok: true } as const);
    authOutcomes.push(outcome.ok ? { ok: true } : { ok: false, reason: outcome.reason });
    net.perform(
      'server',
      server.authResult(
        net.now,
        e.session,
        outcome.ok
          ? { ok: true, peerId: 1, pushOptions: ['ping 10'] }
          : { ok: false, reason: outcome.reason },
      ),
    );
  }
  // Let the last alerts and acknowledgements arrive.
  net.run({ until: net.now + 2_000 });
  return {
    client,
    clientEvents: net.events.filter((r) => r.endpoint === 'client').map((r) => r.event as SessionEvent),
    serverEvents: net.events.filter((r) => r.endpoint === 'server').map((r) => r.event),
    authOutcomes,
    serverEstablished: serverEstablished(),
  };
}
