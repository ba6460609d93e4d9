/**
 * Rekeying within an established session (docs/PROTOCOL.md §6).
 *
 * A rekey is a full ephemeral key exchange under the next key id, chained to
 * the previous epoch: either side may start it (the driver decides when — by
 * time, bytes or packets, the data channel's triggers), the packets are
 * protected with keys derived from the previous epoch's rekey secret (so they
 * are authenticated from the first byte and hidden from observers), and the
 * new epoch's secrets come from
 * `HKDF-Extract(derived(previous rekey secret), kem_ss ‖ extra ‖ psk)`.
 * Authentication carries over through that chain, as TLS 1.3 resumption with
 * psk_dhe_ke does; certificates and passwords are not re-sent. Forward
 * secrecy comes from the fresh KEM key pair, and with QKD a fresh extra
 * secret is mixed in per epoch.
 *
 * ```
 *   initiator                                responder
 *   RekeyInit(random, suite, key share, extra offer)  -->
 *                                            (extra-secret-needed → provideExtraSecret)
 *                  <--  RekeyResponse(random, ciphertext, extra_used), Finished
 *                                            installs new keys for receiving
 *   installs new keys, sends under them
 *   Finished  -->
 *                                            starts sending under the new keys
 * ```
 *
 * Collisions: if both sides send RekeyInit for the same key id, the server's
 * wins — the server ignores the client's RekeyInit, and the client abandons
 * its own and answers the server's (its RekeyInit stays in its stream but not
 * in either transcript).
 * @module
 */

import { createDataKeyMaterial, type DataKeyMaterial, nextKeyId } from '../data/keys.js';
import { AlertCode, ExtraSecretMode, Level, MessageType, RANDOM_LENGTH } from './constants.js';
import type { HandshakeCrypto } from './crypto-provider.js';
import type { KemSuite } from './kem-suites.js';
import {
  combineSecrets,
  dataKeys,
  deriveSecret,
  finishedMac,
  handshakeSecret,
  masterSecret,
  rekeyTrafficSecrets,
  trafficKeys,
} from './key-schedule.js';
import { Label } from './labels.js';
import type { ExtraSecretOffer, HandshakeMessage, RekeyInit, RekeyResponse } from './messages.js';
import { type Epoch, SessionCore } from './session-core.js';
import { Transcript } from './transcript.js';
import { type CommonSessionConfig, type ExtraSecretInput, extraModeName } from './types.js';

type RekeyStep =
  | 'wait-response'
  | 'wait-responder-finished'
  | 'wait-init'
  | 'wait-extra'
  | 'wait-initiator-finished'
  | 'done';

interface RekeyState {
  role: 'initiator' | 'responder';
  step: RekeyStep;
  /** The previous epoch's rekey secret. */
  readonly chain: Uint8Array;
  kemSecretKey?: Uint8Array;
  offer?: ExtraSecretOffer;
  extraSecret?: Uint8Array;
  pendingInit?: RekeyInit;
  hsClient?: Uint8Array;
  hsServer?: Uint8Array;
  master?: Uint8Array;
  data?: DataKeyMaterial;
}

/** The per-session secrets an established epoch leaves for the next. */
export interface EstablishedKeys {
  suite: KemSuite;
  rekeySecret: Uint8Array;
}

export abstract class RekeyingSession extends SessionCore {
  protected established: EstablishedKeys | undefined;
  private readonly rekeys = new Map<number, RekeyState>();

  protected constructor(
    role: 'client' | 'server',
    common: CommonSessionConfig,
    crypto: HandshakeCrypto,
    localSessionId: Uint8Array,
  ) {
    super(role, common, crypto, localSessionId);
  }

  protected rekeyInProgress(): boolean {
    for (const s of this.rekeys.values()) if (s.step !== 'done') return true;
    return false;
  }

  private rekeyEpoch(now: number, keyId: number): Epoch {
    const prev = this.established!.rekeySecret;
    const epoch = this.newEpoch(keyId, 'rekey', now, true);
    const s = rekeyTrafficSecrets(prev, keyId);
    this.installKeys(epoch, Level.handshake, trafficKeys(s.client), trafficKeys(s.server), true);
    return epoch;
  }

