/**
 * `dev tun` asks the kernel for the next free tunN (the TUN backend's
 * `tun%d` pattern); any other `dev` name is used as given, as OpenVPN does.
 * @module
 */

export function tunName(dev: string): string {
  return dev === 'tun' ? 'tun%d' : dev;
}
