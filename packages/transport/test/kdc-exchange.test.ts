import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { ErrorCode, isKerberosError, KerberosError, ManualClock } from '@krbsim/core';
import { type KdcServer, serveKdc, tcpExchange, udpExchange } from '@krbsim/transport';
import { afterEach, describe, expect, it } from 'vitest';
import { asReq } from './der';
import { closedTcpPort, closedUdpPort } from './net-helpers';

const limits = { timeoutMs: 30_000, maxReplyBytes: 4096 };
const request = asReq('alice', 'CONTOSO.COM');

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});

/** A KDC stub answering every request with `size` bytes. */
async function stubKdc(size: number): Promise<KdcServer> {
  const server = await serveKdc(() => new Uint8Array(size).fill(7).fill(0x6b, 0, 1), {
    clock: new ManualClock(),
  });
  closers.push(() => server.close());
  return server;
}

/** A raw TCP server that runs `onConnect` for each connection; resolves with its port. */
async function rawTcpServer(onConnect: (socket: Socket) => void): Promise<number> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {}); // the client may reset the connection
    onConnect(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(
    () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  );
  return (server.address() as AddressInfo).port;
}

/** The rejection of `p`, checked to be a KerberosError with `code`. */
async function kerberosFailure(p: Promise<unknown>, code: number): Promise<KerberosError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(isKerberosError(e, code), `expected a KerberosError ${code}, got ${String(e)}`).toBe(true);
  return e as KerberosError;
}

describe('udpExchange and tcpExchange', () => {
  it('carry one request and its reply over UDP and over TCP', async () => {
    const server = await stubKdc(10);
    for (const reply of [
      await udpExchange('127.0.0.1', server.udpPort!, request, limits),
      await tcpExchange('127.0.0.1', server.tcpPort!, request, limits),
    ]) {
      expect(reply).toEqual(new Uint8Array(10).fill(7).fill(0x6b, 0, 1));
    }
  });

  it('report a refused connection as KDC_ERR_SVC_UNAVAILABLE, with the socket error as its cause', async () => {
    const tcp = await kerberosFailure(
      tcpExchange('127.0.0.1', await closedTcpPort(), request, limits),
      ErrorCode.KDC_ERR_SVC_UNAVAILABLE,
    );
    expect(tcp.message).toMatch(/^TCP 127\.0\.0\.1:\d+: .*ECONNREFUSED/);
    expect((tcp.cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
    // A connected UDP socket sees the ICMP port-unreachable as ECONNREFUSED (Linux).
    const udp = await kerberosFailure(
      udpExchange('127.0.0.1', await closedUdpPort(), request, limits),
      ErrorCode.KDC_ERR_SVC_UNAVAILABLE,
    );
    expect(udp.message).toMatch(/^UDP 127\.0\.0\.1:\d+: .*ECONNREFUSED/);
  });

  it('report a KDC host that does not resolve as KDC_ERR_SVC_UNAVAILABLE over UDP too, never an uncaught error', async () => {
    // RFC 6761: .invalid never resolves. The UDP socket's connect fails in its callback; a send on the
    // unconnected socket used to throw where nothing caught it, ending the process.
    const host = 'no-such-kdc.invalid';
    const udp = await kerberosFailure(
      udpExchange(host, 88, request, limits),
      ErrorCode.KDC_ERR_SVC_UNAVAILABLE,
    );
    expect(udp.message).toContain(`UDP ${host}:88:`);
    expect(udp.cause).toBeInstanceOf(Error);
  });

  it('refuse a TCP reply above maxReplyBytes, or one whose length has the reserved bit, as KRB_ERR_FIELD_TOOLONG', async () => {
    const big = await stubKdc(5000);
    const tooLong = await kerberosFailure(
      tcpExchange('127.0.0.1', big.tcpPort!, request, limits),
      ErrorCode.KRB_ERR_FIELD_TOOLONG,
    );
    expect(tooLong.message).toMatch(/reply of 5000 bytes exceeds the 4096-byte limit$/);
    const reserved = await rawTcpServer((socket) => socket.end(Uint8Array.of(0x80, 0, 0, 4, 1, 2, 3, 4)));
    const bit = await kerberosFailure(
      tcpExchange('127.0.0.1', reserved, request, limits),
      ErrorCode.KRB_ERR_FIELD_TOOLONG,
    );
    expect(bit.message).toMatch(/reply length has the reserved high bit set$/);
  });

  it('report a TCP connection closed before a whole reply as KDC_ERR_SVC_UNAVAILABLE', async () => {
    // Half a record: a 10-byte length, then 3 bytes, then the end of the stream.
    const port = await rawTcpServer((socket) => socket.end(Uint8Array.of(0, 0, 0, 10, 1, 2, 3)));
    const e = await kerberosFailure(
      tcpExchange('127.0.0.1', port, request, limits),
      ErrorCode.KDC_ERR_SVC_UNAVAILABLE,
    );
    expect(e.message).toMatch(/^TCP 127\.0\.0\.1:\d+ closed the connection before replying$/);
  });

  it('give up on a KDC that never answers at the deadline, as KDC_ERR_SVC_UNAVAILABLE', async () => {
    // A bound socket that reads and never replies: the deadline is the only way out, whatever the
    // machine's speed (the test waits for the exchange's own timer, 20 ms).
    const silent: UdpSocket = createSocket('udp4');
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
    closers.push(() => new Promise((resolve) => silent.close(() => resolve())));
    const seen = new Promise<void>((resolve) => silent.once('message', () => resolve()));
    const e = await kerberosFailure(
      udpExchange('127.0.0.1', silent.address().port, request, { ...limits, timeoutMs: 20 }),
      ErrorCode.KDC_ERR_SVC_UNAVAILABLE,
    );
    await seen;
    expect(e.message).toMatch(/^no UDP reply from 127\.0\.0\.1:\d+ within 20 ms$/);
    expect(e).toBeInstanceOf(KerberosError);
  });
});
