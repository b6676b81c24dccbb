/**
 * A KDC on the network: UDP and TCP listeners per RFC 4120 section 7.2 in
 * front of a {@link KdcHandler}.
 *
 * - UDP (section 7.2.1): one request per datagram, one reply datagram. A
 *   reply larger than `udpMaxReply` is replaced by KRB_ERR_RESPONSE_TOO_BIG so
 *   the client retries over TCP.
 * - TCP (section 7.2.2): 4-byte big-endian length prefix per message, several
 *   requests per connection, answered in order. A length with the reserved
 *   high bit set, or above `maxRequestBytes`, gets KRB_ERR_FIELD_TOOLONG and
 *   the connection is closed, before any of the claimed body is read or
 *   allocated.
 * - A handler that throws never takes the server down: one log line, and a
 *   KRB_ERR_GENERIC reply (or none, if so configured).
 *
 * @module
 */

import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import { type Clock, ErrorCode, systemClock } from '@krbsim/core';
import { frameTcp, TcpRecordReader } from './framing';
import { transportKrbError } from './krb-error';
import { describeMessage } from './message-type';
import type { KdcHandler, TransportKind } from './types';

/** Options for {@link serveKdc}. */
export interface ServeKdcOptions {
  /** Address to bind (default `127.0.0.1`). */
  readonly host?: string;
  /** UDP port; 0 (default) lets the OS choose; `false` serves no UDP. */
  readonly udpPort?: number | false;
  /** TCP port; 0 (default) lets the OS choose; `false` serves no TCP. */
  readonly tcpPort?: number | false;
  /** Largest UDP reply sent as is (default 1465, MIT's udp_preference_limit). */
  readonly udpMaxReply?: number;
  /** Largest TCP request accepted (default 1 MiB). */
  readonly maxRequestBytes?: number;
  /** Close a TCP connection idle this long (default 30 000 ms; 0 = never). */
  readonly idleTimeoutMs?: number;
  /** Stop reading a TCP connection while this many of its requests are pending (default 16). */
  readonly maxPipelined?: number;
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
}

/** A running KDC server. */
export interface KdcServer {
  readonly host: string;
  /** The bound UDP port, if serving UDP. */
  readonly udpPort: number | undefined;
  /** The bound TCP port, if serving TCP. */
  readonly tcpPort: number | undefined;
  /** Stop listening, drop open connections, and resolve once everything is closed. Idempotent. */
  close(): Promise<void>;
}

const SAME_PORT_ATTEMPTS = 8;

/**
 * Serve `handler` over UDP and TCP. With both ports left at 0, UDP and TCP
 * share one OS-chosen port, as a `kdc = host:port` line in krb5.conf expects.
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
  const state = new ServerState(handler, options);
  let tcp: Server | undefined;
  let udp: UdpSocket | undefined;
  let tcpPort: number | undefined;
  let udpPort: number | undefined;
  const requestedUdp = options.udpPort === false ? 0 : (options.udpPort ?? 0);
  const requestedTcp = options.tcpPort === false ? 0 : (options.tcpPort ?? 0);
  const samePort = udpWanted && tcpWanted && requestedUdp === 0 && requestedTcp === 0;

  for (let attempt = 1; ; attempt++) {
    try {
      if (tcpWanted) {
        tcp = state.tcpServer();
        tcpPort = await listenTcp(tcp, host, requestedTcp);
      }
      if (udpWanted) {
        udp = state.udpSocket(host);
        udpPort = await bindUdp(udp, host, samePort ? tcpPort! : requestedUdp);
      }
      break;
    } catch (e) {
      await Promise.all([closeTcp(tcp), closeUdp(udp)]);
      tcp = undefined;
      udp = undefined;
      const retry =
        samePort && (e as NodeJS.ErrnoException).code === 'EADDRINUSE' && attempt < SAME_PORT_ATTEMPTS;
      if (!retry) throw e;
    }
  }

  let closing: Promise<void> | undefined;
  return {
    host,
    udpPort,
    tcpPort,
    close() {
      closing ??= (async () => {
        state.closed = true;
        for (const s of state.sockets) s.destroy();
        await Promise.all([closeTcp(tcp), closeUdp(udp)]);
      })();
      return closing;
    },
  };
}

/** Shared per-server state and the per-transport request handling. */
class ServerState {
  closed = false;
  readonly sockets = new Set<Socket>();
  readonly #handler: KdcHandler;
  readonly #o: ServeKdcOptions;
  readonly #clock: Clock;
  readonly #log: (line: string) => void;

