import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createPair,
  deletePairSync,
  pairNames,
  parseNetnsList,
  processAlive,
  staleNames,
  sweepStale,
} from '../../scripts/bench/netns.js';
import {
  clientConfigText,
  firstHost,
  pqvpnConnectPhases,
  serverConfigText,
} from '../../scripts/bench/pqvpn.js';
import { probeScript, startPingProbe } from '../../scripts/bench/probe.js';
import { run } from '../../scripts/bench/proc.js';
import { missingPackages } from '../../scripts/bench/tools.js';
import { makeWorkDir, staleWorkDirs, sweepStaleWorkDirs } from '../../scripts/bench/workdir.js';

describe('namespace names', () => {
  it('derive from a prefix and the pid, within 15 characters for links', () => {
    const p = pairNames('pqb-', 4194303);
    expect(p).toMatchObject({ server: 'pqb-4194303-s', client: 'pqb-4194303-c', serverVeth: 'pqb-4194303s' });
    expect(p.clientVeth.length).toBeLessThanOrEqual(15);
    expect(() => pairNames('PQ', 1)).toThrow(expect.objectContaining({ code: 'NETNS_BAD_PREFIX' }));
    expect(() => pairNames('pqb-', 0)).toThrow(expect.objectContaining({ code: 'NETNS_BAD_PID' }));
  });

  it('sweep only our prefix, and only names whose creating pid is gone', () => {
    const names = [
      'pqb-100-s',
      'pqb-100-c',
      'pqb-100s',
      'pqb-200-s',
      'pqd-100-s',
      'pqb-x-s',
      'other',
      'pqb-100-sx',
    ];
    expect(staleNames(names, 'pqb-', (pid) => pid === 200)).toEqual(['pqb-100-s', 'pqb-100-c', 'pqb-100s']);
    expect(parseNetnsList('pqb-1-s (id: 3)\npqb-1-c\n\n')).toEqual(['pqb-1-s', 'pqb-1-c']);
    expect(processAlive(process.pid)).toBe(true);
  });
});

describe('scripts and configs', () => {
  it('bounds the ping loop in time and refuses an address that is not a literal', () => {
    const s = probeScript('10.99.2.1', 2.5);
    expect(s).toContain('while [ "$SECONDS" -lt 3 ]');
    expect(s).toContain('ping -c1 -n -q -W 0.1 10.99.2.1');
    expect(() => probeScript('10.0.0.1; reboot', 1)).toThrow(
      expect.objectContaining({ code: 'PROBE_BAD_ADDRESS' }),
    );
  });

  it('writes pqvpn configs for certificate mode and password mode', () => {
    const o = {
      mode: 'cert',
      tlsCrypt: false,
      network: '10.99.2.0',
      port: 1195,
      underlayServerAddress: '10.98.0.1',
      verb: 3,
    } as const;
    expect(serverConfigText(o)).toContain('server 10.99.2.0 255.255.255.0\n');
    expect(serverConfigText(o)).toContain('remote-cert-tls client\n');
    expect(serverConfigText(o)).not.toContain('tls-crypt');
    expect(clientConfigText(o)).toContain(
      'remote 10.98.0.1 1195\nnobind\nca pki/ca.crt\ncert pki/issued/client.crt\nkey pki/private/client.key\n',
    );
    const p = { ...o, mode: 'passdb', tlsCrypt: true } as const;
    expect(serverConfigText(p)).toMatch(/verify-client-cert none\npassdb passdb\nusername-as-common-name\n/);
    expect(clientConfigText(p)).toContain('auth-user-pass client.auth\n');
    expect(clientConfigText(p)).not.toContain('cert pki');
    expect(clientConfigText(p)).toContain('tls-crypt tls-crypt.key\n');
    expect(firstHost('10.99.2.0')).toBe('10.99.2.1');
  });

  it('maps missing programs to Debian packages once each', () => {
    expect(missingPackages(['ip', 'ss', 'iperf3', 'ping'], (p) => p === 'ping')).toEqual([
      'iproute2',
      'iperf3',
    ]);
    expect(missingPackages(['ip'], () => true)).toEqual([]);
  });
});

const isRoot = process.getuid?.() === 0 && spawnSync('ip', ['netns', 'list']).status === 0;

