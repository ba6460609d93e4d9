import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { signatureSchemeByName } from '../../../src/crypto/signature-schemes.js';
import { parseControlPacket } from '../../../src/protocol/control/packet.js';
import { ControlTransport } from '../../../src/protocol/control/reliability.js';
import { type EndpointAction, ServerEndpoint } from '../../../src/protocol/control/server-endpoint.js';
import { ClientSession } from '../../../src/protocol/handshake/client.js';
import { Level, MessageType } from '../../../src/protocol/handshake/constants.js';
import { createHandshakeCrypto } from '../../../src/protocol/handshake/crypto-provider.js';
import { initialSecrets, trafficKeys } from '../../../src/protocol/handshake/key-schedule.js';
import { type ClientHello, decodeMessage, encodeMessage } from '../../../src/protocol/handshake/messages.js';
import type { ServerSession } from '../../../src/protocol/handshake/server.js';
import type { ClientConfig, SessionAction } from '../../../src/protocol/handshake/types.js';
import {
  baseClientConfig,
  baseServerOptions,
  countingCrypto,
  FakeVerifier,
  fakeCertificate,
  keyPair,
} from './helpers.js';

type Dgram = { to: 'client' | 'server'; bytes: Uint8Array };

/** A lockstep, lossless driver that records every datagram, and lets a test intercept each delivery. */
function lockstep(
  client: ClientSession,
  server: ServerEndpoint,
  onDeliver?: (d: Dgram, deliver: (bytes?: Uint8Array) => void, now: number) => void,
) {
  const queue: Dgram[] = [];
  const log: Dgram[] = [];
  let now = 1_000;
  const push = (to: 'client' | 'server', actions: readonly (SessionAction | EndpointAction)[]) => {
    for (const a of actions) {
      if (a.type === 'send') queue.push({ to, bytes: a.datagram });
      if (a.type === 'auth-needed' && 'session' in a) {
        push('client', server.authResult(now, a.session, { ok: true, peerId: 1, pushOptions: [] }));
      }
    }
  };
  push('server', client.start(now));
  let steps = 0;
  while (queue.length > 0 && steps++ < 10_000) {
    const d = queue.shift()!;
    now += 5;
    log.push(d);
    const deliver = (bytes = d.bytes) => {
      if (d.to === 'server') push('client', server.receive(now, bytes, 'client-addr'));
      else push('server', client.receive(now, bytes));
    };
    if (onDeliver) onDeliver(d, deliver, now);
    else deliver();
  }
  return { log, now: () => now };
}

function flips(bytes: Uint8Array, step = 1): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length * 8; i += step) {
    const f = bytes.slice();
    f[i >> 3]! ^= 1 << (i & 7);
    out.push(f);
  }
  return out;
}

const dropTotal = (s: { drops: Record<string, number> }) => Object.values(s.drops).reduce((a, b) => a + b, 0);

function endpoints(client: ClientConfig = baseClientConfig(), server = baseServerOptions()) {
  const crypto = createHandshakeCrypto();
  const verifier = new FakeVerifier();
  return {
    client: new ClientSession(client, { crypto, verifier }),
    server: new ServerEndpoint(server, { crypto, verifier }),
  };
}

