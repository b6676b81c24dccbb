/**
 * The DER reader (X.690 section 10 on top of the BER rules of section 8),
 * restricted to what the Kerberos modules of RFC 4120 section 5 and appendix A
 * use: single-byte tags, definite lengths in their shortest form, INTEGER,
 * BOOLEAN, BIT STRING, OCTET STRING, OBJECT IDENTIFIER, ENUMERATED,
 * GeneralizedTime and GeneralString.
 *
 * Every function reads one whole TLV at `r.pos`, which must lie entirely
 * before `end` (the end of the enclosing value's contents), leaves `r.pos`
 * just past it and returns the value. Failures throw {@link Asn1Error} with an
 * empty path; the schema-generated decoders add the path as the error unwinds.
 *
 * Indefinite lengths (BER, X.690 section 8.1.3.6) are rejected: MIT, Heimdal
 * and Windows all send DER for Kerberos, and RFC 4120 section 5.1 requires it.
 *
 * @module
 */

import { ErrorCode } from '@krbsim/core';
import type { IntegerForm } from '../types/basic';
import { Asn1Error, describeTag, hexByte } from './errors';
import { parseKerberosTime } from './time';

/** The decoding cursor: the input and the offset of the next byte to read. */
export interface Reader {
  buf: Uint8Array;
  pos: number;
  /** `buf.buffer` and `buf.byteOffset`, cached for making views cheaply. */
  ab: ArrayBufferLike;
  off: number;
}

/** A reader over `buf` from offset 0. */
export function newReader(buf: Uint8Array): Reader {
  return { buf, pos: 0, ab: buf.buffer, off: buf.byteOffset };
}

/** Builds the error for a tag mismatch at `r.pos`. */
export function tagError(r: Reader, end: number, expected: string, code?: number): Asn1Error {
  const got =
    r.pos < end ? hexByte(r.buf[r.pos]!) : r.pos < r.buf.length ? 'end of contents' : 'end of input';
  return new Asn1Error(`expected ${expected}, got ${got}`, { offset: r.pos, code });
}

/**
 * Reads the identifier and length octets of a TLV whose tag must be `tag`
 * (a single identifier octet) and returns the offset just past its contents;
 * `r.pos` is left at the first content octet.
 */
export function hdr(r: Reader, end: number, tag: number): number {
  const b = r.buf;
  const p = r.pos;
  if (p >= end || b[p] !== tag) throw tagError(r, end, describeTag(tag));
  const n = b[p + 1]!;
  if (n < 0x80 && p + 2 + n <= end) {
    r.pos = p + 2;
    return p + 2 + n;
  }
  return len(r, end, p + 1);
}

/**
 * Like {@link hdr} when the caller has already checked the tag octet at
 * `r.pos`: reads the length and returns the end of the contents.
 */
export function hdrT(r: Reader, end: number): number {
  const p = r.pos;
  const n = r.buf[p + 1]!;
  if (n < 0x80 && p + 2 + n <= end) {
    r.pos = p + 2;
    return p + 2 + n;
  }
  return len(r, end, p + 1);
}

/**
 * Reads the length octets at `q` (just past a one-octet tag at `r.pos`),
 * checks them against DER and `end`, sets `r.pos` to the first content octet
 * and returns the end of the contents.
 */
export function len(r: Reader, end: number, q: number): number {
  const b = r.buf;
  if (q >= end) throw new Asn1Error('truncated: no length octets', { offset: q });
  let n = b[q]!;
  q++;
  if (n >= 0x80) {
    const k = n & 0x7f;
    if (k === 0) {
      throw new Asn1Error('indefinite length (BER 0x80) is not allowed in DER', { offset: q - 1 });
    }
    if (k > 4) throw new Asn1Error(`length of ${k} octets is too large`, { offset: q - 1 });
    if (q + k > end) throw new Asn1Error('truncated: length octets run past the end', { offset: q - 1 });
    if (b[q] === 0) throw new Asn1Error('length is not in the shortest form (leading 0x00)', { offset: q });
    n = 0;
    for (let i = 0; i < k; i++) n = n * 256 + b[q + i]!;
    if (n < 0x80) throw new Asn1Error(`length ${n} is not in the shortest form`, { offset: q });
    q += k;
  }
  const e = q + n;
  if (e > end) {
    throw new Asn1Error(`length ${n} runs past the end (${end - q} bytes left)`, { offset: r.pos });
  }
  r.pos = q;
  return e;
}

