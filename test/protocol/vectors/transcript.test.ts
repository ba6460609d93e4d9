/**
 * test/vectors/handshake/transcript.json: a whole session replayed byte for byte by the reference
 * code, and every datagram, message, hash, signature and secret re-derived independently from
 * docs/PROTOCOL.md (./spec.ts over @noble/*).
 */
import { readFileSync } from 'node:fs';
import { ml_dsa44, ml_dsa65 } from '@noble/post-quantum/ml-dsa.js';
import { describe, expect, it } from 'vitest';
import { hex, unhex } from './fixtures.js';
import { runTranscript } from './gen-transcript.js';
import * as spec from './spec.js';

interface Message {
  from: 'client' | 'server';
  level: number;
  type: number;
  name: string;
  bytes: string;
  transcriptHash: string | null;
}
interface Epoch {
  keyId: number;
  kind: 'initial' | 'rekey';
  chain: string;
  kemSharedSecret: string;
  extraSecret: string | null;
  messages: Message[];
  levelKeys: Record<string, Record<'clientToServer' | 'serverToClient', { key: string; iv: string }>>;
  secrets: Record<string, string>;
}
const file = JSON.parse(
  readFileSync(new URL('../../vectors/handshake/transcript.json', import.meta.url), 'utf8'),
) as {
  config: {
    psk: string;
    extraSecrets: Array<{ secret: string }>;
    serverPublicKey: string;
    clientPublicKey: string;
  };
  randomDraws: { client: string[]; server: string[] };
  kemSharedSecrets: { client: string[]; server: string[] };
  datagrams: Array<{ from: 'client' | 'server'; bytes: string; keyId: number; level: number }>;
  epochs: Epoch[];
};

