/**
 * Hand-written DER for the primitive forms (INTEGER, BIT STRING, lengths,
 * times, strings) and small types, checked byte for byte.
 */

import * as K from '@krbsim/asn1';
import { describe, expect, it } from 'vitest';
import { hex, unhex } from './helpers';
import { body, bytes, ed, T, ticket } from './samples';

describe('hand-checked DER', () => {
  it('PrincipalName', () => {
    expect(hex(K.encodePrincipalName({ nameType: 1, nameString: ['a', 'bc'] }))).toBe(
      '3010a003020101a10930071b01611b026263',
    );
    expect(hex(K.encodePrincipalName({ nameType: -128, nameString: [] }))).toBe('3009a003020180a1023000');
  });

  it('INTEGER forms: minimal, signed, UInt32 with a leading zero, kvno and nonce signed like MIT', () => {
    const e = (etype: number, kvno?: number) =>
      hex(K.encodeEncryptedData({ etype, kvno, cipher: new Uint8Array(0) }));
    expect(e(0)).toBe('3009a003020100a2020400');
    expect(e(127)).toBe('3009a00302017fa2020400');
    expect(e(128)).toBe('300aa00402020080a2020400');
    expect(e(-1)).toBe('3009a0030201ffa2020400');
    expect(e(-129)).toBe('300aa0040202ff7fa2020400');
    expect(e(2 ** 31 - 1)).toBe('300ca00602047fffffffa2020400');
    expect(e(-(2 ** 31))).toBe('300ca006020480000000a2020400');
    expect(e(0, 0xff000000)).toBe('3011a003020100a1060204ff000000a2020400');
    const n = (nonceForm?: K.IntegerForm) =>
      hex(
        K.encodeKdcReqBody({
          ...body,
          nonce: 0xffffffff,
          nonceForm,
          cname: undefined,
          sname: undefined,
          from: undefined,
          rtime: undefined,
          addresses: undefined,
          encAuthorizationData: undefined,
          additionalTickets: undefined,
        }),
      );
    // A nonce goes out as MIT writes it (an Int32: 0xffffffff is -1), unless asked for unsigned.
    expect(n()).toContain('a7030201ff');
    expect(n('unsigned')).toContain('a707020500ffffffff');
  });

  it('KerberosFlags: always 32 bits', () => {
    const ap = K.encodeApReq({ pvno: 5, msgType: 14, apOptions: 0, ticket, authenticator: ed(1) });
    expect(hex(ap)).toContain('a20703050000000000');
    const any = K.decodeApReq(ap);
    expect(any.apOptions).toBe(0);
  });

  it('BIT STRING of other lengths: first 32 bits are the flags', () => {
    // 40-bit and 8-bit kdc-options, and one with unused bits
    const pac = (bits: string) =>
      K.decodePaPacOptions(
        unhex(
          `30${(2 + bits.length / 2 + 2).toString(16).padStart(2, '0')}a0${(bits.length / 2 + 2).toString(16).padStart(2, '0')}03${(bits.length / 2).toString(16).padStart(2, '0')}${bits}`,
        ),
      );
    expect(pac('0080000000ff').flags).toBe(0x80000000);
    expect(pac('00c0').flags).toBe(0xc0000000);
    expect(pac('06c0').flags).toBe(0xc0000000);
    expect(pac('00').flags).toBe(0);
    // Bits the unused-bits octet marks unused are zero whatever the length, four octets too (MIT masks them).
    expect(pac('03ffffff').flags).toBe(0xfffff800);
    expect(pac('03ffffffff').flags).toBe(0xfffffff8);
    expect(pac('00ffffffff').flags).toBe(0xffffffff);
  });

  it('KerberosTime', () => {
    const b = K.encodePaEncTsEnc({ patimestamp: T('1994-06-10T06:03:17Z') });
    expect(hex(b)).toBe('3013a011180f31393934303631303036303331375a');
    expect(K.decodePaEncTsEnc(unhex('3013a011180f32303030303232393233353935395a')).patimestamp).toBe(
      T('2000-02-29T23:59:59Z'),
    );
    expect(
      K.decodePaEncTsEnc(K.encodePaEncTsEnc({ patimestamp: T('1901-01-01T00:00:00Z') })).patimestamp,
    ).toBe(T('1901-01-01T00:00:00Z'));
    expect(hex(K.encodePaEncTsEnc({ patimestamp: T('9999-12-31T23:59:59Z') }))).toContain(
      '39393939313233313233353935395a',
    );
  });

  it('KERB-PA-PAC-REQUEST as Windows sends it', () => {
    expect(hex(K.encodePaPacRequest({ includePac: true }))).toBe('3005a0030101ff');
    expect(hex(K.encodePaPacRequest({ includePac: false }))).toBe('3005a003010100');
  });

  it('PA-PAC-OPTIONS', () => {
    expect(hex(K.encodePaPacOptions({ flags: K.PacOptions.claims | K.PacOptions['branch-aware'] }))).toBe(
      '3009a00703050000000000'.replace('0000000000', '00c0000000'),
    );
  });

  it('long-form lengths', () => {
    const b = K.encodeEncryptedData({ etype: 1, cipher: bytes(200) });
    expect(hex(b.subarray(0, 3))).toBe('3081d3');
    const big = K.encodeEncryptedData({ etype: 1, cipher: bytes(70000) });
    expect(hex(big.subarray(0, 5))).toBe('308301117f');
    expect(K.decodeEncryptedData(big).cipher.length).toBe(70000);
  });

  it('UTF-8 GeneralStrings', () => {
    const b = K.encodePrincipalName({ nameType: 1, nameString: ['é'] });
    expect(hex(b)).toBe('300da003020101a10630041b02c3a9');
    // A leading byte-order mark is part of the name (MIT compares bytes): kept, and re-encoded as it came.
    const bom = unhex('3014a003020102a10d300b1b09efbbbf6b7262746774');
    const name = K.decodePrincipalName(bom);
    expect(name.nameString).toEqual(['\ufeffkrbtgt']);
    expect(hex(K.encodePrincipalName(name))).toBe(hex(bom));
  });

  it('KrbFastReq keeps req-body as DER bytes', () => {
    const r = K.decodeKrbFastReq(
      K.encodeKrbFastReq({ fastOptions: 0, padata: [], reqBody: K.encodeKdcReqBody(body) }),
    );
    expect(K.decodeKdcReqBody(r.reqBody).nonce).toBe(body.nonce);
  });

  it('extension markers: unknown trailing components of RFC 6113 types are skipped', () => {
    const armor = K.encodeKrbFastArmor({ armorType: 1, armorValue: Uint8Array.of(9) });
    const extended = unhex(
      `30${(armor[1]! + 5).toString(16).padStart(2, '0')}${hex(armor.subarray(2))}a503020101`,
    );
    expect(K.decodeKrbFastArmor(extended)).toEqual({ armorType: 1, armorValue: Uint8Array.of(9) });
  });
});

describe('GeneralString intern cache', () => {
  it('strings that share a cache slot (same length and sampled bytes) still decode exactly', () => {
    // The slot depends on the length and the first, middle and last bytes only.
    const names = ['aXaaa', 'aYaaa', 'aZaaa', 'aXaab'.replace('b', 'a')];
    for (let round = 0; round < 3; round++) {
      for (const n of names) {
        const b = K.encodePrincipalName({ nameType: 1, nameString: [n, n.toUpperCase()] });
        expect(K.decodePrincipalName(b).nameString).toEqual([n, n.toUpperCase()]);
      }
    }
  });

  it('long, empty and non-ASCII strings bypass the cache', () => {
    const long = 'x'.repeat(200);
    for (const s of [long, '', 'ü', `${long}y`]) {
      expect(
        K.decodePrincipalName(K.encodePrincipalName({ nameType: 1, nameString: [s] })).nameString,
      ).toEqual([s]);
    }
  });
});
