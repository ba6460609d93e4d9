/**
 * The client side of a pqvpn session: a pure state machine
 * (docs/PROTOCOL.md §5, §9).
 *
 * ```
 *   start ──ClientHello──▶ wait-server-hello ──ServerHello──▶ wait-encrypted-extensions
 *     ──EncryptedExtensions──▶ wait-certificate ──Certificate (verified: chain, EKU, name)──▶
 *     wait-certificate-verify ──CertificateVerify (signature over the transcript)──▶
 *     wait-finished ──Finished──▶ [Certificate, CertificateVerify] [PasswordAuth] Finished ──▶
 *     wait-result ──ServerResult──▶ done (established)
 * ```
 * The client proves nothing and sends no secret before the server has proven
 * its identity: its certificate, password and username go out only after the
 * server's Finished has verified, encrypted under handshake keys.
 *
 * Usage:
 * ```ts
 * const client = new ClientSession(config, { crypto: createHandshakeCrypto(), verifier });
 * perform(client.start(now));                 // then for every datagram from the server:
 * perform(client.receive(now, datagram));     // and when the timer fires:
 * perform(client.onTimer(now));
 * ```
 * @module
 */

import type { SignatureScheme } from '../../crypto/signature-scheme.js';
import { signatureSchemeByName, signatureSchemeNames } from '../../crypto/signature-schemes.js';
import { PqvpnError } from '../../errors.js';
import { decodeCookieReply } from '../control/cookie.js';
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
import { DEFAULT_KEM_SUITE, type KemKeyPair, type KemSuite, kemSuiteByName } from './kem-suites.js';
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
import type { HandshakeMessage, ServerHello } from './messages.js';
import {
  checkCertificateVerify,
  checkPeerCertificate,
  matchesX509Name,
  type PeerKey,
  signatureInput,
} from './peer-auth.js';
import { RekeyingSession } from './rekey.js';
import type { Epoch } from './session-core.js';
import type { ClientConfig, ExtraSecretInput, PeerCertificateVerifier, SessionAction } from './types.js';

type ClientStep =
  | 'idle'
  | 'wait-server-hello'
  | 'wait-encrypted-extensions'
  | 'wait-certificate'
  | 'wait-certificate-verify'
  | 'wait-finished'
  | 'wait-result'
  | 'done';

/** How many COOKIE_REPLYs one handshake accepts (each makes the client resend its ClientHello). */
const MAX_COOKIE_REPLIES = 4;

export interface ClientDependencies {
  readonly crypto: HandshakeCrypto;
  readonly verifier: PeerCertificateVerifier;
}

export class ClientSession extends RekeyingSession {
  private readonly config: ClientConfig;
  private readonly verifier: PeerCertificateVerifier;
  private readonly offeredSuites: readonly KemSuite[];
  private readonly acceptedSchemes: readonly SignatureScheme[];
  private step: ClientStep = 'idle';
  private kemKeys = new Map<number, KemKeyPair>();
  private extraSecret: Uint8Array | undefined;
  private suite: KemSuite | undefined;
  private clientAuth = 0;
  private hsClient: Uint8Array | undefined;
  private hsServer: Uint8Array | undefined;
  private master: Uint8Array | undefined;
  private serverKey: PeerKey | undefined;
  private pendingData: DataKeyMaterial | undefined;
  private pendingRekeySecret: Uint8Array | undefined;
  private cookieReplies = 0;

  constructor(config: ClientConfig, deps: ClientDependencies) {
    let sid = deps.crypto.randomBytes(SESSION_ID_LENGTH);
    while (sid.every((b) => b === 0)) sid = deps.crypto.randomBytes(SESSION_ID_LENGTH);
    super('client', config, deps.crypto, sid);
    this.config = config;
    this.verifier = deps.verifier;
    this.offeredSuites = (config.kemSuites ?? [DEFAULT_KEM_SUITE]).map(kemSuiteByName);
    if (this.offeredSuites.length === 0 || this.offeredSuites.length > 4) {
      throw new PqvpnError('CONTROL_CONFIG', 'offer 1 to 4 KEM suites');
    }
    this.acceptedSchemes = (config.signatureSchemes ?? signatureSchemeNames()).map(signatureSchemeByName);
    if (config.identity) signatureSchemeByName(config.identity.scheme);
  }