  protected beginRekey(now: number, extra: ExtraSecretInput | undefined): void {
    const keys = this.established!;
    const offer = this.extraOffer(extra);
    const keyId = nextKeyId(this.currentKeyId);
    this.retirePrevious();
    this.epochs.delete(keyId);
    const epoch = this.rekeyEpoch(now, keyId);
    const kp = this.crypto.kemKeygen(keys.suite);
    const state: RekeyState = { role: 'initiator', step: 'wait-response', chain: keys.rekeySecret, offer };
    state.kemSecretKey = kp.secretKey;
    if (extra) state.extraSecret = Uint8Array.from(extra.secret);
    this.rekeys.set(keyId, state);
    this.sendMessage(epoch, Level.handshake, {
      type: MessageType.rekeyInit,
      random: this.crypto.randomBytes(RANDOM_LENGTH),
      kemSuite: keys.suite.codePoint,
      keyShare: kp.publicKey,
      extra: offer,
    });
    this.emit({ type: 'rekey-started', keyId, initiator: 'local' });
  }

  protected peerRekeyEpoch(now: number, keyId: number): Epoch | undefined {
    if (this.phaseValue !== 'established' || !this.established) return undefined;
    if (keyId !== nextKeyId(this.currentKeyId) || this.rekeyInProgress()) return undefined;
    const epoch = this.rekeyEpoch(now, keyId);
    this.rekeys.set(keyId, { role: 'responder', step: 'wait-init', chain: this.established.rekeySecret });
    return epoch;
  }

  protected override abandonEpoch(keyId: number): void {
    super.abandonEpoch(keyId);
    this.rekeys.delete(keyId);
  }

  protected onRekeyMessage(
    now: number,
    epoch: Epoch,
    m: HandshakeMessage,
    level: Level,
    raw: Uint8Array,
  ): void {
    const s = this.rekeys.get(epoch.keyId);
    if (!s || level !== Level.handshake) {
      return void this.fail(
        now,
        epoch,
        AlertCode.unexpectedMessage,
        `message ${m.type} at level ${level} in a rekey`,
      );
    }
    if (m.type === MessageType.rekeyInit && s.role === 'initiator' && s.step === 'wait-response') {
      if (this.role === 'server') return; // collision: the server's own RekeyInit wins
      // collision: the client yields and answers the server's RekeyInit
      s.kemSecretKey?.fill(0);
      s.extraSecret?.fill(0);
      delete s.kemSecretKey;
      delete s.extraSecret;
      s.role = 'responder';
      s.step = 'wait-init';
      epoch.transcript = new Transcript();
    }
    switch (s.step) {
      case 'wait-init':
        if (m.type !== MessageType.rekeyInit) break;
        return void this.onRekeyInit(now, epoch, s, m, raw);
      case 'wait-response':
        if (m.type !== MessageType.rekeyResponse) break;
        return void this.onRekeyResponse(now, epoch, s, m, raw);
      case 'wait-responder-finished':
        if (m.type !== MessageType.finished) break;
        return void this.onResponderFinished(now, epoch, s, m.verifyData, raw);
      case 'wait-initiator-finished':
        if (m.type !== MessageType.finished) break;
        return void this.onInitiatorFinished(now, epoch, s, m.verifyData, raw);
      case 'wait-extra':
      case 'done':
        break;
    }
    this.fail(
      now,
      epoch,
      AlertCode.unexpectedMessage,
      `unexpected message ${m.type} in rekey step ${s.step}`,
    );
  }

