/**
 * Per-key usage accounting and the limits that trigger a rekey.
 *
 * Two kinds of limit apply to every key, whichever is reached first:
 *
 * - Policy (`RekeyPolicy`, OpenVPN's directives): `reneg-sec` (time since the
 *   key was installed), `reneg-bytes` and `reneg-pkts` (plaintext bytes and
 *   packets, sent plus received, as OpenVPN counts them). Reaching one raises a
 *   single `rekey-needed` event for that key; the control plane runs a new
 *   handshake. Nothing stops working.
 * - Cryptographic (`AeadLimits`, draft-irtf-cfrg-aead-limits, see constants.ts):
 *   a soft limit raises `rekey-needed`; the hard limit retires the key — the
 *   sender stops sealing under it (confidentiality, counted in blocks sealed),
 *   the receiver stops opening under it (integrity, counted in failed tags).
 *
 * Deployments may lower the cryptographic limits (tests do, to reach them) but
 * never raise them above the specification's values.
 * @module
 */

import {
  AEAD_CONFIDENTIALITY_HARD_BLOCKS,
  AEAD_CONFIDENTIALITY_SOFT_BLOCKS,
  AEAD_INTEGRITY_HARD_FAILURES,
  AEAD_INTEGRITY_SOFT_FAILURES,
  DATA_HEADER_LENGTH,
  DEFAULT_RENEG_MS,
} from './constants.js';
import { DataChannelError } from './errors.js';

export interface RekeyPolicy {
  /** `reneg-sec` in ms; 0 disables. Default 3600 s. */
  readonly renegMs: number;
  /** `reneg-bytes`: plaintext bytes sent + received under one key; 0 disables (default). */
  readonly renegBytes: number;
  /** `reneg-pkts`: packets sent + received under one key; 0 disables (default). */
  readonly renegPackets: number;
}

export interface AeadLimits {
  readonly confidentialitySoftBlocks: number;
  readonly confidentialityHardBlocks: number;
  readonly integritySoftFailures: number;
  readonly integrityHardFailures: number;
}

export const DEFAULT_REKEY_POLICY: RekeyPolicy = Object.freeze({
  renegMs: DEFAULT_RENEG_MS,
  renegBytes: 0,
  renegPackets: 0,
});

export const SPEC_AEAD_LIMITS: AeadLimits = Object.freeze({
  confidentialitySoftBlocks: AEAD_CONFIDENTIALITY_SOFT_BLOCKS,
  confidentialityHardBlocks: AEAD_CONFIDENTIALITY_HARD_BLOCKS,
  integritySoftFailures: AEAD_INTEGRITY_SOFT_FAILURES,
  integrityHardFailures: AEAD_INTEGRITY_HARD_FAILURES,
});

export type RekeyReason =
  | 'time'
  | 'bytes'
  | 'packets'
  | 'aead-confidentiality-limit'
  | 'aead-integrity-limit';

/** AES-GCM blocks one packet consumes: AAD + plaintext in 16-byte blocks, plus 1 (the q term). */
export function blocksForPlaintext(plaintextLength: number): number {
  return Math.ceil((DATA_HEADER_LENGTH + plaintextLength) / 16) + 1;
}

export function resolveRekeyPolicy(policy: Partial<RekeyPolicy> = {}): RekeyPolicy {
  const resolved = { ...DEFAULT_REKEY_POLICY, ...policy };
  for (const [name, value] of Object.entries(resolved)) {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new DataChannelError(
        'DATA_CONFIG_INVALID',
        `${name} must be a non-negative integer, got ${value}`,
      );
    }
  }
  return Object.freeze(resolved);
}

export function resolveAeadLimits(limits: Partial<AeadLimits> = {}): AeadLimits {
  const resolved = { ...SPEC_AEAD_LIMITS, ...limits };
  for (const key of Object.keys(SPEC_AEAD_LIMITS) as (keyof AeadLimits)[]) {
    const value = resolved[key];
    if (!Number.isSafeInteger(value) || value < 1 || value > SPEC_AEAD_LIMITS[key]) {
      throw new DataChannelError(
        'DATA_CONFIG_INVALID',
        `${key} must be an integer in 1..${SPEC_AEAD_LIMITS[key]} (the specification's limit), got ${value}`,
      );
    }
  }
  if (resolved.confidentialitySoftBlocks > resolved.confidentialityHardBlocks) {
    throw new DataChannelError('DATA_CONFIG_INVALID', 'confidentiality soft limit exceeds the hard limit');
  }
  if (resolved.integritySoftFailures > resolved.integrityHardFailures) {
    throw new DataChannelError('DATA_CONFIG_INVALID', 'integrity soft limit exceeds the hard limit');
  }
  return Object.freeze(resolved);
}

/** Counters for one key id, both directions. */
export interface KeyUsage {
  packetsSent: number;
  bytesSent: number;
  blocksSent: number;
  packetsReceived: number;
  bytesReceived: number;
  authFailures: number;
}

export function emptyUsage(): KeyUsage {
  return {
    packetsSent: 0,
    bytesSent: 0,
    blocksSent: 0,
    packetsReceived: 0,
    bytesReceived: 0,
    authFailures: 0,
  };
}

/** The policy limit `usage` has reached at `ageMs`, if any (time first, then bytes, then packets). */
export function policyTrigger(policy: RekeyPolicy, usage: KeyUsage, ageMs: number): RekeyReason | undefined {
  if (policy.renegMs > 0 && ageMs >= policy.renegMs) return 'time';
  if (policy.renegBytes > 0 && usage.bytesSent + usage.bytesReceived >= policy.renegBytes) return 'bytes';
  if (policy.renegPackets > 0 && usage.packetsSent + usage.packetsReceived >= policy.renegPackets)
    return 'packets';
  return undefined;
}
