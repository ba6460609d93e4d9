import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseIperfJson } from '../../scripts/bench/iperf.js';
import { parsePingSummary } from '../../scripts/bench/ping.js';
import {
  parseLinkDrops,
  parseSnmpCounter,
  parseStatCpuTicks,
  parseStatusKiB,
} from '../../scripts/bench/procfs.js';

const fixture = (name: string) => readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8');

describe('iperf3 -J', () => {
  it('reads receiver goodput, bytes and seconds from a real TCP run', () => {
    const r = parseIperfJson(fixture('iperf3-tcp.json'));
    expect(r.receivedBitsPerSecond).toBeCloseTo(47928012559.372025, 3);
    expect(r.receivedBytes).toBe(5991301120);
    expect(r.seconds).toBeCloseTo(1.00005, 5);
    expect(typeof r.retransmits).toBe('number');
  });

  it('turns iperf3 own error report into IPERF_FAILED with its message', () => {
    expect(() => parseIperfJson(fixture('iperf3-refused.json'))).toThrow(
      expect.objectContaining({
        code: 'IPERF_FAILED',
        message: expect.stringContaining('Connection refused'),
      }),
    );
  });

  it.each([
    ['', 'IPERF_BAD_JSON'],
    ['iperf3: error - unable to connect', 'IPERF_BAD_JSON'],
    ['[1, 2]', 'IPERF_BAD_JSON'],
    ['{"end": {}}', 'IPERF_NO_RESULT'],
    ['{"end": {"sum_received": {"bits_per_second": "fast"}}}', 'IPERF_NO_RESULT'],
    ['{"end": {"sum_received": {"bits_per_second": -1}}}', 'IPERF_NO_RESULT'],
  ])('rejects %j with %s', (text, code) => {
    expect(() => parseIperfJson(text)).toThrow(expect.objectContaining({ code }));
  });
});

describe('ping -q summary', () => {
  it('reads counts and rtt min/avg/max/mdev', () => {
    expect(parsePingSummary(fixture('ping-ok.txt'))).toEqual({
      transmitted: 5,
      received: 5,
      min: 0.015,
      avg: 0.031,
      max: 0.077,
      mdev: 0.023,
    });
  });

  it('accepts the BSD-style round-trip line', () => {
    const text =
      '3 packets transmitted, 3 packets received, 0.0% packet loss\nround-trip min/avg/max/stddev = 1.0/2.0/3.0/0.5 ms\n';
    expect(parsePingSummary(text).avg).toBe(2);
  });

  it('fails with PING_NO_REPLY when nothing came back, PING_NO_SUMMARY on other text', () => {
    expect(() => parsePingSummary(fixture('ping-lost.txt'))).toThrow(
      expect.objectContaining({ code: 'PING_NO_REPLY' }),
    );
    expect(() => parsePingSummary('ping: connect: Network is unreachable')).toThrow(
      expect.objectContaining({ code: 'PING_NO_SUMMARY' }),
    );
  });
});

describe('/proc readers', () => {
  it('sums utime and stime after the last parenthesis of /proc/PID/stat', () => {
    const fields = ['S', ...Array.from({ length: 10 }, (_, i) => String(i)), '700', '42', '0', '0'];
    expect(parseStatCpuTicks(`1234 (node (x) y) ${fields.join(' ')}`)).toBe(742);
    expect(() => parseStatCpuTicks('garbage')).toThrow(expect.objectContaining({ code: 'PROC_BAD_STAT' }));
    expect(() => parseStatCpuTicks('1 (a) S 1 2')).toThrow(
      expect.objectContaining({ code: 'PROC_BAD_STAT' }),
    );
  });

  it('reads the running process own stat and status', () => {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    expect(parseStatCpuTicks(stat)).toBeGreaterThanOrEqual(0);
    expect(parseStatusKiB(readFileSync('/proc/self/status', 'utf8'), 'VmHWM')).toBeGreaterThan(1000);
    expect(parseStatusKiB('VmRSS:\t  10 kB\n', 'VmHWM')).toBeUndefined();
  });

  it('finds a counter in /proc/net/snmp by its header name', () => {
    const snmp = [
      'Tcp: RtoAlgorithm RtoMin',
      'Tcp: 1 200',
      'Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors',
      'Udp: 100 2 3 50 17 0',
      'UdpLite: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors',
      'UdpLite: 0 0 0 0 0 0',
    ].join('\n');
    expect(parseSnmpCounter(snmp, 'Udp', 'RcvbufErrors')).toBe(17);
    expect(parseSnmpCounter(snmp, 'Tcp', 'RtoMin')).toBe(200);
    expect(() => parseSnmpCounter(snmp, 'Udp', 'Nope')).toThrow(
      expect.objectContaining({ code: 'PROC_BAD_SNMP' }),
    );
    expect(
      parseSnmpCounter(readFileSync('/proc/net/snmp', 'utf8'), 'Udp', 'RcvbufErrors'),
    ).toBeGreaterThanOrEqual(0);
  });

  it('sums rx and tx drops of every interface but loopback from ip -j -s link', () => {
    const links = [
      { ifname: 'lo', stats64: { rx: { dropped: 100 }, tx: { dropped: 100 } } },
      { ifname: 'tun0', stats64: { rx: { dropped: 0 }, tx: { dropped: 37 } } },
      { ifname: 'pqb-1s', stats64: { rx: { dropped: 2 }, tx: { dropped: 0 } } },
      { ifname: 'nostats' },
    ];
    expect(parseLinkDrops(JSON.stringify(links))).toBe(39);
    expect(() => parseLinkDrops('Device "x" does not exist.')).toThrow(
      expect.objectContaining({ code: 'PROC_BAD_LINKS' }),
    );
    expect(() => parseLinkDrops('{}')).toThrow(expect.objectContaining({ code: 'PROC_BAD_LINKS' }));
  });
});
