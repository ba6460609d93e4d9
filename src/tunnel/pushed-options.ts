/**
 * The client's side of `push`: the option strings a server sent in its
 * ServerResult, filtered (`pull-filter`, `route-nopull`), parsed and checked
 * into a typed plan the client driver applies.
 *
 * Accepted are exactly the options a pqvpn server pushes (push-options.ts and
 * the `pushable` directives of the config table): `topology`, `ifconfig`,
 * `ifconfig-ipv6`, `route-gateway`, `route`, `route-ipv6`, `route-metric`,
 * `dhcp-option`, `redirect-gateway`, `redirect-private`, `ping`,
 * `ping-restart`, `ping-exit`, `ping-timer-rem`, `explicit-exit-notify`,
 * `tun-mtu`, `sndbuf`, `rcvbuf`, `inactive`, `setenv-safe` (a test checks
 * this list against the config table's pushable directives). Anything else — an unknown name, a directive that
 * only makes sense locally (`up`, `script-security`, …), a malformed value —
 * is a `PushedOptionError`: a server that pushes it is misconfigured or
 * hostile, and silently skipping it would leave the client half-configured.
 * (OpenVPN checks pushed options against its `OPT_P_*` permission mask the
 * same way.) `ifconfig` is mandatory: with topology subnet it is the
 * client's address.
 * @module
 */

import { parseRoute, parseRouteIpv6 } from '../config/directives/helpers.js';
import {
  type DhcpOption,
  REDIRECT_FLAGS,
  type RedirectFlag,
  type Route,
  type RouteIpv6,
} from '../config/model.js';
import { splitLine } from '../config/tokenizer.js';
import {
  isIPv4,
  parseChoice,
  parseInteger,
  parseIPv4,
  parseIPv6,
  parseIPv6WithOptionalPrefix,
  parseNetmask,
  parseSeconds,
  ValueError,
} from '../config/values.js';
import { PqvpnError } from '../errors.js';
import { hasControlCharacters, printable } from './text.js';

export type PushedOptionErrorCode =
  | 'PUSH_OPTION_UNSUPPORTED'
  | 'PUSH_OPTION_INVALID'
  | 'PUSH_OPTION_REJECTED'
  | 'PUSH_NO_ADDRESS';

export class PushedOptionError extends PqvpnError {
  /** The offending option as received (never secret: the server sends it in the clear to every client). */
  readonly option: string | undefined;
  constructor(code: PushedOptionErrorCode, message: string, option?: string) {
    super(code, message);
    this.option = option;
  }
}

export interface PushedPlan {
  readonly ifconfig: { readonly local: string; readonly netmask: string; readonly prefixLength: number };
  readonly ifconfigIpv6?: { readonly local: string; readonly prefixLength: number; readonly remote: string };
  readonly routeGateway?: string;
  readonly routes: readonly Route[];
  readonly routesIpv6: readonly RouteIpv6[];
  readonly routeMetric?: number;
  readonly dhcpOptions: readonly DhcpOption[];
  readonly redirectGateway?: readonly RedirectFlag[];
  readonly redirectPrivate?: readonly RedirectFlag[];
  readonly ping?: number;
  readonly pingRestart?: number;
  readonly pingExit?: number;
  readonly pingTimerRem?: boolean;
  readonly explicitExitNotify?: number;
  readonly tunMtu?: number;
  readonly sndbuf?: number;
  readonly rcvbuf?: number;
  readonly inactive?: { readonly seconds: number; readonly bytes: number };
  readonly setenv: readonly { readonly name: string; readonly value: string }[];
  /** Every accepted option's text, in order (OpenVPN hands them to scripts as foreign_option_N for dhcp-option). */
  readonly accepted: readonly string[];
}

export interface PullPolicy {
  readonly pullFilters: readonly { readonly action: 'accept' | 'ignore' | 'reject'; readonly text: string }[];
  readonly routeNopull: boolean;
}

export interface ParsedPush {
  readonly plan: PushedPlan;
  /** Options dropped by `pull-filter ignore` or `route-nopull`, with why. */
  readonly ignored: readonly { readonly option: string; readonly why: string }[];
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] extends readonly (infer U)[] ? U[] : T[K] };
type Draft = Mutable<Omit<PushedPlan, 'ifconfig'>> & { ifconfig?: PushedPlan['ifconfig'] };

interface OptionSpec {
  readonly min: number;
  readonly max: number;
  /** Dropped by route-nopull. */
  readonly route?: boolean;
  readonly apply: (args: readonly string[], d: Draft) => void;
}

