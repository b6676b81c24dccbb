/**
 * TLS inside PRELOGIN (MS-TDS 3.2.5.2), the duplex under node:tls: records
 * come out of PRELOGIN packets until the first bare record, also when both
 * arrive in one chunk; a server's output stays wrapped until then; other
 * packet types and oversized packets are refused.
 */

import type { Socket } from 'node:net';
import { createSecureContext, TLSSocket, connect as tlsConnect } from 'node:tls';
import {
  encodePackets,
  negotiateTdsVersion,
  PacketReader,
  TdsError,
  TdsPacketType,
  TdsVersion,
} from '@krbsim/tds';
import { createSelfSignedCa, issueServerCertificate } from '@krbsim/transport';
import { describe, expect, it } from 'vitest';
// Internal: the duplex is node:stream's, which the published types must not need.
import { PreloginTlsTransport } from '../src/tls-in-prelogin';
import { refusal } from './helpers';

function transport(server: boolean) {
  const sent: Uint8Array[] = [];
  const t = new PreloginTlsTransport((b) => sent.push(b), { server, maxPacket: 4096 });
  const read: Buffer[] = [];
  t.on('data', (d: Buffer) => read.push(d));
  const write = (b: Uint8Array) => new Promise<void>((r) => t.write(Buffer.from(b), () => r()));
  return { t, sent, read, write };
}

const record = (type: number, n: number) =>
  Uint8Array.from([type, 3, 3, 0, n, ...new Uint8Array(n).fill(type)]);

describe('PreloginTlsTransport', () => {
  it('unwraps PRELOGIN packets, then passes bare records through, also within one chunk', async () => {
    const { t, read } = transport(true);
    const hello = record(0x16, 40);
    const wrapped = encodePackets(TdsPacketType.PRELOGIN, hello, { packetSize: 30 }); // split over two packets
    const bare = record(0x17, 5);
    t.feed(wrapped.subarray(0, 10));
    t.feed(Uint8Array.from([...wrapped.subarray(10), ...bare]));
    await new Promise((r) => setImmediate(r));
    expect(Buffer.concat(read)).toEqual(Buffer.from([...hello, ...bare]));
    expect(t.rawInbound).toBe(true);
  });

  it("wraps a server's output until the client's first bare record, a client's until unwrap()", async () => {
    const server = transport(true);
    // A server takes no bare record before the client's two handshake flights came wrapped.
    expect(() => server.t.feed(record(0x16, 1))).toThrow(
      /a bare TLS record \(0x16\) before the client's handshake flights came in PRELOGIN packets/,
    );
    server.t.feed(encodePackets(TdsPacketType.PRELOGIN, record(0x16, 1))); // ClientHello
    await server.write(record(0x16, 3));
    expect(() => server.t.feed(record(0x17, 1))).toThrow(TdsError);
    server.t.feed(encodePackets(TdsPacketType.PRELOGIN, record(0x16, 2))); // its Finished
    server.t.feed(record(0x17, 1));
    await server.write(record(0x17, 2));
    const reader = new PacketReader({ maxPacket: 4096, maxMessage: 4096 });
    expect(reader.push(server.sent[0]!)).toEqual([
      { type: TdsPacketType.PRELOGIN, payload: record(0x16, 3), status: 0, spid: 0 },
    ]);
    expect(server.sent[1]).toEqual(record(0x17, 2));
    const client = transport(false);
    client.t.feed(record(0x17, 1));
    await client.write(record(0x16, 1));
    expect(client.sent[0]![0]).toBe(TdsPacketType.PRELOGIN); // still wrapped: a client unwraps when its handshake is done
    client.t.unwrap();
    await client.write(record(0x17, 1));
    expect(client.sent[1]).toEqual(record(0x17, 1));
  });

  it('waits for a whole packet header before reading one', async () => {
    const { t, read } = transport(true);
    const wrapped = encodePackets(TdsPacketType.PRELOGIN, record(0x16, 4));
    t.feed(wrapped.subarray(0, 5)); // not yet a header
    t.feed(wrapped.subarray(5));
    await new Promise((r) => setImmediate(r));
    expect(Buffer.concat(read)).toEqual(Buffer.from(record(0x16, 4)));
  });

  it('fails a write whose bytes the connection cannot take, with that error', async () => {
    const t = new PreloginTlsTransport(
      () => {
        throw new Error('socket gone');
      },
      { server: true },
    );
    const failed = new Promise<Error | null | undefined>((r) => t.write(Buffer.from(record(0x16, 1)), r));
    expect((await failed)?.message).toBe('socket gone');
    expect(t.destroyed).toBe(true);
  });

  it('refuses another packet type and a packet past the bound during the handshake', () => {
    expect(
      refusal(() => transport(true).t.feed(encodePackets(TdsPacketType.LOGIN7, new Uint8Array(4)))),
    ).toBe('unexpected packet.Type');
    expect(refusal(() => transport(true).t.feed(Uint8Array.of(0x12, 1, 0x20, 0, 0, 0, 1, 0)))).toBe(
      'too-large packet.Length',
    );
  });
});

