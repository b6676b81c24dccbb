/**
 * Checksum types as records of their own (RFC 3961 section 4), dispatched on
 * the checksum type rather than the key's etype:
 *
 * - hmac-md5 (-138) keyed with a key of any etype, as MS-SFU 2.2.1's
 *   PA-FOR-USER keys it with the TGT session key, checked three ways: against
 *   the RFC 4757 section 4 formula computed here with node:crypto, against
 *   fixed vectors from MIT libk5crypto, and against the rc4-hmac path;
 * - unkeyed sha1 (14) against node:crypto and MIT;
 * - the keyed types of one etype still refuse other keys;
 * - the records getChecksumType hands out.
 *
 * The MIT vectors come from fixtures/mit-cross-cksum.c (MIT krb5 1.20.1,
 * krb5_c_make_checksum with CKSUMTYPE_HMAC_MD5_ARCFOUR and AES keyblocks of
 * bytes 00 01 02 ..., and CKSUMTYPE_SHA1 with no key), over the 20 bytes
 * "PA-FOR-USER S4U2Self".
 */

import { createHash, createHmac } from 'node:crypto';
import { ErrorCode, SeededRandom } from '@krbsim/core';
import {
  ChecksumType,
  checksum,
  checksumTypeFor,
  generateKey,
  getChecksumType,
  getEncType,
  type Key,
  KeyUsage,
  randomToKey,
  supportedChecksumTypes,
  supportedEncTypes,
  unkeyedChecksum,
  verifyChecksum,
} from '@krbsim/crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { resetStats, stats } from '../src/internal/stats';
import { bytes, expectKerberosError, hex, toHex } from './helpers';

const INAPP = ErrorCode.KRB_AP_ERR_INAPP_CKSUM;
const NOSUPP = ErrorCode.KDC_ERR_SUMTYPE_NOSUPP;
const GENERIC = ErrorCode.KRB_ERR_GENERIC;

/** Key bytes 00 01 02 ... as fixtures/mit-cross-cksum.c makes them. */
function countingKey(etype: number): Key {
  const n = getEncType(etype).keyBytes;
  return randomToKey(
    etype,
    Uint8Array.from({ length: n }, (_, i) => i),
  );
}

/**
 * RFC 4757 section 4, written out independently of src/: T is the usage,
 * except 3 → 8 and 23 → 13 (section 3's table, as Windows and MIT apply it).
 *   Ksign = HMAC-MD5(K, "signaturekey\0"); tmp = MD5(T as le32 | data);
 *   cksum = HMAC-MD5(Ksign, tmp)
 */
function referenceHmacMd5(keyBytes: Uint8Array, usage: number, data: Uint8Array): string {
  const t = usage === 3 ? 8 : usage === 23 ? 13 : usage;
  const le = Buffer.alloc(4);
  le.writeUInt32LE(t);
  const ksign = createHmac('md5', keyBytes).update('signaturekey\0', 'latin1').digest();
  const tmp = createHash('md5').update(le).update(data).digest();
  return createHmac('md5', ksign).update(tmp).digest('hex');
}

const S4U_DATA = bytes('PA-FOR-USER S4U2Self');

