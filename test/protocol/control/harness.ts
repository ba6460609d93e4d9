/** Runs a client and a ServerEndpoint over the data helper's SimNetwork. */

import { ServerEndpoint, type ServerEndpointOptions } from '../../../src/protocol/control/server-endpoint.js';
import { ClientSession } from '../../../src/protocol/handshake/client.js';
import type { HandshakeCrypto } from '../../../src/protocol/handshake/crypto-provider.js';
import type {
  AuthResult,
  ClientConfig,
  ExtraSecretInput,
  PeerCertificateVerifier,
  SessionEvent,
} from '../../../src/protocol/handshake/types.js';
import {
  type LinkConditions,
  type SimEventRecord,
  SimNetwork,
} from '../../../src/protocol/testing/network.js';
import {
  type AnyEvent,
  clientEndpoint,
  createHandshakeCrypto,
  FakeVerifier,
  serverEndpoint,
} from './helpers.js';

export interface PairOptions {
  seed: number;
  client: ClientConfig;
  server: ServerEndpointOptions;
  link?: LinkConditions;
  clientCrypto?: HandshakeCrypto;
  serverCrypto?: HandshakeCrypto;
  clientVerifier?: PeerCertificateVerifier;
  serverVerifier?: PeerCertificateVerifier;
  /** Decides auth-needed; default: accept with peer id 7. */
  auth?: (event: Extract<SessionEvent, { type: 'auth-needed' }>) => AuthResult;
  /** Server-side answer to extra-secret-needed; default: none configured. */
  serverExtra?: (keyId: number, extraKeyId: Uint8Array) => Uint8Array | undefined;
  /** Client-side answer to extra-secret-needed (client as rekey responder). */
  clientExtra?: (keyId: number, extraKeyId: Uint8Array) => Uint8Array | undefined;
  startExtra?: ExtraSecretInput;
  /** Clock start (ms since the epoch); certificates are checked against it. */
  start?: number;
}

export const PUSH = [
  'ifconfig 10.8.0.2 255.255.255.0',
  'route 10.9.0.0 255.255.0.0',
  'ping 10',
  'ping-restart 60',
];

export function runPair(o: PairOptions) {
  const clientCrypto = o.clientCrypto ?? createHandshakeCrypto();
  const serverCrypto = o.serverCrypto ?? createHandshakeCrypto();
  const server = new ServerEndpoint(o.server, {
    crypto: serverCrypto,
    verifier: o.serverVerifier ?? new FakeVerifier(),
  });
  const client = new ClientSession(o.client, {
    crypto: clientCrypto,
    verifier: o.clientVerifier ?? new FakeVerifier(),
  });
  const decide = o.auth ?? (() => ({ ok: true as const, peerId: 7, pushOptions: PUSH }));
  const net: SimNetwork<AnyEvent> = new SimNetwork<AnyEvent>({
    seed: o.seed,
    ...(o.start !== undefined ? { start: o.start } : {}),
    link: o.link ?? { latencyMs: 20, jitterMs: 10 },
    onEvent: (r: SimEventRecord<AnyEvent>) => {
      const e = r.event;
      if (r.endpoint === 'server' && 'session' in e) {
        if (e.type === 'auth-needed') net.perform('server', server.authResult(r.at, e.session, decide(e)));
        if (e.type === 'extra-secret-needed') {
          const secret = o.serverExtra?.(e.keyId, e.extraKeyId);
          net.perform('server', server.provideExtraSecret(r.at, e.session, e.keyId, secret));
        }
      }
      if (r.endpoint === 'client' && e.type === 'extra-secret-needed') {
        net.perform(
          'client',
          client.provideExtraSecret(r.at, e.keyId, o.clientExtra?.(e.keyId, e.extraKeyId)),
        );
      }
    },
  });
  net.addEndpoint('client', clientEndpoint(client), { peer: 'server' });
  net.addEndpoint('server', serverEndpoint(server));
  net.perform('client', client.start(net.now, o.startExtra));
  const eventsOf = (endpoint: string) =>
    net.events.filter((e) => e.endpoint === endpoint).map((e) => e.event);
  const serverSession = () => server.session(server.sessionIds()[0]!);
  const settled = () =>
    client.phase === 'closed' ||
    (client.phase === 'established' && serverSession()?.phase === 'established' && allQuiet());
  const allQuiet = () => true;
  return { net, client, server, eventsOf, serverSession, settled };
}

export function typesOf(events: readonly AnyEvent[]): string[] {
  return events.map((e) => e.type);
}
