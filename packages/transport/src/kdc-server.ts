/**
 * A KDC on the network: UDP and TCP listeners per RFC 4120 section 7.2 in
 * front of a {@link KdcHandler}.
 *
 * - UDP (section 7.2.1): one request per datagram, one reply datagram. Only
 *   a datagram that decodes as an AS-REQ or TGS-REQ is answered, as by MIT's
 *   KDC (`udp-admission.ts`): never a KRB-ERROR, a reply, an empty datagram
 *   or garbage, so a forged source address can neither start a loop between
 *   two KDCs nor use the server as a reflector. A reply larger than
 *   `udpMaxReply` is replaced by KRB_ERR_RESPONSE_TOO_BIG so the client
 *   retries over TCP. The socket asks for a receive buffer of
 *   `udpReceiveBufferBytes`, so that bursts are queued rather than dropped
 *   by the kernel.
 * - TCP (section 7.2.2): 4-byte big-endian length prefix per message, several
 *   requests per connection, answered in order, also those a client sent
 *   before half-closing (its FIN): then the server closes. A length with the
 *   reserved high bit set, or above `maxRequestBytes`, gets
 *   KRB_ERR_FIELD_TOOLONG and the connection is closed, before any of the
 *   claimed body is read or allocated. Connections, the time a request may
 *   take to arrive and the bytes held for all requests together are bounded
 *   (`tcp-connections.ts`).
 * - A handler that throws never takes the server down, whatever it throws:
 *   one log line, and a KRB_ERR_GENERIC reply (or none, if so configured). A
 *   handler that does not answer within `handlerTimeoutMs` is given up on: its
 *   UDP request is dropped, its TCP connection closed (the client then tries
 *   the realm's next KDC, as when a KDC is down), and the late answer is
 *   dropped. At most `udpMaxInFlight` UDP requests are in the handler at once;
 *   more are dropped, as by a KDC whose receive buffer is full.
 * - `stats()` counts what was dropped, refused and closed, and what is held.
 *
 * @module
 */

import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import { type Clock, ErrorCode, errorText, safeLogSink, systemClock } from '@krbsim/core';
import { checkInteger, MAX_TIMER_MS } from './check-integer';
import { transportKrbError } from './krb-error';
import { describeMessage } from './message-type';
import {
  type KdcServerStats,
  snapshot,
  type TcpCounters,
  tcpCounters,
  type UdpCounters,
  udpCounters,
} from './server-stats';
import { type ServerTimers, systemTimers } from './server-timers';
import { type HandlerCall, TcpConnections, type TcpLimits } from './tcp-connections';
import type { KdcHandler, TransportKind } from './types';
import { kpasswdVerdict, UDP_DROP_TEXT, type UdpVerdict, udpVerdict } from './udp-admission';

