import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Sample } from '../../scripts/bench/measure.js';
import { summarizeCpuProfile } from '../../scripts/bench/profile.js';
import {
  BEGIN,
  buildRows,
  END,
  formatProfile,
  formatSummary,
  formatTable,
  replaceGenerated,
} from '../../scripts/bench/report.js';
import { median, ratio, summarize } from '../../scripts/bench/stats.js';

describe('medians', () => {
  it('takes the middle value, or the mean of the two middle ones', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
    expect(() => median([])).toThrow(RangeError);
  });

  it('ignores non-finite values and summarizes min, max and count', () => {
    expect(summarize([430, Number.NaN, 480, 450])).toEqual({ median: 450, min: 430, max: 480, n: 3 });
    expect(summarize([Number.NaN])).toBeUndefined();
  });

  it('lies between min and max for any input', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), { minLength: 1 }), (xs) => {
        const s = summarize(xs)!;
        return s.min <= s.median && s.median <= s.max;
      }),
    );
  });

  it('gives the ratio of medians, undefined when a side is missing or zero', () => {
    expect(ratio(summarize([200]), summarize([400]))).toBe(0.5);
    expect(ratio(undefined, summarize([1]))).toBeUndefined();
    expect(ratio(summarize([1]), summarize([0]))).toBeUndefined();
  });
});

describe('comparison table', () => {
  const samples: Sample[] = [
    { tunnel: 'pqvpn', run: 1, throughputMbps: 300, connectMs: 90, serverCpuPercent: 100 },
    { tunnel: 'pqvpn', run: 2, throughputMbps: 500, connectMs: 70, serverCpuPercent: 100 },
    { tunnel: 'pqvpn', run: 3, throughputMbps: 400, connectMs: 80, serverCpuPercent: 100, error: 'x' },
    { tunnel: 'OpenVPN', run: 1, throughputMbps: 450, connectMs: 30 },
    { tunnel: 'OpenVPN', run: 2, throughputMbps: 430, connectMs: 25 },
    { tunnel: 'OpenVPN', run: 3, throughputMbps: 480, connectMs: 40 },
  ];

  it('gives medians, ranges and ratios per metric', () => {
    const rows = buildRows(samples);
    const tput = rows.find((r) => r.metric.label.startsWith('TCP throughput'))!;
    expect(tput.pqvpn).toEqual({ median: 400, min: 300, max: 500, n: 3 });
    expect(tput.ratio).toBeCloseTo(400 / 450);
    const connect = rows.find((r) => r.metric.label.startsWith('connect'))!;
    expect(connect.ratio).toBeCloseTo(80 / 30);
    // 100 % of a core at 400 Mbit/s: 400e6 / 8 / 1448 segments per second → about 29 µs each.
    const perPacket = rows.find((r) => r.metric.label.startsWith('server CPU per'))!;
    expect(perPacket.pqvpn?.median).toBeCloseTo(1e6 / (400e6 / 8 / 1448), 6);
    expect(perPacket.openvpn).toBeUndefined();
    expect(perPacket.ratio).toBeUndefined();
  });

  it('prints a Markdown table with a dash for missing values', () => {
    const table = formatTable(buildRows(samples));
    const lines = table.split('\n');
    expect(lines[0]).toMatch(/^\| metric +\| pqvpn median \[min–max\] +\| OpenVPN median/);
    expect(lines[1]).toMatch(/^\|-+\|-+\|-+\|-+\|$/);
    expect(table).toContain('| 400 [300–500]');
    expect(table).toContain('| 0.89 ');
    expect(new Set(lines.map((l) => l.length)).size).toBe(1);
    expect(formatSummary(undefined, 0)).toBe('—');
    expect(formatSummary({ median: 1.5, min: 1.5, max: 1.5, n: 1 }, 1)).toBe('1.5 (1 run)');
  });

  it('replaces only the generated part of BENCHMARKS.md', () => {
    const doc = `# Benchmarks\n\nHand-written.\n\n${BEGIN}\nold\n${END}\n\n## Notes\nkeep me\n`;
    const next = replaceGenerated(doc, 'new table');
    expect(next).toBe(`# Benchmarks\n\nHand-written.\n\n${BEGIN}\nnew table\n${END}\n\n## Notes\nkeep me\n`);
    expect(replaceGenerated('# Benchmarks\n', 'first')).toBe(`# Benchmarks\n\n${BEGIN}\nfirst\n${END}\n`);
    expect(replaceGenerated(next, 'again')).toContain(`${BEGIN}\nagain\n${END}\n\n## Notes`);
  });
});

