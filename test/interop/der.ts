/**
 * A tiny DER writer for interop tests: just enough to assemble syntactically
 * valid RFC 4120 messages by hand: a section 5.3 Ticket (klist decodes the
 * ticket to print its enctype, but never decrypts it) and a section 5.4.1
 * AS-REQ. Independent of @krbsim/asn1 on purpose (on `@krbsim/testing`'s
 * DER writer).
 */

import { derInt as int, derSeq as seq, tlv } from '@krbsim/testing';

/** The generic writer is `@krbsim/testing`'s; the names here are the ones the interop tests use. */
export { derInt as int, derOid as oid, derSeq as seq, tlv } from '@krbsim/testing';

/** A GeneralString (ASCII). */
export function gstr(s: string): Uint8Array {
  return tlv(0x1b, new TextEncoder().encode(s));
}

/** An explicit context tag `[n]`. */
export function ctx(n: number, inner: Uint8Array): Uint8Array {
  return tlv(0xa0 + n, inner);
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
