/**
 * The peer-certificate side of a pqvpn config: what the production verifier
 * (`createPkiPeerVerifier`, src/protocol/handshake/pki-verifier.ts) needs,
 * loaded from `ca`, `crl-verify` and `sig-schemes`, plus the OpenVPN checks
 * that verifier and the handshake machines do not make themselves.
 *
 * Two steps, so the work can cross a thread boundary:
 * 1. `loadPeerVerifierSpec(config)` (main thread, async): reads and validates
 *    the files and returns a `PeerVerifierSpec` — plain data (DER bytes,
 *    strings, numbers) that `postMessage` can copy. It is a superset of
 *    `PkiVerifierOptions`.
 * 2. `createPeerVerifier(spec)` (any thread): the `PeerCertificateVerifier`
 *    the session machines take. It runs `createPkiPeerVerifier` and then:
 *    - `crl-verify FILE`: OpenVPN re-reads the CRL when it changes, so the
 *      file is `stat`ed on every verification (microseconds next to a
 *      signature check) and re-read when its identity, size or mtime changed.
 *      A CRL that has become unreadable or malformed fails every verification
 *      (`CRL_INVALID`) until it is fixed — fail closed, as OpenVPN does
 *      (OpenSSL with CRL checking refuses peers when the CRL cannot be
 *      loaded): silently dropping revocation would let revoked clients in.
 *      An inline `<crl-verify>` block is fixed for the process's life.
 *    - `crl-verify DIR dir`: OpenVPN's directory mode: the peer certificate is
 *      revoked when a file named by its serial number in decimal exists in
 *      DIR (`REVOKED`). Only the peer's own certificate is looked up, as in
 *      OpenVPN.
 *    - `verify-x509-name NAME subject` (the default type): the whole subject
 *      must equal NAME in the RFC 4514-like form OpenVPN prints, e.g.
 *      `C=KG, ST=NA, L=Bishkek, CN=Server-1` (src/pki `formatName`);
 *      `NAME_MISMATCH` otherwise. The `name` and `name-prefix` types are
 *      checked by the client machine (`verifyX509Name` in its config) and are
 *      not repeated here.
 *    - `remote-cert-eku OID`: the leaf's extendedKeyUsage must contain OID
 *      (`WRONG_EKU`). The machines always demand serverAuth/clientAuth, so
 *      `remote-cert-tls` needs nothing extra.
 *    - `remote-cert-ku [HEX…]`: OpenVPN's rule: the leaf's keyUsage, as the
 *      byte OpenSSL reports (digitalSignature = 0x80 … decipherOnly ignored),
 *      must contain all bits of one of the listed values; with no values, a
 *      keyUsage must merely be present (`WRONG_KEY_USAGE`).
 *
 * Failure codes are src/pki's, so `alertForCertificateFailure` maps them to
 * alerts (REVOKED → CERTIFICATE_REVOKED, the rest → BAD_CERTIFICATE).
 * `verify` never throws: any exception becomes a failure.
 * @module
 */

import { readFileSync, type Stats, statSync } from 'node:fs';
import { join } from 'node:path';
import type { CommonConfig } from '../config/model.js';
import { PqvpnError } from '../errors.js';
import { type Logger, silentLogger } from '../log.js';
import { type KeyUsage, KeyUsageBit } from '../pki/extensions.js';
import { type Certificate, type Crl, formatName, parseCertificate, parseCrl } from '../pki/index.js';
import { createPkiPeerVerifier } from '../protocol/handshake/pki-verifier.js';
import type { PeerCertificateVerifier, PeerVerification } from '../protocol/handshake/types.js';
import { decodePemAll } from '../util/pem.js';
import { describeSource, readSourceBytes } from './file-source.js';
import { IdentityError, parseCertificateBundle } from './local-identity.js';

