/**
 * Directives for the tunnel device, the UDP socket and routing.
 *
 * pqvpn carries IP packets over UDP through a TUN device with subnet topology;
 * the layer-2 (TAP), TCP and point-to-point variants OpenVPN also has are
 * refused with their reason rather than quietly doing something else.
 * @module
 */

import { CLIENT, type DirectiveSpec, supported, warned } from '../directive.js';
import type { Proto } from '../model.js';
import {
  parseChoice,
  parseHost,
  parseInteger,
  parseIPv4,
  parseIPv6,
  parseIPv6WithOptionalPrefix,
  parseNetmask,
  parsePort,
  ValueError,
} from '../values.js';
import { flag, integer, parseRoute, parseRouteIpv6 } from './helpers.js';

const PROTOS: readonly Proto[] = ['udp', 'udp4', 'udp6'];

/** `udp`, `udp4`, `udp6`; TCP variants refused with the reason. */
export function parseProto(text: string): Proto {
  if (/^tcp/.test(text))
    throw new ValueError(
      'CONFIG_UNSUPPORTED_VALUE',
      `'${text}': pqvpn runs over UDP only (TCP-over-TCP tunnels stall under loss); use proto udp`,
    );
  return parseChoice(text, PROTOS, 'proto');
}

const POINT_TO_POINT =
  "pqvpn clients get their address from the server: from its 'server' pool, or 'ifconfig-push' in a client-config-dir file; point-to-point 'ifconfig' setups are not supported";

