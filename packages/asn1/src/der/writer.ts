/**
 * The DER writer (X.690 section 10): canonical definite lengths in their
 * shortest form, minimal INTEGERs, 32-bit KerberosFlags (RFC 4120 section
 * 5.2.8), `YYYYMMDDHHMMSSZ` times (section 5.2.3) and UTF-8 GeneralStrings.
 *
 * It writes backwards, from the end of a buffer towards its start: a value's
 * contents are written first, so its length is known when its header is
 * written, and nothing is measured twice or copied per level.
 *
 * Every function takes the buffer `b` and a position `p`, writes one whole
 * TLV in `b[..p)` and returns where it starts. The position is a plain number
 * passed along and returned, never a field of a cursor object: keeping it in
 * registers, and the buffer fixed for the whole encoding, is what makes the
 * generated encoders fast. Nothing checks for room. A store before index 0 of
 * a typed array is a no-op in JavaScript, so a value too big for the room
 * left simply comes back with a negative start, `-start` bytes short, and
 * everything in front of 0 dropped; the caller (`output.ts`) then knows the
 * exact size and writes it again into a buffer that fits. Nothing here reads
 * back what it wrote, so the dropped bytes change nothing else.
 *
 * Most functions also take `t`, an EXPLICIT context tag (`0xa0 | n`) to wrap
 * the value in, or 0 for none: RFC 4120 tags every SEQUENCE component
 * explicitly, and writing both headers in one call halves the calls per
 * field.
 *
 * @module
 */

import { Asn1Error } from './errors';
import { FILL_AHEAD_MIN, fillAhead } from './fill-ahead';
import { formatKerberosTime, MAX_KERBEROS_TIME, MIN_KERBEROS_TIME } from './time';

/**
 * Writes the header of a TLV whose `n` content bytes end at `p`: the length
 * (shortest form) and a one-octet tag. Returns the new start.
 */
export function tl(b: Uint8Array, p: number, tag: number, n: number): number {
  if (n < 0x80) {
    b[p - 1] = n;
    b[p - 2] = tag;
    return p - 2;
  }
  if (n < 0x100) {
    b[p - 1] = n;
    b[p - 2] = 0x81;
    b[p - 3] = tag;
    return p - 3;
  }
  if (n < 0x10000) {
    b[p - 1] = n & 0xff;
    b[p - 2] = n >>> 8;
    b[p - 3] = 0x82;
    b[p - 4] = tag;
    return p - 4;
  }
  let k = 0;
  while (n > 0) {
    b[--p] = n & 0xff;
    n = Math.floor(n / 256);
    k++;
  }
  b[p - 1] = 0x80 | k;
  b[p - 2] = tag;
  return p - 2;
}

/**
 * {@link tl}, then, when `t` is not 0, the header of the EXPLICIT tag `t`
 * around the whole TLV.
 */
export function tlx(b: Uint8Array, p: number, tag: number, n: number, t: number): number {
  // Both lengths in the short form: most fields of a Kerberos message.
  if (n < 0x7e) {
    b[p - 1] = n;
    b[p - 2] = tag;
    if (t === 0) return p - 2;
    b[p - 3] = n + 2;
    b[p - 4] = t;
    return p - 4;
  }
  const q = tl(b, p, tag, n);
  return t === 0 ? q : tl(b, q, t, n + p - q);
}

/**
 * Throws the encoder's "wrong kind of value" error (at `path`, for the
 * hand-written encoders; the generated ones prepend theirs as it unwinds).
 */
export function badValue(what: string, v: unknown, path?: string, code?: number): never {
  let got: string;
  if (v === undefined) got = 'undefined (missing)';
  else if (v === null) got = 'null';
  else if (typeof v === 'number' || typeof v === 'boolean') got = String(v);
  else if (typeof v === 'string') got = JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v);
  else if (Array.isArray(v)) got = 'an array';
  else if (v instanceof Uint8Array) got = `a Uint8Array of ${v.length} bytes`;
  else got = typeof v;
  throw new Asn1Error(`expected ${what}, got ${got}`, { path, code });
}

