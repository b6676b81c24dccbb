/**
 * The record of one traced exchange, shared by the `Trace` that makes
 * it (`trace.ts`) and the renderers that read it (`pcap.ts`). It lives on its
 * own so that neither of those modules imports the other for it.
 *
 * @module
 */

import type { TransportKind } from './types';

/**
 * What an entry's bytes are: Kerberos messages (DER, no framing; the
 * default), kpasswd messages (RFC 3244: the 6-byte header, then AP-REQ and
 * KRB-PRIV, or AP-REP and KRB-PRIV, or a KRB-ERROR), TDS messages (MS-TDS
 * packets, headers included, in the clear) or HTTP/1.1 messages (start line,
 * headers and body, in the clear: what a capture decrypted with the TLS key
 * log shows, e.g. a PRT token request).
 */
export type TraceProtocol = 'kerberos' | 'kpasswd' | 'tds' | 'http';

/** One request and, unless it failed or was one-way, its reply. */
export interface TraceEntry {
  /** 1-based position in the trace. */
  readonly seq: number;
  /** When it was recorded (the trace's clock, milliseconds). */
  readonly time: number;
  readonly from: string;
  readonly to: string;
  readonly transport: TransportKind;
  /** Absent for Kerberos. */
  readonly protocol?: Exclude<TraceProtocol, 'kerberos'>;
  /**
   * The connection the exchange was part of: entries with the same stream
   * are one TCP connection, in order (a TDS session's PRELOGIN, LOGIN7,
   * batches). Absent: the exchange had a connection (or datagram) of its own.
   */
  readonly stream?: string;
  readonly request: Uint8Array;
  readonly reply?: Uint8Array;
  /** `AS-REQ`, `TGS-REQ`, `AP-REQ`, ... or `unknown`; `KPASSWD-REQ` (`kpasswdMessageType`); for TDS what the recorder named it (`LOGIN7`). */
  readonly requestType: string;
  /** `AS-REP`, `KRB-ERROR`, ... when there is a reply; for TDS what the recorder named it (`LOGINACK`). */
  readonly replyType?: string;
  /** Caller's annotation of the request, e.g. `sname=HTTP/web.contoso.com`. */
  readonly label?: string;
  /** Caller's annotation of the reply. */
  readonly replyLabel?: string;
  /** Why the exchange failed (no reply), e.g. `cannot find KDC for realm X`. */
  readonly error?: string;
}
