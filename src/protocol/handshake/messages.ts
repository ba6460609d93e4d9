/**
 * Handshake messages: types and byte-exact codecs (docs/PROTOCOL.md §5).
 *
 * A handshake message travels in a control stream as
 * `type (u8) ‖ length (u24) ‖ body`; the transcript hash covers exactly those
 * bytes. This module encodes and decodes bodies; `encodeMessage` adds the
 * header. Decoding is strict: every length is checked against its bounds,
 * lists may not repeat entries, reserved values are rejected and trailing bytes
 * are an error — so one byte string has one meaning, and a bit flip that the
 * AEAD somehow let through could not be reinterpreted silently.
 *
 * Decoders throw `WireError` on malformed input; the state machines catch it
 * and answer with a DECODE_ERROR alert.
 * @module
 */

import {
  type AlertCode,
  ExtraSecretMode,
  HASH_LENGTH,
  isAlertCode,
  KEY_CHECK_LENGTH,
  MAX_MESSAGE_LENGTH,
  MESSAGE_HEADER_LENGTH,
  MessageType,
  RANDOM_LENGTH,
  SESSION_ID_LENGTH,
} from './constants.js';
import { utf8, WireError, WireReader, WireWriter } from './wire.js';

/** The extra secret (QKD key) descriptor of ClientHello and RekeyInit. */
export interface ExtraSecretOffer {
  readonly mode: ExtraSecretMode;
  /** ETSI GS QKD 014 SAE id of the initiator (the "master" SAE that fetched the key). Empty when mode is none. */
  readonly initiatorSaeId: string;
  /** SAE id the initiator expects the responder to be. Empty when mode is none. */
  readonly responderSaeId: string;
  /** The key's identifier (QKD 014 key_ID); empty = "no key available" (allowed only in optional mode). */
  readonly keyId: Uint8Array;
}

export const NO_EXTRA_SECRET: ExtraSecretOffer = Object.freeze({
  mode: ExtraSecretMode.none,
  initiatorSaeId: '',
  responderSaeId: '',
  keyId: new Uint8Array(0),
});

export interface KemOffer {
  readonly suite: number;
  readonly keyShare: Uint8Array;
}

export interface ClientHello {
  readonly type: typeof MessageType.clientHello;
  readonly versions: readonly number[];
  readonly sessionId: Uint8Array;
  readonly random: Uint8Array;
  readonly kemOffers: readonly KemOffer[];
  readonly signatureSchemes: readonly number[];
  readonly psk: boolean;
  readonly extra: ExtraSecretOffer;
  readonly extensions: Uint8Array;
}

export interface ServerHello {
  readonly type: typeof MessageType.serverHello;
  readonly version: number;
  readonly sessionId: Uint8Array;
  readonly random: Uint8Array;
  readonly kemSuite: number;
  readonly kemCipherText: Uint8Array;
  readonly extraUsed: boolean;
  /** Proves the server derived the same handshake secret (same PSK and extra secret); see key-schedule.ts. */
  readonly keyCheck: Uint8Array;
  readonly extensions: Uint8Array;
}

export interface EncryptedExtensions {
  readonly type: typeof MessageType.encryptedExtensions;
  /** Bit mask of ClientAuth. */
  readonly clientAuth: number;
  /** Schemes the server accepts for the client's certificate (empty unless a certificate is required). */
  readonly clientSignatureSchemes: readonly number[];
  readonly extensions: Uint8Array;
}

export interface CertificateMessage {
  readonly type: typeof MessageType.certificate;
  /** DER certificates, leaf first. */
  readonly chain: readonly Uint8Array[];
}

export interface CertificateVerify {
  readonly type: typeof MessageType.certificateVerify;
  readonly scheme: number;
  readonly signature: Uint8Array;
}

export interface Finished {
  readonly type: typeof MessageType.finished;
  readonly verifyData: Uint8Array;
}

export interface PasswordAuth {
  readonly type: typeof MessageType.passwordAuth;
  readonly username: string;
  readonly password: Uint8Array;
}

export interface ServerResult {
  readonly type: typeof MessageType.serverResult;
  readonly peerId: number;
  readonly options: readonly string[];
}

export interface RekeyInit {
  readonly type: typeof MessageType.rekeyInit;
  readonly random: Uint8Array;
  readonly kemSuite: number;
  readonly keyShare: Uint8Array;
  readonly extra: ExtraSecretOffer;
}

