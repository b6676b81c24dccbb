/**
 * What a running {@link KdcServer} counts: every datagram it did not answer
 * and why, and what its TCP side holds (connections, bytes of requests not
 * yet handled) and what it refused or closed. `serveKdc(...).stats()` returns
 * a snapshot; the counters never reset.
 *
 * Kernel-side UDP losses (datagrams dropped because the socket's receive
 * buffer was full) never reach Node: Linux counts them system-wide as
 * `RcvbufErrors` on the `Udp:` lines of /proc/net/snmp.
 *
 * @module
 */

import type { UdpDropReason } from './udp-admission';

/** UDP counters. */
export interface UdpStats {
  /** Datagrams received. */
  readonly received: number;
  /** Replies sent (a RESPONSE_TOO_BIG included). */
  readonly replied: number;
  /** Replies too large for `udpMaxReply`, replaced by KRB_ERR_RESPONSE_TOO_BIG. */
  readonly tooBig: number;
  /**
   * Datagrams not answered, by reason; `handler`: the handler threw and
   * `onHandlerError` is `'drop'`; `port-0`: sent from source port 0, where no
   * reply can go; `busy`: `udpMaxInFlight` requests were in the handler
   * already; `timeout`: the handler did not answer within `handlerTimeoutMs`
   * (its late answer is dropped too).
   */
  readonly dropped: Readonly<Record<UdpDropReason | 'handler' | 'port-0' | 'busy' | 'timeout', number>>;
  /** Requests in the handler now: given to it, neither answered nor given up at `handlerTimeoutMs`. */
  readonly inFlight: number;
  /** The most requests in the handler at once. */
  readonly peakInFlight: number;
  /** Replies the socket failed to send. */
  readonly sendErrors: number;
  /** Errors the socket reported. */
  readonly socketErrors: number;
  /**
   * The receive buffer the OS granted, in bytes (`getRecvBufferSize()`; Linux
   * reports twice what was set, for its bookkeeping, capped at twice
   * net.core.rmem_max).
   */
  readonly receiveBufferBytes: number;
}

/** TCP counters. */
export interface TcpStats {
  /** Connections open now. */
  readonly open: number;
  /** The most open at once. */
  readonly peakOpen: number;
  /** Connections accepted (including ones later closed by the server). */
  readonly accepted: number;
  /** Requests read (complete records). */
  readonly requests: number;
  /** New connections closed at once: their source already had `maxConnectionsPerSource`; or all `maxConnections` were busy with a request. */
  readonly refused: { readonly perSource: number; readonly full: number };
  /** Connections the server closed, by reason. */
  readonly closed: {
    /** No bytes in either direction for `idleTimeoutMs`. */
    readonly idle: number;
    /** A request took longer than `requestTimeoutMs` to arrive. */
    readonly slow: number;
    /** Closed to keep the bytes held within `maxBufferedBytes` (the connection holding the most goes). */
    readonly overBudget: number;
    /** Closed, least recently served first, to make room at `maxConnections`. */
    readonly evicted: number;
    /** A length prefix with the reserved bit set or above `maxRequestBytes` (after KRB_ERR_FIELD_TOOLONG). */
    readonly badLength: number;
    /** The handler did not answer one of its requests within `handlerTimeoutMs`. */
    readonly handlerTimeout: number;
  };
  /** Bytes of requests held now: partial ones still arriving, and complete ones waiting for the handler. */
  readonly bytesHeld: number;
  /** The most held at once. */
  readonly peakBytesHeld: number;
}

/** A server's counters; a transport the server does not serve is absent. */
export interface KdcServerStats {
  readonly udp?: UdpStats;
  readonly tcp?: TcpStats;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] extends object ? Mutable<T[K]> : T[K] };

/** Live UDP counters. */
export type UdpCounters = Mutable<UdpStats>;
/** Live TCP counters. */
export type TcpCounters = Mutable<TcpStats>;

export function udpCounters(): UdpCounters {
  return {
    received: 0,
    replied: 0,
    tooBig: 0,
    dropped: {
      empty: 0,
      'krb-error': 0,
      'not-a-request': 0,
      'not-kerberos': 0,
      malformed: 0,
      handler: 0,
      'port-0': 0,
      busy: 0,
      timeout: 0,
    },
    inFlight: 0,
    peakInFlight: 0,
    sendErrors: 0,
    socketErrors: 0,
    receiveBufferBytes: 0,
  };
}

export function tcpCounters(): TcpCounters {
  return {
    open: 0,
    peakOpen: 0,
    accepted: 0,
    requests: 0,
    refused: { perSource: 0, full: 0 },
    closed: { idle: 0, slow: 0, overBudget: 0, evicted: 0, badLength: 0, handlerTimeout: 0 },
    bytesHeld: 0,
    peakBytesHeld: 0,
  };
}

/** A deep copy, so a snapshot does not change as the server runs. */
export function snapshot<T>(counters: T): T {
  return structuredClone(counters);
}
