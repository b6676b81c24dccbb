/**
 * Stress runs for serveKdc's limits, with figures for docs/robustness.md.
 * Not a test: the figures depend on the machine and its load. Run from the
 * repository root:
 *
 *   node --import tsx packages/transport/test/stress/run.ts [udp] [tcp-memory] [tcp-drip] [proxy-flood] [proxy-memory] [--short]
 *
 * `--short` (`pnpm stress --short`, run by .ci/run) is a smoke run of about
 * 15 s: the same scenarios scaled down (UDP for 1 s; 30 connections for
 * tcp-memory; 100 for tcp-drip, against a 1 s request deadline, dripping
 * every second for 2.5 s), checking what does not depend on the machine:
 * every UDP run got replies, a closed connection's bytes are released, every
 * dripping connection is closed by the server, the KDC proxy keeps to
 * maxConnections (300 connections against 128) and maxBufferedBytes (12
 * bodies of 1 MiB against 4 MiB) and releases what closed connections held,
 * and the good client was always answered (it throws otherwise). It exits 1 if a check fails. The
 * figures for docs/robustness.md come from the full run.
 *
 * KRBSIM_STRESS_CHILD=<script> runs another server script that speaks
 * kdc-child.ts's protocol (an older serveKdc, say; one without stats()
 * reports none).
 *
 * - udp: 256 AS-REQs in flight (256 sockets, each sending again on its
 *   reply, or after 1 s without one: a loss) for 5 s, against a server with
 *   the OS's default receive buffer and one with serveKdc's default (4 MiB);
 *   losses beside the kernel's count of datagrams it dropped for a full
 *   receive buffer (/proc/net/snmp, Udp RcvbufErrors; system-wide).
 * - tcp-memory: 150 connections each sending all but the last byte of a
 *   request just under 1 MiB; the server's memory and bytesHeld while they
 *   wait and after they close.
 * - tcp-drip: 1000 connections from 8 addresses each sending one byte every
 *   10 s (the idle timeout is 30 s); what is open after 1 s and 11 s, and
 *   the latency of a good client's TCP AS exchange all along.
 * - proxy-flood: the KDC proxy (serveKdcProxy) given 2000 TLS connections
 *   from 16 addresses that send nothing, against its default limits and
 *   against limits set past the load (as it was before it had any); what is
 *   open, evicted, and a good client's HTTPS AS exchange every 100.
 * - proxy-memory: the KDC proxy given 40 requests each declaring a body just
 *   under 1 MiB and sending all but its last byte, against its default
 *   limits and against a budget past the load; the bodies held, the
 *   server's memory, and a good client every 10.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { connect, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { type TLSSocket, connect as tlsConnect } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { encodeKdcProxyMessage } from '@krbsim/asn1';
import {
  frameTcp,
  type KdcProxyServerStats,
  type KdcServerStats,
  type ServeKdcOptions,
  type ServeKdcProxyOptions,
  TcpRecordReader,
} from '@krbsim/transport';
import { asReq } from '../der';

const REALM = 'STRESS.TEST';
const SHORT = process.argv.includes('--short');
/** The scale of each scenario: the full run's, or the smoke run's. */
const SCALE = SHORT
  ? {
      udpMs: 1000,
      memoryConns: 30,
      dripConns: 100,
      dripEveryMs: 1000,
      dripRunMs: 2500,
      dripFirstMs: 500,
      floodConns: 300,
      floodLimits: { maxConnections: 128 },
      proxyBodies: 12,
      proxyMemoryLimits: { maxBufferedBytes: 4 << 20 },
      burstConns: 4,
    }
  : {
      udpMs: 5000,
      memoryConns: 150,
      dripConns: 1000,
      dripEveryMs: 10_000,
      dripRunMs: 11_500,
      dripFirstMs: 1000,
      floodConns: 2000,
      floodLimits: {},
      proxyBodies: 40,
      proxyMemoryLimits: {},
      burstConns: 16,
    };

/** In a short run: a check that failed makes the run exit 1. */
function check(ok: boolean, what: string): void {
  if (SHORT && !ok) {
    console.log(`stress --short: FAILED: ${what}`);
    process.exitCode = 1;
  }
}

/** An AS-REQ for alice whose `till` is years ahead (der.ts's is 2026-01-02). */
function request(): Uint8Array {
  const bytes = asReq('alice', REALM);
  const at = Buffer.from(bytes).indexOf('20260102000000Z');
  bytes.set(Buffer.from('20370101000000Z'), at);
  return bytes;
}

