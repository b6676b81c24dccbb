/**
 * A trace as a libpcap capture file (the classic format: magic 0xa1b2c3d4,
 * version 2.4, microsecond timestamps; link type 1 Ethernet or 101 raw IP),
 * so Wireshark and tshark dissect every message as Kerberos.
 *
 * Each participant gets an address 127.0.0.n (first-seen order) and the
 * server side of every exchange is port 88 (RFC 4120 section 7.2.3), the port
 * Wireshark's Kerberos dissector listens on. Exchanges that went over UDP (or
 * in process) and fit a datagram become one UDP datagram each way; TCP and
 * KDC-proxy exchanges, anything too large for UDP, and the application
 * messages KRB-SAFE / KRB-PRIV / KRB-CRED (which Wireshark's UDP heuristics
 * refuse) become a TCP connection of their own (handshake, the RFC 4120
 * section 7.2.2 length-prefixed record in MSS-sized segments each way, then
 * FIN), which tshark reassembles.
 *
 * TDS entries (a managed instance's listener records them) go to port 1433,
 * where Wireshark's TDS dissector listens: the entries of one stream (one
 * SQL connection) are one TCP connection, opened before its first message
 * and closed after its last, each message's packets as they are (TDS needs
 * no framing of its own), so tshark shows PRELOGIN, the TDS7 login with the
 * Kerberos token inside, and the answers. The bytes are the endpoints'
 * cleartext: when the session ran in TLS the capture shows what a capture
 * decrypted with the TLS key log would, and the TLS handshake (in PRELOGIN
 * packets) is not in it.
 *
 * kpasswd entries (RFC 3244) go to port 464, where Wireshark's kpasswd
 * dissector listens, as UDP datagrams or TCP connections by the same rule as
 * Kerberos (over TCP with the same 4-byte length prefix, section 2).
 *
 * HTTP entries (a PRT token request) go to port 80, one TCP connection each,
 * the messages as they are: what a capture decrypted with the TLS key log
 * shows of the HTTPS exchange, which Wireshark dissects as HTTP.
 *
 * @module
 */

import { concatBytes } from '@krbsim/core';
import { frameTcp } from './framing';
import { type Endpoint, ethernet, ipv4, TcpFlag, tcp, udp } from './packets';
import type { TraceEntry } from './trace-entry';

/** Options for {@link tracePcap}. */
export interface PcapOptions {
  /** `'ethernet'` (link type 1, default) or `'raw'` (link type 101, bare IPv4). */
  readonly linkType?: 'ethernet' | 'raw';
  /** Largest message kept in a UDP datagram (default 65507, the IPv4 maximum). */
  readonly udpMaxPayload?: number;
  /** TCP segment payload size (default 1460). */
  readonly mss?: number;
  /** The Kerberos server port (default 88). */
  readonly serverPort?: number;
  /** The TDS server port (default 1433, which Wireshark dissects as TDS). */
  readonly tdsPort?: number;
  /** The HTTP server port (default 80, which Wireshark dissects as HTTP). */
  readonly httpPort?: number;
  /** The kpasswd server port (default 464, which Wireshark dissects as kpasswd). */
  readonly kpasswdPort?: number;
}

/** One TCP connection being written: its ends and next sequence numbers. */
interface TcpStream {
  readonly client: Endpoint;
  readonly server: Endpoint;
  cSeq: number;
  sSeq: number;
}

const CLIENT_PORT_BASE = 49152;

