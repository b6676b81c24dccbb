import { createSocket, Socket } from 'node:dgram';
import { ErrorCode, isKerberosError, ManualClock } from '@krbsim/core';
import {
  type KdcHandler,
  type KdcServer,
  serveKdc,
  Trace,
  type TransportKind,
  tcpExchange,
  transportKrbError,
  UdpTcpTransport,
  udpExchange,
} from '@krbsim/transport';
import { afterEach, describe, expect, it } from 'vitest';
import { asReq, hex } from './der';
import { closedTcpPort, closedUdpPort } from './net-helpers';

const servers: KdcServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** A KDC stub that records which transport each request came over. */
async function stubKdc(replySize = 10): Promise<{ server: KdcServer; seen: TransportKind[] }> {
  const seen: TransportKind[] = [];
  const handler: KdcHandler = (_req, info) => {
    seen.push(info.transport);
    const reply = new Uint8Array(replySize).fill(7);
    reply[0] = 0x6b;
    return reply;
  };
  const server = await serveKdc(handler, { clock: new ManualClock() });
  servers.push(server);
  return { server, seen };
}

const realm = 'CONTOSO.COM';

describe('UdpTcpTransport', () => {
  it('uses UDP for small requests', async () => {
    const { server, seen } = await stubKdc();
    const t = new UdpTcpTransport({ kdcs: { [realm]: [{ host: '127.0.0.1', port: server.udpPort! }] } });
    const reply = await t.send(realm, asReq('alice', realm));
    expect(reply).toHaveLength(10);
    expect(seen).toEqual(['udp']);
  });

  it('retries over TCP when the KDC answers KRB_ERR_RESPONSE_TOO_BIG, and gets the full reply', async () => {
    const { server, seen } = await stubKdc(5000);
    const trace = new Trace();
    const lines: string[] = [];
    const t = new UdpTcpTransport({
      kdcs: { [realm]: [{ host: '127.0.0.1', port: server.udpPort! }] },
      trace,
      from: 'alice@CONTOSO.COM',
      log: (l) => lines.push(l),
    });
    const reply = await t.send(realm, asReq('alice', realm), { label: 'cname=alice' });
    expect(reply).toHaveLength(5000);
    expect(reply[0]).toBe(0x6b);
    expect(seen).toEqual(['udp', 'tcp']);
    expect(trace.toText().trimEnd().split('\n')).toEqual([
      expect.stringMatching(/^#1 alice@CONTOSO.COM -> KDC CONTOSO.COM \[udp\] AS-REQ \d+ bytes cname=alice$/),
      expect.stringMatching(
        /^#1 KDC CONTOSO.COM -> alice@CONTOSO.COM \[udp\] KRB-ERROR KRB_ERR_RESPONSE_TOO_BIG \d+ bytes$/,
      ),
      expect.stringMatching(/^#2 alice@CONTOSO.COM -> KDC CONTOSO.COM \[tcp\] AS-REQ \d+ bytes cname=alice$/),
      '#2 KDC CONTOSO.COM -> alice@CONTOSO.COM [tcp] AS-REP 5000 bytes',
    ]);
    expect(lines[0]).toMatch(/answered KRB_ERR_RESPONSE_TOO_BIG; retrying over TCP$/);
    expect(lines[1]).toMatch(/\(RESPONSE_TOO_BIG\) \d+ bytes -> 5000 bytes$/);
  });

  it('tries TCP once a KDC: a RESPONSE_TOO_BIG retry that fails is not made again (RFC 4120 section 7.2.1)', async () => {
    const server = await serveKdc(() => new Uint8Array(5000).fill(0x6b, 0, 1), {
      clock: new ManualClock(),
      tcpPort: false,
    });
    servers.push(server);
    const lines: string[] = [];
    const t = new UdpTcpTransport({
      kdcs: { [realm]: [{ host: '127.0.0.1', udpPort: server.udpPort!, tcpPort: await closedTcpPort() }] },
      log: (l) => lines.push(l),
    });
    const e = await t.send(realm, asReq('alice', realm)).catch((x: unknown) => x);
    expect(isKerberosError(e, ErrorCode.KDC_ERR_SVC_UNAVAILABLE)).toBe(true);
    expect(lines.filter((l) => l.includes('ECONNREFUSED'))).toHaveLength(1);
  });

  it('goes straight to TCP for requests above udp_preference_limit, or when TCP is preferred', async () => {
    const { server, seen } = await stubKdc();
    const kdcs = { [realm]: [{ host: '127.0.0.1', port: server.tcpPort! }] };
    await new UdpTcpTransport({ kdcs, udpPreferenceLimit: 100 }).send(realm, asReq('alice', realm, 60));
    await new UdpTcpTransport({ kdcs }).send(realm, asReq('alice', realm, 600));
    await new UdpTcpTransport({ kdcs, preferTcp: true }).send(realm, asReq('alice', realm));
    expect(seen).toEqual(['tcp', 'tcp', 'tcp']);
  });

  it('honours separate UDP and TCP ports', async () => {
    const { server, seen } = await stubKdc(3000);
    const t = new UdpTcpTransport({
      kdcs: { [realm]: [{ host: '127.0.0.1', udpPort: server.udpPort!, tcpPort: server.tcpPort! }] },
    });
    expect(await t.send(realm, asReq('a', realm))).toHaveLength(3000);
    expect(seen).toEqual(['udp', 'tcp']);
  });

  it('moves on to the next KDC when one refuses', async () => {
    const { server, seen } = await stubKdc();
    const deadTcp = await closedTcpPort();
    const deadUdp = await closedUdpPort();
    const lines: string[] = [];
    const tcp = new UdpTcpTransport({
      kdcs: {
        [realm]: [
          { host: '127.0.0.1', port: deadTcp },
          { host: '127.0.0.1', port: server.tcpPort! },
        ],
      },
      preferTcp: true,
      log: (l) => lines.push(l),
    });
    expect(await tcp.send(realm, asReq('a', realm))).toHaveLength(10);
    expect(lines[0]).toMatch(/ECONNREFUSED/);
    // Connected UDP sockets see the ICMP port-unreachable as ECONNREFUSED (Linux),
    // so this does not wait for the timeout.
    const udp = new UdpTcpTransport({
      kdcs: {
        [realm]: [
          { host: '127.0.0.1', port: deadUdp },
          { host: '127.0.0.1', port: server.udpPort! },
        ],
      },
      timeoutMs: 30_000,
    });
    expect(await udp.send(realm, asReq('a', realm))).toHaveLength(10);
    expect(seen).toEqual(['tcp', 'udp']);
  });

  it("reaches a KDC that serves TCP only over TCP, once UDP gets no answer (as MIT's kinit does)", async () => {
    const seen: TransportKind[] = [];
    const server = await serveKdc(
      (_req, info) => {
        seen.push(info.transport);
        return Uint8Array.of(0x6b, 1, 2);
      },
      { clock: new ManualClock(), udpPort: false },
    );
    servers.push(server);
    const lines: string[] = [];
    const t = new UdpTcpTransport({
      kdcs: { [realm]: [{ host: '127.0.0.1', port: server.tcpPort! }] },
      timeoutMs: 30_000, // the refused datagram (ICMP port unreachable) ends the UDP attempt at once
      log: (l) => lines.push(l),
    });
    expect(await t.send(realm, asReq('alice', realm))).toEqual(Uint8Array.of(0x6b, 1, 2));
    expect(seen).toEqual(['tcp']);
    expect(lines[0]).toMatch(/^CONTOSO\.COM udp 127\.0\.0\.1: .*ECONNREFUSED/);
    expect(lines[1]).toMatch(/tcp 127\.0\.0\.1:\d+ \(no answer over UDP\)/);
  });

  it('moves on to the next KDC when one answers KDC_ERR_SVC_UNAVAILABLE, as MIT does', async () => {
    const unavailable = await serveKdc(
      (req) => transportKrbError({ errorCode: ErrorCode.KDC_ERR_SVC_UNAVAILABLE, now: 0, request: req }),
      { clock: new ManualClock() },
    );
    servers.push(unavailable);
    const { server, seen } = await stubKdc();
    const t = new UdpTcpTransport({
      kdcs: {
        [realm]: [
          { host: '127.0.0.1', port: unavailable.udpPort! },
          { host: '127.0.0.1', port: server.udpPort! },
        ],
      },
    });
    expect(await t.send(realm, asReq('a', realm))).toHaveLength(10);
    expect(seen).toEqual(['udp']);
    // With no other KDC, the realm is unreachable, saying why.
    const alone = new UdpTcpTransport({
      kdcs: { [realm]: [{ host: '127.0.0.1', port: unavailable.udpPort! }] },
    });
    const e = await alone.send(realm, asReq('a', realm)).catch((x: unknown) => x);
    expect(isKerberosError(e, ErrorCode.KDC_ERR_SVC_UNAVAILABLE)).toBe(true);
    expect((e as Error).message).toMatch(/answered KDC_ERR_SVC_UNAVAILABLE/);
  });

  it('reports a realm with no KDCs, and a realm whose KDCs all fail, as KDC_ERR_SVC_UNAVAILABLE', async () => {
    const trace = new Trace();
    const deadTcp = await closedTcpPort();
    const t = new UdpTcpTransport({
      kdcs: { [realm]: [{ host: '127.0.0.1', port: deadTcp }], 'EMPTY.COM': [] },
      preferTcp: true,
      trace,
    });
    const unknown = await t.send('FABRIKAM.COM', asReq('a', 'FABRIKAM.COM')).catch((e: unknown) => e);
    expect(isKerberosError(unknown, ErrorCode.KDC_ERR_SVC_UNAVAILABLE)).toBe(true);
    expect((unknown as Error).message).toBe('cannot find KDC for realm FABRIKAM.COM');
    await expect(t.send('EMPTY.COM', asReq('a', 'EMPTY.COM'))).rejects.toThrow(
      'cannot find KDC for realm EMPTY.COM',
    );
    const down = await t.send(realm, asReq('a', realm)).catch((e: unknown) => e);
    expect(isKerberosError(down, ErrorCode.KDC_ERR_SVC_UNAVAILABLE)).toBe(true);
    expect((down as Error).message).toMatch(
      /^cannot contact any KDC for realm CONTOSO.COM: TCP 127\.0\.0\.1:\d+: .*ECONNREFUSED/,
    );
    expect(trace.entries.map((e) => [e.to, e.transport, e.error?.slice(0, 30)])).toEqual([
      ['KDC FABRIKAM.COM', 'tcp', 'cannot find KDC for realm FABR'],
      ['KDC EMPTY.COM', 'tcp', 'cannot find KDC for realm EMPT'],
      ['KDC CONTOSO.COM', 'tcp', 'cannot contact any KDC for rea'],
    ]);
  });

  it('refuses a TCP reply above maxReplyBytes', async () => {
    const { server } = await stubKdc(5000);
    const t = new UdpTcpTransport({
      kdcs: { [realm]: [{ host: '127.0.0.1', port: server.tcpPort! }] },
      preferTcp: true,
      maxReplyBytes: 4096,
    });
    await expect(t.send(realm, asReq('a', realm))).rejects.toThrow(
      /reply of 5000 bytes exceeds the 4096-byte limit/,
    );
  });

  it('carries the exact bytes both ways', async () => {
    let got: Uint8Array | undefined;
    const server = await serveKdc((req) => {
      got = req;
      return Uint8Array.from([0x7e, ...req.subarray(0, 3)]);
    });
    servers.push(server);
    const req = asReq('alice', realm);
    const t = new UdpTcpTransport({ kdcs: { [realm]: [{ host: '127.0.0.1', port: server.udpPort! }] } });
    expect(hex(await t.send(realm, req))).toBe(`7e${hex(req.subarray(0, 3))}`);
    expect(hex(got!)).toBe(hex(req));
  });
});

describe('UdpTcpTransport: what a client must not take or do', () => {
  it('takes a UDP answer only from the KDC, after the request went: a datagram from elsewhere is dropped', async () => {
    // node binds a client socket before it connects it: a datagram from anyone may come in between.
    // Here another socket sends one the moment the client's socket listens, before the request goes.
    const kdc = createSocket('udp4');
    const other = createSocket('udp4');
    await Promise.all([
      new Promise<void>((r) => kdc.bind(0, '127.0.0.1', r)),
      new Promise<void>((r) => other.bind(0, '127.0.0.1', r)),
    ]);
    let requests = 0;
    kdc.on('message', (_msg, from) => {
      requests++;
      kdc.send(Uint8Array.of(0x6b, 0x01), from.port, from.address);
    });
    const connect = Socket.prototype.connect;
    Socket.prototype.connect = function (this: Socket, ...args: unknown[]) {
      if (this !== kdc && this !== other) {
        this.once('listening', () => other.send(Uint8Array.of(0x6b, 0x66), this.address().port, '127.0.0.1'));
      }
      return (connect as (...a: unknown[]) => void).apply(this, args);
    } as typeof connect;
    try {
      for (const host of ['127.0.0.1', 'localhost']) {
        const reply = await udpExchange(host, kdc.address().port, asReq('a', realm), {
          timeoutMs: 3000,
          maxReplyBytes: 1 << 20,
        });
        expect(hex(reply), host).toBe('6b01');
      }
      expect(requests).toBe(2);
    } finally {
      Socket.prototype.connect = connect;
      kdc.close();
      other.close();
    }
  });

  it('looks a realm up among its own entries only: `constructor` is a realm with no KDCs', async () => {
    const t = new UdpTcpTransport({ kdcs: {} });
    for (const name of ['constructor', '__proto__', 'hasOwnProperty']) {
      const e = await t.send(name, asReq('a', realm)).catch((x: unknown) => x);
      expect(isKerberosError(e, ErrorCode.KDC_ERR_SVC_UNAVAILABLE), name).toBe(true);
      expect((e as Error).message).toBe(`cannot find KDC for realm ${name}`);
    }
  });

  it('answers whatever its log sink does, and escapes control characters in its lines', async () => {
    const { server } = await stubKdc();
    const kdcs = { [realm]: [{ host: '127.0.0.1', port: server.udpPort! }] };
    const throwing = new UdpTcpTransport({
      kdcs,
      log: () => {
        throw new Error('disk full');
      },
    });
    expect((await throwing.send(realm, asReq('a', realm)))[0]).toBe(0x6b);
    // A realm named with a line break, served: its log line is one line, the break escaped.
    const lines: string[] = [];
    const forged = 'A\nB.TEST udp 127.0.0.1:1 forged';
    const t = new UdpTcpTransport({ kdcs: { [forged]: kdcs[realm] }, log: (l) => lines.push(l) });
    expect((await t.send(forged, asReq('a', realm)))[0]).toBe(0x6b);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^A\\nB\.TEST udp 127\.0\.0\.1:1 forged udp 127\.0\.0\.1:\d+ /);
  });

  it('refuses options out of range when made, as serveKdc does: no timer that fires at once, no limit that is none', () => {
    const kdcs = { [realm]: [{ host: '127.0.0.1', port: 88 }] };
    for (const bad of [
      { timeoutMs: Number.POSITIVE_INFINITY },
      { timeoutMs: 2 ** 31 },
      { timeoutMs: 0 },
      { maxReplyBytes: Number.NaN },
      { udpPreferenceLimit: -1 },
    ]) {
      expect(() => new UdpTcpTransport({ kdcs, ...bad }), JSON.stringify(bad)).toThrow(RangeError);
    }
    expect(() => new UdpTcpTransport({ kdcs: { [realm]: [{ host: '127.0.0.1', port: 70000 }] } })).toThrow(
      /UdpTcpTransport: kdcs\["CONTOSO.COM"\]\.port must be an integer from 1 to 65535, got 70000/,
    );
    expect(() =>
      udpExchange('127.0.0.1', 70000, asReq('a', realm), { timeoutMs: 3000, maxReplyBytes: 1 }),
    ).toThrow(RangeError);
    expect(() =>
      tcpExchange('127.0.0.1', 88, asReq('a', realm), { timeoutMs: 3000, maxReplyBytes: Number.NaN }),
    ).toThrow(RangeError);
  });
});
