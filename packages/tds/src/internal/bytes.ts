/**
 * A bounds-checked reader and a growable writer for TDS's little-endian
 * fields. Every read names its field, so a short or lying message fails
 * with the path of what was being read.
 *
 * @module
 */

import { TdsError } from '../errors';

/** Reads fields from `bytes` in order; any read past the end is a `malformed` {@link TdsError}. */
export class ByteReader {
  readonly bytes: Uint8Array;
  readonly #view: DataView;
  #at: number;
  readonly #end: number;

  constructor(bytes: Uint8Array, start = 0, end = bytes.length) {
    this.bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#at = start;
    this.#end = end;
  }

  get offset(): number {
    return this.#at;
  }

  get remaining(): number {
    return this.#end - this.#at;
  }

  #need(n: number, path: string): number {
    if (n > this.#end - this.#at) {
      throw new TdsError(
        'malformed',
        path,
        `truncated: ${n} bytes needed at offset ${this.#at}, ${this.#end - this.#at} left`,
      );
    }
    const at = this.#at;
    this.#at += n;
    return at;
  }

  u8(path: string): number {
    return this.bytes[this.#need(1, path)]!;
  }

  u16le(path: string): number {
    return this.#view.getUint16(this.#need(2, path), true);
  }

  u16be(path: string): number {
    return this.#view.getUint16(this.#need(2, path), false);
  }

  u32le(path: string): number {
    return this.#view.getUint32(this.#need(4, path), true);
  }

  i32le(path: string): number {
    return this.#view.getInt32(this.#need(4, path), true);
  }

  u32be(path: string): number {
    return this.#view.getUint32(this.#need(4, path), false);
  }

  u64le(path: string): bigint {
    return this.#view.getBigUint64(this.#need(8, path), true);
  }

  /** A copy of the next `n` bytes. */
  take(n: number, path: string): Uint8Array {
    const at = this.#need(n, path);
    return this.bytes.slice(at, at + n);
  }

  /** `n` UTF-16LE code units. */
  utf16(chars: number, path: string): string {
    const at = this.#need(chars * 2, path);
    return utf16Decode(this.bytes.subarray(at, at + chars * 2));
  }

  /** B_VARCHAR: a 1-byte length in characters, then UTF-16LE. */
  bVarchar(path: string): string {
    return this.utf16(this.u8(`${path}.length`), path);
  }

  /** US_VARCHAR: a 2-byte length in characters, then UTF-16LE. */
  usVarchar(path: string): string {
    return this.utf16(this.u16le(`${path}.length`), path);
  }

  /** Nothing may follow: the strict end of a structure. */
  end(path: string): void {
    if (this.#at !== this.#end) {
      throw new TdsError('malformed', path, `${this.#end - this.#at} bytes after the end`);
    }
  }
}

/** Builds a message field by field; grows as needed. */
export class ByteWriter {
  #buf: Uint8Array;
  #view: DataView;
  #at = 0;

  constructor(initial = 256) {
    this.#buf = new Uint8Array(initial);
    this.#view = new DataView(this.#buf.buffer);
  }

  get length(): number {
    return this.#at;
  }

  #room(n: number): number {
    if (this.#at + n > this.#buf.length) {
      const next = new Uint8Array(Math.max(this.#buf.length * 2, this.#at + n));
      next.set(this.#buf.subarray(0, this.#at));
      this.#buf = next;
      this.#view = new DataView(next.buffer);
    }
    const at = this.#at;
    this.#at += n;
    return at;
  }

  u8(v: number): this {
    const at = this.#room(1);
    this.#buf[at] = v & 0xff;
    return this;
  }

  u16le(v: number): this {
    const at = this.#room(2);
    this.#view.setUint16(at, v, true);
    return this;
  }

  u16be(v: number): this {
    const at = this.#room(2);
    this.#view.setUint16(at, v, false);
    return this;
  }

  u32le(v: number): this {
    const at = this.#room(4);
    this.#view.setUint32(at, v >>> 0, true);
    return this;
  }

  i32le(v: number): this {
    const at = this.#room(4);
    this.#view.setInt32(at, v, true);
    return this;
  }

  u32be(v: number): this {
    const at = this.#room(4);
    this.#view.setUint32(at, v >>> 0, false);
    return this;
  }

  u64le(v: bigint): this {
    const at = this.#room(8);
    this.#view.setBigUint64(at, v, true);
    return this;
  }

  bytes(b: Uint8Array): this {
    const at = this.#room(b.length);
    this.#buf.set(b, at);
    return this;
  }

  utf16(s: string): this {
    return this.bytes(utf16Encode(s));
  }

  /** B_VARCHAR; `path` names the field when `s` is too long for it. */
  bVarchar(s: string, path: string): this {
    if (s.length > 0xff) throw new RangeError(`${path}: ${s.length} characters is more than 255`);
    return this.u8(s.length).utf16(s);
  }

  /** US_VARCHAR. */
  usVarchar(s: string, path: string): this {
    if (s.length > 0xffff) throw new RangeError(`${path}: ${s.length} characters is more than 65535`);
    return this.u16le(s.length).utf16(s);
  }

  /** Overwrite a 2-byte little-endian value already written (a length known afterwards). */
  patchU16le(at: number, v: number): void {
    this.#view.setUint16(at, v, true);
  }

  /** The bytes written, as an owned copy. */
  finish(): Uint8Array {
    return this.#buf.slice(0, this.#at);
  }
}

export function utf16Encode(s: string): Uint8Array {
  const b = Buffer.from(s, 'utf16le');
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

export function utf16Decode(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf16le');
}
