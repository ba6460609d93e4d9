/**
 * Salted scrypt password hashes in a PHC-style string.
 *
 * An entry looks like `$scrypt$ln=15,r=8,p=1$<salt>$<hash>`: the algorithm, its
 * parameters (log2 of the cost N, block size r, parallelism p), then salt and hash
 * in the PHC string format's "B64" (standard base64 alphabet, no padding). The
 * parameters travel with every entry, so the default can be raised later: old
 * entries keep verifying with their own parameters, and `pqvpn passwd set`
 * re-hashes one with the new default.
 *
 * scrypt (RFC 7914) is slow and memory-hard on purpose. It needs 128·N·r bytes and
 * does work proportional to N·r·p. The default, N = 2^15, r = 8, p = 1, uses 32 MiB
 * and takes about 90 ms on the reference machine (docs/PASSDB.md "Cost").
 *
 * Parameters read from a file are checked against `ScryptLimits` before anything
 * is computed: too weak (a hash that is cheap to brute-force) is refused, and so is
 * absurdly expensive (a crafted `ln=30` entry would otherwise make every login
 * allocate gigabytes). Tests pass low limits and low parameters explicitly.
 *
 * The hash function itself is injectable (`ScryptFunction`), so tests can count
 * calls and run fast; the default uses node:crypto's asynchronous scrypt, which runs
 * on libuv's thread pool and does not block the event loop.
 * @module
 */

import { scrypt as nodeScryptCallback, randomBytes } from 'node:crypto';

export interface ScryptParams {
  /** log2 of the CPU/memory cost N. */
  readonly logN: number;
  /** Block size. */
  readonly r: number;
  /** Parallelism. */
  readonly p: number;
}

/** N = 2^15, r = 8, p = 1: 32 MiB, about 90 ms here (measured in docs/PASSDB.md). */
export const DEFAULT_SCRYPT_PARAMS: ScryptParams = Object.freeze({ logN: 15, r: 8, p: 1 });

/** Bounds on parameters accepted from a file or an option. */
export interface ScryptLimits {
  /** Least memory, 128·N·r bytes: below it GPUs and ASICs have it easy. */
  readonly minMemoryBytes: number;
  /** Most memory one verification may take. */
  readonly maxMemoryBytes: number;
  /** Least work, N·r·p. */
  readonly minWork: number;
  /** Most work, N·r·p: bounds the time a single login can cost the server. */
  readonly maxWork: number;
}

const MiB = 1024 * 1024;

/**
 * Defaults: memory 8–256 MiB, work 2^17–2^22 (half to sixteen times the default
 * parameters' 2^18, i.e. about 45 ms to 1.5 s here).
 */
export const DEFAULT_SCRYPT_LIMITS: ScryptLimits = Object.freeze({
  minMemoryBytes: 8 * MiB,
  maxMemoryBytes: 256 * MiB,
  minWork: 2 ** 17,
  maxWork: 2 ** 22,
});

/** Syntactic bounds, whatever the limits say (node:crypto's own constraints, with margin). */
const LOG_N_MAX = 30;
const R_MAX = 255;
const P_MAX = 255;

export const SALT_BYTES = 16;
export const HASH_BYTES = 32;
const SALT_MIN = 16;
const SALT_MAX = 64;
const HASH_MIN = 32;
const HASH_MAX = 64;

/** Memory node:crypto (OpenSSL) accounts for one scrypt call: 128·r·(N + 2) + 128·r·p bytes. */
export function scryptMemoryBytes(params: ScryptParams): number {
  return 128 * params.r * (2 ** params.logN + 2 + params.p);
}

export function scryptWork(params: ScryptParams): number {
  return 2 ** params.logN * params.r * params.p;
}

/** Why `params` fall outside `limits`, or undefined when they are acceptable. */
export function scryptParamsProblem(params: ScryptParams, limits: ScryptLimits): string | undefined {
  const { logN, r, p } = params;
  if (!Number.isInteger(logN) || logN < 1 || logN > LOG_N_MAX)
    return `ln must be an integer in 1..${LOG_N_MAX}`;
  if (!Number.isInteger(r) || r < 1 || r > R_MAX) return `r must be an integer in 1..${R_MAX}`;
  if (!Number.isInteger(p) || p < 1 || p > P_MAX) return `p must be an integer in 1..${P_MAX}`;
  const memory = 128 * 2 ** logN * r;
  const work = scryptWork(params);
  const shown = formatScryptParams(params);
  if (memory < limits.minMemoryBytes) {
    return `${shown} uses ${mib(memory)} of memory, less than the minimum ${mib(limits.minMemoryBytes)} (too weak)`;
  }
  if (memory > limits.maxMemoryBytes) {
    return `${shown} needs ${mib(memory)} of memory, more than the maximum ${mib(limits.maxMemoryBytes)}`;
  }
  if (work < limits.minWork) return `${shown} is too weak: N*r*p = 2^${Math.log2(work)} is below the minimum`;
  if (work > limits.maxWork)
    return `${shown} is too expensive: N*r*p = 2^${Math.log2(work)} is above the maximum`;
  return undefined;
}

function mib(bytes: number): string {
  return `${Number((bytes / MiB).toFixed(2))} MiB`;
}

/** `ln=15,r=8,p=1` */
export function formatScryptParams(params: ScryptParams): string {
  return `ln=${params.logN},r=${params.r},p=${params.p}`;
}

const PARAMS = /^ln=([1-9][0-9]{0,2}),r=([1-9][0-9]{0,2}),p=([1-9][0-9]{0,2})$/;

