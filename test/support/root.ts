/**
 * Gate for tests that need root: network namespaces, veth pairs, TUN devices.
 *
 * Such tests go inside `describeRoot(name, fn)` instead of `describe`. When the
 * machine cannot run them, the suite is skipped and its title says why
 * ("… (skipped: needs root (network namespaces))"), so a green run that
 * silently covered nothing is visible in the reporter output. CI runs as root
 * and sets `PQVPN_REQUIRE_ROOT=1`: then a missing capability is a failing test,
 * not a skip, so the root suites cannot quietly stop running there.
 *
 * `rootReason` is `undefined` when root tests can run, else the reason they
 * cannot; `tunReason` additionally requires `/dev/net/tun`.
 * @module
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { describe, it } from 'vitest';

function onPath(binary: string): boolean {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    try {
      accessSync(join(dir, binary), constants.X_OK);
      return true;
    } catch {
      // not in this directory
    }
  }
  return false;
}

function computeRootReason(): string | undefined {
  if (process.platform !== 'linux') return `needs Linux network namespaces (this is ${process.platform})`;
  if (typeof process.getuid !== 'function' || process.getuid() !== 0)
    return 'needs root (network namespaces)';
  if (!onPath('ip')) return 'needs iproute2 (`ip` not on PATH)';
  return undefined;
}

function computeTunReason(): string | undefined {
  const base = computeRootReason();
  if (base !== undefined) return base;
  try {
    accessSync('/dev/net/tun', constants.R_OK | constants.W_OK);
  } catch {
    return 'needs /dev/net/tun (TUN driver not available)';
  }
  return undefined;
}

/** Why root-only tests cannot run here, or `undefined` when they can. */
export const rootReason: string | undefined = computeRootReason();

/** Why TUN tests (root + /dev/net/tun) cannot run here, or `undefined` when they can. */
export const tunReason: string | undefined = computeTunReason();

/** True when CI demands that root suites run (a missing capability fails instead of skipping). */
export const rootRequired: boolean = process.env.PQVPN_REQUIRE_ROOT === '1';

/**
 * Decides what a gated suite does: run, skip with the reason in its title, or (when `rootRequired`)
 * fail with the reason. Exported for the unit test of this module.
 */
export function gateDecision(
  reason: string | undefined,
  required: boolean,
): { readonly kind: 'run' } | { readonly kind: 'skip' | 'fail'; readonly reason: string } {
  if (reason === undefined) return { kind: 'run' };
  return { kind: required ? 'fail' : 'skip', reason };
}

function gated(reason: string | undefined, name: string, fn: () => void): void {
  const decision = gateDecision(reason, rootRequired);
  switch (decision.kind) {
    case 'run':
      describe(name, fn);
      return;
    case 'skip':
      // The default reporter prints only counts for skipped suites; this line names the reason.
      console.warn(`skipped: "${name}": ${decision.reason}`);
      describe.skip(`${name} (skipped: ${decision.reason})`, fn);
      return;
    case 'fail':
      describe(name, () => {
        it('can run (PQVPN_REQUIRE_ROOT=1)', () => {
          throw new Error(`root suite cannot run: ${decision.reason}`);
        });
      });
      return;
  }
}

/** `describe` for suites that need root and iproute2 (namespaces, veth pairs). */
export function describeRoot(name: string, fn: () => void): void {
  gated(rootReason, name, fn);
}

/** `describe` for suites that also need the TUN driver. */
export function describeTun(name: string, fn: () => void): void {
  gated(tunReason, name, fn);
}
