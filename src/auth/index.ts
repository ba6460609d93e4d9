/**
 * Server-side password authentication (docs/AUTH.md).
 *
 * `createAuthenticator(config)` picks the implementation the config asks for:
 * `passdb FILE` → src/auth/passdb-authenticator.ts, `auth-user-pass-verify
 * SCRIPT via-file|via-env` → src/auth/script-authenticator.ts, neither →
 * undefined (certificate-only server). The driver calls `authenticate` on
 * each `auth-needed` event and answers the session with `authResult`.
 * @module
 */

import type { ServerConfig } from '../config/model.js';
import type { Logger } from '../log.js';
import { type LoadPassdbOptions, loadPassdb } from '../passdb/index.js';
import type { Authenticator } from './authenticator.js';
import { createPassdbAuthenticator } from './passdb-authenticator.js';
import { createScriptAuthenticator } from './script-authenticator.js';

export {
  type Authenticator,
  type AuthOutcome,
  type AuthRequest,
  effectiveCommonName,
} from './authenticator.js';
export { createPassdbAuthenticator } from './passdb-authenticator.js';
export { runScript, type ScriptResult, type ScriptRun } from './run-script.js';
export {
  createScriptAuthenticator,
  DEFAULT_SCRIPT_TIMEOUT_MS,
  type ScriptAuthenticatorOptions,
  ScriptSecurityError,
} from './script-authenticator.js';

export interface CreateAuthenticatorOptions {
  readonly logger?: Logger;
  /** passdb: scrypt limits and function (tests use cheap ones). */
  readonly passdb?: Omit<LoadPassdbOptions, 'logger'>;
  /** auth-user-pass-verify: how long a script may take. */
  readonly scriptTimeoutMs?: number;
  /** The actual tun device name for the scripts' `dev` (default: the config's `dev`). */
  readonly dev?: string;
}

/**
 * The authenticator for `config`, or undefined when it checks no passwords.
 * Throws if the password database cannot be loaded (`PASSDB_*`) or the
 * script-security level forbids the script (`AUTH_SCRIPT_SECURITY`).
 */
export async function createAuthenticator(
  config: ServerConfig,
  options: CreateAuthenticatorOptions = {},
): Promise<Authenticator | undefined> {
  if (config.passdb !== undefined) {
    const db = await loadPassdb(config.passdb, {
      ...options.passdb,
      ...(options.logger ? { logger: options.logger } : {}),
    });
    return createPassdbAuthenticator(db);
  }
  const verify = config.authUserPassVerify;
  if (verify !== undefined) {
    return createScriptAuthenticator({
      command: verify.command,
      method: verify.method,
      scriptSecurity: config.scriptSecurity,
      env: scriptEnvironment(config, options.dev),
      ...(config.tmpDir !== undefined ? { tmpDir: config.tmpDir } : {}),
      ...(options.scriptTimeoutMs !== undefined ? { timeoutMs: options.scriptTimeoutMs } : {}),
    });
  }
  return undefined;
}

/**
 * The variables OpenVPN sets at start-up (options.c `setenv_settings`) that
 * pqvpn knows, plus the config's `setenv` lines: the base environment of every
 * script run.
 */
export function scriptEnvironment(config: ServerConfig, dev = config.dev): Record<string, string> {
  const env: Record<string, string> = {
    config: config.source.file,
    verb: String(config.verb),
    daemon: '0',
    daemon_log_redirect: config.log ? '1' : '0',
    daemon_start_time: String(Math.floor(Date.now() / 1000)),
    daemon_pid: String(process.pid),
    proto_1: config.proto,
    local_port_1: String(config.lport),
    dev,
    tun_mtu: String(config.tunMtu),
  };
  if (config.local !== undefined) env.local_1 = config.local;
  for (const { name, value } of config.setenv) env[name] = value;
  return env;
}
