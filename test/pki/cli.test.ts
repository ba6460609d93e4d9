import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CommandIO } from '../../src/cli/io.js';
import { run } from '../../src/cli/main.js';
import { parseCertificate } from '../../src/pki/certificate.js';
import { parseCrl } from '../../src/pki/crl.js';
import { parsePrivateKey } from '../../src/pki/private-key.js';
import { verifyCertificateChain } from '../../src/pki/verify.js';

let root: string;
let pki: string;
beforeEach(async () => {
  root = await fs.mkdtemp(join(tmpdir(), 'pqvpn-pki-cli-'));
  pki = join(root, 'pki');
});
afterEach(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

interface Ran {
  code: number;
  out: string;
  err: string;
}

async function pqvpn(...args: string[]): Promise<Ran> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CommandIO = {
    stdout: (l) => out.push(l),
    stderr: (l) => err.push(l),
    readStdin: async () => '',
    promptHidden: async () => undefined,
  };
  const code = await run(['pki', '--pki', pki, ...args], io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

async function files(): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(pki, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out.push(join(e.parentPath, e.name).slice(pki.length + 1));
  }
  return out.sort();
}

const read = (p: string) => fs.readFile(join(pki, p), 'utf8');
const mode = async (p: string) => (await fs.stat(join(pki, p))).mode & 0o777;

describe('pqvpn pki (end to end, in process)', () => {
  it('init, issue server/client, list, show, revoke, crl', async () => {
    const init = await pqvpn('init', '--algo', 'ml-dsa-44', '--cn', 'Test VPN CA', '--dn-org', 'Example');
    expect(init.code).toBe(0);
    expect(init.out).toContain("created CA 'Test VPN CA' (ml-dsa-44");
    expect(init.out).toContain(join(pki, 'ca.crt'));
    expect(await mode('private/ca.key')).toBe(0o600);

    const server = await pqvpn('issue', 'server', 'vpn.example.com');
    expect(server.code).toBe(0);
    expect(server.out).toMatch(
      /issued server certificate 'vpn\.example\.com' \(ml-dsa-44, serial [0-9A-F]{32}/,
    );
    const client = await pqvpn(
      'issue',
      'client',
      'alice',
      '--algo',
      'ml-dsa-65',
      '--days',
      '30',
      '--san',
      'email:alice@example.com',
    );
    expect(client.code).toBe(0);
    expect(await mode('private/alice.key')).toBe(0o600);
    expect(await mode('private/vpn.example.com.key')).toBe(0o600);

    const ca = parseCertificate(await read('ca.crt'));
    const alice = parseCertificate(await read('issued/alice.crt'));
    expect(parsePrivateKey(await read('private/alice.key')).scheme.name).toBe('ml-dsa-65');
    expect(alice.extensions.subjectAltName).toEqual([{ type: 'email', value: 'alice@example.com' }]);
    expect(alice.notAfter.getTime() - alice.notBefore.getTime()).toBe(30 * 86_400_000);
    const verdict = verifyCertificateChain({
      leaf: alice,
      trustAnchors: [ca],
      now: new Date(),
      expectedEku: 'clientAuth',
      crls: [await read('crl.pem')],
    });
    expect(verdict.ok).toBe(true);

    const list = await pqvpn('list');
    expect(list.code).toBe(0);
    const lines = list.out.split('\n');
    expect(lines[0]).toMatch(/^NAME\s+TYPE\s+SERIAL\s+STATUS\s+EXPIRES$/);
    expect(lines[1]).toMatch(/^ca\s+ca\s+[0-9A-F]{32}\s+valid\s+\d{4}-\d\d-\d\d$/);
    expect(lines[2]).toMatch(/^vpn\.example\.com\s+server\s+[0-9A-F]{32}\s+valid/);
    expect(lines[3]).toMatch(new RegExp(`^alice\\s+client\\s+${alice.serialHex}\\s+valid`));

    const show = await pqvpn('show', 'vpn.example.com');
    expect(show.code).toBe(0);
    expect(show.out).toMatch(/Subject:\s+CN=vpn\.example\.com/);
    expect(show.out).toMatch(/Issuer:\s+O=Example, CN=Test VPN CA/);
    expect(show.out).toMatch(/Signature algorithm:\s+ml-dsa-44 \(2\.16\.840\.1\.101\.3\.4\.3\.17\)/);
    expect(show.out).toMatch(/Extended key usage:\s+serverAuth/);
    expect(show.out).toMatch(/Subject alt names:\s+DNS:vpn\.example\.com/);
    expect(show.out).toMatch(/SHA-256 fingerprint:\s+([0-9A-F]{2}:){31}[0-9A-F]{2}/);
    expect(show.out).toMatch(/Status:\s+valid/);
    expect((await pqvpn('show', 'ca')).out).toMatch(/Basic constraints:\s+CA:TRUE/);
    expect((await pqvpn('show', join(pki, 'issued', 'alice.crt'))).out).toMatch(/clientAuth/);

    const revoke = await pqvpn('revoke', 'alice', '--reason', 'keyCompromise');
    expect(revoke.code).toBe(0);
    expect(revoke.out).toContain(`revoked 'alice' (serial ${alice.serialHex}, reason keyCompromise)`);
    const crl = parseCrl(await read('crl.pem'));
    expect(crl.revoked.map((r) => [r.serialHex, r.reason])).toEqual([[alice.serialHex, 'keyCompromise']]);
    expect(await read('index.txt')).toMatch(
      new RegExp(`^R\\t\\d{12}Z\\t\\d{12}Z,keyCompromise\\t${alice.serialHex}\\tunknown\\t/CN=alice$`, 'm'),
    );
    expect((await pqvpn('list')).out).toMatch(new RegExp(`alice\\s+client\\s+${alice.serialHex}\\s+revoked`));
    expect((await pqvpn('show', 'crl')).out).toMatch(
      new RegExp(`${alice.serialHex} at .* \\(keyCompromise\\)`),
    );

    const fresh = await pqvpn('crl', '--days', '30');
    expect(fresh.code).toBe(0);
    expect(fresh.out).toMatch(/CRL number 3, 1 revoked/);
    const crl2 = parseCrl(await read('crl.pem'));
    expect(crl2.nextUpdate!.getTime() - crl2.thisUpdate.getTime()).toBe(30 * 86_400_000);
  });

  it('issue before init tells the user to run pqvpn pki init', async () => {
    const r = await pqvpn('issue', 'server', 'vpn');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/run `pqvpn pki init` first/);
  });

  it('never overwrites a CA or a key without --force, and leaves no temp files', async () => {
    expect((await pqvpn('init', '--algo', 'ml-dsa-44')).code).toBe(0);
    const caBefore = await read('ca.crt');
    const again = await pqvpn('init');
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/already exists; use --force/);
    expect(await read('ca.crt')).toBe(caBefore);

    expect((await pqvpn('issue', 'client', 'bob')).code).toBe(0);
    const keyBefore = await read('private/bob.key');
    const before = await files();
    const dup = await pqvpn('issue', 'client', 'bob');
    expect(dup.code).toBe(1);
    expect(dup.err).toMatch(/bob\.crt already exists; use --force/);
    expect(await read('private/bob.key')).toBe(keyBefore);
    expect(await files()).toEqual(before);
    expect(before.filter((f) => /\.tmp$|\.lock$/.test(f))).toEqual([]);

    const forced = await pqvpn('issue', 'client', 'bob', '--force');
    expect(forced.code).toBe(0);
    expect(forced.out).toMatch(/replaced serial [0-9A-F]{32}, now revoked as superseded/);
    expect(await read('private/bob.key')).not.toBe(keyBefore);
    expect(await mode('private/bob.key')).toBe(0o600);

    const reinit = await pqvpn('init', '--algo', 'ml-dsa-44', '--force');
    expect(reinit.code).toBe(0);
    expect(await read('ca.crt')).not.toBe(caBefore);
    expect(await files()).not.toContain('issued/bob.crt');
  });

  it('bad arguments are usage errors (exit 2) with a clear message', async () => {
    expect((await pqvpn('init', '--algo', 'ml-dsa-44')).code).toBe(0);
    const cases: [string[], RegExp][] = [
      [['issue', 'server', 'x', '--algo', 'rsa'], /--algo: unknown signature scheme 'rsa'/],
      [['issue', 'server', 'x', '--san', 'DNS:bad_name!'], /--san: not a DNS name/],
      [['issue', 'server', 'x', '--san', 'vpn.example.com'], /--san: .*needs a type prefix/],
      [['issue', 'server', 'x', '--san', 'IP:300.1.1.1'], /--san: not an IP address/],
      [['issue', 'server', 'x', '--days', '0'], /--days must be a positive whole number/],
      [['issue', 'server', 'x', '--days', '99999'], /days must be a whole number from 1 to 36500/],
      [['issue', 'server', '../x'], /invalid name/],
      [['issue', 'server', 'ca'], /reserved for the CA/],
      [['issue', 'router', 'x'], /Invalid values|Choices/],
      [['issue', 'client', 'x', '--dn-country', 'Germany'], /two-letter/],
      [['revoke', 'x', '--reason', 'bored'], /Invalid values|Choices/],
      [['frobnicate'], /Unknown argument|Name an action/],
    ];
    for (const [args, pattern] of cases) {
      const r = await pqvpn(...args);
      expect([args.join(' '), r.code]).toEqual([args.join(' '), 2]);
      expect(r.err).toMatch(pattern);
    }
    expect((await pqvpn('revoke', 'nobody')).code).toBe(1);
    expect((await pqvpn('show', 'nobody')).err).toMatch(/no certificate named 'nobody'/);
    expect(await files()).not.toContain('issued/x.crt');
  });

  it('every command has --help with an example', async () => {
    for (const cmd of [[], ['init'], ['issue'], ['revoke'], ['crl'], ['list'], ['show']]) {
      const r = await pqvpn(...cmd, '--help');
      expect(r.code).toBe(0);
      expect([cmd, r.out]).toEqual([cmd, expect.stringMatching(/Examples:\n\s+pqvpn pki/)]);
    }
  });
});
