/**
 * Third-party signature schemes (`sig-plugin FILE`): an ES module whose
 * export is a `SignatureScheme` (src/crypto/signature-scheme.ts), checked
 * strictly and added to the registry, after which certificates, keys and
 * handshakes use it like a built-in scheme. docs/PLUGINS.md is the guide for
 * plugin authors.
 *
 * Which export: the module's `default` export; a module without one may
 * export `scheme` instead. A module exporting both must export the same
 * object twice (otherwise it is ambiguous and refused).
 *
 * What is checked (`PLUGIN_INVALID`, the message says which rule):
 * - `name`: /^[a-z0-9][a-z0-9-]{1,40}$/, not a registered (built-in or
 *   already loaded) name;
 * - `oid`: a dotted OID (first arc 0–2, at least two arcs, no leading zeros),
 *   not registered;
 * - `codePoint`: an integer in the TLS private-use range 0xFE00–0xFFFF, not
 *   0xFE01 (Falcon-512) nor another registered scheme's;
 * - `seedBytes` 16–1024, `publicKeyBytes` 1–65536, `signatureBytes`
 *   1–65531 (what fits a CertificateVerify message): positive integers;
 * - `keygen`, `sign`, `verify`: functions;
 * - a self-test: keygen from a fixed seed twice (same public key of
 *   `publicKeyBytes` bytes: keygen must be deterministic), sign a message
 *   (1..`signatureBytes` bytes), verify it (exactly `true`), and verify
 *   must return exactly `false` — not throw — for a signature with one bit
 *   flipped, for another message and for an empty signature.
 *
 * The registered object is a frozen copy whose `verify` also returns false
 * for wrong-length keys, oversized signatures and any exception, so a plugin
 * bug cannot crash the handshake on untrusted input.
 *
 * Loading the same file twice in one thread returns the first result (the
 * driver and each worker thread load every plugin once for themselves).
 * Import failures (missing file, syntax error, a throwing top level) are
 * `PLUGIN_LOAD_FAILED`. A plugin runs with the server's privileges: load only
 * code you trust, from a file only root can write.
 * @module
 */

import { realpath, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PqvpnError } from '../errors.js';
import type { SignatureKeyPair, SignatureScheme } from './signature-scheme.js';
import {
  registerSignatureScheme,
  signatureSchemeByCodePoint,
  signatureSchemeByOid,
  signatureSchemeNames,
} from './signature-schemes.js';

export const PLUGIN_NAME = /^[a-z0-9][a-z0-9-]{1,40}$/;
export const PLUGIN_CODE_POINT_MIN = 0xfe00;
export const PLUGIN_CODE_POINT_MAX = 0xffff;
/** Falcon-512's private-use code point (src/crypto/signature-schemes.ts). */
const FALCON_CODE_POINT = 0xfe01;
/** A CertificateVerify body is at most 65,536 bytes: 2 for the scheme, 3 for the length. */
export const PLUGIN_MAX_SIGNATURE_BYTES = 65_531;
export const PLUGIN_MAX_PUBLIC_KEY_BYTES = 65_536;

/** A plugin could not be loaded (`PLUGIN_LOAD_FAILED`) or is not a valid scheme (`PLUGIN_INVALID`). */
export class PluginError extends PqvpnError {}

const loaded = new Map<string, SignatureScheme>();

/** Imports the plugin at `path`, validates and registers its scheme, and returns it. */
export async function loadSignaturePlugin(path: string): Promise<SignatureScheme> {
  const absolute = resolve(path);
  let real: string;
  try {
    if (!(await stat(absolute)).isFile()) throw new Error('not a regular file');
    real = await realpath(absolute);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : error instanceof Error ? error.message : String(error);
    throw new PluginError('PLUGIN_LOAD_FAILED', `sig-plugin ${path}: ${why}`, { cause: error });
  }
  const done = loaded.get(real);
  if (done) return done;
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(real).href)) as Record<string, unknown>;
  } catch (error) {
    const why = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    throw new PluginError('PLUGIN_LOAD_FAILED', `sig-plugin ${path}: cannot be imported (${why})`, {
      cause: error,
    });
  }
  const exported = pickExport(module, path);
  const scheme = validateSignaturePlugin(exported, `sig-plugin ${path}`);
  registerSignatureScheme(scheme);
  loaded.set(real, scheme);
  return scheme;
}

