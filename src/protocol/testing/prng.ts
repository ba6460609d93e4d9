/**
 * A small deterministic pseudo-random generator for tests and simulations.
 *
 * xoshiro128** (Blackman and Vigna, 2018) seeded through splitmix32: fast, 128
 * bits of state, good statistical quality, and — the point here — the same seed
 * gives the same sequence on every machine, so a failing simulation replays
 * exactly. It is NOT a cryptographic generator; it exists so tests can
 * derandomise the protocol (`randomBytes` doubles as an injected random source
 * for state machines under test).
 * @module
 */

export interface Prng {
  /** Next 32-bit unsigned integer. */
  nextUint32(): number;
  /** Uniform float in [0, 1). */
  float(): number;
  /** Uniform integer in [0, maxExclusive). */
  int(maxExclusive: number): number;
  /** True with probability `p` (0 never, 1 always). */
  chance(p: number): boolean;
  /** `length` pseudo-random bytes. */
  randomBytes(length: number): Uint8Array;
  /** An independent generator derived from this one (for per-link streams). */
  fork(): Prng;
}

export function createPrng(seed: number): Prng {
  if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number, got ${seed}`);
  // splitmix32 expands the seed into four non-zero-together state words.
  let sm = seed >>> 0;
  let hi = Math.floor(seed / 2 ** 32) >>> 0;
  const splitmix = (): number => {
    sm = (sm + 0x9e3779b9) | 0;
    let z = sm ^ hi;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    hi = (hi + 0x6d2b79f5) | 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  const state = new Uint32Array([splitmix(), splitmix(), splitmix(), splitmix()]);
  if ((state[0]! | state[1]! | state[2]! | state[3]!) === 0) state[0] = 1;
  return fromState(state);
}

function fromState(s: Uint32Array): Prng {
  const rotl = (x: number, k: number): number => (x << k) | (x >>> (32 - k));
  const nextUint32 = (): number => {
    const s0 = s[0]!;
    const s1 = s[1]!;
    const s2 = s[2]!;
    const s3 = s[3]!;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    const n2 = s2 ^ s0;
    const n3 = s3 ^ s1;
    s[1] = s1 ^ n2;
    s[0] = s0 ^ n3;
    s[2] = n2 ^ t;
    s[3] = rotl(n3, 11);
    return result;
  };
  const float = (): number => nextUint32() / 2 ** 32;
  const prng: Prng = {
    nextUint32,
    float,
    int(maxExclusive) {
      if (!Number.isInteger(maxExclusive) || maxExclusive <= 0 || maxExclusive > 2 ** 32) {
        throw new RangeError(`maxExclusive must be an integer in 1..2^32, got ${maxExclusive}`);
      }
      return Math.floor(float() * maxExclusive);
    },
    chance(p) {
      if (p <= 0) return false;
      if (p >= 1) return true;
      return float() < p;
    },
    randomBytes(length) {
      const out = new Uint8Array(length);
      for (let i = 0; i < length; i += 4) {
        let word = nextUint32();
        for (let j = i; j < Math.min(i + 4, length); j++) {
          out[j] = word & 0xff;
          word >>>= 8;
        }
      }
      return out;
    },
    fork() {
      return fromState(new Uint32Array([nextUint32(), nextUint32(), nextUint32(), nextUint32() | 1]));
    },
  };
  return prng;
}
