/**
 * The kpasswd framing (RFC 3244 section 2) and ChangePasswdData: round trips
 * with fast-check, a hand-checked header, and every malformed header refused.
 */

import {
  decodeChangePasswdData,
  decodeKpasswdMessage,
  decodeKpasswdResult,
  encodeChangePasswdData,
  encodeKpasswdMessage,
  encodeKpasswdResult,
  KpasswdResult,
} from '@krbsim/asn1';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

describe('kpasswd messages (RFC 3244)', () => {
  it('frames the header by hand: length, version, AP length, big-endian', () => {
    const m = encodeKpasswdMessage({
      version: 0xff80,
      ap: Uint8Array.of(0x6e, 0x00),
      rest: Uint8Array.of(0x75),
    });
    expect([...m]).toEqual([0, 9, 0xff, 0x80, 0, 2, 0x6e, 0x00, 0x75]);
    const back = decodeKpasswdMessage(m);
    expect(back.version).toBe(0xff80);
    expect([...back.ap]).toEqual([0x6e, 0x00]);
    expect([...back.rest]).toEqual([0x75]);
  });

  it('round-trips any message and any result', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffff }),
        fc.uint8Array({ maxLength: 300 }),
        fc.uint8Array({ maxLength: 300 }),
        (version, ap, rest) => {
          const back = decodeKpasswdMessage(encodeKpasswdMessage({ version, ap, rest }));
          expect(back.version).toBe(version);
          expect([...back.ap]).toEqual([...ap]);
          expect([...back.rest]).toEqual([...rest]);
        },
      ),
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff }), fc.string(), (code, text) => {
        expect(decodeKpasswdResult(encodeKpasswdResult(code, text))).toEqual({ code, text });
      }),
    );
  });

  it('refuses a header that does not hold, with a typed error', () => {
    for (const bad of [
      Uint8Array.of(0, 5, 0, 1, 0), // shorter than the header
      Uint8Array.of(0, 9, 0, 1, 0, 0, 1), // says 9 bytes, has 7
      Uint8Array.of(0, 7, 0, 1, 0, 2, 1), // an AP part past the end
    ]) {
      expect(() => decodeKpasswdMessage(bad)).toThrow(/kpasswd/);
    }
    expect(() => decodeKpasswdResult(Uint8Array.of(0))).toThrow(/no code/);
    expect(() =>
      encodeKpasswdMessage({ version: 1, ap: new Uint8Array(0x10000), rest: new Uint8Array(0) }),
    ).toThrow(/2-byte length/);
    expect(KpasswdResult.INITIAL_FLAG_NEEDED).toBe(7);
  });

  it('round-trips ChangePasswdData, with and without a target', () => {
    const own = { newPasswd: new TextEncoder().encode('N3w-Passw0rd') };
    expect(decodeChangePasswdData(encodeChangePasswdData(own))).toEqual(own);
    const other = {
      newPasswd: Uint8Array.of(1, 2, 3),
      targName: { nameType: 1, nameString: ['frank'] },
      targRealm: 'CONTOSO.COM',
    };
    expect(decodeChangePasswdData(encodeChangePasswdData(other))).toEqual(other);
  });
});
