/**
 * Generators of test/vectors/handshake/messages.json and key-schedule.json (docs/PROTOCOL.md §5, §6),
 * from fixed labelled inputs. Used by scripts/make-protocol-vectors.ts.
 * @module
 */

import { signatureSchemeByName, signatureSchemeNames } from '../../../src/crypto/signature-schemes.js';
import {
  ALERT_NAMES,
  type AlertCode,
  ExtraSecretMode,
  MessageType,
} from '../../../src/protocol/handshake/constants.js';
import { ML_KEM_1024, X_WING } from '../../../src/protocol/handshake/kem-suites.js';
import {
  combineSecrets,
  dataKeys,
  deriveSecret,
  expandLabel,
  finishedMac,
  handshakeSecret,
  hkdfExtract,
  INITIAL_SALT,
  initialSecrets,
  keyCheck,
  masterSecret,
  rekeyTrafficSecrets,
  sha384,
  type TrafficKeys,
  trafficKeys,
  ZERO_HASH,
} from '../../../src/protocol/handshake/key-schedule.js';
import { Label, SignatureContext } from '../../../src/protocol/handshake/labels.js';
import { encodeMessage, type HandshakeMessage } from '../../../src/protocol/handshake/messages.js';
import { signatureInput } from '../../../src/protocol/handshake/peer-auth.js';
import { hex, labelled, recordingCrypto, vectorIdentity } from './fixtures.js';
import { type Json, messageToJson } from './json.js';

export const PUSH_OPTIONS = [
  'ifconfig 10.8.0.2 255.255.255.0',
  'route 10.9.0.0 255.255.0.0',
  'ping 10',
  'ping-restart 60',
];

const NAMES: Record<number, string> = {
  1: 'ClientHello',
  2: 'ServerHello',
  8: 'EncryptedExtensions',
  11: 'Certificate',
  15: 'CertificateVerify',
  20: 'Finished',
  21: 'PasswordAuth',
  22: 'ServerResult',
  24: 'RekeyInit',
  25: 'RekeyResponse',
  30: 'Alert',
};

export function messageName(type: number): string {
  return NAMES[type] ?? `type ${type}`;
}

function entry(name: string, m: HandshakeMessage): Json {
  return { name, type: m.type, fields: messageToJson(m), bytes: hex(encodeMessage(m)) };
}

