/**
 * The data-channel options both drivers derive from a config (OpenVPN's
 * names → src/protocol/data's), in one place so server and client agree.
 *
 * `tran-window` is taken only when given explicitly: OpenVPN's 3600 s default
 * would keep every superseded key for an hour, while the data channel's own
 * default (60 s, PROTOCOL.md) is what the handshake's transition window uses
 * too (src/identity/handshake-config.ts makes the same choice).
 * @module
 */

import type { CommonConfig } from '../config/model.js';
import type { DataChannelOptions } from '../protocol/data/index.js';

export function dataChannelOptions(
  config: Pick<
    CommonConfig,
    'renegSec' | 'renegBytes' | 'renegPkts' | 'replayWindow' | 'tranWindow' | 'defaulted'
  >,
  peerId: number,
  now: number,
  liveness: { readonly pingSeconds: number; readonly pingRestartSeconds: number },
): DataChannelOptions {
  return {
    peerId,
    now,
    pingIntervalMs: liveness.pingSeconds * 1000,
    pingRestartMs: liveness.pingRestartSeconds * 1000,
    ...(config.defaulted.includes('tran-window') ? {} : { tranWindowMs: config.tranWindow * 1000 }),
    replayWindow: config.replayWindow,
    rekey: { renegMs: config.renegSec * 1000, renegBytes: config.renegBytes, renegPackets: config.renegPkts },
  };
}
