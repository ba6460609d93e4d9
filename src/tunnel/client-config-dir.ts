/**
 * `client-config-dir DIR`: per-client settings read when a client has been
 * authenticated, from the file named by its common name (or username with
 * `username-as-common-name`): a fixed address (`ifconfig-push`,
 * `ifconfig-ipv6-push`), networks behind the client (`iroute`,
 * `iroute-ipv6`), push changes (`push`, `push-reset`, `push-remove`), or
 * `disable`. With `ccd-exclusive`, a client without a file is refused.
 *
 * As OpenVPN, the file is read at each connection (edits apply to the next
 * one). Names that cannot be a file name in DIR (a '/', '..', control or
 * other unusual characters) are never looked up: such a client has no file —
 * and is refused under `ccd-exclusive`.
 * @module
 */

import { join } from 'node:path';
import { buildClientConfigDirFile, type ClientConfigDirFile } from '../config/ccd.js';
import { readConfigFile } from '../config/load.js';
import type { PushedOption, ServerConfig } from '../config/model.js';
import { ConfigErrors } from '../errors.js';

export type ClientConfigDirResult =
  | { readonly kind: 'none' }
  | { readonly kind: 'file'; readonly path: string; readonly file: ClientConfigDirFile }
  | { readonly kind: 'refuse'; readonly reason: string };

/** Letters, digits and `._@-`, as OpenVPN allows in a client-config-dir file name; not `.` or `..`. */
const SAFE_NAME = /^[A-Za-z0-9_@.-]{1,255}$/;

export async function readClientConfigDir(
  config: Pick<ServerConfig, 'clientConfigDir' | 'ccdExclusive'>,
  name: string,
): Promise<ClientConfigDirResult> {
  const dir = config.clientConfigDir;
  if (dir === undefined) return { kind: 'none' };
  const missing = (why: string): ClientConfigDirResult =>
    config.ccdExclusive ? { kind: 'refuse', reason: `ccd-exclusive: ${why}` } : { kind: 'none' };
  if (!SAFE_NAME.test(name) || name === '.' || name === '..')
    return missing('the name cannot be a client-config-dir file name');
  const path = join(dir, name);
  let file: ClientConfigDirFile;
  try {
    file = buildClientConfigDirFile(await readConfigFile(path));
  } catch (error) {
    if (error instanceof ConfigErrors) {
      if (error.errors.every((e) => e.code === 'CONFIG_FILE_MISSING')) return missing(`no file ${path}`);
      // A broken file must not silently drop a `disable` or a fixed address: refuse, and say why in the log.
      return { kind: 'refuse', reason: `${path} is invalid: ${error.message}` };
    }
    throw error;
  }
  if (file.disable) return { kind: 'refuse', reason: `disabled in ${path}` };
  return { kind: 'file', path, file };
}

/** The server's push list after a client's `push-reset`, `push-remove` and `push` lines. */
export function pushFor(
  base: readonly PushedOption[],
  file: ClientConfigDirFile | undefined,
): readonly PushedOption[] {
  if (!file) return base;
  let out = file.pushReset ? [] : [...base];
  // OpenVPN's push-remove matches option names and text by substring.
  for (const text of file.pushRemove) out = out.filter((o) => !o.text.includes(text));
  return [...out, ...file.push];
}
