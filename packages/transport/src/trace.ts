/**
 * A record of every Kerberos message a scenario exchanged, KDC traffic (each
 * `send` through a traced transport) and other hops the caller reports
 * (client → service AP-REQ / AP-REP), and of the TDS messages of a SQL
 * login (a managed instance's listener reports them). Renders as text, as a
 * Mermaid `sequenceDiagram`, as a pcap file Wireshark dissects (see
 * `pcap.ts`), and as a self-contained HTML page (see `trace-html.ts`).
 *
 * Kerberos message types come from the first byte (RFC 4120 section 5
 * APPLICATION tags); nothing is decoded beyond a KRB-ERROR's error-code.
 * TDS and HTTP messages are named by whoever records them.
 *
 * @module
 */

import { ownedCopy } from '@krbsim/asn1';
import type { Clock } from '@krbsim/core';
import { describeMessage, kpasswdMessageType, messageType } from './message-type';
import { type PcapOptions, tracePcap } from './pcap';
import type { TraceEntry, TraceProtocol } from './trace-entry';
import { type TraceHtmlOptions, traceHtml } from './trace-html';
import type { TransportKind } from './types';

export type { TraceEntry, TraceProtocol } from './trace-entry';

/** What {@link Trace.record} takes: a {@link TraceEntry} without the computed fields. */
export interface TraceRecord {
  readonly from: string;
  readonly to: string;
  /** Default `'inproc'`. */
  readonly transport?: TransportKind;
  /** Default `'kerberos'`; `'tds'` and `'http'` entries need `requestType` (and `replyType` with a reply). */
  readonly protocol?: TraceProtocol;
  /** The connection this exchange belongs to (see {@link TraceEntry.stream}). */
  readonly stream?: string;
  /** For TDS and HTTP: what the request is (`LOGIN7`); Kerberos types are read from the bytes. */
  readonly requestType?: string;
  /** For TDS: what the reply is (`LOGINACK`, `ERROR 18456`). */
  readonly replyType?: string;
  readonly request: Uint8Array;
  readonly reply?: Uint8Array;
  readonly label?: string;
  readonly replyLabel?: string;
  readonly error?: string;
}

/** Options for {@link Trace}. */
export interface TraceOptions {
  /** Timestamps entries; without one every entry has time 0 (the pcap still orders packets). */
  readonly clock?: Clock;
  /**
   * Keep at most this many entries, dropping the oldest (a ring: recording
   * costs the same when full). Default: unbounded; a positive integer or
   * `Infinity`.
   */
  readonly maxEntries?: number;
  /**
   * Keep at most about this many bytes of messages (requests and replies),
   * dropping the oldest entries: a bound that holds however large the
   * messages (a 1 MiB SQL batch). The newest entry is always kept, however
   * large. Default: unbounded; a positive integer or `Infinity`.
   */
  readonly maxBytes?: number;
}

/** What an entry's messages weigh against {@link TraceOptions.maxBytes}. */
function entryBytes(e: TraceEntry): number {
  return e.request.length + (e.reply?.length ?? 0);
}

function checkBound(name: string, max: number): number {
  if (max !== Number.POSITIVE_INFINITY && !(Number.isInteger(max) && max > 0)) {
    throw new RangeError(`${name} must be a positive integer or Infinity, got ${max}`);
  }
  return max;
}

/** The participant name traced transports use for a realm's KDC: `KDC CONTOSO.COM`. */
export function kdcParticipant(realm: string): string {
  return `KDC ${realm}`;
}

/** Which part of a trace to render. */
export interface TraceView {
  /** Only entries with this sequence number or later (see {@link Trace.nextSeq}). */
  readonly since?: number;
}

/** A message log for one scenario. */
export class Trace {
  readonly #clock: Clock | undefined;
  readonly #max: number;
  readonly #maxBytes: number;
  /** The entries from #oldest on, oldest first; those before #oldest were dropped (compacted now and then). */
  #entries: (TraceEntry | undefined)[] = [];
  #oldest = 0;
  /** The bytes of the entries kept. */
  #bytes = 0;
  /** The entries in order, made when asked for while some were dropped. */
  #ordered: TraceEntry[] | undefined;
  #seq = 0;

