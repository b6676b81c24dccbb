/**
 * The DER writer (X.690 section 10): canonical definite lengths in their
 * shortest form, minimal INTEGERs, 32-bit KerberosFlags (RFC 4120 section
 * 5.2.8), `YYYYMMDDHHMMSSZ` times (section 5.2.3) and UTF-8 GeneralStrings.
 *
 * It writes backwards, from the end of a buffer towards its start: a value's
 * contents are written first, so its length is known when its header is
 * written, and nothing is measured twice or copied per level. The buffer
 * doubles (moving the written tail) when it runs out. Every function writes
 * one whole TLV in front of what is already there.
 *
 * @module
 */

import { Asn1Error } from './errors';
import { formatKerberosTime, MAX_KERBEROS_TIME, MIN_KERBEROS_TIME } from './time';

/**
 * The encoding cursor: the value being written occupies `buf[pos..end)`.
 * Bytes after `end` may belong to earlier outputs handed out as views (see
 * {@link takeOutput}) and are never touched.
 */
export interface Writer {
  buf: Uint8Array;
  pos: number;
  end: number;
}

/**
 * Uninitialized memory where the platform has it (Node's
 * `Buffer.allocUnsafeSlow`, about half the cost of a zero-filled array), else
 * a zero-filled `Uint8Array`. Every byte handed out is written first.
 */
const allocUnsafe: (n: number) => Uint8Array = (() => {
  const B = (globalThis as { Buffer?: { allocUnsafeSlow?: (n: number) => Uint8Array } }).Buffer;
  const slow = B?.allocUnsafeSlow;
  if (typeof slow !== 'function') return (n: number) => new Uint8Array(n);
  return (n: number) => {
    const b = slow.call(B, n);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  };
})();

/** A fresh writer with `size` bytes of room. */
export function newWriter(size = 1024): Writer {
  return { buf: allocUnsafe(size), pos: size, end: size };
}

/**
 * Makes room for `n` more bytes in front of `w.pos`, moving `buf[pos..end)`
 * to the end of a bigger buffer. Absolute offsets into `buf` do not survive
 * this; measure lengths as `w.end - w.pos`, which does.
 */
export function grow(w: Writer, n: number): void {
  const old = w.buf;
  const used = w.end - w.pos;
  let size = Math.max(1024, old.length * 2);
  while (size - used < n + 64) size *= 2;
  if (size > 0x7fffffff) throw new Asn1Error('encoding is too large');
  const buf = allocUnsafe(size);
  buf.set(old.subarray(w.pos, w.end), size - used);
  w.buf = buf;
  w.pos = size - used;
  w.end = size;
}

/**
 * Hands out `buf[pos..end)` as a view (no copy) and starts the next value
 * just before it. Allocating a fresh typed array per message is the dominant
 * cost of encoding small messages in V8, so outputs share slabs, the way
 * Node's `Buffer.allocUnsafe` pool does.
 */
export function takeOutput(w: Writer): Uint8Array {
  const b = w.buf;
  const out = new Uint8Array(b.buffer, b.byteOffset + w.pos, w.end - w.pos);
  w.end = w.pos;
  return out;
}

/** Writes a length (shortest form) and a one-octet tag in front of the contents. */
export function tl(w: Writer, tag: number, n: number): void {
  if (w.pos < 6) grow(w, 6);
  const b = w.buf;
  let p = w.pos;
  if (n < 0x80) {
    b[--p] = n;
  } else {
    let k = 0;
    while (n > 0) {
      b[--p] = n & 0xff;
      n = Math.floor(n / 256);
      k++;
    }
    b[--p] = 0x80 | k;
  }
  b[--p] = tag;
  w.pos = p;
}

/** Throws the encoder's "wrong kind of value" error. */
export function badValue(what: string, v: unknown): never {
  let got: string;
  if (v === undefined) got = 'undefined (missing)';
  else if (v === null) got = 'null';
  else if (typeof v === 'number' || typeof v === 'boolean') got = String(v);
  else if (typeof v === 'string') got = JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v);
  else if (Array.isArray(v)) got = 'an array';
  else if (v instanceof Uint8Array) got = `a Uint8Array of ${v.length} bytes`;
  else got = typeof v;
  throw new Asn1Error(`expected ${what}, got ${got}`);
}

