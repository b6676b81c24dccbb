/**
 * Fuzzing a real `serveKdc` on loopback (127.0.0.1 only), in front of
 * CONTOSO.COM's KDC: the same damaged requests and random bytes as the
 * in-process targets, as UDP datagrams and as TCP records.
 *
 * UDP: every input is followed, from the same socket, by a sentinel AS-REQ
 * whose sname names the input's number; the server answers the sentinel, so
 * what arrives before the sentinel's answer is the input's answer. The
 * invariants: a datagram that does not decode as an AS-REQ or TGS-REQ gets
 * nothing back (no reflection, no error loop: issue 10), a request gets at
 * most one well-formed reply, and the sentinel is always answered.
 *
 * TCP: every input goes out as one length-prefixed record on a kept
 * connection; the server answers it with a well-formed reply or closes the
 * connection, within a few seconds. Every 64th input is also written raw,
 * unframed, on a connection of its own.
 *
 * Both: a good client (the krbsim client over UDP, and over TCP) logs on
 * every half second and must succeed; at the end no TCP connection or
 * request byte is left held by the server once its own deadlines have passed
 * (2 s here, for a bounded run).
 */

import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { decodeMessage, encodeAsReq, KdcOptions, NameType } from '@krbsim/asn1';
import { KerberosClient } from '@krbsim/client';
import { SeededRandom } from '@krbsim/core';
import { frameTcp, type KdcServer, serveKdc, TcpRecordReader, UdpTcpTransport } from '@krbsim/transport';
import { checkKdcReply, InvariantError } from './checks';
import { InputStream } from './inputs';
import { ALICE_PASSWORD, CONTOSO, type FuzzLab } from './lab';
import { connectLoopback, HOST, Inbox } from './sockets';
import type { Target } from './targets';

/** How long an answer may take before the server counts as not answering. */
const ANSWER_MS = 5_000;
const GOOD_CLIENT_EVERY_MS = 500;
/** The served KDC's TCP idle and request deadlines (serveKdc's defaults: 30 s and 10 s). */
const SERVER_TIMEOUT_MS = 2_000;
/** serveKdc's default maxRequestBytes. */
const MAX_REQUEST_BYTES = 1 << 20;

/** Which answers a datagram may get (an oracle independent of the server's own filter). */
function udpClass(bytes: Uint8Array): 'request' | 'malformed-request' | 'not-a-request' {
  if (bytes[0] !== 0x6a && bytes[0] !== 0x6c) return 'not-a-request';
  try {
    const t = decodeMessage(bytes).type;
    return t === 'AS-REQ' || t === 'TGS-REQ' ? 'request' : 'malformed-request';
  } catch {
    return 'malformed-request';
  }
}

/** An AS-REQ for a client CONTOSO does not know, for `fuzz-sentinel/<n>`: answered with a KRB-ERROR naming that sname. */
function sentinel(n: number, now: number): Uint8Array {
  return encodeAsReq({
    pvno: 5,
    msgType: 10,
    reqBody: {
      kdcOptions: KdcOptions.canonicalize,
      cname: { nameType: NameType.NT_PRINCIPAL, nameString: ['fuzz-sentinel-client'] },
      realm: CONTOSO,
      sname: { nameType: NameType.NT_SRV_INST, nameString: ['fuzz-sentinel', String(n)] },
      till: now + 3_600_000,
      nonce: n >>> 0,
      etype: [18],
    },
  });
}

