/**
 * The client's network configuration through iproute2: the tunnel address,
 * routes, and `redirect-gateway`, each added with `ip` (execFile, never a
 * shell) and remembered so that exactly what was added is removed on exit,
 * in reverse order.
 *
 * Split in two: `planClientNetwork` is pure (pushed plan + local config +
 * what `ip route get` said about the server → a list of `ip` commands, each
 * with its undo), and `NetworkConfigurator` runs a plan through an
 * injectable `CommandRunner`, so tests check both without root.
 *
 * `redirect-gateway def1` adds 0.0.0.0/1 and 128.0.0.0/1 through the tunnel
 * (more specific than the default route, which stays untouched, so nothing
 * needs restoring if the client dies), plus a host route to the server via
 * the original gateway so the tunnel's own packets do not loop into it.
 * Without `def1` pqvpn does the same rather than replacing the default route
 * (a deliberate deviation from OpenVPN: safer, and equivalent for routing).
 * Flag `ipv6` does the same with ::/1 and 8000::/1; `!ipv4` skips IPv4;
 * `local` skips the host route (server on the local subnet).
 * @module
 */

import { execFile } from 'node:child_process';
import { isIPv4 } from 'node:net';
import type { Route, RouteIpv6 } from '../config/model.js';
import { PqvpnError } from '../errors.js';
import type { Logger } from '../log.js';
import type { PushedPlan } from '../tunnel/pushed-options.js';

export interface IpCommand {
  /** Arguments to `ip`. */
  readonly argv: readonly string[];
  /** Arguments to `ip` that undo it (absent: nothing to undo). */
  readonly undo?: readonly string[];
  /** Shown in logs. */
  readonly what: string;
}

export interface CommandRunner {
  /** Runs `ip ARGV…`; rejects with the command's stderr on a non-zero exit. */
  run(argv: readonly string[]): Promise<string>;
}

export class IpCommandError extends PqvpnError {
  readonly argv: readonly string[];
  constructor(argv: readonly string[], stderr: string) {
    super('IP_COMMAND_FAILED', `ip ${argv.join(' ')} failed: ${stderr.trim() || 'no message'}`);
    this.argv = argv;
  }
}

/** The real runner: `/usr/sbin/ip` (or `ip` from PATH) via execFile. */
export function execFileRunner(ipPath = 'ip'): CommandRunner {
  return {
    run: (argv) =>
      new Promise((resolve, reject) => {
        execFile(ipPath, [...argv], { timeout: 10_000 }, (error, stdout, stderr) => {
          if (error) reject(new IpCommandError(argv, String(stderr) || error.message));
          else resolve(String(stdout));
        });
      }),
  };
}

/** How the host reaches an address before the tunnel is up (`ip route get`). */
/**
 * `txqueuelen N`: `ip link set dev DEV txqueuelen N` (what OpenVPN runs). The
 * device goes away with the process, so there is nothing to undo.
 */
export function txqueuelenCommand(dev: string, packets: number): IpCommand {
  return {
    argv: ['link', 'set', 'dev', dev, 'txqueuelen', String(packets)],
    what: `txqueuelen ${packets} on ${dev}`,
  };
}

export interface PathToServer {
  readonly gateway?: string;
  readonly dev: string;
}

export async function routeTo(runner: CommandRunner, address: string): Promise<PathToServer | undefined> {
  const family = isIPv4(address) ? '-4' : '-6';
  try {
    const out = JSON.parse(await runner.run(['-j', family, 'route', 'get', address])) as unknown;
    const first = Array.isArray(out) ? (out[0] as Record<string, unknown> | undefined) : undefined;
    if (!first || typeof first.dev !== 'string') return undefined;
    return {
      dev: first.dev,
      ...(typeof first.gateway === 'string' ? { gateway: first.gateway } : {}),
    };
  } catch {
    return undefined;
  }
}

export interface ClientNetworkInput {
  readonly dev: string;
  readonly plan: PushedPlan;
  /** `route`/`route-ipv6` lines of the client's own config. */
  readonly localRoutes: readonly Route[];
  readonly localRoutesIpv6: readonly RouteIpv6[];
  readonly routeMetric?: number;
  /** The server's address on the underlay, and how it was reached before. */
  readonly server: string;
  readonly pathToServer?: PathToServer;
  /** Add the tunnel addresses here (false when the TUN backend set them). */
  readonly addAddresses: boolean;
  /** `route-noexec`: add no routes. */
  readonly routeNoexec: boolean;
}