describe('every single-bit flip of every handshake packet is rejected without changing state', () => {
  for (const tlsCrypt of [false, true]) {
    it(tlsCrypt ? 'with tls-crypt' : 'without tls-crypt', () => {
      const tlsCryptKey = tlsCrypt ? new Uint8Array(32).fill(9) : undefined;
      // Password mode and a certificate without issuer-signature padding keep the bytes (and flips) fewer.
      const kp = keyPair('ml-dsa-65', 'flip-server');
      const scheme = signatureSchemeByName('ml-dsa-65');
      const small = {
        chain: [fakeCertificate('vpn.example.org', 'serverAuth', scheme, kp.publicKey, 0)],
        scheme: 'ml-dsa-65',
        secretKey: kp.secretKey,
      };
      const { client, server } = endpoints(
        {
          credentials: { username: 'u', password: new Uint8Array(8) },
          ...(tlsCryptKey ? { tlsCryptKey } : {}),
        },
        baseServerOptions({
          identity: small,
          clientAuth: { certificate: false, password: true },
          ...(tlsCryptKey ? { tlsCryptKey } : {}),
        }),
      );
      let checked = 0;
      lockstep(client, server, (d, deliver, now) => {
        const session = server.session(server.sessionIds()[0] ?? '');
        if (d.to === 'client' || session) {
          const target: ClientSession | ServerSession =
            d.to === 'client' ? client : (session as ServerSession);
          const before = target.snapshot();
          const drops = dropTotal(target);
          const last = target.onTimer(now).at(-1);
          const deadline = last?.type === 'timer' ? last.at : Number.NaN;
          let changed = 0;
          for (const f of flips(d.bytes, tlsCrypt ? 3 : 1)) {
            const actions = target.receive(now, f);
            const only = actions[0];
            if (actions.length !== 1 || only?.type !== 'timer' || only.at !== deadline) changed++;
            checked++;
          }
          expect(changed).toBe(0);
          expect(target.snapshot()).toBe(before);
          expect(dropTotal(target)).toBe(drops + flips(d.bytes, tlsCrypt ? 3 : 1).length);
        } else {
          // No session yet: flipped first packets are refused by the gate and create nothing.
          for (const f of flips(d.bytes, 2)) {
            const actions = server.receive(now, f, 'client-addr');
            expect(actions.filter((a) => a.type !== 'timer')).toEqual([]);
          }
          expect(server.sessionCount).toBe(0);
        }
        deliver();
      });
      expect(checked).toBeGreaterThan(tlsCrypt ? 15_000 : 50_000);
      expect(client.phase).toBe('established');
      expect(server.session(server.sessionIds()[0]!)!.phase).toBe('established');
    });
  }
});

describe('replays', () => {
  it('replaying every datagram after the handshake changes nothing on either side', () => {
    const { client, server } = endpoints();
    const { log, now: clock } = lockstep(client, server);
    const now = clock();
    const session = server.session(server.sessionIds()[0]!)!;
    const before = [client.snapshot(), session.snapshot()];
    for (const d of log) {
      if (d.to === 'client') client.receive(now, d.bytes);
      else server.receive(now, d.bytes, 'client-addr');
    }
    expect([client.snapshot(), session.snapshot()]).toEqual(before);
    expect(server.sessionCount).toBe(1);
    expect(client.drops.duplicate).toBeGreaterThan(0);
  });
});

describe('downgrade (suite stripping) is detected', () => {
  it('a man in the middle that removes x-wing from the ClientHello makes the client abort', () => {
    const { client, server } = endpoints(baseClientConfig({ kemSuites: ['x-wing', 'ml-kem-1024'] }));
    const init = initialSecrets(client.localSessionId);
    // The attacker reads the client's Initial packets (their keys are public) ...
    const reader = new ControlTransport({
      ...attackerOptions(),
      localSessionId: new Uint8Array(8).fill(0xaa),
    });
    reader.setKeys(Level.initial, trafficKeys(init.server), trafficKeys(init.client), true);
    // ... and writes its own, as the client.
    const writer = new ControlTransport({
      ...attackerOptions(),
      localSessionId: client.localSessionId,
      padInitial: true,
    });
    writer.setKeys(Level.initial, trafficKeys(init.client), trafficKeys(init.server), true);
    let rewritten = false;
    let serverPicked = 0;
    lockstep(client, server, (d, deliver) => {
      if (d.to === 'server' && !rewritten) {
        const r = reader.receive(0, parseControlPacket(d.bytes), d.bytes.length);
        const m = r.kind === 'accepted' ? r.messages[0] : undefined;
        if (!m) return; // swallow the client's fragments until the whole ClientHello is read
        rewritten = true;
        const ch = decodeMessage(m.raw) as ClientHello;
        expect(ch.kemOffers.map((o) => o.suite)).toEqual([0x647a, 0x0202]);
        writer.queue(
          Level.initial,
          encodeMessage({ ...ch, kemOffers: ch.kemOffers.filter((o) => o.suite !== 0x647a) }),
        );
        for (const b of writer.flush(0)) deliver(b);
        return;
      }
      if (d.to === 'client' && serverPicked === 0) serverPicked = 1;
      deliver();
    });
    expect(serverPicked).toBe(1);
    expect(client.closedReason).toBe('DECRYPT_ERROR');
    expect(client.phase).toBe('closed');
    expect(server.session(server.sessionIds()[0]!)!.phase).not.toBe('established');
  });
});