/** The sentinel number a reply answers, if it is a sentinel's KRB-ERROR. */
function sentinelOf(reply: Uint8Array): number | undefined {
  try {
    const m = decodeMessage(reply);
    if (m.type !== 'KRB-ERROR') return undefined;
    const s = m.value.sname.nameString;
    return s[0] === 'fuzz-sentinel' ? Number(s[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** A serveKdc for CONTOSO.COM whose handler records throws, and a good client that must keep being answered. */
async function startServer(lab: FuzzLab) {
  const handlerThrows: unknown[] = [];
  const kdc = lab.kdcs.get(CONTOSO)!;
  const server: KdcServer = await serveKdc(
    (request) => {
      try {
        return kdc.handle(request);
      } catch (e) {
        handlerThrows.push(e);
        throw e;
      }
    },
    // Short deadlines, so that whatever the server keeps after the run is released within the run.
    {
      host: HOST,
      realm: CONTOSO,
      clock: lab.clock,
      idleTimeoutMs: SERVER_TIMEOUT_MS,
      requestTimeoutMs: SERVER_TIMEOUT_MS,
    },
  );
  const kdcs = { [CONTOSO]: [{ host: HOST, udpPort: server.udpPort!, port: server.tcpPort! }] };
  const good = (preferTcp: boolean) =>
    new KerberosClient({
      realm: CONTOSO,
      clock: lab.clock,
      transport: new UdpTcpTransport({ kdcs, preferTcp, timeoutMs: ANSWER_MS }),
    });
  let lastGood = 0;
  let goodRuns = 0;
  return {
    server,
    /** Throws if the handler threw or the KDC reported a bug since the last call. */
    checkBugs() {
      const bugs = [...handlerThrows.splice(0), ...lab.takeBugs()];
      if (bugs.length > 0)
        throw new Error(`the KDC behind serveKdc failed: ${(bugs[0] as Error)?.stack ?? bugs[0]}`);
    },
    /** Every GOOD_CLIENT_EVERY_MS: an AS exchange over UDP (TCP for the too-big reply) and one over TCP. */
    async goodClient(force = false) {
      if (!force && performance.now() - lastGood < GOOD_CLIENT_EVERY_MS) return;
      lastGood = performance.now();
      for (const preferTcp of [false, true]) {
        try {
          await good(preferTcp).getInitialCredentials('alice', { password: ALICE_PASSWORD });
          goodRuns++;
        } catch (e) {
          throw new InvariantError(`a good client (${preferTcp ? 'TCP' : 'UDP'}) was not served: ${e}`);
        }
      }
    },
    goodRuns: () => goodRuns,
  };
}

/** A UDP socket bound on loopback that queues what it receives. */
async function udpSocket(): Promise<{ socket: UdpSocket; received: Uint8Array[]; wait(): Promise<void> }> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, HOST, () => resolve()));
  const received: Uint8Array[] = [];
  let wake: (() => void) | undefined;
  socket.on('message', (m) => {
    received.push(new Uint8Array(m));
    wake?.();
  });
  return {
    socket,
    received,
    wait: () =>
      new Promise<void>((resolve) => {
        const t = setTimeout(done, 250);
        function done() {
          clearTimeout(t);
          wake = undefined;
          resolve();
        }
        wake = done;
      }),
  };
}

export function udpTarget(seed: string, lab: FuzzLab, bases: readonly Uint8Array[]): Target {
  let ctx: Awaited<ReturnType<typeof startServer>> | undefined;
  let sock: Awaited<ReturnType<typeof udpSocket>> | undefined;
  let n = 0;
  const send = (bytes: Uint8Array) =>
    new Promise<void>((resolve, reject) =>
      sock!.socket.send(bytes, ctx!.server.udpPort!, HOST, (e) => (e ? reject(e) : resolve())),
    );
  const target: Target = {
    name: 'udp',
    weight: 1.5,
    inputs: new InputStream(seed, 'udp', bases, [0x6a, 0x6c, 0x7e, 0x6b]),
    async run(bytes) {
      ctx ??= await startServer(lab);
      sock ??= await udpSocket();
      await ctx.goodClient();
      if (bytes.length > 65_000) return 'too big for a datagram';
      const cls = udpClass(bytes);
      const id = n++;
      sock.received.length = 0;
      await send(bytes);
      await send(sentinel(id, lab.clock.now()));
      const others: Uint8Array[] = [];
      const deadline = performance.now() + ANSWER_MS;
      let answered = false;
      let resent = false;
      while (!answered) {
        if (sock.received.length === 0) {
          if (performance.now() > deadline)
            throw new InvariantError(`sentinel ${id} was not answered over UDP`);
          if (!resent && performance.now() > deadline - ANSWER_MS / 2) {
            resent = true;
            await send(sentinel(id, lab.clock.now()));
          }
          await sock.wait();
          continue;
        }
        const r = sock.received.shift()!;
        const s = sentinelOf(r);
        if (s === id) answered = true;
        else if (s === undefined) others.push(r);
      }
      ctx.checkBugs();
      if (cls === 'not-a-request' && others.length > 0)
        throw new InvariantError(
          `a datagram that is not a request was answered (${others[0]!.length} bytes)`,
        );
      if (others.length > 1) throw new InvariantError(`one datagram got ${others.length} answers`);
      if (others.length === 0) return `${cls}: no answer`;
      return `${cls}: ${checkKdcReply(bytes, others[0]!)}`;
    },
    async finish() {
      if (ctx) {
        await ctx.goodClient(true);
        const udp = ctx.server.stats().udp!;
        target.summary = `server: received ${udp.received}, replied ${udp.replied}, dropped ${JSON.stringify(udp.dropped)}; good clients served ${ctx.goodRuns()}`;
        await ctx.server.close();
      }
      sock?.socket.close();
    },
  };
  return target;
}

/** One TCP connection that answers records in order. */
async function tcpConnection(port: number) {
  const socket = await connectLoopback(port);
  const reader = new TcpRecordReader(1 << 20);
  const records = new Inbox<Uint8Array>();
  socket.on('data', (chunk: Buffer) => {
    for (const e of reader.push(new Uint8Array(chunk))) if (e.kind === 'record') records.push(e.message);
  });
  socket.on('close', () => records.close());
  return {
    socket,
    get closed() {
      return records.closed;
    },
    /** The next record, or 'closed', or 'timeout'. */
    next: (ms: number) => records.next(ms),
  };
}

export function tcpTarget(seed: string, lab: FuzzLab, bases: readonly Uint8Array[]): Target {
  let ctx: Awaited<ReturnType<typeof startServer>> | undefined;
  let conn: Awaited<ReturnType<typeof tcpConnection>> | undefined;
  let n = 0;
  const rawRandom = new SeededRandom(`${seed}:tcp-raw`);
  const target: Target = {
    name: 'tcp',
    weight: 1.5,
    inputs: new InputStream(seed, 'tcp', bases, [0x6a, 0x6c, 0x7e]),
    async run(bytes) {
      ctx ??= await startServer(lab);
      await ctx.goodClient();
      const port = ctx.server.tcpPort!;
      if (n++ % 64 === 63) {
        // The same bytes unframed (their first four read as a length): the server answers, waits or closes.
        const raw = await tcpConnection(port);
        raw.socket.write(bytes.length > 0 ? bytes : rawRandom.fill(new Uint8Array(4)));
        await raw.next(50);
        raw.socket.destroy();
      }
      if (conn === undefined || conn.closed) conn = await tcpConnection(port);
      conn.socket.write(frameTcp(bytes));
      const r = await conn.next(ANSWER_MS);
      if (bytes.length > MAX_REQUEST_BYTES) {
        // Refused by its length (KRB_ERR_FIELD_TOOLONG): the server reads nothing more on this connection.
        conn.socket.destroy();
        conn = undefined;
      }
      ctx.checkBugs();
      if (r === 'timeout')
        throw new InvariantError('no answer to a complete TCP record, and the connection is open');
      if (r === 'closed') return 'closed';
      return checkKdcReply(bytes, r);
    },
    async finish() {
      conn?.socket.destroy();
      if (!ctx) return;
      await ctx.goodClient(true);
      // Let the server see every close, then nothing may be left open or held.
      const deadline = performance.now() + SERVER_TIMEOUT_MS + ANSWER_MS;
      let tcp = ctx.server.stats().tcp!;
      while ((tcp.open > 0 || tcp.bytesHeld > 0) && performance.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
        tcp = ctx.server.stats().tcp!;
      }
      target.summary = `server: accepted ${tcp.accepted}, closed ${JSON.stringify(tcp.closed)}, peak bytes held ${tcp.peakBytesHeld}; good clients served ${ctx.goodRuns()}`;
      const left = { open: tcp.open, bytesHeld: tcp.bytesHeld };
      await ctx.server.close();
      if (left.open > 0 || left.bytesHeld > 0)
        throw new InvariantError(`after the run the server still holds ${JSON.stringify(left)}`);
    },
  };
  return target;
}