/** A pcap file (classic libpcap format, little-endian) of the given entries. */
export function tracePcap(entries: readonly TraceEntry[], options: PcapOptions = {}): Uint8Array {
  const raw = options.linkType === 'raw';
  const udpMax = options.udpMaxPayload ?? 65507;
  const mss = options.mss ?? 1460;
  const serverPort = options.serverPort ?? 88;
  const tdsPort = options.tdsPort ?? 1433;
  const httpPort = options.httpPort ?? 80;
  const kpasswdPort = options.kpasswdPort ?? 464;
  const ports = { tds: tdsPort, http: httpPort, kpasswd: kpasswdPort } as const;
  const portOf = (e: TraceEntry) => (e.protocol === undefined ? serverPort : ports[e.protocol]);
  const records: Uint8Array[] = [fileHeader(raw ? 101 : 1)];
  const hosts = new Map<string, number>();
  const host = (name: string) => {
    let n = hosts.get(name);
    if (n === undefined) {
      n = hosts.size + 1;
      hosts.set(name, n);
    }
    return n;
  };
  let lastMicros = -1;
  let ipId = 0;
  // The last entry of each stream: its connection closes after it.
  const lastOfStream = new Map<string, number>();
  entries.forEach((e, i) => {
    if (e.stream !== undefined) lastOfStream.set(e.stream, i);
  });
  const open = new Map<string, TcpStream>();

  for (const [index, e] of entries.entries()) {
    const client = endpoint(host(e.from), CLIENT_PORT_BASE + ((e.seq - 1) % 16384));
    const server = endpoint(host(e.to), portOf(e));
    const emit = (src: Endpoint, dst: Endpoint, protocol: number, segment: Uint8Array) => {
      const packet = ipv4(src, dst, protocol, segment, ++ipId);
      const frame = raw ? packet : ethernet(src, dst, packet);
      lastMicros = Math.max(Math.floor(e.time) * 1000, lastMicros + 1);
      records.push(packetRecord(lastMicros, frame));
    };
    /** Segments of at most `mss` bytes from `src`; returns the next sequence number. */
    const send = (src: Endpoint, dst: Endpoint, seq: number, ack: number, bytes: Uint8Array): number => {
      for (let at = 0; at < bytes.length; at += mss) {
        const chunk = bytes.subarray(at, Math.min(at + mss, bytes.length));
        const last = at + mss >= bytes.length;
        emit(src, dst, 6, tcp(src, dst, seq, ack, TcpFlag.ACK | (last ? TcpFlag.PSH : 0), chunk));
        seq += chunk.length;
      }
      return seq;
    };
    const handshake = (c: Endpoint, s: Endpoint, seq: number): TcpStream => {
      const t = { client: c, server: s, cSeq: 0x10000000 + seq * 0x10000, sSeq: 0x20000000 + seq * 0x10000 };
      emit(c, s, 6, tcp(c, s, t.cSeq, 0, TcpFlag.SYN));
      emit(s, c, 6, tcp(s, c, t.sSeq, t.cSeq + 1, TcpFlag.SYN | TcpFlag.ACK));
      t.cSeq += 1;
      t.sSeq += 1;
      emit(c, s, 6, tcp(c, s, t.cSeq, t.sSeq, TcpFlag.ACK));
      return t;
    };
    const finish = (t: TcpStream) => {
      emit(t.client, t.server, 6, tcp(t.client, t.server, t.cSeq, t.sSeq, TcpFlag.FIN | TcpFlag.ACK));
      emit(t.server, t.client, 6, tcp(t.server, t.client, t.sSeq, t.cSeq + 1, TcpFlag.FIN | TcpFlag.ACK));
      emit(t.client, t.server, 6, tcp(t.client, t.server, t.cSeq + 1, t.sSeq + 1, TcpFlag.ACK));
    };
    // TDS and HTTP need no framing; Kerberos (and kpasswd) over TCP is the RFC 4120 section 7.2.2 length-prefixed record.
    const unframed = e.protocol === 'tds' || e.protocol === 'http';
    const frame = unframed ? (m: Uint8Array) => m : frameTcp;

    if (e.stream !== undefined) {
      let t = open.get(e.stream);
      if (t === undefined) {
        t = handshake(client, server, e.seq);
        open.set(e.stream, t);
      }
      t.cSeq = send(t.client, t.server, t.cSeq, t.sSeq, frame(e.request));
      if (e.reply !== undefined) t.sSeq = send(t.server, t.client, t.sSeq, t.cSeq, frame(e.reply));
      if (lastOfStream.get(e.stream) === index) {
        finish(t);
        open.delete(e.stream);
      }
      continue;
    }
    const replyLen = e.reply?.length ?? 0;
    const overTcp =
      unframed ||
      e.transport === 'tcp' ||
      e.transport === 'kkdcp' ||
      e.request.length > udpMax ||
      replyLen > udpMax ||
      (e.protocol === undefined &&
        (isAppMessage(e.request) || (e.reply !== undefined && isAppMessage(e.reply))));
    if (!overTcp) {
      emit(client, server, 17, udp(client, server, e.request));
      if (e.reply !== undefined) emit(server, client, 17, udp(server, client, e.reply));
      continue;
    }
    const t = handshake(client, server, e.seq);
    t.cSeq = send(client, server, t.cSeq, t.sSeq, frame(e.request));
    if (e.reply !== undefined) t.sSeq = send(server, client, t.sSeq, t.cSeq, frame(e.reply));
    finish(t);
  }
  return concatBytes(records);
}

/** KRB-SAFE, KRB-PRIV, KRB-CRED: Wireshark's UDP port 88 heuristics refuse them, its TCP dissector does not. */
function isAppMessage(m: Uint8Array): boolean {
  return m[0] === 0x74 || m[0] === 0x75 || m[0] === 0x76;
}

function endpoint(n: number, port: number): Endpoint {
  const ip = Uint8Array.from([127, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]);
  const mac = Uint8Array.from([0x02, 0x00, 0x00, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]);
  return { ip, mac, port };
}

function fileHeader(linkType: number): Uint8Array {
  const h = new Uint8Array(24);
  const v = new DataView(h.buffer);
  v.setUint32(0, 0xa1b2c3d4, true);
  v.setUint16(4, 2, true);
  v.setUint16(6, 4, true);
  v.setUint32(16, 262144, true); // snaplen
  v.setUint32(20, linkType, true);
  return h;
}

function packetRecord(micros: number, frame: Uint8Array): Uint8Array {
  const r = new Uint8Array(16 + frame.length);
  const v = new DataView(r.buffer);
  v.setUint32(0, Math.floor(micros / 1e6) >>> 0, true);
  v.setUint32(4, micros % 1e6, true);
  v.setUint32(8, frame.length, true);
  v.setUint32(12, frame.length, true);
  r.set(frame, 16);
  return r;
}