  constructor(options: TraceOptions = {}) {
    this.#clock = options.clock;
    this.#max = checkBound('maxEntries', options.maxEntries ?? Number.POSITIVE_INFINITY);
    this.#maxBytes = checkBound('maxBytes', options.maxBytes ?? Number.POSITIVE_INFINITY);
  }

  /** Record an exchange (the bytes are copied) and return the stored entry. */
  record(r: TraceRecord): TraceEntry {
    const named = r.protocol === 'tds' || r.protocol === 'http';
    if (named && (r.requestType === undefined || (r.reply !== undefined && r.replyType === undefined))) {
      throw new TypeError(
        `Trace.record: ${r.protocol === 'http' ? 'an HTTP' : 'a TDS'} entry names its request (requestType) and reply (replyType)`,
      );
    }
    const kpasswd = r.protocol === 'kpasswd';
    // Kerberos and kpasswd messages are named from their bytes, TDS and HTTP by the recorder.
    const typeOf = (m: Uint8Array, given: string | undefined): string =>
      named ? given! : kpasswd ? kpasswdMessageType(m) : messageType(m);
    const entry: TraceEntry = {
      seq: ++this.#seq,
      time: this.#clock?.now() ?? 0,
      from: r.from,
      to: r.to,
      transport: r.transport ?? 'inproc',
      ...((named || kpasswd) && { protocol: r.protocol as 'kpasswd' | 'tds' | 'http' }),
      ...(r.stream !== undefined && { stream: r.stream }),
      request: ownedCopy(r.request),
      requestType: typeOf(r.request, r.requestType),
      ...(r.reply === undefined
        ? {}
        : { reply: ownedCopy(r.reply), replyType: typeOf(r.reply, r.replyType) }),
      ...(r.label === undefined ? {} : { label: r.label }),
      ...(r.replyLabel === undefined ? {} : { replyLabel: r.replyLabel }),
      ...(r.error === undefined ? {} : { error: r.error }),
    };
    this.#entries.push(entry);
    this.#bytes += entryBytes(entry);
    // Drop the oldest past either bound, keeping the newest; the array is compacted once half is
    // dropped, so recording costs the same when full.
    while (
      this.#entries.length - this.#oldest > 1 &&
      (this.#entries.length - this.#oldest > this.#max || this.#bytes > this.#maxBytes)
    ) {
      this.#bytes -= entryBytes(this.#entries[this.#oldest]!);
      this.#entries[this.#oldest++] = undefined; // its memory goes now, not at the next compaction
    }
    if (this.#oldest > 0 && this.#oldest * 2 >= this.#entries.length) {
      this.#entries = this.#entries.slice(this.#oldest);
      this.#oldest = 0;
    }
    this.#ordered = undefined;
    return entry;
  }

  /** The entries, oldest first. */
  get entries(): readonly TraceEntry[] {
    // Only the slots before #oldest are empty.
    if (this.#oldest === 0) return this.#entries as TraceEntry[];
    this.#ordered ??= this.#entries.slice(this.#oldest) as TraceEntry[];
    return this.#ordered;
  }

  /** Forget every entry (sequence numbers keep counting). */
  clear(): void {
    this.#entries = [];
    this.#oldest = 0;
    this.#bytes = 0;
    this.#ordered = undefined;
  }

  /** The sequence number the next entry will get: mark a point to render from with `{ since }`. */
  get nextSeq(): number {
    return this.#seq + 1;
  }

  #select(view: TraceView): readonly TraceEntry[] {
    const since = view.since;
    return since === undefined ? this.entries : this.entries.filter((e) => e.seq >= since);
  }

  /** Participant names in the order they first appear. */
  participants(view: TraceView = {}): string[] {
    const seen = new Set<string>();
    for (const e of this.#select(view)) {
      seen.add(e.from);
      seen.add(e.to);
    }
    return [...seen];
  }

