/**
 * The reliability layer of one key epoch: fragmentation, acknowledgement,
 * retransmission and reassembly of handshake messages (docs/PROTOCOL.md §4).
 *
 * Handshake messages are written into per-level byte *streams* (as QUIC's
 * CRYPTO frames): the sender cuts them into STREAM frames that fit the MTU,
 * numbers every packet it sends (one number space per direction per key
 * epoch, never reused; a retransmission is a new packet carrying old bytes),
 * and the receiver acknowledges packet numbers in ACK frames of up to 16
 * ranges. Lost data is detected two ways (RFC 9002 in miniature): a packet
 * three numbers below the largest acknowledged one is lost (packet threshold),
 * and when the retransmission timer fires everything unacknowledged is resent
 * and the timeout doubles (1 s, 2 s, up to MAX_RTO_MS = 4 s), resetting when an ACK
 * shows progress.
 *
 * All acknowledgement is explicit: ACK-only packets travel at the highest
 * level both sides hold keys for, so receiving a packet at some level says
 * nothing about what the peer received at lower ones.
 *
 * Memory is bounded (docs/PROTOCOL.md §4.4): per level a receive stream holds
 * at most MAX_STREAM_BYTES_BY_LEVEL bytes and MAX_STREAM_GAPS out-of-order
 * pieces; a message header is checked (known type, length within the type's
 * maximum) as soon as its 4 bytes arrive; at most MAX_BUFFERED_PACKETS packets
 * wait for keys; received packet numbers are kept as at most
 * MAX_RECEIVED_RANGES ranges. A packet that would break a bound is dropped
 * whole and not acknowledged, so the sender retransmits it later.
 *
 * Anti-amplification (RFC 9000 §8.1): until the peer proves it receives at its
 * address — by a valid cookie, or by sending a packet at the Handshake level,
 * which needs the ServerHello — the server sends at most three times the bytes
 * it received.
 *
 * This class is sans-I/O: datagrams and `now` in, datagrams out; the session
 * owns timers and wraps datagrams with tls-crypt.
 * @module
 */

import {
  AEAD_TAG_LENGTH,
  AMPLIFICATION_FACTOR,
  LEVEL_COUNT,
  Level,
  MAX_ACK_RANGES,
  MAX_BUFFERED_PACKETS,
  MAX_MESSAGE_LENGTH,
  MAX_RECEIVED_RANGES,
  MAX_STREAM_GAPS,
  MESSAGE_HEADER_LENGTH,
  type MessageType,
} from '../handshake/constants.js';
import type { TrafficKeys } from '../handshake/key-schedule.js';
import { isMessageType } from '../handshake/messages.js';
import { WireError } from '../handshake/wire.js';
import {
  ackFrameLength,
  decodeFrames,
  encodeFrames,
  type Frame,
  headerLength,
  openControlPacket,
  type PacketRange,
  type ParsedControlPacket,
  STREAM_FRAME_OVERHEAD,
  sealControlPacket,
  ZERO_SESSION_ID,
} from './packet.js';
import { RangeSet } from './range-set.js';

/** Stream bytes a receiver accepts per level (initial: a ClientHello; handshake: certificate chains). */
export const MAX_STREAM_BYTES_BY_LEVEL: readonly number[] = [32_768, 393_216, 65_536];

export interface TransportOptions {
  readonly keyId: number;
  readonly localSessionId: Uint8Array;
  /** Largest datagram, including the tls-crypt overhead. */
  readonly mtu: number;
  /** Bytes added to each datagram after this layer (tls-crypt), counted against the MTU. */
  readonly wrapOverhead: number;
  readonly initialRtoMs: number;
  readonly maxRtoMs: number;
  /** Unacknowledged packets allowed in flight. */
  readonly maxInFlight: number;
  /** False on a server until the client has proven its address. */
  readonly addressValidated: boolean;
  /**
   * Pad every Initial-level packet to the MTU (the client does, as QUIC clients
   * pad to 1200 bytes): the server's anti-amplification budget grows by three
   * times a full packet per client packet, and the path is proven to carry
   * full-size datagrams.
   */
  readonly padInitial?: boolean;
  /** Resend unacknowledged data at once when the peer retransmits data we already have (the server does). */
  readonly answerProbes?: boolean;
  /**
   * Discard the Initial level once an authenticated packet above it arrives (sessions set this; see
   * `initialDiscarded`). Off only for unit tests that use the levels as plain independent streams.
   */
  readonly discardInitial?: boolean;
}

