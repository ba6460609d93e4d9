/**
 * Errors of the TUN layer, one stable `code` per failure (see `TunErrorCode`).
 *
 * Failures that come from the kernel carry the errno name (`EPERM`, `EBUSY`…)
 * and the failing call in `errno`/`syscall`, and their message adds a hint a
 * user can act on ("needs root or CAP_NET_ADMIN"). Callers match on `code`
 * and `errno`, never on message text.
 * @module
 */
import { PqvpnError } from '../errors.js';

export const TunErrorCode = {
  /** The native addon (build/Release/pqvpn_tun.node) is not built or cannot load. */
  addonMissing: 'TUN_ADDON_MISSING',
  /** No TUN backend for this operating system. */
  unsupportedPlatform: 'TUN_UNSUPPORTED_PLATFORM',
  /** The interface name is not acceptable (length, characters, pattern). */
  badName: 'TUN_BAD_NAME',
  /** The MTU is not an integer in 576..65535. */
  badMtu: 'TUN_BAD_MTU',
  /** A `TunAddress` is malformed (family, address text, prefix length). */
  badAddress: 'TUN_BAD_ADDRESS',
  /** The kernel refused to create or attach the device, or to set its MTU. */
  openFailed: 'TUN_OPEN_FAILED',
  /** An `ip` command (address, link state) failed. */
  configFailed: 'TUN_CONFIG_FAILED',
  /** Reading from the device failed; the device stopped reading. */
  readFailed: 'TUN_READ_FAILED',
  /** The device was already closed. */
  closed: 'TUN_CLOSED',
} as const;

export type TunErrorCode = (typeof TunErrorCode)[keyof typeof TunErrorCode];

export class TunError extends PqvpnError {
  declare readonly code: TunErrorCode;
  /** errno name from the kernel (e.g. 'EPERM'), when the failure came from a system call. */
  readonly errno: string | undefined;
  /** The failing call ('TUNSETIFF', 'open /dev/net/tun', 'read', …), when known. */
  readonly syscall: string | undefined;
  constructor(
    code: TunErrorCode,
    message: string,
    options: { errno?: string; syscall?: string; cause?: unknown } = {},
  ) {
    super(code, message, options.cause === undefined ? undefined : { cause: options.cause });
    this.errno = options.errno;
    this.syscall = options.syscall;
  }
}