/** Loads every plugin in order (the config's `sig-plugin` lines). */
export async function loadSignaturePlugins(paths: readonly string[]): Promise<SignatureScheme[]> {
  const schemes: SignatureScheme[] = [];
  for (const path of paths) schemes.push(await loadSignaturePlugin(path));
  return schemes;
}

function pickExport(module: Record<string, unknown>, path: string): unknown {
  const { default: byDefault, scheme: named } = module;
  if (byDefault !== undefined && named !== undefined && byDefault !== named) {
    throw invalid(
      `sig-plugin ${path}`,
      "exports both 'default' and 'scheme' and they differ; export the scheme once",
    );
  }
  const chosen = byDefault ?? named;
  if (chosen === undefined)
    throw invalid(`sig-plugin ${path}`, "has no default export (and no export named 'scheme')");
  return chosen;
}

/**
 * Checks `candidate` against the rules in the module comment, runs the
 * self-test, and returns a frozen, hardened copy (not yet registered).
 */
export function validateSignaturePlugin(candidate: unknown, what = 'signature plugin'): SignatureScheme {
  if (typeof candidate !== 'object' || candidate === null)
    throw invalid(what, `exports ${candidate === null ? 'null' : typeof candidate}, not a scheme object`);
  const c = candidate as Record<string, unknown>;

  const name = c.name;
  if (typeof name !== 'string' || !PLUGIN_NAME.test(name))
    throw invalid(what, `name must be a string matching ${PLUGIN_NAME} (got ${show(name)})`);
  if (signatureSchemeNames().includes(name))
    throw invalid(what, `name '${name}' is already taken by a built-in or loaded scheme`);

  const oid = c.oid;
  if (typeof oid !== 'string' || !/^[0-2](\.(0|[1-9][0-9]{0,9}))+$/.test(oid))
    throw invalid(what, `oid must be a dotted OID such as 1.3.6.1.4.1.99999.1 (got ${show(oid)})`);
  const used = signatureSchemeByOid(oid);
  if (used) throw invalid(what, `oid ${oid} is already used by ${used.name}`);

  const codePoint = c.codePoint;
  if (
    typeof codePoint !== 'number' ||
    !Number.isInteger(codePoint) ||
    codePoint < PLUGIN_CODE_POINT_MIN ||
    codePoint > PLUGIN_CODE_POINT_MAX
  )
    throw invalid(
      what,
      `codePoint must be an integer from 0xfe00 to 0xffff, private use (got ${show(codePoint)})`,
    );
  if (codePoint === FALCON_CODE_POINT) throw invalid(what, 'codePoint 0xfe01 is reserved for falcon-512');
  const taken = signatureSchemeByCodePoint(codePoint);
  if (taken) throw invalid(what, `codePoint 0x${codePoint.toString(16)} is already used by ${taken.name}`);

  const seedBytes = size(c, 'seedBytes', 16, 1024, what);
  const publicKeyBytes = size(c, 'publicKeyBytes', 1, PLUGIN_MAX_PUBLIC_KEY_BYTES, what);
  const signatureBytes = size(c, 'signatureBytes', 1, PLUGIN_MAX_SIGNATURE_BYTES, what);

  for (const fn of ['keygen', 'sign', 'verify'] as const) {
    if (typeof c[fn] !== 'function') throw invalid(what, `${fn} must be a function (got ${typeof c[fn]})`);
  }
  const keygen = (c.keygen as SignatureScheme['keygen']).bind(candidate);
  const sign = (c.sign as SignatureScheme['sign']).bind(candidate);
  const verify = (c.verify as SignatureScheme['verify']).bind(candidate);

  const scheme: SignatureScheme = Object.freeze({
    name,
    oid,
    codePoint,
    seedBytes,
    publicKeyBytes,
    signatureBytes,
    keygen(seed: Uint8Array): SignatureKeyPair {
      if (!(seed instanceof Uint8Array) || seed.length !== seedBytes)
        throw new PqvpnError('BAD_SEED', `${name} needs a ${seedBytes}-byte seed`);
      const { publicKey, secretKey } = keygen(seed);
      return { publicKey, secretKey };
    },
    sign(secretKey: Uint8Array, message: Uint8Array): Uint8Array {
      return sign(secretKey, message);
    },
    verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
      if (publicKey.length !== publicKeyBytes || signature.length > signatureBytes) return false;
      try {
        return verify(publicKey, message, signature) === true;
      } catch {
        return false;
      }
    },
  });
  selfTest(scheme, verify, what);
  return scheme;
}

