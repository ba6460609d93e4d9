/**
 * Generators of the control-layer vectors (docs/PROTOCOL.md §3, §4, §7, §8): test/vectors/control/
 * packets.json, fragmentation.json, tls-crypt.json and cookie.json. Used by
 * scripts/make-protocol-vectors.ts.
 * @module
 */

import { COOKIE_LENGTH, CookieAuthority, encodeCookieReply } from '../../../src/protocol/control/cookie.js';
import {
  type ControlHeader,
  encodeFrames,
  encodeHeader,
  type Frame,
  sealControlPacket,
} from '../../../src/protocol/control/packet.js';
import { ControlTransport } from '../../../src/protocol/control/reliability.js';
import { deriveTlsCryptKeys, tlsCryptWrap } from '../../../src/protocol/control/tls-crypt.js';
import { Level, MessageType } from '../../../src/protocol/handshake/constants.js';
import {
  expandLabel,
  hkdfExtract,
  initialSecrets,
  trafficKeys,
  ZERO_HASH,
} from '../../../src/protocol/handshake/key-schedule.js';
import { Label } from '../../../src/protocol/handshake/labels.js';
import { encodeMessage } from '../../../src/protocol/handshake/messages.js';
import { WireWriter } from '../../../src/protocol/handshake/wire.js';
import { hex, labelled } from './fixtures.js';
import type { Json } from './json.js';

const CLIENT_SID = labelled('client session id', 8);
const SERVER_SID = labelled('server session id', 8);

function frameJson(f: Frame): Json {
  if (f.type === 'ack') return { type: 'ack', ranges: f.ranges.map(([a, b]) => [a, b]) };
  if (f.type === 'stream') return { type: 'stream', offset: f.offset, data: hex(f.data) };
  return { type: 'padding', length: f.length };
}

function packet(
  name: string,
  header: ControlHeader,
  frames: Frame[],
  keys: { key: Uint8Array; iv: Uint8Array },
): Json {
  const payload = encodeFrames(frames);
  const nonce = Uint8Array.from(keys.iv);
  const pn = new WireWriter().u32(header.packetNumber).finish();
  for (let i = 0; i < 4; i++) nonce[8 + i]! ^= pn[i]!;
  return {
    name,
    header: {
      keyId: header.keyId,
      srcSessionId: hex(header.srcSessionId),
      dstSessionId: hex(header.dstSessionId),
      level: header.level,
      packetNumber: header.packetNumber,
      token: hex(header.token),
    },
    frames: frames.map(frameJson),
    key: hex(keys.key),
    iv: hex(keys.iv),
    nonce: hex(nonce),
    aad: hex(encodeHeader(header)),
    payload: hex(payload),
    datagram: hex(sealControlPacket(header, payload, keys)),
  };
}

