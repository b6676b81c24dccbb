/**
 * Bounds-checked big-endian byte reading and writing for the MIT binary file
 * formats (keytab, FILE credential cache). Every read checks the bytes it
 * needs against the end of the current region first, and every failure is a
 * {@link KerberosError} (`KRB_ERR_GENERIC`) naming the absolute byte offset,
 * so a truncated or lying file is reported, never crashes, and never makes the
 * reader allocate more than the input holds.
 *
 * @module
 */

import { ErrorCode, KerberosError } from '@krbsim/core';

const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf8Encoder = new TextEncoder();

/** A `KRB_ERR_GENERIC` {@link KerberosError} for a malformed file. */
export function formatError(what: string, message: string): KerberosError {
  return new KerberosError(ErrorCode.KRB_ERR_GENERIC, `${what}: ${message}`);
}

/**
 * A cursor over a region `[start, end)` of a byte array. Offsets in error
 * messages are absolute (from the start of the file), so they can be checked
 * with `xxd`.
 */
export class ByteReader {
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  readonly #end: number;
  readonly #what: string;
  readonly #littleEndian: boolean;
  #pos: number;

  /**
   * @param bytes - the whole file
   * @param what - the format's name for error messages (`'keytab'`)
   * @param start - first byte of the region
   * @param end - one past the last byte of the region
   * @param littleEndian - read integers little-endian (native order of old formats)
   */
  constructor(bytes: Uint8Array, what: string, start = 0, end = bytes.length, littleEndian = false) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#what = what;
    this.#pos = start;
    this.#end = end;
    this.#littleEndian = littleEndian;
  }

  /** The absolute offset of the next byte to read. */
  get offset(): number {
    return this.#pos;
  }

  /** Bytes left in the region. */
  get remaining(): number {
    return this.#end - this.#pos;
  }

  /** A reader over the next `length` bytes, advancing this one past them. */
  sub(length: number, field: string): ByteReader {
    this.need(length, field);
    const r = new ByteReader(this.#bytes, this.#what, this.#pos, this.#pos + length, this.#littleEndian);
    this.#pos += length;
    return r;
  }

  /** Throw unless `n` bytes remain for `field`. */
  need(n: number, field: string): void {
    if (n > this.remaining) {
      throw formatError(
        this.#what,
        `truncated ${field} at offset ${this.#pos}: need ${n} bytes, only ${this.remaining} remain`,
      );
    }
  }

  /** A {@link KerberosError} about the value at `offset`. */
  error(offset: number, message: string): KerberosError {
    return formatError(this.#what, `${message} at offset ${offset}`);
  }

  /** Read an unsigned byte. */
  u8(field: string): number {
    this.need(1, field);
    return this.#bytes[this.#pos++]!;
  }

  /** Read an unsigned 16-bit integer. */
  u16(field: string): number {
    this.need(2, field);
    const v = this.#view.getUint16(this.#pos, this.#littleEndian);
    this.#pos += 2;
    return v;
  }

  /** Read a signed 16-bit integer (MIT's enctypes and authdata types). */
  i16(field: string): number {
    this.need(2, field);
    const v = this.#view.getInt16(this.#pos, this.#littleEndian);
    this.#pos += 2;
    return v;
  }

  /** Read an unsigned 32-bit integer. */
  u32(field: string): number {
    this.need(4, field);
    const v = this.#view.getUint32(this.#pos, this.#littleEndian);
    this.#pos += 4;
    return v;
  }

  /** Read a signed 32-bit integer. */
  i32(field: string): number {
    this.need(4, field);
    const v = this.#view.getInt32(this.#pos, this.#littleEndian);
    this.#pos += 4;
    return v;
  }

  /** Copy out the next `n` bytes (a plain Uint8Array even when the input is a Buffer). */
  bytes(n: number, field: string): Uint8Array {
    this.need(n, field);
    const out = new Uint8Array(this.#bytes.subarray(this.#pos, this.#pos + n));
    this.#pos += n;
    return out;
  }

  /** Skip `n` bytes. */
  skip(n: number, field: string): void {
    this.need(n, field);
    this.#pos += n;
  }

  /** Decode the next `n` bytes as strict UTF-8. */
  utf8(n: number, field: string): string {
    const at = this.#pos;
    this.need(n, field);
    try {
      const s = utf8.decode(this.#bytes.subarray(at, at + n));
      this.#pos += n;
      return s;
    } catch (cause) {
      throw new KerberosError(
        ErrorCode.KRB_ERR_GENERIC,
        `${this.#what}: ${field} at offset ${at} is not valid UTF-8`,
        { cause },
      );
    }
  }
}

/** An append-only big-endian byte buffer. */
export class ByteWriter {
  #buf = new Uint8Array(256);
  #view = new DataView(this.#buf.buffer);
  #len = 0;

  /** Bytes written so far. */
  get length(): number {
    return this.#len;
  }

  #grow(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.#len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
    this.#view = new DataView(next.buffer);
  }

  /** Append a byte. */
  u8(v: number): this {
    this.#grow(1);
    this.#buf[this.#len++] = v & 0xff;
    return this;
  }

  /** Append an unsigned 16-bit integer. */
  u16(v: number): this {
    this.#grow(2);
    this.#view.setUint16(this.#len, v);
    this.#len += 2;
    return this;
  }

  /** Append a 32-bit integer (its low 32 bits, so signed values wrap). */
  u32(v: number): this {
    this.#grow(4);
    this.#view.setUint32(this.#len, v >>> 0);
    this.#len += 4;
    return this;
  }

  /** Overwrite a 32-bit integer at `offset` (for back-patched lengths). */
  patchU32(offset: number, v: number): void {
    this.#view.setUint32(offset, v >>> 0);
  }

  /** Append raw bytes. */
  bytes(b: Uint8Array): this {
    this.#grow(b.length);
    this.#buf.set(b, this.#len);
    this.#len += b.length;
    return this;
  }

  /** A copy of everything written. */
  finish(): Uint8Array {
    return this.#buf.slice(0, this.#len);
  }
}

/** The UTF-8 bytes of `s`. */
export function utf8Bytes(s: string): Uint8Array {
  return utf8Encoder.encode(s);
}

/**
 * Whole seconds for a millisecond time, checked to fit the formats' unsigned
 * 32-bit time fields. Fractions of a second are dropped (rounded down).
 */
export function toSeconds(ms: number, what: string, field: string): number {
  if (!Number.isFinite(ms)) throw formatError(what, `${field} is not a finite time: ${ms}`);
  const s = Math.floor(ms / 1000);
  if (s < 0 || s > 0xffffffff) {
    throw formatError(what, `${field} ${ms} ms does not fit an unsigned 32-bit count of seconds`);
  }
  return s;
}

/** Throw unless `v` fits a signed 16-bit field (-32768..32767); returns its 16 bits as written. */
export function checkInt16(v: number, what: string, field: string): number {
  if (!Number.isInteger(v) || v < -0x8000 || v > 0x7fff) {
    throw formatError(what, `${field} ${v} does not fit MIT's signed 16 bits (-32768..32767)`);
  }
  return v & 0xffff;
}

/** `v` when it is a signed 32-bit integer (MIT's krb5_int32, as a name type is read back); a format error otherwise. */
export function checkInt32(v: number, what: string, field: string): number {
  if (!Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff) {
    throw formatError(what, `${field} ${v} does not fit a signed 32-bit integer`);
  }
  return v;
}

/** Throw unless `v` is an integer in `[0, max]`. */
export function checkUint(v: number, max: number, what: string, field: string): number {
  if (!Number.isInteger(v) || v < 0 || v > max) {
    throw formatError(what, `${field} ${v} is not an integer in 0..${max}`);
  }
  return v;
}
