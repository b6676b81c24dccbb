/**
 * The request log of `krbsim serve`: one event per request a KDC answered,
 * its fields from the KDC's own structured event (`KdcRequestEvent`: the
 * message, the client, including a TGS-REQ's, which only the TGT names, the
 * server, the error code), with the transport's peer, sizes and time.
 *
 * Security: the fields are names, sizes, codes and times; the KDC's event
 * carries no key, password-derived value or ticket.
 *
 * @module
 */

import { ErrorCode } from '@krbsim/core';
import type { KdcRequestEvent } from '@krbsim/kdc';
import type { TransportKind } from '@krbsim/transport';

/**
 * How much `krbsim serve` logs, most to least:
 * - `debug`: every request, and the listeners' own lines (sizes, UDP replies too big);
 * - `info` (default): every request;
 * - `error`: requests answered with a KRB-ERROR other than
 *   KDC_ERR_PREAUTH_REQUIRED (the normal first answer to a password
 *   login), and internal errors;
 * - `none`: no request lines.
 * Lifecycle lines (listening, ready, stopped, worker exits) are written at every level.
 */
export type LogLevel = 'debug' | 'info' | 'error' | 'none';

export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'error', 'none'];

/** One request a KDC answered. */
export interface RequestLogEntry {
  /** When the reply was ready (ISO 8601, from the realm's clock). */
  readonly time: string;
  readonly realm: string;
  /** `udp`, `tcp`, or `kkdcp` (MS-KKDCP, the KDC proxy over HTTPS). */
  readonly transport: TransportKind;
  /** `host:port` of the client. */
  readonly peer?: string;
  /** The request's message type (`AS-REQ`, `TGS-REQ`), or `REQ` when it did not decode. */
  readonly msgType: string;
  /** The client principal: an AS-REQ's cname, or a TGS-REQ's TGT client. */
  readonly client?: string;
  /** The server principal the request asked for (`req-body.sname@realm`). */
  readonly server?: string;
  /** The reply's message type: `AS-REP`, `TGS-REP` or `KRB-ERROR`. */
  readonly outcome: string;
  /** A KRB-ERROR's code (RFC 4120 section 7.5.9) and its name. */
  readonly errorCode?: number;
  readonly errorName?: string;
  readonly requestBytes: number;
  readonly replyBytes: number;
  /** The KDC's time on the request (decode, checks, crypto, encode), without the network. */
  readonly durationMs: number;
  /** The KDC's own line for the request, for people (`AS-REQ alice@... -> AS-REP`). */
  readonly line: string;
}

/**
 * True when the `error` level logs the request: a KRB-ERROR other than
 * KDC_ERR_PREAUTH_REQUIRED (the normal first answer to a password login).
 */
export function isFailure(event: KdcRequestEvent): boolean {
  return event.errorCode !== undefined && event.errorCode !== ErrorCode.KDC_ERR_PREAUTH_REQUIRED;
}

/** The `--json-log` object of a request: every structured field, not the KDC's text line. */
export function requestJson(entry: RequestLogEntry, extra?: { worker?: number }): Record<string, unknown> {
  const { line: _line, ...fields } = entry;
  return { event: 'request', ...fields, ...extra };
}

/** The text line of a request: time, realm, transport, peer, the KDC's line, sizes and duration. */
export function requestText(entry: RequestLogEntry, extra?: { worker?: number }): string {
  const peer = entry.peer === undefined ? '' : ` ${entry.peer}`;
  const worker = extra?.worker === undefined ? '' : ` [worker ${extra.worker}]`;
  return (
    `${entry.time} ${entry.realm} ${entry.transport}${peer} ${entry.line}` +
    ` (${entry.replyBytes} B, ${entry.durationMs} ms)${worker}`
  );
}
