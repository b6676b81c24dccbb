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

import type { TdsLoginEvent } from '@krbsim/azure';
import { type Clock, ErrorCode } from '@krbsim/core';
import type { KdcRequestEvent } from '@krbsim/kdc';
import type { KdcRequestInfo, TransportKind } from '@krbsim/transport';
import { capLogLine, escapeLogText, LOG_FIELD_MAX, logField } from './log-text';

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
  /**
   * The reply's message type: `AS-REP`, `TGS-REP` or `KRB-ERROR`, as the
   * client got it: a reply too long for UDP went out as
   * KRB_ERR_RESPONSE_TOO_BIG, and the client asks again over TCP.
   */
  readonly outcome: string;
  /** A KRB-ERROR's code (RFC 4120 section 7.5.9) and its name. */
  readonly errorCode?: number;
  readonly errorName?: string;
  readonly requestBytes: number;
  /** The KDC's reply (before a too-big one was replaced). */
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

/**
 * The text line of a request: time, realm, transport, peer, the KDC's line, sizes and duration.
 * Security: the client and server names are the client's (an AS-REQ names both), so each is
 * escaped and capped ({@link logField}), and the line kept to one atomic write ({@link capLogLine}).
 */
export function requestText(entry: RequestLogEntry, extra?: { worker?: number }): string {
  const peer = entry.peer === undefined ? '' : ` ${entry.peer}`;
  const worker = extra?.worker === undefined ? '' : ` [worker ${extra.worker}]`;
  return capLogLine(
    `${entry.time} ${entry.realm} ${entry.transport}${peer} ${kdcLine(entry)}` +
      ` (${entry.replyBytes} B, ${entry.durationMs} ms)${worker}`,
  );
}

/**
 * The KDC's line (`AS-REQ <client> for <server> -> <outcome>`) with its client and server each a
 * {@link logField}; a line of another shape is one field as a whole.
 */
function kdcLine(entry: RequestLogEntry): string {
  const head = `${entry.msgType} ${entry.client ?? '?'} for ${entry.server ?? '?'} -> `;
  if (!entry.line.startsWith(head)) return logField(entry.line, { max: LOG_FIELD_MAX * 3 });
  const name = (n: string | undefined) => (n === undefined ? '?' : logField(n));
  return `${entry.msgType} ${name(entry.client)} for ${name(entry.server)} -> ${escapeLogText(entry.line.slice(head.length))}`;
}

/** One login to a served managed instance (`krbsim serve azure-sql-mi`) and how it ended. */
export interface LoginLogEntry extends TdsLoginEvent {
  /** When the login ended (ISO 8601, from the lab's clock). */
  readonly time: string;
}

/** The `--json-log` object of a TDS login. */
export function loginJson(entry: LoginLogEntry): Record<string, unknown> {
  return { event: 'login', ...entry };
}

/**
 * The text line of a TDS login: time, instance, peer, the client's host name and the outcome.
 * Security: LOGIN7's host name is whatever the client wrote there, so it is escaped (its
 * backslashes too: nothing escaped it before) and capped ({@link logField}); the login, the
 * client and the reason, which name the ticket's client, are escaped and capped too.
 */
export function loginText(entry: LoginLogEntry): string {
  const peer = entry.peer === undefined ? '' : ` ${entry.peer}`;
  const outcome =
    entry.outcome === 'accepted'
      ? `logged in as ${logField(String(entry.login))} (${logField(String(entry.client))})`
      : `refused with ${entry.sqlError}: ${logField(String(entry.reason), { max: LOG_FIELD_MAX * 3 })}`;
  const host = logField(entry.hostName, { backslash: true });
  return capLogLine(`${entry.time} ${entry.instance} tds${peer} LOGIN7 from '${host}' -> ${outcome}`);
}

/** A realm's request logging: see {@link requestLogger}. */
export interface RequestLogger {
  /** The KDC's `onRequest`: it hears each request's event before `handle` returns the reply. */
  readonly onRequest: (event: KdcRequestEvent) => void;
  /** `handle`, logging each request it answers (with the transport's peer, the sizes and the time). */
  wrap(
    handle: (request: Uint8Array, info: KdcRequestInfo) => Uint8Array,
  ): (request: Uint8Array, info: KdcRequestInfo) => Uint8Array;
}

/**
 * Logs the requests one realm's KDC answers, each as one
 * {@link RequestLogEntry} built from the KDC's own event for it: give
 * `onRequest` to the KDC (or to the lab that builds it) and serve
 * `wrap(kdc.handle)`. With `errorsOnly`, only {@link isFailure} requests.
 * A `log` that throws costs no client its reply.
 */
export function requestLogger(
  realm: string,
  clock: Clock,
  log: (entry: RequestLogEntry) => void,
  errorsOnly: boolean,
): RequestLogger {
  let last: KdcRequestEvent | undefined;
  return {
    onRequest: (event) => {
      last = event;
    },
    wrap: (handle) => (request, info) => {
      last = undefined;
      const start = performance.now();
      const reply = handle(request, info);
      const durationMs = Math.round((performance.now() - start) * 1000) / 1000;
      const event = last as KdcRequestEvent | undefined;
      if (event === undefined || (errorsOnly && !isFailure(event))) return reply;
      const { internalError: _bug, ...fields } = event;
      // What the client got: a reply too long for UDP went out as KRB_ERR_RESPONSE_TOO_BIG.
      const tooBig = info.udpMaxReply !== undefined && reply.length > info.udpMaxReply;
      try {
        log({
          time: new Date(clock.now()).toISOString(),
          realm,
          transport: info.transport,
          ...(info.peer !== undefined && { peer: info.peer }),
          ...fields,
          ...(tooBig && {
            outcome: 'KRB-ERROR',
            errorCode: ErrorCode.KRB_ERR_RESPONSE_TOO_BIG,
            errorName: 'KRB_ERR_RESPONSE_TOO_BIG',
            line: `${fields.line}, too big for UDP: KRB_ERR_RESPONSE_TOO_BIG`,
          }),
          requestBytes: request.length,
          replyBytes: reply.length,
          durationMs,
        });
      } catch {
        // ignored: the reply goes out all the same
      }
      return reply;
    },
  };
}
