/**
 * docs/PROTOCOL.md §4.5: once a peer has sent an authenticated packet above the Initial level, Initial
 * packets are discarded unread. Initial keys derive from the client's session id, which every packet
 * header shows, so an observer can forge Initial packets; without the rule it could close an
 * established session with a forged alert or junk message.
 */
import { describe, expect, it } from 'vitest';
import { encodeFrames, sealControlPacket } from '../../../src/protocol/control/packet.js';
import { AlertCode, Level, MessageType } from '../../../src/protocol/handshake/constants.js';
import { initialSecrets, trafficKeys } from '../../../src/protocol/handshake/key-schedule.js';
import { encodeMessage } from '../../../src/protocol/handshake/messages.js';
import { lockstep, recordingCrypto, vectorIdentity } from './fixtures.js';

/** A password server and a client without credentials. */
function withoutCredentials() {
  const run = lockstep({
    client: { kemSuites: ['x-wing'] },
    server: {
      identity: vectorIdentity('vpn.example.org', 'serverAuth', 'ml-dsa-44'),
      clientAuth: { certificate: false, password: true },
    },
    clientCrypto: recordingCrypto(1),
    serverCrypto: recordingCrypto(2),
    start: 1_700_000_000_000,
    auth: { ok: true, peerId: 1, pushOptions: [] },
  });
  return run;
}

/** A forged Initial-level packet carrying `streamBytes` at every plausible offset of the Initial stream. */
function forgeInitial(
  from: Uint8Array,
  to: Uint8Array,
  clientSid: Uint8Array,
  direction: 'server' | 'client',
  streamBytes: Uint8Array,
  packetNumber: number,
): Uint8Array[] {
  const init = initialSecrets(clientSid);
  const keys = trafficKeys(direction === 'server' ? init.server : init.client);
  const out: Uint8Array[] = [];
  // The attacker sees the sizes of the real Initial packets; trying a range of offsets is enough here.
  for (let offset = 0; offset < 1400; offset++) {
    out.push(
      sealControlPacket(
        {
          keyId: 0,
          srcSessionId: from,
          dstSessionId: to,
          level: Level.initial,
          packetNumber: packetNumber + offset,
          token: new Uint8Array(0),
        },
        encodeFrames([{ type: 'stream', offset, data: streamBytes }]),
        keys,
      ),
    );
  }
  return out;
}

describe('Initial packets after the handshake level is reached (PROTOCOL.md §4.5)', () => {
  for (const payload of ['alert', 'junk'] as const) {
    it(`a forged Initial ${payload} cannot close an established client`, () => {
      const run = lockstep({
        client: { credentials: { username: 'alice', password: new TextEncoder().encode('pw') } },
        server: {
          identity: vectorIdentity('vpn.example.org', 'serverAuth', 'ml-dsa-44'),
          clientAuth: { certificate: false, password: true },
        },
        clientCrypto: recordingCrypto(1),
        serverCrypto: recordingCrypto(2),
        start: 1_700_000_000_000,
        auth: { ok: true, peerId: 1, pushOptions: [] },
      });
      run.step();
      expect(run.client.phase).toBe('established');
      const clientSid = run.client.localSessionId;
      const serverSid = run.serverSession().localSessionId;
      const bytes =
        payload === 'alert'
          ? encodeMessage({ type: MessageType.alert, code: AlertCode.closeNotify })
          : Uint8Array.of(0xee, 0, 0, 1, 0);
      for (const d of forgeInitial(serverSid, clientSid, clientSid, 'server', bytes, 5000)) {
        run.client.receive(run.now(), d);
      }
      expect(run.client.phase).toBe('established');
      expect(run.client.drops['initial-discarded']).toBe(1400);
    });
  }

  it('a forged Initial alert cannot close an established server session', () => {
    const run = lockstep({
      client: { credentials: { username: 'alice', password: new TextEncoder().encode('pw') } },
      server: {
        identity: vectorIdentity('vpn.example.org', 'serverAuth', 'ml-dsa-44'),
        clientAuth: { certificate: false, password: true },
      },
      clientCrypto: recordingCrypto(1),
      serverCrypto: recordingCrypto(2),
      start: 1_700_000_000_000,
      auth: { ok: true, peerId: 1, pushOptions: [] },
    });
    run.step();
    const session = run.serverSession();
    expect(session.phase).toBe('established');
    const clientSid = run.client.localSessionId;
    const alert = encodeMessage({ type: MessageType.alert, code: AlertCode.closeNotify });
    for (const d of forgeInitial(clientSid, session.localSessionId, clientSid, 'client', alert, 5000)) {
      run.server.receive(run.now(), d, 'client');
    }
    expect(session.phase).toBe('established');
    expect(session.drops['initial-discarded']).toBe(1400);
  });

  it('the fixture without credentials fails as the spec says (sanity of the driver)', () => {
    const run = withoutCredentials();
    run.step();
    expect(run.client.phase).toBe('closed');
    expect(run.client.closedReason).toBe('HANDSHAKE_FAILURE');
  });
});
