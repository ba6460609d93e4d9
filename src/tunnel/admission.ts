/**
 * Who gets in, and with what: the server's answer to `auth-needed`, apart
 * from the driver's bookkeeping.
 *
 * 1. `authorize` (asynchronous): the authenticator (passdb, script, or
 *    certificate only), then the client's client-config-dir file, which may
 *    refuse it (`disable`, `ccd-exclusive`, a broken file). The password is
 *    wiped whatever happens.
 * 2. `allocate` (synchronous, so nothing changes between the check that the
 *    session still exists and the lease): a fixed address from the file or
 *    one from the pool; a full pool is "retry later", not a refusal.
 * 3. `pushOptionsFor` and `networksOf`: what the client is told, and which
 *    networks behind it (iroutes) are routed to it.
 * @module
 */

import { isIP } from 'node:net';
import type { ClientConfigDirFile } from '../config/ccd.js';
import type { ServerConfig } from '../config/model.js';
import type { AcquireResult, AddressPool, Lease } from './address-pool.js';
import { pushFor, readClientConfigDir } from './client-config-dir.js';
import { netmaskToPrefix } from './ip.js';
import { buildPushOptions } from './push-options.js';
import type { RoutedNetwork } from './routing.js';
import type { Authenticate } from './seams.js';
import { printable } from './text.js';

export interface AuthNeeded {
  readonly commonName?: string;
  readonly username?: string;
  readonly password?: Uint8Array;
  /** 'ip:port' */
  readonly address: string;
}

export type Authorization =
  | { readonly ok: false; readonly reason: string }
  | {
      readonly ok: true;
      /** The name the pool, ccd and logs know the client by. */
      readonly name: string;
      readonly file?: ClientConfigDirFile;
      /** Where `file` came from, and its warnings, for the log. */
      readonly notes: readonly string[];
    };

/** CN/username as a log shows it ('cn/user' when both). */
export function describeClient(e: Pick<AuthNeeded, 'commonName' | 'username'>): string {
  return e.username !== undefined && e.commonName !== undefined
    ? `${printable(e.commonName)}/${printable(e.username)}`
    : printable(e.commonName ?? e.username ?? '?');
}

export async function authorize(
  config: Pick<ServerConfig, 'usernameAsCommonName' | 'clientConfigDir' | 'ccdExclusive'>,
  authenticate: Authenticate,
  e: AuthNeeded,
): Promise<Authorization> {
  let decision: Awaited<ReturnType<Authenticate>>;
  try {
    decision = await authenticate({
      ...(e.commonName !== undefined ? { commonName: e.commonName } : {}),
      ...(e.username !== undefined ? { username: e.username } : {}),
      ...(e.password !== undefined ? { password: e.password } : {}),
      address: e.address,
    });
  } catch (error) {
    decision = { ok: false, reason: `authenticator failed: ${(error as Error).message}` };
  } finally {
    e.password?.fill(0);
  }
  if (!decision.ok) return decision;
  const name = (config.usernameAsCommonName ? e.username : undefined) ?? e.commonName ?? e.username ?? '';
  let ccd: Awaited<ReturnType<typeof readClientConfigDir>>;
  try {
    ccd = await readClientConfigDir(config, name);
  } catch (error) {
    return { ok: false, reason: `client-config-dir: ${(error as Error).message}` };
  }
  if (ccd.kind === 'refuse') return { ok: false, reason: ccd.reason };
  if (ccd.kind === 'none') return { ok: true, name, notes: [] };
  const notes = [
    `client-config-dir ${ccd.path}`,
    ...ccd.file.warnings.map((w) => `${ccd.path}: ${w.message}`),
  ];
  return { ok: true, name, file: ccd.file, notes };
}

/** A fixed address from the client's file, or one from the pool. */
export function allocate(
  pool: AddressPool,
  session: string,
  name: string,
  file: ClientConfigDirFile | undefined,
): AcquireResult {
  const fixed = file?.ifconfigPush;
  if (!fixed) return pool.acquire(session, name);
  return pool.acquireFixed(session, name, {
    ipv4: fixed.local,
    netmask: fixed.netmask,
    ...(file?.ifconfigIpv6Push ? { ipv6: file.ifconfigIpv6Push } : {}),
  });
}

export function pushOptionsFor(
  config: Pick<ServerConfig, 'push'>,
  pool: AddressPool,
  lease: Lease,
  file: ClientConfigDirFile | undefined,
): string[] {
  return buildPushOptions({ push: pushFor(config.push, file) }, pool, lease);
}

/** The networks behind the client (iroute, iroute-ipv6). Keywords mean nothing in an iroute and are skipped. */
export function networksOf(file: ClientConfigDirFile | undefined): RoutedNetwork[] {
  if (!file) return [];
  return [
    ...file.iroutes
      .filter((r) => isIP(r.network) === 4)
      .map((r) => ({ family: 4 as const, network: r.network, prefixLength: netmaskToPrefix(r.netmask) })),
    ...file.iroutesIpv6.map((r) => ({
      family: 6 as const,
      network: r.network,
      prefixLength: r.prefixLength,
    })),
  ];
}