function attackerOptions() {
  return {
    keyId: 0,
    localSessionId: new Uint8Array(8).fill(0xaa),
    mtu: 1250,
    wrapOverhead: 0,
    initialRtoMs: 1000,
    maxRtoMs: 4000,
    maxInFlight: 32,
    addressValidated: true,
  };
}

describe('garbage never throws out of a state machine', () => {
  it('random bytes, truncations and structured junk at every stage', () => {
    const { client, server } = endpoints();
    const captured: Uint8Array[] = [];
    lockstep(client, server, (d, deliver) => {
      captured.push(d.bytes);
      deliver();
    });
    const session = server.session(server.sessionIds()[0]!)!;
    const arb = fc.oneof(
      fc.uint8Array({ maxLength: 1500 }),
      fc.tuple(fc.constantFrom(...captured), fc.nat()).map(([b, n]) => b.subarray(0, n % (b.length + 1))),
      fc
        .tuple(fc.constantFrom(...captured), fc.uint8Array({ minLength: 1, maxLength: 64 }))
        .map(([b, junk]) => {
          const c = b.slice();
          c.set(junk.subarray(0, Math.max(0, c.length - 22)), 22);
          return c;
        }),
    );
    fc.assert(
      fc.property(arb, (bytes) => {
        client.receive(10_000, bytes);
        server.receive(10_000, bytes, 'x');
        session.receive(10_000, bytes);
      }),
      { numRuns: 2_000 },
    );
    expect(client.internalError).toBeUndefined();
    expect(session.internalError).toBeUndefined();
    expect(client.phase).toBe('established');
  });
});