/** Everything a worker needs to build the verifier: plain data only. */
export interface PeerVerifierSpec {
  /** DER of every certificate in `ca`. */
  readonly trustAnchors: readonly Uint8Array[];
  /** DER CRLs fixed for the process's life (an inline `<crl-verify>` block). */
  readonly crls?: readonly Uint8Array[];
  /** `crl-verify FILE`: re-read whenever the file changes. */
  readonly crlFile?: string;
  /** `crl-verify DIR dir`: a file named by the decimal serial revokes the peer. */
  readonly crlDir?: string;
  /** `sig-schemes`: scheme names allowed anywhere in the peer's chain. */
  readonly allowedSchemes?: readonly string[];
  /** `verify-x509-name NAME subject`: the exact subject. */
  readonly expectedSubject?: string;
  /** `remote-cert-eku`: a dotted OID the leaf's extendedKeyUsage must contain. */
  readonly requiredEku?: string;
  /** `remote-cert-ku`: OpenVPN key-usage values; empty = any keyUsage present. */
  readonly requiredKeyUsage?: readonly number[];
}

/** Reads `ca` and `crl-verify` and collects the verification options of `config`. */
export async function loadPeerVerifierSpec(config: CommonConfig): Promise<PeerVerifierSpec> {
  const caName = describeSource(config.ca, 'ca');
  const anchors = parseCertificateBundle(await readSourceBytes(config.ca, 'ca'), 'ca', caName);
  const spec: {
    -readonly [K in keyof PeerVerifierSpec]: PeerVerifierSpec[K];
  } = {
    trustAnchors: anchors.map((c) => c.der),
    allowedSchemes: [...config.sigSchemes],
  };
  const crl = config.crlVerify;
  if (crl?.dir && crl.source.kind === 'file') {
    spec.crlDir = crl.source.path;
  } else if (crl) {
    const name = describeSource(crl.source, 'crl-verify');
    const crls = parseCrlBundle(await readSourceBytes(crl.source, 'crl-verify'), name);
    if (crl.source.kind === 'file') spec.crlFile = crl.source.path;
    else spec.crls = crls.map((c) => c.der);
  }
  if (config.verifyX509Name?.type === 'subject') spec.expectedSubject = config.verifyX509Name.name;
  if (config.remoteCertEku !== undefined) spec.requiredEku = config.remoteCertEku;
  if (config.remoteCertKu !== undefined) spec.requiredKeyUsage = [...config.remoteCertKu];
  return spec;
}

/** Every CRL in a PEM file (`X509 CRL` blocks) or one DER CRL; `IDENTITY_BAD_CRL` otherwise. */
export function parseCrlBundle(bytes: Uint8Array, name: string): Crl[] {
  try {
    if (bytes[0] === 0x30) return [parseCrl(bytes)];
    const blocks = decodePemAll(new TextDecoder('utf-8', { fatal: true }).decode(bytes)).filter(
      (b) => b.label === 'X509 CRL',
    );
    if (blocks.length === 0) throw new PqvpnError('CRL_INVALID', 'no "X509 CRL" PEM block found');
    return blocks.map((b) => parseCrl(b.bytes));
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new IdentityError('IDENTITY_BAD_CRL', `crl-verify ${name}: not a usable CRL (${why})`, {
      cause: error,
    });
  }
}

export interface PeerVerifierOptions {
  /** Receives CRL reload notices and errors. */
  readonly logger?: Logger;
}

/** The `PeerCertificateVerifier` for `spec` (see the module comment for what it adds). */
export function createPeerVerifier(
  spec: PeerVerifierSpec,
  options: PeerVerifierOptions = {},
): PeerCertificateVerifier {
  const logger = options.logger ?? silentLogger;
  const trustAnchors = spec.trustAnchors.map((der) => parseCertificate(der));
  const fixedCrls = (spec.crls ?? []).map((der) => parseCrl(der));
  const crlFile = spec.crlFile === undefined ? undefined : watchedCrl(spec.crlFile, logger);
  const base = (crls: readonly Crl[]) =>
    createPkiPeerVerifier({
      trustAnchors,
      crls,
      ...(spec.allowedSchemes ? { allowedSchemes: spec.allowedSchemes } : {}),
    });
  let fixed = crlFile ? undefined : base(fixedCrls);
  let lastCrls: readonly Crl[] | undefined;

  return {
    verify(chainDer, expectedEku, now): PeerVerification {
      try {
        let verifier = fixed;
        if (crlFile) {
          const current = crlFile.current();
          if (!current.ok) return { ok: false, code: 'CRL_INVALID', reason: current.reason };
          if (current.crls !== lastCrls || !fixed) {
            lastCrls = current.crls;
            fixed = base([...fixedCrls, ...current.crls]);
          }
          verifier = fixed;
        }
        const result = verifier!.verify(chainDer, expectedEku, now);
        if (!result.ok) return result;
        const extra = extraChecks(spec, parseCertificate(chainDer[0]!));
        return extra ?? result;
      } catch (error) {
        const why = error instanceof Error ? error.message : String(error);
        return { ok: false, code: 'MALFORMED', reason: `certificate check failed: ${why}` };
      }
    },
  };
}