/** Every message type, encoded, with its fields; and malformed encodings a decoder must reject. */
export function messagesVectors(): Json {
  const xwing = X_WING.keygen(labelled('x-wing client', X_WING.keygenSeedBytes));
  const mlkem = ML_KEM_1024.keygen(labelled('ml-kem-1024 client', ML_KEM_1024.keygenSeedBytes));
  const enc = X_WING.encapsulate(xwing.publicKey, labelled('x-wing eseed', X_WING.encapsulationSeedBytes))!;
  const server = vectorIdentity('vpn.example.org', 'serverAuth', 'ml-dsa-65');
  const crypto = recordingCrypto(0);
  const scheme = signatureSchemeByName('ml-dsa-65');
  const signature = crypto.sign(
    scheme,
    server.secretKey,
    signatureInput(SignatureContext.server, labelled('transcript through Certificate', 48)),
  );
  const extraOffer = {
    mode: ExtraSecretMode.optional,
    initiatorSaeId: 'SAE_CLIENT_1',
    responderSaeId: 'SAE_SERVER_1',
    keyId: new TextEncoder().encode('bc490419-7d60-487f-adc1-4ddcc177c139'),
  };
  const none = new Uint8Array(0);
  const valid: Json[] = [
    entry('ClientHello: X-Wing and ML-KEM-1024 offers, every scheme, PSK, optional QKD key', {
      type: MessageType.clientHello,
      versions: [1],
      sessionId: labelled('client session id', 8),
      random: labelled('client random', 32),
      kemOffers: [
        { suite: X_WING.codePoint, keyShare: xwing.publicKey },
        { suite: ML_KEM_1024.codePoint, keyShare: mlkem.publicKey },
      ],
      signatureSchemes: signatureSchemeNames().map((n) => signatureSchemeByName(n).codePoint),
      psk: true,
      extra: extraOffer,
      extensions: none,
    }),
    entry('ClientHello: X-Wing only, ML-DSA-65 only, no PSK, no extra secret', {
      type: MessageType.clientHello,
      versions: [1],
      sessionId: labelled('client session id', 8),
      random: labelled('client random', 32),
      kemOffers: [{ suite: X_WING.codePoint, keyShare: xwing.publicKey }],
      signatureSchemes: [scheme.codePoint],
      psk: false,
      extra: { mode: ExtraSecretMode.none, initiatorSaeId: '', responderSaeId: '', keyId: none },
      extensions: none,
    }),
    entry('ServerHello: X-Wing, extra secret used', {
      type: MessageType.serverHello,
      version: 1,
      sessionId: labelled('server session id', 8),
      random: labelled('server random', 32),
      kemSuite: X_WING.codePoint,
      kemCipherText: enc.cipherText,
      extraUsed: true,
      keyCheck: labelled('key check', 16),
      extensions: none,
    }),
    entry('EncryptedExtensions: certificate and password, ML-DSA-44/65 client certificates', {
      type: MessageType.encryptedExtensions,
      clientAuth: 3,
      clientSignatureSchemes: [0x0904, 0x0905],
      extensions: none,
    }),
    entry('EncryptedExtensions: password only', {
      type: MessageType.encryptedExtensions,
      clientAuth: 2,
      clientSignatureSchemes: [],
      extensions: none,
    }),
    entry('Certificate: one (placeholder) certificate', {
      type: MessageType.certificate,
      chain: server.chain,
    }),
    entry('CertificateVerify: ML-DSA-65 (deterministic)', {
      type: MessageType.certificateVerify,
      scheme: scheme.codePoint,
      signature,
    }),
    entry('Finished', { type: MessageType.finished, verifyData: labelled('verify data', 48) }),
    entry('PasswordAuth', {
      type: MessageType.passwordAuth,
      username: 'alice',
      password: new TextEncoder().encode('correct horse battery staple'),
    }),
    entry('ServerResult: peer id 7 and pushed options', {
      type: MessageType.serverResult,
      peerId: 7,
      options: PUSH_OPTIONS,
    }),
    entry('ServerResult: peer id 0xFFFFFE, no options', {
      type: MessageType.serverResult,
      peerId: 0xfffffe,
      options: [],
    }),
    entry('RekeyInit: required QKD key', {
      type: MessageType.rekeyInit,
      random: labelled('rekey init random', 32),
      kemSuite: X_WING.codePoint,
      keyShare: xwing.publicKey,
      extra: { ...extraOffer, mode: ExtraSecretMode.required },
    }),
    entry('RekeyResponse', {
      type: MessageType.rekeyResponse,
      random: labelled('rekey response random', 32),
      kemCipherText: enc.cipherText,
      extraUsed: false,
    }),
    ...Object.entries(ALERT_NAMES).map(([code, name]) =>
      entry(`Alert ${name}`, { type: MessageType.alert, code: Number(code) as AlertCode }),
    ),
  ];
  const invalid: Json[] = [
    { name: 'unknown message type 3', bytes: '03000000' },
    { name: 'length field does not match', bytes: '1e00000200' },
    { name: 'unknown alert code 2', bytes: '1e00000102' },
    { name: 'Finished of 47 bytes', bytes: `1400002f${'00'.repeat(47)}` },
    { name: 'Alert with a trailing byte', bytes: '1e0000020000' },
    { name: 'EncryptedExtensions with reserved client_auth bit 4', bytes: '08000004040000' + '00' },
    { name: 'EncryptedExtensions with a duplicate scheme', bytes: '08000008' + '0202' + '09050905' + '0000' },
    { name: 'ServerResult option of zero length', bytes: '1600000700000700010000' },
    { name: 'PasswordAuth with invalid UTF-8 username', bytes: '15000004' + '01ff0000' },
    { name: 'PasswordAuth with an empty username', bytes: '15000003' + '000000' },
    { name: 'RekeyResponse extra_used = 2', bytes: `19000024${'00'.repeat(32)}000101` + '02' },
  ];
  return {
    description:
      'pqvpn handshake messages (docs/PROTOCOL.md §5). `bytes` = type(1) ‖ u24 length ‖ body; `fields` are the decoded values (byte strings in hex). `invalid` encodings must be rejected by a decoder (DECODE_ERROR). Key shares and the ciphertext are real X-Wing/ML-KEM-1024 values from labelled seeds; the signature is a deterministic ML-DSA-65 signature; the certificate is an opaque placeholder.',
    valid,
    invalid,
  };
}

