/**
 * A KDC proxy on the network: MS-KKDCP over HTTPS in front of a
 * {@link KdcProxy}, so MIT krb5 (`kdc = https://host:port/kerberos`) and
 * Windows clients reach krbsim realms the way they reach Azure AD's
 * `KERBEROS.MICROSOFTONLINE.COM`.
 *
 * - MS-KKDCP section 2.1: the request is an HTTP POST whose body is a
 *   `KDC-PROXY-MESSAGE` (section 2.2.2); the reply body is one too. Both are
 *   `Content-Type: application/kerberos`. A request with no Content-Type is
 *   accepted; one with another type gets 415.
 * - Section 3.2.5: the proxy forwards only well-formed messages that name a
 *   realm it serves and discards the rest: a `kerb-message` that is not an
 *   AS-REQ or TGS-REQ is refused before any KDC is asked (section 3.2.5.1;
 *   see {@link KdcProxy.admit}). Over HTTP the observable effect of
 *   discarding is an error status: 400, with the reason as text and one log
 *   line. A request that was admitted and handed to its KDC and failed there
 *   (the route could not reach a KDC: a KerberosError from
 *   {@link KdcProxyRequest.forward}) is no fault of the request: 503, as the
 *   Python `kdcproxy` answers a KDC it cannot reach.
 * - Wrong path: 404. Wrong method: 405 (`Allow: POST`). A body over
 *   `maxBodyBytes`: 413, decided from Content-Length before reading, or by
 *   counting bytes as they arrive, after which the connection is closed and
 *   nothing more is read. Unparsable HTTP: a bare 400, or 431 for headers
 *   past node:http's maxHeaderSize (RFC 6585 section 5) and 413 for chunk
 *   extensions past its limit, as node:http answers them by default.
 * - The proxy's reply gets 200; anything the KDC throws that is not a
 *   KerberosError gets 500 and a log line, and the server keeps serving.
 * - Log lines and error texts quote what the client sent (its
 *   `target-domain`) with control characters escaped (`log-sink.ts`).
 * - Every response closes its connection once sent (MIT's client sends
 *   HTTP/1.0 and reads to end of stream). `Expect: 100-continue` gets its
 *   100 only once the request is fit to have its body read; any other
 *   expectation gets 417 (RFC 9110 section 10.1.1).
 * - `close()` ends every request with it, those at the KDC included (their
 *   `kdcTimeoutMs` timers cleared, one log line each); nothing is logged
 *   once it has resolved.
 * - What peers can make it hold is bounded (`kdc-proxy-connections.ts`):
 *   connections per address (`maxConnectionsPerSource`) and in all
 *   (`maxConnections`, where a newcomer replaces the oldest connection whose
 *   request is not at the KDC), and request bodies being read over all
 *   connections (`maxBufferedBytes`, past which the largest gets 503).
 * - Time is bounded at each stage, so a peer that stops sending cannot hold
 *   a connection: the TLS handshake (`handshakeTimeoutMs`), the request
 *   headers (`headersTimeoutMs`) and the whole request, body included
 *   (`requestTimeoutMs`, node:http's requestTimeout). A request that misses
 *   its deadline gets 408 and its connection is closed. The KDC's answer has
 *   a deadline of its own (`kdcTimeoutMs`): missed, the request gets 503.
 *
 * @module
 */

