/**
 * The native half of the Linux TUN backend (native/tun/tun.cc), typed and
 * loaded.
 *
 * The addon is built by `npm ci` (node-gyp, from binding.gyp at the
 * repository root) into build/Release/pqvpn_tun.node. It is loaded lazily,
 * on the first `open`, so that commands which never touch a TUN device work
 * on a machine where it was not built; a missing build is a `TunError` with
 * code TUN_ADDON_MISSING and a message that says how to build it.
 *
 * Contracts of the native calls (the addon trusts the caller for argument
 * ranges; src/tun/linux-tun.ts validates first):
 * - `open` throws an Error carrying the positive `errno` and the `syscall`.
 * - `start` polls the descriptor on the libuv loop and, per readiness event,
 *   reads up to `lengths.length` packets into consecutive `slotSize`-byte
 *   slots of `buffer`, then calls `onBatch(count, errno)` once: the first
 *   `count` entries of `lengths` are valid. `errno` ≠ 0 means reading failed
 *   and the handle stopped reading. A packet longer than `slotSize` is dropped
 *   and counted in `oversizeDrops()`.
 * - `write` is one write(2): bytes written, or a negative errno (−EAGAIN: the
 *   kernel queue is full; −EBADF after close).
 * - `close` is idempotent and may be called from inside `onBatch`.
 * @module
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { TunError, TunErrorCode } from './errors.js';

export interface TunHandle {
  readonly fd: number;
  /** The name the kernel gave the interface. */
  readonly name: string;
  start(
    buffer: Uint8Array,
    lengths: Int32Array,
    slotSize: number,
    onBatch: (count: number, errno: number) => void,
  ): void;
  write(packet: Uint8Array): number;
  oversizeDrops(): number;
  close(): void;
}

export interface TunAddon {
  /**
   * Creates (or attaches to) interface `name` with IFF_TUN | IFF_NO_PI and sets its MTU. `blocking`
   * is only for the fs.read baseline in scripts/bench-tun.mjs (`start` refuses such a handle).
   */
  open(name: string, mtu: number, blocking?: boolean): TunHandle;
}

/** Where node-gyp puts the addon, relative to this file in src/tun or dist/tun. */
const CANDIDATES = ['../../build/Release/pqvpn_tun.node', '../../build/Debug/pqvpn_tun.node'] as const;

/** Absolute paths where the addon is looked for, in order. */
export const TUN_ADDON_PATHS: readonly string[] = CANDIDATES.map((relative) =>
  fileURLToPath(new URL(relative, import.meta.url)),
);

let cached: TunAddon | undefined;

/**
 * Loads the addon (once, from `TUN_ADDON_PATHS`); throws TUN_ADDON_MISSING with a build hint if it is
 * not there or does not load. `paths` is for tests: it bypasses the cache.
 */
export function loadTunAddon(paths?: readonly string[]): TunAddon {
  if (paths === undefined && cached) return cached;
  const candidates = paths ?? TUN_ADDON_PATHS;
  const path = candidates.find((p) => existsSync(p));
  if (path === undefined) {
    throw new TunError(
      TunErrorCode.addonMissing,
      `native TUN addon not built: run npm ci (needs g++ and Node headers); looked for ${candidates.join(', ')}`,
    );
  }
  let addon: TunAddon;
  try {
    addon = createRequire(import.meta.url)(path) as TunAddon;
  } catch (cause) {
    throw new TunError(
      TunErrorCode.addonMissing,
      `native TUN addon at ${path} does not load (${(cause as Error).message}): rebuild it with npm ci`,
      { cause },
    );
  }
  if (typeof addon?.open !== 'function') {
    throw new TunError(
      TunErrorCode.addonMissing,
      `${path} is not the pqvpn TUN addon: rebuild it with npm ci`,
    );
  }
  if (paths === undefined) cached = addon;
  return addon;
}