export interface ReceivedMessage {
  readonly level: Level;
  readonly type: MessageType;
  readonly body: Uint8Array;
  /** Header and body: the bytes the transcript hashes. */
  readonly raw: Uint8Array;
}

export type DropReason =
  | 'no-keys'
  | 'initial-discarded'
  | 'buffer-full'
  | 'auth-failed'
  | 'duplicate'
  | 'bad-frames'
  | 'stream-limit'
  | 'too-many-gaps';

export type ReceiveOutcome =
  | { readonly kind: 'accepted'; readonly messages: ReceivedMessage[] }
  | { readonly kind: 'buffered' }
  | { readonly kind: 'dropped'; readonly reason: DropReason }
  /** The authenticated peer broke the stream format: fatal. */
  | { readonly kind: 'violation'; readonly reason: string };

interface SentPacket {
  readonly sentAt: number;
  readonly segments: ReadonlyArray<{ readonly level: Level; readonly start: number; readonly end: number }>;
}

class SendStream {
  data = new Uint8Array(0);
  length = 0;
  readonly acked = new RangeSet();
  readonly pending = new RangeSet();

  append(bytes: Uint8Array): void {
    if (this.length + bytes.length > this.data.length) {
      const grown = new Uint8Array(Math.max(this.length + bytes.length, this.data.length * 2, 1024));
      grown.set(this.data.subarray(0, this.length));
      this.data = grown;
    }
    this.data.set(bytes, this.length);
    this.pending.add(this.length, this.length + bytes.length);
    this.length += bytes.length;
  }

  allAcked(): boolean {
    return this.acked.covers(0, this.length);
  }
}

class ReceiveStream {
  /** Bytes [base, base + buffer.length) are buffered; everything below `delivered` was consumed. */
  base = 0;
  buffer = new Uint8Array(0);
  delivered = 0;
  readonly received = new RangeSet();

  write(offset: number, data: Uint8Array): void {
    const start = Math.max(offset, this.delivered);
    const end = offset + data.length;
    if (end <= start) return;
    const needed = end - this.base;
    if (needed > this.buffer.length) {
      const grown = new Uint8Array(Math.max(needed, this.buffer.length * 2, 1024));
      grown.set(this.buffer);
      this.buffer = grown;
    }
    this.buffer.set(data.subarray(start - offset), start - this.base);
    this.received.add(start, end);
  }

  contiguousEnd(): number {
    return this.received.contiguousEnd(this.delivered);
  }

  bytes(start: number, end: number): Uint8Array {
    return this.buffer.slice(start - this.base, end - this.base);
  }

  consume(to: number): void {
    this.delivered = to;
    if (this.contiguousEnd() === to && this.received.size === 1) {
      // Everything received has been consumed: release the buffer.
      this.base = to;
      this.buffer = new Uint8Array(0);
    }
  }
}

export class ControlTransport {
  readonly keyId: number;
  readonly localSessionId: Uint8Array;
  peerSessionId: Uint8Array = ZERO_SESSION_ID;
  /** Cookie sent in the header of our Initial packets (client only). */
  token: Uint8Array = new Uint8Array(0);

  private readonly options: TransportOptions;
  private readonly sendKeys: Array<TrafficKeys | undefined> = [undefined, undefined, undefined];
  private readonly receiveKeys: Array<TrafficKeys | undefined> = [undefined, undefined, undefined];
  /** Whether the peer is known to hold the keys of each level (so it can read what we send there). */
  private readonly peerHasLevel = [false, false, false];
  private readonly send = [new SendStream(), new SendStream(), new SendStream()];
  private readonly recv = [new ReceiveStream(), new ReceiveStream(), new ReceiveStream()];
  private readonly receivedPackets = new RangeSet();
  private readonly sent = new Map<number, SentPacket>();
  private readonly buffered: ParsedControlPacket[] = [];
  private nextPacketNumber = 0;
  private largestAcked = -1;
  private ackPending = false;
  private rto: number;
  private validated: boolean;
  private bytesReceived = 0;
  private bytesSent = 0;
  private lastAckElicitingSend = Number.NEGATIVE_INFINITY;
  private lastProbeAnswer = Number.NEGATIVE_INFINITY;
  /**
   * Set once an authenticated packet above the Initial level has arrived: from then on Initial packets
   * are dropped unread (QUIC's discarding of Initial keys, RFC 9001 §4.9.1). Initial protection is keyed
   * by the client's session id, which anyone who sees a packet header knows, so without this an
   * observer could inject an alert or junk message into the Initial stream and tear down a session.
   * Nothing is lost: the peer already holds the next level's keys, and ACK frames at any level
   * acknowledge packet numbers of every level.
   */
  private initialDiscarded = false;
  /**
   * Keep the peer talking: with nothing in flight, resend our latest data
   * every retransmission timeout. The client sets this until its handshake
   * completes, so a server blocked by the anti-amplification limit always
   * gets more bytes from it (RFC 9002 §6.2.2.1).
   */
  probing = false;