/** Options for {@link serveKdc}. */
export interface ServeKdcOptions {
  /** Address to bind (default `127.0.0.1`). */
  readonly host?: string;
  /**
   * What the server speaks: `'kdc'` (default), or `'kpasswd'`, the password-change service (RFC
   * 3244), whose UDP requests are admitted by their kpasswd header ({@link kpasswdVerdict}); the
   * TCP framing is the same.
   */
  readonly protocol?: 'kdc' | 'kpasswd';
  /** UDP port; 0 (default) lets the OS choose; `false` serves no UDP. */
  readonly udpPort?: number | false;
  /** TCP port; 0 (default) lets the OS choose; `false` serves no TCP. */
  readonly tcpPort?: number | false;
  /**
   * Largest UDP reply sent as is, 1 to 65507 (default 1465, a Windows DC's
   * MaxDatagramReplySize; MIT's KDC has kdc_max_dgram_reply_size, 4096).
   */
  readonly udpMaxReply?: number;
  /**
   * The UDP socket's receive buffer to ask for, in bytes (default 4 MiB; 0
   * keeps the OS default). The OS may grant less (Linux caps it at
   * net.core.rmem_max); `stats().udp.receiveBufferBytes` says what it gave.
   */
  readonly udpReceiveBufferBytes?: number;
  /** Largest TCP request accepted (default 1 MiB). */
  readonly maxRequestBytes?: number;
  /** Close a TCP connection with no bytes either way for this long (default 30 000 ms; 0 = never). */
  readonly idleTimeoutMs?: number;
  /**
   * Close a TCP connection whose request has not fully arrived this long
   * after its first byte (default 10 000 ms; 0 = never). Trickling bytes
   * does not extend it.
   */
  readonly requestTimeoutMs?: number;
  /** Stop reading a TCP connection while this many of its requests are pending (default 16). */
  readonly maxPipelined?: number;
  /**
   * Give up on a request the handler has not answered this long after it got it (default
   * 30 000 ms, as serveKdcProxy's `kdcTimeoutMs`; 0 = never): over UDP the request is dropped, over
   * TCP its connection is closed. Either way the client sees a KDC that does not answer and tries
   * the realm's next one (a KRB-ERROR would be a final answer), and the late answer is dropped. So
   * a handler that never settles holds a TCP connection, or a place under `udpMaxInFlight`, no
   * longer than this. A handler that answers synchronously is never cut short.
   */
  readonly handlerTimeoutMs?: number;
  /**
   * Most UDP requests in the handler at once (default 256, so at most 16 MiB of datagrams waiting
   * for it); a datagram past it is dropped (`stats().udp.dropped.busy`), as by a KDC whose receive
   * buffer is full. A request stops counting once answered, or given up at `handlerTimeoutMs`.
   */
  readonly udpMaxInFlight?: number;
  /**
   * Most TCP connections open at once (default 1024). At the limit a new one
   * replaces the least recently served connection that has no request in
   * the handler, or is refused when all have one.
   */
  readonly maxConnections?: number;
  /** Most TCP connections open at once from one address; more are refused (default 128). */
  readonly maxConnectionsPerSource?: number;
  /**
   * Most bytes of TCP requests held at once over all connections: partial
   * ones and complete ones waiting for the handler (default 16 MiB; at least
   * `maxRequestBytes`). Past it, the connection holding the most is closed.
   */
  readonly maxBufferedBytes?: number;
  /** The timers of the TCP deadlines and of `handlerTimeoutMs` (default: Node's). Tests inject their own. */
  readonly timers?: ServerTimers;
  /** Time for the KRB-ERRORs the server itself builds (default: the system clock). */
  readonly clock?: Clock;
  /** The realm those KRB-ERRORs name when the request does not say. */
  readonly realm?: string;
  /** One line per request: transport, peer, message types and sizes. Never key material. */
  readonly log?: (line: string) => void;
  /** Build the RESPONSE_TOO_BIG reply yourself (default: a KRB-ERROR from the request's realm and sname). */
  readonly tooBig?: (request: Uint8Array) => Uint8Array;
  /** What to send when the handler throws: a KRB_ERR_GENERIC KRB-ERROR (default) or nothing. */
  readonly onHandlerError?: 'krb-error' | 'drop';
  /**
   * Bind the sockets for this process alone (default true). In a worker of
   * Node's `cluster`, `false` shares the primary's sockets, so N workers
   * answer on one port, as `krb5kdc -w N` does.
   */
  readonly exclusive?: boolean;
}