export function planClientNetwork(input: ClientNetworkInput): IpCommand[] {
  const { dev, plan } = input;
  const out: IpCommand[] = [];
  if (input.addAddresses) {
    const cidr = `${plan.ifconfig.local}/${plan.ifconfig.prefixLength}`;
    out.push({
      argv: ['-4', 'addr', 'add', cidr, 'dev', dev],
      undo: ['-4', 'addr', 'del', cidr, 'dev', dev],
      what: `address ${cidr}`,
    });
    if (plan.ifconfigIpv6) {
      const c6 = `${plan.ifconfigIpv6.local}/${plan.ifconfigIpv6.prefixLength}`;
      out.push({
        argv: ['-6', 'addr', 'add', c6, 'dev', dev],
        undo: ['-6', 'addr', 'del', c6, 'dev', dev],
        what: `address ${c6}`,
      });
    }
  }
  if (input.routeNoexec) return out;
  const vpnGateway = plan.routeGateway ?? firstHost(plan.ifconfig.local, plan.ifconfig.prefixLength);
  const metric = plan.routeMetric ?? input.routeMetric;
  const metricArgs = (m: number | undefined) => (m === undefined ? [] : ['metric', String(m)]);
  const via4 = (gateway: string | undefined): string[] | undefined => {
    const g = gateway ?? 'vpn_gateway';
    if (g === 'vpn_gateway') return ['via', vpnGateway, 'dev', dev];
    if (g === 'net_gateway') {
      const p = input.pathToServer;
      if (!p) return undefined;
      return p.gateway ? ['via', p.gateway, 'dev', p.dev] : ['dev', p.dev];
    }
    if (g === 'remote_host') return isIPv4(input.server) ? ['via', input.server] : undefined;
    return ['via', g];
  };
  const route4 = (destination: string, gateway: string | undefined, m: number | undefined, what: string) => {
    const via = via4(gateway);
    if (!via) return;
    const spec = [destination, ...via, ...metricArgs(m)];
    out.push({ argv: ['-4', 'route', 'add', ...spec], undo: ['-4', 'route', 'del', ...spec], what });
  };
  const route6 = (destination: string, gateway: string | undefined, m: number | undefined, what: string) => {
    const spec = [destination, ...(gateway ? ['via', gateway] : []), 'dev', dev, ...metricArgs(m)];
    out.push({ argv: ['-6', 'route', 'add', ...spec], undo: ['-6', 'route', 'del', ...spec], what });
  };

  const redirect = plan.redirectGateway;
  if (redirect) {
    const v4 = !redirect.includes('!ipv4');
    const v6 = redirect.includes('ipv6');
    const p = input.pathToServer;
    const serverIs4 = isIPv4(input.server);
    if (!redirect.includes('local') && p && ((serverIs4 && v4) || (!serverIs4 && v6))) {
      const host = serverIs4 ? `${input.server}/32` : `${input.server}/128`;
      const fam = serverIs4 ? '-4' : '-6';
      const spec = [host, ...(p.gateway ? ['via', p.gateway] : []), 'dev', p.dev];
      out.push({
        argv: [fam, 'route', 'add', ...spec],
        undo: [fam, 'route', 'del', ...spec],
        what: `host route to the server ${input.server} outside the tunnel`,
      });
    }
    if (v4) {
      route4('0.0.0.0/1', undefined, metric, 'redirect-gateway 0.0.0.0/1');
      route4('128.0.0.0/1', undefined, metric, 'redirect-gateway 128.0.0.0/1');
    }
    if (v6 && plan.ifconfigIpv6) {
      route6('::/1', undefined, metric, 'redirect-gateway ::/1');
      route6('8000::/1', undefined, metric, 'redirect-gateway 8000::/1');
    }
  }
  for (const r of [...input.localRoutes, ...plan.routes]) {
    const network = r.network === 'remote_host' ? input.server : r.network;
    if (r.network === 'vpn_gateway' || r.network === 'net_gateway' || !isIPv4(network)) continue;
    const prefix = maskToPrefix(r.netmask);
    route4(`${network}/${prefix}`, r.gateway, r.metric ?? metric, `route ${network}/${prefix}`);
  }
  if (plan.ifconfigIpv6 || input.localRoutesIpv6.length > 0)
    for (const r of [...input.localRoutesIpv6, ...plan.routesIpv6]) {
      route6(
        `${r.network}/${r.prefixLength}`,
        r.gateway,
        r.metric ?? metric,
        `route-ipv6 ${r.network}/${r.prefixLength}`,
      );
    }
  return out;
}

