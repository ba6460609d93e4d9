/**
 * Generator of test/vectors/handshake/transcript.json: one complete, deterministic session
 * (docs/PROTOCOL.md §1, §5, §6) — certificate + password authentication, PSK, a QKD extra secret,
 * X-Wing — followed by a client-initiated rekey to key id 1. The datagrams come from running the
 * reference client and server in lockstep with seeded randomness; a passive decoder that knows the
 * KEM shared secrets then opens every datagram, reassembles every message and records every secret.
 * @module
 */

import { decodeFrames, openControlPacket, parseControlPacket } from '../../../src/protocol/control/packet.js';
import { RangeSet } from '../../../src/protocol/control/range-set.js';
import { Level, MessageType } from '../../../src/protocol/handshake/constants.js';
import {
  combineSecrets,
  dataKeys,
  deriveSecret,
  handshakeSecret,
  initialSecrets,
  keyCheck,
  masterSecret,
  rekeyTrafficSecrets,
  sha384,
  type TrafficKeys,
  trafficKeys,
  ZERO_HASH,
} from '../../../src/protocol/handshake/key-schedule.js';
import { Label } from '../../../src/protocol/handshake/labels.js';
import { decodeMessage } from '../../../src/protocol/handshake/messages.js';
import type { ClientConfig, ServerConfig } from '../../../src/protocol/handshake/types.js';
import { concat } from '../../../src/protocol/handshake/wire.js';
import { ascii, hex, labelled, lockstep, recordingCrypto, unhex, vectorIdentity } from './fixtures.js';
import { messageName, PUSH_OPTIONS } from './gen-handshake.js';
import type { Json } from './json.js';

export const TRANSCRIPT_START = 1_700_000_000_000;
const PSK = labelled('transcript psk', 32);
const QKD = [0, 1].map((k) => ({
  keyId: ascii(`qkd-key-${k}`),
  secret: labelled(`transcript qkd key ${k}`, 32),
}));

/** The configuration of the transcript run (plain data; also what the replay test uses). */
export function transcriptSetup() {
  const serverId = vectorIdentity('vpn.example.org', 'serverAuth', 'ml-dsa-65');
  const clientId = vectorIdentity('alice', 'clientAuth', 'ml-dsa-44');
  const client: ClientConfig = {
    kemSuites: ['x-wing'],
    signatureSchemes: ['ml-dsa-65'],
    identity: clientId,
    credentials: { username: 'alice', password: ascii('correct horse battery staple') },
    psk: PSK,
    extraSecret: { mode: 'optional', localSaeId: 'SAE_CLIENT_1', peerSaeId: 'SAE_SERVER_1' },
  };
  const server: ServerConfig = {
    identity: serverId,
    clientAuth: { certificate: true, password: true },
    clientSignatureSchemes: ['ml-dsa-44', 'ml-dsa-65'],
    psk: PSK,
    extraSecret: { mode: 'optional', localSaeId: 'SAE_SERVER_1', peerSaeId: 'SAE_CLIENT_1' },
  };
  return { client, server, serverId, clientId };
}

/** Runs the session: handshake, then a client-initiated rekey. Same seeds, same bytes. */
export function runTranscript() {
  const setup = transcriptSetup();
  const clientCrypto = recordingCrypto(0x5eed01);
  const serverCrypto = recordingCrypto(0x5eed02);
  const run = lockstep({
    client: setup.client,
    server: setup.server,
    clientCrypto,
    serverCrypto,
    start: TRANSCRIPT_START,
    startExtra: QKD[0]!,
    auth: { ok: true, peerId: 7, pushOptions: PUSH_OPTIONS },
    extraSecret: (_k, id) => QKD.find((q) => hex(q.keyId) === hex(id))?.secret,
  });
  run.step();
  run.perform('client', run.client.startRekey(run.now(), QKD[1]!));
  run.step();
  return { run, clientCrypto, serverCrypto, setup };
}

type Side = 'client' | 'server';

interface Stream {
  buf: Uint8Array;
  readonly have: RangeSet;
  delivered: number;
}

interface EpochState {
  readonly keyId: number;
  readonly kind: 'initial' | 'rekey';
  readonly chain: Uint8Array;
  readonly keys: Map<number, { client: TrafficKeys; server: TrafficKeys }>;
  readonly streams: Map<string, Stream>;
  readonly messages: Json[];
  transcript: Uint8Array;
  readonly secrets: Record<string, string>;
  kemSharedSecret?: Uint8Array;
  extraSecret?: Uint8Array | undefined;
  hs?: Uint8Array;
  master?: Uint8Array;
  finishedSeen: number;
}

function keysJson(k: { client: TrafficKeys; server: TrafficKeys }): Json {
  return {
    clientToServer: { key: hex(k.client.key), iv: hex(k.client.iv) },
    serverToClient: { key: hex(k.server.key), iv: hex(k.server.iv) },
  };
}