/** Throws {@link badValue}'s error at `path` unless `v` is a Uint8Array (for the hand-written encoders). */
export function expectBytes(v: unknown, path: string): asserts v is Uint8Array {
  if (!(v instanceof Uint8Array)) badValue('a Uint8Array', v, path);
}

/**
 * Writes an INTEGER (or ENUMERATED, `tag` 0x0a) holding `v`, an integer in
 * -2^31..2^32-1 (range checked by the caller), wrapped in `t` when not 0.
 * Shifts instead of divisions: the range fits `>>` (negative) and `>>>`.
 */
function int(b: Uint8Array, p: number, v: number, tag: number, t: number): number {
  // One content octet (etypes, name types, versions, message types): no loop.
  if (v >= 0 && v < 0x80) {
    b[p - 1] = v;
    b[p - 2] = 1;
    b[p - 3] = tag;
    if (t === 0) return p - 3;
    b[p - 4] = 3;
    b[p - 5] = t;
    return p - 5;
  }
  const end = p;
  let last: number;
  if (v >= 0) {
    do {
      last = v & 0xff;
      b[--p] = last;
      v = v >>> 8;
    } while (v > 0);
    if (last & 0x80) b[--p] = 0;
  } else {
    do {
      last = v & 0xff;
      b[--p] = last;
      v = v >> 8;
    } while (v < -1);
    if (!(last & 0x80)) b[--p] = 0xff;
  }
  // At most 5 content octets: both lengths take the short form.
  const n = end - p;
  b[p - 1] = n;
  b[p - 2] = tag;
  if (t === 0) return p - 2;
  b[p - 3] = n + 2;
  b[p - 4] = t;
  return p - 4;
}

/** `v` checked to be an Int32. */
function int32(v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff) {
    badValue('an Int32 (-2^31..2^31-1)', v);
  }
  return v;
}

/** Int32 (RFC 4120 section 5.2.4). */
export function eInt32(b: Uint8Array, p: number, v: unknown, t: number): number {
  return int(b, p, int32(v), 0x02, t);
}

/**
 * Whether a UInt32's `form` (a field's `<key>Form`, see `IntegerForm`) asks
 * for the signed form; throws for anything but `signed` and `unsigned`.
 */
function signedForm(form: unknown): boolean {
  if (form === 'signed') return true;
  if (form !== 'unsigned') badValue("an INTEGER form ('signed' or 'unsigned')", form);
  return false;
}

/**
 * UInt32 (RFC 4120 section 5.2.4), in canonical unsigned form unless `form`
 * is `signed`: then a value of 2^31 or more goes out as its 32-bit two's
 * complement (`02 04 94 70 9c 33`, as Heimdal writes its nonces). Below 2^31
 * both forms are the same bytes, and `form` is not looked at.
 */
export function eUInt32(b: Uint8Array, p: number, v: unknown, t: number, form?: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffffffff) {
    badValue('a UInt32 (0..2^32-1)', v);
  }
  return int(
    b,
    p,
    v > 0x7fffffff && form !== undefined && form !== null && signedForm(form) ? v | 0 : v,
    0x02,
    t,
  );
}

/**
 * A nonce: UInt32 in the RFC, written by default as MIT writes it, as the
 * signed 32-bit two's complement (0x94709c33 goes out as `02 04 94 70 9c 33`):
 * MIT declares every nonce Int32 and refuses the unsigned form of a value of
 * 2^31 or more (ASN1_OVERFLOW), Heimdal writes the signed form too. `form`
 * `unsigned` writes the canonical `02 05 00 94 70 9c 33`. Below 2^31 both
 * forms are the same bytes.
 */
export function eNonce(b: Uint8Array, p: number, v: unknown, t: number, form?: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffffffff) {
    badValue('a UInt32 (0..2^32-1)', v);
  }
  return signedByDefault(b, p, v, t, form);
}

