import { describe, expect, it } from 'vitest';
import {
  formatIndex,
  formatIndexTime,
  type IndexEntry,
  parseIndex,
  parseIndexTime,
} from '../../src/pki/index-file.js';

describe('index.txt (OpenSSL ca database format)', () => {
  const entries: IndexEntry[] = [
    {
      status: 'V',
      expires: new Date('2028-12-31T12:00:00Z'),
      serialHex: '4F3A',
      fileName: 'unknown',
      subject: '/CN=server',
    },
    {
      status: 'R',
      expires: new Date('2051-01-01T00:00:00Z'),
      revokedAt: new Date('2026-01-01T09:30:00Z'),
      reason: 'cACompromise',
      serialHex: '51B2',
      fileName: 'unknown',
      subject: '/O=Example/CN=client1',
    },
    {
      status: 'R',
      expires: new Date('2028-12-31T12:00:00Z'),
      revokedAt: new Date('2026-01-02T09:30:00Z'),
      serialHex: '0102',
      fileName: 'unknown',
      subject: '/CN=c2',
    },
  ];

  it('writes the lines OpenSSL writes', () => {
    expect(formatIndex(entries)).toBe(
      'V\t281231120000Z\t\t4F3A\tunknown\t/CN=server\n' +
        'R\t20510101000000Z\t260101093000Z,CACompromise\t51B2\tunknown\t/O=Example/CN=client1\n' +
        'R\t281231120000Z\t260102093000Z\t0102\tunknown\t/CN=c2\n',
    );
  });

  it('round trips', () => {
    expect(parseIndex(formatIndex(entries))).toEqual(entries);
    expect(parseIndex('')).toEqual([]);
  });

  it('reads times in both forms and rejects impossible ones', () => {
    expect(parseIndexTime('500101000000Z')?.toISOString()).toBe('1950-01-01T00:00:00.000Z');
    expect(parseIndexTime('20500101000000Z')?.toISOString()).toBe('2050-01-01T00:00:00.000Z');
    expect(parseIndexTime('260230000000Z')).toBeUndefined();
    expect(parseIndexTime('2602300000Z')).toBeUndefined();
    expect(formatIndexTime(new Date('2049-06-01T01:02:03.999Z'))).toBe('490601010203Z');
  });

  it('reports corruption with file and line and a stable code', () => {
    const bad = [
      ['V\t281231120000Z\t\t4F3A\tunknown', /6 tab-separated fields/],
      ['X\t281231120000Z\t\t4F3A\tunknown\t/CN=a', /unknown status/],
      ['V\t2812311200Z\t\t4F3A\tunknown\t/CN=a', /expiry/],
      ['V\t281231120000Z\t\t4f3a\tunknown\t/CN=a', /invalid serial/],
      ['V\t281231120000Z\t\t4F3\tunknown\t/CN=a', /invalid serial/],
      ['V\t281231120000Z\t260101093000Z\t4F3A\tunknown\t/CN=a', /only revoked/],
      ['R\t281231120000Z\t\t4F3A\tunknown\t/CN=a', /revocation field/],
      ['R\t281231120000Z\t260101093000Z,sleepy\t4F3A\tunknown\t/CN=a', /unknown revocation reason/],
      ['V\t281231120000Z\t\t4F3A\tunknown\tCN=a', /subject/],
    ] as const;
    for (const [line, pattern] of bad) {
      const text = `V\t281231120000Z\t\t0A\tunknown\t/CN=ok\n${line}\n`;
      expect(() => parseIndex(text, 'pki/index.txt')).toThrow(pattern);
      try {
        parseIndex(text, 'pki/index.txt');
      } catch (error) {
        expect((error as { code: string }).code).toBe('PKI_INDEX_INVALID');
        expect((error as Error).message).toMatch(/^pki\/index\.txt:2: /);
      }
    }
    expect(() =>
      parseIndex('V\t281231120000Z\t\t0A\tunknown\t/CN=a\nV\t281231120000Z\t\t0A\tunknown\t/CN=b\n'),
    ).toThrow(/appears twice/);
  });
});
