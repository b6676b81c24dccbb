/**
 * The registries and profiles: numbers, sizes, weak flags, the default salt,
 * and random key generation.
 */

import { SeededRandom, systemRandom } from '@krbsim/core';
import {
  ChecksumType,
  checksumTypeFor,
  defaultEncTypes,
  EncType,
  generateKey,
  getEncType,
  isSupportedEncType,
  isWeakEncType,
  KeyUsage,
  randomToKey,
  salt,
  supportedEncTypes,
  WEAK_ENC_TYPES,
} from '@krbsim/crypto';
import { describe, expect, it } from 'vitest';
import { toHex } from './helpers';

describe('EncType and ChecksumType (IANA numbers)', () => {
  it('has the RFC numbers', () => {
    expect(EncType).toMatchObject({
      AES128_CTS_HMAC_SHA1_96: 17,
      AES256_CTS_HMAC_SHA1_96: 18,
      AES128_CTS_HMAC_SHA256_128: 19,
      AES256_CTS_HMAC_SHA384_192: 20,
      RC4_HMAC: 23,
    });
    expect(ChecksumType).toMatchObject({
      HMAC_SHA1_96_AES128: 15,
      HMAC_SHA1_96_AES256: 16,
      HMAC_SHA256_128_AES128: 19,
      HMAC_SHA384_192_AES256: 20,
      HMAC_MD5: -138,
    });
  });
});

describe('KeyUsage (RFC 4120 section 7.5.1, RFC 4121, RFC 6113, MS-KILE)', () => {
  it('numbers the RFC 4120 usages 1-15 in order', () => {
    expect([
      KeyUsage.AS_REQ_PA_ENC_TIMESTAMP,
      KeyUsage.KDC_REP_TICKET,
      KeyUsage.AS_REP_ENCPART,
      KeyUsage.TGS_REQ_AD_SESSKEY,
      KeyUsage.TGS_REQ_AD_SUBKEY,
      KeyUsage.TGS_REQ_AUTH_CKSUM,
      KeyUsage.TGS_REQ_AUTH,
      KeyUsage.TGS_REP_ENCPART_SESSKEY,
      KeyUsage.TGS_REP_ENCPART_SUBKEY,
      KeyUsage.AP_REQ_AUTH_CKSUM,
      KeyUsage.AP_REQ_AUTH,
      KeyUsage.AP_REP_ENCPART,
      KeyUsage.KRB_PRIV_ENCPART,
      KeyUsage.KRB_CRED_ENCPART,
      KeyUsage.KRB_SAFE_CKSUM,
    ]).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
  });

  it('has the MS-KILE, GSS and FAST usages', () => {
    expect(KeyUsage.KERB_NON_KERB_SALT).toBe(16);
    expect(KeyUsage.KERB_NON_KERB_CKSUM_SALT).toBe(17);
    expect(KeyUsage.AD_KDC_ISSUED_CKSUM).toBe(19);
    expect([
      KeyUsage.KG_USAGE_ACCEPTOR_SEAL,
      KeyUsage.KG_USAGE_ACCEPTOR_SIGN,
      KeyUsage.KG_USAGE_INITIATOR_SEAL,
      KeyUsage.KG_USAGE_INITIATOR_SIGN,
    ]).toEqual([22, 23, 24, 25]);
    expect([
      KeyUsage.KEY_USAGE_FAST_REQ_CHKSUM,
      KeyUsage.KEY_USAGE_FAST_ENC,
      KeyUsage.KEY_USAGE_FAST_REP,
      KeyUsage.KEY_USAGE_FAST_FINISHED,
      KeyUsage.KEY_USAGE_ENC_CHALLENGE_CLIENT,
      KeyUsage.KEY_USAGE_ENC_CHALLENGE_KDC,
      KeyUsage.KEY_USAGE_AS_REQ,
    ]).toEqual([50, 51, 52, 53, 54, 55, 56]);
    expect([
      KeyUsage.FAST_REQ_CHKSUM,
      KeyUsage.FAST_ENC,
      KeyUsage.FAST_REP,
      KeyUsage.FAST_FINISHED,
      KeyUsage.ENC_CHALLENGE_CLIENT,
      KeyUsage.ENC_CHALLENGE_KDC,
    ]).toEqual([50, 51, 52, 53, 54, 55]);
  });
});

