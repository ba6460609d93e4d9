/**
 * The TUN backend for this machine: one factory that picks the per-OS
 * implementation once (Linux: the native addon; Windows: Wintun, planned).
 * @module
 */
import { TunError, TunErrorCode } from './errors.js';
import { createLinuxTunBackend, type LinuxTunOptions } from './linux-tun.js';
import type { TunBackend } from './tun-device.js';

export { TunError, TunErrorCode } from './errors.js';
export type { LinuxTunBackend, LinuxTunDevice, LinuxTunOptions, LinuxTunStats } from './linux-tun.js';
export type { TunAddress, TunBackend, TunDevice, TunOpenOptions, TunPacketHandler } from './tun-device.js';

/** The TUN backend for `platform` (default: this process's). Throws TUN_UNSUPPORTED_PLATFORM elsewhere. */
export function createTunBackend(
  options: LinuxTunOptions = {},
  platform: NodeJS.Platform = process.platform,
): TunBackend {
  switch (platform) {
    case 'linux':
      return createLinuxTunBackend(options);
    default:
      throw new TunError(
        TunErrorCode.unsupportedPlatform,
        `TUN devices are not supported on ${platform} yet (Wintun backend planned)`,
      );
  }
}
