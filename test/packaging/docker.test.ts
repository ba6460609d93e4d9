/**
 * packaging/docker without a Docker engine: the Dockerfile copies only files
 * that exist and that its ignore file lets through, the runtime stage has what
 * pqvpn runs (`ip`, the addon where src/tun looks for it), compose.yaml wires
 * the loopback test as documented (checked line by line: no YAML parser is
 * available), and the test PKI script plus both container configs really work
 * — `make-pki.sh` runs against pqvpn from the sources and `pqvpn config check`
 * accepts the configs with those keys. `docker compose config` runs when the
 * compose plugin exists.
 * @module
 */

import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../../src/cli/main.js';
import { memoryIO } from '../support/memory-io.js';
import { REPO_ROOT } from '../support/run-ts.js';

const DOCKER = join(REPO_ROOT, 'packaging/docker');
const dockerfile = readFileSync(join(DOCKER, 'Dockerfile'), 'utf8');
const ignore = readFileSync(join(DOCKER, 'Dockerfile.dockerignore'), 'utf8');
const compose = readFileSync(join(DOCKER, 'compose.yaml'), 'utf8');

interface Copy {
  readonly from: string | undefined;
  readonly sources: string[];
  readonly dest: string;
}

/** COPY instructions (a single line each in our Dockerfile). */
function copies(text: string): Copy[] {
  return [...text.matchAll(/^COPY\s+(?:--from=(\S+)\s+)?(.+)$/gm)].map((m) => {
    const parts = (m[2] ?? '').trim().split(/\s+/);
    return { from: m[1], sources: parts.slice(0, -1), dest: parts.at(-1) ?? '' };
  });
}

/** Would a .dockerignore pattern list exclude `path`? (Patterns without `!`, as ours.) */
function ignored(patterns: string[], path: string): boolean {
  const toRegExp = (p: string) =>
    new RegExp(
      `^${p
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*\*\//g, '(?:.*/)?')
        .replace(/\*/g, '[^/]*')}(?:/.*)?$`,
    );
  return patterns.some((p) => toRegExp(p.replace(/^\/|\/$/g, '')).test(path.replace(/\/$/, '')));
}

const ignorePatterns = ignore
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l !== '' && !l.startsWith('#'));

describe('Dockerfile', () => {
  const fromContext = copies(dockerfile).filter((c) => c.from === undefined);

  it('is a two-stage build on node:20-bookworm-slim, the builder with g++, make and python3', () => {
    expect([...dockerfile.matchAll(/^FROM\s+(\S+)/gm)].map((m) => m[1])).toEqual([
      'node:20-bookworm-slim',
      'node:20-bookworm-slim',
    ]);
    expect(dockerfile).toMatch(/^FROM node:20-bookworm-slim AS build$/m);
    const builder = dockerfile.slice(0, dockerfile.lastIndexOf('\nFROM '));
    for (const pkg of ['g++', 'make', 'python3']) expect(builder).toContain(` ${pkg}`);
    expect(builder).toMatch(/^RUN npm ci && npm prune --omit=dev$/m);
  });

  it('copies from the context only files that exist: package.json, binding.gyp, native/, src/, tsconfig*, bin/', () => {
    const sources = fromContext.flatMap((c) => c.sources);
    for (const needed of ['package.json', 'package-lock.json', 'binding.gyp', 'native/', 'src/', 'bin/'])
      expect(sources).toContain(needed);
    expect(sources).toEqual(expect.arrayContaining(['tsconfig.json', 'tsconfig.build.json']));
    for (const s of sources) expect(existsSync(join(REPO_ROOT, s)), s).toBe(true);
  });

  it('copies what `npm ci` runs: tsconfig.build.json and the prepare script', () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    const sources = fromContext.flatMap((c) => c.sources);
    const prepare = pkg.scripts.prepare ?? '';
    for (const script of prepare.matchAll(/bash (\S+)/g)) expect(sources).toContain(script[1]);
    expect(pkg.scripts.build).toContain('tsconfig.build.json');
  });

  it('the ignore file lets every copied source through, and keeps build output and .git out', () => {
    for (const s of fromContext.flatMap((c) => c.sources)) expect(ignored(ignorePatterns, s), s).toBe(false);
    for (const out of ['node_modules', 'dist', 'build', '.git', 'native/build'])
      expect(ignored(ignorePatterns, out), out).toBe(true);
    // The matcher itself, so the lines above can fail:
    expect(ignored(['**/node_modules'], 'a/node_modules/x')).toBe(true);
    expect(ignored(['dist'], 'distribution')).toBe(false);
  });

  it('the runtime stage has ip and the addon where src/tun/addon.ts looks (../../build/Release from dist/tun)', () => {
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    expect(runtime).toContain(' iproute2');
    const addon = readFileSync(join(REPO_ROOT, 'src/tun/addon.ts'), 'utf8');
    expect(addon).toContain("'../../build/Release/pqvpn_tun.node'");
    const fromBuild = copies(runtime).filter((c) => c.from === 'build');
    expect(fromBuild.map((c) => c.dest)).toEqual(
      expect.arrayContaining(['dist/', 'bin/', 'node_modules/', 'build/Release/pqvpn_tun.node']),
    );
    expect(runtime).toMatch(/^ENTRYPOINT \["pqvpn"\]$/m);
    expect(runtime).toMatch(/^STOPSIGNAL SIGTERM$/m);
  });
});