/** A running KDC server. */
export interface KdcServer {
  readonly host: string;
  /** The bound UDP port, if serving UDP. */
  readonly udpPort: number | undefined;
  /** The bound TCP port, if serving TCP. */
  readonly tcpPort: number | undefined;
  /** What was answered, dropped, refused, closed and held so far: a snapshot. */
  stats(): KdcServerStats;
  /** Stop listening, drop open connections, and resolve once everything is closed. Idempotent. */
  close(): Promise<void>;
  /** {@link KdcServer.close}, so `await using server = await serveKdc(...)` closes it at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void>;
}

const SAME_PORT_ATTEMPTS = 8;
/** The default `udpMaxReply`. */
const DEFAULT_UDP_MAX_REPLY = 1465;
/** The largest UDP payload over IPv4: 65535 - 20 (IP header) - 8 (UDP header). */
const MAX_UDP_PAYLOAD = 65_507;

/** The defaults of the limits, as documented on {@link ServeKdcOptions}. */
const DEFAULTS = {
  udpReceiveBufferBytes: 4 << 20,
  maxRequestBytes: 1 << 20,
  idleTimeoutMs: 30_000,
  requestTimeoutMs: 10_000,
  maxPipelined: 16,
  maxConnections: 1024,
  maxConnectionsPerSource: 128,
  maxBufferedBytes: 16 << 20,
  handlerTimeoutMs: 30_000,
  udpMaxInFlight: 256,
} as const;

/** The TCP limits from `options`, checked once here. */
function tcpLimits(o: ServeKdcOptions): TcpLimits {
  const pick = (name: keyof TcpLimits, min: number, max?: number): number =>
    checkInteger(o[name] ?? DEFAULTS[name], `serveKdc: ${name}`, min, max);
  const limits: TcpLimits = {
    maxRequestBytes: pick('maxRequestBytes', 0),
    idleTimeoutMs: pick('idleTimeoutMs', 0, MAX_TIMER_MS),
    requestTimeoutMs: pick('requestTimeoutMs', 0, MAX_TIMER_MS),
    maxPipelined: pick('maxPipelined', 1),
    maxConnections: pick('maxConnections', 1),
    maxConnectionsPerSource: pick('maxConnectionsPerSource', 1),
    maxBufferedBytes: pick('maxBufferedBytes', 1),
    handlerTimeoutMs: pick('handlerTimeoutMs', 0, MAX_TIMER_MS),
  };
  if (limits.maxBufferedBytes < limits.maxRequestBytes) {
    throw new RangeError(
      `serveKdc: maxBufferedBytes (${limits.maxBufferedBytes}) must be at least maxRequestBytes (${limits.maxRequestBytes})`,
    );
  }
  return limits;
}

/**
 * Serve `handler` over UDP and TCP. With both ports left at 0, UDP and TCP
 * share one OS-chosen port, as a `kdc = host:port` line in krb5.conf expects.
 *
 * @throws RangeError for a limit that is not a non-negative integer (see {@link ServeKdcOptions}), or a
 *   timeout past 2^31-1 ms, which a timer would fire at once.
 *
 * @example
 * ```ts
 * const server = await serveKdc(kdc.handle, { log: console.log });
 * // krb5.conf: kdc = 127.0.0.1:${server.udpPort}
 * await server.close();
 * ```
 */
export async function serveKdc(handler: KdcHandler, options: ServeKdcOptions = {}): Promise<KdcServer> {
  const host = options.host ?? '127.0.0.1';
  const udpWanted = options.udpPort !== false;
  const tcpWanted = options.tcpPort !== false;
  const limits = tcpLimits(options);
  const receiveBuffer = checkInteger(
    options.udpReceiveBufferBytes ?? DEFAULTS.udpReceiveBufferBytes,
    'serveKdc: udpReceiveBufferBytes',
    0,
  );
  const udpMaxInFlight = checkInteger(
    options.udpMaxInFlight ?? DEFAULTS.udpMaxInFlight,
    'serveKdc: udpMaxInFlight',
    1,
  );
  // Above the largest UDP payload a reply is not sent at all (EMSGSIZE) instead of becoming RESPONSE_TOO_BIG.
  checkInteger(options.udpMaxReply ?? DEFAULT_UDP_MAX_REPLY, 'serveKdc: udpMaxReply', 1, MAX_UDP_PAYLOAD);
  let state = new ServerState(handler, options, limits, udpMaxInFlight);
  let tcp: Server | undefined;
  let udp: UdpSocket | undefined;
  let tcpPort: number | undefined;
  let udpPort: number | undefined;
  const exclusive = options.exclusive ?? true;
  const requestedUdp = options.udpPort === false ? 0 : (options.udpPort ?? 0);
  const requestedTcp = options.tcpPort === false ? 0 : (options.tcpPort ?? 0);
  const samePort = udpWanted && tcpWanted && requestedUdp === 0 && requestedTcp === 0;

  for (let attempt = 1; ; attempt++) {
    try {
      if (tcpWanted) {
        tcp = state.tcpServer();
        tcpPort = await listenTcp(tcp, host, requestedTcp, exclusive);
      }
      if (udpWanted) {
        udp = state.udpSocket(host);
        udpPort = await bindUdp(udp, host, samePort ? tcpPort! : requestedUdp, exclusive);
        state.setReceiveBuffer(udp, receiveBuffer);
      }
      break;
    } catch (e) {
      state.shutdown();
      await Promise.all([closeTcp(tcp), closeUdp(udp)]);
      tcp = undefined;
      udp = undefined;
      const retry =
        samePort && (e as NodeJS.ErrnoException).code === 'EADDRINUSE' && attempt < SAME_PORT_ATTEMPTS;
      if (!retry) throw e;
      state = new ServerState(handler, options, limits, udpMaxInFlight); // fresh counters for the next attempt
    }
  }

  let closing: Promise<void> | undefined;
  const final = state;
  return {
    host,
    udpPort,
    tcpPort,
    stats: () => ({
      ...(udpWanted ? { udp: snapshot(final.udpStats) } : {}),
      ...(tcpWanted ? { tcp: snapshot(final.tcpStats) } : {}),
    }),
    close() {
      closing ??= (async () => {
        final.shutdown();
        await Promise.all([closeTcp(tcp), closeUdp(udp)]);
      })();
      return closing;
    },
    [Symbol.asyncDispose]() {
      return (this as KdcServer).close();
    },
  };
}

/** Shared per-server state and the per-transport request handling. */
class ServerState {
  closed = false;
  readonly udpStats: UdpCounters = udpCounters();
  readonly tcpStats: TcpCounters = tcpCounters();
  readonly connections: TcpConnections;
  readonly #handler: KdcHandler;
  readonly #o: ServeKdcOptions;
  readonly #clock: Clock;
  readonly #timers: ServerTimers;
  readonly #log: (line: string) => void;
  readonly #handlerTimeoutMs: number;
  readonly #udpMaxInFlight: number;
  /** The UDP requests in the handler, oldest first (every one has the same deadline after its start). */
  readonly #udpCalls = new Set<UdpCall>();
  /** One timer for the oldest UDP request's deadline; undefined when none is armed. */
  #udpTimer: unknown;
  /** Which UDP datagrams are answered (udp-admission.ts). */
  readonly admit: (datagram: Uint8Array) => UdpVerdict;

