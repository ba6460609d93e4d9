/**
 * Shared set-up for config tests: an in-memory /etc/pqvpn holding the usual key
 * files, and shortcuts that build a config from text and return its errors.
 * @module
 */
import {
  type BuildOptions,
  type BuildResult,
  buildConfig,
  InvalidConfigError,
} from '../../src/config/build.js';
import { type FileStat, memoryFileChecker } from '../../src/config/files.js';
import type { ClientConfig, ConfigWarning, ServerConfig } from '../../src/config/model.js';
import { parseConfigText } from '../../src/config/tokenizer.js';
import type { ConfigError } from '../../src/errors.js';

export const DIR = '/etc/pqvpn';
export const FILE = '/etc/pqvpn/test.ovpn';

export const FILES: Record<string, Partial<FileStat>> = {
  '/etc/pqvpn': { type: 'directory' },
  '/etc/pqvpn/ccd': { type: 'directory' },
  '/etc/pqvpn/keys': { type: 'directory' },
  '/etc/pqvpn/test.ovpn': { mode: 0o600 },
  '/etc/pqvpn/ca.crt': { mode: 0o644 },
  '/etc/pqvpn/server.crt': { mode: 0o644 },
  '/etc/pqvpn/server.key': { mode: 0o600 },
  '/etc/pqvpn/client.crt': { mode: 0o644 },
  '/etc/pqvpn/client.key': { mode: 0o600 },
  '/etc/pqvpn/keys/ca.crt': { mode: 0o644 },
  '/etc/pqvpn/ta.key': { mode: 0o600 },
  '/etc/pqvpn/passdb': { mode: 0o600 },
  '/etc/pqvpn/psk.key': { mode: 0o600 },
  '/etc/pqvpn/crl.pem': { mode: 0o644 },
  '/etc/pqvpn/up.sh': { mode: 0o755 },
  '/etc/pqvpn/plugin.mjs': { mode: 0o644 },
  '/etc/pqvpn/kme-ca.crt': { mode: 0o644 },
  '/etc/pqvpn/kme.crt': { mode: 0o644 },
  '/etc/pqvpn/kme.key': { mode: 0o600 },
  '/var/log': { type: 'directory' },
};

export const files = memoryFileChecker(FILES);

export const SERVER = 'server 10.8.0.0 255.255.255.0\nca ca.crt\ncert server.crt\nkey server.key\n';
export const CLIENT = 'client\nremote vpn.example.com\nca ca.crt\ncert client.crt\nkey client.key\n';

export function build(text: string, options: BuildOptions = {}): BuildResult {
  return buildConfig(parseConfigText(text, { file: FILE, dir: DIR }), { files, ...options });
}

export function server(text: string, options: BuildOptions = {}): ServerConfig {
  const { config } = build(SERVER + text, options);
  if (config.mode !== 'server') throw new Error('expected a server config');
  return config;
}

export function client(text: string, options: BuildOptions = {}): ClientConfig {
  const { config } = build(CLIENT + text, options);
  if (config.mode !== 'client') throw new Error('expected a client config');
  return config;
}

/** The errors and warnings building `text` produces (errors empty when it builds). */
export function problems(
  text: string,
  options: BuildOptions = {},
): { errors: ConfigError[]; warnings: ConfigWarning[] } {
  try {
    return { errors: [], warnings: [...build(text, options).warnings] };
  } catch (e) {
    if (e instanceof InvalidConfigError) return { errors: [...e.errors], warnings: [...e.warnings] };
    throw e;
  }
}

export function errorCodes(text: string, options: BuildOptions = {}): string[] {
  return problems(text, options).errors.map((e) => e.code);
}

export function warningCodes(text: string, options: BuildOptions = {}): string[] {
  return problems(text, options).warnings.map((w) => w.code);
}