/** A UInt32 of MIT's Int32 fields: signed two's complement unless `form` is `unsigned`. */
function signedByDefault(b: Uint8Array, p: number, v: number, t: number, form: unknown): number {
  return int(
    b,
    p,
    v > 0x7fffffff && form !== undefined && form !== null && !signedForm(form) ? v : v | 0,
    0x02,
    t,
  );
}

/**
 * A key version number: UInt32 in the RFC, written as MIT writes it, as the
 * signed 32-bit two's complement (0xFF000000 goes out as `02 04 FF 00 00 00`),
 * unless `form` is `unsigned` (`02 05 00 FF 00 00 00`). Negative Int32 inputs
 * are taken as the same bit pattern.
 */
export function eKvno(b: Uint8Array, p: number, v: unknown, t: number, form?: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < -0x80000000 || v > 0xffffffff) {
    badValue('a kvno (UInt32)', v);
  }
  return signedByDefault(b, p, v, t, form);
}

/** Microseconds (RFC 4120 section 5.2.4): 0..999999. */
export function eMicro(b: Uint8Array, p: number, v: unknown, t: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 999999) {
    badValue('Microseconds (0..999999)', v);
  }
  return int(b, p, v, 0x02, t);
}

/** `pvno` and the other version fields: INTEGER (5), which is also the default when absent. */
export function eVno(b: Uint8Array, p: number, v: unknown, t: number): number {
  return eInt32(b, p, v === undefined ? 5 : v, t);
}

/** ENUMERATED. */
export function eEnum(b: Uint8Array, p: number, v: unknown, t: number): number {
  return int(b, p, int32(v), 0x0a, t);
}

/** BOOLEAN, 0xFF for TRUE (X.690 section 11.1). */
export function eBool(b: Uint8Array, p: number, v: unknown, t: number): number {
  if (typeof v !== 'boolean') badValue('a boolean', v);
  b[p - 1] = v ? 0xff : 0;
  b[p - 2] = 1;
  b[p - 3] = 0x01;
  if (t === 0) return p - 3;
  b[p - 4] = 3;
  b[p - 5] = t;
  return p - 5;
}

/**
 * Below this many bytes a loop copies faster than `Uint8Array#set`, whose
 * call costs more than the copy of a short field (a checksum, a nonce).
 */
const SET_MIN = 16;

/** Copies `bytes` in front of `p` (no header). */
export function raw(b: Uint8Array, p: number, bytes: Uint8Array): number {
  const n = bytes.length;
  const q = p - n;
  if (n < SET_MIN) {
    for (let i = 0; i < n; i++) b[q + i] = bytes[i]!;
  } else if (q >= 0) {
    if (n >= FILL_AHEAD_MIN) fillAhead(b, q, p);
    b.set(bytes, q);
  }
  return q;
}

/** OCTET STRING. */
export function eOct(b: Uint8Array, p: number, v: unknown, t: number): number {
  if (!(v instanceof Uint8Array)) badValue('a Uint8Array', v);
  return tlx(b, raw(b, p, v), 0x04, v.length, t);
}

/** `[n] IMPLICIT OCTET STRING`: the octets under the primitive context tag `tag` (`0x80 | n`). */
export function eImpl(b: Uint8Array, p: number, v: unknown, tag: number): number {
  if (!(v instanceof Uint8Array)) badValue('a Uint8Array', v);
  return tl(b, raw(b, p, v), tag, v.length);
}

/** A value kept as its whole DER encoding (checked to start with `tag`, or any tag when `tag` is -1). */
export function eRaw(b: Uint8Array, p: number, v: unknown, tag: number, t: number): number {
  if (!(v instanceof Uint8Array)) badValue('a Uint8Array of DER', v);
  if (v.length < 2 || (tag !== -1 && v[0] !== tag)) badValue(`DER starting with 0x${tag.toString(16)}`, v);
  const q = raw(b, p, v);
  return t === 0 ? q : tl(b, q, t, v.length);
}

