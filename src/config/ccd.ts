/**
 * Client-config-dir files: `client-config-dir DIR` on a server names a folder
 * with one file per client (named by the client's common name, or username with
 * `username-as-common-name`). Each file may give that client a fixed address
 * (`ifconfig-push`, `ifconfig-ipv6-push`), networks behind it (`iroute`,
 * `iroute-ipv6`), extra or fewer push options (`push`, `push-reset`,
 * `push-remove`), or refuse it (`disable`).
 *
 * Same syntax and table as a main config, in the `ccd` context: main-config
 * directives here are errors naming where they belong.
 * @module
 */

import { Builder, type BuildOptions, byLine, InvalidConfigError } from './build.js';
import type { ConfigWarning, PushedOption, Route, RouteIpv6 } from './model.js';
import type { ParsedConfig } from './tokenizer.js';

export interface ClientConfigDirFile {
  readonly ifconfigPush?: { readonly local: string; readonly netmask: string };
  readonly ifconfigIpv6Push?: {
    readonly address: string;
    readonly prefixLength: number;
    readonly remote?: string;
  };
  readonly iroutes: readonly Route[];
  readonly iroutesIpv6: readonly RouteIpv6[];
  readonly push: readonly PushedOption[];
  readonly pushReset: boolean;
  readonly pushRemove: readonly string[];
  readonly disable: boolean;
  readonly warnings: readonly ConfigWarning[];
}

/** Validates one client-config-dir file; throws `InvalidConfigError` listing every problem. */
export function buildClientConfigDirFile(
  parsed: ParsedConfig,
  options: Omit<BuildOptions, 'overrides'> = {},
): ClientConfigDirFile {
  const builder = new Builder(parsed.source, options);
  const scope = { draft: builder.draft, mode: 'ccd', pushed: false, ignoreUnknown: false } as const;
  for (const d of parsed.directives) builder.apply(d, scope);
  if (builder.errors.length > 0)
    throw new InvalidConfigError(byLine(builder.errors), byLine(builder.warnings));
  const d = builder.draft;
  return Object.freeze({
    ...(d.ifconfigPush ? { ifconfigPush: d.ifconfigPush } : {}),
    ...(d.ifconfigIpv6Push ? { ifconfigIpv6Push: d.ifconfigIpv6Push } : {}),
    iroutes: d.iroutes,
    iroutesIpv6: d.iroutesIpv6,
    push: d.push,
    pushReset: d.pushReset ?? false,
    pushRemove: d.pushRemove,
    disable: d.disable ?? false,
    warnings: byLine(builder.warnings),
  });
}