  constructor(handler: KdcHandler, options: ServeKdcOptions, limits: TcpLimits, udpMaxInFlight: number) {
    this.#handler = handler;
    this.#o = options;
    this.admit = options.protocol === 'kpasswd' ? kpasswdVerdict : udpVerdict;
    this.#clock = options.clock ?? systemClock;
    this.#timers = options.timers ?? systemTimers;
    this.#log = safeLogSink(options.log);
    this.#handlerTimeoutMs = limits.handlerTimeoutMs;
    this.#udpMaxInFlight = udpMaxInFlight;
    this.connections = new TcpConnections(
      limits,
      {
        serve: (request, peer, call) => this.run(request, 'tcp', peer, call),
        badLength: (why) => this.#error(ErrorCode.KRB_ERR_FIELD_TOOLONG, undefined, why),
        log: this.#log,
        timers: this.#timers,
      },
      this.tcpStats,
    );
  }

  /** Stop serving: connections dropped, the UDP deadline timer cleared (requests in the handler are given up). */
  shutdown(): void {
    this.closed = true;
    this.connections.closeAll();
    if (this.#udpTimer !== undefined) this.#timers.clearTimeout(this.#udpTimer);
    this.#udpTimer = undefined;
    this.#udpCalls.clear();
  }

  #error(code: number, request: Uint8Array | undefined, eText?: string): Uint8Array {
    return transportKrbError({
      errorCode: code,
      now: this.#clock.now(),
      ...(request === undefined ? {} : { request }),
      ...(this.#o.realm === undefined ? {} : { fallbackRealm: this.#o.realm }),
      ...(eText === undefined ? {} : { eText }),
    });
  }

  /**
   * Run the handler; never throws. `undefined` means "send nothing", as it does once `call` has
   * timed out (the late answer is dropped, with a log line).
   */
  async run(
    request: Uint8Array,
    transport: TransportKind,
    peer: string,
    call: HandlerCall,
  ): Promise<Uint8Array | undefined> {
    const what = `${transport} ${peer} ${describeMessage(request)} ${request.length} bytes`;
    try {
      const udpMaxReply = this.#o.udpMaxReply ?? DEFAULT_UDP_MAX_REPLY;
      const reply: unknown = await this.#handler(
        request,
        transport === 'udp' ? { transport, peer, udpMaxReply } : { transport, peer },
      );
      if (call.timedOut) return this.#late(what);
      if (!(reply instanceof Uint8Array)) throw new TypeError('handler returned no bytes');
      if (transport === 'udp' && reply.length > udpMaxReply) {
        const tooBig = this.#o.tooBig?.(request) ?? this.#error(ErrorCode.KRB_ERR_RESPONSE_TOO_BIG, request);
        this.udpStats.tooBig++;
        this.#log(
          `${what} -> ${describeMessage(reply)} ${reply.length} bytes too big for UDP: ${describeMessage(tooBig)}`,
        );
        return tooBig;
      }
      this.#log(`${what} -> ${describeMessage(reply)} ${reply.length} bytes`);
      return reply;
    } catch (e) {
      if (call.timedOut) return this.#late(what);
      const reason = errorText(e); // whatever was thrown: describing it must not throw again
      if (this.#o.onHandlerError === 'drop') {
        this.#log(`${what} -> handler failed (${reason}); no reply`);
        return undefined;
      }
      this.#log(`${what} -> handler failed (${reason}); replying KRB_ERR_GENERIC`);
      return this.#error(ErrorCode.KRB_ERR_GENERIC, request, 'internal KDC error');
    }
  }

