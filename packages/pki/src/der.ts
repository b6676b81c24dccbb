/**
 * A small DER (X.690) reader and writer for the X.509 (RFC 5280) and CMS
 * (RFC 5652) structures PKINIT handles: certificates, SignedData and the
 * DH and EC key formats. The Kerberos types themselves go through
 * `@krbsim/asn1`'s generated codecs; these structures use universal tags and
 * SETs that the Kerberos schema language does not describe.
 *
 * The reader is strict: definite lengths in the shortest form, nothing past
 * an enclosing value's end, one-octet tags. It returns views into the input.
 *
 * @module
 */

import { Asn1Error } from '@krbsim/asn1';

/** One TLV: its tag octet and where its header and contents lie in `buf`. */
export interface Tlv {
  readonly tag: number;
  readonly start: number;
  /** First content octet. */
  readonly body: number;
  readonly end: number;
  /** The whole TLV, a view into the input. */
  readonly der: Uint8Array;
  /** The contents, a view into the input. */
  readonly value: Uint8Array;
}

/** Universal and context tags used here. */
export const Tag = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8String: 0x0c,
  SEQUENCE: 0x30,
  SET: 0x31,
  UTCTime: 0x17,
  GeneralizedTime: 0x18,
} as const;

/** Reads the TLV at `pos`, which must end by `end`. */
function readTlv(buf: Uint8Array, pos = 0, end = buf.length): Tlv {
  if (pos + 2 > end) throw new Asn1Error('truncated: expected a tag and a length', { offset: pos });
  const tag = buf[pos]!;
  if ((tag & 0x1f) === 0x1f) throw new Asn1Error('high-number tags are not supported', { offset: pos });
  let n = buf[pos + 1]!;
  let body = pos + 2;
  if (n & 0x80) {
    const k = n & 0x7f;
    if (k === 0 || k > 4) throw new Asn1Error('indefinite or oversized length', { offset: pos + 1 });
    if (body + k > end) throw new Asn1Error('truncated length', { offset: pos + 1 });
    n = 0;
    for (let i = 0; i < k; i++) n = n * 256 + buf[body + i]!;
    if (buf[body] === 0 || n < 0x80)
      throw new Asn1Error('length not in the shortest form', { offset: pos + 1 });
    body += k;
  }
  if (body + n > end) throw new Asn1Error(`truncated: ${n} content octets announced`, { offset: pos });
  const view = (a: number, b: number) => new Uint8Array(buf.buffer, buf.byteOffset + a, b - a);
  return { tag, start: pos, body, end: body + n, der: view(pos, body + n), value: view(body, body + n) };
}

/** Reads exactly one TLV filling `buf`, of tag `tag` when given. */
export function readOne(buf: Uint8Array, tag?: number, what = 'value'): Tlv {
  const t = readTlv(buf);
  if (t.end !== buf.length) throw new Asn1Error(`${buf.length - t.end} trailing bytes after the ${what}`);
  if (tag !== undefined) expectTag(t, tag, what);
  return t;
}

/** The TLVs inside a constructed value. */
export function children(t: Tlv): Tlv[] {
  const out: Tlv[] = [];
  const buf = t.value;
  let p = 0;
  while (p < buf.length) {
    const c = readTlv(buf, p);
    out.push(c);
    p = c.end;
  }
  return out;
}

/** Throws unless `t` has tag `tag`. */
export function expectTag(t: Tlv | undefined, tag: number, what: string): Tlv {
  if (t === undefined) throw new Asn1Error(`${what}: missing`);
  if (t.tag !== tag) {
    throw new Asn1Error(`${what}: expected tag 0x${hex2(tag)}, got 0x${hex2(t.tag)}`, { offset: t.start });
  }
  return t;
}

const hex2 = (n: number) => n.toString(16).padStart(2, '0');

/** The dotted text of an OBJECT IDENTIFIER TLV. */
export function oidOf(t: Tlv | undefined, what = 'OBJECT IDENTIFIER'): string {
  const b = expectTag(t, Tag.OID, what).value;
  if (b.length === 0) throw new Asn1Error(`${what}: empty`);
  const arcs: number[] = [];
  let v = 0;
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!;
    if (v === 0 && c === 0x80) throw new Asn1Error(`${what}: arc not in the shortest form`);
    v = v * 128 + (c & 0x7f);
    if (v > Number.MAX_SAFE_INTEGER / 128) throw new Asn1Error(`${what}: arc too large`);
    if (c & 0x80) continue;
    if (arcs.length === 0) {
      const a = v < 40 ? 0 : v < 80 ? 1 : 2;
      arcs.push(a, v - a * 40);
    } else arcs.push(v);
    v = 0;
  }
  if (b[b.length - 1]! & 0x80) throw new Asn1Error(`${what}: ends inside an arc`);
  return arcs.join('.');
}

