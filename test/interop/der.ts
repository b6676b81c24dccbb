/**
 * A tiny DER writer for interop tests: just enough to assemble syntactically
 * valid RFC 4120 messages by hand: a section 5.3 Ticket (klist decodes the
 * ticket to print its enctype, but never decrypts it) and a section 5.4.1
 * AS-REQ. Independent of @krbsim/asn1 on purpose.
 */

import { concatBytes } from '@krbsim/core';

/** A DER TLV with a short- or long-form length. */
export function tlv(tag: number, content: Uint8Array): Uint8Array {
  const n = content.length;
  const len =
    n < 0x80
      ? [n]
      : n < 0x100
        ? [0x81, n]
        : n < 0x10000
          ? [0x82, n >> 8, n & 0xff]
          : [0x83, n >> 16, (n >> 8) & 0xff, n & 0xff];
  const out = new Uint8Array(1 + len.length + n);
  out[0] = tag;
  out.set(len, 1);
  out.set(content, 1 + len.length);
  return out;
}

/** A DER INTEGER (non-negative, below 2^31). */
export function int(v: number): Uint8Array {
  const bytes: number[] = [];
  let x = v;
  do {
    bytes.unshift(x & 0xff);
    x = Math.floor(x / 256);
  } while (x > 0);
  if (bytes[0]! & 0x80) bytes.unshift(0);
  return tlv(0x02, Uint8Array.from(bytes));
}

/** A GeneralString (ASCII). */
export function gstr(s: string): Uint8Array {
  return tlv(0x1b, new TextEncoder().encode(s));
}

/** An explicit context tag `[n]`. */
export function ctx(n: number, inner: Uint8Array): Uint8Array {
  return tlv(0xa0 + n, inner);
}

/** A DER OBJECT IDENTIFIER from its dotted text (`1.3.6.1.5.2.3.1`). */
export function oid(text: string): Uint8Array {
  const arcs = text.split('.').map(Number);
  const out: number[] = [];
  for (const v of [arcs[0]! * 40 + arcs[1]!, ...arcs.slice(2)]) {
    const enc = [v & 0x7f];
    for (let a = Math.floor(v / 128); a > 0; a = Math.floor(a / 128)) enc.unshift(0x80 | (a & 0x7f));
    out.push(...enc);
  }
  return tlv(0x06, Uint8Array.from(out));
}

/** `SEQUENCE { ... }`. */
export function seq(...parts: Uint8Array[]): Uint8Array {
  return tlv(0x30, concatBytes(parts));
}

/** PrincipalName ::= SEQUENCE { name-type [0] Int32, name-string [1] SEQUENCE OF KerberosString }. */
export function principalName(nameType: number, names: readonly string[]): Uint8Array {
  return seq(ctx(0, int(nameType)), ctx(1, seq(...names.map(gstr))));
}

/** Ticket ::= [APPLICATION 1] SEQUENCE { tkt-vno [0], realm [1], sname [2], enc-part [3] }. */
export function ticketDer(
  realm: string,
  sname: { nameType: number; nameString: readonly string[] },
  etype: number,
  kvno: number,
  cipher: Uint8Array,
): Uint8Array {
  const encPart = seq(ctx(0, int(etype)), ctx(1, int(kvno)), ctx(2, tlv(0x04, cipher)));
  return tlv(
    0x61,
    seq(
      ctx(0, int(5)),
      ctx(1, gstr(realm)),
      ctx(2, principalName(sname.nameType, sname.nameString)),
      ctx(3, encPart),
    ),
  );
}

/** A GeneralizedTime. */
export function gtime(s: string): Uint8Array {
  return tlv(0x18, new TextEncoder().encode(s));
}

/** A minimal valid AS-REQ (RFC 4120 section 5.4.1) from `cname@realm` for krbtgt/realm. */
export function asReqDer(cname: string, realm: string, nonce = 42): Uint8Array {
  const body = seq(
    ctx(0, tlv(0x03, Uint8Array.from([0, 0x40, 0, 0, 0x10]))),
    ctx(1, principalName(1, [cname])),
    ctx(2, gstr(realm)),
    ctx(3, principalName(2, ['krbtgt', realm])),
    ctx(5, gtime('20370913024805Z')),
    ctx(7, int(nonce)),
    ctx(8, seq(int(18), int(17))),
  );
  return tlv(0x6a, seq(ctx(1, int(5)), ctx(2, int(10)), ctx(4, body)));
}
