/**
 * Server-side directives: the address pool, what is pushed to clients, how
 * clients authenticate, and the per-client (client-config-dir) files.
 *
 * `server NET MASK` is OpenVPN's helper form and the only one pqvpn accepts: it
 * implies `mode server`, `tls-server` and `topology subnet`, takes the first
 * address for the server and hands out the rest. The long form (`ifconfig`,
 * `ifconfig-pool`, manual `push "route-gateway"`) is refused with that advice.
 * @module
 */

import { type DirectiveSpec, SERVER, supported } from '../directive.js';
import {
  isNetworkAddress,
  parseChoice,
  parseInteger,
  parseIPv4,
  parseIPv6,
  parseIPv6Prefix,
  parseIPv6WithOptionalPrefix,
  parseNetmask,
  parseSeconds,
  ValueError,
} from '../values.js';
import { flag, parseRoute, parseRouteIpv6 } from './helpers.js';

const CCD: readonly 'ccd'[] = ['ccd'];
const CCD_REASON = 'only valid in a client-config-dir file (one per client, named by its common name)';

export const serverDirectives: readonly DirectiveSpec[] = [
  supported({
    name: 'server',
    synopsis: 'NETWORK NETMASK',
    summary:
      'Run as a server handing out addresses from this IPv4 subnet (/16 to /29); the server takes the first.',
    args: [2, 3],
    contexts: SERVER,
    apply: ([network = '', mask = '', extra], ctx) => {
      if (extra !== undefined)
        throw new ValueError(
          'CONFIG_UNSUPPORTED_VALUE',
          extra === 'nopool'
            ? "'server … nopool' (manual address management) is not supported; clients get addresses from the pool or client-config-dir"
            : `unexpected '${extra}' after the netmask`,
        );
      parseIPv4(network, 'an IPv4 network address');
      const { netmask, prefixLength } = parseNetmask(mask);
      if (prefixLength < 16 || prefixLength > 29)
        throw new ValueError(
          'CONFIG_BAD_NETMASK',
          `the server subnet must be between /16 and /29, not /${prefixLength}`,
        );
      if (!isNetworkAddress(network, netmask))
        throw new ValueError(
          'CONFIG_BAD_NETMASK',
          `${network} is not the network address of a subnet with netmask ${netmask}`,
        );
      ctx.draft.server = { network, netmask, prefixLength };
    },
  }),
  supported({
    name: 'server-ipv6',
    synopsis: 'NETWORK/LENGTH',
    summary: 'Also hand out IPv6 addresses from this prefix (/64 to /124).',
    args: [1, 1],
    contexts: SERVER,
    apply: ([prefix = ''], ctx) => {
      ctx.draft.serverIpv6 = parseIPv6Prefix(prefix, 64, 124);
    },
  }),
  supported({
    name: 'mode',
    synopsis: 'server',
    summary: "Accepted for compatibility: 'server NET MASK' implies it.",
    args: [1, 1],
    contexts: SERVER,
    apply: ([m = ''], ctx) => {
      if (m === 'p2p')
        throw new ValueError(
          'CONFIG_P2P_UNSUPPORTED',
          "point-to-point mode is not supported; write 'server NET MASK' on the server and 'client' on clients",
        );
      parseChoice(m, ['server'], 'mode');
      ctx.draft.modeServer = true;
    },
  }),
  supported({
    name: 'tls-server',
    synopsis: '',
    summary: "Accepted for compatibility: 'server' implies it.",
    args: [0, 0],
    contexts: SERVER,
    contextReason: 'a client is the TLS-client side; use tls-client or just client',
    apply: () => {},
  }),
  supported({
    name: 'push',
    synopsis: '"OPTION ARGS…"',
    summary:
      'Send a client directive to every client (or one, in a client-config-dir file); checked like a client config line.',
    args: [1, 1],
    contexts: [...SERVER, 'ccd'],
    repeatable: true,
    apply: ([text = ''], ctx) => {
      const option = ctx.pushOption(text);
      if (option) ctx.draft.push.push(option);
    },
  }),
  supported({
    name: 'ifconfig-pool-persist',
    synopsis: 'FILE [SECONDS]',
    summary: 'Remember which client had which address in FILE, saved every SECONDS (0: read only).',
    args: [1, 2],
    contexts: SERVER,
    apply: ([file = '', seconds], ctx) => {
      ctx.draft.ifconfigPoolPersist = {
        path: ctx.path(file, 'output'),
        seconds: seconds === undefined ? 600 : parseSeconds(seconds, 0, 86400),
      };
    },
  }),
  flag('client-to-client', 'clientToClient', 'Route packets between clients inside the server.', {
    contexts: SERVER,
  }),
  supported({
    name: 'max-clients',
    synopsis: 'N',
    summary: 'Refuse connections beyond N clients.',
    default: '1024',
    args: [1, 1],
    contexts: SERVER,
    apply: ([n = ''], ctx) => {
      ctx.draft.maxClients = parseInteger(n, 1, 65534, 'a number of clients');
    },
  }),
  flag(
    'duplicate-cn',
    'duplicateCn',
    'Allow several clients with the same certificate or username at once.',
    {
      contexts: SERVER,
    },
  ),
  supported({
    name: 'verify-client-cert',
    synopsis: 'none | optional | require',
    summary:
      'Whether clients must present a certificate; none/optional need passdb or auth-user-pass-verify.',
    default: 'require',
    args: [1, 1],
    contexts: SERVER,
    apply: ([v = ''], ctx) => {
      ctx.draft.verifyClientCert = parseChoice(
        v,
        ['none', 'optional', 'require'] as const,
        'verify-client-cert',
      );
    },
  }),
  supported({
    name: 'passdb',
    synopsis: 'FILE',
    summary: 'The password database for username/password clients (pqvpn passwd).',
    args: [1, 1],
    contexts: SERVER,
    apply: ([file = ''], ctx) => {
      ctx.draft.passdb = ctx.path(file, 'passdb');
    },
  }),
  supported({
    name: 'auth-user-pass-verify',
    synopsis: 'COMMAND via-env | via-file',
    summary:
      'Check client usernames/passwords with a script (exit 0 accepts); via-env needs script-security 3.',
    args: [2, 2],
    contexts: SERVER,
    apply: ([line = '', method = ''], ctx) => {
      ctx.draft.authUserPassVerify = {
        command: ctx.command(line),
        method: parseChoice(method, ['via-env', 'via-file'] as const, 'auth-user-pass-verify method'),
      };
    },
  }),
  flag(
    'username-as-common-name',
    'usernameAsCommonName',
    'Use the authenticated username as the client name.',
    {
      contexts: SERVER,
    },
  ),
  supported({
    name: 'client-config-dir',
    synopsis: 'DIR',
    summary: 'Per-client settings: DIR/<common name> may set ifconfig-push, iroute, push, disable.',
    args: [1, 1],
    contexts: SERVER,
    apply: ([dir = ''], ctx) => {
      ctx.draft.clientConfigDir = ctx.path(dir, 'directory');
    },
  }),
  flag('ccd-exclusive', 'ccdExclusive', 'Refuse clients that have no file in client-config-dir.', {
    contexts: SERVER,
  }),

  // Client-config-dir files.
  supported({
    name: 'ifconfig-push',
    synopsis: 'ADDRESS NETMASK',
    summary: 'Give this client a fixed address (inside the server subnet).',
    args: [2, 2],
    contexts: CCD,
    contextReason: CCD_REASON,
    apply: ([address = '', mask = ''], ctx) => {
      ctx.draft.ifconfigPush = { local: parseIPv4(address), netmask: parseNetmask(mask).netmask };
    },
  }),
  supported({
    name: 'ifconfig-ipv6-push',
    synopsis: 'ADDRESS/LENGTH [GATEWAY]',
    summary: 'Give this client a fixed IPv6 address.',
    args: [1, 2],
    contexts: CCD,
    contextReason: CCD_REASON,
    apply: ([address = '', remote], ctx) => {
      ctx.draft.ifconfigIpv6Push = {
        ...parseIPv6WithOptionalPrefix(address),
        ...(remote === undefined ? {} : { remote: parseIPv6(remote) }),
      };
    },
  }),
  supported({
    name: 'iroute',
    synopsis: 'NETWORK [NETMASK]',
    summary: 'A network behind this client: the server routes it to the client (add a matching route too).',
    args: [1, 2],
    contexts: CCD,
    repeatable: true,
    contextReason: CCD_REASON,
    apply: (args, ctx) => {
      ctx.draft.iroutes.push(parseRoute(args));
    },
  }),
  supported({
    name: 'iroute-ipv6',
    synopsis: 'NETWORK/LENGTH',
    summary: 'An IPv6 network behind this client.',
    args: [1, 1],
    contexts: CCD,
    repeatable: true,
    contextReason: CCD_REASON,
    apply: (args, ctx) => {
      ctx.draft.iroutesIpv6.push(parseRouteIpv6(args));
    },
  }),
  flag('push-reset', 'pushReset', "Do not send this client the server config's push options.", {
    contexts: CCD,
    contextReason: CCD_REASON,
  }),
  supported({
    name: 'push-remove',
    synopsis: 'TEXT',
    summary: "Do not send this client the server's push options that start with TEXT.",
    args: [1, 1],
    contexts: CCD,
    repeatable: true,
    contextReason: CCD_REASON,
    apply: ([text = ''], ctx) => {
      ctx.draft.pushRemove.push(text);
    },
  }),
  flag('disable', 'disable', 'Refuse this client.', { contexts: CCD, contextReason: CCD_REASON }),
];
