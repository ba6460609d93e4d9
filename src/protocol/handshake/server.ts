/**
 * The server side of one pqvpn session: a pure state machine
 * (docs/PROTOCOL.md §5, §9). A session is created by the driver (or
 * `ServerEndpoint`) when `ServerGate` has accepted a client's first Initial
 * packet, and is fed every later datagram for that client.
 *
 * ```
 *   wait-client-hello ──ClientHello──▶ [wait-extra: extra-secret-needed → provideExtraSecret]
 *     ──▶ ServerHello, EncryptedExtensions, Certificate, CertificateVerify, Finished
 *     ──▶ wait-client-certificate ─▶ wait-client-certificate-verify   (certificate modes)
 *     ──▶ wait-password                                               (password modes)
 *     ──▶ wait-client-finished ──Finished──▶ wait-auth: `auth-needed` event
 *     ──authResult(ok)──▶ ServerResult(peer id, pushed options) ──▶ done (established)
 *     ──authResult(fail)──▶ AUTH_FAILED alert ──▶ closed (reason in the event's detail only)
 * ```
 * Public-key work happens only once a whole, well-formed ClientHello has
 * arrived (one encapsulation and one signature), and again for a client
 * certificate after the client has proven it received our flight.
 * @module
 */

import type { SignatureScheme } from '../../crypto/signature-scheme.js';
import { signatureSchemeByName, signatureSchemeNames } from '../../crypto/signature-schemes.js';
import { PqvpnError } from '../../errors.js';
import type { DataKeyMaterial } from '../data/keys.js';
import {
  AlertCode,
  ClientAuth,
  Level,
  MessageType,
  PEER_ID_UNASSIGNED,
  RANDOM_LENGTH,
  SESSION_ID_LENGTH,
  SUPPORTED_VERSIONS,
} from './constants.js';
import type { HandshakeCrypto } from './crypto-provider.js';
import { type KemSuite, kemSuiteByCodePoint, kemSuiteByName, kemSuiteNames } from './kem-suites.js';
import {
  combineSecrets,
  deriveSecret,
  finishedMac,
  handshakeSecret,
  initialSecrets,
  keyCheck,
  masterSecret,
  trafficKeys,
  ZERO_HASH,
} from './key-schedule.js';
import { Label, SignatureContext } from './labels.js';
import { type ClientHello, type HandshakeMessage, MAX_OPTION, MAX_OPTIONS } from './messages.js';
import { checkCertificateVerify, checkPeerCertificate, type PeerKey, signatureInput } from './peer-auth.js';
import { RekeyingSession } from './rekey.js';
import type { Epoch } from './session-core.js';
import {
  type AuthResult,
  extraModeName,
  type PeerCertificateVerifier,
  type ServerConfig,
  type SessionAction,
} from './types.js';

type ServerStep =
  | 'wait-client-hello'
  | 'wait-extra'
  | 'wait-client-certificate'
  | 'wait-client-certificate-verify'
  | 'wait-password'
  | 'wait-client-finished'
  | 'wait-auth'
  | 'done';

export interface ServerDependencies {
  readonly crypto: HandshakeCrypto;
  readonly verifier: PeerCertificateVerifier;
}

export interface ServerSessionInit {
  /** Creation time (ms): the handshake timeout counts from here. */
  readonly now: number;
  /** The client's session id, from the header of its first Initial packet. */
  readonly clientSessionId: Uint8Array;
  /** True when the first packet carried a valid cookie (the client receives at its address). */
  readonly addressValidated: boolean;
}

