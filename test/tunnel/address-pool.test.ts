import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AddressPool } from '../../src/tunnel/address-pool.js';
import { PoolFileWriter, readPoolFile } from '../../src/tunnel/pool-file.js';

const base = { network: '10.8.0.0', prefixLength: 24, maxClients: 1000, duplicateCn: false };

function ok(r: ReturnType<AddressPool['acquire']>) {
  if (!r.ok) throw new Error(r.reason);
  return r;
}

describe('AddressPool: server NET MASK with topology subnet', () => {
  it('gives the server .1 and clients .2 up to the last address before broadcast', () => {
    const pool = new AddressPool({ ...base, prefixLength: 29 });
    expect(pool.serverIpv4).toBe('10.8.0.1');
    expect(pool.netmask).toBe('255.255.255.248');
    expect(pool.size).toBe(5);
    const got = [1, 2, 3, 4, 5].map((i) => ok(pool.acquire(`s${i}`, `c${i}`)).lease.ipv4);
    expect(got).toEqual(['10.8.0.2', '10.8.0.3', '10.8.0.4', '10.8.0.5', '10.8.0.6']);
    const full = pool.acquire('s6', 'c6');
    expect(full).toMatchObject({ ok: false, code: 'POOL_EXHAUSTED' });
  });

  it('pairs IPv6 addresses by offset with server-ipv6', () => {
    const pool = new AddressPool({ ...base, ipv6: { network: 'fd00:8::', prefixLength: 64 } });
    expect(pool.serverIpv6).toBe('fd00:8::1');
    const a = ok(pool.acquire('s1', 'alice')).lease;
    const b = ok(pool.acquire('s2', 'bob')).lease;
    expect(a).toMatchObject({ ipv4: '10.8.0.2', ipv6: 'fd00:8::2' });
    expect(b).toMatchObject({ ipv4: '10.8.0.3', ipv6: 'fd00:8::3' });
  });

  it('refuses beyond max-clients', () => {
    const pool = new AddressPool({ ...base, maxClients: 2 });
    ok(pool.acquire('s1', 'a'));
    ok(pool.acquire('s2', 'b'));
    expect(pool.acquire('s3', 'c')).toMatchObject({ ok: false, code: 'POOL_MAX_CLIENTS' });
    pool.release('s1');
    expect(pool.acquire('s3', 'c').ok).toBe(true);
  });

  it('keeps a name on its address across sessions; release frees the address but not the reservation', () => {
    const pool = new AddressPool(base);
    const a1 = ok(pool.acquire('s1', 'alice')).lease.ipv4;
    ok(pool.acquire('s2', 'bob'));
    expect(pool.release('s1')?.ipv4).toBe(a1);
    expect(pool.release('s1')).toBeUndefined();
    ok(pool.acquire('s3', 'carol'));
    expect(ok(pool.acquire('s4', 'alice')).lease.ipv4).toBe(a1);
    expect(pool.activeCount).toBe(3);
  });

  it('without duplicate-cn a second session of a name takes over the address and names the one to close', () => {
    const pool = new AddressPool({ ...base, maxClients: 1 });
    const first = ok(pool.acquire('s1', 'alice')).lease;
    const second = ok(pool.acquire('s2', 'alice'));
    expect(second.replaced).toBe('s1');
    expect(second.lease.ipv4).toBe(first.ipv4);
    expect(pool.leaseOf('s1')).toBeUndefined();
    // Closing the replaced session later must not free the new session's address.
    expect(pool.release('s1')).toBeUndefined();
    expect(pool.leaseOf('s2')?.ipv4).toBe(first.ipv4);
  });

  it('with duplicate-cn every session of a name gets its own address', () => {
    const pool = new AddressPool({ ...base, duplicateCn: true });
    const a = ok(pool.acquire('s1', 'shared')).lease.ipv4;
    const b = ok(pool.acquire('s2', 'shared'));
    expect(b.replaced).toBeUndefined();
    expect(b.lease.ipv4).not.toBe(a);
    expect(pool.formatReservations()).toBe('');
  });

  it('reuses the least recently used reservation when no unreserved address is left', () => {
    const pool = new AddressPool({ ...base, prefixLength: 30 }); // one client address
    const a = ok(pool.acquire('s1', 'alice')).lease.ipv4;
    pool.release('s1');
    expect(ok(pool.acquire('s2', 'bob')).lease.ipv4).toBe(a);
    expect(pool.formatReservations()).toBe(`bob,${a}\n`);
  });

  it('round-trips reservations in ifconfig-pool-persist format and skips lines that do not fit', () => {
    const pool = new AddressPool({ ...base, ipv6: { network: 'fd00:8::', prefixLength: 64 } });
    ok(pool.acquire('s1', 'alice'));
    ok(pool.acquire('s2', 'bob'));
    const text = pool.formatReservations();
    expect(text).toBe('alice,10.8.0.2,fd00:8::2\nbob,10.8.0.3,fd00:8::3\n');
    const again = new AddressPool({ ...base, ipv6: { network: 'fd00:8::', prefixLength: 64 } });
    const extra = [
      'carol,10.9.0.5', // other subnet
      'dave,10.8.0.1', // the server's own address
      'eve,not-an-ip',
      ',10.8.0.9',
      'frank,10.8.0.7,fd00:8::99', // IPv6 does not pair
      'bob,10.8.0.8', // bob twice
      '# comment',
      'grace,10.8.0.10,', // OpenVPN 2.6 writes a trailing comma without IPv6
    ].join('\n');
    const r = again.loadReservations(`${text}${extra}\n`);
    expect(r.loaded).toBe(3);
    expect(r.skipped).toHaveLength(6);
    expect(ok(again.acquire('x', 'bob')).lease.ipv4).toBe('10.8.0.3');
    expect(ok(again.acquire('y', 'grace')).lease.ipv4).toBe('10.8.0.10');
    // A new name never takes a reserved address while unreserved ones remain.
    expect(ok(again.acquire('z', 'new')).lease.ipv4).toBe('10.8.0.4');
  });

  it('does not persist names that cannot round-trip (comma, newline)', () => {
    const pool = new AddressPool(base);
    ok(pool.acquire('s1', 'evil,10.8.0.9\nx'));
    expect(pool.formatReservations()).toBe('');
  });

  it('rejects impossible pool shapes', () => {
    expect(() => new AddressPool({ ...base, prefixLength: 31 })).toThrow(RangeError);
    expect(() => new AddressPool({ ...base, ipv6: { network: 'fd00::', prefixLength: 126 } })).toThrow(
      RangeError,
    );
  });
});

describe('PoolFileWriter', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pqvpn-pool-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a missing file as empty and writes atomically with mode 0600, the last content winning', async () => {
    const path = join(dir, 'ipp.txt');
    expect(await readPoolFile(path)).toBe('');
    const errors: unknown[] = [];
    const w = new PoolFileWriter(path, (e) => errors.push(e));
    for (let i = 0; i < 20; i++) w.write(`c${i},10.8.0.${i + 2}\n`);
    await w.flush();
    expect(readFileSync(path, 'utf8')).toBe('c19,10.8.0.21\n');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(errors).toEqual([]);
  });

  it('reports a write failure instead of throwing', async () => {
    const errors: unknown[] = [];
    const w = new PoolFileWriter(join(dir, 'missing-dir', 'ipp.txt'), (e) => errors.push(e));
    w.write('a,10.8.0.2\n');
    await w.flush();
    expect(errors).toHaveLength(1);
  });
});
