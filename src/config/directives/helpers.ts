/**
 * Small builders shared by the directive tables: on/off flags, single numbers,
 * and the argument grammars that several directives share (routes).
 * @module
 */

import type { DirectiveContext, DirectiveSpec } from '../directive.js';
import { supported } from '../directive.js';
import type { Draft } from '../draft.js';
import type { Route, RouteIpv6 } from '../model.js';
import {
  isIPv4,
  isNetworkAddress,
  parseInteger,
  parseIPv4,
  parseIPv6,
  parseIPv6Prefix,
  parseNetmask,
  ValueError,
} from '../values.js';

type KeysOfType<T> = { [K in keyof Draft]-?: Draft[K] extends T | undefined ? K : never }[keyof Draft];

/** A directive without arguments that switches something on. */
export function flag(
  name: string,
  key: KeysOfType<boolean>,
  summary: string,
  options: { contexts?: readonly DirectiveContext[]; pushable?: boolean; contextReason?: string } = {},
): DirectiveSpec {
  return supported({
    name,
    synopsis: '',
    summary,
    args: [0, 0],
    default: 'off',
    ...options,
    apply: (_args, ctx) => {
      ctx.draft[key] = true;
    },
  });
}

/** A directive with one whole-number argument in [min, max]. */
export function integer(
  name: string,
  key: KeysOfType<number>,
  synopsis: string,
  summary: string,
  range: { min: number; max: number; what?: string; default?: string },
  options: { contexts?: readonly DirectiveContext[]; pushable?: boolean; contextReason?: string } = {},
): DirectiveSpec {
  return supported({
    name,
    synopsis,
    summary,
    args: [1, 1],
    ...(range.default === undefined ? {} : { default: range.default }),
    ...options,
    apply: ([text = ''], ctx) => {
      ctx.draft[key] = parseInteger(text, range.min, range.max, range.what ?? `${name}'s value`);
    },
  });
}

export const ROUTE_KEYWORDS = ['vpn_gateway', 'net_gateway', 'remote_host'] as const;

function isKeyword(text: string): boolean {
  return (ROUTE_KEYWORDS as readonly string[]).includes(text);
}

/** `route NETWORK [NETMASK] [GATEWAY] [METRIC]`, with OpenVPN's `default` placeholders. */
export function parseRoute(args: readonly string[]): Route {
  const [network = '', maskArg, gatewayArg, metricArg] = args;
  if (!isKeyword(network) && !isIPv4(network))
    throw new ValueError(
      'CONFIG_BAD_IPV4',
      `'${network}' is not an IPv4 network or one of ${ROUTE_KEYWORDS.join(', ')} (host names are not resolved in routes)`,
    );
  const netmask =
    maskArg === undefined || maskArg === 'default' ? '255.255.255.255' : parseNetmask(maskArg).netmask;
  if (isIPv4(network) && !isNetworkAddress(network, netmask))
    throw new ValueError(
      'CONFIG_BAD_ROUTE',
      `${network} has bits set outside netmask ${netmask}; give the network address of the route`,
    );
  let gateway: string | undefined;
  if (gatewayArg !== undefined && gatewayArg !== 'default') {
    if (!isKeyword(gatewayArg)) parseIPv4(gatewayArg, 'an IPv4 gateway address');
    gateway = gatewayArg;
  }
  const metric =
    metricArg === undefined || metricArg === 'default'
      ? undefined
      : parseInteger(metricArg, 0, 2_147_483_647, 'a route metric');
  return {
    network,
    netmask,
    ...(gateway === undefined ? {} : { gateway }),
    ...(metric === undefined ? {} : { metric }),
  };
}

/** `route-ipv6 NETWORK/LENGTH [GATEWAY] [METRIC]`. */
export function parseRouteIpv6(args: readonly string[]): RouteIpv6 {
  const [prefix = '', gatewayArg, metricArg] = args;
  const { network, prefixLength } = parseIPv6Prefix(prefix, 0, 128);
  const gateway =
    gatewayArg === undefined || gatewayArg === 'default'
      ? undefined
      : parseIPv6(gatewayArg, 'an IPv6 gateway');
  const metric =
    metricArg === undefined || metricArg === 'default'
      ? undefined
      : parseInteger(metricArg, 0, 2_147_483_647, 'a route metric');
  return {
    network,
    prefixLength,
    ...(gateway === undefined ? {} : { gateway }),
    ...(metric === undefined ? {} : { metric }),
  };
}