export class ServerSession extends RekeyingSession {
  private readonly config: ServerConfig;
  private readonly verifier: PeerCertificateVerifier;
  private readonly acceptedSuites: readonly KemSuite[];
  private readonly ownScheme: SignatureScheme;
  private readonly clientSchemes: readonly SignatureScheme[];
  private readonly clientAuth: number;
  private step: ServerStep = 'wait-client-hello';
  private hello: ClientHello | undefined;
  private suite: KemSuite | undefined;
  private version = 0;
  private hsClient: Uint8Array | undefined;
  private hsServer: Uint8Array | undefined;
  private master: Uint8Array | undefined;
  private clientKey: PeerKey | undefined;
  private username: string | undefined;
  private password: Uint8Array | undefined;
  private pendingData: DataKeyMaterial | undefined;
  private pendingRekeySecret: Uint8Array | undefined;
  private awaitingResultAck = false;

  constructor(config: ServerConfig, deps: ServerDependencies, init: ServerSessionInit) {
    let sid = deps.crypto.randomBytes(SESSION_ID_LENGTH);
    while (sid.every((b) => b === 0)) sid = deps.crypto.randomBytes(SESSION_ID_LENGTH);
    super('server', config, deps.crypto, sid);
    if (!config.clientAuth.certificate && !config.clientAuth.password) {
      throw new PqvpnError(
        'CONTROL_CONFIG',
        'the server must require a client certificate, a password, or both',
      );
    }
    if (init.clientSessionId.length !== SESSION_ID_LENGTH || init.clientSessionId.every((b) => b === 0)) {
      throw new PqvpnError('SESSION_MISUSE', 'invalid client session id');
    }
    this.config = config;
    this.verifier = deps.verifier;
    this.acceptedSuites = (config.kemSuites ?? kemSuiteNames()).map(kemSuiteByName);
    this.ownScheme = signatureSchemeByName(config.identity.scheme);
    this.clientSchemes = (config.clientSignatureSchemes ?? signatureSchemeNames()).map(signatureSchemeByName);
    this.clientAuth =
      (config.clientAuth.certificate ? ClientAuth.certificate : 0) |
      (config.clientAuth.password ? ClientAuth.password : 0);
    this.peerSessionId = Uint8Array.from(init.clientSessionId);
    const epoch = this.newEpoch(0, 'initial', init.now, init.addressValidated);
    const secrets = initialSecrets(this.peerSessionId);
    this.installKeys(epoch, Level.initial, trafficKeys(secrets.client), trafficKeys(secrets.server), true);
  }

  /**
   * The driver's answer to `auth-needed`. On success the server sends the
   * assigned peer id and pushed options and the session is established; on
   * failure the client gets AUTH_FAILED and nothing else (the reason goes to
   * the local `closed` event only).
   */
  authResult(now: number, result: AuthResult): SessionAction[] {
    if (this.phaseValue === 'closed') return this.run(now, false, () => {});
    if (this.step !== 'wait-auth') throw new PqvpnError('SESSION_MISUSE', `authResult in step ${this.step}`);
    if (result.ok) {
      if (!Number.isInteger(result.peerId) || result.peerId < 0 || result.peerId >= PEER_ID_UNASSIGNED) {
        throw new PqvpnError('SESSION_MISUSE', `peer id must be 0..0xFFFFFE, got ${result.peerId}`);
      }
      if (
        result.pushOptions.length > MAX_OPTIONS ||
        result.pushOptions.some((o) => o.length === 0 || Buffer.byteLength(o) > MAX_OPTION)
      ) {
        throw new PqvpnError(
          'SESSION_MISUSE',
          `at most ${MAX_OPTIONS} pushed options of 1..${MAX_OPTION} bytes`,
        );
      }
    }
    return this.run(now, false, () => {
      const epoch = this.epochs.get(0)!;
      this.password?.fill(0);
      this.password = undefined;
      if (!result.ok)
        return void this.fail(now, epoch, AlertCode.authFailed, `authentication failed: ${result.reason}`);
      // Not part of the transcript: every secret was derived at the client's Finished (PROTOCOL.md §5.3).
      this.sendMessage(
        epoch,
        Level.application,
        { type: MessageType.serverResult, peerId: result.peerId, options: result.pushOptions },
        false,
      );
      this.established = { suite: this.suite!, rekeySecret: this.pendingRekeySecret! };
      this.pendingRekeySecret = undefined;
      this.step = 'done';
      epoch.done = true;
      this.phaseValue = 'established';
      this.promote(now, epoch);
      // Installed for receiving; we send under them once the client has acknowledged the ServerResult
      // (it installs them on receipt), so our first data packets are never dropped as unknown key id.
      this.emit({ type: 'keys-installed', keys: this.pendingData!, sending: false });
      this.awaitingResultAck = true;
      this.pendingData = undefined;
      const peer = {
        ...(this.clientKey ? { commonName: this.clientKey.commonName } : {}),
        ...(this.username !== undefined ? { username: this.username } : {}),
      };
      this.emit({
        type: 'established',
        keyId: 0,
        peerId: result.peerId,
        pushOptions: result.pushOptions,
        peer,
        suite: this.suite!.name,
        ...(this.clientKey ? { peerScheme: this.clientKey.scheme.name } : {}),
      });
    });
  }