  /** The answer to a request given up at `handlerTimeoutMs`, when it comes at last: dropped, said in the log. */
  #late(what: string): undefined {
    this.#log(`${what} -> answered after ${this.#handlerTimeoutMs} ms (handlerTimeoutMs): dropped`);
    return undefined;
  }

  udpSocket(host: string): UdpSocket {
    const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    const stats = this.udpStats;
    socket.on('message', (msg, rinfo) => {
      stats.received++;
      const request = new Uint8Array(msg);
      const peer = `${rinfo.address}:${rinfo.port}`;
      if (rinfo.port === 0) {
        // No reply can go to port 0 (a forged source, or a broken stack): not worth the handler's work.
        stats.dropped['port-0']++;
        this.#log(`udp ${peer} ${describeMessage(request)} ${request.length} bytes -> dropped (from port 0)`);
        return;
      }
      // Whatever the source address claims: answer requests only (udp-admission.ts).
      const verdict = this.admit(request);
      if (!verdict.answer) {
        stats.dropped[verdict.reason]++;
        this.#log(
          `udp ${peer} ${describeMessage(request)} ${request.length} bytes -> dropped (${UDP_DROP_TEXT[verdict.reason]})`,
        );
        return;
      }
      // At most udpMaxInFlight requests wait for the handler: past it the datagram is dropped, as a
      // full receive buffer would drop it, rather than held.
      if (this.#udpCalls.size >= this.#udpMaxInFlight) {
        stats.dropped.busy++;
        this.#log(
          `udp ${peer} ${describeMessage(request)} ${request.length} bytes -> dropped (${this.#udpCalls.size} requests in the handler already: udpMaxInFlight)`,
        );
        return;
      }
      const call: UdpCall = { request, peer, started: this.#timers.now(), timedOut: false };
      this.#udpCalls.add(call);
      stats.inFlight = this.#udpCalls.size;
      if (stats.inFlight > stats.peakInFlight) stats.peakInFlight = stats.inFlight;
      this.#armUdp();
      void this.run(request, 'udp', peer, call).then((reply) => {
        if (call.timedOut || this.closed) return; // given up at the deadline (counted there), or closing
        this.#udpCalls.delete(call);
        stats.inFlight = this.#udpCalls.size;
        if (reply === undefined) {
          stats.dropped.handler++;
          return;
        }
        const failed = (err: Error) => {
          stats.sendErrors++;
          this.#log(`udp ${peer} send failed: ${err.message}`);
        };
        stats.replied++;
        try {
          // dgram.send throws synchronously for what it refuses at once (a bad port or address):
          // thrown here it would reject this chain with no one to catch it, ending the process.
          socket.send(reply, rinfo.port, rinfo.address, (err) => {
            if (err) failed(err);
          });
        } catch (e) {
          failed(e instanceof Error ? e : new Error(errorText(e)));
        }
      });
    });
    socket.on('error', (err) => {
      stats.socketErrors++;
      this.#log(`udp socket error: ${err.message}`);
    });
    return socket;
  }

  /**
   * Keep one timer at the oldest UDP request's deadline (they start in order and share one
   * duration, so the oldest is due first): no timer per datagram.
   */
  #armUdp(): void {
    if (this.#handlerTimeoutMs === 0 || this.#udpTimer !== undefined || this.closed) return;
    const oldest = this.#udpCalls.values().next().value;
    if (oldest === undefined) return;
    const wait = Math.max(0, oldest.started + this.#handlerTimeoutMs - this.#timers.now());
    this.#udpTimer = this.#timers.setTimeout(() => this.#expireUdp(), wait);
  }

  /** Give up on every UDP request past its deadline: dropped, its late answer with it. */
  #expireUdp(): void {
    this.#udpTimer = undefined;
    const now = this.#timers.now();
    for (const call of this.#udpCalls) {
      if (now < call.started + this.#handlerTimeoutMs) break;
      call.timedOut = true;
      this.#udpCalls.delete(call);
      this.udpStats.dropped.timeout++;
      this.#log(
        `udp ${call.peer} ${describeMessage(call.request)} ${call.request.length} bytes -> dropped (no answer from the handler within ${this.#handlerTimeoutMs} ms)`,
      );
    }
    this.udpStats.inFlight = this.#udpCalls.size;
    this.#armUdp();
  }

  /** Ask for `bytes` of receive buffer (after bind, as Node requires) and record what the OS gave. */
  setReceiveBuffer(socket: UdpSocket, bytes: number): void {
    if (bytes > 0) {
      try {
        socket.setRecvBufferSize(bytes);
      } catch (e) {
        // setsockopt refused (ERR_SOCKET_BUFFER_SIZE): keep the OS default and say so.
        if ((e as NodeJS.ErrnoException).code !== 'ERR_SOCKET_BUFFER_SIZE') throw e;
        this.#log(`udp receive buffer of ${bytes} bytes refused: ${(e as Error).message}`);
      }
    }
    const granted = socket.getRecvBufferSize();
    this.udpStats.receiveBufferBytes = granted;
    // Linux doubles what it is asked for (bookkeeping) up to twice net.core.rmem_max.
    if (bytes > 0 && granted < bytes) {
      this.#log(
        `udp receive buffer: asked for ${bytes} bytes, the OS gave ${granted} (see net.core.rmem_max)`,
      );
    }
  }

  tcpServer(): Server {
    const server = createServer({ allowHalfOpen: true }, (socket) => {
      if (this.closed) socket.destroy();
      else this.connections.accept(socket);
    });
    server.on('error', (err) => this.#log(`tcp server error: ${err.message}`));
    return server;
  }
}

/** A UDP request in the handler, with its sender for the log line of its deadline. */
interface UdpCall extends HandlerCall {
  readonly peer: string;
}

function listenTcp(server: Server, host: string, port: number, exclusive: boolean): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port, exclusive }, () => {
      server.off('error', reject);
      const addr = server.address();
      resolve(typeof addr === 'object' && addr !== null ? addr.port : port);
    });
  });
}

function bindUdp(socket: UdpSocket, host: string, port: number, exclusive: boolean): Promise<number> {
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind({ address: host, port, exclusive }, () => {
      socket.off('error', reject);
      resolve(socket.address().port);
    });
  });
}

function closeTcp(server: Server | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (server === undefined || !server.listening) return resolve();
    server.close(() => resolve());
  });
}

function closeUdp(socket: UdpSocket | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (socket === undefined) return resolve();
    try {
      socket.close(() => resolve());
    } catch {
      resolve(); // never bound, or already closed
    }
  });
}
