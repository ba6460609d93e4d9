/**
 * test/vectors/control/*.json against the control-layer code and an independent reading of
 * docs/PROTOCOL.md §3, §4, §7, §8 (./spec.ts, @noble/ciphers).
 */
import { readFileSync } from 'node:fs';
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { describe, expect, it } from 'vitest';
import {
  CookieAuthority,
  decodeCookieReply,
  encodeCookieReply,
} from '../../../src/protocol/control/cookie.js';
import {
  decodeFrames,
  encodeHeader,
  openControlPacket,
  parseControlPacket,
  sealControlPacket,
} from '../../../src/protocol/control/packet.js';
import { ControlTransport } from '../../../src/protocol/control/reliability.js';
import { deriveTlsCryptKeys, tlsCryptUnwrap, tlsCryptWrap } from '../../../src/protocol/control/tls-crypt.js';
import { Level } from '../../../src/protocol/handshake/constants.js';
import { WireError } from '../../../src/protocol/handshake/wire.js';
import { hex, unhex } from './fixtures.js';
import * as spec from './spec.js';

// biome-ignore lint/suspicious/noExplicitAny: JSON vector files, checked field by field below
type V = any;
const load = (name: string): V =>
  JSON.parse(readFileSync(new URL(`../../vectors/control/${name}`, import.meta.url), 'utf8'));
const cases = (xs: V[]): Array<[string, V]> => xs.map((x) => [x.name as string, x]);

describe('control packet vectors (PROTOCOL.md §3)', () => {
  const file = load('packets.json');
  it.each(cases(file.packets))('%s', (_n, p) => {
    const h = p.header;
    const header = {
      keyId: h.keyId,
      srcSessionId: unhex(h.srcSessionId),
      dstSessionId: unhex(h.dstSessionId),
      level: h.level,
      packetNumber: h.packetNumber,
      token: unhex(h.token),
    };
    const keys = { key: unhex(p.key), iv: unhex(p.iv) };
    expect(hex(encodeHeader(header))).toBe(p.aad);
    expect(hex(sealControlPacket(header, unhex(p.payload), keys))).toBe(p.datagram);
    // Independently: header layout, nonce, AES-256-GCM over (aad, payload).
    const aad = spec.cat(
      spec.u8(0x08 | h.keyId),
      unhex(h.srcSessionId),
      unhex(h.dstSessionId),
      spec.u8(h.level),
      spec.u32(h.packetNumber),
      h.level === 0 ? spec.cat(spec.u8(h.token.length / 2), unhex(h.token)) : new Uint8Array(0),
    );
    expect(hex(aad)).toBe(p.aad);
    expect(hex(spec.controlNonce(keys.iv, h.packetNumber))).toBe(p.nonce);
    const sealed = spec.gcm(keys.key, unhex(p.nonce), aad).encrypt(unhex(p.payload));
    expect(hex(spec.cat(aad, sealed))).toBe(p.datagram);
    // And back.
    const parsed = parseControlPacket(unhex(p.datagram));
    const payload = openControlPacket(parsed, keys)!;
    expect(hex(payload)).toBe(p.payload);
    const frames = decodeFrames(payload).map((f) =>
      f.type === 'stream' ? { type: 'stream', offset: f.offset, data: hex(f.data) } : f,
    );
    expect(frames).toEqual(p.frames.filter((f: { type: string }) => f.type !== 'padding'));
  });
  it.each(cases(file.invalidPayloads))('rejects payload: %s', (_n, p) => {
    expect(() => decodeFrames(unhex(p.payload))).toThrow(WireError);
  });
});

describe('fragmentation vector (PROTOCOL.md §4)', () => {
  const v = load('fragmentation.json');
  const keys = { key: unhex(v.key), iv: unhex(v.iv) };
  const datagrams: Uint8Array[] = v.datagrams.map(unhex);

  it('every datagram fits the MTU and reassembles, by offset, into the message (independent reading)', () => {
    const message = unhex(v.message);
    const out = new Uint8Array(message.length);
    const covered = new Uint8Array(message.length);
    datagrams.forEach((d, pn) => {
      expect(d.length).toBeLessThanOrEqual(v.mtu);
      const h = spec.controlHeaderLength(d);
      expect(d[17]).toBe(v.level);
      expect(new DataView(d.buffer, d.byteOffset).getUint32(18)).toBe(pn);
      const payload = spec
        .gcm(keys.key, spec.controlNonce(keys.iv, pn), d.subarray(0, h))
        .decrypt(d.subarray(h));
      for (const [offset, data] of spec.streamFrames(payload)) {
        out.set(data, offset);
        covered.fill(1, offset, offset + data.length);
      }
    });
    expect(covered.every((b) => b === 1)).toBe(true);
    expect(hex(out)).toBe(v.message);
  });

  it('a receiver delivers the message from the datagrams in reverse order', () => {
    const receiver = new ControlTransport({
      keyId: 0,
      localSessionId: unhex(v.dstSessionId),
      mtu: v.mtu,
      wrapOverhead: 0,
      initialRtoMs: 1000,
      maxRtoMs: 4000,
      maxInFlight: 64,
      addressValidated: true,
    });
    receiver.setKeys(Level.handshake, { key: new Uint8Array(32), iv: new Uint8Array(12) }, keys, true);
    const got: string[] = [];
    for (const d of [...datagrams].reverse()) {
      const r = receiver.receive(0, parseControlPacket(d), d.length);
      expect(r.kind).toBe('accepted');
      if (r.kind === 'accepted') got.push(...r.messages.map((m) => hex(m.raw)));
    }
    expect(got).toEqual([v.message]);
  });
});