interface ChildReport<S = KdcServerStats> {
  /** Empty for a server without stats(). */
  stats: S;
  rss: number;
  arrayBuffers: number;
  heapUsed: number;
}

interface Child<S = KdcServerStats> {
  udpPort?: number;
  tcpPort?: number;
  /** A KDC proxy child's URL, port and CA (PEM). */
  proxyUrl?: string;
  proxyPort?: number;
  ca?: string;
  stats(): Promise<ChildReport<S>>;
  stop(): Promise<void>;
}

async function startChild<S = KdcServerStats>(
  options: ServeKdcOptions | { proxy: Omit<ServeKdcProxyOptions, 'cert' | 'key'> },
): Promise<Child<S>> {
  // KRBSIM_STRESS_CHILD: another server script with kdc-child.ts's protocol (e.g. an older serveKdc).
  const script = process.env.KRBSIM_STRESS_CHILD ?? fileURLToPath(new URL('./kdc-child.ts', import.meta.url));
  const child: ChildProcess = spawn(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', script, JSON.stringify(options)],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: child.stdout! });
  const waiting: ((line: string) => void)[] = [];
  lines.on('line', (line) => waiting.shift()?.(line));
  const next = () => new Promise<string>((resolve) => waiting.push(resolve));
  const first = JSON.parse(await next()) as Omit<Child, 'stats' | 'stop'>;
  return {
    ...first,
    async stats() {
      const line = next();
      child.stdin!.write('stats\n');
      return JSON.parse(await line) as ChildReport<S>;
    },
    async stop() {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.stdin!.end();
      await exited;
    },
  };
}

/** A figure, or '?' from a server that does not report it. */
const f = (v: number | undefined, fmt: (n: number) => string = String) => (v === undefined ? '?' : fmt(v));
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;

/** Udp RcvbufErrors from /proc/net/snmp (system-wide), or undefined off Linux. */
function rcvbufErrors(): number | undefined {
  try {
    const udp = readFileSync('/proc/net/snmp', 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('Udp:'))
      .map((l) => l.trim().split(/\s+/));
    const i = udp[0]!.indexOf('RcvbufErrors');
    return Number(udp[1]![i]);
  } catch {
    return undefined;
  }
}

async function udpRun(label: string, udpReceiveBufferBytes: number): Promise<void> {
  const server = await startChild({ tcpPort: false, udpReceiveBufferBytes });
  const port = server.udpPort!;
  const req = request();
  const window = 256;
  const sockets: UdpSocket[] = [];
  const sentAt = new Float64Array(window);
  let replies = 0;
  let lost = 0;
  let running = true;
  const send = (i: number) => {
    sentAt[i] = performance.now();
    sockets[i]!.send(req, port, '127.0.0.1');
  };
  for (let i = 0; i < window; i++) {
    const s = createSocket('udp4');
    await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', () => resolve()));
    s.on('message', () => {
      replies++;
      if (running) send(i);
    });
    sockets.push(s);
  }
  const sweep = setInterval(() => {
    const now = performance.now();
    for (let i = 0; i < window; i++) {
      if (running && now - sentAt[i]! > 1000) {
        lost++;
        send(i);
      }
    }
  }, 100);
  const kernel0 = rcvbufErrors();
  for (let i = 0; i < window; i++) send(i);
  await sleep(SCALE.udpMs);
  running = false;
  clearInterval(sweep);
  await sleep(300);
  const kernel1 = rcvbufErrors();
  const { stats } = await server.stats();
  await Promise.all(sockets.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  await server.stop();
  const udp = stats.udp;
  const sent = replies + lost;
  console.log(
    `udp ${label}: receive buffer granted ${f(udp?.receiveBufferBytes)} bytes; ${window} in flight for ${SCALE.udpMs / 1000} s: ` +
      `${replies} replies, ${lost} lost (${((100 * lost) / sent).toFixed(2)}%); ` +
      `server received ${f(udp?.received)}, replied ${f(udp?.replied)}, dropped ${JSON.stringify(udp?.dropped)}; ` +
      `kernel RcvbufErrors +${kernel1 === undefined || kernel0 === undefined ? '?' : kernel1 - kernel0}`,
  );
  check(replies > 0, `udp ${label}: no replies`);
}

async function tcpConnect(port: number, localAddress?: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1', ...(localAddress ? { localAddress } : {}) });
    s.once('error', reject);
    s.once('connect', () => {
      s.off('error', reject);
      s.on('error', () => {});
      resolve(s);
    });
  });
}