describe('cookies, amplification and half-open memory', () => {
  it('with cookies always on, the handshake completes via COOKIE_REPLY and spoofed ClientHellos cost nothing', () => {
    const crypto = countingCrypto(createHandshakeCrypto());
    const server = new ServerEndpoint(baseServerOptions({}, { cookies: 'always' }), {
      crypto,
      verifier: new FakeVerifier(),
    });
    // spoofed: real ClientHellos from many clients whose replies go nowhere
    for (let i = 0; i < 50; i++) {
      const spoofer = new ClientSession(baseClientConfig(), {
        crypto: createHandshakeCrypto(),
        verifier: new FakeVerifier(),
      });
      for (const a of spoofer.start(0))
        if (a.type === 'send') server.receive(0, a.datagram, `198.51.100.${i}:1194`);
    }
    expect(crypto.counts).toEqual({ kemKeygen: 0, encapsulate: 0, decapsulate: 0, sign: 0, verify: 0 });
    expect(server.sessionCount).toBe(0);
    expect(server.gate.counters.reply).toBeGreaterThan(0);
    // a real client completes
    const client = new ClientSession(baseClientConfig(), {
      crypto: createHandshakeCrypto(),
      verifier: new FakeVerifier(),
    });
    lockstep(client, server);
    expect(client.phase).toBe('established');
    expect(server.sessionCount).toBe(1);
  });

  it('without cookies, a spoofed ClientHello gets at most three times its size back', () => {
    const server = new ServerEndpoint(baseServerOptions({}, { cookies: 'off' }), {
      crypto: createHandshakeCrypto(),
      verifier: new FakeVerifier(),
    });
    const spoofer = new ClientSession(baseClientConfig(), {
      crypto: createHandshakeCrypto(),
      verifier: new FakeVerifier(),
    });
    let received = 0;
    let sent = 0;
    for (const a of spoofer.start(0)) {
      if (a.type !== 'send') continue;
      received += a.datagram.length;
      for (const r of server.receive(0, a.datagram, 'victim'))
        if (r.type === 'send') sent += r.datagram.length;
    }
    let t = 0;
    for (let i = 0; i < 10; i++) {
      t += 5_000;
      for (const r of server.onTimer(t)) if (r.type === 'send') sent += r.datagram.length;
    }
    expect(sent).toBeGreaterThan(0);
    expect(sent).toBeLessThanOrEqual(3 * received);
  });

  it('under load (half-open threshold), new clients must present cookies', () => {
    const crypto = countingCrypto(createHandshakeCrypto());
    const server = new ServerEndpoint(
      baseServerOptions({}, { cookies: 'under-load', halfOpenLoadThreshold: 2 }),
      { crypto, verifier: new FakeVerifier() },
    );
    const firstPackets = Array.from({ length: 5 }, () => {
      const c = new ClientSession(baseClientConfig({ kemSuites: ['x-wing', 'ml-kem-1024'] }), {
        crypto: createHandshakeCrypto(),
        verifier: new FakeVerifier(),
      });
      return c.start(0).find((a) => a.type === 'send')!.datagram as Uint8Array; // first fragment only: half-open
    });
    firstPackets.forEach((d, i) => {
      server.receive(0, d, `a${i}`);
    });
    expect(server.sessionCount).toBe(2);
    expect(server.gate.counters.reply).toBe(3);
    expect(crypto.counts.sign + crypto.counts.encapsulate).toBe(0);
  });

  it('a client that got a half-open session before cookies engaged delivers the rest of its ClientHello', () => {
    const server = new ServerEndpoint(baseServerOptions({}, { cookies: 'under-load' }), {
      crypto: createHandshakeCrypto(),
      verifier: new FakeVerifier(),
    });
    const c = new ClientSession(baseClientConfig({ kemSuites: ['x-wing', 'ml-kem-1024'] }), {
      crypto: createHandshakeCrypto(),
      verifier: new FakeVerifier(),
    });
    const hello = c.start(0).flatMap((a) => (a.type === 'send' ? [a.datagram] : []));
    expect(hello.length).toBeGreaterThan(1);
    server.receive(0, hello[0]!, 'c:1');
    expect(server.sessionCount).toBe(1);
    server.underLoad = true; // cookies engage now
    const replies = hello.slice(1).flatMap((d) => server.receive(0, d, 'c:1'));
    expect(server.gate.counters.reply ?? 0).toBe(0);
    expect(replies.some((a) => a.type === 'send')).toBe(true); // the session answers (ServerHello flight)
    // …but a new client at the same address, or the same client id elsewhere, still needs a cookie
    server.receive(0, hello[0]!, 'c:2');
    expect(server.gate.counters.reply).toBe(1);
    expect(server.sessionCount).toBe(1);
  });

  it('memory per half-open session is bounded whatever a client sends', () => {
    const server = new ServerEndpoint(baseServerOptions(), {
      crypto: createHandshakeCrypto(),
      verifier: new FakeVerifier(),
    });
    const sid = new Uint8Array(8).fill(7);
    const t = new ControlTransport({ ...attackerOptions(), localSessionId: sid, mtu: 1400 });
    const init = initialSecrets(sid);
    t.setKeys(Level.initial, trafficKeys(init.client), trafficKeys(init.server), true);
    // a "ClientHello" header announcing 16 KB, then 60 KB of stream data in scattered fragments
    const junk = new Uint8Array(60_004);
    junk.set([MessageType.clientHello, 0, 0x40, 0]);
    t.queue(Level.initial, junk);
    const ds: Uint8Array[] = [];
    for (let i = 0; i < 60; i++) {
      ds.push(...t.flush(i));
      t.onTimer(i * 100_000 + 100_000);
    }
    let peak = 0;
    for (const d of ds.reverse()) {
      server.receive(0, d, 'attacker');
      peak = Math.max(peak, server.session(server.sessionIds()[0]!)?.memoryFootprint() ?? 0);
    }
    expect(peak).toBeGreaterThan(16_000);
    expect(peak).toBeLessThanOrEqual(32_768 + 4_096);
    const s = server.session(server.sessionIds()[0]!)!;
    expect(s.drops['stream-limit']).toBeGreaterThan(0);
    // the 16 KB of zeros finally reassembled are no ClientHello
    expect(s.closedReason).toBe('DECODE_ERROR');
  });
});