function keysJson(k: TrafficKeys): Json {
  return { key: hex(k.key), iv: hex(k.iv) };
}

interface ScheduleCase {
  readonly name: string;
  readonly kind: 'initial' | 'rekey';
  readonly keyId: number;
  readonly chain: Uint8Array;
  readonly kemSharedSecret: Uint8Array;
  readonly extraSecret?: Uint8Array;
  readonly psk?: Uint8Array;
}

/** One epoch's whole schedule from its inputs (hashes are labelled stand-ins for real transcripts). */
function scheduleCase(c: ScheduleCase): Json {
  const h = (n: string) => labelled(`${c.name} ${n}`, 48);
  const hashes =
    c.kind === 'initial'
      ? {
          clientHello: h('H(CH)'),
          serverHello: h('H(CH..SH)'),
          beforeServerFinished: h('H(CH..CertificateVerify)'),
          serverFinished: h('H(CH..server Finished)'),
          beforeClientFinished: h('H(CH..client last before Finished)'),
          clientFinished: h('H(CH..client Finished)'),
        }
      : {
          rekeyResponse: h('H(RekeyInit..RekeyResponse)'),
          responderFinished: h('H(..responder Finished)'),
          initiatorFinished: h('H(..initiator Finished)'),
        };
  const combined = combineSecrets(c.kemSharedSecret, c.extraSecret, c.psk);
  const early = hkdfExtract(ZERO_HASH, c.chain);
  const derived1 = deriveSecret(early, Label.derived, sha384(new Uint8Array(0)));
  const hs = handshakeSecret(c.chain, combined);
  const tHs = 'serverHello' in hashes ? hashes.serverHello : hashes.rekeyResponse;
  const cHs = deriveSecret(hs, Label.clientHandshakeTraffic, tHs);
  const sHs = deriveSecret(hs, Label.serverHandshakeTraffic, tHs);
  const derived2 = deriveSecret(hs, Label.derived, sha384(new Uint8Array(0)));
  const master = masterSecret(hs);
  const tAp = 'serverFinished' in hashes ? hashes.serverFinished : hashes.responderFinished;
  const tData = 'clientFinished' in hashes ? hashes.clientFinished : hashes.responderFinished;
  const tAll = 'clientFinished' in hashes ? hashes.clientFinished : hashes.initiatorFinished;
  const cAp = deriveSecret(master, Label.clientAppTraffic, tAp);
  const sAp = deriveSecret(master, Label.serverAppTraffic, tAp);
  const data = deriveSecret(master, Label.data, tData);
  const rekey = deriveSecret(master, Label.rekey, tAll);
  const dk = dataKeys(data, c.keyId);
  const finished =
    'beforeServerFinished' in hashes
      ? {
          server: hex(finishedMac(sHs, hashes.beforeServerFinished)),
          client: hex(finishedMac(cHs, hashes.beforeClientFinished!)),
        }
      : {
          // A client-initiated rekey: the server responds; each side's Finished key follows its role.
          server: hex(finishedMac(sHs, hashes.rekeyResponse)),
          client: hex(finishedMac(cHs, hashes.responderFinished)),
        };
  const hashesJson: Record<string, string> = {};
  for (const [k, v] of Object.entries(hashes)) hashesJson[k] = hex(v);
  return {
    name: c.name,
    kind: c.kind,
    keyId: c.keyId,
    inputs: {
      chain: hex(c.chain),
      kemSharedSecret: hex(c.kemSharedSecret),
      extraSecret: c.extraSecret ? hex(c.extraSecret) : null,
      psk: c.psk ? hex(c.psk) : null,
      hashes: hashesJson,
    },
    outputs: {
      combined: hex(combined),
      earlySecret: hex(early),
      derived1: hex(derived1),
      handshakeSecret: hex(hs),
      keyCheck: 'clientHello' in hashes ? hex(keyCheck(hs, hashes.clientHello)) : null,
      clientHandshakeTraffic: hex(cHs),
      serverHandshakeTraffic: hex(sHs),
      derived2: hex(derived2),
      masterSecret: hex(master),
      clientAppTraffic: hex(cAp),
      serverAppTraffic: hex(sAp),
      data: hex(data),
      rekey: hex(rekey),
      trafficKeys: {
        clientHandshake: keysJson(trafficKeys(cHs)),
        serverHandshake: keysJson(trafficKeys(sHs)),
        clientApp: keysJson(trafficKeys(cAp)),
        serverApp: keysJson(trafficKeys(sAp)),
      },
      finishedKeys: {
        client: hex(expandLabel(cHs, Label.finished, new Uint8Array(0), 48)),
        server: hex(expandLabel(sHs, Label.finished, new Uint8Array(0), 48)),
      },
      finished,
      dataKeys: { clientToServer: keysJson(dk.clientToServer), serverToClient: keysJson(dk.serverToClient) },
    },
  };
}

