/**
 * `up` and `down` scripts with OpenVPN's arguments and environment, so
 * scripts written for OpenVPN (update-resolv-conf and the like) work
 * unchanged.
 *
 * As OpenVPN: the command line from the config plus `DEV TUN_MTU LINK_MTU
 * IFCONFIG_LOCAL IFCONFIG_NETMASK init|restart`; environment variables
 * `dev`, `dev_type`, `tun_mtu`, `link_mtu`, `script_type`, `script_context`,
 * `ifconfig_local`, `ifconfig_netmask`, `ifconfig_ipv6_local`,
 * `ifconfig_ipv6_netbits`, `ifconfig_ipv6_remote`, `route_vpn_gateway`,
 * `route_net_gateway`, `route_network_N`/`route_netmask_N`/`route_gateway_N`,
 * `route_ipv6_network_N`/`route_ipv6_gateway_N`, `foreign_option_N` (each
 * pushed `dhcp-option` as its full line), `trusted_ip`/`trusted_port`
 * (the server), `setenv`/pushed `setenv-safe` values, and `verb`, `config`,
 * `daemon=0`. Scripts run only with `script-security 2` or higher (the config
 * loader refuses a config that asks for them below that). They are started
 * with execFile — never a shell — and given a time limit; a failing `up`
 * script is fatal, as in OpenVPN.
 * @module
 */

import { execFile } from 'node:child_process';
import type { ClientConfig, ScriptCommand } from '../config/model.js';
import { PqvpnError } from '../errors.js';
import type { PushedPlan } from './pushed-options.js';

export const SCRIPT_TIMEOUT_MS = 30_000;

export class ScriptError extends PqvpnError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SCRIPT_FAILED', message, options);
  }
}

export interface ScriptContext {
  readonly type: 'up' | 'down';
  readonly restart: boolean;
  readonly dev: string;
  readonly tunMtu: number;
  readonly plan: PushedPlan;
  readonly server: { readonly address: string; readonly port: number };
  readonly netGateway?: string;
  readonly config: Pick<ClientConfig, 'verb' | 'setenv' | 'source' | 'routes' | 'routesIpv6'>;
}

/** The argument vector after the script's own words. */
export function scriptArguments(c: ScriptContext): string[] {
  const linkMtu = c.tunMtu + 28 + 28; // IPv4/UDP header + pqvpn data overhead (informational, as OpenVPN's)
  return [
    c.dev,
    String(c.tunMtu),
    String(linkMtu),
    c.plan.ifconfig.local,
    c.plan.ifconfig.netmask,
    c.restart ? 'restart' : 'init',
  ];
}

export function scriptEnvironment(c: ScriptContext): Record<string, string> {
  const p = c.plan;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
    script_type: c.type,
    script_context: c.restart ? 'restart' : 'init',
    dev: c.dev,
    dev_type: 'tun',
    tun_mtu: String(c.tunMtu),
    link_mtu: String(c.tunMtu + 56),
    verb: String(c.config.verb),
    config: c.config.source.file,
    daemon: '0',
    trusted_ip: c.server.address,
    trusted_port: String(c.server.port),
    ifconfig_local: p.ifconfig.local,
    ifconfig_netmask: p.ifconfig.netmask,
    route_vpn_gateway: p.routeGateway ?? '',
  };
  if (c.netGateway) env.route_net_gateway = c.netGateway;
  if (p.ifconfigIpv6) {
    env.ifconfig_ipv6_local = p.ifconfigIpv6.local;
    env.ifconfig_ipv6_netbits = String(p.ifconfigIpv6.prefixLength);
    env.ifconfig_ipv6_remote = p.ifconfigIpv6.remote;
  }
  [...c.config.routes, ...p.routes].forEach((r, i) => {
    env[`route_network_${i + 1}`] = r.network;
    env[`route_netmask_${i + 1}`] = r.netmask;
    env[`route_gateway_${i + 1}`] = r.gateway ?? p.routeGateway ?? '';
    if (r.metric !== undefined) env[`route_metric_${i + 1}`] = String(r.metric);
  });
  [...c.config.routesIpv6, ...p.routesIpv6].forEach((r, i) => {
    env[`route_ipv6_network_${i + 1}`] = `${r.network}/${r.prefixLength}`;
    env[`route_ipv6_gateway_${i + 1}`] = r.gateway ?? p.ifconfigIpv6?.remote ?? '';
  });
  p.dhcpOptions.forEach((o, i) => {
    env[`foreign_option_${i + 1}`] = `dhcp-option ${o.type}${o.value === undefined ? '' : ` ${o.value}`}`;
  });
  for (const { name, value } of [...c.config.setenv, ...p.setenv]) env[name] = value;
  return env;
}

/** Runs `command` with the context's arguments and environment. Rejects with ScriptError. */
export function runScript(
  command: ScriptCommand,
  c: ScriptContext,
  timeoutMs = SCRIPT_TIMEOUT_MS,
): Promise<string> {
  const [file, ...words] = command.argv;
  if (file === undefined) return Promise.reject(new ScriptError(`${c.type} script: empty command`));
  return new Promise((resolve, reject) => {
    execFile(
      file,
      [...words, ...scriptArguments(c)],
      { env: scriptEnvironment(c), timeout: timeoutMs, maxBuffer: 1024 * 1024 },
      (error, stdout, stderr) => {
        if (!error) return resolve(String(stdout));
        const status = (error as NodeJS.ErrnoException & { code?: unknown }).code;
        const why = error.killed
          ? `was killed after ${timeoutMs} ms`
          : `failed (${typeof status === 'number' ? `exit status ${status}` : String(status ?? error.message)})`;
        const tail = String(stderr).trim().split('\n').slice(-3).join(' | ');
        reject(
          new ScriptError(`${c.type} script '${command.line}' ${why}${tail ? `: ${tail}` : ''}`, {
            cause: error,
          }),
        );
      },
    );
  });
}
