/**
 * A growable little-endian writer for NDR and the PAC's plain structures:
 * the counterpart of `NdrReader`. Alignment padding is written as zeros, or
 * as the bytes a decoded value recorded for it ({@link NdrWriter.padding}).
 *
 * One writer takes a whole PAC: the buffer codecs write into it in place,
 * with no buffer or field of their own. {@link acquireWriter} hands out a
 * writer that reuses the memory of the last one released, so encoding a PAC
 * allocates nothing but its result ({@link NdrWriter.finish}: a copy, in a
 * shared slab). The memory is never seen outside this package: every byte
 * before `pos` was written by the current encoding (alignment and
 * {@link NdrWriter.zeros} write zeros), and `finish` copies only those.
 *
 * @module
 */

import { outputCopy } from '@krbsim/asn1';
import { PacError } from '../errors';

/** Recorded padding bytes by the absolute offset where the padding starts. */
export type PaddingSource = ReadonlyMap<number, Uint8Array>;

export class NdrWriter {
  private buf: Uint8Array;
  private dv: DataView;
  /** The next byte to write. */
  pos = 0;
  /** Padding to write instead of zeros where its offset and length match, while a value that recorded some is written. */
  padding: PaddingSource | undefined;

  /** @param base the offset alignment is counted from */
  constructor(
    capacity = 256,
    readonly base = 0,
  ) {
    this.buf = new Uint8Array(capacity);
    this.dv = new DataView(this.buf.buffer);
  }

  /** Bytes the writer holds before it has to grow. */
  get capacity(): number {
    return this.buf.length;
  }

  /** Makes room for `n` more bytes. */
  ensure(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.dv = new DataView(next.buffer);
  }

  /** Padding up to the next multiple of `n` (1, 2, 4 or 8) from `base`: zeros, or the recorded bytes. */
  align(n: number): void {
    const mis = (this.pos - this.base) & (n - 1);
    if (mis === 0) return;
    const recorded = this.padding?.get(this.pos);
    if (recorded !== undefined && recorded.length === n - mis) this.bytes(recorded);
    else this.zeros(n - mis);
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }

  u16le(v: number): void {
    this.ensure(2);
    this.dv.setUint16(this.pos, v, true);
    this.pos += 2;
  }

  u32le(v: number): void {
    this.ensure(4);
    this.dv.setUint32(this.pos, v, true);
    this.pos += 4;
  }

  /** NDR `unsigned short`, aligned to 2. */
  u16(v: number): void {
    this.align(2);
    this.u16le(v);
  }

  /** NDR `unsigned long`, aligned to 4. */
  u32(v: number): void {
    this.align(4);
    this.u32le(v);
  }

  /** A 64-bit little-endian number without alignment (a checked, unsigned 64-bit `bigint`). */
  u64le(v: bigint): void {
    this.ensure(8);
    // DataView writes the halves without BigInt arithmetic (no `v >> 32n` allocating a BigInt).
    this.dv.setBigUint64(this.pos, v, true);
    this.pos += 8;
  }

  /** A FILETIME-like pair of 32-bit halves, aligned to 4. */
  u64Pair(v: bigint): void {
    this.align(4);
    this.u64le(v);
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** `n` zero bytes. */
  zeros(n: number): void {
    this.ensure(n);
    this.buf.fill(0, this.pos, this.pos + n);
    this.pos += n;
  }

  /** A string as UTF-16LE code units, exactly (lone surrogates included). */
  utf16(s: string): void {
    const n = s.length;
    this.ensure(2 * n);
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      b[p] = c & 0xff;
      b[p + 1] = c >>> 8;
      p += 2;
    }
    this.pos = p;
  }

  /** Overwrites the 32-bit little-endian number at `at` (a pointer placeholder, a length). */
  put32(at: number, v: number): void {
    this.dv.setUint32(at, v, true);
  }