const DHCP_TYPES = new Set([
  'DNS',
  'DNS6',
  'WINS',
  'NBDD',
  'NTP',
  'DOMAIN',
  'DOMAIN-SEARCH',
  'ADAPTER_DOMAIN_SUFFIX',
  'NBT',
  'NBS',
  'DISABLE-NBT',
  'PROXY_HTTP',
  'PROXY_AUTO_CONFIG_URL',
]);

const DAY = 86_400;

/** The table: name → arity and parser. */
const OPTIONS: Readonly<Record<string, OptionSpec>> = {
  topology: {
    min: 1,
    max: 1,
    apply: ([t = '']) => void parseChoice(t, ['subnet'], 'topology'),
  },
  ifconfig: {
    min: 2,
    max: 2,
    apply: ([address = '', mask = ''], d) => {
      const { netmask, prefixLength } = parseNetmask(mask);
      if (prefixLength < 1 || prefixLength > 30)
        throw new ValueError('PUSH_BAD_NETMASK', `netmask ${netmask} leaves no room for a subnet`);
      d.ifconfig = { local: parseIPv4(address), netmask, prefixLength };
    },
  },
  'ifconfig-ipv6': {
    min: 2,
    max: 2,
    apply: ([address = '', remote = ''], d) => {
      const a = parseIPv6WithOptionalPrefix(address);
      d.ifconfigIpv6 = { local: a.address, prefixLength: a.prefixLength, remote: parseIPv6(remote) };
    },
  },
  'route-gateway': {
    min: 1,
    max: 1,
    apply: ([gw = ''], d) => {
      d.routeGateway = parseIPv4(gw, 'an IPv4 gateway address');
    },
  },
  route: { min: 1, max: 4, route: true, apply: (args, d) => void d.routes.push(parseRoute(args)) },
  'route-ipv6': {
    min: 1,
    max: 3,
    route: true,
    apply: (args, d) => void d.routesIpv6.push(parseRouteIpv6(args)),
  },
  'route-metric': {
    min: 1,
    max: 1,
    apply: ([m = ''], d) => {
      d.routeMetric = parseInteger(m, 0, 2_147_483_647, 'a route metric');
    },
  },
  'dhcp-option': {
    min: 1,
    max: 3,
    route: true,
    apply: ([type = '', ...values], d) => {
      if (!DHCP_TYPES.has(type)) throw new ValueError('PUSH_BAD_DHCP', `unknown dhcp-option type '${type}'`);
      const value = values.join(' ');
      if (type === 'DNS' && !isIPv4(value)) parseIPv6(value, 'a DNS server address');
      if (type === 'DNS6') parseIPv6(value, 'an IPv6 DNS server address');
      if (hasControlCharacters(value))
        throw new ValueError('PUSH_BAD_DHCP', `dhcp-option ${type} has control characters`);
      d.dhcpOptions.push(value === '' ? { type } : { type, value });
    },
  },
  'redirect-gateway': {
    min: 0,
    max: 8,
    route: true,
    apply: (args, d) => {
      d.redirectGateway = args.map((a) => parseChoice(a, REDIRECT_FLAGS, 'a redirect-gateway flag'));
    },
  },
  'redirect-private': {
    min: 0,
    max: 8,
    route: true,
    apply: (args, d) => {
      d.redirectPrivate = args.map((a) => parseChoice(a, REDIRECT_FLAGS, 'a redirect-private flag'));
    },
  },
  ping: {
    min: 1,
    max: 1,
    apply: ([s = ''], d) => {
      d.ping = parseSeconds(s, 0, 3600);
    },
  },
  'ping-restart': {
    min: 1,
    max: 1,
    apply: ([s = ''], d) => {
      d.pingRestart = parseSeconds(s, 0, DAY);
    },
  },
  'ping-exit': {
    min: 1,
    max: 1,
    apply: ([s = ''], d) => {
      d.pingExit = parseSeconds(s, 0, DAY);
    },
  },
  'ping-timer-rem': {
    min: 0,
    max: 0,
    apply: (_a, d) => {
      d.pingTimerRem = true;
    },
  },
  'explicit-exit-notify': {
    min: 0,
    max: 1,
    apply: ([n], d) => {
      d.explicitExitNotify = n === undefined ? 1 : parseInteger(n, 0, 30, 'a repeat count');
    },
  },
  'tun-mtu': {
    min: 1,
    max: 1,
    apply: ([m = ''], d) => {
      d.tunMtu = parseInteger(m, 576, 65535, 'an MTU');
    },
  },
  sndbuf: {
    min: 1,
    max: 1,
    apply: ([b = ''], d) => {
      d.sndbuf = parseInteger(b, 0, 64 * 1024 * 1024, 'a buffer size');
    },
  },
  rcvbuf: {
    min: 1,
    max: 1,
    apply: ([b = ''], d) => {
      d.rcvbuf = parseInteger(b, 0, 64 * 1024 * 1024, 'a buffer size');
    },
  },
  inactive: {
    min: 1,
    max: 2,
    apply: ([seconds = '', bytes], d) => {
      d.inactive = {
        seconds: parseSeconds(seconds, 0, 52 * 7 * DAY),
        bytes: bytes === undefined ? 0 : parseInteger(bytes, 0, Number.MAX_SAFE_INTEGER, 'a byte count'),
      };
    },
  },
  'setenv-safe': {
    min: 1,
    max: 2,
    apply: ([name = '', value = ''], d) => {
      if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(name))
        throw new ValueError('PUSH_BAD_SETENV', `'${name}' is not an environment variable name`);
      if (hasControlCharacters(value))
        throw new ValueError('PUSH_BAD_SETENV', `the value of ${name} has control characters`);
      d.setenv.push({ name: `OPENVPN_${name}`, value });
    },
  },
};