describe('tls-crypt vector (PROTOCOL.md §7)', () => {
  const v = load('tls-crypt.json');
  it('direction keys from the static key', () => {
    const prk = spec.hkdfExtract(new Uint8Array(48), unhex(v.staticKey));
    expect(hex(prk)).toBe(v.prk);
    expect(hex(spec.expandLabel(prk, 'tls-crypt c2s', new Uint8Array(0), 32))).toBe(v.keyClientToServer);
    expect(hex(spec.expandLabel(prk, 'tls-crypt s2c', new Uint8Array(0), 32))).toBe(v.keyServerToClient);
    const keys = deriveTlsCryptKeys(unhex(v.staticKey));
    expect([hex(keys.clientToServer), hex(keys.serverToClient)]).toEqual([
      v.keyClientToServer,
      v.keyServerToClient,
    ]);
  });
  it.each(cases(v.packets))('%s', (_n, p) => {
    const keys = deriveTlsCryptKeys(unhex(v.staticKey));
    const inner = unhex(p.inner);
    expect(hex(tlsCryptWrap(keys, p.direction, inner, unhex(p.nonce)))).toBe(p.wrapped);
    expect(hex(tlsCryptUnwrap(keys, p.direction, unhex(p.wrapped))!)).toBe(p.inner);
    const other = p.direction === 'client-to-server' ? 'server-to-client' : 'client-to-server';
    expect(tlsCryptUnwrap(keys, other, unhex(p.wrapped))).toBeUndefined();
    const key = unhex(p.direction === 'client-to-server' ? v.keyClientToServer : v.keyServerToClient);
    const sealed = xchacha20poly1305(key, unhex(p.nonce), inner.subarray(0, 1)).encrypt(inner.subarray(1));
    expect(hex(spec.cat(inner.subarray(0, 1), unhex(p.nonce), sealed))).toBe(p.wrapped);
  });
});

describe('cookie vector (PROTOCOL.md §8)', () => {
  const v = load('cookie.json');
  const sid = unhex(v.clientSessionId);
  it('mints the cookie, and the construction is the documented one', () => {
    const authority = new CookieAuthority(unhex(v.masterKey));
    expect(hex(authority.mint(v.nowMs, v.address, sid))).toBe(v.cookie);
    expect(v.period).toBe(Math.floor(v.timestamp / 120));
    const prk = spec.hkdfExtract(new Uint8Array(48), unhex(v.masterKey));
    const periodSecret = spec.expandLabel(prk, 'cookie secret', spec.u32(v.period), 32);
    expect(hex(periodSecret)).toBe(v.periodSecret);
    const addr = new TextEncoder().encode(v.address);
    const input = spec.cat(spec.u8(addr.length), addr, sid, spec.u32(v.timestamp));
    expect(hex(input)).toBe(v.macInput);
    const mac = spec.hmac(spec.sha384, periodSecret, input).subarray(0, 16);
    expect(hex(spec.cat(spec.u32(v.timestamp), mac))).toBe(v.cookie);
    for (const c of v.checks) expect(authority.check(c.nowMs, c.address, sid, unhex(v.cookie))).toBe(c.valid);
    expect(v.checks.map((c: { valid: boolean }) => c.valid)).toEqual([true, true, false, false, false]);
  });
  it('COOKIE_REPLY bytes and MAC', () => {
    expect(hex(encodeCookieReply(sid, unhex(v.cookie)))).toBe(v.cookieReply);
    expect(hex(decodeCookieReply(unhex(v.cookieReply), sid)!)).toBe(v.cookie);
    expect(hex(spec.initial(sid).cookieReply)).toBe(v.cookieReplyKey);
    const cookie = unhex(v.cookie);
    const body = spec.cat(spec.u8(0x10), sid, spec.u8(cookie.length), cookie);
    const tag = spec.hmac(spec.sha384, unhex(v.cookieReplyKey), body).subarray(0, 16);
    expect(hex(spec.cat(body, tag))).toBe(v.cookieReply);
    const flipped = unhex(v.cookieReply);
    flipped[flipped.length - 1]! ^= 1;
    expect(decodeCookieReply(flipped, sid)).toBeUndefined();
  });
});
