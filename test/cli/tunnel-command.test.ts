import { describe, expect, it } from 'vitest';
import { run } from '../../src/cli/main.js';
import { memoryIO } from '../support/memory-io.js';

// Runs of a real server or client need root and namespaces: test/e2e does those.
// Here: everything that must fail before a socket or TUN device is opened.

const server = 'configs/server.ovpn';
const client = 'configs/client.ovpn';

describe('pqvpn server / client: start-up checks', () => {
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

  it('a server certificate that does not fit its role stops the server at start-up with exit 1, naming the file', async () => {
    const io = memoryIO();
    const code = await run(
      ['server', '--config', server, '--cert', 'sample-keys/client.crt', '--key', 'sample-keys/client.key'],
      io,
    );
    expect(code).toBe(1);
    expect(io.err.join('\n')).toMatch(/ERROR: .*client\.crt/);
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
