/**
 * TDS packets (MS-TDS section 2.2.3): an 8-byte header, then up to
 * (packet size - 8) bytes of a message. A message is one or more packets of
 * one type, the last with EOM set.
 *
 * ```
 * Type (1) | Status (1) | Length (2, big-endian, with the header) | SPID (2, big-endian) | PacketID (1) | Window (1)
 * ```
 *
 * @module
 */

import { concatBytes } from '@krbsim/core';
import { TdsError } from './errors';
import { TdsPacketStatus } from './iana/packet';

/** The size of a packet header. */
export const PACKET_HEADER_BYTES = 8;
/** The packet size before LOGIN7 negotiates one (section 2.2.6.4, PacketSize). */
export const DEFAULT_PACKET_SIZE = 4096;
/** The smallest packet size a LOGIN7 may ask for. */
export const MIN_PACKET_SIZE = 512;
/** The largest packet size a LOGIN7 may ask for, and the largest packet this package reads. */
export const MAX_PACKET_SIZE = 32767;

/** A packet header (section 2.2.3.1). */
export interface TdsPacketHeader {
  readonly type: number;
  /** {@link TdsPacketStatus} bits. */
  readonly status: number;
  /** The packet's length, header included. */
  readonly length: number;
  /** The server process id (0 from clients before login). */
  readonly spid: number;
  /** Incremented per packet of a message, modulo 256 (ignored by receivers). */
  readonly packetId: number;
  /** Unused; 0. */
  readonly window: number;
}

/** Read the header at `at` (at least 8 bytes must be there). */
export function decodePacketHeader(b: Uint8Array, at = 0): TdsPacketHeader {
  if (b.length - at < PACKET_HEADER_BYTES) {
    throw new TdsError('malformed', 'packet', `${b.length - at} bytes is shorter than a header`);
  }
  const length = (b[at + 2]! << 8) | b[at + 3]!;
  if (length < PACKET_HEADER_BYTES) {
    throw new TdsError('malformed', 'packet.Length', `${length} is shorter than the header`);
  }
  return {
    type: b[at]!,
    status: b[at + 1]!,
    length,
    spid: (b[at + 4]! << 8) | b[at + 5]!,
    packetId: b[at + 6]!,
    window: b[at + 7]!,
  };
}

/** Write a header. */
export function encodePacketHeader(h: TdsPacketHeader): Uint8Array {
  if (h.length < PACKET_HEADER_BYTES || h.length > 0xffff) {
    throw new RangeError(`packet.Length: ${h.length} is not 8 to 65535`);
  }
  return Uint8Array.of(
    h.type,
    h.status,
    h.length >> 8,
    h.length & 0xff,
    (h.spid >> 8) & 0xff,
    h.spid & 0xff,
    h.packetId & 0xff,
    h.window,
  );
}

/** Options of {@link encodePackets}. */
export interface EncodePacketsOptions {
  /** The largest packet, header included (default 4096). */
  readonly packetSize?: number;
  /** The SPID to write (a server's after login; 0 otherwise). */
  readonly spid?: number;
  /** Status bits for every packet besides EOM (RESET_CONNECTION, IGNORE on the last). */
  readonly status?: number;
}

/** Cut `payload` into packets of at most `packetSize` bytes, PacketID from 1, the last one EOM. */
export function encodePackets(
  type: number,
  payload: Uint8Array,
  options: EncodePacketsOptions = {},
): Uint8Array {
  const packetSize = options.packetSize ?? DEFAULT_PACKET_SIZE;
  if (!Number.isInteger(packetSize) || packetSize <= PACKET_HEADER_BYTES || packetSize > 0xffff) {
    throw new RangeError(`packetSize: ${packetSize} is not 9 to 65535`);
  }
  const room = packetSize - PACKET_HEADER_BYTES;
  const parts: Uint8Array[] = [];
  let id = 1;
  for (let at = 0; at < payload.length || parts.length === 0; at += room) {
    const chunk = payload.subarray(at, at + room);
    const last = at + room >= payload.length;
    parts.push(
      encodePacketHeader({
        type,
        status: (options.status ?? 0) | (last ? TdsPacketStatus.EOM : TdsPacketStatus.NORMAL),
        length: PACKET_HEADER_BYTES + chunk.length,
        spid: options.spid ?? 0,
        packetId: id++,
        window: 0,
      }),
      chunk,
    );
  }
  return concatBytes(parts);
}

