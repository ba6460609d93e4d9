/**
 * The process around the tunnel: privileges, files it writes, logging, the
 * scripts and their environment (the management interface is refused: pqvpn has none).
 *
 * `cd DIR` works as in OpenVPN: it takes effect immediately, so every relative
 * path after it is resolved against DIR (itself relative to the config file).
 * `setenv opt NAME …` applies NAME but only warns if pqvpn does not know it — the
 * way configs shared between OpenVPN versions mark optional directives.
 * @module
 */

import { CLIENT, type DirectiveSpec, rejected, supported } from '../directive.js';
import { parseAccountName, parseInteger, parseSeconds, ValueError } from '../values.js';
import { flag, integer } from './helpers.js';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function envName(text: string): string {
  if (!ENV_NAME.test(text))
    throw new ValueError('CONFIG_BAD_NAME', `'${text}' is not a valid environment variable name`);
  return text;
}

export const processDirectives: readonly DirectiveSpec[] = [
  supported({
    name: 'user',
    synopsis: 'USER',
    summary:
      'Server: drop root privileges to USER after the device is set up (a client keeps root, with a warning).',
    args: [1, 1],
    apply: ([u = ''], ctx) => {
      ctx.draft.user = parseAccountName(u, 'user');
    },
  }),
  supported({
    name: 'group',
    synopsis: 'GROUP',
    summary:
      'Server: drop root privileges to GROUP after the device is set up (a client keeps root, with a warning).',
    args: [1, 1],
    apply: ([g = ''], ctx) => {
      ctx.draft.group = parseAccountName(g, 'group');
    },
  }),
  flag('persist-tun', 'persistTun', 'Keep the TUN device across restarts (needed with user/group).'),
  flag(
    'persist-key',
    'persistKey',
    'Keep keys in memory across restarts instead of rereading them (needed with user/group).',
  ),
  supported({
    name: 'cd',
    synopsis: 'DIR',
    summary: 'Resolve the relative paths that follow against DIR.',
    args: [1, 1],
    apply: ([dir = ''], ctx) => {
      ctx.draft.cd = ctx.path(dir, 'directory');
    },
  }),
  supported({
    name: 'writepid',
    synopsis: 'FILE',
    summary: 'Write the process id to FILE.',
    args: [1, 1],
    apply: ([file = ''], ctx) => {
      ctx.draft.writepid = ctx.path(file, 'output');
    },
  }),
  supported({
    name: 'tmp-dir',
    synopsis: 'DIR',
    summary: 'Folder for temporary files passed to scripts (auth-user-pass-verify via-file).',
    args: [1, 1],
    apply: ([dir = ''], ctx) => {
      ctx.draft.tmpDir = ctx.path(dir, 'directory');
    },
  }),
  supported({
    name: 'status',
    synopsis: 'FILE [SECONDS]',
    summary: 'Write connection status to FILE every SECONDS (default 60).',
    args: [1, 2],
    apply: ([file = '', seconds], ctx) => {
      ctx.draft.status = {
        path: ctx.path(file, 'output'),
        seconds: seconds === undefined ? 60 : parseSeconds(seconds, 1, 86400),
      };
    },
  }),
  supported({
    name: 'log',
    synopsis: 'FILE',
    summary: 'Log to FILE (truncated at start) instead of standard error.',
    args: [1, 1],
    apply: ([file = ''], ctx) => {
      ctx.draft.log = { path: ctx.path(file, 'output'), append: false };
    },
  }),
  supported({
    name: 'log-append',
    synopsis: 'FILE',
    summary: 'Log to FILE, appending.',
    args: [1, 1],
    apply: ([file = ''], ctx) => {
      ctx.draft.log = { path: ctx.path(file, 'output'), append: true };
    },
  }),
  integer('verb', 'verb', 'LEVEL', 'Log verbosity 0–11: 1–3 normal, 4 adds option dumps, 5+ debugging.', {
    min: 0,
    max: 11,
    what: 'a verbosity level',
    default: '1',
  }),
  integer('mute', 'mute', 'N', 'Log at most N consecutive messages of one kind (0: no limit).', {
    min: 0,
    max: 1_000_000,
    what: 'a message count',
    default: '0',
  }),
  flag(
    'suppress-timestamps',
    'suppressTimestamps',
    'Do not prefix log lines with a timestamp (systemd adds its own).',
  ),
  rejected(
    'management',
    'pqvpn has no management interface yet; ignoring it would leave the console your tools rely on ' +
      'missing without a word. Use the status file, SIGUSR2 (log the connections) and SIGTERM instead',
    { synopsis: 'IP PORT [PW-FILE] | PATH unix [PW-FILE]' },
  ),
  supported({
    name: 'script-security',
    synopsis: '0 | 1 | 2 | 3',
    summary:
      'Which programs may run: 0 none, 1 built-in only, 2 also scripts (up, down, …), 3 also passwords in their environment.',
    default: '1',
    args: [1, 1],
    apply: ([n = ''], ctx) => {
      ctx.draft.scriptSecurity = parseInteger(n, 0, 3, 'a script-security level');
    },
  }),
  supported({
    name: 'up',
    synopsis: 'COMMAND',
    contexts: CLIENT,
    contextReason:
      'a pqvpn server does not run up/down scripts yet; ignoring it would skip what the script does',
    summary: 'Run COMMAND after the device is up (needs script-security 2).',
    args: [1, 1],
    apply: ([line = ''], ctx) => {
      ctx.draft.up = ctx.command(line);
    },
  }),
  supported({
    name: 'down',
    synopsis: 'COMMAND',
    contexts: CLIENT,
    contextReason:
      'a pqvpn server does not run up/down scripts yet; ignoring it would skip what the script does',
    summary: 'Run COMMAND after the device is closed (needs script-security 2).',
    args: [1, 1],
    apply: ([line = ''], ctx) => {
      ctx.draft.down = ctx.command(line);
    },
  }),
  supported({
    name: 'setenv',
    synopsis: 'NAME VALUE | opt DIRECTIVE …',
    summary:
      "Set a variable for scripts; 'setenv opt X …' applies X but only warns if pqvpn does not know it.",
    args: [1, 16],
    repeatable: true,
    apply: (args, ctx) => {
      const [name = '', value, ...rest] = args;
      if (name === 'opt') {
        if (value === undefined)
          throw new ValueError('CONFIG_ARG_COUNT', "'setenv opt' needs a directive after it");
        ctx.nested(value, rest, { ignoreUnknown: true });
        return;
      }
      if (rest.length > 0)
        throw new ValueError(
          'CONFIG_ARG_COUNT',
          'setenv takes NAME and one VALUE (quote values with spaces)',
        );
      ctx.draft.setenv.push({ name: envName(name), value: value ?? '' });
    },
  }),
  supported({
    name: 'setenv-safe',
    synopsis: 'NAME VALUE',
    summary: 'Like setenv, with the name prefixed OPENVPN_ (so a server may push it).',
    args: [1, 2],
    repeatable: true,
    pushable: true,
    apply: ([name = '', value], ctx) => {
      ctx.draft.setenv.push({ name: `OPENVPN_${envName(name)}`, value: value ?? '' });
    },
  }),
  supported({
    name: 'ignore-unknown-option',
    synopsis: 'NAME…',
    summary: 'Warn instead of failing when the directives named appear later and pqvpn does not know them.',
    args: [1, 15],
    repeatable: true,
    apply: (args, ctx) => {
      ctx.ignoreUnknown(args);
    },
  }),
];