  private onRekeyInit(now: number, epoch: Epoch, s: RekeyState, m: RekeyInit, raw: Uint8Array): void {
    if (m.kemSuite !== this.established!.suite.codePoint) {
      return void this.fail(now, epoch, AlertCode.illegalParameter, 'rekey must use the session KEM suite');
    }
    this.retirePrevious(); // at most two epochs: the current one and this one
    epoch.transcript.add(raw);
    s.offer = m.extra;
    const decision = this.decideExtra(m.extra);
    if (decision.kind === 'fail')
      return void this.fail(now, epoch, AlertCode.extraSecretUnavailable, decision.detail);
    if (decision.kind === 'fetch') {
      s.step = 'wait-extra';
      s.pendingInit = m;
      this.emit({
        type: 'extra-secret-needed',
        keyId: epoch.keyId,
        extraKeyId: m.extra.keyId,
        initiatorSaeId: m.extra.initiatorSaeId,
        responderSaeId: m.extra.responderSaeId,
        mode: extraModeName(m.extra.mode),
      });
      return;
    }
    this.respond(now, epoch, s, m, undefined);
  }

  /** Routes a driver's extra secret to the rekey waiting for it (the server also has its initial epoch). */
  protected onRekeyExtraSecret(now: number, epoch: Epoch, secret: Uint8Array | undefined): void {
    const s = this.rekeys.get(epoch.keyId);
    if (s?.step !== 'wait-extra' || !s.pendingInit) return;
    if (!secret) {
      const required =
        this.common.extraSecret?.mode === 'required' || s.pendingInit.extra.mode === ExtraSecretMode.required;
      if (required)
        return void this.fail(
          now,
          epoch,
          AlertCode.extraSecretUnavailable,
          'the extra secret could not be fetched',
        );
    }
    this.respond(now, epoch, s, s.pendingInit, secret);
  }

  private respond(
    now: number,
    epoch: Epoch,
    s: RekeyState,
    m: RekeyInit,
    extra: Uint8Array | undefined,
  ): void {
    const suite = this.established!.suite;
    const enc = this.crypto.kemEncapsulate(suite, m.keyShare);
    if (!enc)
      return void this.fail(now, epoch, AlertCode.illegalParameter, 'malformed KEM key share in RekeyInit');
    delete s.pendingInit;
    this.sendMessage(epoch, Level.handshake, {
      type: MessageType.rekeyResponse,
      random: this.crypto.randomBytes(RANDOM_LENGTH),
      kemCipherText: enc.cipherText,
      extraUsed: extra !== undefined,
    });
    this.deriveHandshake(epoch, s, enc.sharedSecret, extra);
    enc.sharedSecret.fill(0);
    const mine = this.role === 'client' ? s.hsClient! : s.hsServer!;
    this.sendMessage(epoch, Level.handshake, {
      type: MessageType.finished,
      verifyData: finishedMac(mine, epoch.transcript.current()),
    });
    this.deriveApplication(epoch, s, false);
    s.step = 'wait-initiator-finished';
    this.emit({ type: 'keys-installed', keys: s.data!, sending: false });
  }

  private onRekeyResponse(now: number, epoch: Epoch, s: RekeyState, m: RekeyResponse, raw: Uint8Array): void {
    const suite = this.established!.suite;
    const extraRefusal = this.extraAnswerRefusal(m.extraUsed, s.extraSecret !== undefined, 'peer');
    if (extraRefusal) return void this.fail(now, epoch, extraRefusal.alert, extraRefusal.detail);
    const ss = this.crypto.kemDecapsulate(suite, m.kemCipherText, s.kemSecretKey!);
    s.kemSecretKey!.fill(0);
    delete s.kemSecretKey;
    if (!ss)
      return void this.fail(
        now,
        epoch,
        AlertCode.illegalParameter,
        'malformed KEM ciphertext in RekeyResponse',
      );
    epoch.transcript.add(raw);
    this.deriveHandshake(epoch, s, ss, m.extraUsed ? s.extraSecret : undefined);
    ss.fill(0);
    s.extraSecret?.fill(0);
    s.step = 'wait-responder-finished';
  }

