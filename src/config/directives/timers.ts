/**
 * Liveness, renegotiation and replay-protection timers.
 *
 * `keepalive I T` is OpenVPN's macro: on a client it means `ping I` and
 * `ping-restart T`; on a server `ping I`, `ping-restart 2T`, and it pushes
 * `ping I` and `ping-restart T` to clients (finalize expands it). Mixing it
 * with explicit ping directives is an error, as in OpenVPN.
 * @module
 */

import { MAX_REPLAY_WINDOW, MIN_REPLAY_WINDOW } from '../../protocol/data/replay-window.js';
import { type DirectiveSpec, supported, warned } from '../directive.js';
import { parseBytes, parseInteger, parseSeconds, ValueError } from '../values.js';
import { flag } from './helpers.js';

const DAY = 86400;
const WEEK = 7 * DAY;
const MAX_COUNT = Number.MAX_SAFE_INTEGER;

export const timerDirectives: readonly DirectiveSpec[] = [
  supported({
    name: 'keepalive',
    synopsis: 'INTERVAL TIMEOUT',
    summary:
      'Ping every INTERVAL seconds; restart after TIMEOUT seconds of silence (pushed to clients by servers).',
    args: [2, 2],
    apply: ([i = '', t = ''], ctx) => {
      const interval = parseSeconds(i, 1, 3600);
      const timeout = parseSeconds(t, 1, DAY);
      if (timeout < 2 * interval)
        throw new ValueError(
          'CONFIG_OUT_OF_RANGE',
          `the timeout (${timeout}) must be at least twice the interval (${interval}); 'keepalive 10 60' is a good start`,
        );
      ctx.draft.keepalive = { interval, timeout };
    },
  }),
  supported({
    name: 'ping',
    synopsis: 'SECONDS',
    summary: 'Send a keepalive ping after SECONDS without sending anything (0: off).',
    default: '0',
    args: [1, 1],
    pushable: true,
    apply: ([s = ''], ctx) => {
      ctx.draft.ping = parseSeconds(s, 0, 3600);
    },
  }),
  supported({
    name: 'ping-restart',
    synopsis: 'SECONDS',
    summary: 'Reconnect after SECONDS without hearing from the peer (0: off).',
    default: '0',
    args: [1, 1],
    pushable: true,
    apply: ([s = ''], ctx) => {
      ctx.draft.pingRestart = parseSeconds(s, 0, DAY);
    },
  }),
  supported({
    name: 'ping-exit',
    synopsis: 'SECONDS',
    summary: 'Exit after SECONDS without hearing from the peer (0: off).',
    default: '0',
    args: [1, 1],
    pushable: true,
    apply: ([s = ''], ctx) => {
      ctx.draft.pingExit = parseSeconds(s, 0, DAY);
    },
  }),
  flag(
    'ping-timer-rem',
    'pingTimerRem',
    'Run the ping-restart/ping-exit timers only while a remote address is known.',
    {
      pushable: true,
    },
  ),
  supported({
    name: 'inactive',
    synopsis: 'SECONDS [BYTES]',
    summary: 'Exit after SECONDS with less than BYTES of tunnel traffic (default 0: any traffic counts).',
    args: [1, 2],
    pushable: true,
    apply: ([s = '', b], ctx) => {
      ctx.draft.inactive = {
        seconds: parseSeconds(s, 0, WEEK * 52),
        bytes: b === undefined ? 0 : parseBytes(b, 0, MAX_COUNT),
      };
    },
  }),
  supported({
    name: 'reneg-sec',
    synopsis: 'SECONDS',
    summary: 'Renew the session keys with a fresh key exchange every SECONDS (0: only by bytes/packets).',
    default: '3600',
    args: [1, 1],
    apply: ([s = ''], ctx) => {
      ctx.draft.renegSec = parseSeconds(s, 0, WEEK);
    },
  }),
  supported({
    name: 'reneg-bytes',
    synopsis: 'BYTES',
    summary: 'Renew the session keys after BYTES of traffic (0: off; AES-GCM limits still apply).',
    default: '0',
    args: [1, 1],
    apply: ([b = ''], ctx) => {
      ctx.draft.renegBytes = parseBytes(b, 0, MAX_COUNT);
    },
  }),
  supported({
    name: 'reneg-pkts',
    synopsis: 'PACKETS',
    summary: 'Renew the session keys after PACKETS packets (0: off; AES-GCM limits still apply).',
    default: '0',
    args: [1, 1],
    apply: ([n = ''], ctx) => {
      ctx.draft.renegPkts = parseInteger(n, 0, MAX_COUNT, 'a packet count');
    },
  }),
  supported({
    name: 'hand-window',
    synopsis: 'SECONDS',
    summary: 'A handshake must complete within SECONDS.',
    default: '60',
    args: [1, 1],
    apply: ([s = ''], ctx) => {
      ctx.draft.handWindow = parseSeconds(s, 1, 3600);
    },
  }),
  supported({
    name: 'tran-window',
    synopsis: 'SECONDS',
    summary: 'After renegotiation, the old keys stay usable for SECONDS.',
    default: '3600',
    args: [1, 1],
    apply: ([s = ''], ctx) => {
      ctx.draft.tranWindow = parseSeconds(s, 1, DAY);
    },
  }),
  supported({
    name: 'replay-window',
    synopsis: 'PACKETS [SECONDS]',
    summary: `Accept packets up to PACKETS behind the newest (${MIN_REPLAY_WINDOW}–${MAX_REPLAY_WINDOW}); SECONDS is accepted and ignored.`,
    default: '8192',
    args: [1, 2],
    apply: ([n = '', seconds], ctx) => {
      ctx.draft.replayWindow = parseInteger(n, MIN_REPLAY_WINDOW, MAX_REPLAY_WINDOW, 'a replay window size');
      if (seconds !== undefined) {
        parseSeconds(seconds, 0, 600);
        ctx.warn(
          'CONFIG_IGNORED',
          "the time part of replay-window is ignored: pqvpn's window counts packets only",
        );
      }
    },
  }),
  warned(
    'mute-replay-warnings',
    'accepted and ignored: pqvpn never logs replayed or duplicate packets (it counts them as drops), ' +
      'so there is nothing to mute',
  ),
];
