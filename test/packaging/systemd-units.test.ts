/**
 * packaging/systemd: the two unit templates are linted against what pqvpn does
 * (unit-lint.ts), the example configs' file paths are checked against what the
 * sandbox leaves writable, and — when this machine has it — `systemd-analyze
 * verify` and `systemd-analyze security --offline` read the real files.
 * No root, no running systemd.
 * @module
 */

import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, posix } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import { REPO_ROOT } from '../support/run-ts.js';
import { isWritable, type LintOptions, lintUnit, parseUnit, value, writablePaths } from './unit-lint.js';

const BIN = '/usr/local/bin/pqvpn';
const ROLES = ['server', 'client'] as const;
type Role = (typeof ROLES)[number];

const unitPath = (role: Role) => join(REPO_ROOT, 'packaging/systemd', `pqvpn-${role}@.service`);
const unitText = (role: Role) => readFileSync(unitPath(role), 'utf8');
const options = (role: Role): LintOptions => ({ role, bin: BIN, usageExitCode: ExitCode.usage });
const codesOf = (role: Role, text: string) => lintUnit(parseUnit(text), options(role)).map((p) => p.code);

describe('unit files', () => {
  for (const role of ROLES) {
    it(`pqvpn-${role}@.service has every required setting and no contradiction`, () => {
      expect(lintUnit(parseUnit(unitText(role)), options(role))).toEqual([]);
    });
  }

  it('the client gets no CAP_NET_BIND_SERVICE (nobind), the server may bind port 443', () => {
    expect(value(parseUnit(unitText('client')), 'Service', 'CapabilityBoundingSet')).toBe('CAP_NET_ADMIN');
    expect(value(parseUnit(unitText('server')), 'Service', 'CapabilityBoundingSet')).toContain(
      'CAP_NET_BIND_SERVICE',
    );
  });

  it('the parser follows systemd: continuations join, an empty assignment resets a list', () => {
    const unit = parseUnit(
      '[Service]\nDeviceAllow=/dev/null rw\nDeviceAllow=\nDeviceAllow=/dev/net/tun \\\n  rw\n',
    );
    expect(unit.get('Service')?.get('DeviceAllow')).toEqual(['/dev/net/tun rw']);
    expect(() => parseUnit('Key=outside a section\n')).toThrow(/not a Key=Value/);
  });
});

describe('the linter rejects what would break pqvpn', () => {
  const server = unitText('server');
  const cases: [string, (t: string) => string, string][] = [
    [
      'CAP_NET_ADMIN dropped',
      (t) => t.replace(/^CapabilityBoundingSet=.*$/m, 'CapabilityBoundingSet=CAP_NET_BIND_SERVICE'),
      'MISSING_CAP_NET_ADMIN',
    ],
    [
      'a capability too many',
      (t) => t.replace(/^CapabilityBoundingSet=.*$/m, '$& CAP_SYS_ADMIN'),
      'EXTRA_CAPABILITY',
    ],
    ['no bounding set', (t) => t.replace(/^CapabilityBoundingSet=.*$/m, ''), 'CAPS_NOT_BOUNDED'],
    ['TUN not allowed', (t) => t.replace(/^DeviceAllow=.*$/m, 'DeviceAllow=/dev/null rw'), 'TUN_NOT_ALLOWED'],
    ['PrivateDevices=yes', (t) => `${t}\n[Service]\nPrivateDevices=yes\n`, 'TUN_HIDDEN'],
    ['MemoryDenyWriteExecute=yes', (t) => `${t}\n[Service]\nMemoryDenyWriteExecute=yes\n`, 'JIT_FORBIDDEN'],
    ['PrivateNetwork=yes', (t) => `${t}\n[Service]\nPrivateNetwork=yes\n`, 'NETWORK_HIDDEN'],
    ['LimitNPROC as root', (t) => `${t}\n[Service]\nLimitNPROC=10\n`, 'NPROC_FOR_ROOT'],
    ['no TasksMax', (t) => t.replace(/^TasksMax=.*$/m, ''), 'NO_TASKS_MAX'],
    ['no netlink for ip', (t) => t.replace(' AF_NETLINK', ''), 'MISSING_ADDRESS_FAMILY'],
    [
      'a deny list of families',
      (t) => t.replace('RestrictAddressFamilies=', 'RestrictAddressFamilies=~'),
      'FAMILIES_DENY_LIST',
    ],
    ['Type=notify', (t) => t.replace('Type=exec', 'Type=notify'), 'BAD_TYPE'],
    ['another binary', (t) => t.replace(`ExecStart=${BIN}`, 'ExecStart=/usr/bin/openvpn'), 'BAD_EXECSTART'],
    ['the client command', (t) => t.replace(`${BIN} server`, `${BIN} client`), 'BAD_EXECSTART'],
    ['another config path', (t) => t.replace('/etc/pqvpn/server/%i.conf', '%i.conf'), 'BAD_EXECSTART'],
    ['two ExecStart lines', (t) => t.replace(/^ExecStart=.*$/m, '$&\nExecStart=/bin/true'), 'BAD_EXECSTART'],
    ['Restart=always', (t) => t.replace('Restart=on-failure', 'Restart=always'), 'BAD_RESTART'],
    [
      'config errors retried',
      (t) => t.replace(/^RestartPreventExitStatus=.*$/m, ''),
      'RESTARTS_CONFIG_ERRORS',
    ],
    ['SIGKILL to stop', (t) => t.replace('KillSignal=SIGTERM', 'KillSignal=SIGKILL'), 'BAD_KILL_SIGNAL'],
    [
      'ProtectSystem=full',
      (t) => t.replace('ProtectSystem=strict', 'ProtectSystem=full'),
      'WEAK_PROTECT_SYSTEM',
    ],
    [
      'NoNewPrivileges off',
      (t) => t.replace('NoNewPrivileges=yes', 'NoNewPrivileges=no'),
      'MISSING_HARDENING',
    ],
    ['no Description', (t) => t.replace(/^Description=.*$/m, ''), 'MISSING_DESCRIPTION'],
    ['no [Install]', (t) => t.replace(/^WantedBy=.*$/m, ''), 'MISSING_INSTALL'],
  ];
  for (const [name, mutate, code] of cases) {
    it(`${name} → ${code}`, () => {
      const broken = mutate(server);
      expect(broken).not.toBe(server);
      expect(codesOf('server', broken)).toContain(code);
    });
  }
});