export function keyScheduleVectors(): Json {
  const ss = labelled('kem shared secret', 32);
  const psk = labelled('psk', 32);
  const extra = labelled('qkd key', 32);
  const sid = labelled('client session id', 8);
  const init = initialSecrets(sid);
  const prevRekey = labelled('previous rekey secret', 48);
  const rk = rekeyTrafficSecrets(prevRekey, 1);
  return {
    description:
      'The pqvpn key schedule (docs/PROTOCOL.md §6). Each case gives the inputs — chain (0^48 or the previous rekey secret), the KEM shared secret, the optional extra secret and PSK, and the transcript hashes (labelled stand-ins) — and every derived value. In rekey cases the client initiates, so `finished.server` is the responder Finished over hashes.rekeyResponse and `finished.client` the initiator Finished over hashes.responderFinished. `initial` gives the Initial secrets of a client session id, `rekeyTraffic` the packet-protection secrets of a rekey epoch. Hex throughout.',
    cases: [
      scheduleCase({
        name: 'first handshake, KEM only',
        kind: 'initial',
        keyId: 0,
        chain: ZERO_HASH,
        kemSharedSecret: ss,
      }),
      scheduleCase({
        name: 'first handshake, KEM + PSK',
        kind: 'initial',
        keyId: 0,
        chain: ZERO_HASH,
        kemSharedSecret: ss,
        psk,
      }),
      scheduleCase({
        name: 'first handshake, KEM + extra secret',
        kind: 'initial',
        keyId: 0,
        chain: ZERO_HASH,
        kemSharedSecret: ss,
        extraSecret: extra,
      }),
      scheduleCase({
        name: 'first handshake, KEM + extra secret + PSK',
        kind: 'initial',
        keyId: 0,
        chain: ZERO_HASH,
        kemSharedSecret: ss,
        extraSecret: extra,
        psk,
      }),
      scheduleCase({
        name: 'rekey to key id 1, KEM + extra secret + PSK',
        kind: 'rekey',
        keyId: 1,
        chain: prevRekey,
        kemSharedSecret: labelled('rekey kem shared secret', 32),
        extraSecret: labelled('rekey qkd key', 32),
        psk,
      }),
      scheduleCase({
        name: 'rekey to key id 0 (wrap from 7), KEM only',
        kind: 'rekey',
        keyId: 0,
        chain: prevRekey,
        kemSharedSecret: labelled('rekey kem shared secret', 32),
      }),
    ],
    initial: {
      salt: hex(INITIAL_SALT),
      clientSessionId: hex(sid),
      initialSecret: hex(hkdfExtract(INITIAL_SALT, sid)),
      clientInitial: hex(init.client),
      serverInitial: hex(init.server),
      cookieReply: hex(init.cookieReply),
      clientKeys: keysJson(trafficKeys(init.client)),
      serverKeys: keysJson(trafficKeys(init.server)),
    },
    rekeyTraffic: {
      previousRekeySecret: hex(prevRekey),
      keyId: 1,
      client: hex(rk.client),
      server: hex(rk.server),
      clientKeys: keysJson(trafficKeys(rk.client)),
      serverKeys: keysJson(trafficKeys(rk.server)),
    },
  };
}