describe('CPU profile self time', () => {
  // Tree: root → main → seal, (garbage collector) and the native initiv; root → (idle) and seal again.
  const profile = {
    nodes: [
      { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1 }, children: [2, 5, 6] },
      {
        id: 2,
        callFrame: { functionName: 'main', url: 'file:///repo/dist/a.js', lineNumber: 0 },
        children: [3, 4, 7],
      },
      { id: 3, callFrame: { functionName: 'seal', url: 'file:///repo/dist/b.js', lineNumber: 9 } },
      { id: 4, callFrame: { functionName: '(garbage collector)', url: '', lineNumber: -1 } },
      { id: 5, callFrame: { functionName: '(idle)', url: '', lineNumber: -1 } },
      { id: 6, callFrame: { functionName: 'seal', url: 'file:///repo/dist/b.js', lineNumber: 9 } },
      { id: 7, callFrame: { functionName: 'initiv', url: '', lineNumber: -1 } },
    ],
    startTime: 0,
    endTime: 1000,
    // Sample i lasts timeDeltas[i + 1] µs: seal 300 + 200 ms, main 100, gc 100, idle 400, initiv 50; the last none.
    samples: [3, 2, 4, 5, 6, 7, 2],
    timeDeltas: [0, 300_000, 100_000, 100_000, 400_000, 200_000, 50_000],
  };

  it('attributes each interval to the sample that opens it and merges one function reached by two paths', () => {
    const p = summarizeCpuProfile(JSON.stringify(profile), '/repo');
    expect(p.totalMs).toBeCloseTo(1150);
    expect(p.idleMs).toBeCloseTo(400);
    expect(p.busyMs).toBeCloseTo(750);
    expect(p.functions.map((f) => [f.name, Math.round(f.selfMs)])).toEqual([
      ['seal dist/b.js:10', 500],
      ['main dist/a.js:1', 100],
      ['(garbage collector)', 100],
      ['initiv (native, from main dist/a.js:1)', 50],
    ]);
    expect(p.functions[0]!.share).toBeCloseTo(500 / 750);
    expect(p.files.map((f) => f.name)).toEqual([
      'dist/b.js',
      'dist/a.js',
      '(garbage collector)',
      '(native functions of Node and V8)',
    ]);
    expect(formatProfile('pqvpn server', p)).toContain('| 500 | 66.7 % | `seal dist/b.js:10` |');
    expect(formatProfile('pqvpn server', p, { activities: false })).not.toContain('| activity |');
    expect(formatProfile('pqvpn server', p)).toContain('| activity |');
    expect(formatProfile('pqvpn server', p, { cpuPercent: 42 })).toMatch(
      /^\*\*pqvpn server\*\* — not idle 65\.2 % of the 1\.1 s profiled; the kernel charged it 42 % of a core/,
    );
    expect(p.activities.map((a) => [a.name, Math.round(a.selfMs)])).toEqual([
      ['pqvpn JavaScript (dist/), with the natives it calls directly', 650],
      ['garbage collection', 100],
    ]);
  });

  it('rejects what is not a profile with a code', () => {
    expect(() => summarizeCpuProfile('nope')).toThrow(expect.objectContaining({ code: 'PROFILE_BAD_JSON' }));
    expect(() => summarizeCpuProfile('{"nodes": []}')).toThrow(
      expect.objectContaining({ code: 'PROFILE_BAD' }),
    );
    expect(() => summarizeCpuProfile('{"nodes": [{}], "samples": [], "timeDeltas": []}')).toThrow(
      expect.objectContaining({ code: 'PROFILE_BAD' }),
    );
  });
});

describe('profile activities', () => {
  it('sort packet-path functions by what they do, natives by their caller', () => {
    const node = (id: number, functionName: string, url: string, children: number[] = []) => ({
      id,
      callFrame: { functionName, url, lineNumber: 0 },
      children,
    });
    const profile = {
      nodes: [
        node(1, '(root)', '', [2, 4, 6, 8, 9]),
        node(2, 'write', 'file:///r/dist/tun/linux-tun.js', [3]),
        node(3, 'open', ''),
        node(4, 'doSend', 'node:dgram', [5]),
        node(5, 'send6', ''),
        node(6, 'createCipherBase', 'node:internal/crypto/cipher', [7]),
        node(7, 'initiv', ''),
        node(8, '(program)', ''),
        node(9, 'seal', 'file:///r/dist/protocol/data/data-packet.js'),
      ],
      samples: [3, 5, 7, 8, 9, 2],
      timeDeltas: [0, 40_000, 30_000, 20_000, 10_000, 5_000],
    };
    const p = summarizeCpuProfile(JSON.stringify(profile), '/r');
    expect(p.activities.map((a) => [a.name.split(' ')[0], Math.round(a.selfMs)])).toEqual([
      ['TUN', 40],
      ['UDP', 30],
      ['AES-256-GCM', 20],
      ['(program):', 10],
      ['pqvpn', 5],
    ]);
  });
});
