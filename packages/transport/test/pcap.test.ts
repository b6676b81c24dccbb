import { encodeKpasswdMessage } from '@krbsim/asn1';
import { ManualClock } from '@krbsim/core';
import { frameTcp, Trace, tracePcap } from '@krbsim/transport';
import { describe, expect, it } from 'vitest';
import { asReq, hex } from './der';

interface Packet {
  sec: number;
  usec: number;
  src: string;
  dst: string;
  proto: number;
  sport: number;
  dport: number;
  flags?: number;
  seq?: number;
  ack?: number;
  payload: Uint8Array;
}

/** RFC 1071 sum over `b` (verifying a header gives 0). */
function sum16(...chunks: Uint8Array[]): number {
  const all = Uint8Array.from(chunks.flatMap((c) => [...c]));
  let s = 0;
  for (let i = 0; i < all.length; i += 2) s += (all[i]! << 8) | (all[i + 1] ?? 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

/** An independent reader of what tracePcap writes; checks every checksum. */
function readPcap(file: Uint8Array): { linkType: number; packets: Packet[] } {
  const v = new DataView(file.buffer, file.byteOffset, file.byteLength);
  expect(v.getUint32(0, true)).toBe(0xa1b2c3d4);
  expect([v.getUint16(4, true), v.getUint16(6, true)]).toEqual([2, 4]);
  const linkType = v.getUint32(20, true);
  const packets: Packet[] = [];
  let at = 24;
  while (at < file.length) {
    const sec = v.getUint32(at, true);
    const usec = v.getUint32(at + 4, true);
    const incl = v.getUint32(at + 8, true);
    expect(v.getUint32(at + 12, true)).toBe(incl);
    let frame = file.subarray(at + 16, at + 16 + incl);
    at += 16 + incl;
    if (linkType === 1) {
      expect(hex(frame.subarray(12, 14))).toBe('0800');
      frame = frame.subarray(14);
    }
    const ip = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
    expect(frame[0]).toBe(0x45);
    expect(ip.getUint16(2)).toBe(frame.length);
    expect(sum16(frame.subarray(0, 20))).toBe(0);
    const src = [...frame.subarray(12, 16)].join('.');
    const dst = [...frame.subarray(16, 20)].join('.');
    const proto = frame[9]!;
    const seg = frame.subarray(20);
    const pseudo = Uint8Array.from([...frame.subarray(12, 20), 0, proto, seg.length >> 8, seg.length & 0xff]);
    expect(sum16(pseudo, seg)).toBe(0);
    const s = new DataView(seg.buffer, seg.byteOffset, seg.byteLength);
    if (proto === 17) {
      expect(s.getUint16(4)).toBe(seg.length);
      packets.push({
        sec,
        usec,
        src,
        dst,
        proto,
        sport: s.getUint16(0),
        dport: s.getUint16(2),
        payload: seg.subarray(8),
      });
    } else {
      expect(proto).toBe(6);
      const off = (seg[12]! >> 4) * 4;
      packets.push({
        sec,
        usec,
        src,
        dst,
        proto,
        sport: s.getUint16(0),
        dport: s.getUint16(2),
        seq: s.getUint32(4),
        ack: s.getUint32(8),
        flags: seg[13]!,
        payload: seg.subarray(off),
      });
    }
  }
  return { linkType, packets };
}

const bigReply = Uint8Array.from({ length: 4000 }, (_, i) => (i === 0 ? 0x6d : i & 0xff));

describe('pcap export', () => {
  it('writes UDP exchanges with per-participant addresses and port 88', () => {
    const trace = new Trace({ clock: new ManualClock(Date.UTC(2026, 0, 1)) });
    const req = asReq('alice', 'R');
    trace.record({
      from: 'alice',
      to: 'KDC R',
      transport: 'udp',
      request: req,
      reply: Uint8Array.from([0x6b, 0]),
    });
    trace.record({ from: 'alice', to: 'HTTP/web', request: Uint8Array.from([0x6e, 0]) });
    const { linkType, packets } = readPcap(trace.toPcap());
    expect(linkType).toBe(1);
    expect(packets.map((p) => [p.src, p.dst, p.proto, p.sport, p.dport])).toEqual([
      ['127.0.0.1', '127.0.0.2', 17, 49152, 88],
      ['127.0.0.2', '127.0.0.1', 17, 88, 49152],
      ['127.0.0.1', '127.0.0.3', 17, 49153, 88],
    ]);
    expect(hex(packets[0]!.payload)).toBe(hex(req));
    expect(packets[0]!.sec).toBe(Date.UTC(2026, 0, 1) / 1000);
    const times = packets.map((p) => p.sec * 1e6 + p.usec);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(new Set(times).size).toBe(times.length);
  });

  it('writes TCP exchanges as a full connection whose streams reassemble to the framed messages', () => {
    const trace = new Trace();
    const req = asReq('alice', 'R');
    trace.record({ from: 'alice', to: 'KDC R', transport: 'tcp', request: req, reply: bigReply });
    const { packets } = readPcap(tracePcap(trace.entries, { linkType: 'raw', mss: 1000 }));
    const SYN = 2;
    const ACK = 0x10;
    const FIN = 1;
    expect(packets[0]!.flags).toBe(SYN);
    expect(packets[1]!.flags).toBe(SYN | ACK);
    expect(packets[2]!.flags).toBe(ACK);
    expect(packets.at(-3)!.flags).toBe(FIN | ACK);
    expect(packets.at(-1)!.flags).toBe(ACK);
    const stream = (from: string) => {
      const data = packets.filter((p) => p.src === from && p.payload.length > 0);
      for (let i = 1; i < data.length; i++)
        expect(data[i]!.seq).toBe(data[i - 1]!.seq! + data[i - 1]!.payload.length);
      return Uint8Array.from(data.flatMap((p) => [...p.payload]));
    };
    expect(hex(stream('127.0.0.1'))).toBe(hex(frameTcp(req)));
    expect(hex(stream('127.0.0.2'))).toBe(hex(frameTcp(bigReply)));
    expect(packets.filter((p) => p.src === '127.0.0.2' && p.payload.length > 0)).toHaveLength(5); // 4004 / 1000
  });

  it('moves exchanges too large for a datagram to TCP, and KDC-proxy exchanges too', () => {
    const trace = new Trace();
    trace.record({ from: 'a', to: 'b', transport: 'udp', request: asReq('a', 'R'), reply: bigReply });
    trace.record({ from: 'a', to: 'b', transport: 'kkdcp', request: asReq('a', 'R') });
    const { packets } = readPcap(trace.toPcap({ udpMaxPayload: 1465 }));
    expect(packets.every((p) => p.proto === 6)).toBe(true);
    expect(new Set(packets.map((p) => (p.sport === 88 ? p.dport : p.sport)))).toEqual(
      new Set([49152, 49153]),
    );
    const udpOnly = readPcap(trace.toPcap({ serverPort: 750 })).packets;
    expect(udpOnly[0]!.proto).toBe(17);
    expect(udpOnly[0]!.dport).toBe(750);
  });

  it('writes a TDS stream as one TCP connection on port 1433, messages unframed, between Kerberos exchanges', () => {
    const trace = new Trace();
    const prelogin = Uint8Array.of(0x12, 0x01, 0x00, 0x09, 0, 0, 1, 0, 0xff);
    const answer = Uint8Array.of(0x04, 0x01, 0x00, 0x09, 0, 0, 1, 0, 0xff);
    const login = Uint8Array.from({ length: 2500 }, (_, i) => (i === 0 ? 0x10 : i & 0xff));
    const tds = { from: 'pc', to: 'mi1', transport: 'tcp', protocol: 'tds', stream: 'c1' } as const;
    trace.record({
      ...tds,
      request: prelogin,
      reply: answer,
      requestType: 'PRELOGIN',
      replyType: 'PRELOGIN',
    });
    trace.record({ from: 'pc', to: 'KDC R', transport: 'udp', request: asReq('a', 'R'), reply: bigReply });
    trace.record({ ...tds, request: login, reply: answer, requestType: 'LOGIN7', replyType: 'LOGINACK' });
    trace.record({ ...tds, stream: 'c2', request: prelogin, requestType: 'PRELOGIN', error: 'closed' });
    const { packets } = readPcap(trace.toPcap({ mss: 1000 }));
    const c1 = packets.filter((p) => p.proto === 6 && (p.sport === 49152 || p.dport === 49152));
    expect(c1.every((p) => p.sport === 1433 || p.dport === 1433)).toBe(true);
    const SYN = 2;
    const FIN = 1;
    expect(c1.filter((p) => (p.flags! & SYN) !== 0)).toHaveLength(2); // one handshake for both messages
    expect(c1.filter((p) => (p.flags! & FIN) !== 0)).toHaveLength(2); // one close, after the last
    // The Kerberos exchange sits between the two TDS messages.
    const kdc = packets.findIndex((p) => p.dport === 88);
    const loginAt = packets.findIndex((p) => p.dport === 1433 && p.payload[0] === 0x10);
    expect(kdc).toBeGreaterThan(0);
    expect(loginAt).toBeGreaterThan(kdc);
    const stream = (from: string) => {
      const data = c1.filter((p) => p.src === from && p.payload.length > 0);
      for (let i = 1; i < data.length; i++)
        expect(data[i]!.seq).toBe(data[i - 1]!.seq! + data[i - 1]!.payload.length);
      return Uint8Array.from(data.flatMap((p) => [...p.payload]));
    };
    const pc = c1[0]!.src;
    expect(hex(stream(pc))).toBe(hex(Uint8Array.from([...prelogin, ...login])));
    expect(hex(stream(c1[1]!.src))).toBe(hex(Uint8Array.from([...answer, ...answer])));
    // The second connection: its own port, its request, then closed.
    const c2 = packets.filter((p) => p.sport === 49155 || p.dport === 49155);
    expect(c2.map((p) => p.dport === 1433 || p.sport === 1433)).not.toContain(false);
    expect(c2.filter((p) => p.payload.length > 0).map((p) => hex(p.payload))).toEqual([hex(prelogin)]);
    expect(readPcap(trace.toPcap({ tdsPort: 11433 })).packets.some((p) => p.dport === 11433)).toBe(true);
  });

  it('writes an HTTP entry as a TCP connection of its own on port 80, messages unframed', () => {
    const trace = new Trace();
    const post = new TextEncoder().encode(
      'POST /t/oauth2/token HTTP/1.1\r\nContent-Length: 8\r\n\r\ntgt=true',
    );
    const ok = new TextEncoder().encode('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}');
    trace.record({
      from: 'pc',
      to: 'login',
      transport: 'tcp',
      protocol: 'http',
      request: post,
      reply: ok,
      requestType: 'PRT request',
      replyType: 'PRT response',
    });
    const { packets } = readPcap(trace.toPcap());
    expect(packets.every((p) => p.proto === 6 && (p.sport === 80 || p.dport === 80))).toBe(true);
    expect(packets.filter((p) => p.payload.length > 0).map((p) => hex(p.payload))).toEqual([
      hex(post),
      hex(ok),
    ]);
    expect(readPcap(trace.toPcap({ httpPort: 8080 })).packets.some((p) => p.dport === 8080)).toBe(true);
  });

  it('writes kpasswd on port 464: a datagram each way, or a length-prefixed TCP record over TCP', () => {
    const trace = new Trace();
    const request = encodeKpasswdMessage({
      version: 1,
      ap: Uint8Array.of(0x6e, 0),
      rest: Uint8Array.of(0x75, 0),
    });
    const reply = encodeKpasswdMessage({
      version: 1,
      ap: Uint8Array.of(0x6f, 0),
      rest: Uint8Array.of(0x75, 0),
    });
    const kpasswd = { from: 'alice', to: 'KDC R', protocol: 'kpasswd', request, reply } as const;
    trace.record({ ...kpasswd, transport: 'udp' });
    trace.record({ ...kpasswd, transport: 'tcp' });
    const { packets } = readPcap(trace.toPcap());
    const udp = packets.filter((p) => p.proto === 17);
    expect(udp.map((p) => [p.sport, p.dport, hex(p.payload)])).toEqual([
      [49152, 464, hex(request)],
      [464, 49152, hex(reply)],
    ]);
    const tcp = packets.filter((p) => p.proto === 6);
    expect(tcp.every((p) => p.sport === 464 || p.dport === 464)).toBe(true);
    expect(tcp.filter((p) => p.payload.length > 0).map((p) => hex(p.payload))).toEqual([
      hex(frameTcp(request)),
      hex(frameTcp(reply)),
    ]);
    expect(readPcap(trace.toPcap({ kpasswdPort: 1464 })).packets[0]!.dport).toBe(1464);
  });

  it('writes just the file header for an empty trace', () => {
    expect(new Trace().toPcap()).toHaveLength(24);
  });
});