/** Throws when the contents of a tagged wrapper hold more than one value. */
export function extra(r: Reader, e: number): never {
  throw new Asn1Error(`${e - r.pos} unexpected bytes after the value`, { offset: r.pos });
}

/** Throws for a required field that is not there. */
export function missing(r: Reader, e: number, tag: number): never {
  throw tagError(r, e, describeTag(tag));
}

/** Throws for an element left over at the end of a SEQUENCE: unknown or out of order. */
export function unexpected(r: Reader, _end: number): never {
  throw new Asn1Error(`unexpected ${describeTag(r.buf[r.pos]!)}: unknown or out-of-order field`, {
    offset: r.pos,
  });
}

/**
 * Skips one whole TLV (any single-octet tag) for the extension marker of the
 * RFC 6113, MS-SFU and RFC 4178 types.
 */
export function skip(r: Reader, end: number): void {
  const p = r.pos;
  if ((r.buf[p]! & 0x1f) === 0x1f)
    throw new Asn1Error('high-number tags are not supported here', { offset: p });
  r.pos = len(r, end, p + 1);
}

/** The value of a DER INTEGER's contents at `[p, e)` as a signed number; `len` is 1..4. */
function intBody(b: Uint8Array, p: number, e: number): number {
  let v = (b[p]! << 24) >> 24; // sign-extend the first octet
  for (let i = p + 1; i < e; i++) v = v * 256 + b[i]!;
  return v;
}

/** Checks the INTEGER contents are non-empty and in shortest form (X.690 8.3.2). */
function intCheck(r: Reader, p: number, e: number, what: string): void {
  const b = r.buf;
  if (e === p) throw new Asn1Error(`empty ${what}`, { offset: p });
  if (e - p > 1) {
    const b0 = b[p]!;
    const b1 = b[p + 1]!;
    if ((b0 === 0 && b1 < 0x80) || (b0 === 0xff && b1 >= 0x80)) {
      throw new Asn1Error(`${what} is not in the shortest form`, { offset: p });
    }
  }
}

/** Int32 (RFC 4120 section 5.2.4): an INTEGER in -2^31..2^31-1. */
export function dInt32(r: Reader, end: number): number {
  const e = hdr(r, end, 0x02);
  const p = r.pos;
  intCheck(r, p, e, 'INTEGER');
  if (e - p > 4) throw new Asn1Error(`INTEGER of ${e - p} octets does not fit Int32`, { offset: p });
  r.pos = e;
  return intBody(r.buf, p, e);
}

/**
 * UInt32 (RFC 4120 section 5.2.4): an INTEGER in 0..2^32-1. Negative Int32
 * values are also accepted and read as their two's complement, because MIT
 * encodes kvno (and older releases sequence numbers) as signed 32-bit, and
 * Heimdal its nonces. The generated decoders keep which form came (see
 * {@link uintFormOf}).
 */
export function dUInt32(r: Reader, end: number): number {
  const e = hdr(r, end, 0x02);
  const p = r.pos;
  intCheck(r, p, e, 'INTEGER');
  const n = e - p;
  if (n > 5 || (n === 5 && r.buf[p] !== 0)) {
    throw new Asn1Error(`INTEGER of ${n} octets does not fit UInt32`, { offset: p });
  }
  r.pos = e;
  return n === 5 ? intBody(r.buf, p + 1, e) >>> 0 : intBody(r.buf, p, e) >>> 0;
}