/** A non-negative INTEGER's magnitude, big-endian without sign padding. */
export function unsignedOf(t: Tlv | undefined, what = 'INTEGER'): Uint8Array {
  const b = expectTag(t, Tag.INTEGER, what).value;
  if (b.length === 0) throw new Asn1Error(`${what}: empty INTEGER`);
  if (b[0]! & 0x80) throw new Asn1Error(`${what}: negative`);
  if (b.length > 1 && b[0] === 0 && !(b[1]! & 0x80)) throw new Asn1Error(`${what}: not in the shortest form`);
  return b[0] === 0 && b.length > 1 ? b.subarray(1) : b;
}

/** A BIT STRING's octets (no unused bits allowed: keys and signatures). */
export function bitStringOctets(t: Tlv | undefined, what = 'BIT STRING'): Uint8Array {
  const b = expectTag(t, Tag.BIT_STRING, what).value;
  if (b.length === 0 || b[0] !== 0) throw new Asn1Error(`${what}: expected whole octets`);
  return b.subarray(1);
}

// ---- writing ----

/** A TLV of `tag` around `parts`. */
export function tlv(tag: number, ...parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const head: number[] = [tag];
  if (n < 0x80) head.push(n);
  else {
    const len: number[] = [];
    for (let m = n; m > 0; m = Math.floor(m / 256)) len.unshift(m & 0xff);
    head.push(0x80 | len.length, ...len);
  }
  const out = new Uint8Array(head.length + n);
  out.set(head);
  let p = head.length;
  for (const part of parts) {
    out.set(part, p);
    p += part.length;
  }
  return out;
}

export const seq = (...parts: readonly Uint8Array[]): Uint8Array => tlv(Tag.SEQUENCE, ...parts);

/** SET OF in DER: the elements sorted by their encodings (X.690 section 11.6). */
export function setOf(...parts: readonly Uint8Array[]): Uint8Array {
  return tlv(Tag.SET, ...[...parts].sort(compareBytes));
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** An OBJECT IDENTIFIER from dotted text. */
export function oid(text: string): Uint8Array {
  const arcs = text.split('.').map(Number);
  const vals = [arcs[0]! * 40 + arcs[1]!, ...arcs.slice(2)];
  const out: number[] = [];
  for (const v of vals) {
    const enc: number[] = [v & 0x7f];
    for (let a = Math.floor(v / 128); a > 0; a = Math.floor(a / 128)) enc.unshift(0x80 | (a & 0x7f));
    out.push(...enc);
  }
  return tlv(Tag.OID, Uint8Array.from(out));
}

/** A non-negative INTEGER from its big-endian magnitude. */
export function unsigned(mag: Uint8Array): Uint8Array {
  let i = 0;
  while (i < mag.length - 1 && mag[i] === 0) i++;
  const m = mag.subarray(i);
  return m.length > 0 && m[0]! & 0x80
    ? tlv(Tag.INTEGER, Uint8Array.of(0), m)
    : tlv(Tag.INTEGER, m.length ? m : Uint8Array.of(0));
}

/** A small non-negative INTEGER. */
export function smallInt(n: number): Uint8Array {
  const b: number[] = [];
  for (let m = n; m > 0; m = Math.floor(m / 256)) b.unshift(m & 0xff);
  return unsigned(Uint8Array.from(b.length ? b : [0]));
}

export const octets = (b: Uint8Array): Uint8Array => tlv(Tag.OCTET_STRING, b);
export const bitString = (b: Uint8Array): Uint8Array => tlv(Tag.BIT_STRING, Uint8Array.of(0), b);
export const NULL = Uint8Array.of(Tag.NULL, 0);
/** A constructed context tag `[n]` (EXPLICIT, or IMPLICIT over a constructed type). */
export const ctx = (n: number, ...parts: readonly Uint8Array[]): Uint8Array => tlv(0xa0 | n, ...parts);

/** An AlgorithmIdentifier with `params` (none when undefined). */
export function algorithm(id: string, params?: Uint8Array): Uint8Array {
  return params === undefined ? seq(oid(id)) : seq(oid(id), params);
}
