/**
 * The directive table: every directive pqvpn knows, by name.
 *
 * Assembled from one module per concern under `directives/`. A name may appear
 * once; the check runs when this module loads, so a duplicate is caught by any
 * test. `directiveNames()` feeds the did-you-mean suggestions and the test that
 * keeps docs/CONFIG.md complete.
 * @module
 */

import type { DirectiveSpec } from './directive.js';
import { clientDirectives } from './directives/client.js';
import { legacyDirectives } from './directives/legacy.js';
import { networkDirectives } from './directives/network.js';
import { processDirectives } from './directives/process.js';
import { securityDirectives } from './directives/security.js';
import { serverDirectives } from './directives/server.js';
import { timerDirectives } from './directives/timers.js';

function buildTable(groups: readonly (readonly DirectiveSpec[])[]): ReadonlyMap<string, DirectiveSpec> {
  const table = new Map<string, DirectiveSpec>();
  for (const spec of groups.flat()) {
    if (table.has(spec.name)) throw new Error(`directive '${spec.name}' is defined twice in the table`);
    table.set(spec.name, spec);
  }
  return table;
}

export const DIRECTIVES: ReadonlyMap<string, DirectiveSpec> = buildTable([
  serverDirectives,
  clientDirectives,
  networkDirectives,
  securityDirectives,
  timerDirectives,
  processDirectives,
  legacyDirectives,
]);

export function directiveSpec(name: string): DirectiveSpec | undefined {
  return DIRECTIVES.get(name);
}

export function directiveNames(): string[] {
  return [...DIRECTIVES.keys()];
}