describe('hmac-md5 (-138) with a key of any etype (MS-SFU 2.2.1, RFC 4757 section 4)', () => {
  // From fixtures/mit-cross-cksum.c. An etype 20 key with the same bytes as
  // the etype 18 one gives the same values: only the key bytes count.
  const mitVectors = [
    [17, 17, 'c9c42be72e36c4d98782d7679937314c'],
    [17, 3, '8bbfd9ce829a47a8a1d1580cb5c985c4'],
    [17, 23, '5fb5fdb1bfabd8eff1cc3670f9121626'],
    [17, 1, '9c8220891c0e68bf2cee0ff6c3393c83'],
    [18, 17, '32f0f0d2f84c9a77e55bf2ecce11f947'],
    [18, 3, '2d0ef5f36f43e328ed5f3b50f227d1f9'],
    [18, 23, '198e2b729e4d204e6363becde260acb1'],
    [18, 1, 'f72380edc54a125c0125f836daded540'],
    [20, 17, '32f0f0d2f84c9a77e55bf2ecce11f947'],
    [20, 3, '2d0ef5f36f43e328ed5f3b50f227d1f9'],
    [20, 23, '198e2b729e4d204e6363becde260acb1'],
    [20, 1, 'f72380edc54a125c0125f836daded540'],
  ] as const;

  it.each(mitVectors)('etype %i key, usage %i: MIT libk5crypto 1.20.1 value', (etype, usage, expected) => {
    const key = countingKey(etype);
    const mac = checksum(key, usage, S4U_DATA, { cksumtype: ChecksumType.HMAC_MD5 });
    expect(toHex(mac)).toBe(expected);
    expect(referenceHmacMd5(key.bytes, usage, S4U_DATA)).toBe(expected);
    expect(verifyChecksum(key, usage, S4U_DATA, mac, { cksumtype: -138 })).toBe(true);
  });

  it('an aes256 TGT session key signs PA-FOR-USER as the formula says', () => {
    const sessionKey = generateKey(18, { random: new SeededRandom('tgt session key') });
    const usage = KeyUsage.KERB_NON_KERB_CKSUM_SALT; // 17
    const mac = checksum(sessionKey, usage, S4U_DATA, { cksumtype: ChecksumType.HMAC_MD5 });
    expect(mac.length).toBe(16);
    expect(toHex(mac)).toBe(referenceHmacMd5(sessionKey.bytes, usage, S4U_DATA));
  });

  it.each(supportedEncTypes.map((e) => [e]))(
    'etype %i keys: every usage class and length matches the formula',
    (etype) => {
      const random = new SeededRandom(`hmac-md5 ${etype}`);
      for (const usage of [0, 1, 2, 3, 6, 7, 8, 13, 17, 19, 22, 23, 24, 25, 50, 1024, 0xffffffff]) {
        const key = generateKey(etype, { random });
        for (const n of [0, 1, 16, 63, 64, 65, 300]) {
          const data = random.fill(new Uint8Array(n));
          const mac = checksum(key, usage, data, { cksumtype: -138 });
          expect(toHex(mac), `usage ${usage} length ${n}`).toBe(referenceHmacMd5(key.bytes, usage, data));
        }
      }
    },
  );

  it('for an rc4-hmac key, the explicit type is its default checksum', () => {
    const key = generateKey(23, { random: new SeededRandom('rc4') });
    expect(checksumTypeFor(23)).toBe(-138);
    expect(checksum(key, 17, S4U_DATA, { cksumtype: -138 })).toEqual(checksum(key, 17, S4U_DATA));
    expect(toHex(checksum(key, 17, S4U_DATA))).toBe(referenceHmacMd5(key.bytes, 17, S4U_DATA));
  });

  it('does not change the default checksum of an AES key', () => {
    const key = countingKey(18);
    const mac = checksum(key, 17, S4U_DATA);
    expect(mac).toEqual(checksum(key, 17, S4U_DATA, { cksumtype: ChecksumType.HMAC_SHA1_96_AES256 }));
    expect(mac.length).toBe(12);
  });

  it('verifyChecksum rejects a flipped bit, a wrong usage, a wrong key and a wrong length', () => {
    const key = countingKey(18);
    const mac = checksum(key, 17, S4U_DATA, { cksumtype: -138 });
    const opts = { cksumtype: -138 };
    for (let bit = 0; bit < mac.length * 8; bit++) {
      const bad = mac.slice();
      bad[bit >> 3]! ^= 1 << (bit & 7);
      expect(verifyChecksum(key, 17, S4U_DATA, bad, opts)).toBe(false);
    }
    expect(verifyChecksum(key, 16, S4U_DATA, mac, opts)).toBe(false);
    expect(verifyChecksum(countingKey(17), 17, S4U_DATA, mac, opts)).toBe(false);
    expect(verifyChecksum(key, 17, S4U_DATA, mac.subarray(0, 15), opts)).toBe(false);
    // The AES key's own checksum type does not accept an hmac-md5 value.
    expect(verifyChecksum(key, 17, S4U_DATA, mac)).toBe(false);
  });

  it('derives Ksign once per key object, for AES keys too', () => {
    const key = countingKey(20);
    resetStats();
    for (let i = 0; i < 5; i++) checksum(key, 17 + i, S4U_DATA, { cksumtype: -138 });
    expect(stats.derivations).toBe(1);
  });

  it('rejects data that is not a Uint8Array', () => {
    expectKerberosError(
      () => checksum(countingKey(18), 17, 'text' as unknown as Uint8Array, { cksumtype: -138 }),
      GENERIC,
      /checksum data must be a Uint8Array/,
    );
  });
});

describe('unkeyed sha1 (14)', () => {
  beforeEach(() => resetStats());

  it('matches MIT libk5crypto 1.20.1 (CKSUMTYPE_SHA1)', () => {
    expect(toHex(unkeyedChecksum(ChecksumType.SHA1_UNKEYED, S4U_DATA))).toBe(
      'aada1b4a06be9a29714675e09be636405e5747d3',
    );
  });

  it('matches node:crypto SHA-1 for lengths 0 to 200', () => {
    const random = new SeededRandom('sha1');
    for (let n = 0; n <= 200; n++) {
      const data = random.fill(new Uint8Array(n));
      const sum = unkeyedChecksum(14, data);
      expect(sum.length).toBe(20);
      expect(toHex(sum)).toBe(createHash('sha1').update(data).digest('hex'));
    }
  });

  it('is refused by the keyed API: KRB_AP_ERR_INAPP_CKSUM, so a wire cksumtype of 14 never verifies', () => {
    const key = countingKey(18);
    const forged = unkeyedChecksum(14, S4U_DATA);
    expectKerberosError(
      () => checksum(key, 17, S4U_DATA, { cksumtype: 14 }),
      INAPP,
      /checksum type 14 \(sha1\) is unkeyed/,
    );
    expectKerberosError(() => verifyChecksum(key, 17, S4U_DATA, forged, { cksumtype: 14 }), INAPP);
  });

  it('unkeyedChecksum refuses keyed types (KRB_AP_ERR_INAPP_CKSUM) and unknown ones (KDC_ERR_SUMTYPE_NOSUPP)', () => {
    for (const cksumtype of [15, 16, 19, 20, -138]) {
      expectKerberosError(() => unkeyedChecksum(cksumtype, S4U_DATA), INAPP, /is keyed and needs a key/);
    }
    for (const cksumtype of [1, 7, 10, 999]) {
      expectKerberosError(
        () => unkeyedChecksum(cksumtype, S4U_DATA),
        NOSUPP,
        new RegExp(`checksum type ${cksumtype} is not supported`),
      );
    }
    expectKerberosError(
      () => unkeyedChecksum(14, [1, 2] as unknown as Uint8Array),
      GENERIC,
      /checksum data must be a Uint8Array/,
    );
  });
});