/** KerberosTime (RFC 4120 section 5.2.3): a whole number of seconds, years 0000..9999. */
export function eTime(b: Uint8Array, p: number, v: unknown, t: number): number {
  if (
    typeof v !== 'number' ||
    !Number.isInteger(v) ||
    v % 1000 !== 0 ||
    v < MIN_KERBEROS_TIME ||
    v > MAX_KERBEROS_TIME
  ) {
    badValue('a KerberosTime (whole seconds in ms, years 0000..9999)', v);
  }
  p -= 17;
  b[p] = 0x18;
  b[p + 1] = 15;
  formatKerberosTime(v, b, p + 2);
  if (t === 0) return p;
  b[p - 1] = 17;
  b[p - 2] = t;
  return p - 2;
}

/** KerberosFlags (RFC 4120 section 5.2.8): always a 32-bit BIT STRING, `03 05 00 xx xx xx xx`. */
export function eFlags(b: Uint8Array, p: number, v: unknown, t: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < -0x80000000 || v > 0xffffffff) {
    badValue('KerberosFlags (a 32-bit number)', v);
  }
  p -= 7;
  b[p] = 0x03;
  b[p + 1] = 5;
  b[p + 2] = 0;
  b[p + 3] = v >>> 24;
  b[p + 4] = (v >>> 16) & 0xff;
  b[p + 5] = (v >>> 8) & 0xff;
  b[p + 6] = v & 0xff;
  if (t === 0) return p;
  b[p - 1] = 7;
  b[p - 2] = t;
  return p - 2;
}

/**
 * A named-bit BIT STRING (X.680 22.7, SPNEGO ContextFlags): DER drops trailing
 * zero bits (X.690 11.2.2), so the value takes as few octets as it needs.
 */
export function eBits(b: Uint8Array, p: number, v: unknown, t: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < -0x80000000 || v > 0xffffffff) {
    badValue('a 32-bit flag set', v);
  }
  const x = v >>> 0;
  const end = p;
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
  return tlx(b, p, 0x03, end - p, t);
}

const utf8 = new TextEncoder();
const wellFormed = (String.prototype as { isWellFormed?: () => boolean }).isWellFormed;

/** GeneralString / KerberosString (RFC 4120 section 5.2.1), as UTF-8. */
export function eStr(b: Uint8Array, p: number, v: unknown, t: number): number {
  if (typeof v !== 'string') badValue('a string', v);
  const n = v.length;
  // One pass for ASCII, the usual case; anything else goes through TextEncoder.
  const q = p - n;
  let hi = 0;
  for (let i = 0; i < n; i++) {
    const c = v.charCodeAt(i);
    hi |= c;
    b[q + i] = c;
  }
  if (hi < 0x80) return tlx(b, q, 0x1b, n, t);
  if (wellFormed !== undefined && !wellFormed.call(v)) badValue('a well-formed string', v);
  const bytes = utf8.encode(v);
  return tlx(b, raw(b, p, bytes), 0x1b, bytes.length, t);
}

/** OBJECT IDENTIFIER from dotted decimal text. */
export function eOid(b: Uint8Array, p: number, v: unknown, t: number): number {
  if (typeof v !== 'string' || !/^[0-2]\.(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$/.test(v)) {
    badValue('an OBJECT IDENTIFIER in dotted form', v);
  }
  const arcs = v.split('.').map(Number);
  if (arcs[0]! < 2 && arcs[1]! >= 40) badValue('an OBJECT IDENTIFIER (second arc < 40)', v);
  const end = p;
  const vals = [arcs[0]! * 40 + arcs[1]!, ...arcs.slice(2)];
  for (let i = vals.length - 1; i >= 0; i--) {
    let a = vals[i]!;
    if (!Number.isSafeInteger(a)) badValue('an OBJECT IDENTIFIER with safe-integer arcs', v);
    b[--p] = a % 128;
    a = Math.floor(a / 128);
    while (a > 0) {
      b[--p] = 0x80 | (a % 128);
      a = Math.floor(a / 128);
    }
  }
  return tlx(b, p, 0x06, end - p, t);
}