export interface RekeyResponse {
  readonly type: typeof MessageType.rekeyResponse;
  readonly random: Uint8Array;
  readonly kemCipherText: Uint8Array;
  readonly extraUsed: boolean;
}

export interface Alert {
  readonly type: typeof MessageType.alert;
  readonly code: AlertCode;
}

export type HandshakeMessage =
  | ClientHello
  | ServerHello
  | EncryptedExtensions
  | CertificateMessage
  | CertificateVerify
  | Finished
  | PasswordAuth
  | ServerResult
  | RekeyInit
  | RekeyResponse
  | Alert;

// Field limits (also in docs/PROTOCOL.md).
export const MAX_VERSIONS = 16;
export const MAX_KEM_OFFERS = 4;
export const MAX_KEY_SHARE = 4_096;
export const MAX_SIGNATURE_SCHEMES = 64;
export const MAX_SAE_ID = 255;
export const MAX_EXTRA_KEY_ID = 1_024;
export const MAX_EXTENSIONS = 1_024;
export const MAX_CHAIN = 8;
export const MAX_USERNAME = 255;
export const MAX_PASSWORD = 1_024;
export const MAX_OPTIONS = 256;
export const MAX_OPTION = 1_024;

function writeU16List(w: WireWriter, list: readonly number[]): void {
  w.u8(list.length);
  for (const v of list) w.u16(v);
}

function readU16List(r: WireReader, what: string, min: number, max: number): number[] {
  const n = r.u8(what);
  if (n < min || n > max) throw new WireError(`${what}: ${n} entries, allowed ${min}..${max}`);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const v = r.u16(what);
    if (out.includes(v)) throw new WireError(`${what}: duplicate 0x${v.toString(16)}`);
    out.push(v);
  }
  return out;
}

function writeExtra(w: WireWriter, e: ExtraSecretOffer): void {
  w.u8(e.mode);
  if (e.mode === ExtraSecretMode.none) return;
  w.vector(1, utf8.encode(e.initiatorSaeId));
  w.vector(1, utf8.encode(e.responderSaeId));
  w.vector(2, e.keyId);
}

function readExtra(r: WireReader): ExtraSecretOffer {
  const mode = r.u8('extra.mode');
  if (mode === ExtraSecretMode.none) return NO_EXTRA_SECRET;
  if (mode !== ExtraSecretMode.optional && mode !== ExtraSecretMode.required) {
    throw new WireError(`extra.mode: reserved value ${mode}`);
  }
  const initiatorSaeId = utf8.decode(
    r.vector(1, 'extra.initiator_sae_id', 1, MAX_SAE_ID),
    'extra.initiator_sae_id',
  );
  const responderSaeId = utf8.decode(
    r.vector(1, 'extra.responder_sae_id', 1, MAX_SAE_ID),
    'extra.responder_sae_id',
  );
  const keyId = r.vector(2, 'extra.key_id', 0, MAX_EXTRA_KEY_ID).slice();
  if (mode === ExtraSecretMode.required && keyId.length === 0) {
    throw new WireError('extra.key_id: empty in required mode');
  }
  return { mode, initiatorSaeId, responderSaeId, keyId };
}

function readBool(r: WireReader, what: string): boolean {
  const v = r.u8(what);
  if (v > 1) throw new WireError(`${what}: must be 0 or 1, got ${v}`);
  return v === 1;
}