describe('packet type expectations and the TDS version answered', () => {
  it('refuses an unexpected packet type from its header, before its bytes arrive', () => {
    const reader = new PacketReader({ maxPacket: 32767, maxMessage: 1 << 20 });
    reader.expect([TdsPacketType.PRELOGIN]);
    // "GET / HTTP" read as a header claims 21536 bytes; the type alone gives it away.
    expect(refusal(() => reader.push(Uint8Array.from('GET / HT', (c) => c.charCodeAt(0))))).toBe(
      'unexpected packet.Type',
    );
  });

  it("answers the client's TDS version up to 7.4", () => {
    expect(negotiateTdsVersion(TdsVersion.V7_4)).toBe(TdsVersion.V7_4);
    expect(negotiateTdsVersion(0x75000000)).toBe(TdsVersion.V7_4);
    expect(negotiateTdsVersion(TdsVersion.V8_0)).toBe(TdsVersion.V7_4);
    expect(negotiateTdsVersion(TdsVersion.V7_3B)).toBe(TdsVersion.V7_3B);
    expect(negotiateTdsVersion(TdsVersion.V7_2)).toBe(TdsVersion.V7_2);
    expect(negotiateTdsVersion(TdsVersion.V7_1)).toBe(TdsVersion.V7_1);
    expect(negotiateTdsVersion(TdsVersion.V7_1_REV0)).toBe(TdsVersion.V7_1_REV0);
    expect(negotiateTdsVersion(0x07010000)).toBe(TdsVersion.V7_1);
  });

  it("sends each of the server's handshake flights as one PRELOGIN message, however long", async () => {
    // A client that reads one message per handshake step (Impacket's do_handshake) fails on a flight
    // split over several messages. A long certificate makes node:tls hand a flight over in pieces.
    const ca = await createSelfSignedCa({ commonName: 'flight test CA' });
    const dnsNames = Array.from({ length: 700 }, (_, i) => `host-${i}.a-rather-long-subdomain.example.test`);
    const cert = await issueServerCertificate(ca, { dnsNames });
    expect(cert.certPem.length).toBeGreaterThan(30_000);
    // The two transports deliver to each other on the next turn, as sockets would.
    const serverMessages: number[] = [];
    const reader = new PacketReader({ maxPacket: 4096, maxMessage: 1 << 20 });
    let toClient: (b: Uint8Array) => void = () => {};
    let toServer: (b: Uint8Array) => void = () => {};
    const server = new PreloginTlsTransport(
      (b) => {
        if (b[0] === TdsPacketType.PRELOGIN)
          for (const m of reader.push(b)) serverMessages.push(m.payload.length);
        setImmediate(() => toClient(b));
      },
      { server: true, maxPacket: 4096 },
    );
    const client = new PreloginTlsTransport((b) => setImmediate(() => toServer(b)), {
      server: false,
      maxPacket: 4096,
    });
    toClient = (b) => client.feed(b);
    toServer = (b) => server.feed(b);
    const serverTls = new TLSSocket(server as unknown as Socket, {
      isServer: true,
      secureContext: createSecureContext({ cert: cert.certPem, key: cert.keyPem, maxVersion: 'TLSv1.2' }),
    });
    const clientTls = tlsConnect({ socket: client as unknown as Socket, rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => {
      clientTls.once('secureConnect', () => resolve());
      clientTls.once('error', reject);
      serverTls.once('error', reject);
    });
    clientTls.destroy();
    serverTls.destroy();
    // TLS 1.2, full handshake: the server's first flight (ServerHello to ServerHelloDone) and its
    // last (ChangeCipherSpec, Finished), one message each.
    expect(serverMessages).toHaveLength(2);
    expect(serverMessages[0]!).toBeGreaterThan(30_000);
  });
});