export function packetsVectors(): Json {
  const init = initialSecrets(CLIENT_SID);
  const ch = encodeMessage({ type: MessageType.alert, code: 0 });
  const token = labelled('cookie', 20);
  const hsKeys = trafficKeys(labelled('s hs traffic', 48));
  const apKeys = trafficKeys(labelled('c ap traffic', 48));
  return {
    description:
      'pqvpn CONTROL packets (docs/PROTOCOL.md §3). datagram = header (= aad) ‖ AES-256-GCM(key, nonce = iv ⊕ (0^8 ‖ u32 packet number), aad, payload) ‖ tag. The Initial packet uses the Initial keys of its client session id (§6.4); the others use labelled keys. `invalidPayloads` must be rejected by a frame decoder. Hex throughout.',
    packets: [
      packet(
        'client Initial with a cookie token, a STREAM frame and padding',
        {
          keyId: 0,
          srcSessionId: CLIENT_SID,
          dstSessionId: new Uint8Array(8),
          level: Level.initial,
          packetNumber: 1,
          token,
        },
        [
          { type: 'stream', offset: 0, data: ch },
          { type: 'padding', length: 24 },
        ],
        trafficKeys(init.client),
      ),
      packet(
        'server Handshake packet: ACK of 0..1 and a STREAM frame at offset 1200',
        {
          keyId: 0,
          srcSessionId: SERVER_SID,
          dstSessionId: CLIENT_SID,
          level: Level.handshake,
          packetNumber: 7,
          token: new Uint8Array(0),
        },
        [
          { type: 'ack', ranges: [[0, 1]] },
          { type: 'stream', offset: 1200, data: labelled('stream bytes', 40) },
        ],
        hsKeys,
      ),
      packet(
        'client Application ACK-only packet, three ranges, key id 5, packet number 2^32-2',
        {
          keyId: 5,
          srcSessionId: CLIENT_SID,
          dstSessionId: SERVER_SID,
          level: Level.application,
          packetNumber: 0xfffffffe,
          token: new Uint8Array(0),
        },
        [
          {
            type: 'ack',
            ranges: [
              [20, 25],
              [10, 18],
              [0, 3],
            ],
          },
        ],
        apKeys,
      ),
    ],
    invalidPayloads: [
      { name: 'empty payload', payload: '' },
      { name: 'padding only', payload: '000000' },
      { name: 'unknown frame type 3', payload: '03' },
      { name: 'two ACK frames', payload: '0101000000000000000001010000000100000001' },
      { name: 'ACK with zero ranges', payload: '0100' },
      { name: 'ACK ranges ascending', payload: '010200000000000000010000000500000006' },
      { name: 'ACK ranges overlapping', payload: '010200000005000000090000000200000005' },
      { name: 'ACK range with first > last', payload: '01010000000200000001' },
      { name: 'STREAM frame with no data', payload: '02000000000000' },
      { name: 'STREAM frame shorter than its length', payload: '020000000000050102' },
    ],
  };
}

/** A 3 KB Certificate message sent at a 256-byte MTU, packet by packet. */
export function fragmentationVectors(): Json {
  const mtu = 256;
  const keys = trafficKeys(labelled('fragmentation s hs traffic', 48));
  const other = trafficKeys(labelled('fragmentation c hs traffic', 48));
  const message = encodeMessage({
    type: MessageType.certificate,
    chain: [labelled('a 3000-byte certificate', 3000)],
  });
  const sender = new ControlTransport({
    keyId: 0,
    localSessionId: SERVER_SID,
    mtu,
    wrapOverhead: 0,
    initialRtoMs: 1000,
    maxRtoMs: 4000,
    maxInFlight: 64,
    addressValidated: true,
  });
  sender.peerSessionId = CLIENT_SID;
  sender.setKeys(Level.handshake, keys, other, true);
  sender.queue(Level.handshake, message);
  const datagrams = sender.flush(0);
  return {
    description:
      'Fragmentation (docs/PROTOCOL.md §4): one Certificate message (header ‖ body) queued at the Handshake level and packed into datagrams of at most `mtu` bytes, each with one STREAM frame, packet numbers from 0. Each datagram is sealed with `key`/`iv` (§3.3). Reassembling the STREAM data by offset, in any order, gives `message`.',
    mtu,
    level: Level.handshake,
    srcSessionId: hex(SERVER_SID),
    dstSessionId: hex(CLIENT_SID),
    key: hex(keys.key),
    iv: hex(keys.iv),
    message: hex(message),
    datagrams: datagrams.map(hex),
  };
}

