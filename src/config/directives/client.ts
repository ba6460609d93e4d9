/**
 * Client-side directives: which servers to try and how, username/password
 * login, and what the client does with the options the server pushes
 * (routes, redirect-gateway, DHCP-style options).
 * @module
 */

import { isIPv6 } from 'node:net';
import { CLIENT, type DirectiveSpec, supported, warned } from '../directive.js';
import { REDIRECT_FLAGS, type RedirectFlag } from '../model.js';
import {
  isHostName,
  isIPv4,
  parseChoice,
  parseHost,
  parseInteger,
  parseIPv4,
  parsePort,
  parseSeconds,
  ValueError,
} from '../values.js';
import { flag } from './helpers.js';
import { parseProto } from './network.js';

const SERVER_PUSHES = 'a server pushes it to clients: push "…"';

function parseRedirectFlags(args: readonly string[]): RedirectFlag[] {
  return args.map((a) => parseChoice(a, REDIRECT_FLAGS, 'a redirect-gateway flag'));
}

const ipv4 = (v: string) => parseIPv4(v);
const anyIp = (v: string) => {
  if (isIPv4(v) || isIPv6(v)) return v;
  throw new ValueError('CONFIG_BAD_VALUE', `'${v}' is not an IPv4 or IPv6 address`);
};
const domain = (v: string) => {
  if (!isHostName(v)) throw new ValueError('CONFIG_BAD_HOST', `'${v}' is not a domain name`);
  return v;
};

/** dhcp-option types and how each value is checked (undefined: takes no value). */
const DHCP_OPTION_TYPES: Readonly<Record<string, ((value: string) => string) | undefined>> = {
  DNS: anyIp,
  DNS6: (v) => {
    if (!isIPv6(v)) throw new ValueError('CONFIG_BAD_IPV6', `'${v}' is not an IPv6 address`);
    return v;
  },
  WINS: ipv4,
  NBDD: ipv4,
  NTP: ipv4,
  DOMAIN: domain,
  'DOMAIN-SEARCH': domain,
  ADAPTER_DOMAIN_SUFFIX: domain,
  NBT: (v) => String(parseChoice(v, ['1', '2', '4', '8'], 'NBT node type')),
  NBS: (v) => v,
  'DISABLE-NBT': undefined,
  PROXY_HTTP: (v) => {
    const [host = '', port = '', ...rest] = v.split(' ');
    if (rest.length > 0) throw new ValueError('CONFIG_BAD_VALUE', 'PROXY_HTTP takes HOST PORT');
    return `${parseHost(host)} ${parsePort(port)}`;
  },
  PROXY_AUTO_CONFIG_URL: (v) => {
    if (!URL.canParse(v)) throw new ValueError('CONFIG_BAD_VALUE', `'${v}' is not a URL`);
    return v;
  },
};

