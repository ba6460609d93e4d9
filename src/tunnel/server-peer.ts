/**
 * One client as the server driver holds it, from a successful `auth-needed`
 * to the end of its control session: the data channel, the lease, where it
 * is on the network. Everything a session owns hangs off this object, so
 * ending it is one place (TunnelServer.#endPeer).
 * @module
 */

import type { ServerConfig } from '../config/model.js';
import type { UdpEndpoint } from '../net/udp-transport.js';
import { DataChannel } from '../protocol/data/index.js';
import type { Lease } from './address-pool.js';
import { dataChannelOptions } from './data-options.js';
import type { RoutedNetwork } from './routing.js';

export interface PeerInit {
  readonly session: string;
  readonly peerId: number;
  /** The name the pool knows it by (common name or username). */
  readonly name: string;
  /** CN/username for logs, already printable. */
  readonly who: string;
  readonly endpoint: UdpEndpoint;
  readonly lease: Lease;
  /** Networks behind the client (client-config-dir iroutes). */
  readonly networks: readonly RoutedNetwork[];
  readonly now: number;
  readonly config: Pick<
    ServerConfig,
    | 'ping'
    | 'pingRestart'
    | 'renegSec'
    | 'renegBytes'
    | 'renegPkts'
    | 'replayWindow'
    | 'tranWindow'
    | 'defaulted'
  >;
}

/** Why a peer ended, for the log line and what to release. */
export interface PeerEnd {
  readonly reason: string;
  readonly detail?: string | undefined;
  readonly by?: 'local' | 'peer';
  /** Tell the client over the control channel (RESTART), e.g. after a keepalive timeout. */
  readonly tell: boolean;
  /** The lease already belongs to a newer session of the same name. */
  readonly keepLease?: boolean;
}

export class Peer {
  readonly session: string;
  readonly peerId: number;
  readonly name: string;
  readonly who: string;
  readonly lease: Lease;
  readonly networks: readonly RoutedNetwork[];
  readonly data: DataChannel;
  readonly connectedAt: number;
  endpoint: UdpEndpoint;
  establishedAt: number | undefined;
  ended = false;

  constructor(init: PeerInit) {
    this.session = init.session;
    this.peerId = init.peerId;
    this.name = init.name;
    this.who = init.who;
    this.endpoint = init.endpoint;
    this.lease = init.lease;
    this.networks = init.networks;
    this.connectedAt = init.now;
    this.data = new DataChannel(
      dataChannelOptions(init.config, init.peerId, init.now, {
        pingSeconds: init.config.ping,
        pingRestartSeconds: init.config.pingRestart,
      }),
    );
  }

  /** 'name/ip:port' as OpenVPN prints a client. */
  get label(): string {
    return `${this.who}/${this.endpoint.key}`;
  }
}
