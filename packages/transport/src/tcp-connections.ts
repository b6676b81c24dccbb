/**
 * The TCP side of a KDC server (RFC 4120 section 7.2.2) and what it may hold.
 * Records are read as they arrive and answered in order; everything a peer
 * can make the server keep is bounded, so that well-behaved clients are
 * still served while others misbehave:
 *
 * - connections: at most `maxConnectionsPerSource` from one address (more
 *   are refused at once), and at most `maxConnections` in all. At that cap a
 *   new connection takes the place of the one served least recently (or
 *   never) that has no request in the handler (MIT's KDC makes room the same
 *   way, closing its oldest connection, busy or not); when every one is busy,
 *   the newcomer is refused.
 * - time: a connection with no bytes either way for `idleTimeoutMs` is
 *   closed, and so is one whose request (length prefix included) has not
 *   fully arrived `requestTimeoutMs` after its first byte. A byte now and
 *   then resets the first clock, never the second. A request in the handler
 *   keeps its connection from being idle, for `handlerTimeoutMs` at most:
 *   then the connection is closed (the client takes it for a KDC that does
 *   not answer and tries the realm's next, as after a lost datagram; a
 *   KRB-ERROR would be a final answer), and the late answer is dropped. So a
 *   handler that never settles holds a connection, and its place under
 *   `maxConnections`, no longer than that.
 * - memory: the bytes of partial requests and of complete ones waiting for
 *   the handler, over all connections, stay within `maxBufferedBytes`. A
 *   chunk that would pass it closes the connection holding the most (the
 *   sender itself when it is the largest), so a few large slow requests
 *   cannot crowd out small ones. A closed connection's bytes are released at
 *   once. Per connection, at most `maxPipelined` requests wait for the
 *   handler, also of those that came in one read (the rest wait as bytes,
 *   counted, and are taken on a later turn of the event loop as answers
 *   free room), and reading stops while replies wait for the peer to read
 *   them (so do those parses).
 *
 * A peer that half-closes (FIN) after sending still gets the reply to every
 * complete request it sent, in order, within the same limits (RFC 4120
 * section 7.2.2: the reply goes back on the stream the request came on); then
 * the server ends its side too. A partial record left at the FIN is never
 * answered. The handler is not asked for a request whose reply can no longer
 * be sent.
 *
 * @module
 */

import type { Socket } from 'node:net';
import { frameTcp, type TcpReadEvent, TcpRecordReader } from './framing';
import { describeMessage } from './message-type';
import type { TcpCounters } from './server-stats';
import type { ServerTimers } from './server-timers';

/** The limits of {@link TcpConnections}, all resolved. */
export interface TcpLimits {
  readonly maxRequestBytes: number;
  readonly idleTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly maxPipelined: number;
  readonly maxConnections: number;
  readonly maxConnectionsPerSource: number;
  readonly maxBufferedBytes: number;
  /** How long a request may be in the handler (0 = no limit). */
  readonly handlerTimeoutMs: number;
}

/** One request in the handler, watched for its deadline (`handlerTimeoutMs`). */
export interface HandlerCall {
  readonly request: Uint8Array;
  /** `timers.now()` when the handler got it. */
  readonly started: number;
  /** Set once the deadline passed: the request was given up, and its answer, when it comes, is dropped. */
  timedOut: boolean;
}

/** What the table needs from its server. */
export interface TcpHooks {
  /** Answer one request; `undefined` sends nothing (and so does a `call` that timed out). Never throws. */
  readonly serve: (request: Uint8Array, peer: string, call: HandlerCall) => Promise<Uint8Array | undefined>;
  /** The KRB_ERR_FIELD_TOOLONG reply for a bad length prefix. */
  readonly badLength: (why: string) => Uint8Array;
  readonly log: (line: string) => void;
  readonly timers: ServerTimers;
}

type CloseReason = 'idle' | 'slow' | 'overBudget' | 'evicted' | 'handlerTimeout';

