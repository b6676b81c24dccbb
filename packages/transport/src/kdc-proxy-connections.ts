/**
 * What a KDC proxy on the network (`serveKdcProxy`) holds for its peers, and
 * the bounds on it, as `tcp-connections.ts` bounds a KDC's TCP side. Each
 * connection carries one request (every response closes it), so:
 *
 * - connections: at most `maxConnectionsPerSource` open from one address
 *   (more are closed at once), and at most `maxConnections` in all. At that
 *   cap a new connection takes the place of the oldest one whose request is
 *   not at the KDC (still in its TLS handshake, its headers or its body, or
 *   being answered), as MIT's KDC makes room by closing one (its oldest);
 *   when every one has its request at the KDC, the newcomer is closed.
 * - memory: the bytes of request bodies being read, over all connections,
 *   stay within `maxBufferedBytes`. A chunk that would pass it ends the
 *   request holding the most (the sender's own when it is the largest) with
 *   503, so a few large slow bodies cannot crowd out small ones. A body's
 *   bytes are released once it is handed to the KDC or its connection closes.
 *
 * Time is bounded by node:tls and node:http themselves (see `serveKdcProxy`).
 *
 * @module
 */

import type { Socket } from 'node:net';

/** The limits of {@link KdcProxyConnections}, all resolved. */
export interface KdcProxyLimits {
  readonly maxConnections: number;
  readonly maxConnectionsPerSource: number;
  readonly maxBufferedBytes: number;
}

/** The counters {@link KdcProxyConnections} keeps (part of `KdcProxyServerStats`). */
export interface KdcProxyConnectionCounters {
  open: number;
  peakOpen: number;
  refusedPerSource: number;
  refusedFull: number;
  evicted: number;
  overBudget: number;
  bytesHeld: number;
  peakBytesHeld: number;
}

/** One accepted TCP connection. */
interface Connection {
  readonly socket: Socket;
  readonly source: string;
  readonly peer: string;
  /** Its request has been handed to the KDC and is not answered yet. */
  atKdc: boolean;
  /** Body bytes of its request read and not yet handed to the KDC. */
  held: number;
  /** Ends the body being read with 503 (set while one is read). */
  stopBody: (() => void) | undefined;
}

/** The open connections of one KDC proxy server, keyed by their TCP socket, oldest first. */
export class KdcProxyConnections {
  readonly #limits: KdcProxyLimits;
  readonly #log: (line: string) => void;
  readonly #stats: KdcProxyConnectionCounters;
  readonly #live = new Map<Socket, Connection>();
  readonly #perSource = new Map<string, number>();
  /** Sockets this table closed: node:tls reports their end as a failed handshake, which is no news. */
  readonly #closedHere = new WeakSet<Socket>();

  constructor(limits: KdcProxyLimits, log: (line: string) => void, stats: KdcProxyConnectionCounters) {
    this.#limits = limits;
    this.#log = log;
    this.#stats = stats;
  }