/**
 * The form of a UInt32 of 2^31 or more that {@link dUInt32} has just read as
 * a TLV of `n` bytes: 7 (`02 05 00` and four octets) is the canonical
 * `unsigned` form; anything shorter a negative INTEGER, the 32-bit two's
 * complement (`signed`: `02 04 94 70 9c 33`, or as short as `02 01 ff` for
 * 0xffffffff). `undefined` when it is `dflt`, the form the field's encoder
 * writes anyway, so values in the usual form carry nothing extra.
 */
export function uintFormOf(n: number, dflt: IntegerForm): IntegerForm | undefined {
  const form = n === 7 ? 'unsigned' : 'signed';
  return form === dflt ? undefined : form;
}

/** Microseconds (RFC 4120 section 5.2.4): an INTEGER in 0..999999. */
export function dMicro(r: Reader, end: number): number {
  const p = r.pos;
  const v = dInt32(r, end);
  if (v < 0 || v > 999999) throw new Asn1Error(`Microseconds ${v} is out of range 0..999999`, { offset: p });
  return v;
}

/** `pvno`, `tkt-vno`, `authenticator-vno`: INTEGER (5); anything else is `KRB_AP_ERR_BADVERSION`. */
export function dVno(r: Reader, end: number): 5 {
  const p = r.pos;
  const v = dInt32(r, end);
  if (v !== 5) {
    throw new Asn1Error(`protocol version ${v}, expected 5`, {
      offset: p,
      code: ErrorCode.KRB_AP_ERR_BADVERSION,
    });
  }
  return 5;
}

/** Throws `KRB_AP_ERR_MSG_TYPE` for a msg-type that disagrees with the APPLICATION tag. */
export function msgTypeMismatch(r: Reader, expected: number, got: number): never {
  throw new Asn1Error(`msg-type ${got} does not match the application tag, expected ${expected}`, {
    offset: r.pos,
    code: ErrorCode.KRB_AP_ERR_MSG_TYPE,
  });
}

/** Throws `KRB_AP_ERR_MSG_TYPE` for an APPLICATION tag that is not one of `tags`. */
export function wrongApp(r: Reader, end: number, tags: readonly number[]): never {
  const expected = tags.map((t) => describeTag(0x60 | t)).join(' or ');
  throw tagError(r, end, expected, ErrorCode.KRB_AP_ERR_MSG_TYPE);
}

/** ENUMERATED (X.690 8.4), as an Int32. */
export function dEnum(r: Reader, end: number): number {
  const e = hdr(r, end, 0x0a);
  const p = r.pos;
  intCheck(r, p, e, 'ENUMERATED');
  if (e - p > 4) throw new Asn1Error(`ENUMERATED of ${e - p} octets does not fit Int32`, { offset: p });
  r.pos = e;
  return intBody(r.buf, p, e);
}

/** BOOLEAN: DER allows only 0x00 (FALSE) and 0xFF (TRUE), X.690 section 11.1. */
export function dBool(r: Reader, end: number): boolean {
  const e = hdr(r, end, 0x01);
  const p = r.pos;
  if (e - p !== 1) throw new Asn1Error(`BOOLEAN of ${e - p} octets, expected 1`, { offset: p });
  const v = r.buf[p]!;
  r.pos = e;
  if (v === 0xff) return true;
  if (v === 0) return false;
  throw new Asn1Error(`BOOLEAN ${hexByte(v)} is not DER (0x00 or 0xff)`, { offset: p });
}

/** OCTET STRING, returned as a view into the input (no copy). */
export function dOct(r: Reader, end: number): Uint8Array {
  const e = hdr(r, end, 0x04);
  const p = r.pos;
  r.pos = e;
  return new Uint8Array(r.ab, r.off + p, e - p);
}