describe("the keyed types of one etype refuse other etypes' keys", () => {
  const own: Readonly<Record<number, number>> = { 15: 17, 16: 18, 19: 19, 20: 20 };

  it.each(Object.entries(own).map(([c, e]) => [Number(c), e]))(
    'checksum type %i (etype %i keys only)',
    (cksumtype, etype) => {
      for (const other of supportedEncTypes) {
        const key = generateKey(other, { random: new SeededRandom(other) });
        if (other === etype) {
          const mac = checksum(key, 6, S4U_DATA, { cksumtype });
          expect(mac).toEqual(checksum(key, 6, S4U_DATA));
          expect(verifyChecksum(key, 6, S4U_DATA, mac, { cksumtype })).toBe(true);
          continue;
        }
        expectKerberosError(
          () => checksum(key, 6, S4U_DATA, { cksumtype }),
          INAPP,
          new RegExp(`checksum type ${cksumtype} cannot be computed with a key of encryption type ${other}`),
        );
        expectKerberosError(() => verifyChecksum(key, 6, S4U_DATA, new Uint8Array(12), { cksumtype }), INAPP);
      }
    },
  );

  it('unknown checksum types are KDC_ERR_SUMTYPE_NOSUPP for every key', () => {
    for (const etype of supportedEncTypes) {
      const key = generateKey(etype, { random: new SeededRandom(etype) });
      for (const cksumtype of [0, 1, 7, 10, 12, 17, 18, -137, 0x8003]) {
        expectKerberosError(() => checksum(key, 6, S4U_DATA, { cksumtype }), NOSUPP);
        expectKerberosError(
          () => verifyChecksum(key, 6, S4U_DATA, new Uint8Array(16), { cksumtype }),
          NOSUPP,
        );
      }
    }
  });
});

describe('getChecksumType', () => {
  const expected = [
    [20, 'hmac-sha384-192-aes256', 24, 'etypeKey', 20],
    [19, 'hmac-sha256-128-aes128', 16, 'etypeKey', 19],
    [16, 'hmac-sha1-96-aes256', 12, 'etypeKey', 18],
    [15, 'hmac-sha1-96-aes128', 12, 'etypeKey', 17],
    [-138, 'hmac-md5', 16, 'anyKey', undefined],
    [14, 'sha1', 20, 'unkeyed', undefined],
  ] as const;

  it('lists the supported types', () => {
    expect(supportedChecksumTypes).toEqual(expected.map((e) => e[0]));
    expect(Object.isFrozen(supportedChecksumTypes)).toBe(true);
  });

  it.each(expected)('%i is %s, %i bytes, %s', (cksumtype, name, checksumBytes, kind, etype) => {
    const profile = getChecksumType(cksumtype);
    expect(profile).toEqual({ cksumtype, name, checksumBytes, kind, etype });
    expect(Object.isFrozen(profile)).toBe(true);
  });

  it('says how long each computed checksum is', () => {
    const data = hex('00112233');
    for (const cksumtype of supportedChecksumTypes) {
      const p = getChecksumType(cksumtype);
      const out =
        p.kind === 'unkeyed'
          ? unkeyedChecksum(cksumtype, data)
          : checksum(generateKey(p.etype ?? 18), 1, data, { cksumtype });
      expect(out.length, p.name).toBe(p.checksumBytes);
    }
  });

  it("names each etype's mandatory checksum as an etypeKey type of that etype (or hmac-md5 for rc4-hmac)", () => {
    for (const etype of supportedEncTypes) {
      const p = getChecksumType(checksumTypeFor(etype));
      if (p.kind === 'etypeKey') expect(p.etype).toBe(etype);
      else expect([etype, p.kind]).toEqual([23, 'anyKey']);
    }
  });

  it('throws KDC_ERR_SUMTYPE_NOSUPP for unknown types', () => {
    for (const cksumtype of [0, 1, 7, 10, 999, -137]) {
      expectKerberosError(
        () => getChecksumType(cksumtype),
        NOSUPP,
        new RegExp(`checksum type ${cksumtype} is not supported`),
      );
    }
  });
});