  constructor(options: TransportOptions) {
    this.options = options;
    this.keyId = options.keyId;
    this.localSessionId = options.localSessionId;
    this.rto = options.initialRtoMs;
    this.validated = options.addressValidated;
  }

  /** Installs both directions' keys of a level. `peerHas`: the peer certainly holds them already. */
  setKeys(level: Level, send: TrafficKeys, receive: TrafficKeys, peerHas: boolean): void {
    this.sendKeys[level] = send;
    this.receiveKeys[level] = receive;
    if (peerHas) this.peerHasLevel[level] = true;
  }

  hasKeys(level: Level): boolean {
    return this.sendKeys[level] !== undefined;
  }

  /** Buffered packets whose level now has keys; the caller feeds them to `receive` again. */
  takeBuffered(): ParsedControlPacket[] {
    const ready = this.buffered.filter((p) => this.receiveKeys[p.header.level] !== undefined);
    const rest = this.buffered.filter((p) => this.receiveKeys[p.header.level] === undefined);
    this.buffered.length = 0;
    this.buffered.push(...rest);
    return ready;
  }

  markAddressValidated(): void {
    this.validated = true;
  }

  get addressValidated(): boolean {
    return this.validated;
  }

  /** Appends an encoded handshake message to the stream of `level`. */
  queue(level: Level, message: Uint8Array): void {
    if (!this.sendKeys[level]) throw new Error(`no send keys at level ${level}`);
    this.send[level]!.append(message);
  }

  /** All data we queued at `level` has been acknowledged. */
  allAcked(level?: Level): boolean {
    if (level !== undefined) return this.send[level]!.allAcked();
    return this.send.every((s) => s.allAcked());
  }

  /**
   * Processes one parsed control packet addressed to this epoch. `datagramLength`
   * (the size on the wire) feeds the anti-amplification budget.
   */
  receive(now: number, packet: ParsedControlPacket, datagramLength: number): ReceiveOutcome {
    const { level, packetNumber } = packet.header;
    if (level === Level.initial && this.initialDiscarded)
      return { kind: 'dropped', reason: 'initial-discarded' };
    const keys = this.receiveKeys[level];
    if (!keys) {
      if (this.buffered.length >= MAX_BUFFERED_PACKETS) return { kind: 'dropped', reason: 'buffer-full' };
      this.buffered.push({
        header: { ...packet.header, token: packet.header.token.slice() },
        aad: packet.aad.slice(),
        sealed: packet.sealed.slice(),
      });
      return { kind: 'buffered' };
    }
    const payload = openControlPacket(packet, keys);
    if (!payload) return { kind: 'dropped', reason: 'auth-failed' };
    if (this.receivedPackets.has(packetNumber)) return { kind: 'dropped', reason: 'duplicate' };
    let frames: Frame[];
    try {
      frames = decodeFrames(payload);
    } catch (e) {
      if (e instanceof WireError) return { kind: 'dropped', reason: 'bad-frames' };
      throw e;
    }
    // Check every bound before changing any state, so a refused packet leaves no trace.
    const stream = this.recv[level]!;
    let gaps = stream.received.size;
    for (const f of frames) {
      if (f.type !== 'stream') continue;
      if (f.offset + f.data.length > MAX_STREAM_BYTES_BY_LEVEL[level]!) {
        return { kind: 'dropped', reason: 'stream-limit' };
      }
      gaps = Math.max(gaps, stream.received.sizeAfterAdding(f.offset, f.offset + f.data.length));
      if (gaps > MAX_STREAM_GAPS) return { kind: 'dropped', reason: 'too-many-gaps' };
    }

    // Accepted: from here on the packet changes state.
    this.bytesReceived += datagramLength;
    this.receivedPackets.add(packetNumber, packetNumber + 1);
    if (this.receivedPackets.size > MAX_RECEIVED_RANGES) this.receivedPackets.mergeLowest();
    this.peerHasLevel[level] = true;
    if (level >= Level.handshake) {
      this.validated = true;
      if (this.options.discardInitial) this.initialDiscarded = true;
    }
    let ackEliciting = false;
    let newData = false;
    for (const f of frames) {
      if (f.type === 'ack') this.onAck(f.ranges);
      else if (f.type === 'stream') {
        ackEliciting = true;
        if (!stream.received.covers(f.offset, f.offset + f.data.length)) newData = true;
        stream.write(f.offset, f.data);
      }
    }
    if (ackEliciting) this.ackPending = true;
    // Only old data: the peer's retransmission timer fired, so it is missing something of ours. Resend
    // now (server only, at most once per timeout: the client never answers a probe with a probe).
    if (ackEliciting && !newData && this.options.answerProbes && now - this.lastProbeAnswer >= this.rto) {
      this.lastProbeAnswer = now;
      this.retransmitNow();
    }
    return this.extractMessages(level);
  }