export const networkDirectives: readonly DirectiveSpec[] = [
  supported({
    name: 'dev',
    synopsis: 'tun | tunN | NAME',
    summary: "The TUN device: 'tun' lets the kernel pick a free tunN; other names need 'dev-type tun'.",
    default: 'tun',
    args: [1, 1],
    apply: ([name = ''], ctx) => {
      if (name.startsWith('tap'))
        throw new ValueError(
          'CONFIG_UNSUPPORTED_VALUE',
          `'dev ${name}': TAP devices (Ethernet bridging) are not supported; pqvpn routes IP packets: use dev tun`,
        );
      if (name === 'null')
        throw new ValueError(
          'CONFIG_UNSUPPORTED_VALUE',
          "'dev null' (OpenVPN's loopback test device) is not supported",
        );
      if (!/^[A-Za-z0-9_.-]{1,15}$/.test(name))
        throw new ValueError(
          'CONFIG_BAD_VALUE',
          `'${name}' is not a valid interface name (1–15 letters, digits, '_', '.', '-')`,
        );
      ctx.draft.dev = name;
    },
  }),
  supported({
    name: 'dev-type',
    synopsis: 'tun',
    summary: 'The device type, needed when the dev name does not start with tun.',
    default: 'tun',
    args: [1, 1],
    apply: ([type = ''], ctx) => {
      if (type === 'tap')
        throw new ValueError(
          'CONFIG_UNSUPPORTED_VALUE',
          'TAP devices (layer 2) are not supported; use dev-type tun',
        );
      ctx.draft.devType = parseChoice(type, ['tun'], 'dev-type');
    },
  }),
  supported({
    name: 'proto',
    synopsis: 'udp | udp4 | udp6',
    summary: 'Transport: UDP over IPv4 and IPv6 (udp), or one family only.',
    default: 'udp',
    args: [1, 1],
    apply: ([p = ''], ctx) => {
      ctx.draft.proto = parseProto(p);
    },
  }),
  supported({
    name: 'topology',
    synopsis: 'subnet',
    summary: 'Address layout of the VPN: one IPv4 subnet shared by server and clients.',
    default: 'subnet',
    args: [1, 1],
    pushable: true,
    apply: ([t = ''], ctx) => {
      if (t === 'net30' || t === 'p2p')
        throw new ValueError(
          'CONFIG_UNSUPPORTED_VALUE',
          `topology ${t} exists for old Windows TAP drivers and wastes addresses; pqvpn uses topology subnet`,
        );
      ctx.draft.topology = parseChoice(t, ['subnet'], 'topology');
    },
  }),
  supported({
    name: 'local',
    synopsis: 'HOST',
    summary: 'Address to bind the UDP socket to (default: all).',
    args: [1, 1],
    apply: ([h = ''], ctx) => {
      ctx.draft.local = parseHost(h);
    },
  }),
  supported({
    name: 'port',
    synopsis: 'PORT',
    summary: 'Sets both lport and rport.',
    default: '1194',
    args: [1, 1],
    apply: ([p = ''], ctx) => {
      const port = parsePort(p);
      ctx.draft.lport = port;
      ctx.draft.rport = port;
    },
  }),
  supported({
    name: 'lport',
    synopsis: 'PORT',
    summary: 'Local UDP port to bind.',
    default: '1194',
    args: [1, 1],
    apply: ([p = ''], ctx) => {
      ctx.draft.lport = parsePort(p);
    },
  }),
  supported({
    name: 'rport',
    synopsis: 'PORT',
    summary: 'Server port for remote lines that give none.',
    default: '1194',
    args: [1, 1],
    contexts: CLIENT,
    contextReason: 'a server does not connect out; it listens on port/lport',
    apply: ([p = ''], ctx) => {
      ctx.draft.rport = parsePort(p);
    },
  }),
  supported({
    name: 'bind',
    synopsis: '[ipv6only]',
    summary: "Bind the local port (the default for servers); 'ipv6only' refuses IPv4-mapped traffic.",
    args: [0, 1],
    apply: ([opt], ctx) => {
      ctx.draft.bind = {
        ipv6only: opt === undefined ? false : parseChoice(opt, ['ipv6only'], 'bind option') === 'ipv6only',
      };
    },
  }),
  flag('nobind', 'nobind', 'Use a random local port (usual for clients).', {
    contexts: CLIENT,
    contextReason: 'a server must listen on its port',
  }),
  flag('float', 'float', "Accept authenticated packets from a peer's new address (NAT rebinding, roaming)."),
  integer(
    'tun-mtu',
    'tunMtu',
    'BYTES',
    'MTU of the TUN device.',
    {
      min: 576,
      max: 65535,
      what: 'an MTU',
      default: '1500',
    },
    { pushable: true },
  ),
  warned(
    'mssfix',
    'accepted and ignored: not implemented yet in pqvpn — it would clamp the MSS of TCP SYN packets so ' +
      'encapsulated packets fit the path; if TCP stalls through the tunnel, lower tun-mtu instead',
    { synopsis: '[BYTES [mtu|fixed]]' },
  ),
  integer(
    'sndbuf',
    'sndbuf',
    'BYTES',
    'UDP socket send buffer size (0: system default).',
    {
      min: 0,
      max: 64 * 1024 * 1024,
      what: 'a buffer size',
    },
    { pushable: true },
  ),
  integer(
    'rcvbuf',
    'rcvbuf',
    'BYTES',
    'UDP socket receive buffer size (0: system default).',
    {
      min: 0,
      max: 64 * 1024 * 1024,
      what: 'a buffer size',
    },
    { pushable: true },
  ),
  integer('txqueuelen', 'txqueuelen', 'PACKETS', 'Transmit queue length of the TUN device.', {
    min: 0,
    max: 1_000_000,
    what: 'a queue length',
  }),
  supported({
    name: 'route',
    synopsis: 'NETWORK [NETMASK] [GATEWAY] [METRIC]',
    summary:
      'Add an IPv4 route through the VPN when it comes up (vpn_gateway, net_gateway, remote_host keywords).',
    args: [1, 4],
    repeatable: true,
    pushable: true,
    apply: (args, ctx) => {
      ctx.draft.routes.push(parseRoute(args));
    },
  }),
  supported({
    name: 'route-ipv6',
    synopsis: 'NETWORK/LENGTH [GATEWAY] [METRIC]',
    summary: 'Add an IPv6 route through the VPN.',
    args: [1, 3],
    repeatable: true,
    pushable: true,
    apply: (args, ctx) => {
      ctx.draft.routesIpv6.push(parseRouteIpv6(args));
    },
  }),
  integer(
    'route-metric',
    'routeMetric',
    'METRIC',
    'Default metric for routes that give none.',
    {
      min: 0,
      max: 2_147_483_647,
      what: 'a route metric',
    },
    { pushable: true },
  ),
  supported({
    name: 'route-gateway',
    synopsis: 'GATEWAY',
    summary: 'The VPN gateway address for routes (the server pushes it).',
    args: [1, 1],
    contexts: CLIENT,
    pushable: true,
    contextReason: 'the server knows its own address; clients receive route-gateway by push',
    apply: ([gw = ''], ctx) => {
      if (gw === 'dhcp')
        throw new ValueError(
          'CONFIG_UNSUPPORTED_VALUE',
          "'route-gateway dhcp' is for TAP devices, which pqvpn does not support",
        );
      ctx.draft.routeGateway = parseIPv4(gw, 'an IPv4 gateway address');
    },
  }),
  flag('route-noexec', 'routeNoexec', 'Do not add routes; leave them to an up script.'),
  flag('ifconfig-noexec', 'ifconfigNoexec', 'Do not configure the device address; leave it to an up script.'),
  flag('route-nopull', 'routeNopull', 'Accept options pushed by the server but not its routes.', {
    contexts: CLIENT,
    contextReason: 'only clients pull options',
  }),
  supported({
    name: 'ifconfig',
    synopsis: 'ADDRESS NETMASK',
    summary: 'The client tunnel address; only as pushed by the server.',
    args: [2, 2],
    contexts: [],
    pushable: true,
    contextReason: POINT_TO_POINT,
    apply: ([address = '', mask = ''], ctx) => {
      ctx.draft.ifconfig = { local: parseIPv4(address), netmask: parseNetmask(mask).netmask };
    },
  }),
  supported({
    name: 'ifconfig-ipv6',
    synopsis: 'ADDRESS/LENGTH GATEWAY',
    summary: 'The client IPv6 tunnel address; only as pushed by the server.',
    args: [2, 2],
    contexts: [],
    pushable: true,
    contextReason: "IPv6 client addresses come from the server's server-ipv6 pool",
    apply: ([address = '', remote = ''], ctx) => {
      ctx.draft.ifconfigIpv6 = { ...parseIPv6WithOptionalPrefix(address), remote: parseIPv6(remote) };
    },
  }),
  supported({
    name: 'explicit-exit-notify',
    synopsis: '[N]',
    summary: 'On exit, tell the peer N times (client) or tell clients to reconnect (server); without N, 1.',
    default: '0',
    args: [0, 1],
    pushable: true,
    apply: ([n], ctx) => {
      ctx.draft.explicitExitNotify = n === undefined ? 1 : parseInteger(n, 0, 30, 'a repeat count');
    },
  }),
];
