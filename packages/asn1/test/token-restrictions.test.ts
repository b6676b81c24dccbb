/**
 * What a Windows client puts in its authenticator about itself (MS-KILE 3.2.5.8): the token
 * restrictions (a SEQUENCE OF KERB-AD-RESTRICTION-ENTRY holding an LSAP_TOKEN_INFO_INTEGRITY) and
 * the client target (UTF-16LE). Bytes checked by hand, round trips with fast-check, and every
 * malformed form refused with the field named.
 */

import {
  Asn1Error,
  decodeClientTarget,
  decodeKerbAdRestrictions,
  decodeLsapTokenInfoIntegrity,
  encodeClientTarget,
  encodeKerbAdRestrictions,
  encodeLsapTokenInfoIntegrity,
  ownedCopy,
  RESTRICTION_TYPE_TOKEN_INFO_INTEGRITY,
  TokenIntegrityFlags,
  TokenIntegrityLevel,
} from '@krbsim/asn1';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const machineId = Uint8Array.from({ length: 32 }, (_, i) => i);
const crossBoot = Uint8Array.from({ length: 32 }, (_, i) => 0xa0 + (i % 16));

describe('LSAP_TOKEN_INFO_INTEGRITY', () => {
  it('is Flags and TokenIL little-endian, then the PerBootMachineID: 40 bytes', () => {
    const b = encodeLsapTokenInfoIntegrity({
      flags: TokenIntegrityFlags.UAC_RESTRICTED,
      tokenIL: TokenIntegrityLevel.MEDIUM,
      machineId,
    });
    expect(hex(b)).toBe(`01000000${'00200000'}${hex(machineId)}`);
    expect(decodeLsapTokenInfoIntegrity(b)).toEqual({ flags: 1, tokenIL: 0x2000, machineId });
  });

  it('with a CrossBootMachineID after it: 72 bytes', () => {
    const v = { flags: 0, tokenIL: TokenIntegrityLevel.HIGH, machineId, crossBootMachineId: crossBoot };
    const b = encodeLsapTokenInfoIntegrity(v);
    expect(b.length).toBe(72);
    expect(hex(b)).toBe(`00000000${'00300000'}${hex(machineId)}${hex(crossBoot)}`);
    expect(decodeLsapTokenInfoIntegrity(b)).toEqual(v);
  });

  it('round-trips any value', () => {
    const id = fc.uint8Array({ minLength: 32, maxLength: 32 });
    fc.assert(
      fc.property(
        fc.record(
          { flags: fc.nat(0xffffffff), tokenIL: fc.nat(0xffffffff), machineId: id, crossBootMachineId: id },
          { requiredKeys: ['flags', 'tokenIL', 'machineId'] },
        ),
        (v) => {
          expect(decodeLsapTokenInfoIntegrity(encodeLsapTokenInfoIntegrity(v))).toEqual(v);
        },
      ),
    );
  });

  it('refuses any other length, and fields that do not fit', () => {
    for (const n of [0, 8, 39, 41, 71, 73]) {
      expect(() => decodeLsapTokenInfoIntegrity(new Uint8Array(n))).toThrow(
        new Asn1Error(`LSAP_TOKEN_INFO_INTEGRITY: ${n} bytes, not 40 (or 72 with a CrossBootMachineID)`),
      );
    }
    expect(() => encodeLsapTokenInfoIntegrity({ flags: -1, tokenIL: 0, machineId })).toThrow(
      /LSAP_TOKEN_INFO_INTEGRITY\.Flags: -1 does not fit 4 bytes/,
    );
    expect(() => encodeLsapTokenInfoIntegrity({ flags: 0, tokenIL: 2 ** 32, machineId })).toThrow(
      /LSAP_TOKEN_INFO_INTEGRITY\.TokenIL/,
    );
    expect(() =>
      encodeLsapTokenInfoIntegrity({ flags: 0, tokenIL: 0, machineId: new Uint8Array(16) }),
    ).toThrow(/PerBootMachineID: must be 32 bytes/);
    expect(() =>
      encodeLsapTokenInfoIntegrity({
        flags: 0,
        tokenIL: 0,
        machineId,
        crossBootMachineId: new Uint8Array(33),
      }),
    ).toThrow(/CrossBootMachineID: must be 32 bytes/);
  });
});

describe('KERB_AUTH_DATA_TOKEN_RESTRICTIONS', () => {
  it('wraps the KERB-AD-RESTRICTION-ENTRY in a SEQUENCE OF, as Windows sends it', () => {
    const restriction = encodeLsapTokenInfoIntegrity({
      flags: 0,
      tokenIL: TokenIntegrityLevel.MEDIUM,
      machineId,
    });
    const b = ownedCopy(
      encodeKerbAdRestrictions([{ restrictionType: RESTRICTION_TYPE_TOKEN_INFO_INTEGRITY, restriction }]),
    );
    // 30 33 { 30 31 { a0 03 { 02 01 00 } a1 2a { 04 28 <40 bytes> } } }
    expect(hex(b)).toBe(`3033${'3031'}a003020100a12a0428${hex(restriction)}`);
    expect(decodeKerbAdRestrictions(b)).toEqual([{ restrictionType: 0, restriction }]);
  });

  it('round-trips any entries', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            restrictionType: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
            restriction: fc.uint8Array(),
          }),
          { minLength: 1, maxLength: 4 },
        ),
        (entries) => {
          expect(decodeKerbAdRestrictions(ownedCopy(encodeKerbAdRestrictions(entries)))).toEqual(entries);
        },
      ),
    );
  });

  it('refuses the bare entry MS-KILE prints, an empty list, and a missing field, naming where', () => {
    // The entry alone: its first element is [0], not a SEQUENCE.
    expect(() =>
      decodeKerbAdRestrictions(Uint8Array.from([0x30, 0x05, 0xa0, 0x03, 0x02, 0x01, 0x00])),
    ).toThrow(Asn1Error);
    expect(() => decodeKerbAdRestrictions(Uint8Array.from([0x30, 0x00]))).toThrow(Asn1Error);
    expect(() =>
      decodeKerbAdRestrictions(Uint8Array.from([0x30, 0x07, 0x30, 0x05, 0xa0, 0x03, 0x02, 0x01, 0x00])),
    ).toThrow(/restriction/);
  });
});

describe('KERB_AUTH_DATA_CLIENT_TARGET', () => {
  it('is the name in UTF-16LE, no terminator', () => {
    const b = encodeClientTarget('MSSQLSvc/mi1:1433@A.COM');
    expect(b.length).toBe(46);
    expect(hex(b.subarray(0, 6))).toBe('4d0053005300');
    expect(decodeClientTarget(b)).toBe('MSSQLSvc/mi1:1433@A.COM');
  });

  it('round-trips any well-formed text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (s) => {
        expect(decodeClientTarget(encodeClientTarget(s))).toBe(s);
      }),
    );
  });

  it('refuses an odd length and an unpaired surrogate', () => {
    expect(() => decodeClientTarget(Uint8Array.of(0x41, 0x00, 0x42))).toThrow(
      new Asn1Error('KERB_AUTH_DATA_CLIENT_TARGET: 3 bytes, not UTF-16LE'),
    );
    expect(() => decodeClientTarget(Uint8Array.of(0x00, 0xd8))).toThrow(/unpaired surrogate/);
  });
});