export function tlsCryptVectors(): Json {
  const staticKey = labelled('OpenVPN Static key V1 body', 256);
  const keys = deriveTlsCryptKeys(staticKey);
  const init = initialSecrets(CLIENT_SID);
  const inner = sealControlPacket(
    {
      keyId: 0,
      srcSessionId: CLIENT_SID,
      dstSessionId: new Uint8Array(8),
      level: Level.initial,
      packetNumber: 0,
      token: new Uint8Array(0),
    },
    encodeFrames([{ type: 'stream', offset: 0, data: labelled('clienthello start', 64) }]),
    trafficKeys(init.client),
  );
  const reply = encodeCookieReply(CLIENT_SID, labelled('cookie', COOKIE_LENGTH));
  const n1 = labelled('tls-crypt nonce 1', 24);
  const n2 = labelled('tls-crypt nonce 2', 24);
  return {
    description:
      'tls-crypt (docs/PROTOCOL.md §7). prk = HKDF-Extract(0^48, staticKey); key_c2s / key_s2c = HKDF-Expand-Label(prk, "tls-crypt c2s" / "tls-crypt s2c", "", 32). wrapped = inner[0] ‖ nonce(24) ‖ XChaCha20-Poly1305(key_dir, nonce, aad = inner[0]).encrypt(inner[1..]). Hex throughout.',
    staticKey: hex(staticKey),
    prk: hex(hkdfExtract(ZERO_HASH, staticKey)),
    keyClientToServer: hex(keys.clientToServer),
    keyServerToClient: hex(keys.serverToClient),
    packets: [
      {
        name: 'client Initial packet, client to server',
        direction: 'client-to-server',
        nonce: hex(n1),
        inner: hex(inner),
        wrapped: hex(tlsCryptWrap(keys, 'client-to-server', inner, n1)),
      },
      {
        name: 'COOKIE_REPLY, server to client',
        direction: 'server-to-client',
        nonce: hex(n2),
        inner: hex(reply),
        wrapped: hex(tlsCryptWrap(keys, 'server-to-client', reply, n2)),
      },
    ],
  };
}

export function cookieVectors(): Json {
  const masterKey = labelled('cookie master key', 32);
  const now = 1_700_000_123_456;
  const address = '198.51.100.7:51820';
  const authority = new CookieAuthority(masterKey);
  const cookie = authority.mint(now, address, CLIENT_SID);
  const ts = Math.floor(now / 1000);
  const period = Math.floor(ts / 120);
  const periodSecret = expandLabel(
    hkdfExtract(ZERO_HASH, masterKey),
    Label.cookieSecret,
    new WireWriter().u32(period).finish(),
    32,
  );
  const macInput = new WireWriter()
    .vector(1, new TextEncoder().encode(address))
    .bytes(CLIENT_SID)
    .u32(ts)
    .finish();
  const reply = encodeCookieReply(CLIENT_SID, cookie);
  return {
    description:
      'Stateless cookies (docs/PROTOCOL.md §8.1) and COOKIE_REPLY (§8.2). cookie = u32 timestamp ‖ HMAC-SHA-384(periodSecret, macInput)[0..16); periodSecret = HKDF-Expand-Label(HKDF-Extract(0^48, masterKey), "cookie secret", u32 period, 32); period = floor(timestamp / 120). COOKIE_REPLY = 0x10 ‖ client session id ‖ u8 len ‖ cookie ‖ HMAC-SHA-384(cookieReplyKey, preceding bytes)[0..16). `checks` give the verdict at other times and addresses.',
    masterKey: hex(masterKey),
    nowMs: now,
    timestamp: ts,
    period,
    periodSecret: hex(periodSecret),
    address,
    clientSessionId: hex(CLIENT_SID),
    macInput: hex(macInput),
    cookie: hex(cookie),
    checks: [
      { nowMs: now, address, valid: true },
      { nowMs: now + 120_000, address, valid: true },
      { nowMs: now + 121_000, address, valid: false },
      { nowMs: now - 1_000, address, valid: false },
      { nowMs: now, address: '198.51.100.8:51820', valid: false },
    ].map((c) => ({ ...c, valid: authority.check(c.nowMs, c.address, CLIENT_SID, cookie) })),
    cookieReplyKey: hex(initialSecrets(CLIENT_SID).cookieReply),
    cookieReply: hex(reply),
  };
}