  /**
   * Sends the ClientHello. `extra`: the extra secret (QKD key) the driver
   * fetched for this handshake, when `extraSecret` is configured.
   */
  start(now: number, extra?: ExtraSecretInput): SessionAction[] {
    if (this.step !== 'idle') throw new PqvpnError('SESSION_MISUSE', 'start() called twice');
    const offer = this.extraOffer(extra);
    return this.run(now, false, () => {
      const epoch = this.newEpoch(0, 'initial', now, true);
      const init = initialSecrets(this.localSessionId);
      this.installKeys(epoch, Level.initial, trafficKeys(init.client), trafficKeys(init.server), true);
      epoch.transport.probing = true; // until established: never leave a server blocked by its amplification limit
      if (extra) this.extraSecret = Uint8Array.from(extra.secret);
      const kemOffers = this.offeredSuites.map((suite) => {
        const kp = this.crypto.kemKeygen(suite);
        this.kemKeys.set(suite.codePoint, kp);
        return { suite: suite.codePoint, keyShare: kp.publicKey };
      });
      this.sendMessage(epoch, Level.initial, {
        type: MessageType.clientHello,
        versions: SUPPORTED_VERSIONS,
        sessionId: this.localSessionId,
        random: this.crypto.randomBytes(RANDOM_LENGTH),
        kemOffers,
        signatureSchemes: this.acceptedSchemes.map((s) => s.codePoint),
        psk: this.config.psk !== undefined,
        extra: offer,
        extensions: new Uint8Array(0),
      });
      this.step = 'wait-server-hello';
    });
  }

  protected override onCookieReply(_now: number, inner: Uint8Array): void {
    const epoch = this.epochs.get(0);
    if (this.step !== 'wait-server-hello' || !epoch) return void this.drop('unexpected-cookie-reply');
    if (this.cookieReplies >= MAX_COOKIE_REPLIES) return void this.drop('cookie-reply-limit');
    const cookie = decodeCookieReply(inner, this.localSessionId);
    if (!cookie) return void this.drop('cookie-reply-invalid');
    this.cookieReplies++;
    epoch.transport.token = cookie;
    epoch.transport.retransmitNow();
  }

  protected onInitialMessage(
    now: number,
    epoch: Epoch,
    m: HandshakeMessage,
    level: Level,
    raw: Uint8Array,
  ): void {
    const expect = (type: number, lvl: Level): boolean => {
      if (m.type === type && level === lvl) return true;
      this.fail(
        now,
        epoch,
        AlertCode.unexpectedMessage,
        `unexpected message ${m.type} at level ${level} in ${this.step}`,
      );
      return false;
    };
    switch (this.step) {
      case 'wait-server-hello':
        if (expect(MessageType.serverHello, Level.initial))
          this.onServerHello(now, epoch, m as ServerHello, raw);
        return;
      case 'wait-encrypted-extensions':
        if (
          !expect(MessageType.encryptedExtensions, Level.handshake) ||
          m.type !== MessageType.encryptedExtensions
        ) {
          return;
        }
        return void this.onEncryptedExtensions(now, epoch, m.clientAuth, m.clientSignatureSchemes, raw);
      case 'wait-certificate':
        if (!expect(MessageType.certificate, Level.handshake) || m.type !== MessageType.certificate) return;
        return void this.onCertificate(now, epoch, m.chain, raw);
      case 'wait-certificate-verify':
        if (
          !expect(MessageType.certificateVerify, Level.handshake) ||
          m.type !== MessageType.certificateVerify
        ) {
          return;
        }
        return void this.onCertificateVerify(now, epoch, m.scheme, m.signature, raw);
      case 'wait-finished':
        if (!expect(MessageType.finished, Level.handshake) || m.type !== MessageType.finished) return;
        return void this.onServerFinished(now, epoch, m.verifyData, raw);
      case 'wait-result':
        if (!expect(MessageType.serverResult, Level.application) || m.type !== MessageType.serverResult)
          return;
        return void this.onServerResult(now, epoch, m.peerId, m.options);
      default:
        this.fail(
          now,
          epoch,
          AlertCode.unexpectedMessage,
          `unexpected message ${m.type} after the handshake`,
        );
    }
  }