  protected onInitialMessage(
    now: number,
    epoch: Epoch,
    m: HandshakeMessage,
    level: Level,
    raw: Uint8Array,
  ): void {
    const unexpected = () =>
      this.fail(
        now,
        epoch,
        AlertCode.unexpectedMessage,
        `unexpected message ${m.type} at level ${level} in ${this.step}`,
      );
    if (this.step === 'wait-client-hello') {
      if (m.type !== MessageType.clientHello || level !== Level.initial) return void unexpected();
      return void this.onClientHello(now, epoch, m, raw);
    }
    if (level !== Level.handshake) return void unexpected();
    switch (this.step) {
      case 'wait-client-certificate':
        if (m.type !== MessageType.certificate) return void unexpected();
        return void this.onClientCertificate(now, epoch, m.chain, raw);
      case 'wait-client-certificate-verify':
        if (m.type !== MessageType.certificateVerify) return void unexpected();
        return void this.onClientCertificateVerify(now, epoch, m.scheme, m.signature, raw);
      case 'wait-password':
        if (m.type !== MessageType.passwordAuth) return void unexpected();
        this.username = m.username;
        this.password = m.password;
        epoch.transcript.add(raw);
        this.step = 'wait-client-finished';
        return;
      case 'wait-client-finished':
        if (m.type !== MessageType.finished) return void unexpected();
        return void this.onClientFinished(now, epoch, m.verifyData, raw);
      default:
        return void unexpected();
    }
  }

  private onClientHello(now: number, epoch: Epoch, m: ClientHello, raw: Uint8Array): void {
    if (!this.finishedMatches(m.sessionId, this.peerSessionId)) {
      return void this.fail(
        now,
        epoch,
        AlertCode.illegalParameter,
        'ClientHello session id differs from the packet header',
      );
    }
    const version = SUPPORTED_VERSIONS.find((v) => m.versions.includes(v));
    if (version === undefined) {
      return void this.fail(
        now,
        epoch,
        AlertCode.protocolVersion,
        `no common protocol version (client: ${m.versions.join(',')})`,
      );
    }
    // The client's preference order decides among the suites both accept.
    const offer = m.kemOffers.find((o) => this.acceptedSuites.some((s) => s.codePoint === o.suite));
    if (!offer) return void this.fail(now, epoch, AlertCode.noCommonSuite, 'no common KEM suite');
    if (!m.signatureSchemes.includes(this.ownScheme.codePoint)) {
      return void this.fail(
        now,
        epoch,
        AlertCode.noCommonSuite,
        `client does not accept ${this.ownScheme.name} certificates`,
      );
    }
    if (m.psk !== (this.config.psk !== undefined)) {
      return void this.fail(
        now,
        epoch,
        AlertCode.pskMismatch,
        m.psk ? 'client uses a PSK; none configured' : 'PSK required',
      );
    }
    this.version = version;
    this.suite = kemSuiteByCodePoint(offer.suite)!;
    this.hello = m;
    epoch.transcript.add(raw);
    const decision = this.decideExtra(m.extra);
    if (decision.kind === 'fail')
      return void this.fail(now, epoch, AlertCode.extraSecretUnavailable, decision.detail);
    if (decision.kind === 'fetch') {
      this.step = 'wait-extra';
      this.emit({
        type: 'extra-secret-needed',
        keyId: 0,
        extraKeyId: m.extra.keyId,
        initiatorSaeId: m.extra.initiatorSaeId,
        responderSaeId: m.extra.responderSaeId,
        mode: extraModeName(m.extra.mode),
      });
      return;
    }
    this.sendServerFlight(now, epoch, undefined);
  }

