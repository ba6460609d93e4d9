/**
 * The two things the PKI takes from the outside world besides files: the time and
 * randomness. Both are injected so that tests fix them (a certificate issued "in
 * 2020", a serial number chosen by the test) instead of waiting or guessing.
 * @module
 */

import { randomBytes } from 'node:crypto';

/** Returns `length` fresh random bytes. */
export type RandomSource = (length: number) => Uint8Array;

/** Returns the current time. */
export type Clock = () => Date;

export const systemRandom: RandomSource = (length) => new Uint8Array(randomBytes(length));

export const systemClock: Clock = () => new Date();

export interface PkiContext {
  readonly now: Clock;
  readonly random: RandomSource;
}

export const systemContext: PkiContext = { now: systemClock, random: systemRandom };