/** Writes an INTEGER holding `v`, a safe integer (no range check). */
function int(w: Writer, v: number): void {
  if (w.pos < 16) grow(w, 16);
  const b = w.buf;
  let p = w.pos;
  const end = p;
  if (v >= 0) {
    do {
      b[--p] = v & 0xff;
      v = Math.floor(v / 256);
    } while (v > 0);
    if (b[p]! & 0x80) b[--p] = 0;
  } else {
    do {
      b[--p] = v & 0xff;
      v = Math.floor(v / 256);
    } while (v < -1);
    if (!(b[p]! & 0x80)) b[--p] = 0xff;
  }
  w.pos = p;
  tl(w, 0x02, end - p);
}

/** Int32 (RFC 4120 section 5.2.4). */
export function eInt32(w: Writer, v: unknown): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff) {
    badValue('an Int32 (-2^31..2^31-1)', v);
  }
  int(w, v);
}

/** UInt32 (RFC 4120 section 5.2.4), in canonical unsigned form. */
export function eUInt32(w: Writer, v: unknown): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffffffff) {
    badValue('a UInt32 (0..2^32-1)', v);
  }
  int(w, v);
}

/**
 * A key version number: UInt32 in the RFC, written as MIT writes it, as the
 * signed 32-bit two's complement (0xFF000000 goes out as `02 04 FF 00 00 00`).
 * Negative Int32 inputs are taken as the same bit pattern.
 */
export function eKvno(w: Writer, v: unknown): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < -0x80000000 || v > 0xffffffff) {
    badValue('a kvno (UInt32)', v);
  }
  int(w, v | 0);
}

/** Microseconds (RFC 4120 section 5.2.4): 0..999999. */
export function eMicro(w: Writer, v: unknown): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 999999) {
    badValue('Microseconds (0..999999)', v);
  }
  int(w, v);
}

/** `pvno` and the other version fields: INTEGER (5), which is also the default when absent. */
export function eVno(w: Writer, v: unknown): void {
  eInt32(w, v === undefined ? 5 : v);
}

/** ENUMERATED. */
export function eEnum(w: Writer, v: unknown): void {
  eInt32(w, v);
  w.buf[w.pos] = 0x0a;
}

/** BOOLEAN, 0xFF for TRUE (X.690 section 11.1). */
export function eBool(w: Writer, v: unknown): void {
  if (typeof v !== 'boolean') badValue('a boolean', v);
  if (w.pos < 3) grow(w, 3);
  const b = w.buf;
  const p = w.pos - 3;
  b[p] = 0x01;
  b[p + 1] = 1;
  b[p + 2] = v ? 0xff : 0;
  w.pos = p;
}

/** Copies `bytes` in front of `w.pos` (no header). */
export function raw(w: Writer, bytes: Uint8Array): void {
  const n = bytes.length;
  if (w.pos < n) grow(w, n);
  const p = w.pos - n;
  if (n < 32) {
    const b = w.buf;
    for (let i = 0; i < n; i++) b[p + i] = bytes[i]!;
  } else {
    w.buf.set(bytes, p);
  }
  w.pos = p;
}

/** OCTET STRING. */
export function eOct(w: Writer, v: unknown): void {
  if (!(v instanceof Uint8Array)) badValue('a Uint8Array', v);
  raw(w, v);
  tl(w, 0x04, v.length);
}

/** A value kept as its whole DER encoding (checked to start with `tag`, or any tag when `tag` is -1). */
export function eRaw(w: Writer, v: unknown, tag: number): void {
  if (!(v instanceof Uint8Array)) badValue('a Uint8Array of DER', v);
  if (v.length < 2 || (tag !== -1 && v[0] !== tag)) badValue(`DER starting with 0x${tag.toString(16)}`, v);
  raw(w, v);
}

/** KerberosTime (RFC 4120 section 5.2.3): a whole number of seconds, years 0000..9999. */
export function eTime(w: Writer, v: unknown): void {
  if (
    typeof v !== 'number' ||
    !Number.isInteger(v) ||
    v % 1000 !== 0 ||
    v < MIN_KERBEROS_TIME ||
    v > MAX_KERBEROS_TIME
  ) {
    badValue('a KerberosTime (whole seconds in ms, years 0000..9999)', v);
  }
  if (w.pos < 17) grow(w, 17);
  const p = w.pos - 17;
  const b = w.buf;
  b[p] = 0x18;
  b[p + 1] = 15;
  formatKerberosTime(v, b, p + 2);
  w.pos = p;
}