  private extractMessages(level: Level): ReceiveOutcome {
    const stream = this.recv[level]!;
    const messages: ReceivedMessage[] = [];
    for (;;) {
      const available = stream.contiguousEnd() - stream.delivered;
      if (available < MESSAGE_HEADER_LENGTH) break;
      const head = stream.bytes(stream.delivered, stream.delivered + MESSAGE_HEADER_LENGTH);
      const type = head[0]!;
      const length = (head[1]! << 16) | (head[2]! << 8) | head[3]!;
      if (!isMessageType(type)) return { kind: 'violation', reason: `unknown message type ${type}` };
      if (length > MAX_MESSAGE_LENGTH[type]) {
        return { kind: 'violation', reason: `message type ${type} of ${length} bytes exceeds its limit` };
      }
      if (available < MESSAGE_HEADER_LENGTH + length) break;
      const end = stream.delivered + MESSAGE_HEADER_LENGTH + length;
      const raw = stream.bytes(stream.delivered, end);
      stream.consume(end);
      messages.push({ level, type, body: raw.subarray(MESSAGE_HEADER_LENGTH), raw });
    }
    return { kind: 'accepted', messages };
  }

  private onAck(ranges: readonly PacketRange[]): void {
    let progress = false;
    for (const [pn, p] of this.sent) {
      if (!ranges.some(([first, last]) => first <= pn && pn <= last)) continue;
      for (const seg of p.segments) this.send[seg.level]!.acked.add(seg.start, seg.end);
      this.sent.delete(pn);
      this.largestAcked = Math.max(this.largestAcked, pn);
      progress = true;
    }
    if (!progress) return;
    this.rto = this.options.initialRtoMs;
    for (const s of this.send) for (const [a, b] of s.acked.toArray()) s.pending.remove(a, b);
    // Packet-threshold loss detection (RFC 9002 §6.1.1, kPacketThreshold = 3).
    for (const [pn, p] of this.sent) {
      if (pn + 3 <= this.largestAcked) this.declareLost(pn, p);
    }
  }

  private declareLost(pn: number, p: SentPacket): void {
    this.sent.delete(pn);
    for (const seg of p.segments) {
      const s = this.send[seg.level]!;
      for (const [a, b] of s.acked.missing(seg.start, seg.end)) s.pending.add(a, b);
    }
  }

  /** When the retransmission timer should fire (Infinity: nothing outstanding). */
  nextDeadline(): number {
    let oldest = Number.POSITIVE_INFINITY;
    for (const p of this.sent.values()) oldest = Math.min(oldest, p.sentAt);
    if (
      oldest === Number.POSITIVE_INFINITY &&
      this.probing &&
      this.lastAckElicitingSend > Number.NEGATIVE_INFINITY
    ) {
      oldest = this.lastAckElicitingSend;
    }
    return oldest === Number.POSITIVE_INFINITY ? oldest : oldest + this.rto;
  }

  /** Retransmission timeout: everything outstanding is lost; back off. Call `flush` afterwards. */
  onTimer(now: number): void {
    if (now < this.nextDeadline()) return;
    if (this.sent.size === 0 && this.probing) this.queueProbe();
    for (const [pn, p] of [...this.sent]) this.declareLost(pn, p);
    this.rto = Math.min(this.rto * 2, this.options.maxRtoMs);
  }

  /** Re-sends (up to one packet of) our most recent data at the highest level that has any. */
  private queueProbe(): void {
    for (let l = LEVEL_COUNT - 1; l >= 0; l--) {
      const s = this.send[l]!;
      if (s.length === 0 || !this.sendKeys[l]) continue;
      s.pending.add(Math.max(0, s.length - (this.options.mtu - 100)), s.length);
      return;
    }
  }