/** Names the client accepts from a server. */
export const PUSHABLE_OPTION_NAMES: readonly string[] = Object.keys(OPTIONS);

/** Filters, parses and checks the pushed options. Throws `PushedOptionError`. */
export function parsePushedOptions(options: readonly string[], policy: PullPolicy): ParsedPush {
  const d: Draft = { routes: [], routesIpv6: [], dhcpOptions: [], setenv: [], accepted: [] };
  const ignored: { option: string; why: string }[] = [];
  for (const option of options) {
    const text = option.trim();
    const filter = policy.pullFilters.find((f) => text.startsWith(f.text));
    if (filter?.action === 'reject')
      throw new PushedOptionError(
        'PUSH_OPTION_REJECTED',
        `the server pushed '${clip(text)}', which pull-filter reject "${filter.text}" refuses`,
        text,
      );
    if (filter?.action === 'ignore') {
      ignored.push({ option: text, why: `pull-filter ignore "${filter.text}"` });
      continue;
    }
    let tokens: string[];
    try {
      tokens = splitLine(text);
    } catch (e) {
      throw invalid(text, e);
    }
    const [name, ...args] = tokens;
    if (name === undefined)
      throw new PushedOptionError('PUSH_OPTION_INVALID', 'the server pushed an empty option');
    const spec = Object.hasOwn(OPTIONS, name) ? OPTIONS[name] : undefined;
    if (!spec)
      throw new PushedOptionError(
        'PUSH_OPTION_UNSUPPORTED',
        `the server pushed '${clip(text)}': '${clip(name)}' is not an option a server may push to a pqvpn client`,
        text,
      );
    if (spec.route && policy.routeNopull) {
      ignored.push({ option: text, why: 'route-nopull' });
      continue;
    }
    if (args.length < spec.min || args.length > spec.max)
      throw new PushedOptionError(
        'PUSH_OPTION_INVALID',
        `the server pushed '${clip(text)}': ${name} takes ${spec.min === spec.max ? spec.min : `${spec.min} to ${spec.max}`} arguments, not ${args.length}`,
        text,
      );
    try {
      spec.apply(args, d);
    } catch (e) {
      throw invalid(text, e);
    }
    d.accepted.push(text);
  }
  const { ifconfig, ...rest } = d;
  if (!ifconfig)
    throw new PushedOptionError(
      'PUSH_NO_ADDRESS',
      "the server pushed no 'ifconfig' (the client's tunnel address); is it a pqvpn server with 'server NET MASK'?",
    );
  return { plan: { ifconfig, ...rest }, ignored };
}

function invalid(text: string, e: unknown): PushedOptionError {
  if (e instanceof ValueError || e instanceof PqvpnError)
    return new PushedOptionError(
      'PUSH_OPTION_INVALID',
      `the server pushed '${clip(text)}': ${e.message}`,
      text,
    );
  throw e;
}

/** Options are bounded by the handshake (≤ 255 bytes each), but a message should stay one line. */
function clip(text: string): string {
  return printable(text);
}