describe('whole-session transcript vector', () => {
  it('the reference client and server reproduce every datagram byte for byte', () => {
    const { run, clientCrypto, serverCrypto } = runTranscript();
    expect(run.log.map((d) => ({ from: d.from, bytes: hex(d.bytes) }))).toEqual(
      file.datagrams.map((d) => ({ from: d.from, bytes: d.bytes })),
    );
    expect(clientCrypto.draws).toEqual(file.randomDraws.client);
    expect(serverCrypto.draws).toEqual(file.randomDraws.server);
    expect(run.client.keyId).toBe(1);
  });

  it('every datagram opens under the documented keys and the streams hold exactly the messages', () => {
    const streams = new Map<string, Map<number, Uint8Array>>();
    for (const d of file.datagrams) {
      const bytes = unhex(d.bytes);
      expect(bytes[0]! >>> 3).toBe(1);
      expect(bytes[0]! & 7).toBe(d.keyId);
      const epoch = file.epochs.find((e) => e.keyId === d.keyId)!;
      const keys =
        epoch.levelKeys[String(bytes[17])]![d.from === 'client' ? 'clientToServer' : 'serverToClient'];
      const h = spec.controlHeaderLength(bytes);
      const pn = new DataView(bytes.buffer).getUint32(18);
      const payload = spec
        .gcm(unhex(keys.key), spec.controlNonce(unhex(keys.iv), pn), bytes.subarray(0, h))
        .decrypt(bytes.subarray(h));
      const key = `${d.keyId}/${d.from}/${bytes[17]}`;
      const s = streams.get(key) ?? new Map<number, Uint8Array>();
      for (const [offset, data] of spec.streamFrames(payload)) s.set(offset, data);
      streams.set(key, s);
    }
    for (const e of file.epochs) {
      for (const [key, pieces] of streams) {
        const [k, from, level] = key.split('/');
        if (Number(k) !== e.keyId) continue;
        const size = Math.max(0, ...[...pieces].map(([o, d]) => o + d.length));
        const stream = new Uint8Array(size);
        for (const [o, d] of pieces) stream.set(d, o);
        const expected = e.messages
          .filter((m) => m.from === from && String(m.level) === level)
          .map((m) => m.bytes);
        expect(hex(stream)).toBe(expected.join(''));
      }
    }
  });

  for (const e of file.epochs) {
    it(`key epoch ${e.keyId} (${e.kind}): hashes, signatures, Finished and every secret follow the spec`, () => {
      const ss = e.kemSharedSecret;
      expect(file.kemSharedSecrets.server[e.keyId]).toBe(ss); // the server encapsulated in both epochs
      expect(file.kemSharedSecrets.client[e.keyId]).toBe(ss);
      let transcript = new Uint8Array(0);
      const after: Record<string, Uint8Array> = {};
      const before: Record<string, Uint8Array> = {};
      for (const m of e.messages) {
        const tag = `${m.name}/${m.from}`;
        before[tag] = spec.sha384(transcript);
        if (m.name === 'ServerResult') {
          expect(m.transcriptHash).toBeNull();
          continue;
        }
        transcript = spec.cat(transcript, unhex(m.bytes));
        after[tag] = spec.sha384(transcript);
        expect(m.transcriptHash).toBe(hex(after[tag]!));
      }
      const initial = e.kind === 'initial';
      const t = initial
        ? {
            tHs: after['ServerHello/server']!,
            tAp: after['Finished/server']!,
            tData: after['Finished/client']!,
            tAll: after['Finished/client']!,
          }
        : {
            tHs: after['RekeyResponse/server']!,
            tAp: after['Finished/server']!,
            tData: after['Finished/server']!,
            tAll: after['Finished/client']!,
          };
      const s = spec.schedule({
        chain: unhex(e.chain),
        kem: unhex(ss),
        extra: e.extraSecret ? unhex(e.extraSecret) : undefined,
        psk: unhex(file.config.psk),
        ...t,
      });
      expect(e.extraSecret).toBe(file.config.extraSecrets[e.keyId]!.secret);
      const sec = e.secrets;
      expect(hex(s.hs)).toBe(sec.handshakeSecret);
      expect([hex(s.cHs), hex(s.sHs), hex(s.master)]).toEqual([
        sec.clientHandshakeTraffic,
        sec.serverHandshakeTraffic,
        sec.masterSecret,
      ]);
      expect([hex(s.cAp), hex(s.sAp), hex(s.data), hex(s.rekey)]).toEqual([
        sec.clientAppTraffic,
        sec.serverAppTraffic,
        sec.data,
        sec.rekey,
      ]);
      const dk = spec.dataKeys(s.data, e.keyId);
      expect([hex(dk.c2s.key), hex(dk.c2s.iv), hex(dk.s2c.key), hex(dk.s2c.iv)]).toEqual([
        sec.dataClientToServerKey,
        sec.dataClientToServerIv,
        sec.dataServerToClientKey,
        sec.dataServerToClientIv,
      ]);
      const lk = (l: number, c: Uint8Array, sv: Uint8Array) => {
        const a = spec.traffic(c);
        const b = spec.traffic(sv);
        expect(e.levelKeys[String(l)]).toEqual({
          clientToServer: { key: hex(a.key), iv: hex(a.iv) },
          serverToClient: { key: hex(b.key), iv: hex(b.iv) },
        });
      };
      lk(2, s.cAp, s.sAp);
      const finished = (tag: string) =>
        unhex(e.messages.find((m) => `${m.name}/${m.from}` === tag)!.bytes).subarray(4);
      if (initial) {
        const sid = unhex(file.datagrams[0]!.bytes).subarray(1, 9);
        const init = spec.initial(sid);
        lk(0, init.client, init.server);
        lk(1, s.cHs, s.sHs);
        // key_check: the 16 bytes after extra_used in the ServerHello body.
        const sh = unhex(e.messages.find((m) => m.name === 'ServerHello')!.bytes).subarray(4);
        const ctLen = (sh[44]! << 8) | sh[45]!;
        const keyCheck = sh.subarray(46 + ctLen + 1, 46 + ctLen + 17);
        expect(hex(keyCheck)).toBe(
          hex(spec.expandLabel(s.hs, 'key check', after['ClientHello/client']!, 16)),
        );
        expect(hex(finished('Finished/server'))).toBe(hex(spec.finished(s.sHs, before['Finished/server']!)));
        expect(hex(finished('Finished/client'))).toBe(hex(spec.finished(s.cHs, before['Finished/client']!)));
        // CertificateVerify: scheme u16 ‖ opaque<u24> signature over 64 spaces ‖ context ‖ 0 ‖ Hash(..Certificate).
        for (const [side, pk, dsa] of [
          ['server', file.config.serverPublicKey, ml_dsa65],
          ['client', file.config.clientPublicKey, ml_dsa44],
        ] as const) {
          const cv = unhex(e.messages.find((m) => m.name === 'CertificateVerify' && m.from === side)!.bytes);
          const signature = cv.subarray(4 + 2 + 3);
          const input = spec.cat(
            new Uint8Array(64).fill(0x20),
            new TextEncoder().encode(`pqvpn1 ${side} CertificateVerify`),
            Uint8Array.of(0),
            after[`Certificate/${side}`]!,
          );
          expect(dsa.verify(signature, input, unhex(pk))).toBe(true);
        }
      } else {
        const prev = file.epochs.find((x) => x.keyId === e.keyId - 1)!;
        expect(e.chain).toBe(prev.secrets.rekey);
        const c = spec.expandLabel(unhex(e.chain), 'c rk traffic', spec.u8(e.keyId), 48);
        const sv = spec.expandLabel(unhex(e.chain), 's rk traffic', spec.u8(e.keyId), 48);
        lk(1, c, sv);
        // The client initiated: the server's Finished comes first; each Finished key follows the role.
        expect(hex(finished('Finished/server'))).toBe(hex(spec.finished(s.sHs, before['Finished/server']!)));
        expect(hex(finished('Finished/client'))).toBe(hex(spec.finished(s.cHs, before['Finished/client']!)));
      }
    });
  }
});
