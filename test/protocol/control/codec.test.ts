import { hkdfSync } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CookieAuthority,
  decodeCookieReply,
  encodeCookieReply,
} from '../../../src/protocol/control/cookie.js';
import {
  decodeFrames,
  encodeFrames,
  openControlPacket,
  parseControlPacket,
  sealControlPacket,
} from '../../../src/protocol/control/packet.js';
import { deriveTlsCryptKeys, tlsCryptUnwrap, tlsCryptWrap } from '../../../src/protocol/control/tls-crypt.js';
import { AlertCode, ExtraSecretMode, Level, MessageType } from '../../../src/protocol/handshake/constants.js';
import {
  combineSecrets,
  hkdfExpand,
  hkdfExtract,
  hkdfLabel,
  trafficKeys,
} from '../../../src/protocol/handshake/key-schedule.js';
import { LABEL_PREFIX, Label } from '../../../src/protocol/handshake/labels.js';
import {
  decodeMessage,
  encodeMessage,
  type HandshakeMessage,
} from '../../../src/protocol/handshake/messages.js';
import { WireError } from '../../../src/protocol/handshake/wire.js';

const bytes = (n: number, v = 7) => new Uint8Array(n).fill(v);

const samples: HandshakeMessage[] = [
  {
    type: MessageType.clientHello,
    versions: [1, 2],
    sessionId: bytes(8, 1),
    random: bytes(32, 2),
    kemOffers: [{ suite: 0x647a, keyShare: bytes(1216, 3) }],
    signatureSchemes: [0x0905, 0x0904],
    psk: true,
    extra: {
      mode: ExtraSecretMode.required,
      initiatorSaeId: 'sae-a',
      responderSaeId: 'sae-b',
      keyId: bytes(16, 9),
    },
    extensions: new Uint8Array(0),
  },
  {
    type: MessageType.serverHello,
    version: 1,
    sessionId: bytes(8, 4),
    random: bytes(32, 5),
    kemSuite: 0x647a,
    kemCipherText: bytes(1120, 6),
    extraUsed: false,
    keyCheck: bytes(16, 8),
    extensions: new Uint8Array(0),
  },
  {
    type: MessageType.encryptedExtensions,
    clientAuth: 3,
    clientSignatureSchemes: [0x0905],
    extensions: bytes(3),
  },
  { type: MessageType.certificate, chain: [bytes(5000), bytes(300)] },
  { type: MessageType.certificateVerify, scheme: 0x0905, signature: bytes(3309) },
  { type: MessageType.finished, verifyData: bytes(48) },
  { type: MessageType.passwordAuth, username: 'alice', password: new TextEncoder().encode('pässword') },
  {
    type: MessageType.serverResult,
    peerId: 0x123456,
    options: ['ifconfig 10.8.0.2 255.255.255.0', 'ping 10'],
  },
  {
    type: MessageType.rekeyInit,
    random: bytes(32),
    kemSuite: 0x0202,
    keyShare: bytes(1568),
    extra: {
      mode: ExtraSecretMode.optional,
      initiatorSaeId: 'a',
      responderSaeId: 'b',
      keyId: new Uint8Array(0),
    },
  },
  { type: MessageType.rekeyResponse, random: bytes(32), kemCipherText: bytes(1568), extraUsed: true },
  { type: MessageType.alert, code: AlertCode.authFailed },
];

