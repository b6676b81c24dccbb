/**
 * What a TCP peer can make serveKdc hold, and that well-behaved clients are
 * answered while others hit the limits. Deadlines run on ManualTimers: time
 * moves only when a test says so.
 */

import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { ManualClock } from '@krbsim/core';
import { frameTcp, type KdcHandler, type KdcServer, type ServeKdcOptions, serveKdc } from '@krbsim/transport';
import { afterEach, describe, expect, it } from 'vitest';
import { asReq, hex } from './der';
import { ManualTimers, turns, until } from './manual-timers';
import { RawTcp, UdpPeer } from './net-helpers';

/** Echo-like stub: AS-REP tag, then the request bytes. */
const echo: KdcHandler = (req) => Uint8Array.from([0x6b, ...req]);

const servers: KdcServer[] = [];
const conns: RawTcp[] = [];
afterEach(async () => {
  await Promise.all(conns.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(
  options: ServeKdcOptions = {},
  handler: KdcHandler = echo,
): Promise<{ server: KdcServer; timers: ManualTimers; log: string[] }> {
  const timers = new ManualTimers();
  const log: string[] = [];
  const server = await serveKdc(handler, {
    clock: new ManualClock(Date.UTC(2026, 0, 1)),
    udpPort: false,
    timers,
    log: (l) => log.push(l),
    ...options,
  });
  servers.push(server);
  return { server, timers, log };
}

async function open(server: KdcServer, localAddress?: string): Promise<RawTcp> {
  const c = await RawTcp.open(server.tcpPort!, '127.0.0.1', localAddress);
  conns.push(c);
  return c;
}

const tcp = (s: KdcServer) => s.stats().tcp!;

/** A good client: one request on a connection of its own, its reply back. */
async function goodExchange(server: KdcServer, localAddress?: string): Promise<string> {
  const c = await open(server, localAddress);
  c.write(frameTcp(Uint8Array.of(0x6a, 0x42)));
  const [reply] = await c.waitRecords(1);
  return hex(reply!);
}

describe('serveKdc TCP: time', () => {
  it('closes a connection whose request trickles in, though every byte beats the idle timeout', async () => {
    const { server, timers, log } = await start({ idleTimeoutMs: 10_000, requestTimeoutMs: 25_000 });
    const slow = await open(server);
    await until(() => tcp(server).open === 1, 'the server accepted');
    // A length prefix, one byte every 9 s: each byte resets the idle clock, never the request's.
    for (let i = 1; i <= 3; i++) {
      slow.write(Uint8Array.of(0));
      await until(() => tcp(server).bytesHeld === i, `byte ${i} arrived`);
      if (i < 3) timers.advance(9_000);
    }
    // t = 18 s. Meanwhile a good client is served.
    expect(await goodExchange(server)).toBe('6b6a42');
    timers.advance(6_999);
    expect(tcp(server).closed.slow).toBe(0);
    timers.advance(1); // t = 25 s: 25 s after the first byte
    await slow.closed;
    expect(tcp(server).closed).toMatchObject({ slow: 1, idle: 0 });
    expect(tcp(server).bytesHeld).toBe(0);
    expect(log).toContainEqual(
      expect.stringMatching(
        /^tcp 127\.0\.0\.1:\d+ request not complete after 25000 ms \(3 bytes so far\); closing$/,
      ),
    );
  });

  it('closes an idle connection at idleTimeoutMs, but not while its request is in the handler', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    // The handler's own deadline (handlerTimeoutMs) past the idle one: this is about idleness.
    const { server, timers, log } = await start(
      { idleTimeoutMs: 30_000, handlerTimeoutMs: 90_000 },
      async (req) => {
        if (req[1] === 1) await held;
        return echo(req, { transport: 'tcp' });
      },
    );
    const busy = await open(server);
    const idle = await open(server);
    busy.write(frameTcp(Uint8Array.of(0x6a, 1)));
    await until(() => tcp(server).requests === 1, 'the request was read');
    timers.advance(30_000);
    await idle.closed;
    expect(busy.isClosed).toBe(false);
    release();
    expect(hex((await busy.waitRecords(1))[0]!)).toBe('6b6a01');
    timers.advance(30_000);
    await busy.closed;
    expect(tcp(server).closed.idle).toBe(2);
    expect(log.filter((l) => /idle for 30000 ms; closing$/.test(l))).toHaveLength(2);
  });
});

describe('serveKdc: the handler has handlerTimeoutMs to answer', () => {
  /** An AS-REQ (UDP admits no less) the handler below stalls on. */
  const stalledAsReq = asReq('slow', 'STALL.TEST');

  /** A handler that answers `0x6a 0x01` (over TCP) and {@link stalledAsReq} only when released; others at once. */
  function stalling(): { handler: KdcHandler; release: () => void } {
    const waiting: (() => void)[] = [];
    return {
      handler: (req, info) =>
        req[1] === 1 || hex(req) === hex(stalledAsReq)
          ? new Promise<Uint8Array>((resolve) => waiting.push(() => resolve(echo(req, info))))
          : echo(req, info),
      release: () => {
        for (const f of waiting.splice(0)) f();
      },
    };
  }

  it('TCP: closes the connection of a request not answered in time, sends no KRB-ERROR, drops the late answer', async () => {
    const { handler, release } = stalling();
    const { server, timers, log } = await start({ handlerTimeoutMs: 5_000 }, handler);
    const stuck = await open(server);
    stuck.write(frameTcp(Uint8Array.of(0x6a, 1)));
    await until(() => tcp(server).requests === 1, 'the request was read');
    timers.advance(4_999);
    expect(await goodExchange(server)).toBe('6b6a42');
    expect(stuck.isClosed).toBe(false);
    timers.advance(1);
    await until(() => stuck.isClosed, 'closed at the deadline');
    // Closed, as a KDC that does not answer: the client tries the realm's next KDC (a KRB-ERROR would be final).
    expect(stuck.records).toEqual([]);
    expect(tcp(server).closed.handlerTimeout).toBe(1);
    expect(log).toContainEqual(
      expect.stringMatching(
        /^tcp 127\.0\.0\.1:\d+ AS-REQ 2 bytes: no answer from the handler within 5000 ms; closing$/,
      ),
    );
    release();
    await until(
      () => log.some((l) => l.endsWith('-> answered after 5000 ms (handlerTimeoutMs): dropped')),
      'the late answer',
    );
    expect(tcp(server)).toMatchObject({ open: 1, bytesHeld: 0 });
  });

  it('TCP: a handler that never settles pins a connection at maxConnections no longer than handlerTimeoutMs', async () => {
    const { handler } = stalling();
    const { server, timers } = await start({ maxConnections: 1, handlerTimeoutMs: 5_000 }, handler);
    const stuck = await open(server);
    stuck.write(frameTcp(Uint8Array.of(0x6a, 1)));
    await until(() => tcp(server).requests === 1, 'the request was read');
    // Its request in the handler: it is not evicted, and a newcomer is refused.
    const refused = await open(server);
    await refused.closed;
    expect(tcp(server).refused.full).toBe(1);
    timers.advance(5_000);
    await until(() => stuck.isClosed, 'closed at the deadline');
    expect(await goodExchange(server)).toBe('6b6a42');
  });

  it('UDP: drops a request not answered in time, and its late answer; one timer for all requests', async () => {
    const { handler, release } = stalling();
    const { server, timers, log } = await start(
      { udpPort: 0, tcpPort: false, handlerTimeoutMs: 5_000 },
      handler,
    );
    const peer = await UdpPeer.open();
    try {
      await peer.send(server.udpPort!, stalledAsReq);
      await until(() => server.stats().udp!.inFlight === 1, 'the request is in the handler');
      timers.advance(2_000);
      await peer.send(server.udpPort!, stalledAsReq);
      await until(() => server.stats().udp!.inFlight === 2, 'a second one, 2 s later');
      expect(timers.scheduled).toBe(1);
      timers.advance(3_000); // the first's deadline
      expect(server.stats().udp).toMatchObject({ inFlight: 1, dropped: { timeout: 1 } });
      timers.advance(2_000); // the second's
      expect(server.stats().udp).toMatchObject({ inFlight: 0, peakInFlight: 2, dropped: { timeout: 2 } });
      expect(timers.scheduled).toBe(0);
      release();
      await until(
        () => log.filter((l) => l.endsWith('(handlerTimeoutMs): dropped')).length === 2,
        'the late answers',
      );
      // Nothing came back for them; a good request is answered.
      const good = asReq('alice', 'CONTOSO.COM');
      await peer.send(server.udpPort!, good);
      const reply = await peer.waitFor(() => true);
      expect(reply.bytes).toEqual(Uint8Array.from([0x6b, ...good]));
      expect(peer.received).toHaveLength(1);
      expect(
        log.filter((l) => / -> dropped \(no answer from the handler within 5000 ms\)$/.test(l)),
      ).toHaveLength(2);
    } finally {
      await peer.close();
    }
  });

  it('UDP: drops requests past udpMaxInFlight, counted; serves again as the handler answers', async () => {
    const { handler, release } = stalling();
    const { server, log } = await start({ udpPort: 0, tcpPort: false, udpMaxInFlight: 2 }, handler);
    const peer = await UdpPeer.open();
    try {
      for (let i = 0; i < 3; i++) await peer.send(server.udpPort!, stalledAsReq);
      await until(() => server.stats().udp!.received === 3, 'three datagrams');
      expect(server.stats().udp).toMatchObject({ inFlight: 2, dropped: { busy: 1 } });
      expect(log).toContainEqual(
        expect.stringMatching(
          /^udp 127\.0\.0\.1:\d+ AS-REQ \d+ bytes -> dropped \(2 requests in the handler already: udpMaxInFlight\)$/,
        ),
      );
      release();
      await until(() => peer.received.length === 2, 'the two in the handler answered');
      expect(server.stats().udp).toMatchObject({ inFlight: 0, replied: 2 });
      await peer.send(server.udpPort!, stalledAsReq);
      await until(() => server.stats().udp!.inFlight === 1, 'room again');
      release();
      await until(() => peer.received.length === 3, 'answered');
    } finally {
      await peer.close();
    }
  });

  it('rejects a handlerTimeoutMs or udpMaxInFlight that is not an integer in range', async () => {
    await expect(serveKdc(echo, { handlerTimeoutMs: -1 })).rejects.toThrow(
      /^serveKdc: handlerTimeoutMs must be an integer from 0 to 2147483647, got -1$/,
    );
    await expect(serveKdc(echo, { udpMaxInFlight: 0 })).rejects.toThrow(
      /^serveKdc: udpMaxInFlight must be an integer >= 1, got 0$/,
    );
    // Past 2^31-1 ms a timer fires at once: a timeout that long would end every request at once.
    for (const name of ['handlerTimeoutMs', 'idleTimeoutMs', 'requestTimeoutMs'] as const) {
      await expect(serveKdc(echo, { [name]: 2 ** 31 })).rejects.toThrow(
        `serveKdc: ${name} must be an integer from 0 to 2147483647, got 2147483648`,
      );
    }
  });
});

describe('serveKdc TCP: connections', () => {
  it('gives a refused connection back when its peer closes, though unread bytes followed the bad prefix', async () => {
    const { server } = await start();
    const c = await open(server);
    await until(() => tcp(server).open === 1, 'the server accepted');
    // A length prefix far past the limit, then 200,000 bytes of the "request", in one write.
    const junk = new Uint8Array(4 + 200_000);
    junk.set([0x7f, 0xff, 0xff, 0xff]);
    c.write(junk);
    const [reply] = await c.waitRecords(1);
    expect(reply![0]).toBe(0x7e); // KRB_ERR_FIELD_TOOLONG
    c.socket.end();
    // Before: the server had paused reading, never saw the close, and held the connection until
    // the idle timer. Now it drains the rest and lets go as soon as the peer is gone.
    await until(() => tcp(server).open === 0, 'the server released the connection');
    expect(tcp(server).closed.badLength).toBe(1);
  });

  it('refuses connections beyond maxConnectionsPerSource; another address is served', async () => {
    const { server, log } = await start({ maxConnectionsPerSource: 2 });
    await open(server);
    await open(server);
    await until(() => tcp(server).open === 2, 'two connections accepted');
    const third = await open(server);
    await third.closed;
    expect(tcp(server).refused).toEqual({ perSource: 1, full: 0 });
    expect(log).toContainEqual(
      expect.stringMatching(/refused: 2 connections from 127\.0\.0\.1 already \(maxConnectionsPerSource\)$/),
    );
    expect(await goodExchange(server, '127.0.0.2')).toBe('6b6a42');
  });

  it('at maxConnections, replaces the least recently served idle connection; refuses when all are busy', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { server, log } = await start({ maxConnections: 3 }, async (req) => {
      if (req[1] === 1) await held;
      return echo(req, { transport: 'tcp' });
    });
    const a = await open(server);
    const b = await open(server);
    const c = await open(server);
    await until(() => tcp(server).open === 3, 'three connections accepted');
    // a is served last, so b is now the least recently served.
    a.write(frameTcp(Uint8Array.of(0x6a, 0)));
    await a.waitRecords(1);
    expect(await goodExchange(server)).toBe('6b6a42');
    await b.closed;
    expect(tcp(server).closed.evicted).toBe(1);
    expect(log).toContainEqual(
      expect.stringMatching(
        /least recently served, making room at 3 connections \(maxConnections\); closing$/,
      ),
    );
    expect(c.isClosed).toBe(false);
    // Now make every connection busy: a newcomer is refused, and nobody is evicted.
    for (const conn of conns.filter((x) => !x.isClosed)) conn.write(frameTcp(Uint8Array.of(0x6a, 1)));
    await until(() => tcp(server).requests === 5, 'three more requests read');
    const late = await open(server);
    await late.closed;
    expect(tcp(server).refused.full).toBe(1);
    expect(tcp(server).closed.evicted).toBe(1);
    release();
    expect(hex((await c.waitRecords(1))[0]!)).toBe('6b6a01');
  });
});

describe('serveKdc TCP: memory', () => {
  /**
   * Send the length prefix and `n - 4` bytes of a request that claims
   * `claim` bytes, and wait until the server holds them (the body bytes: a
   * complete prefix is held as the length it says).
   */
  async function partial(server: KdcServer, claim: number, n: number): Promise<RawTcp> {
    const before = tcp(server).bytesHeld;
    const c = await open(server);
    const framed = frameTcp(new Uint8Array(claim).fill(0x6a, 0, 1));
    c.write(framed.subarray(0, n));
    await until(() => tcp(server).bytesHeld === before + n - 4, `${n - 4} bytes held`);
    return c;
  }

  it('keeps all requests within maxBufferedBytes by closing the largest holder; a small request is served', async () => {
    const { server, log } = await start({ maxRequestBytes: 1000, maxBufferedBytes: 2000 });
    const big1 = await partial(server, 1000, 994);
    const big2 = await partial(server, 1000, 990);
    expect(tcp(server).bytesHeld).toBe(1976);
    // A good client's 34 bytes (a 30-byte request) would make 2010: the largest holder goes.
    const c = await open(server);
    c.write(frameTcp(new Uint8Array(30).fill(0x6a, 0, 1)));
    const [reply] = await c.waitRecords(1);
    expect(reply).toHaveLength(31);
    await big1.closed;
    expect(big2.isClosed).toBe(false);
    expect(tcp(server).closed.overBudget).toBe(1);
    expect(tcp(server).peakBytesHeld).toBeLessThanOrEqual(2000);
    expect(log).toContainEqual(
      expect.stringMatching(
        /holding 990 bytes of requests, the most while .* passed maxBufferedBytes \(2000\); closing$/,
      ),
    );
  });

  it('closes the sender itself when it would hold the most', async () => {
    const { server } = await start({ maxRequestBytes: 1000, maxBufferedBytes: 1500 });
    const small = await partial(server, 1000, 600);
    const greedy = await open(server);
    // 596 held + 910 arriving > 1500, and the sender's 910 is the most.
    greedy.write(frameTcp(new Uint8Array(1000)).subarray(0, 910));
    await greedy.closed;
    expect(small.isClosed).toBe(false);
    expect(tcp(server).closed.overBudget).toBe(1);
    expect(tcp(server).bytesHeld).toBe(596);
  });

  it('releases what a connection held as soon as it closes', async () => {
    const { server } = await start({ maxRequestBytes: 100_000 });
    const clients: RawTcp[] = [];
    for (let i = 0; i < 3; i++) clients.push(await partial(server, 100_000, 50_000));
    expect(tcp(server).bytesHeld).toBe(3 * 49_996);
    await Promise.all(clients.map((c) => c.close()));
    await until(() => tcp(server).open === 0, 'all closed');
    expect(tcp(server).bytesHeld).toBe(0);
    expect(tcp(server).peakBytesHeld).toBe(3 * 49_996);
  });

  it('stops reading a peer that does not read its replies, and resumes once it does', async () => {
    let calls = 0;
    const { server } = await start({}, (req) => {
      calls++;
      return new Uint8Array(16 << 20).fill(req[1]!, 0, 2); // 16 MiB: more than both socket buffers take
    });
    const c = await open(server);
    c.socket.pause();
    c.write(frameTcp(Uint8Array.of(0x6a, 1)));
    await until(() => calls === 1, 'the first request was handled');
    c.write(frameTcp(Uint8Array.of(0x6a, 2)));
    await turns(200); // room for a read that must not happen
    expect(calls).toBe(1);
    c.socket.resume();
    const replies = await c.waitRecords(2);
    expect(replies.map((r) => r[0])).toEqual([1, 2]);
    expect(calls).toBe(2);
  });
});

describe('serveKdc TCP: pipelining', () => {
  it('hands the handler at most maxPipelined requests of one read, and serves others meanwhile', async () => {
    // 64 KiB of empty records in one write: 16,384 requests. They were all queued from the one read,
    // answered in one run of microtasks with no turn for any other socket or timer.
    let handled = 0;
    let handledBeforeGood: number | undefined;
    const { server } = await start({ maxPipelined: 4 }, (req) => {
      if (req.length === 2 && req[1] === 0x42 && handledBeforeGood === undefined) handledBeforeGood = handled;
      handled++;
      return Uint8Array.of(0x6b, ...req);
    });
    const burst = await open(server);
    const N = 16_384;
    burst.write(new Uint8Array(4 * N)); // each record a zero length prefix and nothing after it
    await until(() => handled > 0, 'the burst began to be answered');
    // The records of one read beyond maxPipelined wait as bytes, counted in bytesHeld.
    expect(tcp(server).bytesHeld).toBeGreaterThan(0);
    expect(await goodExchange(server)).toBe('6b6a42');
    expect(handledBeforeGood).toBeLessThan(N / 2);
    await until(() => handled === N + 1, 'every request of the burst answered');
    await burst.waitRecords(N);
    expect(tcp(server).bytesHeld).toBe(0);
  });
});

describe('serveKdc TCP: a peer that half-closes or leaves', () => {
  it('after a FIN, answers what is left no faster than the peer reads its replies', async () => {
    let calls = 0;
    const { server } = await start({ maxPipelined: 1 }, (req) => {
      calls++;
      return new Uint8Array(16 << 20).fill(req[1]!, 0, 2); // 16 MiB: more than both socket buffers take
    });
    const c = await open(server);
    c.socket.pause();
    // Three requests and the FIN: two wait in the reader, to be answered with nothing more to read.
    c.socket.end(Uint8Array.from([1, 2, 3].flatMap((n) => [...frameTcp(Uint8Array.of(0x6a, n))])));
    await until(() => calls === 1, 'the first request was handled');
    await turns(200); // room for handler calls that must not happen while the first reply is unread
    expect(calls).toBe(1);
    c.socket.resume();
    const replies = await c.waitRecords(3);
    expect(replies.map((r) => r[0])).toEqual([1, 2, 3]);
    await c.waitEnd();
    expect(calls).toBe(3);
  });

  it('answers the whole records sent before a FIN and drops a partial one, then lets the connection go', async () => {
    const { server } = await start();
    const c = await open(server);
    // Two requests, then a prefix claiming 9 bytes and 2 of them: the rest can never come.
    c.socket.end(
      Uint8Array.from([
        ...frameTcp(Uint8Array.of(0x6a, 1)),
        ...frameTcp(Uint8Array.of(0x6a, 2)),
        0,
        0,
        0,
        9,
        1,
        2,
      ]),
    );
    await c.waitEnd();
    expect(c.records.map(hex)).toEqual(['6b6a01', '6b6a02']);
    await until(() => tcp(server).open === 0, 'the server let the connection go');
    expect(tcp(server)).toMatchObject({ requests: 2, bytesHeld: 0, closed: { slow: 0, idle: 0 } });
  });

  it('says so when a reply cannot be sent, and runs nothing queued behind it for a peer that left', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const handled: number[] = [];
    const { server, log } = await start({}, async (req) => {
      handled.push(req[1]!);
      if (req[1] === 1) await held;
      return echo(req, { transport: 'tcp' });
    });
    const c = await open(server);
    c.write(Uint8Array.from([1, 2, 3].flatMap((n) => [...frameTcp(Uint8Array.of(0x6a, n))])));
    await until(
      () => tcp(server).requests === 3 && handled.length === 1,
      'three read, the first in the handler',
    );
    c.socket.resetAndDestroy();
    await until(() => tcp(server).open === 0, 'the server saw the reset');
    release();
    await until(() => log.some((l) => l.includes('not sent')), 'the first answer');
    // The first one's answer was logged as given, and then as not sent; the two behind it never ran.
    expect(handled).toEqual([1]);
    expect(log.filter((l) => /AS-REP/.test(l))).toEqual([
      expect.stringMatching(/^tcp 127\.0\.0\.1:\d+ AS-REQ 2 bytes -> AS-REP 3 bytes$/),
      expect.stringMatching(/^tcp 127\.0\.0\.1:\d+ AS-REP 3 bytes not sent: the connection is closed$/),
    ]);
  });
});