/**
 * The contents `r.pos..end` of a TLV whose header was read, as a view: the
 * value of an `[n] IMPLICIT OCTET STRING`.
 */
export function dBody(r: Reader, end: number): Uint8Array {
  const p = r.pos;
  r.pos = end;
  return new Uint8Array(r.ab, r.off + p, end - p);
}

/** KerberosTime (RFC 4120 section 5.2.3): GeneralizedTime, exactly `YYYYMMDDHHMMSSZ`. */
export function dTime(r: Reader, end: number): number {
  const e = hdr(r, end, 0x18);
  const p = r.pos;
  const v = e - p === 15 ? parseKerberosTime(r.buf, p) : Number.NaN;
  if (Number.isNaN(v)) {
    const text = latin1(r.buf, p, Math.min(e, p + 40));
    throw new Asn1Error(`GeneralizedTime "${text}" is not YYYYMMDDHHMMSSZ`, { offset: p });
  }
  r.pos = e;
  return v;
}

/**
 * KerberosFlags (RFC 4120 section 5.2.8): a BIT STRING of any length whose
 * first 32 bits are returned as an unsigned number, RFC bit 0 in the most
 * significant position. Bits past 32 are ignored; missing bits are zero.
 */
export function dFlags(r: Reader, end: number): number {
  const e = hdr(r, end, 0x03);
  const p = r.pos;
  const b = r.buf;
  if (e === p) throw new Asn1Error('empty BIT STRING (no unused-bits octet)', { offset: p });
  const unused = b[p]!;
  if (unused > 7 || (unused !== 0 && e - p === 1)) {
    throw new Asn1Error(`BIT STRING has a bad unused-bits count ${unused}`, { offset: p });
  }
  r.pos = e;
  // Four whole octets: no bit of them unused (unused bits are masked below, as MIT masks them).
  if (e - p === 5 && unused === 0)
    return ((b[p + 1]! << 24) | (b[p + 2]! << 16) | (b[p + 3]! << 8) | b[p + 4]!) >>> 0;
  let v = 0;
  const n = Math.min(4, e - p - 1);
  for (let i = 0; i < 4; i++) v = (v << 8) | (i < n ? b[p + 1 + i]! : 0);
  const bits = (e - p - 1) * 8 - unused;
  if (bits < 32) v &= ~(0xffffffff >>> bits);
  return v >>> 0;
}

/**
 * A named-bit BIT STRING (X.680 22.7, e.g. SPNEGO ContextFlags): the same mapping as {@link dFlags},
 * under the name the declarations give it.
 *
 * @alias
 */
export const dBits = dFlags;

// ignoreBOM: a leading EF BB BF is part of the string (another name than the one without it), not dropped.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Latin-1 text of `b[p..e)`, for error messages and ASCII fast paths. */
export function latin1(b: Uint8Array, p: number, e: number): string {
  let s = '';
  for (let i = p; i < e; i++) s += String.fromCharCode(b[i]!);
  return s;
}

/*
 * Realms and principal names repeat from message to message, and building a
 * JavaScript string from bytes costs far more than comparing one, so ASCII
 * strings go through a small direct-mapped intern cache: pick a slot from the
 * bytes, and if it holds a string with exactly those characters, return it. A
 * miss builds the string and replaces the slot. The check is exact, so the
 * cache changes speed only, never results.
 */
const CACHE_SLOTS = 1024;
const MAX_CACHED = 64;
const cacheVals: string[] = new Array<string>(CACHE_SLOTS).fill('');
/** The bytes of each cached string, all slots in one array (slot * MAX_CACHED). */
const cacheBytes = new Uint8Array(CACHE_SLOTS * MAX_CACHED);

/**
 * GeneralString / KerberosString (RFC 4120 section 5.2.1). The RFC restricts
 * it to IA5; MIT and Windows send UTF-8 for non-ASCII names, so the contents
 * are decoded as UTF-8 (ill-formed UTF-8 is an error).
 */
