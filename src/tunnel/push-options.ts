/**
 * The server's side of `push`: the options one client receives in its
 * ServerResult, built from the server config and the client's lease.
 *
 * In OpenVPN's order (push.c): the implied `topology subnet`,
 * `route-gateway` (the server's tunnel address), `ifconfig ADDRESS NETMASK`
 * and, with `server-ipv6`, `ifconfig-ipv6 ADDRESS/LEN SERVER6`; then the
 * config's own `push "…"` lines (already validated as client directives by
 * the config loader; client-config-dir may have changed the list, see
 * client-config-dir.ts) and `ping`/`ping-restart` implied by `keepalive`.
 * A fixed address (`ifconfig-push`) brings its own netmask.
 * Every option here is one pushed-options.ts accepts; a test checks the
 * round trip.
 * @module
 */

import type { PushedOption } from '../config/model.js';
import type { AddressPool, Lease } from './address-pool.js';

export function buildPushOptions(
  config: { readonly push: readonly PushedOption[] },
  pool: Pick<AddressPool, 'serverIpv4' | 'netmask' | 'serverIpv6' | 'ipv6PrefixLength'>,
  lease: Lease,
): string[] {
  const netmask = lease.fixed?.netmask ?? pool.netmask;
  const out = ['topology subnet', `route-gateway ${pool.serverIpv4}`, `ifconfig ${lease.ipv4} ${netmask}`];
  const prefix6 = lease.fixed?.ipv6PrefixLength ?? pool.ipv6PrefixLength;
  const remote6 = lease.fixed?.ipv6Remote ?? pool.serverIpv6;
  if (lease.ipv6 !== undefined && prefix6 !== undefined && remote6 !== undefined)
    out.push(`ifconfig-ipv6 ${lease.ipv6}/${prefix6} ${remote6}`);
  for (const option of config.push) out.push(option.text);
  return out;
}
