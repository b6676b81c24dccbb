/**
 * Each SEQUENCE and CHOICE is generated once per direction and shared by
 * every codec that contains it (schema/compile.ts): a codec compiled later
 * calls the function an earlier one made, whose frames keep the earlier
 * codec's source name, and the values are what separate copies gave.
 */

import { Asn1Error } from '@krbsim/asn1';
import { describe, expect, it } from 'vitest';
import { Codec } from '../src/schema/codec';
import { compileDecoder, compileEncoder } from '../src/schema/compile';
import { choice, field, int32, kerberosString, optional, seq, seqOf, uint32 } from '../src/schema/nodes';
import { thrown } from './helpers';

const Inner = seq('SharingInner', [field(0, 'n', int32), optional(field(1, 's', kerberosString))]);
const Pick = choice('SharingPick', [field(0, 'inner', Inner), field(1, 'n', int32)]);
const First = new Codec<{ inner: unknown; pick: unknown }>(
  'SharingFirst',
  seq('SharingFirst', [field(0, 'inner', Inner), field(1, 'pick', Pick)]),
);
const Second = new Codec<{ a: unknown; b: unknown }>(
  'SharingSecond',
  seq('SharingSecond', [field(0, 'a', Pick), optional(field(1, 'b', Inner))]),
);

describe('a type inside several codecs is generated once', () => {
  it('the second codec calls the first codec’s function, and both round-trip', () => {
    const first = { inner: { n: 1, s: 'x' }, pick: { inner: { n: 2, s: undefined } } };
    expect(First.decode(First.encode(first))).toEqual(first);
    const second = { a: { n: 7 }, b: { n: -3, s: 'yz' } };
    const der = Second.encode(second);
    expect(Second.decode(der)).toEqual(second);
    // SharingInner with its mandatory n missing, inside SharingSecond: the frame that throws
    // is the function generated for SharingFirst, not a second copy.
    const bad = Uint8Array.of(0x30, 0x0b, 0xa0, 0x05, 0xa1, 0x03, 0x02, 0x01, 0x07, 0xa1, 0x02, 0x30, 0x00);
    const e = thrown(() => Second.decode(bad));
    expect(e).toBeInstanceOf(Asn1Error);
    expect(e.path).toBe('SharingSecond.b.n');
    expect(e.stack).toContain('krbsim-codec/decode/SharingFirst.js');
    expect(e.stack).toContain('krbsim-codec/decode/SharingSecond.js');
  });

  it('compiling a shared type again gives the same function', () => {
    First.decoder;
    First.encoder;
    expect(compileDecoder(Inner)).toBe(compileDecoder(Inner));
    expect(compileEncoder(Pick)).toBe(compileEncoder(Pick));
    expect(compileDecoder(Inner)).not.toBe(compileDecoder(Pick));
  });
});

describe('declaration checks run once per type, and a bad declaration fails every time', () => {
  it('a UInt32 outside a SEQUENCE component is refused alone and inside another type, again and again', () => {
    const bad = seqOf('SharingBadList', uint32);
    const holder = seq('SharingHolder', [field(0, 'list', bad)]);
    for (let i = 0; i < 2; i++) {
      expect(() => compileDecoder(bad)).toThrow(/a UInt32 cannot keep its form here/);
      expect(() => compileEncoder(holder)).toThrow(
        /SharingHolder\.list\[\]: a UInt32 cannot keep its form here/,
      );
    }
  });
});