/** Parses `ln=15,r=8,p=1` (exactly that order, decimal without leading zeros); undefined if malformed. */
export function parseScryptParams(text: string): ScryptParams | undefined {
  const m = PARAMS.exec(text);
  if (!m) return undefined;
  return Object.freeze({ logN: Number(m[1]), r: Number(m[2]), p: Number(m[3]) });
}

/** One stored password: parameters, salt and derived key. */
export interface PasswordHash {
  readonly params: ScryptParams;
  readonly salt: Uint8Array;
  readonly hash: Uint8Array;
}

export function formatPasswordHash(entry: PasswordHash): string {
  return `$scrypt$${formatScryptParams(entry.params)}$${encodeB64(entry.salt)}$${encodeB64(entry.hash)}`;
}

export type ParsedHash =
  | { readonly ok: true; readonly value: PasswordHash }
  | { readonly ok: false; readonly code: 'PASSDB_BAD_HASH' | 'PASSDB_BAD_PARAMS'; readonly reason: string };

/**
 * Parses a `$scrypt$...` string strictly: the exact field layout, canonical B64,
 * salt of 16–64 bytes, hash of 32–64 bytes, and parameters within `limits`.
 * Reasons never quote the salt or hash.
 */
export function parsePasswordHash(text: string, limits: ScryptLimits): ParsedHash {
  const fields = text.split('$');
  if (fields.length !== 5 || fields[0] !== '') {
    return bad('PASSDB_BAD_HASH', 'expected $scrypt$ln=N,r=R,p=P$<salt>$<hash>');
  }
  const [, algorithm, paramText, saltText, hashText] = fields as [string, string, string, string, string];
  if (algorithm !== 'scrypt') {
    return bad(
      'PASSDB_BAD_HASH',
      `unsupported hash algorithm ${JSON.stringify(algorithm.slice(0, 20))} (only scrypt)`,
    );
  }
  const params = parseScryptParams(paramText);
  if (!params) return bad('PASSDB_BAD_PARAMS', 'parameters must read ln=<int>,r=<int>,p=<int>');
  const problem = scryptParamsProblem(params, limits);
  if (problem) return bad('PASSDB_BAD_PARAMS', problem);
  const salt = decodeB64(saltText);
  if (!salt) return bad('PASSDB_BAD_HASH', 'the salt is not valid unpadded base64');
  if (salt.length < SALT_MIN || salt.length > SALT_MAX) {
    return bad('PASSDB_BAD_HASH', `the salt has ${salt.length} bytes; expected ${SALT_MIN}..${SALT_MAX}`);
  }
  const hash = decodeB64(hashText);
  if (!hash) return bad('PASSDB_BAD_HASH', 'the hash is not valid unpadded base64');
  if (hash.length < HASH_MIN || hash.length > HASH_MAX) {
    return bad('PASSDB_BAD_HASH', `the hash has ${hash.length} bytes; expected ${HASH_MIN}..${HASH_MAX}`);
  }
  return { ok: true, value: Object.freeze({ params, salt, hash }) };
}

function bad(code: 'PASSDB_BAD_HASH' | 'PASSDB_BAD_PARAMS', reason: string): ParsedHash {
  return { ok: false, code, reason };
}

/** PHC "B64": standard base64 without padding. */
export function encodeB64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64').replace(/=+$/, '');
}

/** Strict inverse of `encodeB64`: alphabet, length and unused bits must all be canonical. */
export function decodeB64(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9+/]*$/.test(text) || text.length % 4 === 1) return undefined;
  const bytes = new Uint8Array(Buffer.from(text, 'base64'));
  return encodeB64(bytes) === text ? bytes : undefined;
}

/** Derives `keyLength` bytes from a password; injectable so tests can count calls. */
export type ScryptFunction = (
  password: Uint8Array,
  salt: Uint8Array,
  keyLength: number,
  params: ScryptParams,
) => Promise<Uint8Array>;

/** node:crypto's asynchronous scrypt, with `maxmem` sized to the parameters. */
export const nodeScrypt: ScryptFunction = (password, salt, keyLength, params) =>
  new Promise((resolve, reject) => {
    const options = {
      N: 2 ** params.logN,
      r: params.r,
      p: params.p,
      maxmem: scryptMemoryBytes(params),
    };
    nodeScryptCallback(password, salt, keyLength, options, (error, key) => {
      if (error) reject(error);
      else resolve(new Uint8Array(key.buffer, key.byteOffset, key.byteLength));
    });
  });

export interface HashOptions {
  readonly params?: ScryptParams;
  readonly scrypt?: ScryptFunction;
  /** Source of the salt; node:crypto's randomBytes by default. */
  readonly random?: (length: number) => Uint8Array;
}

/** Hashes password bytes with a fresh salt. The caller owns (and zeroes) `password`. */
export async function hashPasswordBytes(
  password: Uint8Array,
  options: HashOptions = {},
): Promise<PasswordHash> {
  const params = options.params ?? DEFAULT_SCRYPT_PARAMS;
  const salt = (options.random ?? randomBytes)(SALT_BYTES);
  if (salt.length !== SALT_BYTES)
    throw new Error(`random source returned ${salt.length} bytes, not ${SALT_BYTES}`);
  const hash = await (options.scrypt ?? nodeScrypt)(password, salt, HASH_BYTES, params);
  return Object.freeze({ params, salt: new Uint8Array(salt), hash });
}
