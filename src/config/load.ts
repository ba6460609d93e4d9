/**
 * Reading a config from disk: the only I/O in the config module besides the
 * `FileChecker`. `loadConfigFile` is what `pqvpn server|client --config FILE`
 * and `pqvpn config check` use; everything underneath is pure and also works
 * on text from elsewhere (`parseConfigText` + `buildConfig`).
 * @module
 */

import { readFile, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { ConfigError } from '../errors.js';
import { type BuildOptions, type BuildResult, buildConfig, InvalidConfigError } from './build.js';
import { splitOverrides } from './overrides.js';
import { type ConfigSource, type ParsedConfig, parseConfigText } from './tokenizer.js';

/** Config files larger than this are refused (a config with inline keys is a few tens of KiB). */
export const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

export type LoadOptions = Omit<BuildOptions, 'overrides'>;

/** Reads and parses a config file; relative paths in it are resolved against its folder. */
export async function readConfigFile(path: string): Promise<ParsedConfig> {
  const source: ConfigSource = { file: path, dir: dirname(resolve(path)) };
  const fail = (code: string, message: string): never => {
    throw new InvalidConfigError([new ConfigError(code, message, { file: path, line: 0 })], []);
  };
  let bytes: Buffer;
  try {
    const info = await stat(path);
    if (!info.isFile()) return fail('CONFIG_NOT_A_FILE', 'is not a regular file');
    if (info.size > MAX_CONFIG_BYTES)
      return fail('CONFIG_TOO_LARGE', `is larger than ${MAX_CONFIG_BYTES} bytes`);
    bytes = await readFile(path);
  } catch (e) {
    if (e instanceof InvalidConfigError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    return fail(
      code === 'ENOENT' ? 'CONFIG_FILE_MISSING' : 'CONFIG_READ_FAILED',
      code === 'ENOENT' ? 'no such file' : `cannot be read (${code ?? String(e)})`,
    );
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return fail('CONFIG_NOT_UTF8', 'is not UTF-8 text');
  }
  return parseConfigText(text, source);
}

/**
 * Loads a server or client config with command-line overrides
 * (`['--verb', '4']`, see `splitOverrides`). Throws `InvalidConfigError` listing
 * every problem, or `UsageError` for malformed overrides.
 */
export async function loadConfigFile(
  path: string,
  overrides: readonly string[] = [],
  options: LoadOptions = {},
): Promise<BuildResult> {
  const extra = splitOverrides(overrides);
  const parsed = await readConfigFile(path);
  return buildConfig(parsed, { ...options, overrides: extra });
}
