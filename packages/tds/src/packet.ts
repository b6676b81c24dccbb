/**
 * TDS packets (MS-TDS section 2.2.3): an 8-byte header (Type, Status,
 * Length big-endian including the header, SPID, PacketID, Window) and a
 * payload; a message is one or more packets, the last with EOM set.
 *
 * @module
 */

import { concatBytes } from '@krbsim/core';
import { TdsError } from './errors';
import { TdsPacketStatus } from './iana/packet-type';

/** The packet header's size. */
const HEADER_BYTES = 8;
/** The packet size a server uses before LOGIN7 negotiates one (MS-TDS 2.2.6.4). */
export const DEFAULT_PACKET_SIZE = 4096;

/** One message: its type and the concatenated payloads of its packets. */
export interface TdsMessage {
  readonly type: number;
  readonly payload: Uint8Array;
}

/** Cut `payload` into packets of at most `packetSize` bytes, the last one EOM. */
export function encodePackets(
  type: number,
  payload: Uint8Array,
  packetSize = DEFAULT_PACKET_SIZE,
): Uint8Array {
  const room = packetSize - HEADER_BYTES;
  const parts: Uint8Array[] = [];
  let id = 1;
  for (let at = 0; at < payload.length || parts.length === 0; at += room) {
    const chunk = payload.subarray(at, at + room);
    const last = at + room >= payload.length;
    const h = new Uint8Array(HEADER_BYTES);
    h[0] = type;
    h[1] = last ? TdsPacketStatus.EOM : TdsPacketStatus.NORMAL;
    new DataView(h.buffer).setUint16(2, HEADER_BYTES + chunk.length);
    h[6] = id++ & 0xff;
    parts.push(h, chunk);
  }
  return concatBytes(parts);
}

/**
 * Reassembles messages from a byte stream, bounded: a packet longer than
 * `maxPacket` or a message longer than `maxMessage` is refused.
 */
export class PacketReader {
  #buf: Uint8Array = new Uint8Array(0);
  #parts: Uint8Array[] = [];
  #partsBytes = 0;
  #type: number | undefined;
  readonly #maxPacket: number;
  readonly #maxMessage: number;

  constructor(limits: { maxPacket: number; maxMessage: number }) {
    this.#maxPacket = limits.maxPacket;
    this.#maxMessage = limits.maxMessage;
  }

  /** Bytes held for messages not complete yet. */
  get buffered(): number {
    return this.#buf.length + this.#partsBytes;
  }

  /** Feed bytes; returns the messages they complete. */
  push(bytes: Uint8Array): TdsMessage[] {
    this.#buf = this.#buf.length === 0 ? bytes : concatBytes([this.#buf, bytes]);
    const out: TdsMessage[] = [];
    while (this.#buf.length >= HEADER_BYTES) {
      const type = this.#buf[0]!;
      const status = this.#buf[1]!;
      const length = new DataView(this.#buf.buffer, this.#buf.byteOffset).getUint16(2);
      if (length < HEADER_BYTES)
        throw new TdsError('malformed', 'packet.Length', `${length} is shorter than the header`);
      if (length > this.#maxPacket) {
        throw new TdsError('too-large', 'packet.Length', `${length} bytes is more than ${this.#maxPacket}`);
      }
      if (this.#buf.length < length) break;
      if (this.#type !== undefined && type !== this.#type) {
        throw new TdsError(
          'malformed',
          'packet.Type',
          `0x${type.toString(16)} inside a message of type 0x${this.#type.toString(16)}`,
        );
      }
      this.#type = type;
      const payload = this.#buf.slice(HEADER_BYTES, length);
      this.#buf = this.#buf.subarray(length);
      this.#partsBytes += payload.length;
      if (this.#partsBytes > this.#maxMessage) {
        throw new TdsError('too-large', 'message', `more than ${this.#maxMessage} bytes`);
      }
      this.#parts.push(payload);
      if ((status & TdsPacketStatus.EOM) !== 0) {
        out.push({ type, payload: concatBytes(this.#parts) });
        this.#parts = [];
        this.#partsBytes = 0;
        this.#type = undefined;
      }
    }
    return out;
  }
}