/** Encodes a message body (without the 4-byte header). Throws RangeError on programmer error. */
export function encodeBody(m: HandshakeMessage): Uint8Array {
  const w = new WireWriter();
  switch (m.type) {
    case MessageType.clientHello:
      writeU16List(w, m.versions);
      w.bytes(fixed(m.sessionId, SESSION_ID_LENGTH)).bytes(fixed(m.random, RANDOM_LENGTH));
      w.u8(m.kemOffers.length);
      for (const o of m.kemOffers) w.u16(o.suite).vector(2, o.keyShare);
      writeU16List(w, m.signatureSchemes);
      w.u8(m.psk ? 1 : 0);
      writeExtra(w, m.extra);
      w.vector(2, m.extensions);
      break;
    case MessageType.serverHello:
      w.u16(m.version).bytes(fixed(m.sessionId, SESSION_ID_LENGTH)).bytes(fixed(m.random, RANDOM_LENGTH));
      w.u16(m.kemSuite)
        .vector(2, m.kemCipherText)
        .u8(m.extraUsed ? 1 : 0);
      w.bytes(fixed(m.keyCheck, KEY_CHECK_LENGTH)).vector(2, m.extensions);
      break;
    case MessageType.encryptedExtensions:
      w.u8(m.clientAuth);
      writeU16List(w, m.clientSignatureSchemes);
      w.vector(2, m.extensions);
      break;
    case MessageType.certificate:
      w.u8(m.chain.length);
      for (const c of m.chain) w.vector(3, c);
      break;
    case MessageType.certificateVerify:
      w.u16(m.scheme).vector(3, m.signature);
      break;
    case MessageType.finished:
      w.bytes(fixed(m.verifyData, HASH_LENGTH));
      break;
    case MessageType.passwordAuth:
      w.vector(1, utf8.encode(m.username)).vector(2, m.password);
      break;
    case MessageType.serverResult:
      w.u24(m.peerId).u16(m.options.length);
      for (const o of m.options) w.vector(2, utf8.encode(o));
      break;
    case MessageType.rekeyInit:
      w.bytes(fixed(m.random, RANDOM_LENGTH)).u16(m.kemSuite).vector(2, m.keyShare);
      writeExtra(w, m.extra);
      break;
    case MessageType.rekeyResponse:
      w.bytes(fixed(m.random, RANDOM_LENGTH))
        .vector(2, m.kemCipherText)
        .u8(m.extraUsed ? 1 : 0);
      break;
    case MessageType.alert:
      w.u8(m.code);
      break;
  }
  const body = w.finish();
  if (body.length > MAX_MESSAGE_LENGTH[m.type]) {
    throw new RangeError(
      `message type ${m.type} body of ${body.length} bytes exceeds ${MAX_MESSAGE_LENGTH[m.type]}`,
    );
  }
  return body;
}

/** Encodes a whole message: header and body. These are the bytes the transcript hashes. */
export function encodeMessage(m: HandshakeMessage): Uint8Array {
  const body = encodeBody(m);
  return new WireWriter().u8(m.type).u24(body.length).bytes(body).finish();
}

function fixed(b: Uint8Array, n: number): Uint8Array {
  if (b.length !== n) throw new RangeError(`expected ${n} bytes, got ${b.length}`);
  return b;
}

export function isMessageType(v: number): v is MessageType {
  return Object.hasOwn(MAX_MESSAGE_LENGTH, v);
}