  /** Treats everything in flight as lost so the next `flush` resends it (e.g. with a new cookie token). */
  retransmitNow(): void {
    for (const [pn, p] of [...this.sent]) this.declareLost(pn, p);
  }

  /** The highest level both sides can read: where ACK-only packets and alerts travel. */
  bestLevel(): Level | undefined {
    for (let l = LEVEL_COUNT - 1; l >= 0; l--)
      if (this.sendKeys[l] && this.peerHasLevel[l]) return l as Level;
    return undefined;
  }

  /** Packs pending data and acknowledgements into datagrams (inner, before any tls-crypt wrap). */
  flush(now: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    const ackLevel = this.bestLevel();
    for (let l = 0; l < LEVEL_COUNT; l++) {
      const level = l as Level;
      const keys = this.sendKeys[level];
      if (!keys) continue;
      const stream = this.send[level]!;
      for (;;) {
        const wantAck = this.ackPending && ackLevel === level;
        const canSendData = !stream.pending.isEmpty() && this.sent.size < this.options.maxInFlight;
        if (!wantAck && !canSendData) break;
        const token = level === Level.initial ? this.token : new Uint8Array(0);
        const budget = this.validated
          ? this.options.mtu
          : Math.min(this.options.mtu, AMPLIFICATION_FACTOR * this.bytesReceived - this.bytesSent);
        let space = budget - this.options.wrapOverhead - headerLength(level, token.length) - AEAD_TAG_LENGTH;
        if (space < (wantAck ? ackFrameLength(1) : STREAM_FRAME_OVERHEAD + 1)) return out; // blocked by the budget
        const frames: Frame[] = [];
        if (wantAck) {
          const ranges = this.receivedPackets.descendingInclusive(
            Math.max(1, Math.min(MAX_ACK_RANGES, Math.floor((space - 2 - STREAM_FRAME_OVERHEAD - 1) / 8))),
          );
          frames.push({ type: 'ack', ranges });
          space -= ackFrameLength(ranges.length);
        }
        const segments: Array<{ level: Level; start: number; end: number }> = [];
        while (canSendData && space > STREAM_FRAME_OVERHEAD && !stream.pending.isEmpty()) {
          const [s, e] = stream.pending.first()!;
          const end = Math.min(e, s + space - STREAM_FRAME_OVERHEAD);
          frames.push({ type: 'stream', offset: s, data: stream.data.slice(s, end) });
          stream.pending.remove(s, end);
          segments.push({ level, start: s, end });
          space -= STREAM_FRAME_OVERHEAD + (end - s);
        }
        const header = {
          keyId: this.keyId,
          srcSessionId: this.localSessionId,
          dstSessionId: this.peerSessionId,
          level,
          packetNumber: this.nextPacketNumber,
          token,
        };
        if (level === Level.initial && this.options.padInitial && space > 0)
          frames.push({ type: 'padding', length: space });
        const datagram = sealControlPacket(header, encodeFrames(frames), keys);
        const size = datagram.length + this.options.wrapOverhead;
        if (!this.validated && this.bytesSent + size > AMPLIFICATION_FACTOR * this.bytesReceived) {
          for (const seg of segments) stream.pending.add(seg.start, seg.end);
          return out; // blocked until the peer sends more
        }
        if (this.nextPacketNumber >= 0xffffffff) throw new Error('packet numbers exhausted');
        this.nextPacketNumber++;
        this.bytesSent += size;
        if (wantAck) this.ackPending = false;
        if (segments.length > 0) {
          this.sent.set(header.packetNumber, { sentAt: now, segments });
          this.lastAckElicitingSend = now;
        }
        out.push(datagram);
      }
    }
    return out;
  }

  /** Diagnostics for tests and logs. */
  stats(): { packetsSent: number; inFlight: number; bytesSent: number; bytesReceived: number; rto: number } {
    return {
      packetsSent: this.nextPacketNumber,
      inFlight: this.sent.size,
      bytesSent: this.bytesSent,
      bytesReceived: this.bytesReceived,
      rto: this.rto,
    };
  }

  /** Bytes held for reassembly and retransmission (for the memory bound tests). */
  memoryFootprint(): number {
    let n = 0;
    for (const s of this.send) n += s.data.length;
    for (const r of this.recv) n += r.buffer.length;
    for (const p of this.buffered) n += p.sealed.length + p.aad.length;
    return n;
  }
}