export function transcriptVectors(): Json {
  const { run, clientCrypto, serverCrypto, setup } = runTranscript();
  // The server encapsulates in both epochs (it answers the client's ClientHello and RekeyInit).
  const encapsulated = serverCrypto.sharedSecrets;
  const epochs = new Map<number, EpochState>();
  const newEpoch = (keyId: number, kind: 'initial' | 'rekey', chain: Uint8Array): EpochState => {
    const e: EpochState = {
      keyId,
      kind,
      chain,
      keys: new Map(),
      streams: new Map(),
      messages: [],
      transcript: new Uint8Array(0),
      secrets: {},
      finishedSeen: 0,
    };
    epochs.set(keyId, e);
    return e;
  };
  const setLevel = (e: EpochState, level: number, c: Uint8Array, s: Uint8Array) =>
    e.keys.set(level, { client: trafficKeys(c), server: trafficKeys(s) });

  const onMessage = (e: EpochState, from: Side, level: number, raw: Uint8Array): void => {
    const m = decodeMessage(raw);
    const inTranscript = m.type !== MessageType.alert && m.type !== MessageType.serverResult;
    if (inTranscript) e.transcript = concat(e.transcript, raw);
    const h = sha384(e.transcript);
    e.messages.push({
      from,
      level,
      type: m.type,
      name: messageName(m.type),
      bytes: hex(raw),
      transcriptHash: inTranscript ? hex(h) : null,
    });
    const derive = (kem: Uint8Array, extra: Uint8Array | undefined) => {
      e.kemSharedSecret = kem;
      e.extraSecret = extra;
      const combined = combineSecrets(kem, extra, PSK);
      e.hs = handshakeSecret(e.chain, combined);
      const c = deriveSecret(e.hs, Label.clientHandshakeTraffic, h);
      const s = deriveSecret(e.hs, Label.serverHandshakeTraffic, h);
      e.master = masterSecret(e.hs);
      Object.assign(e.secrets, {
        combined: hex(combined),
        handshakeSecret: hex(e.hs),
        clientHandshakeTraffic: hex(c),
        serverHandshakeTraffic: hex(s),
        masterSecret: hex(e.master),
      });
      if (e.kind === 'initial') setLevel(e, Level.handshake, c, s);
    };
    if (m.type === MessageType.serverHello) {
      derive(unhex(encapsulated[0]!), m.extraUsed ? QKD[0]!.secret : undefined);
      e.secrets.keyCheck = hex(
        keyCheck(e.hs!, sha384(e.transcript.subarray(0, e.transcript.length - raw.length))),
      );
      if (e.secrets.keyCheck !== hex(m.keyCheck)) throw new Error('transcript: key_check differs');
    }
    if (m.type === MessageType.rekeyResponse)
      derive(unhex(encapsulated[1]!), m.extraUsed ? QKD[1]!.secret : undefined);
    if (m.type !== MessageType.finished) return;
    e.finishedSeen++;
    const appAt = 1; // the first Finished (server's / responder's) opens the application level
    if (e.finishedSeen === appAt) {
      const c = deriveSecret(e.master!, Label.clientAppTraffic, h);
      const s = deriveSecret(e.master!, Label.serverAppTraffic, h);
      setLevel(e, Level.application, c, s);
      Object.assign(e.secrets, { clientAppTraffic: hex(c), serverAppTraffic: hex(s) });
    }
    const dataAt = e.kind === 'initial' ? 2 : 1;
    if (e.finishedSeen === dataAt) {
      const data = deriveSecret(e.master!, Label.data, h);
      e.secrets.data = hex(data);
      const dk = dataKeys(data, e.keyId);
      Object.assign(e.secrets, {
        dataClientToServerKey: hex(dk.clientToServer.key),
        dataClientToServerIv: hex(dk.clientToServer.iv),
        dataServerToClientKey: hex(dk.serverToClient.key),
        dataServerToClientIv: hex(dk.serverToClient.iv),
      });
    }
    if (e.finishedSeen === 2) e.secrets.rekey = hex(deriveSecret(e.master!, Label.rekey, h));
  };

  const deliver = (e: EpochState, from: Side, level: number, offset: number, data: Uint8Array): void => {
    const key = `${from}:${level}`;
    let s = e.streams.get(key);
    if (!s) {
      s = { buf: new Uint8Array(0), have: new RangeSet(), delivered: 0 };
      e.streams.set(key, s);
    }
    if (offset + data.length > s.buf.length) {
      const grown = new Uint8Array(offset + data.length);
      grown.set(s.buf);
      s.buf = grown;
    }
    s.buf.set(data, offset);
    s.have.add(offset, offset + data.length);
    for (;;) {
      const end = s.have.contiguousEnd(0);
      if (end - s.delivered < 4) return;
      const b = s.buf;
      const len = (b[s.delivered + 1]! << 16) | (b[s.delivered + 2]! << 8) | b[s.delivered + 3]!;
      if (end - s.delivered < 4 + len) return;
      const raw = b.slice(s.delivered, s.delivered + 4 + len);
      s.delivered += 4 + len;
      onMessage(e, from, level, raw);
    }
  };

  const datagrams: Json[] = [];
  let pending = run.log.map((d) => d);
  const first = parseControlPacket(run.log[0]!.bytes);
  const e0 = newEpoch(0, 'initial', ZERO_HASH);
  const init = initialSecrets(first.header.srcSessionId);
  setLevel(e0, Level.initial, init.client, init.server);
  for (const d of run.log) {
    const p = parseControlPacket(d.bytes);
    datagrams.push({
      from: d.from,
      at: d.at,
      keyId: p.header.keyId,
      level: p.header.level,
      bytes: hex(d.bytes),
    });
  }
  for (let progress = true; progress && pending.length > 0; ) {
    progress = false;
    const left: typeof pending = [];
    for (const d of pending) {
      const p = parseControlPacket(d.bytes);
      let e = epochs.get(p.header.keyId);
      if (!e && p.header.keyId === 1 && e0.secrets.rekey) {
        e = newEpoch(1, 'rekey', Uint8Array.from(Buffer.from(e0.secrets.rekey, 'hex')));
        const rk = rekeyTrafficSecrets(e.chain, 1);
        setLevel(e, Level.handshake, rk.client, rk.server);
        Object.assign(e.secrets, { clientRekeyTraffic: hex(rk.client), serverRekeyTraffic: hex(rk.server) });
      }
      const keys = e?.keys.get(p.header.level);
      if (!e || !keys) {
        left.push(d);
        continue;
      }
      const payload = openControlPacket(p, keys[d.from]);
      if (!payload)
        throw new Error(
          `transcript: a datagram of ${d.from} does not open (key id ${p.header.keyId}, level ${p.header.level}, pn ${p.header.packetNumber})`,
        );
      for (const f of decodeFrames(payload)) {
        if (f.type === 'stream') deliver(e, d.from, p.header.level, f.offset, f.data);
      }
      progress = true;
    }
    pending = left;
  }
  if (pending.length > 0) throw new Error('transcript: datagrams left undecoded');
  const established = run.events.filter((x) => x.event.type === 'established').map((x) => x.side);
  if (established.length !== 2 || run.client.keyId !== 1)
    throw new Error('transcript: the run did not complete');

  return {
    description:
      'A complete pqvpn session (docs/PROTOCOL.md): ClientHello … ServerResult with certificate + password authentication, PSK and a QKD extra secret over X-Wing, then a client-initiated rekey to key id 1 with a fresh QKD key. `datagrams` are every datagram in order (lossless, delivered 5 ms apart); `epochs[].messages` every handshake message with the transcript hash after it (null for messages outside the transcript); `epochs[].levelKeys` the packet keys per level; `epochs[].secrets` every secret. `randomDraws` are the values each side drew from its random source, in order (session id, KEM seed, random, …), and `kemSharedSecrets` the KEM outputs, so another implementation can replay the run. Certificates are opaque placeholders; signatures are deterministic ML-DSA. Hex throughout.',
    config: {
      start: TRANSCRIPT_START,
      mtu: 1250,
      psk: hex(PSK),
      extraSecrets: QKD.map((q, keyId) => ({ keyId, extraKeyId: hex(q.keyId), secret: hex(q.secret) })),
      clientSaeId: 'SAE_CLIENT_1',
      serverSaeId: 'SAE_SERVER_1',
      username: 'alice',
      password: hex(ascii('correct horse battery staple')),
      serverCertificate: hex(setup.serverId.chain[0]!),
      serverPublicKey: hex(setup.serverId.publicKey),
      serverScheme: 'ml-dsa-65',
      clientCertificate: hex(setup.clientId.chain[0]!),
      clientPublicKey: hex(setup.clientId.publicKey),
      clientScheme: 'ml-dsa-44',
      peerId: 7,
      pushOptions: PUSH_OPTIONS,
    },
    randomDraws: { client: clientCrypto.draws, server: serverCrypto.draws },
    kemSharedSecrets: { client: clientCrypto.sharedSecrets, server: serverCrypto.sharedSecrets },
    datagrams,
    epochs: [...epochs.values()].map((e) => {
      const levelKeys: Record<string, Json> = {};
      for (const [l, k] of e.keys) levelKeys[String(l)] = keysJson(k);
      return {
        keyId: e.keyId,
        kind: e.kind,
        chain: hex(e.chain),
        kemSharedSecret: e.kemSharedSecret ? hex(e.kemSharedSecret) : null,
        extraSecret: e.extraSecret ? hex(e.extraSecret) : null,
        messages: e.messages,
        levelKeys,
        secrets: e.secrets,
      };
    }),
  };
}
