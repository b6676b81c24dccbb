/**
 * The transport contracts. The KDC is a function from request bytes to reply
 * bytes ({@link KdcHandler}); a client reaches a realm's KDC through a
 * {@link KdcTransport}. Only bytes cross these seams, never decoded objects,
 * so every path (in process, UDP, TCP, KDC proxy) carries exactly what would
 * go over the wire (RFC 4120 section 7.2).
 *
 * @module
 */

/** How a request reached the KDC. `'kkdcp'` is MS-KKDCP (KDC proxy over HTTPS). */
export type TransportKind = 'inproc' | 'udp' | 'tcp' | 'kkdcp';

/** What a {@link KdcHandler} is told about a request besides its bytes. */
export interface KdcRequestInfo {
  readonly transport: TransportKind;
  /** The sender: `host:port` for network transports, a participant name in process. */
  readonly peer?: string;
  /**
   * Over UDP, the longest reply the server sends: a longer one reaches the
   * client as KRB_ERR_RESPONSE_TOO_BIG (RFC 4120 section 7.2.1), so that it
   * retries over TCP.
   */
  readonly udpMaxReply?: number;
}

/**
 * A KDC: DER request in, DER reply out (an AS-REP, TGS-REP or KRB-ERROR). It
 * may return nothing meaningful only by throwing; servers turn a throw into a
 * generic KRB-ERROR and a log line, never a crash.
 */
export type KdcHandler = (request: Uint8Array, info: KdcRequestInfo) => Promise<Uint8Array> | Uint8Array;

/** Per-send details a caller may give a transport (used for traces and logs only). */
export interface SendOptions {
  /** Who is sending, for the trace (`alice@CONTOSO.COM`). */
  readonly from?: string;
  /** A label for the request in traces, e.g. `sname=MSSQLSvc/sql.contoso.com:1433`. */
  readonly label?: string;
  /** A label for the reply in traces. */
  readonly replyLabel?: string;
}

/** The client side: deliver a request to `realm`'s KDC and return its reply. */
export interface KdcTransport {
  /**
   * Send `request` (DER, without any length prefix) to a KDC of `realm`.
   *
   * @throws KerberosError `KDC_ERR_SVC_UNAVAILABLE` when no KDC of the realm is
   *   known or reachable (MIT reports this as KRB5_KDC_UNREACH).
   */
  send(realm: string, request: Uint8Array, options?: SendOptions): Promise<Uint8Array>;
}
