/**
 * AD_POLICY_INFO, the password policy a Windows DC sends in place of a
 * kpasswd result's text: bytes checked by hand, round trips with fast-check,
 * what is not one left as text, and MIT's words for it (the sentences MIT's
 * `krb5_chpw_message` writes; `test/interop/kpasswd-mit.test.ts` holds them
 * to MIT's `kpasswd` itself).
 */

import {
  adPolicyInfoMessage,
  DomainPasswordProperties,
  decodeAdPolicyInfo,
  decodeKpasswdResult,
  encodeAdPolicyInfo,
  encodeKpasswdResult,
  KpasswdResult,
} from '@krbsim/asn1';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const DAY = 86_400_000;
/** The longest age 8 bytes of 100 ns hold. */
const MAX_AGE_MS = Number(0xffffffffffffffffn / 10_000n);
const AD_DEFAULT = {
  minLength: 7,
  historyLength: 24,
  properties: DomainPasswordProperties.COMPLEX,
  maxAgeMs: 42 * DAY,
  minAgeMs: DAY,
};

describe('AD_POLICY_INFO', () => {
  it('lays out the Default Domain Policy by hand: 0x0000, three 4-byte fields, two ages in 100 ns', () => {
    const bytes = encodeAdPolicyInfo(AD_DEFAULT);
    const hex = Buffer.from(bytes).toString('hex');
    expect(hex).toBe(
      [
        '0000',
        '00000007', // minimum length
        '00000018', // history: 24
        '00000001', // COMPLEX
        (42n * 864_000_000_000n).toString(16).padStart(16, '0'), // 42 days of 100 ns
        864_000_000_000n.toString(16).padStart(16, '0'), // one day
      ].join(''),
    );
    expect(decodeAdPolicyInfo(bytes)).toEqual(AD_DEFAULT);
  });

  it('round-trips any policy', () => {
    fc.assert(
      fc.property(
        fc.record({
          minLength: fc.nat({ max: 0xffffffff }),
          historyLength: fc.nat({ max: 0xffffffff }),
          properties: fc.nat({ max: 0xffffffff }),
          maxAgeMs: fc.nat({ max: MAX_AGE_MS }),
          minAgeMs: fc.nat({ max: MAX_AGE_MS }),
        }),
        (info) => {
          expect(decodeAdPolicyInfo(encodeAdPolicyInfo(info))).toEqual(info);
        },
      ),
    );
  });

  it('is not one unless 30 bytes starting with 0x0000; a field that does not fit is refused', () => {
    const good = encodeAdPolicyInfo(AD_DEFAULT);
    expect(decodeAdPolicyInfo(good.subarray(0, 29))).toBeUndefined();
    expect(decodeAdPolicyInfo(Uint8Array.of(...good, 0))).toBeUndefined();
    expect(decodeAdPolicyInfo(Uint8Array.of(0, 1, ...good.subarray(2)))).toBeUndefined();
    expect(() => encodeAdPolicyInfo({ ...AD_DEFAULT, minLength: 2 ** 32 })).toThrow(/minLength/);
    expect(() => encodeAdPolicyInfo({ ...AD_DEFAULT, minAgeMs: -1 })).toThrow(/minAgeMs/);
    expect(() => encodeAdPolicyInfo({ ...AD_DEFAULT, maxAgeMs: MAX_AGE_MS + 1 })).toThrow(/maxAgeMs/);
    const longest = decodeAdPolicyInfo(
      Uint8Array.of(0, 0, ...new Uint8Array(12), ...new Uint8Array(16).fill(0xff)),
    );
    expect(longest?.minAgeMs).toBe(MAX_AGE_MS);
  });

  it("says the policy in MIT's words, each rule that is set, in MIT's order", () => {
    expect(adPolicyInfoMessage(AD_DEFAULT)).toBe(
      "The password must include numbers or symbols.  Don't include any part of your name in the password." +
        '  The password must contain at least 7 characters.' +
        '  The password must be different from the previous 24 passwords.' +
        '  The password can only be changed once a day.',
    );
    const none = { minLength: 0, historyLength: 0, properties: 0, maxAgeMs: 0, minAgeMs: 0 };
    expect(adPolicyInfoMessage(none)).toBe('');
    expect(adPolicyInfoMessage({ ...none, minLength: 1 })).toBe(
      'The password must contain at least 1 character.',
    );
    expect(adPolicyInfoMessage({ ...none, historyLength: 1 })).toBe(
      'The password must be different from the previous password.',
    );
    // Whole days, at least one.
    expect(adPolicyInfoMessage({ ...none, minAgeMs: 3 * DAY + 5 })).toBe(
      'The password can only be changed every 3 days.',
    );
    expect(adPolicyInfoMessage({ ...none, minAgeMs: 60_000 })).toBe(
      'The password can only be changed once a day.',
    );
  });

  it("takes a kpasswd result's text's place, and reads back as the policy and its words", () => {
    const result = decodeKpasswdResult(encodeKpasswdResult(KpasswdResult.SOFTERROR, AD_DEFAULT));
    expect(result.code).toBe(KpasswdResult.SOFTERROR);
    expect(result.policy).toEqual(AD_DEFAULT);
    expect(result.text).toBe(adPolicyInfoMessage(AD_DEFAULT));
    expect(decodeKpasswdResult(encodeKpasswdResult(4, 'Password is too short'))).toEqual({
      code: 4,
      text: 'Password is too short',
    });
  });
});