function extraChecks(spec: PeerVerifierSpec, leaf: Certificate): PeerVerification | undefined {
  const label = `certificate '${formatName(leaf.subject)}' (serial ${leaf.serialHex})`;
  if (spec.crlDir !== undefined) {
    const serial = BigInt(`0x${leaf.serialHex || '0'}`).toString(10);
    if (fileExists(join(spec.crlDir, serial))) {
      return { ok: false, code: 'REVOKED', reason: `${label} is revoked (file ${serial} in ${spec.crlDir})` };
    }
  }
  if (spec.expectedSubject !== undefined && formatName(leaf.subject) !== spec.expectedSubject) {
    return {
      ok: false,
      code: 'NAME_MISMATCH',
      reason: `${label} does not match verify-x509-name subject '${spec.expectedSubject}'`,
    };
  }
  if (spec.requiredEku !== undefined && !leaf.extensions.extKeyUsage?.includes(spec.requiredEku)) {
    return {
      ok: false,
      code: 'WRONG_EKU',
      reason: `${label} lacks the extended key usage ${spec.requiredEku}`,
    };
  }
  if (spec.requiredKeyUsage !== undefined) {
    const ku = leaf.extensions.keyUsage;
    const value = ku === undefined ? undefined : openvpnKeyUsageValue(ku);
    const ok =
      value !== undefined &&
      (spec.requiredKeyUsage.length === 0 ||
        spec.requiredKeyUsage.some((want) => want !== 0 && (value & want) === want));
    if (!ok) {
      const wanted = spec.requiredKeyUsage.map((v) => v.toString(16).padStart(2, '0')).join(', ');
      return {
        ok: false,
        code: 'WRONG_KEY_USAGE',
        reason: `${label} key usage ${value === undefined ? 'absent' : value.toString(16).padStart(2, '0')} does not satisfy remote-cert-ku ${wanted || '(any)'}`,
      };
    }
  }
  return undefined;
}

/** keyUsage as the byte OpenVPN compares: bit n of the BIT STRING → 1 << (7 - n), n < 8. */
export function openvpnKeyUsageValue(usages: readonly KeyUsage[]): number {
  let value = 0;
  for (const u of usages) {
    const bit = KeyUsageBit[u];
    if (bit < 8) value |= 1 << (7 - bit);
  }
  return value;
}

function fileExists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

type CrlState =
  | { readonly ok: true; readonly crls: readonly Crl[] }
  | { readonly ok: false; readonly reason: string };

/** A CRL file re-read whenever stat says it changed. */
function watchedCrl(path: string, logger: Logger): { current(): CrlState } {
  let signature: string | undefined;
  let state: CrlState = { ok: false, reason: `crl-verify ${path} not read yet` };
  return {
    current() {
      let stat: Stats;
      try {
        stat = statSync(path);
      } catch (error) {
        const next = `error:${(error as NodeJS.ErrnoException).code ?? 'unknown'}`;
        if (next !== signature) {
          signature = next;
          state = { ok: false, reason: `crl-verify ${path} cannot be read (${next.slice(6)})` };
          logger.error(`${state.reason}; refusing peers until it is fixed`);
        }
        return state;
      }
      const next = `${stat.dev}:${stat.ino}:${stat.size}:${stat.mtimeMs}`;
      if (next === signature) return state;
      signature = next;
      try {
        if (stat.size > 64 * 1024 * 1024) throw new Error('larger than 64 MiB');
        const crls = parseCrlBundle(new Uint8Array(readFileSync(path)), path);
        const first = state.ok === false && state.reason.endsWith('not read yet');
        state = { ok: true, crls };
        if (!first) logger.info(`crl-verify ${path} re-read: ${crls.length} CRL(s)`);
      } catch (error) {
        const why = error instanceof Error ? error.message : String(error);
        state = { ok: false, reason: `crl-verify ${path} is unusable: ${why}` };
        logger.error(`${state.reason}; refusing peers until it is fixed`);
      }
      return state;
    },
  };
}
