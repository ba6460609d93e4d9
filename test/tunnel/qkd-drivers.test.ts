/**
 * The QKD policy through both drivers, in one process (real UDP on loopback,
 * real handshakes, in-memory TUN), with a fake KME pair whose outage the test
 * switches: the cases the namespace tests cannot force — the initiator itself
 * without a key (required: the current keys stay until hand-window, then the
 * client reconnects once the KME is back), optional going on without, and
 * every epoch's key fresh and logged.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ClientConfig, ServerConfig } from '../../src/config/model.js';
import { Logger } from '../../src/log.js';
import type { CommandRunner } from '../../src/net/iproute2.js';
import { QkdError, QkdErrorCode } from '../../src/qkd/errors.js';
import {
  createInProcessClientControlPlane,
  createInProcessServerControlPlane,
} from '../../src/runtime/in-process.js';
import { TunnelClient } from '../../src/tunnel/client.js';
import type { QkdKeys, QkdMode } from '../../src/tunnel/qkd-policy.js';
import { TunnelServer } from '../../src/tunnel/server.js';
import { client as clientConfig, server as serverConfig } from '../config/helpers.js';
import { FakeVerifier, identity } from '../protocol/control/helpers.js';
import { ipv4Packet, MemoryTunBackend } from './support/memory-tun.js';

const running: { stop(): unknown }[] = [];
afterEach(async () => {
  for (const r of running.splice(0).reverse()) await r.stop();
});

/** Two SAEs on one simulated link: keys by ID, each delivered once to each side; `down` fails every call. */
function fakeKmePair(mode: QkdMode) {
  const pool = new Map<string, Uint8Array>();
  const state = { down: false, issued: [] as string[], n: 0 };
  const fail = () => new QkdError(QkdErrorCode.connect, 'KME https://kme.test: cannot connect: ECONNREFUSED');
  const side = (): QkdKeys => ({
    mode,
    async forInitiator() {
      if (state.down) throw fail();
      const id = `qkd-${++state.n}`;
      const secret = new Uint8Array(32).fill(state.n);
      pool.set(id, secret);
      state.issued.push(id);
      return { keyId: new TextEncoder().encode(id), secret: Uint8Array.from(secret) };
    },
    async forResponder(keyId) {
      if (state.down) throw fail();
      const id = new TextDecoder().decode(keyId);
      const secret = pool.get(id);
      if (!secret) throw new QkdError(QkdErrorCode.badRequest, `KME says 400: key ${id} not found`);
      pool.delete(id);
      return Uint8Array.from(secret);
    },
  });
  return { state, server: side(), client: side() };
}

function logger(lines: string[], tag: string): Logger {
  return new Logger({ verb: 4, sink: (l) => lines.push(`${tag} ${l}`) });
}

const recordingIp: CommandRunner = {
  run: async (argv) => (argv.includes('get') ? '[{"dst":"127.0.0.1","dev":"lo"}]' : ''),
};

async function tunnel(mode: QkdMode, kme: ReturnType<typeof fakeKmePair>, client: Partial<ClientConfig>) {
  const sLines: string[] = [];
  const cLines: string[] = [];
  const sTun = new MemoryTunBackend();
  const cTun = new MemoryTunBackend();
  const sc: ServerConfig = { ...serverConfig('proto udp4\n'), lport: 0, renegSec: 0 };
  const server = await TunnelServer.start({
    config: sc,
    log: logger(sLines, 'S'),
    tun: sTun,
    authenticate: async () => ({ ok: true }),
    extraSecrets: kme.server,
    createControlPlane: (sink) =>
      createInProcessServerControlPlane(
        {
          session: {
            identity: identity('server', 'serverAuth'),
            clientAuth: { certificate: true, password: false },
            extraSecret: { mode, localSaeId: 'sae-s', peerSaeId: 'sae-c' },
          },
          verifier: { trustAnchors: [] },
          peerVerifier: new FakeVerifier(),
        },
        sink,
      ),
    tickMs: 50,
  });
  running.push(server);
  let connected = 0;
  const c = new TunnelClient({
    config: {
      ...clientConfig('connect-retry 1 1\nnobind\n'),
      remotes: [{ host: '127.0.0.1', port: server.local!.port, proto: 'udp4' }],
      ...client,
    },
    log: logger(cLines, 'C'),
    tun: cTun,
    ip: recordingIp,
    tickMs: 50,
    extraSecrets: kme.client,
    onConnected: () => {
      connected++;
    },
    createControlPlane: (sink) =>
      createInProcessClientControlPlane(
        {
          session: {
            identity: identity('alice', 'clientAuth'),
            extraSecret: { mode, localSaeId: 'sae-c', peerSaeId: 'sae-s' },
          },
          verifier: { trustAnchors: [] },
          peerVerifier: new FakeVerifier(),
        },
        sink,
      ),
  });
  c.run().catch(() => {});
  running.push(c);
  let seq = 0;
  /** A packet client → server now (a fresh payload byte, so an old packet does not count). */
  // Generous for a positive answer: on a loaded 2-core CI machine a packet through both drivers can take a second.
  const carries = async (timeoutMs = 5000): Promise<boolean> => {
    const mark = ++seq & 255;
    try {
      cTun.last.inject(ipv4Packet('10.8.0.2', '10.8.0.1', Uint8Array.of(mark, 0xee)));
      await sTun.last.waitFor((p) => p[20] === mark && p[21] === 0xee, timeoutMs);
      return true;
    } catch {
      return false;
    }
  };
  return {
    server,
    sLines,
    cLines,
    carries,
    get connected() {
      return connected;
    },
  };
}

