import { describe, expect, it } from 'vitest';
import { run } from '../../src/cli/main.js';
import { memoryIO } from '../support/memory-io.js';

const server = 'configs/server.ovpn';
const client = 'configs/client.ovpn';

describe('pqvpn server / client (before the tunnel exists)', () => {
  it('validate the config, then say plainly that the tunnel is not in this version (exit 1)', async () => {
    const io = memoryIO();
    expect(await run(['server', '--config', server], io)).toBe(1);
    expect(io.err.join('\n')).toMatch(/configuration is valid.*cannot run a server yet/);
  });

  it('refuse a config of the other mode with exit 2', async () => {
    const io = memoryIO();
    expect(await run(['client', '--config', server], io)).toBe(2);
    expect(io.err.join('\n')).toContain("run it with 'pqvpn server --config");
  });

  it('apply --directive overrides and report a bad one with exit 2', async () => {
    const io = memoryIO();
    expect(await run(['client', '--config', client, '--remote-cert-tsl', 'server'], io)).toBe(2);
    expect(io.err.join('\n')).toMatch(/remote-cert-tsl.*did you mean 'remote-cert-tls'/);
  });

  it('need --config', async () => {
    const io = memoryIO();
    expect(await run(['server'], io)).toBe(2);
    expect(io.err.join('\n')).toMatch(/config/);
  });
});

describe('the shipped example configs', () => {
  for (const name of ['server', 'client', 'server-passdb', 'client-passdb']) {
    it(`configs/${name}.ovpn passes config check`, async () => {
      const io = memoryIO();
      expect(await run(['config', 'check', `configs/${name}.ovpn`], io)).toBe(0);
      // A fresh git clone has the sample private keys at mode 0644: that warning is expected and correct.
      const unexpected = io.err.filter(
        (l) => l.startsWith('WARNING') && !/accessible by group or others/.test(l),
      );
      expect(unexpected).toEqual([]);
    });
  }
});