/**
 * The server's own kernel routes for its `route` / `route-ipv6` lines: the
 * networks behind clients (their `iroute`s) reach the server's TUN device,
 * where the driver routes each packet to the client that owns it. On a TUN
 * device (point to point, no ARP) `dev` alone is the next hop; an explicit
 * gateway address is kept, keywords (vpn_gateway, net_gateway, remote_host)
 * mean the device, as nothing else makes sense on a server.
 */
export function planServerRoutes(input: {
  readonly dev: string;
  readonly routes: readonly Route[];
  readonly routesIpv6: readonly RouteIpv6[];
  readonly routeMetric?: number;
}): IpCommand[] {
  const out: IpCommand[] = [];
  const metricArgs = (m: number | undefined) => (m === undefined ? [] : ['metric', String(m)]);
  for (const r of input.routes) {
    if (!isIPv4(r.network)) continue; // keywords name client-side addresses
    const destination = `${r.network}/${maskToPrefix(r.netmask)}`;
    const via = r.gateway !== undefined && isIPv4(r.gateway) ? ['via', r.gateway] : [];
    const spec = [destination, ...via, 'dev', input.dev, ...metricArgs(r.metric ?? input.routeMetric)];
    out.push({
      argv: ['-4', 'route', 'add', ...spec],
      undo: ['-4', 'route', 'del', ...spec],
      what: `route ${destination}`,
    });
  }
  for (const r of input.routesIpv6) {
    const destination = `${r.network}/${r.prefixLength}`;
    const via = r.gateway !== undefined ? ['via', r.gateway] : [];
    const spec = [destination, ...via, 'dev', input.dev, ...metricArgs(r.metric ?? input.routeMetric)];
    out.push({
      argv: ['-6', 'route', 'add', ...spec],
      undo: ['-6', 'route', 'del', ...spec],
      what: `route-ipv6 ${destination}`,
    });
  }
  return out;
}

/** Runs plans and remembers their undo steps. */
export class NetworkConfigurator {
  readonly #runner: CommandRunner;
  readonly #log: Logger;
  readonly #undo: IpCommand[] = [];

  constructor(runner: CommandRunner, log: Logger) {
    this.#runner = runner;
    this.#log = log;
  }

  /** Runs each command in order; on a failure undoes what this call added and throws. */
  async apply(commands: readonly IpCommand[]): Promise<void> {
    const mark = this.#undo.length;
    for (const c of commands) {
      try {
        await this.#runner.run(c.argv);
      } catch (error) {
        await this.#undoDownTo(mark);
        throw error;
      }
      this.#log.verbose(`added ${c.what}: ip ${c.argv.join(' ')}`);
      if (c.undo) this.#undo.push(c);
    }
  }

  /** Removes everything added, newest first. Never throws: a route the kernel already dropped is fine. */
  async undoAll(): Promise<void> {
    await this.#undoDownTo(0);
  }

  get added(): readonly IpCommand[] {
    return this.#undo;
  }

  async #undoDownTo(mark: number): Promise<void> {
    while (this.#undo.length > mark) {
      const c = this.#undo.pop()!;
      try {
        await this.#runner.run(c.undo!);
        this.#log.verbose(`removed ${c.what}`);
      } catch (error) {
        // Routes through a TUN device vanish with the device; anything else is worth a line.
        const message = error instanceof Error ? error.message : String(error);
        if (!/No such process|Cannot find device|does not exist|Cannot assign/.test(message))
          this.#log.warn(`could not remove ${c.what}: ${message}`);
      }
    }
  }
}

function maskToPrefix(netmask: string): number {
  let n = 0;
  for (const octet of netmask.split('.')) n += (Number(octet) >>> 0).toString(2).replace(/0/g, '').length;
  return n;
}

/** The first host address of the subnet `address/prefixLength` (topology subnet's default gateway). */
function firstHost(address: string, prefixLength: number): string {
  const [a = 0, b = 0, c = 0, d = 0] = address.split('.').map(Number);
  const n = ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
  const mask = prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
  const g = ((n & mask) + 1) >>> 0;
  return `${g >>> 24}.${(g >>> 16) & 255}.${(g >>> 8) & 255}.${g & 255}`;
}
