/**
 * Synthetic packet headers for pcap export: Ethernet II, IPv4 (RFC 791), UDP
 * (RFC 768) and TCP (RFC 9293), with real checksums (RFC 1071 one's
 * complement sums over the RFC 768 / RFC 9293 pseudo-headers), so packet
 * analyzers accept the packets as if captured.
 *
 * @module
 */

/** One end of a conversation. */
export interface Endpoint {
  /** 4 bytes. */
  readonly ip: Uint8Array;
  /** 6 bytes. */
  readonly mac: Uint8Array;
  readonly port: number;
}

/** TCP flag bits (RFC 9293 section 3.1). */
export const TcpFlag = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10 } as const;

/** The RFC 1071 Internet checksum of the concatenation of `chunks`. */
export function internetChecksum(...chunks: Uint8Array[]): number {
  let sum = 0;
  let odd = false;
  let pending = 0;
  for (const c of chunks) {
    for (let i = 0; i < c.length; i++) {
      if (odd) {
        sum += (pending << 8) | c[i]!;
        odd = false;
      } else {
        pending = c[i]!;
        odd = true;
      }
    }
  }
  if (odd) sum += pending << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}

function pseudoHeader(src: Endpoint, dst: Endpoint, protocol: number, length: number): Uint8Array {
  const p = new Uint8Array(12);
  p.set(src.ip, 0);
  p.set(dst.ip, 4);
  p[9] = protocol;
  p[10] = length >> 8;
  p[11] = length & 0xff;
  return p;
}

/** An IPv4 header (no options, DF set, TTL 64) followed by `payload`. */
export function ipv4(
  src: Endpoint,
  dst: Endpoint,
  protocol: number,
  payload: Uint8Array,
  id: number,
): Uint8Array {
  const total = 20 + payload.length;
  if (total > 0xffff) throw new RangeError(`IPv4 packet of ${total} bytes exceeds 65535`);
  const out = new Uint8Array(total);
  const v = new DataView(out.buffer);
  out[0] = 0x45;
  v.setUint16(2, total);
  v.setUint16(4, id & 0xffff);
  v.setUint16(6, 0x4000);
  out[8] = 64;
  out[9] = protocol;
  out.set(src.ip, 12);
  out.set(dst.ip, 16);
  v.setUint16(10, internetChecksum(out.subarray(0, 20)));
  out.set(payload, 20);
  return out;
}

/** A UDP datagram (header + payload) with its checksum. */
export function udp(src: Endpoint, dst: Endpoint, payload: Uint8Array): Uint8Array {
  const length = 8 + payload.length;
  const out = new Uint8Array(length);
  const v = new DataView(out.buffer);
  v.setUint16(0, src.port);
  v.setUint16(2, dst.port);
  v.setUint16(4, length);
  out.set(payload, 8);
  const sum = internetChecksum(pseudoHeader(src, dst, 17, length), out);
  v.setUint16(6, sum === 0 ? 0xffff : sum);
  return out;
}

/** A TCP segment (20-byte header, window 65535) with its checksum. */
export function tcp(
  src: Endpoint,
  dst: Endpoint,
  seq: number,
  ack: number,
  flags: number,
  payload: Uint8Array = new Uint8Array(0),
): Uint8Array {
  const length = 20 + payload.length;
  const out = new Uint8Array(length);
  const v = new DataView(out.buffer);
  v.setUint16(0, src.port);
  v.setUint16(2, dst.port);
  v.setUint32(4, seq >>> 0);
  v.setUint32(8, flags & TcpFlag.ACK ? ack >>> 0 : 0);
  out[12] = 5 << 4;
  out[13] = flags;
  v.setUint16(14, 0xffff);
  out.set(payload, 20);
  v.setUint16(16, internetChecksum(pseudoHeader(src, dst, 6, length), out));
  return out;
}

/** An Ethernet II frame carrying an IPv4 packet. */
export function ethernet(src: Endpoint, dst: Endpoint, packet: Uint8Array): Uint8Array {
  const out = new Uint8Array(14 + packet.length);
  out.set(dst.mac, 0);
  out.set(src.mac, 6);
  out[12] = 0x08;
  out[13] = 0x00;
  out.set(packet, 14);
  return out;
}