  constructor(handler: KdcHandler, options: ServeKdcOptions) {
    this.#handler = handler;
    this.#o = options;
    this.#clock = options.clock ?? systemClock;
    this.#log = options.log ?? (() => {});
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

  /** Run the handler; never throws. `undefined` means "send nothing". */
  async run(request: Uint8Array, transport: TransportKind, peer: string): Promise<Uint8Array | undefined> {
    const what = `${transport} ${peer} ${describeMessage(request)} ${request.length} bytes`;
    try {
      const reply: unknown = await this.#handler(request, { transport, peer });
      if (!(reply instanceof Uint8Array)) throw new TypeError('handler returned no bytes');
      if (transport === 'udp' && reply.length > (this.#o.udpMaxReply ?? 1465)) {
        const tooBig = this.#o.tooBig?.(request) ?? this.#error(ErrorCode.KRB_ERR_RESPONSE_TOO_BIG, request);
        this.#log(
          `${what} -> ${describeMessage(reply)} ${reply.length} bytes too big for UDP: ${describeMessage(tooBig)}`,
        );
        return tooBig;
      }
      this.#log(`${what} -> ${describeMessage(reply)} ${reply.length} bytes`);
      return reply;
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      if (this.#o.onHandlerError === 'drop') {
        this.#log(`${what} -> handler failed (${reason}); no reply`);
        return undefined;
      }
      this.#log(`${what} -> handler failed (${reason}); replying KRB_ERR_GENERIC`);
      return this.#error(ErrorCode.KRB_ERR_GENERIC, request, 'internal KDC error');
    }
  }

  udpSocket(host: string): UdpSocket {
    const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    socket.on('message', (msg, rinfo) => {
      const request = new Uint8Array(msg);
      const peer = `${rinfo.address}:${rinfo.port}`;
      void this.run(request, 'udp', peer).then((reply) => {
        if (reply === undefined || this.closed) return;
        socket.send(reply, rinfo.port, rinfo.address, (err) => {
          if (err) this.#log(`udp ${peer} send failed: ${err.message}`);
        });
      });
    });
    socket.on('error', (err) => this.#log(`udp socket error: ${err.message}`));
    return socket;
  }

  tcpServer(): Server {
    const server = createServer({ allowHalfOpen: true }, (socket) => this.#connection(socket));
    server.on('error', (err) => this.#log(`tcp server error: ${err.message}`));
    return server;
  }

  #connection(socket: Socket): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    const peer = `${socket.remoteAddress}:${socket.remotePort}`;
    const maxRequest = this.#o.maxRequestBytes ?? 1 << 20;
    const maxPipelined = this.#o.maxPipelined ?? 16;
    const idle = this.#o.idleTimeoutMs ?? 30_000;
    const reader = new TcpRecordReader(maxRequest);
    let chain: Promise<void> = Promise.resolve();
    let pending = 0;
    const write = (bytes: Uint8Array) => {
      if (!this.closed && !socket.destroyed && socket.writable) socket.write(frameTcp(bytes));
    };

    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', (err) => this.#log(`tcp ${peer} error: ${err.message}`));
    if (idle > 0) {
      socket.setTimeout(idle, () => {
        // A slow handler is not an idle client: the reply's write re-arms the timer.
        if (pending > 0) return;
        this.#log(`tcp ${peer} idle for ${idle} ms; closing`);
        socket.destroy();
      });
    }
    socket.on('end', () => {
      chain = chain.then(() => {
        if (!socket.destroyed) socket.end();
      });
    });
    socket.on('data', (chunk: Buffer) => {
      for (const event of reader.push(chunk)) {
        if (event.kind === 'record') {
          pending++;
          if (pending >= maxPipelined) socket.pause();
          chain = chain.then(async () => {
            const reply = await this.run(event.message, 'tcp', peer);
            if (reply !== undefined) write(reply);
            pending--;
            if (socket.isPaused() && pending < maxPipelined && !reader.failed) socket.resume();
          });
          continue;
        }
        const prefix = `0x${event.prefix.toString(16).padStart(8, '0')}`;
        const why =
          event.reason === 'reserved-bit'
            ? `length prefix ${prefix} has the reserved high bit set`
            : `length prefix ${prefix} (${event.prefix} bytes) exceeds the ${maxRequest}-byte limit`;
        socket.pause();
        chain = chain.then(() => {
          this.#log(`tcp ${peer} ${why}; replying KRB_ERR_FIELD_TOOLONG and closing`);
          write(this.#error(ErrorCode.KRB_ERR_FIELD_TOOLONG, undefined, why));
          if (!socket.destroyed) socket.end();
        });
      }
    });
  }
}

function listenTcp(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port, exclusive: true }, () => {
      server.off('error', reject);
      const addr = server.address();
      resolve(typeof addr === 'object' && addr !== null ? addr.port : port);
    });
  });
}

function bindUdp(socket: UdpSocket, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind({ address: host, port, exclusive: true }, () => {
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
