import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import yargs from 'yargs';
import { tunnelCommand } from '../../src/cli/commands/tunnel-command.js';
import { run } from '../../src/cli/main.js';
import { tunnelInvocation } from '../../src/cli/tunnel-invocation.js';
import { memoryIO } from '../support/memory-io.js';

/**
 * What yargs hands the tunnel command's handler for `argv`, through the real builder and the top-level
 * options of main.ts that could claim an argument (help, h, version, strict); undefined when yargs does
 * not run the handler (help, version, a parse error).
 */
async function viaYargs(
  argv: readonly string[],
): Promise<{ config: unknown; directives: unknown } | undefined> {
  let got: { config: unknown; directives: unknown } | undefined;
  const modes = ['server', 'client'] as const;
  let parser = yargs([...argv]);
  for (const mode of modes) {
    parser = parser.command({
      ...tunnelCommand(memoryIO(), mode),
      handler: (a) => {
        got = { config: a.config, directives: a.directives ?? [] };
      },
    });
  }
  try {
    await parser
      .strict()
      .help()
      .alias('help', 'h')
      .version()
      .exitProcess(false)
      .fail((message, error) => {
        throw error ?? new Error(message);
      })
      .parseAsync([...argv], {}, () => {});
  } catch {
    return undefined;
  }
  return got;
}

const TOKENS = [
  '--verb',
  '4',
  '--verb=5',
  '--remote',
  'vpn.example',
  '1194',
  '--push',
  'route 10.0.0.0 255.0.0.0',
  '--nobind',
  '--no-bind',
  '--remote-cert-tls',
  'server',
  '--route-ipv6',
  '::/0',
  '--help-me',
  '--configs',
  '--Config',
  '--fooBar',
  '--x.y',
  'true',
  '1e3',
  '0x10',
  '-1',
  '-h',
  '-vh',
  '--',
  '',
  '--help',
  '--version',
  '--config',
  '--config=other.ovpn',
  '--no-config',
  '--help-me',
  '--config-x',
  '--config.x',
  '--version-x',
  '--help=1',
  '--h',
  '--h-x',
  '--no-h',
  '--hand-window',
  '--configure',
  '--helpX',
  '--HELP',
  '--help_x',
] as const;

describe('tunnelInvocation: the server/client command line without yargs', () => {
  it('takes the usual shapes', () => {
    expect(tunnelInvocation(['client', '--config', 'c.ovpn'])).toEqual({
      mode: 'client',
      config: 'c.ovpn',
      directives: [],
    });
    expect(
      tunnelInvocation(['server', '--config=s.ovpn', '--verb', '4', '--push', 'route 10.1.0.0 255.255.0.0']),
    ).toEqual({
      mode: 'server',
      config: 's.ovpn',
      directives: ['--verb', '4', '--push', 'route 10.1.0.0 255.255.0.0'],
    });
  });

  it.each([
    [['client']],
    [['server', 'x.ovpn']],
    [['client', '--verb', '4', '--config', 'c.ovpn']],
    [['client', '--config']],
    [['client', '--config', '']],
    [['client', '--config', '--verb']],
    [['client', '--config=']],
    [['client', '--config', 'c.ovpn', '--help']],
    [['client', '--config', 'c.ovpn', '-h']],
    [['client', '--config', 'c.ovpn', '--version']],
    [['client', '--config', 'c.ovpn', '--config', 'd.ovpn']],
    [['client', '--config', 'c.ovpn', '--no-config']],
    [['client', '--config', 'c.ovpn', '--help-me', 'x']],
    [['client', '--config', 'c.ovpn', '--config.x', 'x']],
    [['client', '--config', 'c.ovpn', '--h']],
    [['client', '--config', 'c.ovpn', '--']],
    [['client', '--config', 'c.ovpn', '']],
    [['client', '--config', 'c.ovpn', '--inactive', '-1']],
    [['pki', '--config', 'c.ovpn']],
    [['--help']],
  ])('leaves %j to yargs', (argv) => {
    expect(tunnelInvocation(argv)).toBeUndefined();
  });

  it('agrees with yargs on every command line it takes (and takes many)', async () => {
    let taken = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('server', 'client'),
        fc.constantFrom('c.ovpn', 'my dir/c.ovpn', '123', 'x=y.ovpn'),
        fc.boolean(),
        fc.array(fc.constantFrom(...TOKENS), { maxLength: 6 }),
        async (mode, file, joined, rest) => {
          const argv = [mode, ...(joined ? [`--config=${file}`] : ['--config', file]), ...rest];
          const fast = tunnelInvocation(argv);
          if (!fast) return;
          taken++;
          expect(await viaYargs(argv)).toEqual({ config: fast.config, directives: fast.directives });
        },
      ),
      { numRuns: 300 },
    );
    expect(taken).toBeGreaterThan(50);
  });

  it('run() gives the same errors and exit codes on both paths', async () => {
    const fast = memoryIO();
    const slow = memoryIO();
    // The trailing `--verb 3` keeps the first on the direct path; `--config` before the command word
    // sends the second through yargs.
    expect(tunnelInvocation(['client', '--config', 'configs/server.ovpn', '--verb', '3'])).toBeDefined();
    const a = await run(['client', '--config', 'configs/server.ovpn', '--verb', '3'], fast);
    const b = await run(['client', '--verb', '3', '--config', 'configs/server.ovpn'], slow);
    expect(a).toBe(2);
    expect(b).toBe(2);
    expect(fast.err).toEqual(slow.err);
  });
});
