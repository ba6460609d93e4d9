import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AddressPool } from '../../src/tunnel/address-pool.js';
import { pushFor, readClientConfigDir } from '../../src/tunnel/client-config-dir.js';
import { ipv4ToUint, ipv6ToBytes } from '../../src/tunnel/ip.js';
import { buildPushOptions } from '../../src/tunnel/push-options.js';
import { SessionRoutes } from '../../src/tunnel/routing.js';

const dir = mkdtempSync(join(tmpdir(), 'pqvpn-ccd-'));
const ccd = join(dir, 'ccd');
mkdirSync(ccd);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

writeFileSync(
  join(ccd, 'alice'),
  'ifconfig-push 10.8.0.50 255.255.255.0\niroute 192.168.50.0 255.255.255.0\npush-reset\npush "route 172.16.0.0 255.240.0.0"\n',
);
writeFileSync(join(ccd, 'mallory'), 'disable\n');
writeFileSync(join(ccd, 'broken'), 'ifconfig-push 10.8.0.300 255.255.255.0\n');
writeFileSync(join(ccd, 'server-only'), 'verb 4\n');

const on = { clientConfigDir: ccd, ccdExclusive: false };
const exclusive = { clientConfigDir: ccd, ccdExclusive: true };

describe('client-config-dir', () => {
  it('reads a client file: fixed address, iroute, push changes', async () => {
    const r = await readClientConfigDir(on, 'alice');
    if (r.kind !== 'file') throw new Error(r.kind);
    expect(r.file.ifconfigPush).toEqual({ local: '10.8.0.50', netmask: '255.255.255.0' });
    expect(r.file.iroutes).toEqual([{ network: '192.168.50.0', netmask: '255.255.255.0' }]);
    const base = [{ name: 'route', args: [], text: 'route 10.1.0.0 255.255.0.0', origin: 'push' as const }];
    expect(pushFor(base, r.file).map((o) => o.text)).toEqual(['route 172.16.0.0 255.240.0.0']);
  });

  it('disable, a broken file and (with ccd-exclusive) a missing file or an unsafe name refuse the client', async () => {
    expect(await readClientConfigDir(on, 'mallory')).toMatchObject({ kind: 'refuse', reason: /disabled/ });
    expect(await readClientConfigDir(on, 'broken')).toMatchObject({ kind: 'refuse', reason: /invalid/ });
    expect(await readClientConfigDir(on, 'server-only')).toMatchObject({ kind: 'refuse' });
    expect(await readClientConfigDir(on, 'nobody')).toEqual({ kind: 'none' });
    expect(await readClientConfigDir(exclusive, 'nobody')).toMatchObject({
      kind: 'refuse',
      reason: /ccd-exclusive/,
    });
    for (const name of ['../ccd/alice', '..', 'a/b', 'evil\nname', ''])
      expect((await readClientConfigDir(exclusive, name)).kind).toBe('refuse');
    expect((await readClientConfigDir(on, '../ccd/alice')).kind).toBe('none');
    expect(await readClientConfigDir({ ccdExclusive: false }, 'alice')).toEqual({ kind: 'none' });
  });
});

describe('fixed addresses (ifconfig-push) in the pool', () => {
  const options = { network: '10.8.0.0', prefixLength: 24, maxClients: 3, duplicateCn: false };

  it('a fixed address inside the pool is never handed out while held, and pushed with its netmask', () => {
    const pool = new AddressPool(options);
    const r = pool.acquireFixed('s1', 'alice', { ipv4: '10.8.0.2', netmask: '255.255.0.0' });
    if (!r.ok) throw new Error(r.reason);
    expect(buildPushOptions({ push: [] }, pool, r.lease)).toContain('ifconfig 10.8.0.2 255.255.0.0');
    const b = pool.acquire('s2', 'bob');
    expect(b.ok && b.lease.ipv4).toBe('10.8.0.3');
    expect(pool.acquireFixed('s3', 'carol', { ipv4: '10.8.0.3', netmask: '255.255.255.0' })).toMatchObject({
      ok: false,
      code: 'POOL_ADDRESS_IN_USE',
    });
    expect(pool.acquireFixed('s3', 'carol', { ipv4: '10.8.0.1', netmask: '255.255.255.0' })).toMatchObject({
      ok: false,
      reason: /the server/,
    });
    pool.release('s1');
    expect(pool.activeCount).toBe(1);
    const c = pool.acquire('s4', 'carol');
    expect(c.ok && c.lease.ipv4).toBe('10.8.0.4');
    expect(pool.acquireFixed('s5', 'dave', { ipv4: '10.8.0.2', netmask: '255.255.255.0' }).ok).toBe(true);
    expect(pool.acquireFixed('s6', 'erin', { ipv4: '10.9.0.9', netmask: '255.255.255.0' })).toMatchObject({
      code: 'POOL_MAX_CLIENTS',
    });
  });

  it('a name replacing itself moves between fixed and pool addresses cleanly', () => {
    const pool = new AddressPool(options);
    pool.acquireFixed('s1', 'alice', { ipv4: '10.8.0.99', netmask: '255.255.255.0' });
    const again = pool.acquire('s2', 'alice');
    expect(again).toMatchObject({ ok: true, replaced: 's1' });
    const back = pool.acquireFixed('s3', 'alice', { ipv4: '10.8.0.99', netmask: '255.255.255.0' });
    expect(back).toMatchObject({ ok: true, replaced: 's2' });
    expect(pool.activeCount).toBe(1);
  });
});

describe('iroutes', () => {
  function v4(src: string, dst: string): Uint8Array {
    const p = new Uint8Array(20);
    p[0] = 0x45;
    new DataView(p.buffer).setUint32(12, ipv4ToUint(src));
    new DataView(p.buffer).setUint32(16, ipv4ToUint(dst));
    return p;
  }
  function v6(src: string, dst: string): Uint8Array {
    const p = new Uint8Array(40);
    p[0] = 0x60;
    p.set(ipv6ToBytes(src), 8);
    p.set(ipv6ToBytes(dst), 24);
    return p;
  }

  it('route networks behind a client to it (longest prefix wins) and let it send from them', () => {
    const r = new SessionRoutes<string>();
    r.add('A', '10.8.0.2', 'fd00:8::2', [
      { family: 4, network: '192.168.0.0', prefixLength: 16 },
      { family: 6, network: 'fd50::', prefixLength: 56 },
    ]);
    r.add('B', '10.8.0.3', undefined, [{ family: 4, network: '192.168.50.0', prefixLength: 24 }]);
    expect(r.forTunPacket(v4('10.8.0.1', '192.168.50.7'))).toBe('B');
    expect(r.forTunPacket(v4('10.8.0.1', '192.168.51.7'))).toBe('A');
    expect(r.forTunPacket(v6('fd00:8::1', 'fd50:0:0:ff::1'))).toBe('A');
    expect(r.forTunPacket(v6('fd00:8::1', 'fd50:0:0:100::1'))).toBeUndefined();
    expect(r.fromClient('B', v4('192.168.50.9', '10.8.0.1'), false)).toEqual({ kind: 'tun' });
    expect(r.fromClient('B', v4('192.168.51.9', '10.8.0.1'), false)).toMatchObject({ reason: 'bad-source' });
    expect(r.fromClient('A', v4('10.8.0.2', '192.168.50.1'), true)).toEqual({ kind: 'peer', peer: 'B' });
    r.remove('B');
    expect(r.forTunPacket(v4('10.8.0.1', '192.168.50.7'))).toBe('A');
  });
});