/** Decodes a message body of a known type. Copies every byte string it keeps. */
export function decodeBody(type: MessageType, body: Uint8Array): HandshakeMessage {
  if (body.length > MAX_MESSAGE_LENGTH[type]) throw new WireError(`message type ${type}: body too long`);
  const r = new WireReader(body);
  let m: HandshakeMessage;
  switch (type) {
    case MessageType.clientHello: {
      const versions = readU16List(r, 'client_hello.versions', 1, MAX_VERSIONS);
      const sessionId = r.bytesN(SESSION_ID_LENGTH, 'client_hello.session_id').slice();
      const random = r.bytesN(RANDOM_LENGTH, 'client_hello.random').slice();
      const n = r.u8('client_hello.kem_offers');
      if (n < 1 || n > MAX_KEM_OFFERS) throw new WireError(`client_hello.kem_offers: ${n} entries`);
      const kemOffers: KemOffer[] = [];
      for (let i = 0; i < n; i++) {
        const suite = r.u16('client_hello.kem_offer.suite');
        if (kemOffers.some((o) => o.suite === suite))
          throw new WireError('client_hello.kem_offers: duplicate suite');
        kemOffers.push({
          suite,
          keyShare: r.vector(2, 'client_hello.kem_offer.key_share', 1, MAX_KEY_SHARE).slice(),
        });
      }
      const signatureSchemes = readU16List(r, 'client_hello.signature_schemes', 1, MAX_SIGNATURE_SCHEMES);
      const psk = readBool(r, 'client_hello.psk');
      const extra = readExtra(r);
      const extensions = r.vector(2, 'client_hello.extensions', 0, MAX_EXTENSIONS).slice();
      m = { type, versions, sessionId, random, kemOffers, signatureSchemes, psk, extra, extensions };
      break;
    }
    case MessageType.serverHello:
      m = {
        type,
        version: r.u16('server_hello.version'),
        sessionId: r.bytesN(SESSION_ID_LENGTH, 'server_hello.session_id').slice(),
        random: r.bytesN(RANDOM_LENGTH, 'server_hello.random').slice(),
        kemSuite: r.u16('server_hello.kem_suite'),
        kemCipherText: r.vector(2, 'server_hello.kem_ciphertext', 1, MAX_KEY_SHARE).slice(),
        extraUsed: readBool(r, 'server_hello.extra_used'),
        keyCheck: r.bytesN(KEY_CHECK_LENGTH, 'server_hello.key_check').slice(),
        extensions: r.vector(2, 'server_hello.extensions', 0, MAX_EXTENSIONS).slice(),
      };
      break;
    case MessageType.encryptedExtensions: {
      const clientAuth = r.u8('encrypted_extensions.client_auth');
      if (clientAuth > 3)
        throw new WireError(`encrypted_extensions.client_auth: reserved bits in ${clientAuth}`);
      m = {
        type,
        clientAuth,
        clientSignatureSchemes: readU16List(
          r,
          'encrypted_extensions.client_signature_schemes',
          0,
          MAX_SIGNATURE_SCHEMES,
        ),
        extensions: r.vector(2, 'encrypted_extensions.extensions', 0, MAX_EXTENSIONS).slice(),
      };
      break;
    }
    case MessageType.certificate: {
      const n = r.u8('certificate.count');
      if (n < 1 || n > MAX_CHAIN) throw new WireError(`certificate.count: ${n}`);
      const chain: Uint8Array[] = [];
      for (let i = 0; i < n; i++) chain.push(r.vector(3, 'certificate.der', 1).slice());
      m = { type, chain };
      break;
    }
    case MessageType.certificateVerify:
      m = {
        type,
        scheme: r.u16('certificate_verify.scheme'),
        signature: r.vector(3, 'certificate_verify.signature', 1).slice(),
      };
      break;
    case MessageType.finished:
      m = { type, verifyData: r.bytesN(HASH_LENGTH, 'finished.verify_data').slice() };
      break;
    case MessageType.passwordAuth:
      m = {
        type,
        username: utf8.decode(
          r.vector(1, 'password_auth.username', 1, MAX_USERNAME),
          'password_auth.username',
        ),
        password: r.vector(2, 'password_auth.password', 0, MAX_PASSWORD).slice(),
      };
      break;
    case MessageType.serverResult: {
      const peerId = r.u24('server_result.peer_id');
      const n = r.u16('server_result.options');
      if (n > MAX_OPTIONS) throw new WireError(`server_result.options: ${n} entries`);
      const options: string[] = [];
      for (let i = 0; i < n; i++) {
        options.push(utf8.decode(r.vector(2, 'server_result.option', 1, MAX_OPTION), 'server_result.option'));
      }
      m = { type, peerId, options };
      break;
    }
    case MessageType.rekeyInit:
      m = {
        type,
        random: r.bytesN(RANDOM_LENGTH, 'rekey_init.random').slice(),
        kemSuite: r.u16('rekey_init.kem_suite'),
        keyShare: r.vector(2, 'rekey_init.key_share', 1, MAX_KEY_SHARE).slice(),
        extra: readExtra(r),
      };
      break;
    case MessageType.rekeyResponse:
      m = {
        type,
        random: r.bytesN(RANDOM_LENGTH, 'rekey_response.random').slice(),
        kemCipherText: r.vector(2, 'rekey_response.kem_ciphertext', 1, MAX_KEY_SHARE).slice(),
        extraUsed: readBool(r, 'rekey_response.extra_used'),
      };
      break;
    case MessageType.alert: {
      const code = r.u8('alert.code');
      if (!isAlertCode(code)) throw new WireError(`alert.code: unknown ${code}`);
      m = { type, code };
      break;
    }
  }
  r.end(`message type ${type}`);
  return m;
}

/** Decodes one whole message (header and body), as in test vectors. */
export function decodeMessage(bytes: Uint8Array): HandshakeMessage {
  const r = new WireReader(bytes);
  const type = r.u8('message.type');
  const len = r.u24('message.length');
  if (!isMessageType(type)) throw new WireError(`message.type: unknown ${type}`);
  if (len !== bytes.length - MESSAGE_HEADER_LENGTH) throw new WireError('message.length: does not match');
  return decodeBody(type, r.rest());
}