/** One message: its type, the concatenated payloads of its packets, and the first packet's header. */
export interface TdsMessage {
  readonly type: number;
  readonly payload: Uint8Array;
  /** The Status bits of the first packet, EOM cleared; IGNORE is taken from the last. */
  readonly status: number;
  readonly spid: number;
  /** The message's packets as they arrived, headers included (only from a reader made with `keepPackets`). */
  readonly packets?: Uint8Array;
  /**
   * Set when the message was longer than `maxMessage` and the reader's limits say `skip`: its bytes on
   * the wire, headers included. The payload is empty (and `packets` absent): nothing of it was kept.
   */
  readonly skippedBytes?: number;
}

/** The bounds of a {@link PacketReader}. */
export interface PacketLimits {
  /** The longest packet, header included (at most 65535). */
  readonly maxPacket: number;
  /** The most bytes of one message, headers included. */
  readonly maxMessage: number;
  /**
   * A message longer than `maxMessage`: `'refuse'` (default) throws, and the stream is done;
   * `'skip'` reads it to its end keeping none of it, and gives it with `skippedBytes`, so that a
   * session can answer it and go on.
   */
  readonly oversized?: 'refuse' | 'skip';
}

/** What a {@link PacketReader} keeps besides the payloads. */
export interface PacketReaderOptions {
  /** Give each message its packets as they arrived (`TdsMessage.packets`), for traces. */
  readonly keepPackets?: boolean;
}

/** How large an emptied {@link ByteQueue}'s buffer may stay: a packet of the default size, and then some. */
const KEEP_BYTES = 16 * 1024;

/**
 * Bytes appended at the end and taken from the front, in one buffer grown by
 * doubling: what it holds costs at most about twice its length, however
 * small the pieces it came in (a packet's header, one byte at a time).
 */
class ByteQueue {
  #bytes = new Uint8Array(0);
  #start = 0;
  #end = 0;

  get length(): number {
    return this.#end - this.#start;
  }

  /** The bytes held, as a view (valid until the next append or clear). */
  view(): Uint8Array {
    return this.#bytes.subarray(this.#start, this.#end);
  }