export function dStr(r: Reader, end: number): string {
  const e = hdr(r, end, 0x1b);
  const p = r.pos;
  const b = r.buf;
  r.pos = e;
  const n = e - p;
  if (n === 0) return '';
  // The slot is picked from the length and three sampled bytes; a hit is
  // confirmed by comparing every byte with the bytes it was built from.
  const slot = Math.imul(n ^ (b[p]! << 8) ^ (b[e - 1]! << 16) ^ (b[p + (n >> 1)]! << 24), 0x9e3779b1) >>> 22;
  const hit = cacheVals[slot]!;
  if (hit.length === n) {
    const base = slot * MAX_CACHED;
    let i = 0;
    while (i < n && cacheBytes[base + i] === b[p + i]) i++;
    if (i === n) return hit;
  }
  let hi = 0;
  for (let i = p; i < e; i++) hi |= b[i]!;
  if (hi < 0x80) {
    if (n > MAX_CACHED) return latin1(b, p, e);
    const s =
      n <= 16 ? latin1(b, p, e) : String.fromCharCode.apply(null, b.subarray(p, e) as unknown as number[]);
    cacheVals[slot] = s;
    cacheBytes.set(b.subarray(p, e), slot * MAX_CACHED);
    return s;
  }
  try {
    return utf8.decode(b.subarray(p, e));
  } catch {
    r.pos = p;
    throw new Asn1Error('GeneralString is not valid UTF-8', { offset: p });
  }
}

/** OBJECT IDENTIFIER (X.690 8.19) as dotted decimal text. */
export function dOid(r: Reader, end: number): string {
  const e = hdr(r, end, 0x06);
  const p = r.pos;
  r.pos = e;
  return oidText(r.buf, p, e);
}

/** Dotted text of the OBJECT IDENTIFIER contents `b[p..e)`. */
export function oidText(b: Uint8Array, p: number, e: number): string {
  if (e === p) throw new Asn1Error('empty OBJECT IDENTIFIER', { offset: p });
  let out = '';
  let v = 0;
  let first = true;
  let start = true;
  for (let i = p; i < e; i++) {
    const c = b[i]!;
    if (start && c === 0x80)
      throw new Asn1Error('OBJECT IDENTIFIER arc is not in the shortest form', { offset: i });
    start = false;
    if (v > (Number.MAX_SAFE_INTEGER - 127) / 128) {
      throw new Asn1Error('OBJECT IDENTIFIER arc is too large', { offset: i });
    }
    v = v * 128 + (c & 0x7f);
    if (c & 0x80) continue;
    if (first) {
      const a = v < 40 ? 0 : v < 80 ? 1 : 2;
      out = `${a}.${v - a * 40}`;
      first = false;
    } else {
      out += `.${v}`;
    }
    v = 0;
    start = true;
  }
  if (!start) throw new Asn1Error('OBJECT IDENTIFIER ends inside an arc', { offset: e - 1 });
  return out;
}

/** Any one whole TLV with a single-octet tag, returned as its DER bytes (a view). */
export function dAny(r: Reader, end: number): Uint8Array {
  const s = r.pos;
  if (s >= end) throw tagError(r, end, 'a value');
  if ((r.buf[s]! & 0x1f) === 0x1f)
    throw new Asn1Error('high-number tags are not supported here', { offset: s });
  const e = len(r, end, s + 1);
  r.pos = e;
  return new Uint8Array(r.ab, r.off + s, e - s);
}

/**
 * Any one whole TLV (single-octet tag `tag`) returned as its DER bytes, a
 * view into the input: used for values kept opaque, such as KrbFastReq's
 * `req-body`.
 */
export function dRaw(r: Reader, end: number, tag: number): Uint8Array {
  const s = r.pos;
  const e = hdr(r, end, tag);
  r.pos = e;
  return new Uint8Array(r.ab, r.off + s, e - s);
}