  /** Take a new TCP connection, or close it; its `close` event releases what it holds. */
  accept(socket: Socket): void {
    const source = socket.remoteAddress;
    if (source === undefined) {
      socket.destroy(); // the peer already left
      return;
    }
    const peer = `${source}:${socket.remotePort}`;
    const fromSource = this.#perSource.get(source) ?? 0;
    if (fromSource >= this.#limits.maxConnectionsPerSource) {
      this.#stats.refusedPerSource++;
      this.#log(
        `kkdcp ${peer} refused: ${fromSource} connections from ${source} already (maxConnectionsPerSource)`,
      );
      this.#destroy(socket);
      return;
    }
    if (this.#live.size >= this.#limits.maxConnections) {
      const victim = this.#oldestNotAtKdc();
      if (victim === undefined) {
        this.#stats.refusedFull++;
        this.#log(
          `kkdcp ${peer} refused: all ${this.#limits.maxConnections} connections have a request at the KDC (maxConnections)`,
        );
        this.#destroy(socket);
        return;
      }
      this.#stats.evicted++;
      this.#log(
        `kkdcp ${victim.peer} closed: the oldest connection without a request at the KDC, making room at ${this.#limits.maxConnections} connections (maxConnections)`,
      );
      this.#forget(victim.socket);
      this.#destroy(victim.socket);
    }
    this.#live.set(socket, { socket, source, peer, atKdc: false, held: 0, stopBody: undefined });
    this.#perSource.set(source, fromSource + 1);
    this.#stats.open = this.#live.size;
    this.#stats.peakOpen = Math.max(this.#stats.peakOpen, this.#stats.open);
    socket.once('close', () => this.#forget(socket));
  }

  /** Whether this table closed `socket` (refused or evicted it). */
  closedHere(socket: Socket): boolean {
    return this.#closedHere.has(socket);
  }

  /** Mark `socket`'s request as handed to the KDC (its body's bytes released), or answered. */
  setAtKdc(socket: Socket, atKdc: boolean): void {
    const conn = this.#live.get(socket);
    if (conn === undefined) return;
    conn.atKdc = atKdc;
    if (atKdc) this.#release(conn);
  }

  /**
   * A body is being read on `socket`: `stop` ends it with 503 when another
   * connection's chunk needs its room.
   */
  startBody(socket: Socket, stop: () => void): void {
    const conn = this.#live.get(socket);
    if (conn !== undefined) conn.stopBody = stop;
  }

  /**
   * Account `bytes` more of `socket`'s body. False when they would pass
   * `maxBufferedBytes` and this body holds the most: the caller ends it with
   * 503. Other bodies ended to make room are stopped here.
   */
  hold(socket: Socket, bytes: number): boolean {
    const conn = this.#live.get(socket);
    if (conn === undefined) return false; // closed meanwhile
    const budget = this.#limits.maxBufferedBytes;
    while (this.#stats.bytesHeld + bytes > budget) {
      let victim: Connection = conn;
      let size = conn.held + bytes;
      for (const c of this.#live.values()) {
        if (c.held > size) {
          victim = c;
          size = c.held;
        }
      }
      this.#stats.overBudget++;
      this.#log(
        `kkdcp ${victim.peer} -> 503 (holding ${victim === conn ? `${conn.held} + ${bytes}` : victim.held} bytes of request body, the most while all connections together passed maxBufferedBytes (${budget}))`,
      );
      const stop = victim.stopBody;
      this.#release(victim);
      if (victim === conn) return false;
      stop?.();
    }
    conn.held += bytes;
    this.#stats.bytesHeld += bytes;
    this.#stats.peakBytesHeld = Math.max(this.#stats.peakBytesHeld, this.#stats.bytesHeld);
    return true;
  }

  /** `socket`'s body will not be read to its end (too large, or the client left): release its bytes. */
  dropBody(socket: Socket): void {
    const conn = this.#live.get(socket);
    if (conn !== undefined) this.#release(conn);
  }

  /** Close every connection (server shutdown). */
  closeAll(): void {
    for (const socket of [...this.#live.keys()]) {
      this.#forget(socket);
      socket.destroy();
    }
  }

  #destroy(socket: Socket): void {
    this.#closedHere.add(socket);
    socket.destroy();
  }

  #oldestNotAtKdc(): Connection | undefined {
    for (const conn of this.#live.values()) if (!conn.atKdc) return conn;
    return undefined;
  }

  /** Give back `conn`'s body bytes; its body, if any, is no longer read. */
  #release(conn: Connection): void {
    this.#stats.bytesHeld -= conn.held;
    conn.held = 0;
    conn.stopBody = undefined;
  }

  /** Take `socket` out of the table and release what it held. Idempotent. */
  #forget(socket: Socket): void {
    const conn = this.#live.get(socket);
    if (conn === undefined) return;
    this.#live.delete(socket);
    this.#release(conn);
    const n = (this.#perSource.get(conn.source) ?? 1) - 1;
    if (n === 0) this.#perSource.delete(conn.source);
    else this.#perSource.set(conn.source, n);
    this.#stats.open = this.#live.size;
  }
}