  protected onExtraSecret(now: number, epoch: Epoch, secret: Uint8Array | undefined): void {
    if (epoch.kind !== 'initial') return void this.onRekeyExtraSecret(now, epoch, secret);
    if (this.step !== 'wait-extra') throw new PqvpnError('SESSION_MISUSE', 'no extra secret is awaited');
    if (!secret && (this.config.extraSecret?.mode === 'required' || this.hello!.extra.mode === 2)) {
      return void this.fail(
        now,
        epoch,
        AlertCode.extraSecretUnavailable,
        'the extra secret could not be fetched',
      );
    }
    this.sendServerFlight(now, epoch, secret);
  }

  private sendServerFlight(now: number, epoch: Epoch, extra: Uint8Array | undefined): void {
    const suite = this.suite!;
    const offer = this.hello!.kemOffers.find((o) => o.suite === suite.codePoint)!;
    const enc = this.crypto.kemEncapsulate(suite, offer.keyShare);
    if (!enc) return void this.fail(now, epoch, AlertCode.illegalParameter, 'malformed KEM key share');
    const hs = handshakeSecret(ZERO_HASH, combineSecrets(enc.sharedSecret, extra, this.config.psk));
    enc.sharedSecret.fill(0);
    this.sendMessage(epoch, Level.initial, {
      type: MessageType.serverHello,
      version: this.version,
      sessionId: this.localSessionId,
      random: this.crypto.randomBytes(RANDOM_LENGTH),
      kemSuite: suite.codePoint,
      kemCipherText: enc.cipherText,
      extraUsed: extra !== undefined,
      keyCheck: keyCheck(hs, epoch.transcript.current()),
      extensions: new Uint8Array(0),
    });
    const h = epoch.transcript.current();
    this.hsClient = deriveSecret(hs, Label.clientHandshakeTraffic, h);
    this.hsServer = deriveSecret(hs, Label.serverHandshakeTraffic, h);
    this.master = masterSecret(hs);
    hs.fill(0);
    this.installKeys(epoch, Level.handshake, trafficKeys(this.hsClient), trafficKeys(this.hsServer), false);
    const wantsCert = (this.clientAuth & ClientAuth.certificate) !== 0;
    this.sendMessage(epoch, Level.handshake, {
      type: MessageType.encryptedExtensions,
      clientAuth: this.clientAuth,
      clientSignatureSchemes: wantsCert ? this.clientSchemes.map((s) => s.codePoint) : [],
      extensions: new Uint8Array(0),
    });
    this.sendMessage(epoch, Level.handshake, {
      type: MessageType.certificate,
      chain: this.config.identity.chain,
    });
    const input = signatureInput(SignatureContext.server, epoch.transcript.current());
    this.sendMessage(epoch, Level.handshake, {
      type: MessageType.certificateVerify,
      scheme: this.ownScheme.codePoint,
      signature: this.crypto.sign(this.ownScheme, this.config.identity.secretKey, input),
    });
    this.sendMessage(epoch, Level.handshake, {
      type: MessageType.finished,
      verifyData: finishedMac(this.hsServer, epoch.transcript.current()),
    });
    const fh = epoch.transcript.current();
    const ca = trafficKeys(deriveSecret(this.master, Label.clientAppTraffic, fh));
    const sa = trafficKeys(deriveSecret(this.master, Label.serverAppTraffic, fh));
    this.installKeys(epoch, Level.application, ca, sa, false);
    this.step = wantsCert
      ? 'wait-client-certificate'
      : this.clientAuth & ClientAuth.password
        ? 'wait-password'
        : 'wait-client-finished';
  }

