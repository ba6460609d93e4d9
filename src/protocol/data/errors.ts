/**
 * Errors the data channel throws — for programmer misuse only.
 *
 * Untrusted input (a datagram from the network, a packet from the TUN device)
 * never throws: it is dropped with a named reason (see `drop-reasons.ts`). What
 * throws is a caller breaking a contract: key material of the wrong length, a key
 * id outside 0–7, installing over the key currently in use. Those are bugs in the
 * caller, and failing loudly is the only safe response.
 *
 * Codes (stable, matched by tests and callers):
 * - `DATA_KEY_INVALID`   — key material malformed (lengths, key id).
 * - `DATA_KEY_ID_IN_USE` — installing a key id that is the current or pending send key.
 * - `DATA_CONFIG_INVALID` — an option is out of range (window size, limits, timers).
 * - `DATA_MISUSE`        — any other broken contract (time going backwards, …).
 * @module
 */

import { PqvpnError } from '../../errors.js';

export type DataChannelErrorCode =
  | 'DATA_KEY_INVALID'
  | 'DATA_KEY_ID_IN_USE'
  | 'DATA_CONFIG_INVALID'
  | 'DATA_MISUSE';

export class DataChannelError extends PqvpnError {
  declare readonly code: DataChannelErrorCode;
  constructor(code: DataChannelErrorCode, message: string) {
    super(code, message);
  }
}