/** The block of one top-level compose service, by indentation. */
function serviceBlock(name: string): string {
  const start = compose.indexOf(`\n  ${name}:\n`);
  expect(start, `service ${name}`).toBeGreaterThan(-1);
  const rest = compose.slice(start + 1);
  const end = rest.slice(1).search(/\n {2}\S|\n\S/);
  return end === -1 ? rest : rest.slice(0, end + 1);
}

describe('compose.yaml (line-based)', () => {
  it('is plain block YAML: two-space indents, no tabs, no anchors or flow mappings', () => {
    for (const [i, line] of compose.split('\n').entries()) {
      expect(line, `line ${i + 1}`).not.toMatch(/\t/);
      expect((/^ */.exec(line)?.[0].length ?? 0) % 2, `line ${i + 1}`).toBe(0);
      expect(line, `line ${i + 1}`).not.toMatch(/[&*]\w|^\s*[^#]*:\s*\{/);
    }
    expect(compose).toMatch(/^services:$/m);
  });

  it('pki makes the throwaway PKI with make-pki.sh; server and client wait for it', () => {
    const pki = serviceBlock('pki');
    expect(pki).toContain('"/conf/make-pki.sh"');
    expect(pki).toContain('- ./make-pki.sh:/conf/make-pki.sh:ro');
    expect(serviceBlock('server')).toMatch(/pki:\n\s+condition: service_completed_successfully/);
  });

  for (const role of ['server', 'client'] as const) {
    it(`${role}: the image, its config, NET_ADMIN and /dev/net/tun, the PKI read-only`, () => {
      const block = serviceBlock(role);
      expect(block).toContain('dockerfile: packaging/docker/Dockerfile');
      expect(block).toContain('context: ../..');
      expect(block).toContain(`command: ["${role}", "--config", "/conf/${role}.conf"]`);
      expect(block).toContain(`- ./${role}.conf:/conf/${role}.conf:ro`);
      expect(block).toMatch(/cap_add:\n\s+- NET_ADMIN\n/);
      expect(block).toMatch(/devices:\n\s+- \/dev\/net\/tun:\/dev\/net\/tun\n/);
      expect(block).toContain('- pki:/pki:ro');
      expect(block).toContain('stop_signal: SIGTERM');
    });
  }

  it("the client's healthcheck pings the server's tunnel address from server.conf", () => {
    const server = readFileSync(join(DOCKER, 'server.conf'), 'utf8');
    const net = /^server (\d+)\.(\d+)\.(\d+)\.0 255\.255\.255\.0$/m.exec(server);
    expect(net).not.toBeNull();
    const serverTunnelAddress = `${net?.[1]}.${net?.[2]}.${net?.[3]}.1`;
    expect(serviceBlock('client')).toContain(
      `test: ["CMD", "ping", "-c", "1", "-W", "2", "${serverTunnelAddress}"]`,
    );
    expect(readFileSync(join(DOCKER, 'client.conf'), 'utf8')).toMatch(/^remote server 1194$/m);
    expect(dockerfile).toContain(' iputils-ping');
  });

  it('every ./file a service mounts exists beside compose.yaml', () => {
    const mounts = [...compose.matchAll(/^\s+- \.\/([^:]+):/gm)].map((m) => m[1] ?? '');
    expect(mounts.length).toBeGreaterThan(0);
    for (const m of mounts) expect(existsSync(join(DOCKER, m)), m).toBe(true);
  });
});

describe('the compose PKI and configs, run here', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pqvpn-compose-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('make-pki.sh makes a PKI, then leaves it alone; config check accepts both configs with it', async () => {
    // `pqvpn` on PATH runs the TypeScript sources, as test/e2e does.
    mkdirSync(join(dir, 'bin'));
    const shim = join(dir, 'bin', 'pqvpn');
    const loader = join(REPO_ROOT, 'test/e2e/register-cached-ts.mjs');
    const entry = join(REPO_ROOT, 'test/support/cli-entry.ts');
    writeFileSync(shim, `#!/bin/sh\nexec "${process.execPath}" --import "${loader}" "${entry}" "$@"\n`);
    chmodSync(shim, 0o755);
    const env = { ...process.env, PATH: `${join(dir, 'bin')}:${process.env.PATH ?? ''}` };
    const pki = join(dir, 'pki');
    const make = () =>
      spawnSync('sh', [join(DOCKER, 'make-pki.sh'), pki], { env, encoding: 'utf8', timeout: 60_000 });
    const first = make();
    expect(first.status, first.stderr).toBe(0);
    const key = readFileSync(join(pki, 'tls-crypt.key'), 'utf8');
    const again = make();
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toContain('PKI already in');
    expect(readFileSync(join(pki, 'tls-crypt.key'), 'utf8')).toBe(key);

    for (const role of ['server', 'client'] as const) {
      const conf = join(dir, `${role}.conf`);
      writeFileSync(conf, readFileSync(join(DOCKER, `${role}.conf`), 'utf8').replaceAll('/pki/', `${pki}/`));
      const io = memoryIO();
      const code = await run(['config', 'check', conf], io);
      expect(code, io.err.join('\n')).toBe(0);
      expect([...io.out, ...io.err].join('\n')).toContain(`valid ${role} config`);
    }
  }, 60_000);
});

const composeCli = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' });
const noCompose =
  composeCli.error !== undefined
    ? 'the docker client is not installed'
    : composeCli.status !== 0
      ? 'the docker compose plugin is not installed'
      : '';

describe.skipIf(noCompose !== '')(`docker compose config ${noCompose}`, () => {
  it('accepts compose.yaml', () => {
    const r = spawnSync('docker', ['compose', '-f', join(DOCKER, 'compose.yaml'), 'config', '--quiet'], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(r.status, r.stderr).toBe(0);
  });
});
