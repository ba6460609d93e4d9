/**
 * What a client changes on its host, and undoes: the TUN device (opened at
 * the first connection and kept across reconnects, OpenVPN's persist-tun
 * behaviour), the tunnel addresses and routes (src/net/iproute2.ts), and the
 * `up`/`down` scripts.
 *
 * A reconnect that brings the same pushed options changes nothing; different
 * options replace the old configuration (undo, then apply) and run `up`
 * again. `teardown` removes every address and route added (newest first),
 * closes the device and runs `down`, in OpenVPN's order.
 * @module
 */

import type { ClientConfig } from '../config/model.js';
import type { Logger } from '../log.js';
import {
  type CommandRunner,
  type IpCommand,
  NetworkConfigurator,
  planClientNetwork,
  routeTo,
} from '../net/iproute2.js';
import type { UdpEndpoint } from '../net/udp-transport.js';
import type { TunBackend, TunDevice, TunPacketHandler } from '../tun/tun-device.js';
import type { PushedPlan } from './pushed-options.js';
import { runScript, type ScriptContext } from './scripts.js';
import { tunName } from './tun-name.js';

export interface ClientHostOptions {
  readonly config: ClientConfig;
  readonly log: Logger;
  readonly tun: TunBackend;
  readonly ip: CommandRunner;
  /** Packets read from the device. */
  readonly onPackets: TunPacketHandler;
  /** The device stopped reading for good. */
  readonly onTunError: (error: Error) => void;
}

export class ClientHost {
  /** The open device (undefined before the first connection and after teardown). */
  tun: TunDevice | undefined;
  /** The pushed options currently applied. */
  plan: PushedPlan | undefined;
  readonly #o: ClientHostOptions;
  readonly #net: NetworkConfigurator;
  #applied: readonly IpCommand[] = [];
  #lastScript: ScriptContext | undefined;

  constructor(options: ClientHostOptions) {
    this.#o = options;
    this.#net = new NetworkConfigurator(options.ip, options.log);
  }

  /** Opens the device (once) and applies `plan` for a connection to `server`, unless it is in place already. */
  async apply(plan: PushedPlan, server: UdpEndpoint): Promise<void> {
    const c = this.#o.config;
    const mtu = plan.tunMtu ?? c.tunMtu;
    if (!this.tun) {
      const tun = await this.#o.tun.open({ name: tunName(c.dev), mtu, onError: this.#o.onTunError });
      this.tun = tun;
      tun.onPackets(this.#o.onPackets);
      await tun.setUp();
    }
    const dev = this.tun.name;
    const path = await routeTo(this.#o.ip, server.address);
    const commands = planClientNetwork({
      dev,
      plan,
      localRoutes: c.routes,
      localRoutesIpv6: c.routesIpv6,
      ...(c.routeMetric !== undefined ? { routeMetric: c.routeMetric } : {}),
      server: server.address,
      ...(path ? { pathToServer: path } : {}),
      addAddresses: !c.ifconfigNoexec,
      routeNoexec: c.routeNoexec,
    });
    const same = sameCommands(commands, this.#applied);
    if (!same) {
      await this.#net.undoAll();
      this.#applied = [];
      await this.#net.apply(commands);
      this.#applied = commands;
    }
    this.plan = plan;
    const firstUp = this.#lastScript === undefined;
    const script: ScriptContext = {
      type: 'up',
      restart: !firstUp,
      dev,
      tunMtu: mtu,
      plan,
      server: { address: server.address, port: server.port },
      ...(path?.gateway ? { netGateway: path.gateway } : {}),
      config: c,
    };
    this.#lastScript = script;
    if (c.up && (firstUp || !same)) {
      await runScript(c.up, script);
      this.#o.log.verbose(`up script '${c.up.line}' ran`);
    }
  }

  /** Removes what `apply` added, closes the device, runs `down` (when `up` ran). Never throws. */
  async teardown(): Promise<void> {
    await this.#net.undoAll();
    this.#applied = [];
    this.tun?.close();
    this.tun = undefined;
    this.plan = undefined;
    const down = this.#o.config.down;
    const last = this.#lastScript;
    this.#lastScript = undefined;
    if (down && last) {
      try {
        await runScript(down, { ...last, type: 'down', restart: false });
        this.#o.log.verbose(`down script '${down.line}' ran`);
      } catch (error) {
        this.#o.log.warn((error as Error).message);
      }
    }
  }
}

function sameCommands(a: readonly IpCommand[], b: readonly IpCommand[]): boolean {
  return a.length === b.length && a.every((c, i) => c.argv.join(' ') === b[i]?.argv.join(' '));
}