describe('serveKdc UDP: receive buffer', () => {
  /** What the OS gives a fresh UDP socket, with nothing asked. */
  const osDefault = () =>
    new Promise<number>((resolve) => {
      const s = createSocket('udp4');
      s.bind(0, '127.0.0.1', () => {
        const n = s.getRecvBufferSize();
        s.close(() => resolve(n));
      });
    });
  const rmemMax = (): number | undefined => {
    try {
      return Number(readFileSync('/proc/sys/net/core/rmem_max', 'utf8'));
    } catch {
      return undefined;
    }
  };

  it('asks for 4 MiB by default and reports what the OS gave', async () => {
    const { server } = await start({ udpPort: 0, tcpPort: false });
    const granted = server.stats().udp!.receiveBufferBytes;
    const max = rmemMax();
    // Linux doubles the request for its bookkeeping and caps it at twice net.core.rmem_max.
    if (max !== undefined) expect(granted).toBe(Math.min(2 * (4 << 20), 2 * max));
    else expect(granted).toBeGreaterThan(0);
  });

  it('keeps the OS default with 0, and logs when the OS gives less than asked', async () => {
    const { server } = await start({ udpPort: 0, tcpPort: false, udpReceiveBufferBytes: 0 });
    expect(server.stats().udp!.receiveBufferBytes).toBe(await osDefault());
    const { server: greedy, log } = await start({
      udpPort: 0,
      tcpPort: false,
      udpReceiveBufferBytes: 1 << 30,
    });
    const granted = greedy.stats().udp!.receiveBufferBytes;
    expect(granted).toBeLessThan(1 << 30);
    expect(log).toEqual([
      `udp receive buffer: asked for ${1 << 30} bytes, the OS gave ${granted} (see net.core.rmem_max)`,
    ]);
  });
});

