import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TunError } from '../../src/tun/errors.js';
import { validateMtu, validateTunAddress, validateTunName } from '../../src/tun/validate.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (error) {
    return error instanceof TunError ? error.code : 'not a TunError';
  }
}

describe('TUN input validation', () => {
  it('accepts ordinary names and one %d pattern', () => {
    for (const name of ['tun0', 'tun%d', 'pq-vpn_1', 'a', 'x'.repeat(15), 'vpn.home', 'wg@1+x']) {
      expect(validateTunName(name)).toBe(name);
    }
  });

  it('rejects names the kernel or our scripts would not take', () => {
    const bad = [
      '',
      'x'.repeat(16),
      'a/b',
      'a b',
      'a:b',
      'tab\t',
      '.',
      '..',
      '-x',
      'tun%s',
      'a%d%d',
      '%',
      'tün0',
    ];
    for (const name of bad)
      expect(
        codeOf(() => validateTunName(name)),
        name,
      ).toBe('TUN_BAD_NAME');
  });

  it('error messages quote the name safely', () => {
    expect(() => validateTunName('a\nb')).toThrow('invalid TUN interface name "a\\nb"');
  });

  it('MTU must be an integer in 576..65535', () => {
    expect(validateMtu(576)).toBe(576);
    expect(validateMtu(65535)).toBe(65535);
    for (const mtu of [575, 65536, 1400.5, Number.NaN, -1])
      expect(codeOf(() => validateMtu(mtu))).toBe('TUN_BAD_MTU');
  });

  it('addresses: family must match the text, prefix in range, IPv6 needs MTU 1280', () => {
    expect(validateTunAddress({ family: 4, address: '10.8.0.1', prefixLength: 24 }, 1400)).toBe(
      '10.8.0.1/24',
    );
    expect(validateTunAddress({ family: 6, address: 'fd00::1', prefixLength: 128 }, 1280)).toBe(
      'fd00::1/128',
    );
    const bad = [
      { family: 4, address: 'fd00::1', prefixLength: 24 },
      { family: 6, address: '10.8.0.1', prefixLength: 64 },
      { family: 4, address: '10.8.0.1', prefixLength: 33 },
      { family: 6, address: 'fd00::1', prefixLength: 129 },
      { family: 4, address: '10.8.0.1', prefixLength: 1.5 },
      { family: 6, address: 'fe80::1%eth0', prefixLength: 64 },
      { family: 5, address: '10.8.0.1', prefixLength: 8 },
      { family: 4, address: '10.8.0.1 dev lo', prefixLength: 8 },
    ] as const;
    for (const a of bad)
      expect(
        codeOf(() => validateTunAddress(a as never, 1400)),
        JSON.stringify(a),
      ).toBe('TUN_BAD_ADDRESS');
    expect(() => validateTunAddress({ family: 6, address: 'fd00::1', prefixLength: 64 }, 1279)).toThrow(
      'IPv6 needs an MTU of at least 1280',
    );
  });

  it('any string either validates as a name or fails with TUN_BAD_NAME (never anything else)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), (name) => {
        const code = codeOf(() => validateTunName(name));
        expect(code === undefined || code === 'TUN_BAD_NAME').toBe(true);
        if (code === undefined) expect(Buffer.byteLength(name)).toBeLessThanOrEqual(15);
      }),
    );
  });
});
