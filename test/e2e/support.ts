/**
 * End-to-end rig: a throwaway PKI and password database in a temp dir,
 * configs written for one test file, and `pqvpn server` / `pqvpn client`
 * started as real processes inside network namespaces (test/support/netns.ts)
 * from the TypeScript sources. Every namespace, process and directory is
 * owned by the file's lab and removed by id in afterAll, also on failure.
 * @module
 */

import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { run } from '../../src/cli/main.js';
import { memoryIO } from '../support/memory-io.js';
import type { Netns, NetnsLab } from '../support/netns.js';
import { REPO_ROOT } from '../support/run-ts.js';

/** Node options that run our TypeScript sources with a transpile cache (see cached-ts-loader.mjs). */
const execArgv = ['--import', join(REPO_ROOT, 'test/e2e/register-cached-ts.mjs')];

export interface Pki {
  readonly dir: string;
  readonly password: string;
}

async function cli(args: string[], stdin?: string): Promise<void> {
  const io = memoryIO(stdin === undefined ? {} : { stdin });
  const code = await run(args, io);
  if (code !== 0) throw new Error(`pqvpn ${args.join(' ')} failed (${code}): ${io.err.join('\n')}`);
}

/** A temp dir removed after the file's tests. */
export function useTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** CA + server + clients (ML-DSA-44: fast), tls-crypt key, passdb user 'alice'. */
export async function makePki(dir: string, clients: readonly string[] = ['alice']): Promise<Pki> {
  const pki = join(dir, 'pki');
  await cli(['pki', '--pki', pki, 'init', '--cn', 'e2e CA', '--days', '2', '--algo', 'ml-dsa-44']);
  await cli(['pki', '--pki', pki, 'issue', 'server', 'server', '--days', '2']);
  for (const c of clients) await cli(['pki', '--pki', pki, 'issue', 'client', c, '--days', '2']);
  await cli(['genkey', 'tls-crypt', join(dir, 'tls-crypt.key')]);
  const password = 'correct horse battery staple';
  await cli(['passwd', 'add', 'alice', '--db', join(dir, 'passdb'), '--stdin'], `${password}\n`);
  await chmod(join(dir, 'passdb'), 0o600);
  writeFileSync(join(dir, 'alice.auth'), `alice\n${password}\n`, { mode: 0o600 });
  writeFileSync(join(dir, 'wrong.auth'), 'alice\nnot the password\n', { mode: 0o600 });
  return { dir, password };
}

export function serverConfig(dir: string, extra: string, mode: 'cert' | 'passdb' = 'cert'): string {
  const path = join(dir, `server-${mode}.ovpn`);
  const auth = mode === 'cert' ? '' : `passdb ${join(dir, 'passdb')}\nverify-client-cert none\n`;
  writeFileSync(
    path,
    [
      'port 1194',
      'proto udp',
      'dev tun',
      `ca ${dir}/pki/ca.crt`,
      `cert ${dir}/pki/issued/server.crt`,
      `key ${dir}/pki/private/server.key`,
      `tls-crypt ${dir}/tls-crypt.key`,
      'topology subnet',
      'server 10.8.0.0 255.255.255.0',
      'keepalive 2 10',
      'verb 4',
      auth,
      extra,
    ].join('\n'),
  );
  return path;
}

export function clientConfig(
  dir: string,
  name: string,
  server: string,
  extra: string,
  auth?: 'alice.auth' | 'wrong.auth',
): string {
  const path = join(dir, `client-${name}.ovpn`);
  const credentials = auth
    ? `auth-user-pass ${join(dir, auth)}\n`
    : `cert ${dir}/pki/issued/${name}.crt\nkey ${dir}/pki/private/${name}.key\n`;
  writeFileSync(
    path,
    [
      'client',
      'dev tun',
      'proto udp',
      `remote ${server} 1194`,
      'nobind',
      'connect-retry 1 2',
      `ca ${dir}/pki/ca.crt`,
      'remote-cert-tls server',
      `tls-crypt ${dir}/tls-crypt.key`,
      'verb 4',
      credentials,
      extra,
    ].join('\n'),
  );
  return path;
}

/** A pqvpn process inside a namespace, with its output collected. */
export interface Daemon {
  readonly child: ChildProcess;
  readonly output: () => string;
  /** Resolves when a line matching `re` has appeared (rejects after `timeoutMs` or on exit). */
  waitFor(re: RegExp, timeoutMs?: number): Promise<string>;
  readonly exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function startPqvpn(lab: NetnsLab, ns: Netns, role: 'server' | 'client', config: string): Daemon {
  const child = lab.spawn(ns, [
    process.execPath,
    ...execArgv,
    join(REPO_ROOT, 'test/support/cli-entry.ts'),
    role,
    '--config',
    config,
  ]);
  let text = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    text += chunk.toString('utf8');
    for (const l of listeners) l();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let done = false;
  void exited.then(() => {
    done = true;
    for (const l of listeners) l();
  });
  return {
    child,
    output: () => text,
    exited,
    waitFor(re, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`${role}: no line matching ${re} within ${timeoutMs} ms; output:\n${text}`));
        }, timeoutMs);
        const check = () => {
          const m = re.exec(text);
          if (m) {
            clearTimeout(timer);
            listeners.delete(check);
            resolve(m[0]);
          } else if (done) {
            clearTimeout(timer);
            listeners.delete(check);
            reject(new Error(`${role} exited (${child.exitCode}) before ${re}; output:\n${text}`));
          }
        };
        listeners.add(check);
        check();
      });
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** A server namespace and `n` client namespaces, each joined to the server by its own veth pair. */
export async function topology(lab: NetnsLab, clients: number) {
  const server = await lab.namespace();
  const list: { ns: Netns; serverAddress: string }[] = [];
  for (let i = 0; i < clients; i++) {
    const ns = await lab.namespace();
    const net = `10.77.${i}`;
    await lab.veth(server, ns, { a: `${net}.1/24`, b: `${net}.2/24` });
    list.push({ ns, serverAddress: `${net}.1` });
  }
  return { server, clients: list };
}

/** A node one-liner that serves `bytes` pseudo-random bytes over TCP and prints their sha256. */
export function tcpSenderScript(port: number, bytes: number): string {
  return `
const net = require('node:net'); const crypto = require('node:crypto');
const srv = net.createServer((s) => {
  const h = crypto.createHash('sha256'); let left = ${bytes}; let seed = 1;
  const chunk = () => { const n = Math.min(left, 65536); const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) { seed = (seed * 1103515245 + 12345) >>> 0; b[i] = seed >>> 24; } return b; };
  const pump = () => { while (left > 0) { const b = chunk(); left -= b.length; h.update(b);
    if (!s.write(b)) { s.once('drain', pump); return; } }
    s.end(() => { console.log('sent ' + h.digest('hex')); srv.close(); }); };
  pump();
});
srv.listen(${port}, '0.0.0.0', () => console.log('listening'));`;
}

export function tcpReceiverScript(host: string, port: number): string {
  return `
const net = require('node:net'); const crypto = require('node:crypto');
const h = crypto.createHash('sha256'); let n = 0;
const s = net.connect(${port}, '${host}');
s.on('data', (d) => { h.update(d); n += d.length; });
s.on('end', () => console.log('received ' + n + ' ' + h.digest('hex')));
s.on('error', (e) => { console.error(e.message); process.exit(1); });`;
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
