import { ErrorCode, ManualClock } from '@krbsim/core';
import {
  frameTcp,
  type KdcHandler,
  type KdcRequestInfo,
  type KdcServer,
  peekKrbErrorCode,
  peekRequestTarget,
  serveKdc,
} from '@krbsim/transport';
import { afterEach, describe, expect, it } from 'vitest';
import { asReq, hex } from './der';
import { until } from './manual-timers';
import { closedTcpPort, RawTcp, udpRoundTrip } from './net-helpers';

/** Echo-like stub: AS-REP tag, then the request bytes. */
const echo: KdcHandler = (req) => Uint8Array.from([0x6b, ...req]);

const servers: KdcServer[] = [];
const conns: RawTcp[] = [];
async function start(handler: KdcHandler, options: Parameters<typeof serveKdc>[1] = {}): Promise<KdcServer> {
  const s = await serveKdc(handler, { clock: new ManualClock(Date.UTC(2026, 0, 1)), ...options });
  servers.push(s);
  return s;
}
async function open(port: number): Promise<RawTcp> {
  const c = await RawTcp.open(port);
  conns.push(c);
  return c;
}
afterEach(async () => {
  await Promise.all(conns.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('serveKdc over UDP (RFC 4120 section 7.2.1)', () => {
  it('answers one datagram with one datagram, on the same port as TCP by default', async () => {
    const seen: KdcRequestInfo[] = [];
    const server = await start((req, info) => {
      seen.push(info);
      return echo(req, info);
    });
    expect(server.udpPort).toBe(server.tcpPort);
    const req = asReq('alice', 'CONTOSO.COM');
    const reply = await udpRoundTrip(server.udpPort!, req);
    expect(hex(reply)).toBe(`6b${hex(req)}`);
    expect(seen[0]!.transport).toBe('udp');
    expect(seen[0]!.peer).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it('replaces a reply larger than udpMaxReply with KRB_ERR_RESPONSE_TOO_BIG naming the request realm', async () => {
    const lines: string[] = [];
    const server = await start(() => new Uint8Array(2000).fill(0x6b, 0, 1), { log: (l) => lines.push(l) });
    const reply = await udpRoundTrip(server.udpPort!, asReq('alice', 'CONTOSO.COM'));
    expect(peekKrbErrorCode(reply)).toBe(ErrorCode.KRB_ERR_RESPONSE_TOO_BIG);
    expect(hex(reply)).toContain(Buffer.from('CONTOSO.COM').toString('hex'));
    expect(lines).toEqual([
      expect.stringMatching(
        /^udp 127\.0\.0\.1:\d+ AS-REQ \d+ bytes -> AS-REP 2000 bytes too big for UDP: KRB-ERROR KRB_ERR_RESPONSE_TOO_BIG$/,
      ),
    ]);
  });

  it('honours udpMaxReply and a caller-built too-big reply', async () => {
    const server = await start(() => new Uint8Array(101), {
      udpMaxReply: 100,
      tooBig: () => Uint8Array.from([0x7e, 0]),
    });
    expect(hex(await udpRoundTrip(server.udpPort!, asReq('a', 'R')))).toBe('7e00');
    const fits = await start(() => new Uint8Array(100), { udpMaxReply: 100 });
    expect(await udpRoundTrip(fits.udpPort!, asReq('a', 'R'))).toHaveLength(100);
  });

  it('turns a handler exception into KRB_ERR_GENERIC and one log line, and keeps serving', async () => {
    const lines: string[] = [];
    const server = await start(
      (req) => {
        if (peekRequestTarget(req)?.realm === 'BOOM') throw new Error('kdb unavailable');
        return Uint8Array.from([0x6b, 0]);
      },
      { log: (l) => lines.push(l) },
    );
    const err = await udpRoundTrip(server.udpPort!, asReq('alice', 'BOOM'));
    expect(peekKrbErrorCode(err)).toBe(ErrorCode.KRB_ERR_GENERIC);
    expect(hex(await udpRoundTrip(server.udpPort!, asReq('alice', 'FINE')))).toBe('6b00');
    expect(lines[0]).toMatch(
      /AS-REQ \d+ bytes -> handler failed \(kdb unavailable\); replying KRB_ERR_GENERIC$/,
    );
    expect(lines[1]).toMatch(/AS-REP 2 bytes$/);
  });
});

describe('serveKdc: a handler that throws', () => {
  it('costs one log line and one KRB_ERR_GENERIC, over UDP and TCP, whatever it throws', async () => {
    // Values with no string form: String() throws on them. Describing one once threw in the catch,
    // an unhandled rejection that ended the process.
    const noText = Object.create(null) as object;
    const badMessage = new Error();
    Object.defineProperty(badMessage, 'message', {
      get() {
        throw new Error('no message either');
      },
    });
    const lines: string[] = [];
    const server = await start(
      (req) => {
        const realm = peekRequestTarget(req)?.realm;
        if (realm === 'NOTEXT') throw noText;
        if (realm === 'BADMESSAGE') throw badMessage;
        return Uint8Array.from([0x6b, 0]);
      },
      { log: (l) => lines.push(l) },
    );
    const c = await open(server.tcpPort!);
    for (const realm of ['NOTEXT', 'BADMESSAGE']) {
      const udp = await udpRoundTrip(server.udpPort!, asReq('alice', realm));
      expect(peekKrbErrorCode(udp)).toBe(ErrorCode.KRB_ERR_GENERIC);
      c.write(frameTcp(asReq('alice', realm)));
    }
    const tcp = await c.waitRecords(2);
    expect(tcp.map(peekKrbErrorCode)).toEqual([ErrorCode.KRB_ERR_GENERIC, ErrorCode.KRB_ERR_GENERIC]);
    // And it keeps serving.
    expect(hex(await udpRoundTrip(server.udpPort!, asReq('alice', 'FINE')))).toBe('6b00');
    const failed = lines.filter((l) => l.includes('handler failed'));
    expect(failed).toHaveLength(4);
    for (const l of failed) {
      expect(l).toMatch(
        /^(udp|tcp) 127\.0\.0\.1:\d+ AS-REQ \d+ bytes -> handler failed \(object with no string form\); replying KRB_ERR_GENERIC$/,
      );
    }
  });
});

describe('serveKdc over TCP (RFC 4120 section 7.2.2)', () => {
  it('answers several requests on one connection, in order, even when sent in one write', async () => {
    const server = await start(async (req) => {
      // Finish out of order: later requests are answered faster.
      if (req[req.length - 1] === 1) await Promise.resolve();
      return echo(req, { transport: 'tcp' });
    });
    const c = await open(server.tcpPort!);
    const reqs = [1, 2, 3].map((n) => Uint8Array.from([0x6a, n]));
    c.write(Uint8Array.from(reqs.flatMap((r) => [...frameTcp(r)])));
    const replies = await c.waitRecords(3);
    expect(replies.map(hex)).toEqual(['6b6a01', '6b6a02', '6b6a03']);
  });

  it('reassembles a request sent one byte at a time', async () => {
    const server = await start(echo);
    const c = await open(server.tcpPort!);
    const framed = frameTcp(asReq('alice', 'R'));
    for (const b of framed) c.write(Uint8Array.of(b));
    const [reply] = await c.waitRecords(1);
    expect(hex(reply!)).toBe(`6b${hex(framed.subarray(4))}`);
  });

  it('rejects a length above maxRequestBytes at the prefix, without reading or allocating the body', async () => {
    const lines: string[] = [];
    const server = await start(echo, { maxRequestBytes: 1 << 20, log: (l) => lines.push(l) });
    const c = await open(server.tcpPort!);
    // Claim 2 GiB - 1 and send nothing more: the answer must come anyway.
    c.write(Uint8Array.from([0x7f, 0xff, 0xff, 0xff]));
    const [reply] = await c.waitRecords(1);
    await c.waitEnd();
    expect(peekKrbErrorCode(reply!)).toBe(ErrorCode.KRB_ERR_FIELD_TOOLONG);
    expect(lines).toEqual([
      expect.stringMatching(
        /length prefix 0x7fffffff \(2147483647 bytes\) exceeds the 1048576-byte limit; replying KRB_ERR_FIELD_TOOLONG and closing$/,
      ),
    ]);
  });

  it('rejects the reserved high bit with KRB_ERR_FIELD_TOOLONG and closes', async () => {
    const server = await start(echo);
    const c = await open(server.tcpPort!);
    c.write(Uint8Array.from([0x80, 0, 0, 4, 1, 2, 3, 4]));
    const [reply] = await c.waitRecords(1);
    await c.waitEnd();
    expect(peekKrbErrorCode(reply!)).toBe(ErrorCode.KRB_ERR_FIELD_TOOLONG);
    expect(c.records).toHaveLength(1);
  });

  it('answers requests that came before a bad prefix, then the error', async () => {
    const server = await start(echo, { maxRequestBytes: 10 });
    const c = await open(server.tcpPort!);
    c.write(Uint8Array.from([...frameTcp(Uint8Array.from([0x6a, 9])), 0, 0, 0, 11]));
    const replies = await c.waitRecords(2);
    await c.waitEnd();
    expect(hex(replies[0]!)).toBe('6b6a09');
    expect(peekKrbErrorCode(replies[1]!)).toBe(ErrorCode.KRB_ERR_FIELD_TOOLONG);
  });

  it('with onHandlerError "drop", sends nothing for a failed request', async () => {
    const lines: string[] = [];
    const server = await start(
      (req) => {
        if (req[1] === 0) throw new Error('nope');
        return echo(req, { transport: 'tcp' });
      },
      { onHandlerError: 'drop', log: (l) => lines.push(l) },
    );
    const c = await open(server.tcpPort!);
    c.write(
      Uint8Array.from([...frameTcp(Uint8Array.from([0x6a, 0])), ...frameTcp(Uint8Array.from([0x6a, 1]))]),
    );
    const [first] = await c.waitRecords(1);
    expect(hex(first!)).toBe('6b6a01'); // the failed request produced no record before it
    expect(lines[0]).toMatch(/handler failed \(nope\); no reply$/);
  });

  it('answers a client that half-closes after sending', async () => {
    const server = await start(async (req) => echo(req, { transport: 'tcp' }));
    const c = await open(server.tcpPort!);
    c.socket.end(frameTcp(Uint8Array.from([0x6a, 7])));
    const [reply] = await c.waitRecords(1);
    await c.waitEnd();
    expect(hex(reply!)).toBe('6b6a07');
  });

  it('answers every request that came before the half-close (FIN), past maxPipelined, in order, then closes', async () => {
    // 40 requests and a FIN in one write: more than maxPipelined (16) wait in the reader when the FIN comes.
    const lines: string[] = [];
    let calls = 0;
    const server = await start(
      (req) => {
        calls++;
        return echo(req, { transport: 'tcp' });
      },
      { udpPort: false, log: (l) => lines.push(l) },
    );
    const c = await open(server.tcpPort!);
    const reqs = Array.from({ length: 40 }, (_, i) => Uint8Array.of(0x6a, i));
    c.socket.end(Uint8Array.from(reqs.flatMap((r) => [...frameTcp(r)])));
    await c.waitEnd();
    await c.closed;
    expect(c.records.map(hex)).toEqual(reqs.map((r) => `6b${hex(r)}`));
    // Run as often as answered, and logged as often: no request handled whose reply was then dropped.
    expect(calls).toBe(40);
    expect(lines.filter((l) => / AS-REQ 2 bytes -> AS-REP 3 bytes$/.test(l))).toHaveLength(40);
    await until(() => server.stats().tcp!.open === 0, 'the server let the connection go');
    expect(server.stats().tcp).toMatchObject({ requests: 40, bytesHeld: 0 });
  });

  it('closes idle connections', async () => {
    const lines: string[] = [];
    const server = await start(echo, { idleTimeoutMs: 1, log: (l) => lines.push(l) });
    const c = await open(server.tcpPort!);
    await c.closed;
    expect(lines[0]).toMatch(/^tcp 127\.0\.0\.1:\d+ idle for 1 ms; closing$/);
  });

  it('survives a handler that returns no bytes', async () => {
    const server = await start(() => undefined as unknown as Uint8Array);
    const c = await open(server.tcpPort!);
    c.write(frameTcp(asReq('a', 'R')));
    const [reply] = await c.waitRecords(1);
    expect(peekKrbErrorCode(reply!)).toBe(ErrorCode.KRB_ERR_GENERIC);
  });
});

describe('serveKdc lifecycle', () => {
  it('serves only the transports asked for, on the ports asked for', async () => {
    const port = await closedTcpPort();
    const tcpOnly = await start(echo, { udpPort: false, tcpPort: port });
    expect(tcpOnly.udpPort).toBeUndefined();
    expect(tcpOnly.tcpPort).toBe(port);
    const udpOnly = await start(echo, { tcpPort: false });
    expect(udpOnly.tcpPort).toBeUndefined();
    const req = asReq('a', 'R');
    expect(await udpRoundTrip(udpOnly.udpPort!, req)).toHaveLength(req.length + 1);
  });

  it('fails to start on a port in use, leaving nothing open', async () => {
    const first = await start(echo);
    await expect(serveKdc(echo, { udpPort: false, tcpPort: first.tcpPort! })).rejects.toThrow(/EADDRINUSE/);
  });

  it('close() drops open connections, releases the ports, and is idempotent', async () => {
    // libuv finishes closing a handle in the close phase of a later loop turn: count after two turns.
    const listeners = async () => {
      for (let i = 0; i < 2; i++) await new Promise<void>((resolve) => setImmediate(resolve));
      return process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap' || r === 'UDPWrap').length;
    };
    const before = await listeners();
    const server = await serveKdc(echo);
    expect(await listeners()).toBe(before + 2);
    const c = await RawTcp.open(server.tcpPort!);
    await Promise.all([server.close(), server.close(), c.closed]);
    expect(await listeners()).toBe(before);
    await expect(RawTcp.open(server.tcpPort!)).rejects.toThrow(/ECONNREFUSED/);
  });
});