  /** The peer's rekey Finished against its handshake secret; a mismatch fails the epoch. */
  private peerFinishedVerifies(now: number, epoch: Epoch, s: RekeyState, verifyData: Uint8Array): boolean {
    const theirs = this.role === 'client' ? s.hsServer! : s.hsClient!;
    if (this.finishedMatches(finishedMac(theirs, epoch.transcript.current()), verifyData)) return true;
    this.fail(
      now,
      epoch,
      AlertCode.decryptError,
      'rekey Finished does not verify (keys or transcript differ)',
    );
    return false;
  }

  private onResponderFinished(
    now: number,
    epoch: Epoch,
    s: RekeyState,
    verifyData: Uint8Array,
    raw: Uint8Array,
  ): void {
    if (!this.peerFinishedVerifies(now, epoch, s, verifyData)) return;
    epoch.transcript.add(raw);
    this.deriveApplication(epoch, s, true);
    const mine = this.role === 'client' ? s.hsClient! : s.hsServer!;
    this.sendMessage(epoch, Level.handshake, {
      type: MessageType.finished,
      verifyData: finishedMac(mine, epoch.transcript.current()),
    });
    this.completeRekey(now, epoch, s);
    this.emit({ type: 'keys-installed', keys: s.data!, sending: true });
  }

  private onInitiatorFinished(
    now: number,
    epoch: Epoch,
    s: RekeyState,
    verifyData: Uint8Array,
    raw: Uint8Array,
  ): void {
    if (!this.peerFinishedVerifies(now, epoch, s, verifyData)) return;
    epoch.transcript.add(raw);
    this.completeRekey(now, epoch, s);
    this.emit({ type: 'keys-activated', keyId: epoch.keyId });
  }

  private deriveHandshake(
    epoch: Epoch,
    s: RekeyState,
    kemSs: Uint8Array,
    extra: Uint8Array | undefined,
  ): void {
    const hs = handshakeSecret(s.chain, combineSecrets(kemSs, extra, this.common.psk));
    const h = epoch.transcript.current();
    s.hsClient = deriveSecret(hs, Label.clientHandshakeTraffic, h);
    s.hsServer = deriveSecret(hs, Label.serverHandshakeTraffic, h);
    s.master = masterSecret(hs);
    hs.fill(0);
  }

  /** After the responder's Finished is in the transcript: application keys and data keys. */
  private deriveApplication(epoch: Epoch, s: RekeyState, peerHas: boolean): void {
    const h = epoch.transcript.current();
    const ca = trafficKeys(deriveSecret(s.master!, Label.clientAppTraffic, h));
    const sa = trafficKeys(deriveSecret(s.master!, Label.serverAppTraffic, h));
    this.installKeys(epoch, Level.application, ca, sa, peerHas);
    s.data = this.dataKeyMaterial(deriveSecret(s.master!, Label.data, h), epoch.keyId);
  }

  private completeRekey(now: number, epoch: Epoch, s: RekeyState): void {
    this.established!.rekeySecret = deriveSecret(s.master!, Label.rekey, epoch.transcript.current());
    for (const k of [s.hsClient, s.hsServer, s.master]) k?.fill(0);
    s.step = 'done';
    epoch.done = true;
    this.promote(now, epoch);
    this.rekeys.delete(epoch.keyId);
  }

  /** Data keys from this endpoint's point of view. */
  protected dataKeyMaterial(dataSecret: Uint8Array, keyId: number): DataKeyMaterial {
    const k = dataKeys(dataSecret, keyId);
    dataSecret.fill(0);
    const [send, receive] =
      this.role === 'client' ? [k.clientToServer, k.serverToClient] : [k.serverToClient, k.clientToServer];
    return createDataKeyMaterial({ keyId, send, receive });
  }

  protected wipeRekeys(): void {
    for (const s of this.rekeys.values()) {
      for (const k of [s.kemSecretKey, s.extraSecret, s.hsClient, s.hsServer, s.master]) k?.fill(0);
    }
    this.rekeys.clear();
    this.established?.rekeySecret.fill(0);
  }

  protected rekeySummary(): unknown {
    return [...this.rekeys.entries()].map(([k, s]) => ({ k, role: s.role, step: s.step }));
  }
}