/** One AS exchange over a fresh TCP connection; resolves with its latency in ms. */
async function goodTcpExchange(port: number): Promise<number> {
  const t0 = performance.now();
  const s = await tcpConnect(port);
  const reader = new TcpRecordReader(1 << 20);
  return new Promise((resolve, reject) => {
    s.on('data', (chunk: Buffer) => {
      if (reader.push(chunk).some((e) => e.kind === 'record')) {
        s.destroy();
        resolve(performance.now() - t0);
      }
    });
    s.on('close', () => reject(new Error('closed before a reply')));
    s.write(frameTcp(request()));
  });
}

async function tcpMemory(): Promise<void> {
  const server = await startChild({ udpPort: false });
  const port = server.tcpPort!;
  const before = await server.stats();
  const claim = (1 << 20) - 16;
  const body = new Uint8Array(claim + 4);
  new DataView(body.buffer).setUint32(0, claim);
  const conns: Socket[] = [];
  const goods: number[] = [];
  for (let i = 0; i < SCALE.memoryConns; i++) {
    const s = await tcpConnect(port, `127.0.0.${2 + (i % 8)}`);
    s.write(body.subarray(0, body.length - 1));
    conns.push(s);
    if (i % 25 === 24) goods.push(await goodTcpExchange(port));
  }
  await sleep(500);
  const during = await server.stats();
  for (const s of conns) s.destroy();
  await sleep(500);
  const after = await server.stats();
  await server.stop();
  const t = during.stats.tcp;
  console.log(
    `tcp-memory: ${SCALE.memoryConns} connections x ${claim + 3} bytes of a ${claim}-byte request: ` +
      `open ${f(t?.open)}, closed overBudget ${f(t?.closed.overBudget)}, bytesHeld ${f(t?.bytesHeld, mib)} (peak ${f(t?.peakBytesHeld, mib)}); ` +
      `server rss ${mib(before.rss)} before, ${mib(during.rss)} during, ${mib(after.rss)} after (arrayBuffers ${mib(before.arrayBuffers)}, ${mib(during.arrayBuffers)}, ${mib(after.arrayBuffers)}); ` +
      `bytesHeld after ${f(after.stats.tcp?.bytesHeld)}; good client latencies ${goods.map((g) => g.toFixed(1)).join(', ')} ms`,
  );
  check(after.stats.tcp?.bytesHeld === 0, 'tcp-memory: bytes still held after every connection closed');
}

async function tcpDrip(): Promise<void> {
  // The short run drips every second, so it needs a request deadline under that to show it.
  const server = await startChild(SHORT ? { udpPort: false, requestTimeoutMs: 1000 } : { udpPort: false });
  const port = server.tcpPort!;
  const conns: Socket[] = [];
  for (let i = 0; i < SCALE.dripConns; i++) conns.push(await tcpConnect(port, `127.0.0.${2 + (i % 8)}`));
  let closedByServer = 0;
  for (const s of conns) s.on('close', () => closedByServer++);
  const drip = () => {
    for (const s of conns) if (!s.destroyed) s.write(Uint8Array.of(0));
  };
  drip();
  const dripper = setInterval(drip, SCALE.dripEveryMs);
  const latencies: number[] = [];
  const t0 = performance.now();
  let at1: ChildReport | undefined;
  while (performance.now() - t0 < SCALE.dripRunMs) {
    latencies.push(await goodTcpExchange(port));
    if (at1 === undefined && performance.now() - t0 > SCALE.dripFirstMs) at1 = await server.stats();
    await sleep(250);
  }
  clearInterval(dripper);
  const at11 = await server.stats();
  const closedBeforeEnd = closedByServer;
  for (const s of conns) s.destroy();
  await server.stop();
  latencies.sort((a, b) => a - b);
  console.log(
    `tcp-drip: ${SCALE.dripConns} connections from 8 addresses, a byte every ${SCALE.dripEveryMs / 1000} s: after ${SCALE.dripFirstMs / 1000} s open ${f(at1?.stats.tcp?.open)}; ` +
      `after ${SCALE.dripRunMs / 1000} s open ${f(at11.stats.tcp?.open)}, closed slow ${f(at11.stats.tcp?.closed.slow)}, idle ${f(at11.stats.tcp?.closed.idle)}, ` +
      `seen closed by the clients ${closedBeforeEnd}; good client: ${latencies.length} exchanges, ` +
      `median ${latencies[latencies.length >> 1]!.toFixed(1)} ms, max ${latencies.at(-1)!.toFixed(1)} ms`,
  );
  check(at11.stats.tcp?.open === 0, `tcp-drip: ${at11.stats.tcp?.open} dripping connections still open`);
}