/** Deterministic keygen, a signature that verifies, and three that must not. */
function selfTest(scheme: SignatureScheme, rawVerify: SignatureScheme['verify'], what: string): void {
  const seed = Uint8Array.from({ length: scheme.seedBytes }, (_, i) => (i * 7 + 1) & 0xff);
  const message = new TextEncoder().encode('pqvpn signature plugin self-test');
  const step = <T>(label: string, f: () => T): T => {
    try {
      return f();
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      throw invalid(what, `self-test: ${label} threw (${why})`);
    }
  };
  const first = step('keygen', () => scheme.keygen(new Uint8Array(seed)));
  const again = step('keygen', () => scheme.keygen(new Uint8Array(seed)));
  const { publicKey, secretKey } = first;
  if (!(publicKey instanceof Uint8Array) || !(secretKey instanceof Uint8Array) || secretKey.length === 0)
    throw invalid(what, 'self-test: keygen must return { publicKey, secretKey } as Uint8Arrays');
  if (publicKey.length !== scheme.publicKeyBytes)
    throw invalid(
      what,
      `self-test: keygen returned a ${publicKey.length}-byte public key, publicKeyBytes says ${scheme.publicKeyBytes}`,
    );
  if (!(again.publicKey instanceof Uint8Array) || Buffer.compare(again.publicKey, publicKey) !== 0)
    throw invalid(what, 'self-test: keygen is not deterministic in its seed');
  const signature = step('sign', () => scheme.sign(secretKey, message));
  if (
    !(signature instanceof Uint8Array) ||
    signature.length === 0 ||
    signature.length > scheme.signatureBytes
  )
    throw invalid(what, `self-test: sign must return 1..${scheme.signatureBytes} bytes`);
  if (step('verify', () => rawVerify(publicKey, message, signature)) !== true)
    throw invalid(what, 'self-test: verify rejected a signature sign just made');
  const flipped = new Uint8Array(signature);
  flipped[flipped.length >> 1]! ^= 0x01;
  const other = new TextEncoder().encode('pqvpn signature plugin self-test, altered');
  const mustFail: [string, () => unknown][] = [
    ['a signature with one bit flipped', () => rawVerify(publicKey, message, flipped)],
    ['a signature of another message', () => rawVerify(publicKey, other, signature)],
    ['an empty signature', () => rawVerify(publicKey, message, new Uint8Array(0))],
  ];
  for (const [label, f] of mustFail) {
    const r = step(`verify of ${label}`, f);
    if (r !== false) throw invalid(what, `self-test: verify of ${label} returned ${show(r)}, not false`);
  }
  secretKey.fill(0);
  again.secretKey.fill(0);
}

function size(c: Record<string, unknown>, field: string, min: number, max: number, what: string): number {
  const v = c[field];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw invalid(what, `${field} must be an integer from ${min} to ${max} (got ${show(v)})`);
  return v;
}

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…` : v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return v === null ? 'null' : typeof v;
}

function invalid(what: string, message: string): PluginError {
  return new PluginError('PLUGIN_INVALID', `${what}: ${message}`);
}
