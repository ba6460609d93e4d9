/**
 * The tunnel's QKD policy (src/tunnel/qkd-policy.ts): the per-session gate
 * (retry with back-off, expiry after the grace period) on a fake clock, and
 * the policy's decisions by mode over a fake key source: what it returns,
 * what it logs (key IDs, never key bytes) and counts.
 */
import { describe, expect, it } from 'vitest';
import { Logger } from '../../src/log.js';
import { QkdError, QkdErrorCode } from '../../src/qkd/errors.js';
import {
  EXTRA_SECRET_UNAVAILABLE,
  keyIdText,
  PREFETCH_LEAD_MS,
  type QkdKeys,
  type QkdMode,
  QkdPolicy,
  QkdSessionState,
  qkdModeOf,
  qkdStatusLines,
} from '../../src/tunnel/qkd-policy.js';

const SECRET = new Uint8Array(32).fill(0xab);
const SECRET_HEX = Buffer.from(SECRET).toString('hex');

function fakeSource(o: { fail?: boolean; mode?: QkdMode } = {}) {
  let n = 0;
  const calls: string[] = [];
  let prefetches = 0;
  const source: QkdKeys & { fail: boolean } = {
    fail: o.fail ?? false,
    ...(o.mode ? { mode: o.mode } : {}),
    async forInitiator() {
      calls.push('initiator');
      if (source.fail)
        throw new QkdError(QkdErrorCode.connect, 'KME https://kme:1 unreachable (ECONNREFUSED)');
      return { keyId: new TextEncoder().encode(`key-${++n}`), secret: Uint8Array.from(SECRET) };
    },
    async forResponder(keyId, sae) {
      calls.push(`responder ${new TextDecoder().decode(keyId)} ${sae}`);
      if (source.fail)
        throw new QkdError(QkdErrorCode.badRequest, 'KME https://kme:2 says 400: key ID unknown');
      return Uint8Array.from(SECRET);
    },
    prefetchNow() {
      prefetches++;
    },
  };
  return { source, calls, prefetches: () => prefetches };
}

function policy(mode: QkdMode, fail = false) {
  const lines: string[] = [];
  const src = fakeSource({ fail });
  const p = new QkdPolicy({
    source: src.source,
    mode,
    log: new Logger({ verb: 4, sink: (l) => lines.push(l) }),
    graceMs: 10_000,
  });
  return { p, lines, src };
}

describe('QkdSessionState: a rekey without a key (required mode)', () => {
  it('retries with doubling back-off, capped, and expires after the grace period', () => {
    const s = new QkdSessionState('required', 10_000, { retryMs: 1000, maxRetryMs: 4000 });
    expect(s.rekeyNeeded(0)).toBe(true);
    expect(s.rekeyNeeded(10)).toBe(false); // already fetching: the second event waits for this one
    expect(s.rekeyBlocked(100)).toEqual({ retryAt: 1100, expiresAt: 10_000 });
    expect(s.poll(1099)).toBeUndefined();
    expect(s.poll(1100)).toBe('retry');
    expect(s.poll(1101)).toBeUndefined(); // fetching, not waiting
    expect(s.rekeyBlocked(1200)).toEqual({ retryAt: 3200, expiresAt: 10_000 });
    expect(s.poll(3200)).toBe('retry');
    expect(s.rekeyBlocked(3300)).toEqual({ retryAt: 7300, expiresAt: 10_000 });
    expect(s.poll(7300)).toBe('retry');
    // capped at maxRetryMs, and never after the expiry
    expect(s.rekeyBlocked(7400)).toEqual({ retryAt: 10_000, expiresAt: 10_000 });
    expect(s.summary().waitingSince).toBe(0);
    expect(s.poll(9999)).toBeUndefined();
    expect(s.poll(10_000)).toBe('expire');
  });

  it('a key after retries starts the rekey and clears the gate; the next rekey gets a fresh grace period', () => {
    const s = new QkdSessionState('required', 10_000);
    s.rekeyNeeded(0);
    s.rekeyBlocked(0);
    expect(s.poll(1000)).toBe('retry');
    s.rekeyStarting('k1');
    expect(s.poll(50_000)).toBeUndefined();
    expect(s.epochStarted(1)).toEqual({ epoch: 1, keyId: 'k1', role: 'initiator' });
    expect(s.installed(1)?.keyId).toBe('k1');
    expect(s.rekeyNeeded(60_000)).toBe(true);
    expect(s.rekeyBlocked(60_000).expiresAt).toBe(70_000);
  });

  it('a rekey the peer completes meanwhile (keys installed) ends the wait', () => {
    const s = new QkdSessionState('required', 10_000);
    s.rekeyNeeded(0);
    s.rekeyBlocked(0);
    expect(s.responded(1, 'peer-key')).toEqual({ epoch: 1, keyId: 'peer-key', role: 'responder' });
    expect(s.installed(1)).toEqual({ epoch: 1, keyId: 'peer-key', role: 'responder' });
    expect(s.poll(20_000)).toBeUndefined();
    expect(s.rekeyNeeded(20_000)).toBe(true);
  });

  it('records key IDs by epoch (newest wins when key ids wrap), keeps the last 16, counts epochs without QKD', () => {
    const s = new QkdSessionState('optional', 1000);
    s.initialKey('k0');
    s.epochStarted(0);
    s.installed(0);
    for (let i = 1; i <= 20; i++) {
      s.rekeyNeeded(i);
      s.rekeyStarting(`k${i}`);
      s.epochStarted(i % 8);
    }
    s.rekeyStarting(undefined);
    expect(s.epochStarted(5)).toBeUndefined(); // no key: nothing recorded for the epoch
    s.responded(6, undefined);
    const sum = s.summary();
    expect(sum.keys.map((k) => k.keyId)).toEqual(Array.from({ length: 16 }, (_, i) => `k${i + 5}`));
    expect(s.keyOf(4)?.keyId).toBe('k20');
    expect(sum.withoutQkd).toBe(2);
    expect(s.installed(4)?.keyId).toBe('k20');
    expect(s.summary().current?.keyId).toBe('k20');
  });
});