  /**
   * One line per message:
   * `#1 alice@CONTOSO.COM -> KDC CONTOSO.COM [udp] AS-REQ 245 bytes cname=alice`.
   * KRB-ERROR replies show their error name.
   */
  toText(view: TraceView = {}): string {
    const lines: string[] = [];
    for (const e of this.#select(view)) {
      const via = wire(e);
      lines.push(line(e.seq, e.from, '->', e.to, via, describeRequest(e), e.request.length, e.label));
      if (e.reply !== undefined) {
        lines.push(line(e.seq, e.to, '->', e.from, via, describeReply(e)!, e.reply.length, e.replyLabel));
      } else if (e.error !== undefined) {
        lines.push(`#${e.seq} ${e.to} -x ${e.from} [${via}] failed: ${oneLine(e.error)}`);
      }
    }
    return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
  }

  /**
   * A Mermaid `sequenceDiagram`: participants in first-seen order, requests
   * `->>`, replies `-->>`, failures `--x`. Message text is the type plus the
   * caller's label (`TGS-REQ sname=MSSQLSvc/sql:1433`).
   */
  toMermaid(view: TraceView = {}): string {
    const ids = new Map(this.participants(view).map((p, i) => [p, `P${i + 1}`]));
    const out = ['sequenceDiagram'];
    for (const [name, id] of ids) out.push(`    participant ${id} as ${mermaidText(name)}`);
    for (const e of this.#select(view)) {
      const from = ids.get(e.from)!;
      const to = ids.get(e.to)!;
      out.push(`    ${from}->>${to}: ${mermaidText(withLabel(describeRequest(e), e.label))}`);
      if (e.reply !== undefined) {
        out.push(`    ${to}-->>${from}: ${mermaidText(withLabel(describeReply(e)!, e.replyLabel))}`);
      } else if (e.error !== undefined) {
        out.push(`    ${to}--x${from}: ${mermaidText(`failed: ${e.error}`)}`);
      }
    }
    return `${out.join('\n')}\n`;
  }

  /**
   * The trace as one self-contained HTML page: the sequence diagram as inline
   * SVG, each arrow linked to its message decoded, with its bytes and, for a
   * KRB-ERROR, its meaning (see `trace-html.ts`). Loads nothing from elsewhere.
   */
  toHtml(options: TraceHtmlOptions & TraceView = {}): string {
    return traceHtml(this.#select(options), options);
  }

  /** The trace as a libpcap file of synthetic IPv4 packets, Kerberos on port 88, kpasswd on 464, TDS on 1433 (see `tracePcap`). */
  toPcap(options?: PcapOptions): Uint8Array {
    return tracePcap(this.entries, options);
  }
}

/** True for an entry whose messages its recorder named (TDS, HTTP), false for Kerberos. */
function isNamed(e: TraceEntry): boolean {
  return e.protocol === 'tds' || e.protocol === 'http';
}

/** `tds` or `http` for such an entry (over TCP), else the transport: what the text shows in brackets. */
function wire(e: TraceEntry): string {
  return isNamed(e) ? e.protocol! : e.transport;
}

/** A Kerberos message with its KRB-ERROR's name; the others as named when recorded. */
function describeRequest(e: TraceEntry): string {
  return e.protocol === undefined ? describeMessage(e.request) : e.requestType;
}

function describeReply(e: TraceEntry): string | undefined {
  if (e.reply === undefined) return undefined;
  return e.protocol === undefined ? describeMessage(e.reply) : e.replyType!;
}

function withLabel(type: string, label: string | undefined): string {
  return label === undefined || label === '' ? type : `${type} ${label}`;
}

function oneLine(s: string): string {
  return s.replace(/[\r\n]+/g, ' ');
}

function line(
  seq: number,
  from: string,
  arrow: string,
  to: string,
  transport: string,
  type: string,
  size: number,
  label: string | undefined,
): string {
  const tail = label === undefined || label === '' ? '' : ` ${oneLine(label)}`;
  return `#${seq} ${from} ${arrow} ${to} [${transport}] ${type} ${size} bytes${tail}`;
}

/**
 * Text safe inside a Mermaid message or participant alias: line breaks become
 * spaces; `#`, `;`, `<`, `>` become Mermaid entity codes (`#35;` ...).
 */
export function mermaidText(s: string): string {
  return oneLine(s).replace(/[#;<>]/g, (c) => `#${c.charCodeAt(0)};`);
}
