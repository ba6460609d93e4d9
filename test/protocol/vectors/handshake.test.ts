/**
 * test/vectors/handshake/{messages,key-schedule}.json against the codecs and key schedule, and the key
 * schedule also against an independent derivation from docs/PROTOCOL.md §6 (./spec.ts).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as ks from '../../../src/protocol/handshake/key-schedule.js';
import { decodeMessage, encodeMessage } from '../../../src/protocol/handshake/messages.js';
import { WireError } from '../../../src/protocol/handshake/wire.js';
import { hex, unhex } from './fixtures.js';
import { type Json, messageFromJson, messageToJson } from './json.js';
import * as spec from './spec.js';

const load = (name: string) =>
  JSON.parse(readFileSync(new URL(`../../vectors/handshake/${name}`, import.meta.url), 'utf8'));

const messages = load('messages.json') as {
  valid: Array<{ name: string; type: number; fields: Json; bytes: string }>;
  invalid: Array<{ name: string; bytes: string }>;
};

describe('handshake message vectors (PROTOCOL.md §5)', () => {
  it.each(messages.valid.map((v) => [v.name, v] as const))('%s', (_n, v) => {
    const bytes = unhex(v.bytes);
    expect(bytes[0]).toBe(v.type);
    expect((bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!).toBe(bytes.length - 4);
    expect(messageToJson(decodeMessage(bytes))).toEqual(v.fields);
    expect(hex(encodeMessage(messageFromJson(v.fields)))).toBe(v.bytes);
  });
  it.each(messages.invalid.map((v) => [v.name, v] as const))('rejects %s', (_n, v) => {
    expect(() => decodeMessage(unhex(v.bytes))).toThrow(WireError);
  });
});

interface Case {
  name: string;
  kind: 'initial' | 'rekey';
  keyId: number;
  inputs: {
    chain: string;
    kemSharedSecret: string;
    extraSecret: string | null;
    psk: string | null;
    hashes: Record<string, string>;
  };
  outputs: Record<string, Json> & { trafficKeys: Record<string, { key: string; iv: string }> };
}
const schedule = load('key-schedule.json') as {
  cases: Case[];
  initial: Record<string, Json>;
  rekeyTraffic: Record<string, Json>;
};

const opt = (s: string | null) => (s === null ? undefined : unhex(s));

describe('key schedule vectors (PROTOCOL.md §6)', () => {
  it.each(schedule.cases.map((c) => [c.name, c] as const))('%s', (_n, c) => {
    const h = (k: string) => unhex(c.inputs.hashes[k]!);
    const initial = c.kind === 'initial';
    const t = initial
      ? {
          tHs: h('serverHello'),
          tAp: h('serverFinished'),
          tData: h('clientFinished'),
          tAll: h('clientFinished'),
        }
      : {
          tHs: h('rekeyResponse'),
          tAp: h('responderFinished'),
          tData: h('responderFinished'),
          tAll: h('initiatorFinished'),
        };
    const inputs = {
      chain: unhex(c.inputs.chain),
      kem: unhex(c.inputs.kemSharedSecret),
      extra: opt(c.inputs.extraSecret),
      psk: opt(c.inputs.psk),
    };
    // The specification, independently.
    const s = spec.schedule({ ...inputs, ...t });
    const o = c.outputs;
    expect(hex(s.combined)).toBe(o.combined);
    expect(hex(s.early)).toBe(o.earlySecret);
    expect(hex(s.derived1)).toBe(o.derived1);
    expect(hex(s.hs)).toBe(o.handshakeSecret);
    expect(hex(s.cHs)).toBe(o.clientHandshakeTraffic);
    expect(hex(s.sHs)).toBe(o.serverHandshakeTraffic);
    expect(hex(s.derived2)).toBe(o.derived2);
    expect(hex(s.master)).toBe(o.masterSecret);
    expect(hex(s.cAp)).toBe(o.clientAppTraffic);
    expect(hex(s.sAp)).toBe(o.serverAppTraffic);
    expect(hex(s.data)).toBe(o.data);
    expect(hex(s.rekey)).toBe(o.rekey);
    if (initial) expect(hex(spec.expandLabel(s.hs, 'key check', h('clientHello'), 16))).toBe(o.keyCheck);
    else expect(o.keyCheck).toBeNull();
    for (const [name, secret] of [
      ['clientHandshake', s.cHs],
      ['serverHandshake', s.sHs],
      ['clientApp', s.cAp],
      ['serverApp', s.sAp],
    ] as const) {
      const k = spec.traffic(secret);
      expect({ key: hex(k.key), iv: hex(k.iv) }).toEqual(o.trafficKeys[name]);
    }
    const fin = o.finished as { server: string; client: string };
    expect(hex(spec.finished(s.sHs, initial ? h('beforeServerFinished') : h('rekeyResponse')))).toBe(
      fin.server,
    );
    expect(hex(spec.finished(s.cHs, initial ? h('beforeClientFinished') : h('responderFinished')))).toBe(
      fin.client,
    );
    const dk = spec.dataKeys(s.data, c.keyId);
    expect(o.dataKeys).toEqual({
      clientToServer: { key: hex(dk.c2s.key), iv: hex(dk.c2s.iv) },
      serverToClient: { key: hex(dk.s2c.key), iv: hex(dk.s2c.iv) },
    });
    // The code's functions.
    expect(hex(ks.combineSecrets(inputs.kem, inputs.extra, inputs.psk))).toBe(o.combined);
    const hs = ks.handshakeSecret(inputs.chain, unhex(o.combined as string));
    expect(hex(hs)).toBe(o.handshakeSecret);
    expect(hex(ks.masterSecret(hs))).toBe(o.masterSecret);
    expect(hex(ks.deriveSecret(ks.masterSecret(hs), 'rekey', t.tAll))).toBe(o.rekey);
    const cdk = ks.dataKeys(unhex(o.data as string), c.keyId);
    expect([hex(cdk.clientToServer.key), hex(cdk.serverToClient.iv)]).toEqual([
      hex(dk.c2s.key),
      hex(dk.s2c.iv),
    ]);
    expect(hex(ks.finishedMac(s.sHs, initial ? h('beforeServerFinished') : h('rekeyResponse')))).toBe(
      fin.server,
    );
  });

  it('Initial secrets of a client session id', () => {
    const v = schedule.initial;
    const sid = unhex(v.clientSessionId as string);
    const s = spec.initial(sid);
    expect(hex(spec.sha384(new TextEncoder().encode('pqvpn1 initial salt')))).toBe(v.salt);
    expect(hex(s.initial)).toBe(v.initialSecret);
    expect([hex(s.client), hex(s.server), hex(s.cookieReply)]).toEqual([
      v.clientInitial,
      v.serverInitial,
      v.cookieReply,
    ]);
    const code = ks.initialSecrets(sid);
    expect([hex(code.client), hex(code.server), hex(code.cookieReply)]).toEqual([
      v.clientInitial,
      v.serverInitial,
      v.cookieReply,
    ]);
    const ck = spec.traffic(s.client);
    expect(v.clientKeys).toEqual({ key: hex(ck.key), iv: hex(ck.iv) });
  });

  it('rekey packet-protection secrets', () => {
    const v = schedule.rekeyTraffic;
    const prev = unhex(v.previousRekeySecret as string);
    const k = v.keyId as number;
    expect(hex(spec.expandLabel(prev, 'c rk traffic', spec.u8(k), 48))).toBe(v.client);
    expect(hex(spec.expandLabel(prev, 's rk traffic', spec.u8(k), 48))).toBe(v.server);
    const code = ks.rekeyTrafficSecrets(prev, k);
    expect([hex(code.client), hex(code.server)]).toEqual([v.client, v.server]);
  });

  it('the HkdfLabel example of §6.1', () => {
    // HKDF-Expand-Label(S, "key", "", 32): info = 00 20 0a "pqvpn1 key" 00
    expect(hex(ks.hkdfLabel('key', new Uint8Array(0), 32))).toBe('00200a707176706e31206b657900');
  });
});