  /**
   * `n` bytes written in place by `write(buffer, at, arg)`, which must fill
   * `buffer[at..at+n)` (a module-level function such as `writeSid`: no
   * temporary array, no closure).
   */
  put<A>(n: number, write: (buffer: Uint8Array, at: number, arg: A) => unknown, arg: A): void {
    this.ensure(n);
    write(this.buf, this.pos, arg);
    this.pos += n;
  }

  /** Overwrites bytes written already, from `at`. */
  putBytes(at: number, b: Uint8Array): void {
    this.buf.set(b, at);
  }

  /**
   * The written bytes `[start, end)` in place: a view that later writes
   * may change or leave behind (when the writer grows). For checksums over
   * what was just written; never hand it out.
   */
  view(start: number, end: number): Uint8Array {
    return this.buf.subarray(start, end);
  }

  /** A copy of what was written: a view into a shared slab (`outputCopy` of `@krbsim/asn1`). */
  finish(): Uint8Array {
    return outputCopy(this.buf.subarray(0, this.pos));
  }
}

/** Writers whose memory grew past this are not kept for reuse (a PAC is rarely over 48 KiB). */
const MAX_KEPT = 64 * 1024;

let spare: NdrWriter | undefined;

/**
 * A writer at position 0, reusing the memory of the last one given back
 * with {@link releaseWriter}. A writer is out of the pool while acquired, so
 * nested encodings get writers of their own.
 */
export function acquireWriter(): NdrWriter {
  const w = spare ?? new NdrWriter(4096);
  spare = undefined;
  w.pos = 0;
  w.padding = undefined;
  return w;
}

/** Gives `w` back for reuse; nothing may use it afterwards. */
export function releaseWriter(w: NdrWriter): void {
  if (w.capacity <= MAX_KEPT && w.base === 0) spare = w;
}

/** True for an unsigned 32-bit integer. */
export function isUInt32(v: unknown): v is number {
  // `>>> 0` maps exactly the integers 0..2^32-1 (and -0) to themselves.
  return typeof v === 'number' && v >>> 0 === v;
}

/** Throws a {@link PacError} for an encoder input that is not an unsigned integer of `bits` bits. */
export function checkUInt(v: unknown, bits: 8 | 16 | 32, what: string): number {
  const max = bits === 32 ? 0xffffffff : (1 << bits) - 1;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) {
    throw uintError(v, bits, what);
  }
  return v;
}

/** The error {@link checkUInt} throws, for callers that check in a loop and build the path only on failure. */
export function uintError(v: unknown, bits: 8 | 16 | 32, what: string): PacError {
  // Flags with the high bit (SE_GROUP_LOGON_ID, 0xC0000000) or-ed in JavaScript come out negative.
  const signed = bits === 32 && Number.isInteger(v) && (v as number) < 0 && (v as number) >= -0x80000000;
  const hint = signed ? ` (JavaScript's | gives a signed number: write (a | b) >>> 0)` : '';
  return new PacError(`expected an unsigned ${bits}-bit integer, got ${String(v)}${hint}`, { path: what });
}

/** Throws a {@link PacError} for an encoder input that is not an unsigned 64-bit bigint. */
export function checkUInt64(v: unknown, what: string): bigint {
  if (typeof v !== 'bigint' || v < 0n || v > 0xffffffffffffffffn) {
    throw new PacError(`expected an unsigned 64-bit bigint, got ${String(v)}`, { path: what });
  }
  return v;
}

/** Throws a {@link PacError} unless `s` is a string whose UTF-16 form fits `maxUnits` code units. */
export function checkString(s: unknown, maxUnits: number, what: string): string {
  if (typeof s !== 'string') throw new PacError(`expected a string, got ${typeof s}`, { path: what });
  if (s.length > maxUnits) {
    throw new PacError(`a string of ${s.length} UTF-16 code units does not fit (at most ${maxUnits})`, {
      path: what,
    });
  }
  return s;
}