/** One accepted connection. */
class Connection {
  readonly socket: Socket;
  readonly peer: string;
  readonly source: string;
  readonly reader: TcpRecordReader;
  /** Requests read and not yet answered. */
  pending = 0;
  /** Bytes of complete requests not yet given to the handler. */
  queued = 0;
  /** This connection's share of the table's bytesHeld. */
  held = 0;
  /** `timers.now()` of the last byte read or reply written. */
  lastActivity: number;
  /** `timers.now()` when the first byte of the record now arriving came; undefined between records. */
  requestStart: number | undefined;
  /** The request in the handler now (requests are answered in order: one at a time). */
  call: HandlerCall | undefined;
  timer: unknown;
  timerAt = Number.POSITIVE_INFINITY;
  writeBlocked = false;
  /** A parse of the reader's waiting bytes is scheduled (see TcpConnections.#parseLater). */
  parseScheduled = false;
  /** The peer half-closed (FIN): nothing more comes; what it sent whole is answered, then the connection ends. */
  peerEnded = false;
  /** Our side's end is queued behind the replies still owed: no reply is written after it. */
  ending = false;
  /** Closed or closing: out of the table, its bytes released. */
  gone = false;
  chain: Promise<void> = Promise.resolve();

  constructor(socket: Socket, source: string, maxRequestBytes: number, now: number) {
    this.socket = socket;
    this.source = source;
    this.peer = `${source}:${socket.remotePort}`;
    this.reader = new TcpRecordReader(maxRequestBytes);
    this.lastActivity = now;
  }
}

/** The open connections of one server, and their limits. */
export class TcpConnections {
  readonly stats: TcpCounters;
  readonly #l: TcpLimits;
  readonly #h: TcpHooks;
  /** In order of least recently served first: a connection moves to the end when a request completes. */
  readonly #live = new Set<Connection>();
  readonly #perSource = new Map<string, number>();
  #closed = false;

  constructor(limits: TcpLimits, hooks: TcpHooks, stats: TcpCounters) {
    this.#l = limits;
    this.#h = hooks;
    this.stats = stats;
  }

