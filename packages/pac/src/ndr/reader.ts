/**
 * A bounded little-endian reader for NDR (C706 chapter 14, MS-RPCE 2.2.5)
 * and the PAC's plain little-endian structures.
 *
 * Every read checks the bytes are there before touching them. Alignment
 * padding must be zero, except in an NDR stream, whose reader hands padding
 * of other bytes to a {@link PaddingRecorder} (a receiver ignores it; the
 * record lets the value re-encode to its own bytes). Failures are {@link PacError}s with the
 * input offset and an empty path, which the structure codecs fill in as the
 * error unwinds.
 *
 * @module
 */

import { PacError } from '../errors';

/** Takes alignment padding that is not zeros: its offset from the reader's `base`, and its bytes. */
export interface PaddingRecorder {
  pad(offset: number, bytes: Uint8Array): void;
}

export class NdrReader {
  /** The next byte to read. */
  pos: number;
  /** A view of `b` for 64-bit reads, made on the first one. */
  private dv: DataView | undefined;

  /**
   * @param b the input
   * @param start first byte of the range this reader may read
   * @param end one past the last byte it may read
   * @param base the offset alignment is counted from (the start of the NDR stream)
   * @param padding takes padding that is not zeros; without it, such padding is refused
   */
  constructor(
    readonly b: Uint8Array,
    start: number,
    readonly end: number,
    readonly base: number = start,
    private readonly padding?: PaddingRecorder,
  ) {
    this.pos = start;
  }

  /** Bytes left before `end`. */
  get remaining(): number {
    return this.end - this.pos;
  }

  /** A {@link PacError} at the current offset. */
  error(reason: string): PacError {
    return new PacError(reason, { offset: this.pos });
  }

  /** Throws unless `n` more bytes are available. */
  need(n: number): void {
    if (n > this.end - this.pos) {
      throw this.error(`needs ${n} more bytes, only ${this.end - this.pos} left`);
    }
  }

  /** Skips padding up to the next multiple of `n` from `base` (NDR alignment, C706 14.2.2). */
  align(n: number): void {
    const mis = (this.pos - this.base) % n;
    if (mis === 0) return;
    const pad = n - mis;
    this.need(pad);
    for (let i = 0; i < pad; i++) {
      if (this.b[this.pos + i] !== 0) {
        if (this.padding !== undefined) {
          this.padding.pad(this.pos - this.base, this.b.slice(this.pos, this.pos + pad));
          break;
        }
        this.pos += i;
        throw this.error(
          `alignment padding must be zero, got 0x${this.b[this.pos]!.toString(16).padStart(2, '0')}`,
        );
      }
    }
    this.pos += pad;
  }

  u8(): number {
    this.need(1);
    return this.b[this.pos++]!;
  }

  /** An unaligned little-endian 16-bit number. */
  u16le(): number {
    this.need(2);
    const b = this.b;
    const p = this.pos;
    this.pos = p + 2;
    return b[p]! | (b[p + 1]! << 8);
  }

  /** An unaligned little-endian 32-bit number. */
  u32le(): number {
    this.need(4);
    const b = this.b;
    const p = this.pos;
    this.pos = p + 4;
    return (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
  }

  /** An NDR `unsigned short`: aligned to 2. */
  u16(): number {
    this.align(2);
    return this.u16le();
  }

  /** An NDR `unsigned long`: aligned to 4. */
  u32(): number {
    this.align(4);
    return this.u32le();
  }

  /** A 64-bit little-endian unsigned number made of two 32-bit halves (FILETIME: aligned to 4). */
  u64Pair(): bigint {
    this.align(4);
    this.need(8);
    // One BigInt from DataView rather than four from BigInt(hi) << 32n | BigInt(lo).
    this.dv ??= new DataView(this.b.buffer, this.b.byteOffset, this.b.byteLength);
    const v = this.dv.getBigUint64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** `n` raw bytes, copied out of the input. */
  bytes(n: number): Uint8Array {
    this.need(n);
    const out = this.b.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** `n` UTF-16LE code units as a string, kept exactly (lone surrogates included). */
  utf16(n: number): string {
    this.need(2 * n);
    const s = utf16At(this.b, this.pos, n);
    this.pos += 2 * n;
    return s;
  }
}

/** `n` UTF-16LE code units at `b[at]` as a string, code unit for code unit. */
export function utf16At(b: Uint8Array, at: number, n: number): string {
  // fromCharCode over chunks of at most 1024 units: never a huge argument list.
  let s = '';
  for (let done = 0; done < n; done += 1024) {
    const k = Math.min(1024, n - done);
    const units = new Array<number>(k);
    for (let i = 0, p = at + 2 * done; i < k; i++, p += 2) units[i] = b[p]! | (b[p + 1]! << 8);
    s += String.fromCharCode.apply(null, units);
  }
  return s;
}

/** The little-endian 32-bit number at `b[at]` (the caller has checked the bytes are there). */
export function u32At(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}