  private onServerHello(now: number, epoch: Epoch, m: ServerHello, raw: Uint8Array): void {
    if (!SUPPORTED_VERSIONS.includes(m.version)) {
      return void this.fail(
        now,
        epoch,
        AlertCode.illegalParameter,
        `server chose version ${m.version} we did not offer`,
      );
    }
    const suite = this.offeredSuites.find((s) => s.codePoint === m.kemSuite);
    if (!suite)
      return void this.fail(
        now,
        epoch,
        AlertCode.illegalParameter,
        'server chose a KEM suite we did not offer',
      );
    if (!this.finishedMatches(m.sessionId, this.peerSessionId)) {
      return void this.fail(
        now,
        epoch,
        AlertCode.illegalParameter,
        'ServerHello session id differs from the packet header',
      );
    }
    const extraRefusal = this.extraAnswerRefusal(m.extraUsed, this.extraSecret !== undefined, 'server');
    if (extraRefusal) return void this.fail(now, epoch, extraRefusal.alert, extraRefusal.detail);
    const ss = this.crypto.kemDecapsulate(
      suite,
      m.kemCipherText,
      this.kemKeys.get(suite.codePoint)!.secretKey,
    );
    this.wipeKemKeys();
    if (!ss) return void this.fail(now, epoch, AlertCode.illegalParameter, 'malformed KEM ciphertext');
    const hs = handshakeSecret(
      ZERO_HASH,
      combineSecrets(ss, m.extraUsed ? this.extraSecret : undefined, this.config.psk),
    );
    ss.fill(0);
    this.extraSecret?.fill(0);
    if (!this.finishedMatches(keyCheck(hs, epoch.transcript.current()), m.keyCheck)) {
      hs.fill(0);
      return void this.fail(
        now,
        epoch,
        AlertCode.decryptError,
        'ServerHello key check failed: the pre-shared key or extra secret differs (or the ServerHello was altered)',
      );
    }
    epoch.transcript.add(raw);
    const h = epoch.transcript.current();
    this.hsClient = deriveSecret(hs, Label.clientHandshakeTraffic, h);
    this.hsServer = deriveSecret(hs, Label.serverHandshakeTraffic, h);
    this.master = masterSecret(hs);
    hs.fill(0);
    this.installKeys(epoch, Level.handshake, trafficKeys(this.hsClient), trafficKeys(this.hsServer), true);
    this.suite = suite;
    this.step = 'wait-encrypted-extensions';
  }

  private onEncryptedExtensions(
    now: number,
    epoch: Epoch,
    clientAuth: number,
    schemes: readonly number[],
    raw: Uint8Array,
  ): void {
    if (clientAuth === 0)
      return void this.fail(
        now,
        epoch,
        AlertCode.illegalParameter,
        'server requires no client authentication',
      );
    if (clientAuth & ClientAuth.certificate) {
      const id = this.config.identity;
      if (!id)
        return void this.fail(
          now,
          epoch,
          AlertCode.certificateRequired,
          'server requires a client certificate',
        );
      if (!schemes.includes(signatureSchemeByName(id.scheme).codePoint)) {
        return void this.fail(
          now,
          epoch,
          AlertCode.handshakeFailure,
          `server does not accept ${id.scheme} client certificates`,
        );
      }
    }
    if (clientAuth & ClientAuth.password && !this.config.credentials) {
      return void this.fail(
        now,
        epoch,
        AlertCode.handshakeFailure,
        'server requires a username and password; none configured',
      );
    }
    this.clientAuth = clientAuth;
    epoch.transcript.add(raw);
    this.step = 'wait-certificate';
  }

  private onCertificate(now: number, epoch: Epoch, chain: readonly Uint8Array[], raw: Uint8Array): void {
    const rule = this.config.verifyX509Name;
    const key = checkPeerCertificate(this.verifier, chain, 'server', now, this.acceptedSchemes, (name) =>
      rule && !matchesX509Name(name, rule)
        ? `server certificate name '${name}' does not match verify-x509-name ${rule.type} '${rule.value}'`
        : undefined,
    );
    if ('alert' in key) return void this.fail(now, epoch, key.alert, key.detail);
    this.serverKey = key;
    epoch.transcript.add(raw);
    this.step = 'wait-certificate-verify';
  }