  /** Take a new connection, or refuse it. */
  accept(socket: Socket): void {
    const source = socket.remoteAddress;
    if (this.#closed || source === undefined) {
      socket.destroy(); // closing down, or the peer already left
      return;
    }
    const fromSource = this.#perSource.get(source) ?? 0;
    if (fromSource >= this.#l.maxConnectionsPerSource) {
      this.stats.refused.perSource++;
      this.#h.log(
        `tcp ${source}:${socket.remotePort} refused: ${fromSource} connections from ${source} already (maxConnectionsPerSource)`,
      );
      socket.destroy();
      return;
    }
    if (this.#live.size >= this.#l.maxConnections) {
      const victim = this.#leastRecentlyServedIdle();
      if (victim === undefined) {
        this.stats.refused.full++;
        this.#h.log(
          `tcp ${source}:${socket.remotePort} refused: all ${this.#l.maxConnections} connections busy (maxConnections)`,
        );
        socket.destroy();
        return;
      }
      this.#close(
        victim,
        'evicted',
        `least recently served, making room at ${this.#l.maxConnections} connections (maxConnections)`,
      );
    }
    const conn = new Connection(socket, source, this.#l.maxRequestBytes, this.#h.timers.now());
    this.#live.add(conn);
    this.#perSource.set(source, fromSource + 1);
    this.stats.accepted++;
    this.stats.open = this.#live.size;
    this.stats.peakOpen = Math.max(this.stats.peakOpen, this.stats.open);

    socket.on('data', (chunk: Buffer) => this.#data(conn, chunk));
    // The peer's FIN: it sends no more, but its replies still go back on this stream (RFC 4120
    // section 7.2.2), every whole request's, in order; our side ends after them (#finish).
    socket.on('end', () => {
      conn.peerEnded = true;
      conn.requestStart = undefined; // nothing more arrives: a partial record left is dropped at the end
      this.#finish(conn);
      this.#arm(conn);
    });
    socket.on('close', () => this.#forget(conn));
    socket.on('error', (err) => this.#h.log(`tcp ${conn.peer} error: ${err.message}`));
    this.#arm(conn);
  }

  /** Drop every connection (server shutdown). */
  closeAll(): void {
    this.#closed = true;
    for (const conn of [...this.#live]) {
      this.#forget(conn);
      conn.socket.destroy();
    }
  }

  #leastRecentlyServedIdle(): Connection | undefined {
    for (const conn of this.#live) if (conn.pending === 0) return conn;
    return undefined;
  }

  #data(conn: Connection, chunk: Buffer): void {
    if (conn.gone || conn.reader.failed) return;
    const now = this.#h.timers.now();
    conn.lastActivity = now;
    if (
      this.stats.bytesHeld + chunk.length > this.#l.maxBufferedBytes &&
      !this.#makeRoom(conn, chunk.length)
    ) {
      return;
    }
    this.#take(conn, conn.reader.push(chunk, this.#room(conn)), now);
  }

  /** How many more requests `conn` may have waiting for the handler. */
  #room(conn: Connection): number {
    return Math.max(0, this.#l.maxPipelined - conn.pending);
  }

  /** Queue the records `events` completed (or refuse a bad prefix), then account, flow and arm. */
  #take(conn: Connection, events: readonly TcpReadEvent[], now: number): void {
    let completed = 0;
    for (const event of events) {
      if (event.kind === 'record') {
        completed++;
        this.#queue(conn, event.message);
      } else {
        this.#refuseLength(conn, event.reason, event.prefix);
      }
    }
    if (completed > 0) {
      // Served recently: last in line for eviction.
      this.#live.delete(conn);
      this.#live.add(conn);
    }
    if (conn.reader.buffered === 0 || conn.peerEnded) conn.requestStart = undefined;
    else if (completed > 0 || conn.requestStart === undefined) conn.requestStart = now;
    this.#sync(conn);
    this.#flow(conn);
    this.#finish(conn);
    this.#arm(conn);
  }

  /**
   * Requests that came in one read beyond `maxPipelined` wait as bytes in the
   * reader; as answers free room they are parsed, on a later turn of the
   * event loop, so that one connection's burst never keeps the others (and
   * the timers) waiting while it is answered. Not while the peer leaves its
   * replies unread (the 'drain' takes them up): after a FIN these bytes are
   * all that is left to answer, and their replies must not pile up unread.
   */
  #parseLater(conn: Connection): void {
    if (conn.parseScheduled || !conn.reader.hasMore || conn.writeBlocked) return;
    conn.parseScheduled = true;
    setImmediate(() => {
      conn.parseScheduled = false;
      if (conn.gone || conn.writeBlocked || this.#room(conn) === 0) return;
      this.#take(conn, conn.reader.more(this.#room(conn)), this.#h.timers.now());
    });
  }

  /**
   * Bring bytesHeld plus `incoming` within the budget by closing the
   * connections holding the most. False when `conn` itself was closed.
   */
  #makeRoom(conn: Connection, incoming: number): boolean {
    while (this.stats.bytesHeld + incoming > this.#l.maxBufferedBytes) {
      let victim = conn;
      let size = conn.held + incoming;
      for (const c of this.#live) {
        if (c.held > size) {
          victim = c;
          size = c.held;
        }
      }
      this.#close(
        victim,
        'overBudget',
        `holding ${victim === conn ? `${conn.held} + ${incoming}` : victim.held} bytes of requests, the most while all connections together passed maxBufferedBytes (${this.#l.maxBufferedBytes})`,
      );
      if (victim === conn) return false;
    }
    return true;
  }

  #queue(conn: Connection, message: Uint8Array): void {
    this.stats.requests++;
    conn.pending++;
    conn.queued += message.length;
    conn.chain = conn.chain.then(async () => {
      conn.queued -= message.length;
      if (conn.gone) return; // closed meanwhile: nobody to answer, and the bytes were released
      if (!conn.socket.writable) {
        // Closing (reset by the peer, or a write failed): no reply could be sent, so the handler is
        // not asked; it would do the work (a kpasswd change, say) for nobody.
        conn.pending--;
        this.#sync(conn);
        this.#h.log(
          `tcp ${conn.peer} ${describeMessage(message)} ${message.length} bytes -> not handled: the connection is closing`,
        );
        return;
      }
      this.#sync(conn);
      const call: HandlerCall = { request: message, started: this.#h.timers.now(), timedOut: false };
      conn.call = call;
      this.#arm(conn);
      const reply = await this.#h.serve(message, conn.peer, call);
      conn.call = undefined;
      conn.pending--;
      if (reply !== undefined) this.#write(conn, reply);
      this.#parseLater(conn);
      this.#flow(conn);
      this.#finish(conn);
      this.#arm(conn);
    });
  }

  /**
   * After the peer's FIN, end our side once every complete record it sent is answered: none is
   * left in the handler's queue or waiting in the reader. Queued on the chain, behind the replies
   * (and a refusal) still being written.
   */
  #finish(conn: Connection): void {
    if (!conn.peerEnded || conn.ending || conn.gone || conn.pending > 0 || conn.reader.hasMore) return;
    conn.ending = true;
    conn.chain = conn.chain.then(() => {
      if (!conn.socket.destroyed) conn.socket.end();
    });
  }

  #refuseLength(conn: Connection, reason: 'reserved-bit' | 'too-long', prefix: number): void {
    const hex = `0x${prefix.toString(16).padStart(8, '0')}`;
    const why =
      reason === 'reserved-bit'
        ? `length prefix ${hex} has the reserved high bit set`
        : `length prefix ${hex} (${prefix} bytes) exceeds the ${this.#l.maxRequestBytes}-byte limit`;
    this.stats.closed.badLength++;
    conn.ending = true;
    conn.chain = conn.chain.then(() => {
      this.#h.log(`tcp ${conn.peer} ${why}; replying KRB_ERR_FIELD_TOOLONG and closing`);
      this.#write(conn, this.#h.badLength(why));
      if (!conn.socket.destroyed) conn.socket.end();
    });
  }

  #write(conn: Connection, reply: Uint8Array): void {
    const socket = conn.socket;
    if (conn.gone || socket.destroyed || !socket.writable) {
      // The handler's answer was logged as given: say that it did not go out (the peer left, or a
      // limit closed the connection while the handler worked). Not after the server's shutdown.
      if (!this.#closed) {
        this.#h.log(
          `tcp ${conn.peer} ${describeMessage(reply)} ${reply.length} bytes not sent: the connection is closed`,
        );
      }
      return;
    }
    conn.lastActivity = this.#h.timers.now();
    if (!socket.write(frameTcp(reply)) && !conn.writeBlocked) {
      // The peer is not reading its replies: stop reading its requests until it does.
      conn.writeBlocked = true;
      socket.once('drain', () => {
        conn.writeBlocked = false;
        this.#parseLater(conn);
        this.#flow(conn);
      });
    }
  }

  /**
   * Read while there is room: fewer than maxPipelined waiting, replies being taken. After a bad
   * prefix the connection keeps reading, discarding (`#data`), so the peer's close is seen and its
   * place under the connection limits is given back at once rather than at the idle timeout.
   */
  #flow(conn: Connection): void {
    if (conn.gone) return;
    // Bytes already read and not parsed come first: no more are read until they are.
    const stop = conn.pending >= this.#l.maxPipelined || conn.writeBlocked || conn.reader.hasMore;
    if (stop && !conn.socket.isPaused()) conn.socket.pause();
    else if (!stop && conn.socket.isPaused()) conn.socket.resume();
  }

  /** Carry a change in `conn`'s bytes into bytesHeld. */
  #sync(conn: Connection): void {
    if (conn.gone) return;
    const held = conn.reader.buffered + conn.queued;
    this.stats.bytesHeld += held - conn.held;
    conn.held = held;
    if (this.stats.bytesHeld > this.stats.peakBytesHeld) this.stats.peakBytesHeld = this.stats.bytesHeld;
  }

  /** The next deadline of `conn`: idle, its request's arrival, or the handler's answer. */
  #due(conn: Connection): number {
    let due = Number.POSITIVE_INFINITY;
    if (this.#l.idleTimeoutMs > 0) due = conn.lastActivity + this.#l.idleTimeoutMs;
    if (this.#l.requestTimeoutMs > 0 && conn.requestStart !== undefined) {
      due = Math.min(due, conn.requestStart + this.#l.requestTimeoutMs);
    }
    if (this.#l.handlerTimeoutMs > 0 && conn.call !== undefined) {
      due = Math.min(due, conn.call.started + this.#l.handlerTimeoutMs);
    }
    return due;
  }

  /**
   * Keep one timer per connection, at or before its next deadline. Activity
   * only moves deadlines later, so the timer is left alone then and re-armed
   * when it fires early: no timer churn per chunk.
   */
  #arm(conn: Connection): void {
    if (conn.gone) return;
    const due = this.#due(conn);
    if (due >= conn.timerAt) return;
    if (conn.timer !== undefined) this.#h.timers.clearTimeout(conn.timer);
    conn.timerAt = due;
    conn.timer = this.#h.timers.setTimeout(() => this.#expire(conn), Math.max(0, due - this.#h.timers.now()));
  }

  #expire(conn: Connection): void {
    conn.timer = undefined;
    conn.timerAt = Number.POSITIVE_INFINITY;
    if (conn.gone) return;
    const now = this.#h.timers.now();
    const l = this.#l;
    const call = conn.call;
    if (call !== undefined && l.handlerTimeoutMs > 0 && now >= call.started + l.handlerTimeoutMs) {
      call.timedOut = true;
      this.#close(
        conn,
        'handlerTimeout',
        `${describeMessage(call.request)} ${call.request.length} bytes: no answer from the handler within ${l.handlerTimeoutMs} ms`,
      );
      return;
    }
    if (
      conn.requestStart !== undefined &&
      l.requestTimeoutMs > 0 &&
      now >= conn.requestStart + l.requestTimeoutMs
    ) {
      if (conn.socket.isPaused()) {
        conn.requestStart = now; // we stopped reading, not the peer sending: its clock restarts
      } else {
        const got = conn.reader.buffered;
        this.#close(
          conn,
          'slow',
          `request not complete after ${l.requestTimeoutMs} ms (${got} bytes so far)`,
        );
        return;
      }
    }
    if (l.idleTimeoutMs > 0 && now >= conn.lastActivity + l.idleTimeoutMs) {
      if (conn.pending > 0) {
        conn.lastActivity = now; // a slow handler is not an idle client (handlerTimeoutMs bounds it)
      } else {
        this.#close(conn, 'idle', `idle for ${l.idleTimeoutMs} ms`);
        return;
      }
    }
    this.#arm(conn);
  }

  #close(conn: Connection, reason: CloseReason, why: string): void {
    if (conn.gone) return;
    this.stats.closed[reason]++;
    this.#h.log(`tcp ${conn.peer} ${why}; closing`);
    this.#forget(conn);
    conn.socket.destroy();
  }

  /** Take `conn` out of the table and release what it held. Idempotent. */
  #forget(conn: Connection): void {
    if (conn.gone) return;
    conn.gone = true;
    this.#live.delete(conn);
    const n = (this.#perSource.get(conn.source) ?? 1) - 1;
    if (n === 0) this.#perSource.delete(conn.source);
    else this.#perSource.set(conn.source, n);
    this.stats.bytesHeld -= conn.held;
    conn.held = 0;
    conn.reader.discard();
    if (conn.timer !== undefined) this.#h.timers.clearTimeout(conn.timer);
    conn.timer = undefined;
    this.stats.open = this.#live.size;
  }
}