async function until(what: string, timeoutMs: number, check: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const has = (lines: string[], re: RegExp) => lines.some((l) => re.test(l));
const count = (lines: string[], re: RegExp) => lines.filter((l) => re.test(l)).length;

describe('QKD policy in the drivers', () => {
  it('required: a fresh key per epoch; the KME down, the keys stay for hand-window, then the client waits for QKD and comes back', async () => {
    const kme = fakeKmePair('required');
    const t = await tunnel('required', kme, { renegSec: 1, handWindow: 3 });
    await until('connected', 8000, () => t.connected === 1);
    // Several rekeys, each with its own key, past hand-window: an established connection outlives it.
    await until(
      '3 QKD epochs on the server',
      8000,
      () => count(t.sLines, /QKD key qkd-\d+ mixed into key id \d/) >= 3,
    );
    await new Promise((r) => setTimeout(r, 3200));
    expect(t.connected).toBe(1);
    const ids = t.cLines.flatMap((l) => /QKD key (qkd-\d+) mixed/.exec(l)?.[1] ?? []);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBeGreaterThanOrEqual(3);

    kme.state.down = true;
    await until('the rekey to wait', 3000, () =>
      has(t.cLines, /QKD: keeping the current keys; rekey retried in/),
    );
    expect(has(t.cLines, /QKD: no rekey without a QKD key \(qkd-mode required\): .*ECONNREFUSED/)).toBe(true);
    expect(await t.carries()).toBe(true); // the current keys still carry traffic
    await until('the keys to expire', 5000, () =>
      has(t.cLines, /QKD_KEYS_EXPIRED: no QKD key for a rekey within 3 s/),
    );
    await until('a handshake refused for want of a key', 3000, () =>
      has(t.cLines, /QKD: no handshake without a QKD key/),
    );
    expect(await t.carries(300)).toBe(false); // traffic stopped
    await until('the server to drop the session', 3000, () => t.server.peerCount === 0);

    kme.state.down = false;
    await until('reconnected', 6000, () => t.connected === 2);
    expect(await t.carries()).toBe(true);
    expect(kme.state.issued.length).toBe(new Set(kme.state.issued).size);
  }, 30_000);

  it('optional: the KME down, rekeys go on without QKD (warned), the session stays and traffic flows', async () => {
    const kme = fakeKmePair('optional');
    const t = await tunnel('optional', kme, { renegSec: 1 });
    await until('connected', 10_000, () => t.connected === 1);
    await until('a QKD epoch', 10_000, () => has(t.sLines, /QKD key qkd-1 mixed into key id 0/));
    kme.state.down = true;
    await until('a rekey without QKD', 10_000, () =>
      has(t.cLines, /WARNING: QKD: rekey without a QKD key \(qkd-mode optional, hybrid KEM only\)/),
    );
    await until('its keys installed', 10_000, () =>
      has(t.sLines, /QKD: key id [1-7] runs without a QKD key/),
    );
    expect(await t.carries()).toBe(true);
    kme.state.down = false;
    await until('QKD again', 10_000, () =>
      has(t.sLines, /QKD key qkd-\d+ mixed into key id [1-7] \(the peer started it\)/),
    );
    // The client logs its side once its own keys are installed, which may come after the server's line.
    await until('the client to log its offer', 10_000, () =>
      has(t.cLines, /QKD key qkd-\d+ offered for key id [1-7]/),
    );
    expect(t.connected).toBe(1);
    expect(await t.carries()).toBe(true);
  }, 60_000);
});