import { type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { Socket } from 'node:net';
import { decodeKdcProxyMessage } from '@krbsim/asn1';
import { errorText, escapeControls, isKerberosError, safeLogSink } from '@krbsim/core';
import { checkInteger, MAX_TIMER_MS } from './check-integer';
import type { KdcProxy, KdcProxyRequest } from './kdc-proxy';
import { type KdcProxyConnectionCounters, KdcProxyConnections } from './kdc-proxy-connections';
import { describeMessage } from './message-type';

/** Which URL paths the proxy answers: an exact path, a RegExp, or a predicate. */
export type KdcProxyPath = string | RegExp | ((urlPath: string) => boolean);

/**
 * node:tls takes PEM as a string or a Buffer; the options take any
 * Uint8Array, so that the published types do not need Node's (`Buffer`).
 */
function pemInput(pem: string | Uint8Array): string | Buffer {
  return typeof pem === 'string' || Buffer.isBuffer(pem) ? pem : Buffer.from(pem);
}

/** Options for {@link serveKdcProxy}. */
export interface ServeKdcProxyOptions {
  /** The TLS certificate chain, PEM, as text or bytes (e.g. from `issueServerCertificate`). */
  readonly cert: string | Uint8Array;
  /** The TLS private key, PEM, as text or bytes. */
  readonly key: string | Uint8Array;
  /** Address to bind (default `127.0.0.1`). */
  readonly host?: string;
  /** TCP port; 0 (default) lets the OS choose. */
  readonly port?: number;
  /**
   * The path the proxy answers (default `/kerberos`). A RegExp or predicate
   * gets the path without its query string, e.g. `/^\/[0-9a-f-]{36}\/kerberos$/`
   * for Azure-style `/<tenantId>/kerberos`.
   */
  readonly path?: KdcProxyPath;
  /** Largest request body accepted (default 1 MiB; an integer >= 1). */
  readonly maxBodyBytes?: number;
  /**
   * TCP connections open from one address (default 128); more are closed at
   * once. Clients behind one NAT share it.
   */
  readonly maxConnectionsPerSource?: number;
  /**
   * TCP connections open in all (default 1024). At the limit a new
   * connection replaces the oldest one whose request is not at the KDC
   * (still in its handshake, headers or body); when every one's is, the
   * newcomer is closed.
   */
  readonly maxConnections?: number;
  /**
   * Bytes of request bodies being read, over all connections (default
   * 16 MiB; at least `maxBodyBytes`). A chunk that would pass it ends the
   * request holding the most with 503 and closes its connection.
   */
  readonly maxBufferedBytes?: number;
  /** Close a connection whose TLS handshake is not done this long after it opened (default 10 000 ms). */
  readonly handshakeTimeoutMs?: number;
  /**
   * Answer 408 and close when a request's headers have not all arrived this
   * long after the connection is ready or the request began (default 10 000 ms;
   * at most `requestTimeoutMs`).
   */
  readonly headersTimeoutMs?: number;
  /** Answer 408 and close when a whole request, body included, has not arrived within this (default 30 000 ms). */
  readonly requestTimeoutMs?: number;
  /**
   * Answer 503 and close when the KDC (the proxy's route) has not answered a request within this
   * (default 30 000 ms), as the Python `kdcproxy` answers 503 for a KDC it cannot reach: a stalled
   * route then holds a connection no longer than this (a connection at the KDC is never replaced at
   * `maxConnections`). The late answer is dropped.
   */
  readonly kdcTimeoutMs?: number;
  /** One line per request: peer, realm, message types and sizes, or the HTTP error and why. Never key material. */
  readonly log?: (line: string) => void;
}

/** A running KDC proxy. */
export interface KdcProxyServer {
  readonly host: string;
  readonly port: number;
  /** `https://host:port`. */
  readonly origin: string;
  /** What was served, refused and timed out so far: a snapshot. */
  stats(): KdcProxyServerStats;
  /**
   * The URL for krb5.conf's `kdc =`: the origin plus the path, when `path`
   * is a string; the origin plus `/kerberos` otherwise (append a path your
   * RegExp or predicate accepts instead).
   */
  readonly url: string;
  /**
   * Stop listening, drop open connections (a request still at the KDC is not answered, and its
   * `kdcTimeoutMs` timer is cleared), and resolve once closed; nothing is logged after. Idempotent.
   */
  close(): Promise<void>;
  /** {@link KdcProxyServer.close}, so `await using proxy = await serveKdcProxy(...)` closes it at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** Counters of a {@link KdcProxyServer}. */
export interface KdcProxyServerStats {
  /** TCP connections open now. */
  readonly open: number;
  /** The most TCP connections open at once. */
  readonly peakOpen: number;
  /** New connections closed at once at `maxConnectionsPerSource`. */
  readonly refusedPerSource: number;
  /** New connections closed at once at `maxConnections`, every open one having its request at the KDC. */
  readonly refusedFull: number;
  /** Connections closed to make room for a new one at `maxConnections`. */
  readonly evicted: number;
  /** Requests answered 503 because their body held the most when `maxBufferedBytes` was reached. */
  readonly overBudget: number;
  /** Bytes of request bodies being read now. */
  readonly bytesHeld: number;
  /** The most bytes of request bodies held at once. */
  readonly peakBytesHeld: number;
  /** Requests whose headers arrived (whatever the answer). */
  readonly requests: number;
  /** Requests answered 408: headers or body not complete in time. */
  readonly timedOut: number;
  /** Requests answered 503 because the KDC had not answered within `kdcTimeoutMs`. */
  readonly kdcTimedOut: number;
  /**
   * Requests answered 503 because their KDC failed them once they were handed to it: the route
   * threw a KerberosError (a `UdpTcpTransport` route that could not contact any KDC).
   */
  readonly kdcUnavailable: number;
  /** Connections closed because their TLS handshake did not complete in time. */
  readonly handshakeTimedOut: number;
  /** Requests answered 413. */
  readonly tooLarge: number;
  /** Connections that sent a second request after their first (pipelined): it was neither run nor answered. */
  readonly pipelinedIgnored: number;
}

/** The defaults of the deadlines, as documented on {@link ServeKdcProxyOptions}. */
const DEFAULTS = {
  handshakeTimeoutMs: 10_000,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  kdcTimeoutMs: 30_000,
} as const;

/** The defaults of the bounds on what peers make the server hold, as documented on {@link ServeKdcProxyOptions}. */
const LIMITS = {
  maxBodyBytes: 1 << 20,
  maxConnectionsPerSource: 128,
  maxConnections: 1024,
  maxBufferedBytes: 16 << 20,
} as const;

/**
 * The status node:http's own clientError handler answers a parser error with, where it is not 400:
 * headers past maxHeaderSize, 431 (RFC 6585 section 5); chunk extensions past their limit, 413.
 */
const PARSER_ERROR_STATUS: Readonly<Record<string, number>> = {
  HPE_HEADER_OVERFLOW: 431,
  HPE_CHUNK_EXTENSIONS_OVERFLOW: 413,
};

/**
 * What a request's `Expect` header asks (RFC 9110 section 10.1.1): `'continue'`, a 100 before its
 * body is sent; `'unmet'`, anything else, which gets 417.
 */
type Expectation = 'continue' | 'unmet';

/** The MS-KKDCP media type. */
export const KDC_PROXY_CONTENT_TYPE = 'application/kerberos';

/**
 * Serve `proxy` over HTTPS.
 *
 * @example
 * ```ts
 * const server = await serveKdcProxy(proxy, { cert, key, log: console.log });
 * // krb5.conf: kdc = ${server.url}   http_anchors = FILE:ca.pem
 * await server.close();
 * ```
 */
export async function serveKdcProxy(proxy: KdcProxy, options: ServeKdcProxyOptions): Promise<KdcProxyServer> {
  const host = options.host ?? '127.0.0.1';
  const path = options.path ?? '/kerberos';
  const matches =
    typeof path === 'string'
      ? (p: string) => p === path
      : path instanceof RegExp
        ? (p: string) => {
            path.lastIndex = 0;
            return path.test(p);
          }
        : path;
  const sink = safeLogSink(options.log);
  // Nothing is said once close() has resolved: a line then would tell of a server that is gone.
  let quiet = false;
  const log = (line: string): void => {
    if (!quiet) sink(line);
  };
  const positive = (name: keyof typeof DEFAULTS | keyof typeof LIMITS, max?: number): number =>
    checkInteger(options[name] ?? { ...DEFAULTS, ...LIMITS }[name], `serveKdcProxy: ${name}`, 1, max);
  const maxBody = positive('maxBodyBytes');
  const handshakeTimeout = positive('handshakeTimeoutMs', MAX_TIMER_MS);
  const headersTimeout = positive('headersTimeoutMs', MAX_TIMER_MS);
  const requestTimeout = positive('requestTimeoutMs', MAX_TIMER_MS);
  const kdcTimeout = positive('kdcTimeoutMs', MAX_TIMER_MS);
  if (headersTimeout > requestTimeout) {
    throw new RangeError(
      `serveKdcProxy: headersTimeoutMs (${headersTimeout}) must not exceed requestTimeoutMs (${requestTimeout})`,
    );
  }
  const limits = {
    maxConnectionsPerSource: positive('maxConnectionsPerSource'),
    maxConnections: positive('maxConnections'),
    maxBufferedBytes: positive('maxBufferedBytes'),
  };
  if (limits.maxBufferedBytes < maxBody) {
    throw new RangeError(
      `serveKdcProxy: maxBufferedBytes (${limits.maxBufferedBytes}) must be at least maxBodyBytes (${maxBody})`,
    );
  }
  const counters: KdcProxyConnectionCounters = {
    open: 0,
    peakOpen: 0,
    refusedPerSource: 0,
    refusedFull: 0,
    evicted: 0,
    overBudget: 0,
    bytesHeld: 0,
    peakBytesHeld: 0,
  };
  const stats = {
    requests: 0,
    timedOut: 0,
    kdcTimedOut: 0,
    kdcUnavailable: 0,
    handshakeTimedOut: 0,
    tooLarge: 0,
    pipelinedIgnored: 0,
  };
  // The response in progress on each connection, to tell a headers timeout from a body timeout.
  /** Sockets that brought a request (1), and a second one, ignored (2). */
  const served = new WeakMap<Socket, 1 | 2>();
  const responses = new WeakMap<Socket, ServerResponse>();
  // Connections answered from the clientError handler (408, or a parser error's status): their
  // request handler, if one runs, has nothing more to say.
  const answeredHere = new WeakSet<Socket>();
  /** Requests at the KDC, each with what ends its wait (its kdcTimeoutMs timer cleared) when the server closes. */
  const atKdc = new Set<() => void>();
  let closed = false;

  const server: Server = createServer(
    {
      cert: pemInput(options.cert),
      key: pemInput(options.key),
      handshakeTimeout,
      headersTimeout,
      requestTimeout,
      // node:http checks both deadlines on this period: a few checks per deadline, at most a second apart.
      connectionsCheckingInterval: Math.min(1000, Math.max(10, Math.floor(headersTimeout / 4))),
    },
    (req, res) => onRequest(req, res),
  );
  // RFC 9110 section 10.1.1. `Expect: 100-continue`: the 100 is sent only once the request is fit to
  // have its body read (`handle`), so that one refused from its headers (a Content-Length past
  // maxBodyBytes, say) does not invite the body first. Any other expectation: 417, counted, logged and
  // closed like every refusal here (node:http's own 417 left the connection open for more).
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => onRequest(req, res, 'continue'));
  server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => onRequest(req, res, 'unmet'));

  /** A request whose headers arrived, with what its `Expect` header asks, if anything. */
  function onRequest(req: IncomingMessage, res: ServerResponse, expectation?: Expectation): void {
    if (closed) {
      req.socket.destroy();
      return;
    }
    if (served.has(req.socket)) {
      // A connection carries one request: one pipelined after it is neither run nor answered
      // (the connection closes after the first answer), so that one connection cannot make the
      // KDC work for many requests it will never see answered.
      if (served.get(req.socket) === 1) {
        served.set(req.socket, 2);
        stats.pipelinedIgnored++;
        log(
          `kkdcp ${peerOf(req.socket)} ${req.method} ${(req.url ?? '/').split('?')[0]} -> ignored (a second request on one connection)`,
        );
      }
      return;
    }
    served.set(req.socket, 1);
    stats.requests++;
    responses.set(req.socket, res);
    handle(req, res, expectation).catch((e: unknown) => {
      // A bug (handle answers every failure it knows), such as a log sink that throws: a 500 for
      // this request, never an unhandled rejection, which would end the process and every
      // other client's request with it.
      respond(res, 500, { 'content-type': 'text/plain; charset=utf-8' }, 'internal error\n');
      log(`kkdcp ${req.method} ${(req.url ?? '/').split('?')[0]} -> 500 (internal error: ${errorText(e)})`);
    });
  }

  const connections = new KdcProxyConnections(limits, log, counters);
  // Peers by TCP socket, for the lines logged after a TLS socket has lost its address.
  const peers = new WeakMap<Socket, string>();
  const peerOf = (socket: Socket): string =>
    peers.get(tcpSocketOf(socket)) ?? `${socket.remoteAddress}:${socket.remotePort}`;
  server.on('connection', (socket: Socket) => {
    if (closed) {
      socket.destroy();
      return;
    }
    peers.set(socket, `${socket.remoteAddress}:${socket.remotePort}`);
    connections.accept(socket);
  });
  server.on('tlsClientError', (err: NodeJS.ErrnoException, socket) => {
    if (connections.closedHere(tcpSocketOf(socket))) return; // refused or evicted, and said so
    if (err.code === 'ERR_TLS_HANDSHAKE_TIMEOUT') stats.handshakeTimedOut++;
    log(`kkdcp ${peerOf(socket)} TLS handshake failed: ${err.message}`);
  });
  // Unparsable HTTP: one line and a bare 400 (431 or 413 where node:http answers those). A peer that
  // went away (reset) is no news.
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    // A handshake timeout is reported (and logged) as a tlsClientError too.
    if (err.code === 'ECONNRESET' || err.code === 'EPIPE' || err.code === 'ERR_TLS_HANDSHAKE_TIMEOUT') {
      socket.destroy();
      return;
    }
    if (answeredHere.has(socket)) {
      // Answered and logged here already: the parser reports again on what follows (more bytes, or
      // the peer's FIN: HPE_INVALID_EOF_STATE). One line per event; close once that answer is out.
      socket.destroySoon();
      return;
    }
    if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      // node:http's deadlines: headers not all in by headersTimeout, or the body not by requestTimeout.
      const res = responses.get(socket);
      const what =
        res === undefined
          ? `headers not complete within ${headersTimeout} ms`
          : `request not complete within ${requestTimeout} ms`;
      stats.timedOut++;
      answeredHere.add(socket);
      const request = res === undefined ? '' : ` ${res.req.method} ${(res.req.url ?? '/').split('?')[0]}`;
      log(`kkdcp ${peerOf(socket)}${request} -> 408 (${what})`);
      if (socket.writable && !res?.headersSent) {
        socket.end('HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      } else {
        socket.destroy();
      }
      return;
    }
    const parserStatus = err.code?.startsWith('HPE_') ? (PARSER_ERROR_STATUS[err.code] ?? 400) : undefined;
    // Not after an answer was sent (bytes pipelined after a request): that connection just closes.
    if (socket.writable && parserStatus !== undefined && !responses.get(socket)?.headersSent) {
      // Chunk extensions overflow while a body is read: its handler then sees the close.
      answeredHere.add(socket);
      if (parserStatus === 413) stats.tooLarge++;
      log(`kkdcp ${peerOf(socket)} client error: ${err.code} -> ${parserStatus}`);
      socket.end(
        `HTTP/1.1 ${parserStatus} ${STATUS_CODES[parserStatus]}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
      );
    } else {
      answeredHere.add(socket);
      log(`kkdcp ${peerOf(socket)} client error: ${err.code ?? err.message}`);
      socket.destroy();
    }
  });
  server.on('error', (err) => log(`kkdcp server error: ${err.message}`));

  async function handle(req: IncomingMessage, res: ServerResponse, expectation?: Expectation): Promise<void> {
    const peer = `${req.socket.remoteAddress}:${req.socket.remotePort}`;
    const urlPath = targetPath(req.url);
    const what = `kkdcp ${peer} ${req.method} ${urlPath}`;
    req.on('error', (err) => {
      if (!answeredHere.has(req.socket)) log(`${what} request error: ${err.message}`);
    });
    const fail = (status: number, why: string, headers: Record<string, string> = {}) => {
      if (status === 413) stats.tooLarge++;
      log(`${what} -> ${status} (${why})`);
      respond(res, status, { 'content-type': 'text/plain; charset=utf-8', ...headers }, `${why}\n`);
    };

    if (expectation === 'unmet') return fail(417, 'Expect: only 100-continue is supported');
    if (!matches(urlPath)) return fail(404, 'not a KDC proxy path');
    if (req.method !== 'POST') return fail(405, 'a KDC proxy accepts POST only', { allow: 'POST' });
    const type = req.headers['content-type'];
    if (type !== undefined && type.split(';')[0]!.trim().toLowerCase() !== KDC_PROXY_CONTENT_TYPE) {
      return fail(415, `Content-Type must be ${KDC_PROXY_CONTENT_TYPE}`);
    }
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > maxBody) {
      return fail(413, `Content-Length ${declared} exceeds the ${maxBody}-byte limit`);
    }

    const tcp = tcpSocketOf(req.socket);
    if (expectation === 'continue') res.writeContinue(); // fit to send its body: now it may
    const body = await readBody(req, maxBody, tcp, connections);
    if (body === 'tooLarge') {
      return fail(413, `body exceeds the ${maxBody}-byte limit`);
    }
    if (body === 'overBudget') {
      // Said in the log by the connection table, with the sizes.
      return respond(res, 503, { 'content-type': 'text/plain; charset=utf-8' }, 'server busy\n');
    }
    if (body === 'aborted') {
      if (!answeredHere.has(req.socket)) log(`${what} -> request aborted by the client`);
      return;
    }

    // Read whole: no longer a body being read (maxBufferedBytes), whatever becomes of it.
    connections.dropBody(tcp);
    if (closed) {
      // The server closed as the body came in: no KDC is asked for an answer nobody would get.
      log(`${what} -> not answered (the server closed)`);
      return;
    }
    // MS-KKDCP section 3.2.5.1: what the proxy discards is refused here, before any KDC is asked.
    let admitted: KdcProxyRequest;
    try {
      admitted = proxy.admit(body);
    } catch (e) {
      if (isKerberosError(e)) return fail(400, `discarded: ${errorText(e)}`);
      throw e; // a bug: 500, from the request handler's catch
    }

    connections.setAtKdc(tcp, true);
    let timer: ReturnType<typeof setTimeout> | undefined;
    let abandon!: () => void;
    const outcome = await Promise.race([
      // A route that throws at once is a rejection like any other.
      Promise.resolve()
        .then(() => admitted.forward())
        .then(
          (reply) => ({ reply }),
          (error: unknown) => ({ error }),
        ),
      new Promise<'timeout' | 'closed'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), kdcTimeout);
        // close(): the wait ends now, its timer with it (it would keep the process alive, then
        // count and log a 503 for a server that is gone). Its connection is dropped by close().
        abandon = () => {
          clearTimeout(timer);
          log(`${what} -> not answered (the server closed while the KDC had the request)`);
          resolve('closed');
        };
        atKdc.add(abandon);
      }),
    ]);
    clearTimeout(timer);
    atKdc.delete(abandon);
    connections.setAtKdc(tcp, false);
    if (outcome === 'closed' || closed) return; // said by abandon(); a late answer is dropped
    if (outcome === 'timeout') {
      stats.kdcTimedOut++;
      return fail(503, `the KDC did not answer within ${kdcTimeout} ms`);
    }
    if ('error' in outcome) {
      const reason = errorText(outcome.error);
      // The request was fit to forward: a KerberosError now is its KDC's failure (none reachable), not the client's.
      if (isKerberosError(outcome.error)) {
        stats.kdcUnavailable++;
        return fail(503, `the KDC could not answer: ${reason}`);
      }
      return fail(500, `KDC failed: ${reason}`);
    }
    const { reply } = outcome;
    log(`${what} ${summarize(body)} -> 200 ${summarize(reply)}`);
    respond(res, 200, { 'content-type': KDC_PROXY_CONTENT_TYPE }, reply);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port: options.port ?? 0, exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : (options.port ?? 0);
  const origin = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
  let closing: Promise<void> | undefined;
  return {
    host,
    port,
    origin,
    url: `${origin}${typeof path === 'string' ? path : '/kerberos'}`,
    stats: () => ({ ...counters, ...stats }),
    close() {
      closing ??= new Promise<void>((resolve) => {
        closed = true;
        // Requests at the KDC are ended now, not at kdcTimeoutMs; their connections go with the rest.
        for (const abandon of [...atKdc]) abandon();
        atKdc.clear();
        server.close(() => {
          quiet = true;
          resolve();
        });
        connections.closeAll();
      });
      return closing;
    },
    [Symbol.asyncDispose]() {
      return (this as KdcProxyServer).close();
    },
  };
}

/**
 * Collect a request body, counting bytes as they arrive against the
 * request's `limit` and, through `connections`, the server's budget:
 * `'tooLarge'` past the first, `'overBudget'` when the budget needs this
 * body's room (reading stops there); `'aborted'`: the client went away.
 */
function readBody(
  req: IncomingMessage,
  limit: number,
  tcp: Socket,
  connections: KdcProxyConnections,
): Promise<Uint8Array | 'tooLarge' | 'overBudget' | 'aborted'> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (v: Uint8Array | 'tooLarge' | 'overBudget' | 'aborted') => {
      if (done) return;
      done = true;
      req.off('data', onData);
      if (typeof v === 'string') {
        chunks.length = 0;
        connections.dropBody(tcp);
        if (v !== 'aborted') req.pause();
      }
      resolve(v);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) return finish('tooLarge');
      if (!connections.hold(tcp, chunk.length)) return finish('overBudget');
      chunks.push(chunk);
    };
    connections.startBody(tcp, () => finish('overBudget'));
    req.on('data', onData);
    req.on('end', () => finish(new Uint8Array(Buffer.concat(chunks, size))));
    req.on('close', () => finish('aborted'));
  });
}

/** The TCP socket under a TLS socket (node:tls keeps it as `_parent`), which the connection table is keyed by. */
function tcpSocketOf(socket: Socket): Socket {
  return (socket as Socket & { _parent?: Socket })._parent ?? socket;
}

/** Send a complete response and close the connection once it is written. */
function respond(
  res: ServerResponse,
  status: number,
  headers: Record<string, string>,
  body: string | Uint8Array,
): void {
  if (res.headersSent || res.destroyed) return;
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  res.shouldKeepAlive = false;
  res.writeHead(status, { ...headers, 'content-length': String(bytes.length), connection: 'close' });
  res.end(bytes, () => {
    // The response is flushed; drop whatever of the request is still unread.
    if (!res.req.complete) res.req.socket.destroy();
  });
}

/** `REALM AS-REQ 180 bytes` for a request body, `AS-REP 1400 bytes` for a reply, from the KDC-PROXY-MESSAGE. */
function summarize(body: Uint8Array): string {
  try {
    const msg = decodeKdcProxyMessage(body);
    const inner = msg.kerbMessage.subarray(4);
    const realm = msg.targetDomain === undefined ? '' : `${escapeControls(msg.targetDomain)} `;
    return `${realm}${describeMessage(inner)} ${inner.length} bytes`;
  } catch {
    return `${body.length} bytes`;
  }
}

/**
 * The path of a request target: the origin-form as sent (`/kerberos`), or an absolute-form's
 * (`https://host/kerberos`), which RFC 9112 section 3.2.2 says a server MUST accept; no query.
 */
function targetPath(target: string | undefined): string {
  const t = target ?? '/';
  if (/^https?:\/\//i.test(t)) {
    try {
      return new URL(t).pathname;
    } catch {
      return t;
    }
  }
  return t.split('?')[0]!;
}
