/**
 * `krbsim demo --json`: the demo's trace as one JSON document, for tools
 * and for people who want to read a message field by field. Each message
 * (a request, its reply, or a failure) is one object with its direction,
 * parties, type, the decoded tree `krbsim decode` prints, and its bytes in
 * hex.
 *
 * @module
 */

import { isAsn1Error } from '@krbsim/asn1';
import type { KeytabEntry } from '@krbsim/files';
import { describeMessage, type TraceEntry } from '@krbsim/transport';
import { decodeToJson } from './decode';

/** One message of {@link DemoJson}. */
export interface DemoJsonMessage {
  /** The exchange's 1-based position in the trace; a request and its reply share it. */
  readonly seq: number;
  /** `trust` or `modern`: the flow the message belongs to. */
  readonly flow: string;
  /** `request`, `reply`, or `failed` (no reply: `error` says why). */
  readonly direction: 'request' | 'reply' | 'failed';
  readonly from: string;
  readonly to: string;
  /** `inproc`, `kkdcp`, ... */
  readonly transport: string;
  /** `AS-REQ`, `KRB-ERROR KDC_ERR_PREAUTH_REQUIRED`, `AP-REQ (SPNEGO)`, ... */
  readonly type: string;
  readonly label?: string;
  /** The lab clock's time of the exchange, ISO 8601. */
  readonly time: string;
  readonly length?: number;
  /** The message as `krbsim decode` prints it (or `{ error }` if it does not decode). */
  readonly decoded?: unknown;
  readonly hex?: string;
  readonly error?: string;
}

/** What `krbsim demo --json` prints. */
export interface DemoJson {
  readonly seed: number;
  /** The SQL login each flow ended in, by flow. */
  readonly logins: Readonly<Record<string, string>>;
  readonly messages: readonly DemoJsonMessage[];
}

function decoded(bytes: Uint8Array, keys: readonly KeytabEntry[]): unknown {
  try {
    return decodeToJson(bytes, { keys });
  } catch (e) {
    // A message the demo made that does not decode is worth showing, not hiding.
    if (isAsn1Error(e)) return { error: e.message };
    throw e;
  }
}

/**
 * The messages of `entries`, requests and replies in order. `flowOf` names
 * the flow of an exchange from its sequence number.
 */
export function traceMessages(
  entries: readonly TraceEntry[],
  flowOf: (seq: number) => string,
  keys: readonly KeytabEntry[] = [],
): DemoJsonMessage[] {
  const out: DemoJsonMessage[] = [];
  for (const e of entries) {
    // TDS messages (demo --tds) and HTTP ones (the PRT request) are named by the trace; `krbsim decode` reads Kerberos only.
    const tds = e.protocol === 'tds' || e.protocol === 'http';
    const common = {
      seq: e.seq,
      flow: flowOf(e.seq),
      transport: e.transport,
      time: new Date(e.time).toISOString(),
    };
    out.push({
      ...common,
      direction: 'request',
      from: e.from,
      to: e.to,
      type: tds ? e.requestType : describeMessage(e.request),
      ...(e.label !== undefined && { label: e.label }),
      length: e.request.length,
      ...(!tds && { decoded: decoded(e.request, keys) }),
      hex: Buffer.from(e.request).toString('hex'),
    });
    if (e.reply !== undefined) {
      out.push({
        ...common,
        direction: 'reply',
        from: e.to,
        to: e.from,
        type: tds ? e.replyType! : describeMessage(e.reply),
        ...(e.replyLabel !== undefined && { label: e.replyLabel }),
        length: e.reply.length,
        ...(!tds && { decoded: decoded(e.reply, keys) }),
        hex: Buffer.from(e.reply).toString('hex'),
      });
    } else if (e.error !== undefined) {
      out.push({ ...common, direction: 'failed', from: e.to, to: e.from, type: 'failure', error: e.error });
    }
  }
  return out;
}
