/**
 * The request log of `krbsim serve`: one event per request a KDC answered,
 * its fields read from the request and reply bytes (RFC 4120 section 5:
 * the APPLICATION tag names the message, `req-body` the server and an
 * AS-REQ's client, a KDC-REP's `crealm`/`cname` the client a TGS-REQ only
 * names inside its encrypted ticket, a KRB-ERROR its `error-code`). Nothing
 * is parsed from the KDC's text line, which is kept for the text format only.
 *
 * Security: the fields are names, sizes, codes and times. A KDC-REP's
 * encrypted parts and a request's PA-DATA are never read, so no key,
 * password-derived value or ticket reaches the log.
 *
 * @module
 */

import { decodeAsRep, decodeKrbError, decodeTgsRep, formatPrincipal } from '@krbsim/asn1';
import { ErrorCode, errorCodeName } from '@krbsim/core';
import { MESSAGE_TYPES, peekRequestTarget, type TransportKind } from '@krbsim/transport';

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
  /** The request's message type (`AS-REQ`, `TGS-REQ`), or `unknown`. */
  readonly msgType: string;
  /** The client principal: an AS-REQ's cname, else the reply's (KDC-REP or KRB-ERROR). */
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

type ExchangeFields = Pick<
  RequestLogEntry,
  'msgType' | 'client' | 'server' | 'outcome' | 'errorCode' | 'errorName'
>;

const AS_REP = 0x6b;
const TGS_REP = 0x6d;
const KRB_ERROR = 0x7e;

/** The structured fields of one exchange, from its bytes. Never throws. */
export function describeExchange(request: Uint8Array, reply: Uint8Array): ExchangeFields {
  const target = peekRequestTarget(request);
  let client =
    target?.msgType === 10 && target.cname !== undefined
      ? formatPrincipal(target.cname, target.realm)
      : undefined;
  const msgType = MESSAGE_TYPES[request[0] ?? -1] ?? 'unknown';
  const outcome = MESSAGE_TYPES[reply[0] ?? -1] ?? 'unknown';
  let errorCode: number | undefined;
  try {
    if (reply[0] === KRB_ERROR) {
      const e = decodeKrbError(reply);
      errorCode = e.errorCode;
      if (client === undefined && e.cname !== undefined && e.crealm !== undefined) {
        client = formatPrincipal(e.cname, e.crealm);
      }
    } else if (client === undefined && (reply[0] === AS_REP || reply[0] === TGS_REP)) {
      // The clear-text crealm/cname of the KDC-REP (section 5.4.2); its enc-part is not touched.
      const rep = reply[0] === AS_REP ? decodeAsRep(reply) : decodeTgsRep(reply);
      client = formatPrincipal(rep.cname, rep.crealm);
    }
  } catch {
    // A reply that does not decode keeps the fields read so far.
  }
  return {
    msgType,
    ...(client !== undefined && { client }),
    ...(target?.sname !== undefined && { server: formatPrincipal(target.sname, target.realm) }),
    outcome,
    ...(errorCode !== undefined && { errorCode, errorName: errorCodeName(errorCode) }),
  };
}

/**
 * True when `reply` is what the `error` level logs: a KRB-ERROR other than
 * KDC_ERR_PREAUTH_REQUIRED. Reads the first byte, and decodes only a KRB-ERROR.
 */
export function isFailureReply(reply: Uint8Array): boolean {
  if (reply[0] !== KRB_ERROR) return false;
  try {
    return decodeKrbError(reply).errorCode !== ErrorCode.KDC_ERR_PREAUTH_REQUIRED;
  } catch {
    return true;
  }
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
