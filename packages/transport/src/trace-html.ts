/**
 * A trace as one self-contained HTML page: the sequence diagram drawn as
 * inline SVG (participants as columns, one arrow per message, failures and
 * KRB-ERRORs in red), and below it one `<details>` per message with its
 * decoded form (the JSON tree of `messageToJson`, what `krbsim decode`
 * prints for a Kerberos message; other DER as its generic tree), its bytes as a hex dump, a KRB-ERROR's
 * meaning, and any notes the caller attaches (what SID filtering removed).
 * Each arrow links to its message's section.
 *
 * Nothing is loaded from elsewhere: no external script, style sheet, font
 * or image. The only script is a few lines inline that open the section an
 * arrow links to. Every name and label is HTML-escaped, so a principal
 * named `<script>` is text.
 *
 * @module
 */

import {
  decodeDerTree,
  decodeKpasswdMessage,
  decodeKrbError,
  decodeMessage,
  messageToJson,
} from '@krbsim/asn1';
import { ErrorCode, errorCodeName, errorText } from '@krbsim/core';
import type { TraceEntry } from './trace-entry';

/** Which side of an exchange a message is. */
export type TraceMessageSide = 'request' | 'reply';

/** Options for {@link traceHtml} (and `Trace.toHtml`). */
export interface TraceHtmlOptions {
  /** The page's title. Default `krbsim trace`. */
  readonly title?: string;
  /**
   * Decodes one message for its section: any JSON-able value. Default: a
   * Kerberos message as `messageToJson` renders it (a kpasswd message as its
   * header and the messages it frames); TDS and HTTP messages are shown as
   * bytes only. A decoder that throws gets its message shown.
   */
  readonly decode?: (bytes: Uint8Array, entry: TraceEntry, side: TraceMessageSide) => unknown;
  /** Notes shown with an exchange, e.g. `SIDs filtered at the trust: S-1-5-21-...-519`. */
  readonly notes?: (entry: TraceEntry) => readonly string[] | undefined;
}

/** What a Kerberos error code means, for the codes a user of krbsim meets (RFC 4120 section 7.5.9). */
const ERROR_MEANINGS: Readonly<Record<number, string>> = {
  [ErrorCode.KDC_ERR_C_PRINCIPAL_UNKNOWN]: 'the client is not in the KDC database',
  [ErrorCode.KDC_ERR_S_PRINCIPAL_UNKNOWN]:
    'no such service in this realm, and no trust to refer the client to: a missing SPN, or a missing or one-way trust',
  [ErrorCode.KDC_ERR_ETYPE_NOSUPP]: 'no encryption type both sides support',
  [ErrorCode.KDC_ERR_BADOPTION]: 'a KDC option the KDC will not honour (e.g. delegation not allowed)',
  [ErrorCode.KDC_ERR_POLICY]: 'refused by the KDC policy',
  [ErrorCode.KDC_ERR_PREAUTH_FAILED]: 'pre-authentication failed: wrong password or key',
  [ErrorCode.KDC_ERR_PREAUTH_REQUIRED]:
    'pre-authentication required: the client retries with encrypted timestamp (normal)',
  [ErrorCode.KDC_ERR_PADATA_TYPE_NOSUPP]:
    'a pre-authentication type the KDC does not support (e.g. FAST off)',
  [ErrorCode.KRB_AP_ERR_TKT_EXPIRED]: 'the ticket has expired',
  [ErrorCode.KRB_AP_ERR_BAD_INTEGRITY]: 'integrity check failed: wrong key',
  [ErrorCode.KRB_AP_ERR_REPEAT]: 'a replayed authenticator',
  [ErrorCode.KRB_AP_ERR_SKEW]:
    "the clocks differ by more than the allowed skew (5 minutes): check each party's clock",
  [ErrorCode.KRB_AP_ERR_MODIFIED]: 'a message or signature was modified, or decrypted with the wrong key',
  [ErrorCode.KRB_ERR_RESPONSE_TOO_BIG]: 'the reply does not fit in UDP: the client retries over TCP (normal)',
  [ErrorCode.KRB_ERR_GENERIC]: 'a generic error: see the e-text',
};