  private onCertificateVerify(
    now: number,
    epoch: Epoch,
    scheme: number,
    signature: Uint8Array,
    raw: Uint8Array,
  ): void {
    const refused = checkCertificateVerify(
      this.crypto,
      this.serverKey!,
      'server',
      scheme,
      signature,
      SignatureContext.server,
      epoch.transcript.current(),
    );
    if (refused) return void this.fail(now, epoch, refused.alert, refused.detail);
    epoch.transcript.add(raw);
    this.step = 'wait-finished';
  }

  private onServerFinished(now: number, epoch: Epoch, verifyData: Uint8Array, raw: Uint8Array): void {
    if (!this.finishedMatches(finishedMac(this.hsServer!, epoch.transcript.current()), verifyData)) {
      return void this.fail(now, epoch, AlertCode.decryptError, 'server Finished does not verify');
    }
    epoch.transcript.add(raw);
    const h = epoch.transcript.current();
    const ca = trafficKeys(deriveSecret(this.master!, Label.clientAppTraffic, h));
    const sa = trafficKeys(deriveSecret(this.master!, Label.serverAppTraffic, h));
    this.installKeys(epoch, Level.application, ca, sa, true);
    // The server has proven itself: now, and only now, the client authenticates.
    if (this.clientAuth & ClientAuth.certificate) {
      const id = this.config.identity!;
      const scheme = signatureSchemeByName(id.scheme);
      this.sendMessage(epoch, Level.handshake, { type: MessageType.certificate, chain: id.chain });
      const input = signatureInput(SignatureContext.client, epoch.transcript.current());
      const signature = this.crypto.sign(scheme, id.secretKey, input);
      this.sendMessage(epoch, Level.handshake, {
        type: MessageType.certificateVerify,
        scheme: scheme.codePoint,
        signature,
      });
    }
    if (this.clientAuth & ClientAuth.password) {
      const c = this.config.credentials!;
      this.sendMessage(epoch, Level.handshake, {
        type: MessageType.passwordAuth,
        username: c.username,
        password: c.password,
      });
    }
    this.sendMessage(epoch, Level.handshake, {
      type: MessageType.finished,
      verifyData: finishedMac(this.hsClient!, epoch.transcript.current()),
    });
    const final = epoch.transcript.current();
    this.pendingData = this.dataKeyMaterial(deriveSecret(this.master!, Label.data, final), 0);
    this.pendingRekeySecret = deriveSecret(this.master!, Label.rekey, final);
    this.wipeHandshakeSecrets();
    this.step = 'wait-result';
  }

  private onServerResult(now: number, epoch: Epoch, peerId: number, options: readonly string[]): void {
    if (peerId === PEER_ID_UNASSIGNED) {
      return void this.fail(
        now,
        epoch,
        AlertCode.illegalParameter,
        'server assigned the reserved peer id 0xFFFFFF',
      );
    }
    this.established = { suite: this.suite!, rekeySecret: this.pendingRekeySecret! };
    this.pendingRekeySecret = undefined;
    this.step = 'done';
    epoch.done = true;
    epoch.transport.probing = false;
    this.phaseValue = 'established';
    this.promote(now, epoch);
    this.emit({ type: 'keys-installed', keys: this.pendingData!, sending: true });
    this.pendingData = undefined;
    this.emit({
      type: 'established',
      keyId: 0,
      peerId,
      pushOptions: options,
      peer: { commonName: this.serverKey!.commonName },
      suite: this.suite!.name,
      peerScheme: this.serverKey!.scheme.name,
    });
  }

  protected onExtraSecret(now: number, epoch: Epoch, secret: Uint8Array | undefined): void {
    this.onRekeyExtraSecret(now, epoch, secret);
  }

  private wipeKemKeys(): void {
    for (const kp of this.kemKeys.values()) kp.secretKey.fill(0);
    this.kemKeys.clear();
  }

  private wipeHandshakeSecrets(): void {
    for (const k of [this.hsClient, this.hsServer, this.master]) k?.fill(0);
    this.hsClient = this.hsServer = this.master = undefined;
  }

  protected wipe(): void {
    this.wipeKemKeys();
    this.wipeHandshakeSecrets();
    this.extraSecret?.fill(0);
    this.pendingRekeySecret?.fill(0);
    this.wipeRekeys();
  }

  protected stateSummary(): unknown {
    return { step: this.step, cookies: this.cookieReplies, rekeys: this.rekeySummary() };
  }
}
