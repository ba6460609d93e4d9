/** ServerSessionHost without threads: a client driven against it synchronously with a fake clock. */
import { beforeAll, describe, expect, it } from 'vitest';
import { ClientSession } from '../../src/protocol/handshake/client.js';
import { createHandshakeCrypto } from '../../src/protocol/handshake/crypto-provider.js';
import type { SessionAction } from '../../src/protocol/handshake/types.js';
import { createVerifierFromSource } from '../../src/runtime/session-dependencies.js';
import { ServerSessionHost } from '../../src/runtime/session-host.js';
import type { SessionResult } from '../../src/runtime/worker-protocol.js';
import { makePki, type TestPki } from './fixtures.js';

let pki: TestPki;
beforeAll(() => {
  pki = makePki();
});

const sends = (r: SessionResult | undefined) =>
  (r?.outputs ?? []).flatMap((o) => (o.type === 'send' ? [o.datagram] : []));
const clientSends = (a: SessionAction[]) => a.flatMap((o) => (o.type === 'send' ? [o.datagram] : []));

describe('ServerSessionHost', () => {
  it('hosts a session from its first Initial to established, then forgets it after close and linger', () => {
    const now = Date.now();
    const verifier = createVerifierFromSource({ trustAnchors: [pki.caPem] });
    const crypto = createHandshakeCrypto();
    const host = new ServerSessionHost(
      { identity: pki.server, clientAuth: { certificate: true, password: false }, lingerMs: 1000 },
      { crypto, verifier },
    );
    const client = new ClientSession({ identity: pki.client('alice') }, { crypto, verifier });
    const first = clientSends(client.start(now));
    const r0 = host.create(
      now,
      7,
      { clientSessionId: client.localSessionId, addressValidated: false },
      first[0]!,
    );
    expect(r0).toMatchObject({ type: 'result', handle: 7, halfOpen: true, finished: false });
    expect(r0.sessionId).toMatch(/^[0-9a-f]{16}$/);
    expect(() =>
      host.create(now, 7, { clientSessionId: client.localSessionId, addressValidated: false }, first[0]!),
    ).toThrow(/in use/);
    let toServer = first.slice(1);
    let toClient = sends(r0);
    const results: SessionResult[] = [r0];
    for (let i = 0; i < 20 && (toServer.length > 0 || toClient.length > 0); i++) {
      const next: Uint8Array[] = [];
      for (const d of toClient) next.push(...clientSends(client.receive(now, d)));
      toClient = [];
      for (const d of [...toServer, ...next]) {
        const r = host.receive(now, 7, d, 'a:1')!;
        expect(r.received).toEqual({ from: 'a:1', accepted: true });
        results.push(r);
        toClient.push(...sends(r));
      }
      toServer = [];
    }
    expect(results.flatMap((r) => r.outputs).some((o) => o.type === 'auth-needed')).toBe(true);
    expect(host.receive(now, 7, new Uint8Array(60).fill(0x20), 'evil:1')?.received).toEqual({
      from: 'evil:1',
      accepted: false,
    });
    const ok = host.call(now, 7, (s) => s.authResult(now, { ok: true, peerId: 3, pushOptions: [] }))!;
    expect(ok.halfOpen).toBe(false);
    expect(ok.outputs.map((o) => o.type)).toEqual(
      expect.arrayContaining(['keys-installed', 'established', 'send']),
    );
    expect(() => host.call(now, 7, (s) => s.authResult(now, { ok: false, reason: 'x' }))).toThrow(
      expect.objectContaining({ code: 'SESSION_MISUSE' }),
    );
    expect(host.receive(now, 99, new Uint8Array(1), 'a:1')).toBeUndefined();

    const closed = host.call(now, 7, (s) => s.close(now))!;
    expect(closed.outputs.find((o) => o.type === 'closed')).toMatchObject({ reason: 'CLOSE_NOTIFY' });
    expect(closed.finished).toBe(false);
    expect(host.nextDeadline()).toBeLessThanOrEqual(now + 1000);
    expect(host.onTimer(now + 500).every((r) => !r.finished)).toBe(true);
    const later = host.onTimer(now + 1000);
    expect(later).toHaveLength(1);
    expect(later[0]!.finished).toBe(true);
    expect(host.size).toBe(0);
    expect(host.nextDeadline()).toBe(Number.POSITIVE_INFINITY);
  });
});