/** KerberosFlags (RFC 4120 section 5.2.8): always a 32-bit BIT STRING, `03 05 00 xx xx xx xx`. */
export function eFlags(w: Writer, v: unknown): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < -0x80000000 || v > 0xffffffff) {
    badValue('KerberosFlags (a 32-bit number)', v);
  }
  if (w.pos < 7) grow(w, 7);
  const p = w.pos - 7;
  const b = w.buf;
  b[p] = 0x03;
  b[p + 1] = 5;
  b[p + 2] = 0;
  b[p + 3] = v >>> 24;
  b[p + 4] = (v >>> 16) & 0xff;
  b[p + 5] = (v >>> 8) & 0xff;
  b[p + 6] = v & 0xff;
  w.pos = p;
}

/**
 * A named-bit BIT STRING (X.680 22.7, SPNEGO ContextFlags): DER drops trailing
 * zero bits (X.690 11.2.2), so the value takes as few octets as it needs.
 */
export function eBits(w: Writer, v: unknown): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < -0x80000000 || v > 0xffffffff) {
    badValue('a 32-bit flag set', v);
  }
  const x = v >>> 0;
  if (w.pos < 7) grow(w, 7);
  const b = w.buf;
  let p = w.pos;
  if (x === 0) {
    b[--p] = 0;
  } else {
    let lowest = 0;
    while (((x >>> lowest) & 1) === 0) lowest++;
    const bits = 32 - lowest;
    const octets = Math.ceil(bits / 8);
    for (let i = octets - 1; i >= 0; i--) b[--p] = (x >>> (24 - 8 * i)) & 0xff;
    b[--p] = octets * 8 - bits;
  }
  const n = w.pos - p;
  w.pos = p;
  tl(w, 0x03, n);
}

const utf8 = new TextEncoder();
const wellFormed = (String.prototype as { isWellFormed?: () => boolean }).isWellFormed;

/** GeneralString / KerberosString (RFC 4120 section 5.2.1), as UTF-8. */
export function eStr(w: Writer, v: unknown): void {
  if (typeof v !== 'string') badValue('a string', v);
  const n = v.length;
  if (w.pos < n + 6) grow(w, n + 6);
  // One pass for ASCII, the usual case; anything else goes through TextEncoder.
  const b = w.buf;
  const p = w.pos - n;
  let hi = 0;
  for (let i = 0; i < n; i++) {
    const c = v.charCodeAt(i);
    hi |= c;
    b[p + i] = c;
  }
  if (hi < 0x80) {
    w.pos = p;
    tl(w, 0x1b, n);
    return;
  }
  if (wellFormed !== undefined && !wellFormed.call(v)) badValue('a well-formed string', v);
  const bytes = utf8.encode(v);
  raw(w, bytes);
  tl(w, 0x1b, bytes.length);
}

/** OBJECT IDENTIFIER from dotted decimal text. */
export function eOid(w: Writer, v: unknown): void {
  if (typeof v !== 'string' || !/^[0-2]\.(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$/.test(v)) {
    badValue('an OBJECT IDENTIFIER in dotted form', v);
  }
  const arcs = v.split('.').map(Number);
  if (arcs[0]! < 2 && arcs[1]! >= 40) badValue('an OBJECT IDENTIFIER (second arc < 40)', v);
  const start = w.end - w.pos;
  const vals = [arcs[0]! * 40 + arcs[1]!, ...arcs.slice(2)];
  for (let i = vals.length - 1; i >= 0; i--) {
    let a = vals[i]!;
    if (!Number.isSafeInteger(a)) badValue('an OBJECT IDENTIFIER with safe-integer arcs', v);
    if (w.pos < 10) grow(w, 10);
    w.buf[--w.pos] = a % 128;
    a = Math.floor(a / 128);
    while (a > 0) {
      w.buf[--w.pos] = 0x80 | (a % 128);
      a = Math.floor(a / 128);
    }
  }
  tl(w, 0x06, w.end - w.pos - start);
}