export const clientDirectives: readonly DirectiveSpec[] = [
  supported({
    name: 'client',
    synopsis: '',
    summary: 'Run as a client: connect to a remote, authenticate, and take the options it pushes.',
    args: [0, 0],
    contexts: CLIENT,
    apply: (_args, ctx) => {
      ctx.draft.client = true;
    },
  }),
  supported({
    name: 'tls-client',
    synopsis: '',
    summary: "Accepted for compatibility: 'client' implies it.",
    args: [0, 0],
    contexts: CLIENT,
    contextReason: 'a server is the TLS-server side; use tls-server or just server',
    apply: () => {},
  }),
  supported({
    name: 'pull',
    synopsis: '',
    summary: "Accepted for compatibility: 'client' implies it.",
    args: [0, 0],
    contexts: CLIENT,
    apply: () => {},
  }),
  supported({
    name: 'remote',
    synopsis: 'HOST [PORT] [PROTO]',
    summary: 'A server to connect to; several are tried in order (or shuffled with remote-random).',
    args: [1, 3],
    contexts: CLIENT,
    repeatable: true,
    contextReason: "a server listens; set its address with 'local' if needed",
    apply: ([host = '', port, proto], ctx) => {
      ctx.draft.remotes.push({
        host: parseHost(host),
        ...(port === undefined ? {} : { port: parsePort(port) }),
        ...(proto === undefined ? {} : { proto: parseProto(proto) }),
      });
    },
  }),
  flag('remote-random', 'remoteRandom', 'Try the remote servers in random order.', { contexts: CLIENT }),
  supported({
    name: 'resolv-retry',
    synopsis: 'SECONDS | infinite',
    summary: 'How long to keep retrying a remote host name that does not resolve.',
    default: 'infinite',
    args: [1, 1],
    contexts: CLIENT,
    apply: ([v = ''], ctx) => {
      ctx.draft.resolvRetry = v === 'infinite' ? 'infinite' : parseSeconds(v, 0, 2_147_483_647);
    },
  }),
  supported({
    name: 'connect-retry',
    synopsis: 'SECONDS [MAX]',
    summary: 'Wait between connection attempts, doubling up to MAX seconds.',
    default: '1 300',
    args: [1, 2],
    contexts: CLIENT,
    apply: ([first = '', max], ctx) => {
      const initial = parseSeconds(first, 0, 86400);
      const limit = max === undefined ? Math.max(300, initial) : parseSeconds(max, 0, 86400);
      if (limit < initial)
        throw new ValueError(
          'CONFIG_OUT_OF_RANGE',
          `the maximum (${limit}) is below the initial wait (${initial})`,
        );
      ctx.draft.connectRetry = { initial, max: limit };
    },
  }),
  supported({
    name: 'connect-retry-max',
    synopsis: 'N',
    summary: 'Give up after N rounds over all remotes (default: never).',
    args: [1, 1],
    contexts: CLIENT,
    apply: ([n = ''], ctx) => {
      ctx.draft.connectRetryMax = parseInteger(n, 1, 1_000_000, 'a number of attempts');
    },
  }),
  supported({
    name: 'server-poll-timeout',
    synopsis: 'SECONDS',
    summary: 'Give up on a remote that does not answer within SECONDS and try the next.',
    default: '120',
    args: [1, 1],
    contexts: CLIENT,
    apply: ([n = ''], ctx) => {
      ctx.draft.serverPollTimeout = parseSeconds(n, 1, 86400);
    },
  }),
  supported({
    name: 'auth-user-pass',
    synopsis: '[FILE]',
    summary: 'Log in with a username and password: from FILE (user, then password), or asked for.',
    args: [0, 1],
    contexts: CLIENT,
    inline: true,
    contextReason: 'the server checks passwords with passdb or auth-user-pass-verify',
    apply: ([file], ctx) => {
      if (file === undefined || file === 'stdin') {
        ctx.draft.authUserPass = {};
        return;
      }
      const source = ctx.file(file, 'private');
      if (source.kind === 'inline') {
        const lines = source.text.split('\n').filter((l) => l.trim() !== '');
        if (lines.length === 0 || lines.length > 2)
          throw new ValueError(
            'CONFIG_BAD_VALUE',
            'the inline block must hold a username line and optionally a password line',
          );
      }
      ctx.draft.authUserPass = { source };
    },
  }),
  // Not implemented yet, and harmless to ignore: rekeys never resend the password, only a reconnect uses it.
  warned(
    'auth-nocache',
    'not implemented yet: the password stays in memory for reconnects (rekeys never resend it)',
  ),
  supported({
    name: 'auth-retry',
    synopsis: 'none | nointeract | interact',
    summary: 'After a failed login: exit (none), retry with the same credentials, or ask again (interact).',
    default: 'none',
    args: [1, 1],
    contexts: CLIENT,
    apply: ([v = ''], ctx) => {
      ctx.draft.authRetry = parseChoice(v, ['none', 'nointeract', 'interact'] as const, 'auth-retry');
      if (ctx.draft.authRetry !== 'none')
        ctx.warn(
          'CONFIG_IGNORED',
          `auth-retry ${ctx.draft.authRetry} is not implemented yet: the client exits on AUTH_FAILED, as with 'none'`,
        );
    },
  }),
  supported({
    name: 'redirect-gateway',
    synopsis: '[FLAGS…]',
    summary: 'Send all traffic through the VPN (def1: as two /1 routes; ipv6: IPv6 too; bypass-dns…).',
    args: [0, 8],
    contexts: CLIENT,
    pushable: true,
    contextReason: SERVER_PUSHES,
    apply: (args, ctx) => {
      ctx.draft.redirectGateway = parseRedirectFlags(args);
    },
  }),
  supported({
    name: 'redirect-private',
    synopsis: '[FLAGS…]',
    summary: 'Like redirect-gateway, but only add the routes, keeping the default gateway.',
    args: [0, 8],
    contexts: CLIENT,
    pushable: true,
    contextReason: SERVER_PUSHES,
    apply: (args, ctx) => {
      ctx.draft.redirectPrivate = parseRedirectFlags(args);
    },
  }),
  supported({
    name: 'dhcp-option',
    synopsis: 'TYPE [VALUE]',
    summary: 'DNS servers, search domains and the like for the client (DNS, DNS6, DOMAIN, DOMAIN-SEARCH, …).',
    args: [1, 3],
    contexts: CLIENT,
    repeatable: true,
    pushable: true,
    contextReason: SERVER_PUSHES,
    apply: ([type = '', ...values], ctx) => {
      if (!Object.hasOwn(DHCP_OPTION_TYPES, type))
        throw new ValueError(
          'CONFIG_BAD_CHOICE',
          `unknown dhcp-option type '${type}' (known: ${Object.keys(DHCP_OPTION_TYPES).join(', ')})`,
        );
      const check = DHCP_OPTION_TYPES[type];
      if (check === undefined) {
        if (values.length > 0) throw new ValueError('CONFIG_ARG_COUNT', `dhcp-option ${type} takes no value`);
        ctx.draft.dhcpOptions.push({ type });
        return;
      }
      const expected = type === 'PROXY_HTTP' ? 2 : 1;
      if (values.length !== expected)
        throw new ValueError(
          'CONFIG_ARG_COUNT',
          `dhcp-option ${type} takes ${expected === 2 ? 'HOST PORT' : 'one value'}`,
        );
      ctx.draft.dhcpOptions.push({ type, value: check(values.join(' ')) });
    },
  }),
  supported({
    name: 'pull-filter',
    synopsis: 'accept | ignore | reject TEXT',
    summary: 'Filter pushed options that start with TEXT; the first matching filter wins.',
    args: [2, 2],
    contexts: CLIENT,
    repeatable: true,
    apply: ([action = '', text = ''], ctx) => {
      ctx.draft.pullFilters.push({
        action: parseChoice(action, ['accept', 'ignore', 'reject'] as const, 'pull-filter action'),
        text,
      });
    },
  }),
];
