/** Test-side DER assembly (independent of the package's own writer). */

export function tlv(tag: number, content: Uint8Array | readonly number[]): Uint8Array {
  const c = Uint8Array.from(content);
  const n = c.length;
  const len = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  return Uint8Array.from([tag, ...len, ...c]);
}
export const cat = (...parts: Uint8Array[]): Uint8Array => Uint8Array.from(parts.flatMap((p) => [...p]));
export const seq = (...parts: Uint8Array[]): Uint8Array => tlv(0x30, cat(...parts));
export const ctx = (n: number, inner: Uint8Array): Uint8Array => tlv(0xa0 + n, inner);
export const int = (v: number): Uint8Array => {
  const b: number[] = [];
  let x = v;
  do {
    b.unshift(x & 0xff);
    x = Math.floor(x / 256);
  } while (x > 0);
  if (b[0]! & 0x80) b.unshift(0);
  return tlv(0x02, b);
};
export const gstr = (s: string): Uint8Array => tlv(0x1b, [...new TextEncoder().encode(s)]);
export const gtime = (s: string): Uint8Array => tlv(0x18, [...new TextEncoder().encode(s)]);
export const principal = (type: number, ...names: string[]): Uint8Array =>
  seq(ctx(0, int(type)), ctx(1, seq(...names.map(gstr))));

/** A minimal, valid AS-REQ (RFC 4120 section 5.4.1) for `cname@realm` asking for krbtgt/realm. */
export function asReq(cname: string, realm: string, extraEtypes = 0): Uint8Array {
  const etypes = [18, 17, ...Array.from({ length: extraEtypes }, () => 17)];
  const body = seq(
    ctx(0, tlv(0x03, [0, 0x40, 0, 0, 0x10])),
    ctx(1, principal(1, cname)),
    ctx(2, gstr(realm)),
    ctx(3, principal(2, 'krbtgt', realm)),
    ctx(5, gtime('20260102000000Z')),
    ctx(7, int(12345)),
    ctx(8, seq(...etypes.map(int))),
  );
  return tlv(0x6a, seq(ctx(1, int(5)), ctx(2, int(10)), ctx(4, body)));
}

/** A minimal TGS-REQ-shaped message (padata omitted) for sname@realm. */
export function tgsReq(realm: string, ...sname: string[]): Uint8Array {
  const body = seq(
    ctx(0, tlv(0x03, [0, 0, 0, 0, 0])),
    ctx(2, gstr(realm)),
    ctx(3, principal(2, ...sname)),
    ctx(5, gtime('20260102000000Z')),
    ctx(7, int(1)),
    ctx(8, seq(int(18))),
  );
  return tlv(0x6c, seq(ctx(1, int(5)), ctx(2, int(12)), ctx(4, body)));
}

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
export const fromHex = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h, 'hex'));
