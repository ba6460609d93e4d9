/**
 * `auth-user-pass-verify SCRIPT via-file|via-env`: let an administrator's
 * script decide, with OpenVPN 2.6's conventions, so existing scripts work.
 *
 * - via-file: the username and the password are written to the first two
 *   lines of a new file (mode 0600, created exclusively, random name
 *   `pqvpn_up_<hex>.tmp`) in `tmp-dir` (default: $TMPDIR, else /tmp — as
 *   OpenVPN on POSIX), whose path is appended as the last argument. The file
 *   is deleted when the script ends, whatever the outcome. Needs
 *   `script-security 2`.
 * - via-env: the environment holds `username` and `password`. Needs
 *   `script-security 3` (other local users may be able to read a process's
 *   environment on some systems).
 * - Exit status 0 accepts; anything else rejects. Status 2 is OpenVPN's
 *   "deferred" answer (the script finishes later through
 *   `auth_control_file`), which pqvpn does not implement: it rejects, and the
 *   log says why.
 *
 * Environment (nothing is inherited from the server process; see
 * run-script.ts): `script_type=user-pass-verify`, `untrusted_ip` (or
 * `untrusted_ip6` for an IPv6 client), `untrusted_port`, `common_name` and
 * `X509_0_CN` when the client presented a certificate, `username` and
 * `password` (via-env only), and what OpenVPN sets at start-up and is known
 * before the tunnel exists for this client: `config`, `verb`, `daemon`,
 * `daemon_log_redirect`, `daemon_start_time`, `daemon_pid`, `proto_1`,
 * `local_1`, `local_port_1`, `dev`, `tun_mtu`, the config's `setenv`
 * variables, and `PATH` (a fixed system path). Not set: OpenVPN's
 * `tls_id_{n}`, `tls_serial_{n}`, `X509_{n}_*` beyond the CN (the handshake
 * hands the driver only the verified common name), `auth_control_file` and
 * friends (no deferred auth), `ifconfig_pool_*` (assigned after
 * authentication).
 *
 * Input hardening: OpenVPN remaps a username outside [A-Za-z0-9_.@-] and
 * non-printable password characters to '_' before calling the script. pqvpn
 * rejects such credentials instead (remapping makes 'a b' and 'a_b' the same
 * user), and accepts non-ASCII UTF-8 passwords, which OpenVPN would mangle.
 *
 * Limits: the script gets `timeoutMs` (default 30 s, inside the 60 s
 * hand-window) and is then killed with its process group; at most
 * `maxConcurrent` scripts run at once, further requests wait, and beyond
 * `maxQueued` waiting ones requests are rejected at once. The password is
 * never logged: the reason carries at most the first line of the script's
 * stderr, with any occurrence of the password replaced by `[redacted]`.
 * @module
 */

import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ScriptCommand } from '../config/model.js';
import { PqvpnError } from '../errors.js';
import type { Authenticator, AuthOutcome, AuthRequest } from './authenticator.js';
import { runScript, type ScriptResult } from './run-script.js';

export const DEFAULT_SCRIPT_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_CONCURRENT_SCRIPTS = 4;
export const DEFAULT_MAX_QUEUED_SCRIPTS = 64;
/** OpenVPN's username character set (auth-user-pass-verify in the 2.6 manual). */
const USERNAME = /^[A-Za-z0-9_.@-]+$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
const CONTROL = /[\u0000-\u001f\u007f]/;

export interface ScriptAuthenticatorOptions {
  readonly command: ScriptCommand;
  readonly method: 'via-file' | 'via-env';
  /** The config's `script-security` level; checked against the method. */
  readonly scriptSecurity: number;
  /** Where via-file writes its temporary file (`tmp-dir`). */
  readonly tmpDir?: string;
  /** Variables every run gets (see `scriptEnvironment`). */
  readonly env?: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
  readonly maxConcurrent?: number;
  readonly maxQueued?: number;
}

/** The configuration does not allow the script to run (`AUTH_SCRIPT_SECURITY`). */
export class ScriptSecurityError extends PqvpnError {
  constructor(message: string) {
    super('AUTH_SCRIPT_SECURITY', message);
  }
}