describe('profiles', () => {
  const expected = [
    [20, 'aes256-cts-hmac-sha384-192', 32, 32, 16, 16, 24, 20, '00008000', false],
    [19, 'aes128-cts-hmac-sha256-128', 16, 16, 16, 16, 16, 19, '00008000', false],
    [18, 'aes256-cts-hmac-sha1-96', 32, 32, 16, 16, 12, 16, '00001000', false],
    [17, 'aes128-cts-hmac-sha1-96', 16, 16, 16, 16, 12, 15, '00001000', false],
    [23, 'rc4-hmac', 16, 16, 1, 8, 16, -138, '', true],
  ] as const;

  it.each(expected)(
    'etype %i is %s',
    (etype, name, keyBytes, seedBytes, blockSize, conf, mac, cksum, s2k, weak) => {
      const p = getEncType(etype);
      expect({ ...p, defaultS2kParams: toHex(p.defaultS2kParams) }).toEqual({
        etype,
        name,
        keyBytes,
        seedBytes,
        blockSize,
        confounderBytes: conf,
        macBytes: mac,
        checksumType: cksum,
        defaultS2kParams: s2k,
        weak,
      });
      expect(Object.isFrozen(p)).toBe(true);
      expect(checksumTypeFor(etype)).toBe(cksum);
      expect(isSupportedEncType(etype)).toBe(true);
      expect(isWeakEncType(etype)).toBe(weak);
    },
  );

  it('hands out a fresh defaultS2kParams array, so callers cannot change it for others', () => {
    const params = getEncType(18).defaultS2kParams;
    params[2] = 0xff;
    expect(toHex(getEncType(18).defaultS2kParams)).toBe('00001000');
  });

  it('lists the supported etypes strongest first', () => {
    expect(supportedEncTypes).toEqual([20, 19, 18, 17, 23]);
    expect(Object.isFrozen(supportedEncTypes)).toBe(true);
  });

  it('defaults to the supported etypes that are not weak, strongest first', () => {
    expect(defaultEncTypes).toEqual([20, 19, 18, 17]);
    expect(Object.isFrozen(defaultEncTypes)).toBe(true);
  });

  it('knows the weak etypes, implemented or not, and flags the implemented ones alike', () => {
    expect([...WEAK_ENC_TYPES].sort((a, b) => a - b)).toEqual([1, 2, 3, 16, 23, 24]);
    for (const etype of supportedEncTypes) {
      expect(getEncType(etype).weak).toBe(WEAK_ENC_TYPES.has(etype));
      expect(isWeakEncType(etype)).toBe(WEAK_ENC_TYPES.has(etype));
    }
  });

  it('reports unsupported etypes as neither supported nor weak', () => {
    for (const etype of [0, 1, 3, 16, 24, 99]) {
      expect(isSupportedEncType(etype)).toBe(false);
      expect(isWeakEncType(etype)).toBe(false);
    }
  });
});

describe('salt (RFC 4120 section 4)', () => {
  it('concatenates the realm and the name components', () => {
    expect(salt('EXAMPLE.COM', ['alice'])).toBe('EXAMPLE.COMalice');
    expect(salt('EXAMPLE.COM', ['host', 'www.example.com'])).toBe('EXAMPLE.COMhostwww.example.com');
    expect(salt('X.Y', ['a', 'b', 'c'])).toBe('X.Yabc');
    expect(salt('EXAMPLE.COM', [])).toBe('EXAMPLE.COM');
  });
});

describe('generateKey and randomToKey', () => {
  it.each(supportedEncTypes.map((e) => [e]))('etype %i', (etype) => {
    const a = generateKey(etype, { random: new SeededRandom(5) });
    const b = generateKey(etype, { random: new SeededRandom(5) });
    expect(a).toEqual(b);
    expect(a.etype).toBe(etype);
    expect(a.bytes.length).toBe(getEncType(etype).keyBytes);
    expect(Object.isFrozen(a)).toBe(true);
    expect(generateKey(etype).bytes).not.toEqual(generateKey(etype, { random: systemRandom }).bytes);
    const seed = new Uint8Array(getEncType(etype).seedBytes).fill(0x61);
    const k = randomToKey(etype, seed);
    expect(k.bytes).toEqual(seed);
    seed[0] = 0;
    expect(k.bytes[0]).toBe(0x61); // copied
  });
});