  private onClientCertificate(
    now: number,
    epoch: Epoch,
    chain: readonly Uint8Array[],
    raw: Uint8Array,
  ): void {
    const key = checkPeerCertificate(this.verifier, chain, 'client', now, this.clientSchemes);
    if ('alert' in key) return void this.fail(now, epoch, key.alert, key.detail);
    this.clientKey = key;
    epoch.transcript.add(raw);
    this.step = 'wait-client-certificate-verify';
  }

  private onClientCertificateVerify(
    now: number,
    epoch: Epoch,
    scheme: number,
    signature: Uint8Array,
    raw: Uint8Array,
  ): void {
    const refused = checkCertificateVerify(
      this.crypto,
      this.clientKey!,
      'client',
      scheme,
      signature,
      SignatureContext.client,
      epoch.transcript.current(),
    );
    if (refused) return void this.fail(now, epoch, refused.alert, refused.detail);
    epoch.transcript.add(raw);
    this.step = this.clientAuth & ClientAuth.password ? 'wait-password' : 'wait-client-finished';
  }

  private onClientFinished(now: number, epoch: Epoch, verifyData: Uint8Array, raw: Uint8Array): void {
    if (!this.finishedMatches(finishedMac(this.hsClient!, epoch.transcript.current()), verifyData)) {
      return void this.fail(now, epoch, AlertCode.decryptError, 'client Finished does not verify');
    }
    epoch.transcript.add(raw);
    const h = epoch.transcript.current();
    this.pendingData = this.dataKeyMaterial(deriveSecret(this.master!, Label.data, h), 0);
    this.pendingRekeySecret = deriveSecret(this.master!, Label.rekey, h);
    this.wipeHandshakeSecrets();
    this.step = 'wait-auth';
    this.emit({
      type: 'auth-needed',
      ...(this.clientKey ? { commonName: this.clientKey.commonName } : {}),
      ...(this.username !== undefined ? { username: this.username } : {}),
      ...(this.password !== undefined ? { password: Uint8Array.from(this.password) } : {}),
    });
  }

  protected override afterPacket(epoch: Epoch): void {
    if (this.awaitingResultAck && epoch.kind === 'initial' && epoch.transport.allAcked(Level.application)) {
      this.awaitingResultAck = false;
      this.emit({ type: 'keys-activated', keyId: 0 });
    }
  }

  private wipeHandshakeSecrets(): void {
    for (const k of [this.hsClient, this.hsServer, this.master]) k?.fill(0);
    this.hsClient = this.hsServer = this.master = undefined;
  }

  protected wipe(): void {
    this.wipeHandshakeSecrets();
    this.password?.fill(0);
    this.password = undefined;
    this.pendingRekeySecret?.fill(0);
    this.wipeRekeys();
  }

  protected stateSummary(): unknown {
    return { step: this.step, rekeys: this.rekeySummary() };
  }

  /** True while the server waits for the ClientHello to complete (a half-open session). */
  get halfOpen(): boolean {
    return this.step === 'wait-client-hello' || this.step === 'wait-extra';
  }

  /** Bytes held for this session's reassembly and retransmission buffers. */
  memoryFootprint(): number {
    let n = 0;
    for (const e of this.epochs.values()) n += e.transport.memoryFootprint();
    return n;
  }
}