/**
 * Connections that each write 64 KiB of empty TCP records (16,384 requests) in one go and never read, and a
 * good client meanwhile: the server hands the handler at most maxPipelined requests of a connection at once
 * and takes the rest on later turns, so the good client is not held up behind the bursts.
 */
async function tcpBurst(): Promise<void> {
  const server = await startChild({ udpPort: false });
  const port = server.tcpPort!;
  const burst = new Uint8Array(64 * 1024); // 16,384 zero length prefixes
  const conns: Socket[] = [];
  for (let i = 0; i < SCALE.burstConns; i++) {
    const s = await tcpConnect(port, `127.0.0.${2 + (i % 8)}`);
    s.pause(); // never reads its replies
    s.write(burst);
    conns.push(s);
  }
  const goods: number[] = [];
  for (let i = 0; i < 10; i++) goods.push(await goodTcpExchange(port));
  const during = await server.stats();
  for (const s of conns) s.destroy();
  await sleep(500);
  const after = await server.stats();
  await server.stop();
  console.log(
    `tcp-burst: ${SCALE.burstConns} connections x 16384 empty requests in one write, never reading: ` +
      `requests read ${f(during.stats.tcp?.requests)}, bytesHeld ${f(during.stats.tcp?.bytesHeld)} (peak ${f(during.stats.tcp?.peakBytesHeld)}); ` +
      `server rss ${mib(during.rss)} during, ${mib(after.rss)} after; bytesHeld after ${f(after.stats.tcp?.bytesHeld)}; ` +
      `good client: ${goods.length} exchanges, ${ms(goods)}`,
  );
  check(after.stats.tcp?.bytesHeld === 0, 'tcp-burst: bytes still held after every connection closed');
}

/** A TLS connection to a KDC proxy child, handshake done. */
function tlsTo(proxy: Child<KdcProxyServerStats>, localAddress?: string): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({
      host: '127.0.0.1',
      port: proxy.proxyPort!,
      ca: proxy.ca!,
      ...(localAddress ? { localAddress } : {}),
    });
    s.once('error', reject);
    s.once('secureConnect', () => {
      s.off('error', reject);
      s.on('error', () => {});
      resolve(s);
    });
  });
}