describe.skipIf(!isRoot)('the rig as root', () => {
  const work = mkdtempSync(join(tmpdir(), 'pqvpn-bench-test-'));
  const pair = pairNames('pqbt-', process.pid);
  afterAll(() => {
    deletePairSync(pair);
    rmSync(work, { recursive: true, force: true });
  });

  it('joins two namespaces with a veth pair, probes across it, and deletes both', async () => {
    await createPair(pair);
    const probe = startPingProbe(pair.client, pair.serverAddress, 5, join(work, 'probe.log'));
    await probe.ready;
    await expect(probe.up).resolves.toBeGreaterThan(0);
    await probe.stop();
    const lost = startPingProbe(pair.client, '10.99.250.1', 1, join(work, 'lost.log'));
    await expect(lost.up).rejects.toMatchObject({ code: 'CONNECT_TIMEOUT' });
    deletePairSync(pair);
    const list = parseNetnsList((await run(['ip', 'netns', 'list'], { timeoutMs: 5000 })).stdout);
    expect(list).not.toContain(pair.server);
    expect(list).not.toContain(pair.client);
  });

  it('sweeps a namespace left by a dead process, and kills what ran in it', async () => {
    const dead = spawnSync('true').pid!;
    const leftover = pairNames('pqbt-', dead);
    await run(['ip', 'netns', 'add', leftover.server], { timeoutMs: 5000 });
    const sleeper = spawnSync(
      'sh',
      ['-c', `ip netns exec ${leftover.server} sleep 30 >/dev/null 2>&1 & echo $!`],
      {
        encoding: 'utf8',
      },
    );
    const sleeperPid = Number(sleeper.stdout.trim());
    expect(processAlive(sleeperPid)).toBe(true);
    expect(sweepStale('pqbt-')).toContain(leftover.server);
    const list = parseNetnsList((await run(['ip', 'netns', 'list'], { timeoutMs: 5000 })).stdout);
    expect(list).not.toContain(leftover.server);
    await new Promise((r) => setTimeout(r, 100));
    expect(processAlive(sleeperPid)).toBe(false);
  });
});

describe('work directories', () => {
  it('are private, carry the pid, and only those of dead runs are swept', () => {
    const base = mkdtempSync(join(tmpdir(), 'pqvpn-workdir-test-'));
    try {
      const mine = makeWorkDir('pqvpn-demo', base);
      expect(statSync(mine).mode & 0o777).toBe(0o700);
      expect(mine).toMatch(new RegExp(`/pqvpn-demo-${process.pid}-[A-Za-z0-9]{6}$`));
      const dead = spawnSync('true').pid!;
      mkdirSync(join(base, `pqvpn-demo-${dead}-abcDEF`));
      mkdirSync(join(base, `pqvpn-bench-${dead}-abcDEF`));
      mkdirSync(join(base, `pqvpn-demo-${dead}-short`));
      expect(sweepStaleWorkDirs('pqvpn-demo', base)).toEqual([join(base, `pqvpn-demo-${dead}-abcDEF`)]);
      expect(readdirSync(base).sort()).toEqual(
        [mine.slice(base.length + 1), `pqvpn-bench-${dead}-abcDEF`, `pqvpn-demo-${dead}-short`].sort(),
      );
      expect(staleWorkDirs(['pqvpn-demo-1-abcdef'], 'pqvpn-demo', () => true)).toEqual([]);
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });
});

describe('pqvpn connect phases', () => {
  it('split the connect time at the client log lines, and give up without them', () => {
    const log = [
      '2026-11-23T10:49:56.123Z connecting to 10.98.0.1 10.98.0.1:1195 from 0.0.0.0:60177',
      "2026-11-23T10:49:56.418Z connected to server 'server' at 10.98.0.1:1195: peer id 0",
    ].join('\n');
    const started = Date.parse('2026-11-23T10:49:55.723Z');
    expect(pqvpnConnectPhases(log, started)).toEqual({ startupMs: 400, handshakeMs: 295 });
    expect(pqvpnConnectPhases(log.split('\n')[0]!, started)).toBeUndefined();
    expect(pqvpnConnectPhases('connecting to x\nconnected to server y', started)).toBeUndefined();
  });
});