export function createScriptAuthenticator(options: ScriptAuthenticatorOptions): Authenticator {
  const needed = options.method === 'via-env' ? 3 : 2;
  if (options.scriptSecurity < needed)
    throw new ScriptSecurityError(
      `auth-user-pass-verify ${options.method} needs script-security ${needed} (it is ${options.scriptSecurity})`,
    );
  const timeoutMs = options.timeoutMs ?? DEFAULT_SCRIPT_TIMEOUT_MS;
  const gate = new Gate(
    options.maxConcurrent ?? DEFAULT_MAX_CONCURRENT_SCRIPTS,
    options.maxQueued ?? DEFAULT_MAX_QUEUED_SCRIPTS,
  );
  const script = options.command.argv[0] ?? options.command.line;

  return {
    async authenticate(request: AuthRequest): Promise<AuthOutcome> {
      const passwordBytes = request.password;
      try {
        const { username } = request;
        if (username === undefined || passwordBytes === undefined)
          return { ok: false, reason: 'no username or password sent' };
        if (!USERNAME.test(username))
          return {
            ok: false,
            reason: `username ${JSON.stringify(username.slice(0, 80)).replace(/[^\x20-\x7e]/g, '?')} has characters outside A-Z a-z 0-9 _ . @ -`,
          };
        let password: string;
        try {
          password = new TextDecoder('utf-8', { fatal: true }).decode(passwordBytes);
        } catch {
          return { ok: false, reason: `password of '${username}' is not UTF-8 text` };
        }
        if (CONTROL.test(password))
          return { ok: false, reason: `password of '${username}' contains control characters` };
        if (!gate.enter()) return { ok: false, reason: 'too many authentications waiting for the script' };
        try {
          await gate.turn();
          const result = await runOnce(request, username, password, passwordBytes);
          return interpret(result, script, username, password, timeoutMs);
        } finally {
          gate.leave();
        }
      } catch (error) {
        return {
          ok: false,
          reason: `auth-user-pass-verify failed: ${error instanceof Error ? error.message : String(error)}`,
        };
      } finally {
        passwordBytes?.fill(0);
      }
    },
  };

  async function runOnce(
    request: AuthRequest,
    username: string,
    password: string,
    passwordBytes: Uint8Array,
  ): Promise<ScriptResult> {
    const env: Record<string, string> = {
      ...options.env,
      script_type: 'user-pass-verify',
      [request.untrustedIp.includes(':') ? 'untrusted_ip6' : 'untrusted_ip']: request.untrustedIp,
      untrusted_port: String(request.untrustedPort),
    };
    if (request.commonName !== undefined) {
      env.common_name = request.commonName;
      env.X509_0_CN = request.commonName;
    }
    const run = { env, timeoutMs, argv: options.command.argv };
    if (options.method === 'via-env') {
      env.username = username;
      env.password = password;
      return runScript(run);
    }
    const path = join(options.tmpDir ?? tmpdir(), `pqvpn_up_${randomBytes(16).toString('hex')}.tmp`);
    const content = Buffer.concat([Buffer.from(`${username}\n`), passwordBytes, Buffer.from('\n')]);
    try {
      await fs.writeFile(path, content, { mode: 0o600, flag: 'wx' });
      return await runScript({ ...run, argv: [...options.command.argv, path] });
    } finally {
      content.fill(0);
      await fs.rm(path, { force: true });
    }
  }
}

function interpret(
  result: ScriptResult,
  script: string,
  username: string,
  password: string,
  timeoutMs: number,
): AuthOutcome {
  const said = (stderr: string) => {
    let line = stderr.split('\n').find((l) => l.trim() !== '') ?? '';
    if (password.length > 0) line = line.split(password).join('[redacted]');
    line = line.replace(/[^\x20-\x7e]/g, '?').slice(0, 200);
    return line ? `; it said: ${line}` : '';
  };
  switch (result.kind) {
    case 'exit':
      if (result.code === 0) return { ok: true, username };
      if (result.code === 2)
        return {
          ok: false,
          reason: `${script} asked to defer '${username}' (exit 2); deferred authentication is not supported, rejected${said(result.stderr)}`,
        };
      return {
        ok: false,
        reason: `${script} rejected '${username}' (exit ${result.code})${said(result.stderr)}`,
      };
    case 'signal':
      return {
        ok: false,
        reason: `${script} was killed by ${result.signal} checking '${username}'${said(result.stderr)}`,
      };
    case 'timeout':
      return {
        ok: false,
        reason: `${script} did not answer for '${username}' within ${timeoutMs} ms and was killed${said(result.stderr)}`,
      };
    case 'spawn-error':
      return { ok: false, reason: `cannot run ${script}: ${result.message}` };
  }
}

/** A counting semaphore with a bounded queue. */
class Gate {
  private running = 0;
  private waiting: (() => void)[] = [];
  private admitted = 0;
  private readonly max: number;
  private readonly maxQueued: number;
  constructor(max: number, maxQueued: number) {
    this.max = max;
    this.maxQueued = maxQueued;
  }
  /** Registers a request; false when too many are already waiting. */
  enter(): boolean {
    if (this.admitted - this.running >= this.maxQueued && this.running >= this.max) return false;
    this.admitted++;
    return true;
  }
  turn(): Promise<void> {
    if (this.running < this.max) {
      this.running++;
      return Promise.resolve();
    }
    return new Promise((resolve) =>
      this.waiting.push(() => {
        this.running++;
        resolve();
      }),
    );
  }
  leave(): void {
    this.admitted--;
    this.running--;
    this.waiting.shift()?.();
  }
}