/** `&`, `<`, `>`, `"` and `'` as character references: text safe in elements and quoted attributes. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** One arrow of the diagram. */
interface Arrow {
  readonly entry: TraceEntry;
  readonly side: TraceMessageSide | 'failure';
  readonly from: string;
  readonly to: string;
  readonly text: string;
  readonly error: boolean;
  readonly id: string;
}

const COLUMN = 230;
const MARGIN = 130;
const ROW = 36;
const TOP = 64;

/** Renders `entries` as a self-contained HTML page (see the module documentation). */
export function traceHtml(entries: readonly TraceEntry[], options: TraceHtmlOptions = {}): string {
  const title = options.title ?? 'krbsim trace';
  const arrows = arrowsOf(entries);
  const sections = entries.map((e) => section(e, options)).join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="generator" content="krbsim">
<title>${escapeHtml(title)}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 1.5em; color: #1b1b1b; }
svg text { font-family: system-ui, sans-serif; font-size: 12px; }
svg a:hover text, svg a:focus text { text-decoration: underline; }
.participant rect { fill: #eef3fb; stroke: #4a6fa5; }
.lifeline { stroke: #9aa7b8; stroke-dasharray: 4 4; }
.arrow line { stroke: #2b4f81; stroke-width: 1.5; }
.arrow.reply line { stroke-dasharray: 6 3; }
.arrow.error line { stroke: #c62828; }
.arrow.error text { fill: #c62828; font-weight: 600; }
details { border: 1px solid #d0d7e2; border-radius: 4px; margin: 0.4em 0; padding: 0.3em 0.6em; }
details:target, details.target { border-color: #2b4f81; box-shadow: 0 0 0 2px #c5d5ee; }
details.error { border-color: #c62828; }
summary { cursor: pointer; font-weight: 600; }
.meaning { color: #c62828; font-weight: 600; }
.note { background: #fff6d6; padding: 0.2em 0.5em; }
pre { background: #f6f8fa; padding: 0.5em; overflow-x: auto; font-size: 12px; }
</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p>${entries.length} exchange${entries.length === 1 ? '' : 's'}. Select an arrow to open its message.</p>
${diagram(arrows)}
<h2>Messages</h2>
${sections}
<script>
// Opens the message an arrow links to (inline: this page loads nothing from elsewhere).
function krbsimOpen() {
  var el = location.hash && document.getElementById(location.hash.slice(1));
  if (el && el.tagName === 'DETAILS') { el.open = true; el.classList.add('target'); }
}
window.addEventListener('hashchange', krbsimOpen);
krbsimOpen();
</script>
</body>
</html>
`;
}

function arrowsOf(entries: readonly TraceEntry[]): Arrow[] {
  const out: Arrow[] = [];
  for (const e of entries) {
    out.push({
      entry: e,
      side: 'request',
      from: e.from,
      to: e.to,
      text: withLabel(describe(e, 'request'), e.label),
      error: false,
      id: messageId(e, 'request'),
    });
    if (e.reply !== undefined) {
      const type = describe(e, 'reply');
      out.push({
        entry: e,
        side: 'reply',
        from: e.to,
        to: e.from,
        text: withLabel(type, e.replyLabel),
        error: isErrorReply(e),
        id: messageId(e, 'reply'),
      });
    } else if (e.error !== undefined) {
      out.push({
        entry: e,
        side: 'failure',
        from: e.to,
        to: e.from,
        text: `failed: ${e.error}`,
        error: true,
        id: messageId(e, 'request'),
      });
    }
  }
  return out;
}

function diagram(arrows: readonly Arrow[]): string {
  const names: string[] = [];
  for (const a of arrows) for (const n of [a.from, a.to]) if (!names.includes(n)) names.push(n);
  const x = (n: string) => MARGIN + names.indexOf(n) * COLUMN;
  const width = MARGIN * 2 + Math.max(0, names.length - 1) * COLUMN;
  const height = TOP + arrows.length * ROW + 24;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" id="diagram" role="img" aria-label="sequence diagram" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    '<defs><marker id="head" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="context-stroke"/></marker></defs>',
  );
  for (const n of names) {
    const cx = x(n);
    parts.push(
      `<g class="participant"><line class="lifeline" x1="${cx}" y1="${TOP - 20}" x2="${cx}" y2="${height - 8}"/>` +
        `<rect x="${cx - COLUMN / 2 + 8}" y="8" width="${COLUMN - 16}" height="30" rx="4"/>` +
        `<text x="${cx}" y="28" text-anchor="middle">${escapeHtml(clip(n, 34))}</text></g>`,
    );
  }
  arrows.forEach((a, i) => {
    const y = TOP + i * ROW + 18;
    const x1 = x(a.from);
    const x2 = x(a.to);
    const cls = `arrow ${a.side}${a.error ? ' error' : ''}`;
    const label = `#${a.entry.seq} ${a.text}`;
    const line =
      x1 === x2
        ? `<path d="M${x1},${y - 10} h40 v14 h-40" fill="none" stroke="currentColor" marker-end="url(#head)"/>`
        : `<line x1="${x1}" y1="${y}" x2="${x2}" y2="${y}" marker-end="url(#head)"/>`;
    parts.push(
      `<a href="#${a.id}" class="${cls}"><title>${escapeHtml(label)}</title>${line}` +
        `<text x="${(x1 + x2) / 2 + (x1 === x2 ? 50 : 0)}" y="${y - 5}" text-anchor="${x1 === x2 ? 'start' : 'middle'}">${escapeHtml(clip(label, Math.max(30, Math.abs(x2 - x1) / 6.5)))}</text></a>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}

function section(e: TraceEntry, options: TraceHtmlOptions): string {
  const out: string[] = [];
  out.push(message(e, 'request', options));
  if (e.reply !== undefined) out.push(message(e, 'reply', options));
  return out.join('\n');
}

function message(e: TraceEntry, side: TraceMessageSide, options: TraceHtmlOptions): string {
  const bytes = side === 'request' ? e.request : e.reply!;
  const from = side === 'request' ? e.from : e.to;
  const to = side === 'request' ? e.to : e.from;
  const type = describe(e, side);
  const error = side === 'reply' ? isErrorReply(e) : false;
  const failed = side === 'request' && e.reply === undefined && e.error !== undefined;
  const label = side === 'request' ? e.label : e.replyLabel;
  const parts: string[] = [];
  const cls = error || failed ? ' class="error"' : '';
  parts.push(
    `<details id="${messageId(e, side)}"${cls}><summary>#${e.seq} ${escapeHtml(from)} → ${escapeHtml(to)} ` +
      `[${escapeHtml(e.protocol ?? e.transport)}] ${escapeHtml(type)} (${bytes.length} bytes)</summary>`,
  );
  if (label !== undefined && label !== '') parts.push(`<p>${escapeHtml(label)}</p>`);
  if (error) parts.push(`<p class="meaning">${escapeHtml(errorMeaning(bytes, e))}</p>`);
  if (failed) parts.push(`<p class="meaning">No reply: ${escapeHtml(e.error!)}</p>`);
  if (side === 'reply' || e.reply === undefined) {
    for (const n of options.notes?.(e) ?? []) parts.push(`<p class="note">${escapeHtml(n)}</p>`);
  }
  const decoded = decodeFor(bytes, e, side, options);
  if (decoded !== undefined)
    parts.push(`<h4>Decoded</h4>\n<pre class="decoded">${escapeHtml(decoded)}</pre>`);
  parts.push(`<h4>Bytes</h4>\n<pre class="bytes">${hexDump(bytes)}</pre>`, '</details>');
  return parts.join('\n');
}

function decodeFor(
  bytes: Uint8Array,
  e: TraceEntry,
  side: TraceMessageSide,
  options: TraceHtmlOptions,
): string | undefined {
  try {
    let value: unknown;
    if (options.decode !== undefined) value = options.decode(bytes, e, side);
    else if (e.protocol === 'tds' || e.protocol === 'http') return undefined;
    else if (e.protocol === 'kpasswd') value = kpasswdDecode(bytes);
    else value = defaultDecode(bytes);
    return value === undefined ? undefined : JSON.stringify(value, jsonBytes, 2);
  } catch (err) {
    return `(not decoded: ${errorText(err)})`;
  }
}

/**
 * A Kerberos message as `messageToJson` renders it; other DER (a GSS-API or
 * SPNEGO token) as its generic DER tree. `krbsim demo --html` passes the
 * CLI's decoder instead, which opens GSS-API and SPNEGO tokens too.
 */
function defaultDecode(bytes: Uint8Array): unknown {
  const tag = bytes[0] ?? 0;
  // RFC 4120 section 5.10: Kerberos messages are APPLICATION-tagged, constructed ([APPLICATION n] = 0x60 | n, n > 0).
  if (tag > 0x60 && tag < 0x80) return messageToJson(decodeMessage(bytes));
  return { type: 'DER', tree: decodeDerTree(bytes) };
}

/**
 * A kpasswd message (RFC 3244 section 2): its header's version, and the
 * Kerberos messages it frames, each as {@link defaultDecode} renders it
 * (the result itself is sealed in the KRB-PRIV).
 */
function kpasswdDecode(bytes: Uint8Array): unknown {
  const m = decodeKpasswdMessage(bytes);
  // Each part on its own: the header is worth showing even when a part does not decode.
  const part = (b: Uint8Array): unknown => {
    try {
      return defaultDecode(b);
    } catch (err) {
      return `(not decoded: ${errorText(err)})`;
    }
  };
  return {
    type: 'kpasswd',
    version: m.version,
    ...(m.ap.length > 0 && { ap: part(m.ap) }),
    message: part(m.rest),
  };
}

/** JSON of a decoded value: byte arrays as hex, bigints as decimal strings. */
function jsonBytes(_key: string, v: unknown): unknown {
  if (v instanceof Uint8Array) return hex(v);
  if (typeof v === 'bigint') return v.toString();
  return v;
}

function hex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

/** 16 bytes a line: offset, hex, and printable ASCII (escaped). */
function hexDump(b: Uint8Array): string {
  const lines: string[] = [];
  for (let off = 0; off < b.length; off += 16) {
    const row = b.subarray(off, off + 16);
    const h = [...row].map((x) => x.toString(16).padStart(2, '0')).join(' ');
    const a = [...row].map((x) => (x >= 0x20 && x < 0x7f ? String.fromCharCode(x) : '.')).join('');
    lines.push(`${off.toString(16).padStart(6, '0')}  ${h.padEnd(47)}  ${escapeHtml(a)}`);
  }
  return lines.join('\n');
}

function isErrorReply(e: TraceEntry): boolean {
  if (e.reply === undefined) return false;
  if (e.protocol === 'tds' || e.protocol === 'http')
    return /error|fail|denied|^[45]\d\d/i.test(e.replyType ?? '');
  if (e.protocol === 'kpasswd') return e.replyType?.startsWith('KPASSWD-REP KRB-ERROR') === true;
  return e.replyType === 'KRB-ERROR';
}

/** A KRB-ERROR's name, meaning and e-text (a kpasswd reply's, in its frame); for other errors what the recorder named the reply. */
function errorMeaning(reply: Uint8Array, e: TraceEntry): string {
  try {
    const err = decodeKrbError(e.protocol === 'kpasswd' ? decodeKpasswdMessage(reply).rest : reply);
    const meaning = ERROR_MEANINGS[err.errorCode];
    const text = err.eText === undefined || err.eText === '' ? '' : ` (e-text: ${err.eText})`;
    return `${errorCodeName(err.errorCode)} (${err.errorCode})${meaning === undefined ? '' : `: ${meaning}`}${text}`;
  } catch {
    return 'an error reply';
  }
}

function describe(e: TraceEntry, side: TraceMessageSide): string {
  if (side === 'request') return e.requestType;
  if (e.replyType === 'KRB-ERROR' && e.reply !== undefined) {
    try {
      return `KRB-ERROR ${errorCodeName(decodeKrbError(e.reply).errorCode)}`;
    } catch {
      return 'KRB-ERROR';
    }
  }
  return e.replyType ?? '';
}

function messageId(e: TraceEntry, side: TraceMessageSide): string {
  return `m${e.seq}-${side === 'request' ? 'req' : 'rep'}`;
}

function withLabel(type: string, label: string | undefined): string {
  return label === undefined || label === '' ? type : `${type} ${label}`;
}

function clip(s: string, n: number): string {
  const one = s.replace(/[\r\n]+/g, ' ');
  const max = Math.floor(n);
  return one.length <= max ? one : `${one.slice(0, max - 1)}…`;
}
