/**
 * A growable little-endian writer for NDR and the PAC's plain structures:
 * the counterpart of `NdrReader`. Alignment padding is written as zeros.
 *
 * @module
 */

import { PacError } from '../errors';

export class NdrWriter {
  private buf: Uint8Array;
  /** The next byte to write. */
  pos = 0;

  /** @param base the offset alignment is counted from */
  constructor(
    capacity = 256,
    readonly base = 0,
  ) {
    this.buf = new Uint8Array(capacity);
  }

  private ensure(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  /** Zero padding up to the next multiple of `n` from `base`. */
  align(n: number): void {
    const mis = (this.pos - this.base) % n;
    if (mis === 0) return;
    const pad = n - mis;
    this.ensure(pad);
    this.buf.fill(0, this.pos, this.pos + pad);
    this.pos += pad;
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }

  u16le(v: number): void {
    this.ensure(2);
    const b = this.buf;
    const p = this.pos;
    b[p] = v & 0xff;
    b[p + 1] = (v >>> 8) & 0xff;
    this.pos = p + 2;
  }

  u32le(v: number): void {
    this.ensure(4);
    this.put32(this.pos, v);
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

  /** A FILETIME-like pair of 32-bit halves, aligned to 4. */
  u64Pair(v: bigint): void {
    this.align(4);
    this.u32le(Number(v & 0xffffffffn));
    this.u32le(Number(v >> 32n));
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
    const b = this.buf;
    b[at] = v & 0xff;
    b[at + 1] = (v >>> 8) & 0xff;
    b[at + 2] = (v >>> 16) & 0xff;
    b[at + 3] = (v >>> 24) & 0xff;
  }

  /** A copy of what was written. */
  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}

/** Throws a {@link PacError} for an encoder input that is not an unsigned integer of `bits` bits. */
export function checkUInt(v: unknown, bits: 8 | 16 | 32, what: string): number {
  const max = bits === 32 ? 0xffffffff : (1 << bits) - 1;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) {
    throw new PacError(`expected an unsigned ${bits}-bit integer, got ${String(v)}`, { path: what });
  }
  return v;
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
