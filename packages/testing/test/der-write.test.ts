/**
 * The hand-built DER writer: bytes checked by hand (X.690's shortest
 * lengths, INTEGER's sign octet, base-128 OID arcs), and every encoding read
 * back by `@krbsim/testing`'s own TLV walker.
 */

import { derInt, derOid, derSeq, parseTlvs, tlv } from '@krbsim/testing';
import { describe, expect, it } from 'vitest';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('the DER writer', () => {
  it('writes lengths in their shortest form', () => {
    expect(hex(tlv(0x04, new Uint8Array(3)))).toBe('0403000000');
    expect(hex(tlv(0x04, new Uint8Array(200))).slice(0, 6)).toBe('0481c8');
    expect(hex(tlv(0x04, new Uint8Array(300))).slice(0, 8)).toBe('0482012c');
    expect(hex(tlv(0x30, Uint8Array.of(1), Uint8Array.of(2, 3)))).toBe('3003010203');
  });

  it('writes INTEGERs in the fewest octets, a 0 before a set top bit, and refuses what it cannot', () => {
    expect([0, 127, 128, 256, 2 ** 31].map((v) => hex(derInt(v)))).toEqual([
      '020100',
      '02017f',
      '02020080',
      '02020100',
      '020500' + '80000000',
    ]);
    expect(() => derInt(-1)).toThrow(RangeError);
  });

  it('writes OIDs as X.690 does: the first two arcs in one octet, the rest base 128', () => {
    expect(hex(derOid('1.2.840.113549.1.1.11'))).toBe('06092a864886f70d01010b');
    expect(hex(derOid('1.3.6.1.5.2.3.1'))).toBe('06072b060105020301');
  });

  it('nests: what it writes, the walker reads', () => {
    const bytes = derSeq(derInt(5), derOid('1.3.6.1.5.2.3.1'), tlv(0x04, new Uint8Array(150)));
    const children = parseTlvs(bytes)?.[0]?.children ?? [];
    expect(children.map((c) => hex(c.tag))).toEqual(['02', '06', '04']);
    expect(children[2]!.content).toHaveLength(150);
  });
});