  append(b: Uint8Array): void {
    if (b.length === 0) return;
    if (this.#end + b.length > this.#bytes.length) {
      const held = this.view();
      const size = held.length + b.length;
      const next =
        size <= this.#bytes.length ? this.#bytes : new Uint8Array(Math.max(size, this.#bytes.length * 2));
      if (next === this.#bytes) next.copyWithin(0, this.#start, this.#end);
      else next.set(held);
      this.#bytes = next;
      this.#start = 0;
      this.#end = held.length;
    }
    this.#bytes.set(b, this.#end);
    this.#end += b.length;
  }

  /**
   * Drop the first `n` bytes. Emptied, the queue keeps a buffer of up to {@link KEEP_BYTES} for the
   * next bytes (no allocation a chunk), and lets a larger one go.
   */
  drop(n: number): void {
    this.#start += n;
    if (this.#start !== this.#end) return;
    if (this.#bytes.length > KEEP_BYTES) this.clear();
    else this.#start = this.#end = 0;
  }

  /** The bytes held, handed over (no copy): the queue starts again empty. */
  take(): Uint8Array {
    const held = this.view();
    this.clear();
    return held;
  }

  /** Drop everything, and the memory with it. */
  clear(): void {
    this.#bytes = new Uint8Array(0);
    this.#start = 0;
    this.#end = 0;
  }
}

/**
 * Reassembles messages from a byte stream, bounded: a packet longer than
 * `maxPacket` or a message longer than `maxMessage` (headers counted) is
 * refused with a {@link TdsError}, or skipped as {@link PacketLimits.oversized}
 * says; after a refusal the reader is unusable, as the stream is out of step.
 * What it holds is proportional to what it was sent: payloads and kept packets
 * are copied into one buffer each, whatever the number of packets.
 */
export class PacketReader {
  /** Bytes received and not yet made into packets (at most one packet's worth, plus what came with it). */
  readonly #in = new ByteQueue();
  /** The current message's payload so far. */
  readonly #payload = new ByteQueue();
  /** The current message's whole packets, when kept. */
  readonly #raw: ByteQueue | undefined;
  #messageBytes = 0;
  #first: TdsPacketHeader | undefined;
  /** The current message passed `maxMessage` and is being skipped. */
  #skipping = false;
  #limits: PacketLimits;
  #expected: readonly number[] | undefined;

  constructor(limits: PacketLimits, options: PacketReaderOptions = {}) {
    this.#limits = limits;
    if (options.keepPackets === true) this.#raw = new ByteQueue();
  }

  /**
   * The packet types the protocol allows next (undefined: any). A header of
   * another type is refused as soon as it arrives, before its bytes: a peer
   * that speaks another protocol is told at once, not at a deadline.
   */
  expect(types: readonly number[] | undefined): void {
    this.#expected = types;
  }

  /** New bounds from now on (the negotiated packet size after login). */
  setLimits(limits: PacketLimits): void {
    this.#limits = limits;
  }

  /** Bytes of messages not complete yet, headers included (those of a message being skipped too). */
  get buffered(): number {
    return this.#in.length + this.#messageBytes;
  }

  /** Feed bytes; returns the messages they complete. */
  push(bytes: Uint8Array): TdsMessage[] {
    this.#in.append(bytes);
    const out: TdsMessage[] = [];
    const { maxPacket, maxMessage } = this.#limits;
    while (this.#in.length >= PACKET_HEADER_BYTES) {
      const buf = this.#in.view();
      const h = decodePacketHeader(buf);
      if (h.length > maxPacket) {
        throw new TdsError('too-large', 'packet.Length', `${h.length} bytes is more than ${maxPacket}`);
      }
      if (this.#expected !== undefined && !this.#expected.includes(h.type)) {
        throw new TdsError(
          'unexpected',
          'packet.Type',
          `0x${hex(h.type)} where ${this.#expected.map((t) => `0x${hex(t)}`).join(' or ') || 'nothing'} may come`,
        );
      }
      if (this.#first !== undefined && h.type !== this.#first.type) {
        throw new TdsError(
          'malformed',
          'packet.Type',
          `0x${hex(h.type)} inside a message of type 0x${hex(this.#first.type)}`,
        );
      }
      if (!this.#skipping && this.#messageBytes + h.length > maxMessage) {
        if (this.#limits.oversized !== 'skip') {
          throw new TdsError('too-large', 'message', `more than ${maxMessage} bytes`);
        }
        this.#skipping = true;
        this.#payload.clear();
        this.#raw?.clear();
      }
      if (buf.length < h.length) break;
      this.#first ??= h;
      this.#messageBytes += h.length;
      if (!this.#skipping) {
        this.#payload.append(buf.subarray(PACKET_HEADER_BYTES, h.length));
        this.#raw?.append(buf.subarray(0, h.length));
      }
      this.#in.drop(h.length);
      if ((h.status & TdsPacketStatus.EOM) !== 0) out.push(this.#complete(h));
    }
    return out;
  }

  /** The message the packet with header `last` (EOM) ends. */
  #complete(last: TdsPacketHeader): TdsMessage {
    const first = this.#first!;
    const message: TdsMessage = {
      type: last.type,
      payload: this.#skipping ? new Uint8Array(0) : this.#payload.take(),
      status:
        (first.status & ~(TdsPacketStatus.EOM | TdsPacketStatus.IGNORE)) |
        (last.status & TdsPacketStatus.IGNORE),
      spid: first.spid,
      ...(this.#raw !== undefined && !this.#skipping && { packets: this.#raw.take() }),
      ...(this.#skipping && { skippedBytes: this.#messageBytes }),
    };
    this.#payload.clear();
    this.#raw?.clear();
    this.#messageBytes = 0;
    this.#first = undefined;
    this.#skipping = false;
    return message;
  }
}

const hex = (n: number): string => n.toString(16).padStart(2, '0');

/**
 * @internal Where each byte of the message `packets` carry lies in `packets`: the payloads' bytes in
 * order (a header whose Length is too short, or runs past the bytes, ends the list there). For
 * rewriting a message's bytes in place across packet boundaries (a trace's blanked secrets).
 */
export function messageBytePositions(packets: Uint8Array): number[] {
  const where: number[] = [];
  for (let at = 0; at + PACKET_HEADER_BYTES < packets.length; ) {
    const length = (packets[at + 2]! << 8) | packets[at + 3]!;
    if (length <= PACKET_HEADER_BYTES) break;
    const end = Math.min(at + length, packets.length);
    for (let i = at + PACKET_HEADER_BYTES; i < end; i++) where.push(i);
    at = end;
  }
  return where;
}