describe('serveKdc limits', () => {
  it('rejects limits that are not non-negative integers, and a budget below one request', async () => {
    await expect(serveKdc(echo, { maxConnections: 0 })).rejects.toThrow(
      /^serveKdc: maxConnections must be an integer >= 1, got 0$/,
    );
    await expect(serveKdc(echo, { requestTimeoutMs: 1.5 })).rejects.toThrow(RangeError);
    await expect(serveKdc(echo, { udpReceiveBufferBytes: -1 })).rejects.toThrow(/udpReceiveBufferBytes/);
    // Above the largest UDP payload a long reply would fail to send instead of becoming RESPONSE_TOO_BIG.
    for (const udpMaxReply of [0, -1, Number.NaN, 65_508, 100_000]) {
      await expect(serveKdc(echo, { udpMaxReply })).rejects.toThrow(
        /udpMaxReply must be an integer from 1 to 65507/,
      );
    }
    await expect(serveKdc(echo, { maxRequestBytes: 2000, maxBufferedBytes: 1000 })).rejects.toThrow(
      /maxBufferedBytes \(1000\) must be at least maxRequestBytes \(2000\)/,
    );
  });

  it('serves on when its log sink throws: the line is lost, never the reply or the process', async () => {
    const server = await serveKdc(echo, {
      clock: new ManualClock(Date.UTC(2026, 0, 1)),
      udpPort: false,
      log: () => {
        throw new Error('log sink down');
      },
    });
    servers.push(server);
    expect(await goodExchange(server)).toBe('6b6a42');
    expect(await goodExchange(server)).toBe('6b6a42');
  });

  it('returns stats as a snapshot', async () => {
    const { server } = await start();
    const before = server.stats();
    await goodExchange(server);
    expect(before.tcp!.requests).toBe(0);
    expect(server.stats().tcp!.requests).toBe(1);
    expect(server.stats().udp).toBeUndefined();
  });
});