/** `status`, `log`, `log-append` and `ifconfig-pool-persist` paths in configs/*.ovpn, commented examples included. */
function exampleWritePaths(): { file: string; role: Role; directive: string; path: string }[] {
  const dir = join(REPO_ROOT, 'configs');
  const found: { file: string; role: Role; directive: string; path: string }[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.ovpn'))) {
    const text = readFileSync(join(dir, file), 'utf8');
    const role: Role = /^client\s*$/m.test(text) ? 'client' : 'server';
    for (const m of text.matchAll(/^;?\s*(status|log|log-append|ifconfig-pool-persist)\s+(\S+)/gm)) {
      if (m[1] !== undefined && m[2] !== undefined) found.push({ file, role, directive: m[1], path: m[2] });
    }
  }
  return found;
}

describe('files pqvpn writes, under ProtectSystem=strict', () => {
  const examples = exampleWritePaths();

  it('the example configs name status, log and pool files (else this check checks nothing)', () => {
    expect(examples.some((e) => e.directive === 'status' && isAbsolute(e.path))).toBe(true);
    expect(examples.some((e) => e.directive === 'ifconfig-pool-persist')).toBe(true);
  });

  it('every absolute status/log path of the examples is writable under its unit', () => {
    for (const e of examples.filter((x) => isAbsolute(x.path))) {
      expect(isWritable(parseUnit(unitText(e.role)), e.path), `${e.file}: ${e.directive} ${e.path}`).toBe(
        true,
      );
    }
  });

  it('a relative pool file would land in the read-only config directory, so DEPLOY.md moves it', () => {
    const deploy = readFileSync(join(REPO_ROOT, 'docs/DEPLOY.md'), 'utf8');
    const unit = parseUnit(unitText('server'));
    for (const e of examples.filter((x) => !isAbsolute(x.path))) {
      expect(isWritable(unit, posix.join('/etc/pqvpn/server', e.path)), `${e.file}: ${e.path}`).toBe(false);
    }
    expect(writablePaths(unit)).toContain('/var/lib/pqvpn');
    expect(deploy).toMatch(/^ifconfig-pool-persist \/var\/lib\/pqvpn\/\S+/m);
  });
});

const analyze = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
const noAnalyze = analyze.status !== 0 ? 'systemd-analyze is not installed (apt-get install systemd)' : '';

describe.skipIf(noAnalyze !== '')(`systemd-analyze ${noAnalyze}`, () => {
  // `verify` insists that ExecStart's binary exists: copy the units next to a stand-in
  // executable and point ExecStart at it; nothing else in the file changes.
  const dir = mkdtempSync(join(tmpdir(), 'pqvpn-units-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const standIn = join(dir, 'pqvpn');
  writeFileSync(standIn, '#!/bin/sh\nexit 0\n');
  chmodSync(standIn, 0o755);
  const copy = (role: Role, text = unitText(role), name = `pqvpn-${role}@.service`) => {
    expect(text).toContain(`ExecStart=${BIN} `);
    writeFileSync(join(dir, name), text.replace(`ExecStart=${BIN} `, `ExecStart=${standIn} `));
    return join(dir, name);
  };
  const verify = (path: string) =>
    spawnSync('systemd-analyze', ['verify', '--man=no', path.replace('@.service', '@test.service')], {
      encoding: 'utf8',
      timeout: 20_000,
    });

  for (const role of ROLES) {
    it(`verify pqvpn-${role}@test.service: no warning at all`, () => {
      const r = verify(copy(role));
      expect(r.stderr + r.stdout).toBe('');
      expect(r.status).toBe(0);
    });

    it(`security --offline: pqvpn-${role}@ exposure at most 3.0 of 10`, () => {
      const r = spawnSync(
        'systemd-analyze',
        ['security', '--offline=true', '--threshold=30', '--no-pager', copy(role)],
        { encoding: 'utf8', timeout: 20_000 },
      );
      expect(r.status, r.stdout.split('\n').slice(-3).join('\n')).toBe(0);
    });
  }

  it('verify does report a misspelt key (so an empty output above means something)', () => {
    const r = verify(
      copy('server', unitText('server').replace('ProtectKernelLogs=', 'ProtectKernelLog='), 'typo@.service'),
    );
    expect(r.stderr + r.stdout).toMatch(/Unknown key 'ProtectKernelLog'/);
  });
});
