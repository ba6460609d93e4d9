/**
 * pqvpn configuration: OpenVPN-style `.ovpn` files parsed into a typed,
 * validated `ServerConfig | ClientConfig`.
 *
 * Layers, each usable alone:
 * - `parseConfigText(text, { file, dir })` — syntax only (pure);
 * - `buildConfig(parsed, { files, overrides, checkFiles })` — the directive
 *   table, values, mode and combination checks, defaults (file system only
 *   through the injected `FileChecker`);
 * - `loadConfigFile(path, overrides)` — reads the file and does both;
 * - `formatEffectiveConfig(config)` — the result as directive lines, no secrets.
 *
 * docs/CONFIG.md lists every directive with its status and reason.
 * @module
 */

export { type BuildOptions, type BuildResult, buildConfig, InvalidConfigError } from './build.js';
export { buildClientConfigDirFile, type ClientConfigDirFile } from './ccd.js';
export type { DirectiveContext, DirectiveSpec, DirectiveStatus } from './directive.js';
export { type FileChecker, type FileStat, memoryFileChecker, nodeFileChecker } from './files.js';
export { formatEffectiveConfig, formatWarning } from './format.js';
export { type LoadOptions, loadConfigFile, MAX_CONFIG_BYTES, readConfigFile } from './load.js';
export * from './model.js';
export { COMMAND_LINE, splitOverrides } from './overrides.js';
export { DIRECTIVES, directiveNames, directiveSpec } from './table.js';
export {
  type ConfigSource,
  type ParsedConfig,
  parseConfigText,
  type RawDirective,
  splitLine,
} from './tokenizer.js';