describe('QkdSessionState: prefetch ahead of a time-based rekey', () => {
  it('once per epoch, PREFETCH_LEAD_MS before reneg-sec; never without reneg-sec or before keys', () => {
    const s = new QkdSessionState('required', 60_000);
    expect(s.prefetchDue(0, 3_600_000)).toBe(false); // no keys installed yet
    s.installed(0, 1000);
    expect(s.prefetchDue(1000 + 3_600_000 - PREFETCH_LEAD_MS - 1, 3_600_000)).toBe(false);
    expect(s.prefetchDue(1000 + 3_600_000 - PREFETCH_LEAD_MS, 3_600_000)).toBe(true);
    expect(s.prefetchDue(1000 + 3_600_000, 3_600_000)).toBe(false); // once
    s.installed(1, 4_000_000);
    expect(s.prefetchDue(4_000_000, 10_000)).toBe(true); // reneg shorter than the lead: at once
    s.installed(2, 5_000_000);
    expect(s.prefetchDue(9_000_000, 0)).toBe(false); // reneg-sec 0: no time-based rekey
  });
});

describe('QkdPolicy: decisions by mode', () => {
  it('initiator with a key: returns it, logs the key ID and never the key', async () => {
    const { p, lines } = policy('required');
    const d = await p.initiator('alice/1.2.3.4:5: ', 'rekey');
    expect(d.kind).toBe('key');
    if (d.kind !== 'key') return;
    expect(d.keyId).toBe('key-1');
    expect(d.extra.secret).toEqual(SECRET);
    expect(lines.join('\n')).toMatch(/alice\/1\.2\.3\.4:5: QKD: key key-1 fetched for the rekey we start/);
    expect(p.counters().keysAsInitiator).toBe(1);
  });

  it('optional mode without a key: go on without, warn with the KME reason and code, count it', async () => {
    const { p, lines } = policy('optional', true);
    const d = await p.initiator('', 'handshake');
    expect(d).toEqual({ kind: 'without', reason: expect.stringContaining('ECONNREFUSED') });
    expect(lines.join('\n')).toMatch(
      /WARNING: QKD: handshake without a QKD key \(qkd-mode optional, hybrid KEM only\): KME .* \[QKD_CONNECT_FAILED\]/,
    );
    expect(p.counters()).toMatchObject({ withoutQkd: 1, refused: 0 });
  });

  it('required mode without a key: wait (do not start), warn, count as refused', async () => {
    const { p, lines } = policy('required', true);
    const d = await p.initiator('', 'rekey');
    expect(d.kind).toBe('wait');
    expect(lines.join('\n')).toMatch(/QKD: no rekey without a QKD key \(qkd-mode required\): KME/);
    expect(p.counters()).toMatchObject({ withoutQkd: 0, refused: 1 });
  });

  it('responder: fetches by ID naming the initiator SAE; a failure is logged with the KME reason', async () => {
    const ok = policy('required');
    const event = {
      keyId: 3,
      extraKeyId: new TextEncoder().encode('abc-123'),
      initiatorSaeId: 'sae-a',
      mode: 'required' as const,
    };
    expect(await ok.p.responder('', event)).toEqual({ secret: SECRET, keyId: 'abc-123' });
    expect(ok.src.calls).toEqual(['responder abc-123 sae-a']);

    const bad = policy('optional', true);
    expect(await bad.p.responder('bob: ', { ...event, mode: 'optional' })).toBeUndefined();
    expect(bad.lines.join('\n')).toMatch(
      /bob: QKD: cannot get key abc-123 offered for key id 3 from our KME: KME https:\/\/kme:2 says 400: key ID unknown \[QKD_BAD_REQUEST\]; going on with the hybrid KEM only/,
    );
    expect(bad.p.counters()).toMatchObject({ withoutQkd: 1, refused: 0 });

    // optional here, but the peer requires it: the epoch is refused
    expect(await bad.p.responder('', { ...event, mode: 'required' })).toBeUndefined();
    expect(bad.lines.at(-1)).toMatch(/refusing the key epoch \(qkd-mode optional, peer required\)/);
    expect(bad.p.counters().refused).toBe(1);
  });

  it('refusalHoldMs: a rekey refused for want of a key waits most of hand-window; a first handshake and optional do not', () => {
    const req = policy('required').p; // graceMs 10 000
    expect(req.refusalHoldMs(true, 'required')).toBe(8000);
    expect(req.refusalHoldMs(true, 'optional')).toBe(8000);
    expect(req.refusalHoldMs(false, 'required')).toBe(0);
    const opt = policy('optional').p;
    expect(opt.refusalHoldMs(true, 'optional')).toBe(0); // nothing is refused: goes on without
    expect(opt.refusalHoldMs(true, 'required')).toBe(8000); // the peer requires it: refused, held
    const short = new QkdPolicy({
      source: fakeSource().source,
      mode: 'required',
      log: new Logger({ verb: 0 }),
      graceMs: 4000,
    });
    expect(short.refusalHoldMs(true, 'required')).toBe(3000);
  });

  it('installed: logs which QKD key was mixed into which key id', async () => {
    const { p, lines } = policy('required');
    const s = p.session();
    s.responded(2, 'kid-9');
    p.installed('', s, 2);
    p.installed('', s, 3);
    expect(lines).toContainEqual(
      expect.stringMatching(/QKD key kid-9 mixed into key id 2 \(the peer started it\)/),
    );
    expect(lines).toContainEqual(expect.stringMatching(/QKD: key id 3 runs without a QKD key/));
    // optional-mode initiator: it cannot know whether the peer mixed its key in
    const opt = policy('optional');
    const o = opt.p.session();
    o.rekeyNeeded(0);
    o.rekeyStarting('kid-10');
    o.epochStarted(4);
    opt.p.installed('', o, 4);
    expect(opt.lines.at(-1)).toMatch(/QKD key kid-10 offered for key id 4 \(mixed in unless the peer's KME/);
  });

  it('expired and explainClose give reasons for both logs', () => {
    const { p, lines } = policy('required');
    expect(p.expired('', 30_000)).toMatch(/no QKD key for a rekey within 30 s \(hand-window\); keys expired/);
    expect(lines.at(-1)).toMatch(/^WARNING: QKD: no QKD key/);
    expect(p.counters().expired).toBe(1);
    expect(p.explainClose(EXTRA_SECRET_UNAVAILABLE, 'peer')).toMatch(
      /the peer's KME did not deliver our QKD key/,
    );
    expect(p.explainClose(EXTRA_SECRET_UNAVAILABLE, 'local')).toMatch(/no QKD key for this epoch/);
    expect(p.explainClose('AUTH_FAILED', 'peer')).toBeUndefined();
  });

  it('prefetch reaches the source; the mode comes from the directive, else the source, else optional', () => {
    const { p, src } = policy('optional');
    p.prefetch();
    expect(src.prefetches()).toBe(1);
    expect(qkdModeOf('required', fakeSource({ mode: 'optional' }).source)).toBe('required');
    expect(qkdModeOf(undefined, fakeSource({ mode: 'required' }).source)).toBe('required');
    expect(qkdModeOf(undefined, fakeSource().source)).toBe('optional');
  });

  it('never puts key bytes into a log line', async () => {
    const { p, lines } = policy('required');
    const s = p.session();
    const d = await p.initiator('', 'rekey');
    if (d.kind === 'key') s.rekeyStarting(d.keyId);
    s.epochStarted(1);
    p.installed('', s, 1);
    await p.responder('', {
      keyId: 2,
      extraKeyId: Uint8Array.of(0x6b),
      initiatorSaeId: 'x',
      mode: 'required',
    });
    const text = lines.join('\n');
    expect(text).not.toContain(SECRET_HEX);
    expect(text).not.toContain(Buffer.from(SECRET).toString('base64'));
  });
});

describe('status and key ID text', () => {
  it('the QKD section: mode, current key ID, epochs without QKD, key IDs used', () => {
    const a = new QkdSessionState('required', 1000);
    a.initialKey('id,1');
    a.epochStarted(0);
    a.installed(0);
    a.responded(1, 'id 2');
    a.installed(1);
    const b = new QkdSessionState('optional', 1000);
    b.responded(0, undefined);
    b.installed(0);
    const lines = qkdStatusLines([
      { name: 'alice', address: '10.77.0.2:4000', qkd: a },
      { name: 'b,ob', address: '10.77.1.2:4000', qkd: b },
    ]);
    expect(lines).toEqual([
      'QKD KEYS',
      'Common Name,Real Address,Mode,Current QKD Key ID,Epochs Without QKD,QKD Key IDs Used',
      'alice,10.77.0.2:4000,required,id_2,0,id_1 id_2',
      'b_ob,10.77.1.2:4000,optional,none,1,',
    ]);
  });

  it('key IDs with control characters or bad UTF-8 are shown safely', () => {
    expect(keyIdText(new TextEncoder().encode('550e8400-e29b-41d4'))).toBe('550e8400-e29b-41d4');
    expect(keyIdText(Uint8Array.of(0x61, 0x0a, 0x62))).toBe('a?b');
    expect(keyIdText(Uint8Array.of(0xff, 0x61))).toBe('\ufffda');
  });
});
