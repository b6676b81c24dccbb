/**
 * TCP record framing, RFC 4120 section 7.2.2: each message is preceded by its
 * length as a 4-byte big-endian integer whose high bit is reserved (a set
 * high bit announces an extension this implementation does not support).
 *
 * {@link TcpRecordReader} reassembles records from arbitrary chunks. It never
 * allocates what a length prefix claims: it collects the chunks that actually
 * arrived and refuses a claimed length above its limit before reading on.
 *
 * @module
 */

import { concatBytes } from '@krbsim/core';

/** The 4-byte length prefix followed by `message`. */
export function frameTcp(message: Uint8Array): Uint8Array {
  if (message.length > 0x7fffffff) throw new RangeError('a Kerberos TCP record is at most 2^31-1 bytes');
  const out = new Uint8Array(4 + message.length);
  new DataView(out.buffer).setUint32(0, message.length);
  out.set(message, 4);
  return out;
}

/** What {@link TcpRecordReader.push} found. */
export type TcpReadEvent =
  | { readonly kind: 'record'; readonly message: Uint8Array }
  | {
      readonly kind: 'error';
      /** `'reserved-bit'`: the high bit was set; `'too-long'`: the length exceeds the limit. */
      readonly reason: 'reserved-bit' | 'too-long';
      /** The 32-bit prefix as sent. */
      readonly prefix: number;
    };

/**
 * Incremental reader of length-prefixed records. After an error event it
 * ignores everything (the stream must be closed, RFC 4120 section 7.2.2).
 */
export class TcpRecordReader {
  readonly #max: number;
  readonly #header = new Uint8Array(4);
  #headerFill = 0;
  #need = -1;
  #chunks: Uint8Array[] = [];
  #have = 0;
  #failed = false;
  /** Bytes pushed but not parsed yet: what followed the last record a limited push took. */
  #rest: Uint8Array | undefined;

  /** @param maxLength - the largest record accepted, in bytes. */
  constructor(maxLength: number) {
    this.#max = maxLength;
  }

  /** Bytes buffered towards the current record and not yet parsed (for tests and accounting). */
  get buffered(): number {
    return this.#have + this.#headerFill + (this.#rest?.length ?? 0);
  }

  /** True when bytes wait to be parsed (a limited push stopped before them): see {@link more}. */
  get hasMore(): boolean {
    return this.#rest !== undefined;
  }

  /** Parses what a limited push left, up to `limit` records. */
  more(limit = Number.POSITIVE_INFINITY): TcpReadEvent[] {
    const rest = this.#rest;
    if (rest === undefined) return [];
    this.#rest = undefined;
    return this.#parse(rest, limit);
  }

  /** True once an error was reported, or after {@link discard}. */
  get failed(): boolean {
    return this.#failed;
  }

  /**
   * Drop the partial record (its memory goes with it) and ignore whatever is
   * pushed afterwards: for a connection being closed.
   */
  discard(): void {
    this.#rest = undefined;
    this.#chunks = [];
    this.#have = 0;
    this.#headerFill = 0;
    this.#need = -1;
    this.#failed = true;
  }

  /**
   * Feed a chunk; returns the records (and at most one error) it completes,
   * at most `limit` records: the bytes after the last one wait, kept (and
   * counted in {@link buffered}), for {@link more} or the next push.
   */
  push(chunk: Uint8Array, limit = Number.POSITIVE_INFINITY): TcpReadEvent[] {
    if (this.#failed) return [];
    if (this.#rest !== undefined) {
      const rest = this.#rest;
      this.#rest = undefined;
      return this.#parse(concatBytes([rest, chunk]), limit);
    }
    return this.#parse(chunk, limit);
  }

  #parse(chunk: Uint8Array, limit: number): TcpReadEvent[] {
    const events: TcpReadEvent[] = [];
    let at = 0;
    let records = 0;
    while (at < chunk.length && !this.#failed) {
      if (records >= limit) {
        // Copy (as a plain Uint8Array, even from a Buffer): the caller may reuse its chunk.
        this.#rest = new Uint8Array(chunk.subarray(at));
        break;
      }
      if (this.#need < 0) {
        const n = Math.min(4 - this.#headerFill, chunk.length - at);
        this.#header.set(chunk.subarray(at, at + n), this.#headerFill);
        this.#headerFill += n;
        at += n;
        if (this.#headerFill < 4) break;
        const prefix = new DataView(this.#header.buffer).getUint32(0);
        this.#headerFill = 0;
        if (prefix & 0x80000000) {
          this.#failed = true;
          events.push({ kind: 'error', reason: 'reserved-bit', prefix });
          break;
        }
        if (prefix > this.#max) {
          this.#failed = true;
          events.push({ kind: 'error', reason: 'too-long', prefix });
          break;
        }
        this.#need = prefix;
      }
      const n = Math.min(this.#need - this.#have, chunk.length - at);
      if (n > 0) {
        // Copy (as a plain Uint8Array, even from a Buffer): the caller may reuse its chunk.
        this.#chunks.push(new Uint8Array(chunk.subarray(at, at + n)));
        this.#have += n;
        at += n;
      }
      if (this.#have === this.#need) {
        records++;
        events.push({ kind: 'record', message: join(this.#chunks) });
        this.#chunks = [];
        this.#have = 0;
        this.#need = -1;
      }
    }
    return events;
  }
}

function join(chunks: readonly Uint8Array[]): Uint8Array {
  return chunks.length === 1 ? chunks[0]! : concatBytes(chunks);
}