describe('handshake message codec', () => {
  it.each(samples.map((m) => [m.type, m] as const))('round-trips message type %i', (_t, m) => {
    const enc = encodeMessage(m);
    expect(decodeMessage(enc)).toEqual(m);
    expect(encodeMessage(decodeMessage(enc))).toEqual(enc);
  });

  it('rejects every truncation and any trailing byte', () => {
    for (const m of samples) {
      const enc = encodeMessage(m);
      const extended = new Uint8Array(enc.length + 1);
      extended.set(enc);
      extended[3]! += 1; // length covers the extra byte
      expect(() => decodeMessage(extended)).toThrow(WireError);
      for (const cut of [4, Math.floor(enc.length / 2), enc.length - 1].filter((c) => c >= 4)) {
        const t = enc.slice(0, cut);
        t[1] = 0;
        t[2] = (cut - 4) >> 8;
        t[3] = (cut - 4) & 0xff;
        expect(() => decodeMessage(t)).toThrow(WireError);
      }
    }
  });

  it('rejects duplicate list entries, reserved values and empty required key ids', () => {
    const ch = samples[0] as Extract<HandshakeMessage, { type: 1 }>;
    expect(() => encodeMessage({ ...ch, versions: [1, 1] })).not.toThrow();
    expect(() => decodeMessage(encodeMessage({ ...ch, versions: [1, 1] }))).toThrow(/duplicate/);
    expect(() => decodeMessage(encodeMessage({ ...ch, signatureSchemes: [5, 5] }))).toThrow(/duplicate/);
    expect(() =>
      decodeMessage(encodeMessage({ ...ch, extra: { ...ch.extra, keyId: new Uint8Array(0) } })),
    ).toThrow(/required/);
    const alert = encodeMessage({ type: MessageType.alert, code: AlertCode.authFailed });
    alert[4] = 199;
    expect(() => decodeMessage(alert)).toThrow(/unknown/);
    const sh = encodeMessage(samples[1]!);
    sh[sh.length - 19] = 2; // extra_used must be 0/1
    expect(() => decodeMessage(sh)).toThrow(WireError);
  });

  it('never throws anything but WireError on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
        try {
          decodeMessage(b);
        } catch (e) {
          expect(e).toBeInstanceOf(WireError);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('key schedule primitives', () => {
  it('HKDF-Extract/Expand agree with node:crypto hkdf (SHA-384)', () => {
    const ikm = bytes(40, 0x0b);
    const salt = bytes(13, 0x01);
    const info = bytes(10, 0xf0);
    const ours = hkdfExpand(hkdfExtract(salt, ikm), info, 100);
    expect(ours).toEqual(new Uint8Array(hkdfSync('sha384', ikm, salt, info, 100)));
  });

  it('HkdfLabel carries the pqvpn1 prefix and length', () => {
    const l = hkdfLabel('key', new Uint8Array(0), 32);
    expect([...l.subarray(0, 3)]).toEqual([0, 32, LABEL_PREFIX.length + 3]);
    expect(new TextDecoder().decode(l.subarray(3, 3 + LABEL_PREFIX.length + 3))).toBe('pqvpn1 key');
  });

  it('all labels are distinct and fit', () => {
    const values = Object.values(Label);
    expect(new Set(values).size).toBe(values.length);
    for (const v of values) expect(LABEL_PREFIX.length + v.length).toBeLessThanOrEqual(255);
  });

  it('combines secrets injectively (length prefixes)', () => {
    const a = combineSecrets(bytes(32, 1), bytes(2, 2), undefined);
    const b = combineSecrets(bytes(32, 1), undefined, bytes(2, 2));
    expect(a).not.toEqual(b);
    expect(combineSecrets(bytes(32, 1), undefined, undefined)).toEqual(
      Uint8Array.from([0, 32, ...bytes(32, 1), 0, 0, 0, 0]),
    );
  });
});

describe('control packets', () => {
  const keys = trafficKeys(bytes(48, 3));
  const header = {
    keyId: 3,
    srcSessionId: bytes(8, 1),
    dstSessionId: bytes(8, 2),
    level: Level.initial,
    packetNumber: 0x01020304,
    token: bytes(20, 9),
  } as const;
  const payload = encodeFrames([
    {
      type: 'ack',
      ranges: [
        [10, 12],
        [3, 3],
      ],
    },
    { type: 'stream', offset: 100, data: bytes(50) },
  ]);

  it('seals and opens; header fields round-trip', () => {
    const pkt = sealControlPacket(header, payload, keys);
    const parsed = parseControlPacket(pkt);
    expect(parsed.header).toEqual(header);
    expect(openControlPacket(parsed, keys)).toEqual(payload);
    expect(decodeFrames(payload)).toEqual([
      {
        type: 'ack',
        ranges: [
          [10, 12],
          [3, 3],
        ],
      },
      { type: 'stream', offset: 100, data: bytes(50) },
    ]);
  });

  it('every single-bit flip fails to parse or to open', () => {
    const pkt = sealControlPacket(header, payload, keys);
    for (let i = 0; i < pkt.length * 8; i++) {
      const f = pkt.slice();
      f[i >> 3]! ^= 1 << (i & 7);
      let opened: Uint8Array | undefined;
      try {
        opened = openControlPacket(parseControlPacket(f), keys);
      } catch (e) {
        expect(e).toBeInstanceOf(WireError);
      }
      expect(opened).toBeUndefined();
    }
  });

  it('rejects malformed ACK frames', () => {
    expect(() => decodeFrames(Uint8Array.of(1, 2, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4))).toThrow(
      /descending/,
    );
    expect(() => decodeFrames(Uint8Array.of(1, 1, 0, 0, 0, 5, 0, 0, 0, 4))).toThrow(/ordered/);
    expect(() => decodeFrames(Uint8Array.of(1, 0))).toThrow(/count/);
    expect(() => decodeFrames(Uint8Array.of(9))).toThrow(/unknown/);
    expect(() => decodeFrames(new Uint8Array(0))).toThrow(/no frames/);
  });
});

describe('tls-crypt', () => {
  const keys = deriveTlsCryptKeys(bytes(32, 0x42));
  it('wraps and unwraps per direction; rejects the other direction and any flip', () => {
    const inner = Uint8Array.of(0x08, ...bytes(60, 5));
    const w = tlsCryptWrap(keys, 'client-to-server', inner, bytes(24, 1));
    expect(tlsCryptUnwrap(keys, 'client-to-server', w)).toEqual(inner);
    expect(tlsCryptUnwrap(keys, 'server-to-client', w)).toBeUndefined();
    expect(tlsCryptUnwrap(deriveTlsCryptKeys(bytes(32, 0x43)), 'client-to-server', w)).toBeUndefined();
    for (let i = 0; i < w.length * 8; i++) {
      const f = w.slice();
      f[i >> 3]! ^= 1 << (i & 7);
      expect(tlsCryptUnwrap(keys, 'client-to-server', f)).toBeUndefined();
    }
    expect(tlsCryptUnwrap(keys, 'client-to-server', w.subarray(0, 40))).toBeUndefined();
  });
  it('refuses short static keys', () => {
    expect(() => deriveTlsCryptKeys(bytes(16))).toThrow(/at least 32/);
  });
});

describe('cookies', () => {
  const auth = new CookieAuthority(bytes(32, 0x11));
  const sid = bytes(8, 0x22);
  it('accepts its own cookie for the same address and session only, within one period', () => {
    const c = auth.mint(1_000_000, '192.0.2.1:1194', sid);
    expect(auth.check(1_000_500, '192.0.2.1:1194', sid, c)).toBe(true);
    expect(auth.check(1_000_500, '192.0.2.1:1195', sid, c)).toBe(false);
    expect(auth.check(1_000_500, '192.0.2.1:1194', bytes(8, 0x23), c)).toBe(false);
    expect(auth.check(1_000_000 + 121_000, '192.0.2.1:1194', sid, c)).toBe(false);
    expect(auth.check(999_000 - 1000, '192.0.2.1:1194', sid, c)).toBe(false);
    expect(new CookieAuthority(bytes(32, 0x12)).check(1_000_500, '192.0.2.1:1194', sid, c)).toBe(false);
    const f = c.slice();
    f[10]! ^= 1;
    expect(auth.check(1_000_500, '192.0.2.1:1194', sid, f)).toBe(false);
  });
  it('cookie replies authenticate and bind the session id', () => {
    const c = auth.mint(5000, 'a', sid);
    const reply = encodeCookieReply(sid, c);
    expect(decodeCookieReply(reply, sid)).toEqual(c);
    expect(decodeCookieReply(reply, bytes(8, 1))).toBeUndefined();
    for (let i = 0; i < reply.length * 8; i++) {
      const f = reply.slice();
      f[i >> 3]! ^= 1 << (i & 7);
      expect(decodeCookieReply(f, sid)).toBeUndefined();
    }
  });
});
