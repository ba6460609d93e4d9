/**
 * Checks on what callers pass to a TUN backend, before anything reaches the
 * kernel or an `ip` command line. Pure and platform-independent, so every
 * backend (Linux now, Wintun later) rejects the same inputs with the same
 * codes.
 *
 * Interface names: 1–15 bytes (Linux IFNAMSIZ − 1) of letters, digits and
 * `_ . - @ +`, optionally one `%d` that the kernel replaces with the first
 * free number ("tun%d" → "tun0"). Linux itself accepts more (any byte but
 * '/', ':' and whitespace); the narrower set keeps names safe in logs, in
 * `ip` arguments and in scripts that receive them as `$dev`. A leading '-'
 * is refused so a name never reads as an option.
 * @module
 */
import { isIPv4, isIPv6 } from 'node:net';
import { TunError, TunErrorCode } from './errors.js';
import type { TunAddress } from './tun-device.js';

export const TUN_NAME_MAX_BYTES = 15;
export const TUN_MTU_MIN = 576;
export const TUN_MTU_MAX = 65535;
/** RFC 8200 §5: IPv6 needs a link MTU of at least 1280. */
export const IPV6_MIN_MTU = 1280;
export const DEFAULT_TUN_NAME = 'tun%d';

const NAME_CHARS = /^[A-Za-z0-9_.@+%-]+$/;

export function validateTunName(name: string): string {
  const bad = (why: string): TunError =>
    new TunError(TunErrorCode.badName, `invalid TUN interface name ${JSON.stringify(name)}: ${why}`);
  if (name.length === 0) throw bad('empty');
  if (Buffer.byteLength(name, 'utf8') > TUN_NAME_MAX_BYTES)
    throw bad(`longer than ${TUN_NAME_MAX_BYTES} bytes`);
  if (!NAME_CHARS.test(name)) throw bad('use only letters, digits and _ . - @ + (and one %d)');
  if (name.startsWith('-')) throw bad('must not start with -');
  if (name === '.' || name === '..') throw bad('reserved');
  const percents = name.split('%').length - 1;
  if (percents > 1 || (percents === 1 && !name.includes('%d'))) throw bad('% is only allowed as one %d');
  return name;
}

export function validateMtu(mtu: number): number {
  if (!Number.isInteger(mtu) || mtu < TUN_MTU_MIN || mtu > TUN_MTU_MAX) {
    throw new TunError(
      TunErrorCode.badMtu,
      `invalid TUN MTU ${mtu}: must be an integer in ${TUN_MTU_MIN}..${TUN_MTU_MAX}`,
    );
  }
  return mtu;
}

/** Returns `ADDRESS/PREFIX` for `ip addr add`; throws TUN_BAD_ADDRESS on anything malformed. */
export function validateTunAddress(address: TunAddress, mtu: number): string {
  const text = `${address.address}/${address.prefixLength}`;
  const bad = (why: string): TunError =>
    new TunError(TunErrorCode.badAddress, `invalid TUN address ${text}: ${why}`);
  const max = address.family === 4 ? 32 : 128;
  if (address.family === 4) {
    if (!isIPv4(address.address)) throw bad('not an IPv4 address');
  } else if (address.family === 6) {
    if (!isIPv6(address.address)) throw bad('not an IPv6 address');
    if (address.address.includes('%')) throw bad('zone indexes are not allowed');
    if (mtu < IPV6_MIN_MTU)
      throw bad(`IPv6 needs an MTU of at least ${IPV6_MIN_MTU} (this device has ${mtu})`);
  } else {
    throw bad(`family must be 4 or 6, not ${String((address as { family: unknown }).family)}`);
  }
  if (!Number.isInteger(address.prefixLength) || address.prefixLength < 0 || address.prefixLength > max) {
    throw bad(`prefix length must be an integer in 0..${max}`);
  }
  return text;
}