/** One AS exchange through the KDC proxy on a fresh HTTPS connection; its latency in ms. */
function goodProxyExchange(proxy: Child<KdcProxyServerStats>): Promise<number> {
  const t0 = performance.now();
  const body = encodeKdcProxyMessage({ kerbMessage: frameTcp(request()), targetDomain: REALM });
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      proxy.proxyUrl!,
      { method: 'POST', ca: proxy.ca!, agent: false, headers: { 'content-type': 'application/kerberos' } },
      (res) => {
        res.resume();
        res.on('end', () =>
          res.statusCode === 200
            ? resolve(performance.now() - t0)
            : reject(new Error(`KDC proxy answered ${res.statusCode}`)),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const ms = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return `median ${sorted[sorted.length >> 1]!.toFixed(1)} ms, max ${sorted.at(-1)!.toFixed(1)} ms`;
};

async function proxyFlood(label: string, limits: Omit<ServeKdcProxyOptions, 'cert' | 'key'>): Promise<void> {
  const proxy = await startChild<KdcProxyServerStats>({ proxy: limits });
  const conns: TLSSocket[] = [];
  let closedByServer = 0;
  const goods: number[] = [];
  for (let i = 0; i < SCALE.floodConns; i++) {
    const s = await tlsTo(proxy, `127.0.0.${2 + (i % 16)}`).catch(() => undefined);
    if (s === undefined) {
      closedByServer++; // closed before its handshake ended
      continue;
    }
    s.on('close', () => closedByServer++);
    conns.push(s);
    if (i % 100 === 99) goods.push(await goodProxyExchange(proxy));
  }
  const during = await proxy.stats();
  const closedBeforeEnd = closedByServer;
  for (const s of conns) s.destroy();
  await sleep(500);
  const after = await proxy.stats();
  await proxy.stop();
  const t = during.stats;
  console.log(
    `proxy-flood (${label}): ${SCALE.floodConns} idle TLS connections from 16 addresses: open ${t.open} (peak ${t.peakOpen}), ` +
      `evicted ${t.evicted}, refused ${t.refusedPerSource + t.refusedFull}, seen closed by the clients ${closedBeforeEnd}; ` +
      `server rss ${mib(during.rss)} during, ${mib(after.rss)} after; open after ${after.stats.open}; ` +
      `good client: ${goods.length} exchanges, ${ms(goods)}`,
  );
  if (limits.maxConnections !== undefined && limits.maxConnections < SCALE.floodConns) {
    check(t.peakOpen <= limits.maxConnections, `proxy-flood: ${t.peakOpen} open, over maxConnections`);
    check(t.evicted > 0, 'proxy-flood: no connection evicted at maxConnections');
  }
  check(
    after.stats.open === 0,
    `proxy-flood: ${after.stats.open} connections still open after the clients left`,
  );
}

async function proxyMemory(label: string, limits: Omit<ServeKdcProxyOptions, 'cert' | 'key'>): Promise<void> {
  const proxy = await startChild<KdcProxyServerStats>({ proxy: limits });
  const before = await proxy.stats();
  const size = (1 << 20) - 64;
  const head = `POST /kerberos HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/kerberos\r\nContent-Length: ${size}\r\n\r\n`;
  const conns: TLSSocket[] = [];
  const answers: string[] = [];
  const goods: number[] = [];
  for (let i = 0; i < SCALE.proxyBodies; i++) {
    const s = await tlsTo(proxy, `127.0.0.${2 + (i % 8)}`);
    let got = '';
    s.setEncoding('latin1').on('data', (d: string) => {
      got += d;
    });
    s.on('close', () => answers.push(got.slice(0, 12)));
    s.write(head);
    s.write(new Uint8Array(size - 1));
    conns.push(s);
    if (i % 10 === 9) goods.push(await goodProxyExchange(proxy));
  }
  await sleep(500);
  const during = await proxy.stats();
  for (const s of conns) s.destroy();
  await sleep(500);
  const after = await proxy.stats();
  await proxy.stop();
  const t = during.stats;
  const refused = answers.filter((a) => a.startsWith('HTTP/1.1 503')).length;
  console.log(
    `proxy-memory (${label}): ${SCALE.proxyBodies} requests with ${size - 1} of ${size} body bytes sent: bytesHeld ${mib(t.bytesHeld)} (peak ${mib(t.peakBytesHeld)}), ` +
      `overBudget ${t.overBudget} (503 seen by ${refused}), open ${t.open}; ` +
      `server rss ${mib(before.rss)} before, ${mib(during.rss)} during, ${mib(after.rss)} after (arrayBuffers ${mib(before.arrayBuffers)}, ${mib(during.arrayBuffers)}, ${mib(after.arrayBuffers)}); ` +
      `bytesHeld after ${after.stats.bytesHeld}; good client: ${goods.length} exchanges, ${ms(goods)}`,
  );
  if (limits.maxBufferedBytes === undefined || limits.maxBufferedBytes < SCALE.proxyBodies * size) {
    check(t.overBudget > 0, 'proxy-memory: no body refused past maxBufferedBytes');
  }
  check(after.stats.bytesHeld === 0, 'proxy-memory: body bytes still held after every connection closed');
}

const which = process.argv.slice(2).filter((a) => a !== '--short');
const all = which.length === 0;
if (all || which.includes('udp')) {
  await udpRun('OS default buffer', 0);
  await udpRun('serveKdc default (4 MiB asked)', 4 << 20);
}
if (all || which.includes('tcp-memory')) await tcpMemory();
if (all || which.includes('tcp-drip')) await tcpDrip();
if (all || which.includes('tcp-burst')) await tcpBurst();
if (all || which.includes('proxy-flood')) {
  if (!SHORT)
    await proxyFlood('limits past the load', { maxConnections: 1 << 20, maxConnectionsPerSource: 1 << 20 });
  await proxyFlood('default limits', SCALE.floodLimits);
}
if (all || which.includes('proxy-memory')) {
  if (!SHORT) await proxyMemory('limits past the load', { maxBufferedBytes: 1 << 30 });
  await proxyMemory('default limits', SCALE.proxyMemoryLimits);
}
