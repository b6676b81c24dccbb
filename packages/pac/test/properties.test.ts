/**
 * Round-trip properties over generated values (fixed seeds: every run checks
 * the same values):
 *
 * - `decodePac(encodePac(x))` deep-equals `x`, and re-encoding the decoded
 *   value gives the same bytes;
 * - the wire forms other encoders use (referent numbering, MaximumLength,
 *   NULL strings, header fillers, alignment padding, UPN_DNS_INFO layouts)
 *   survive a round trip byte for byte;
 * - a signed PAC verifies, and any single changed byte is caught;
 * - SIDs survive their string and binary forms.
 */

import { SeededRandom } from '@krbsim/core';
import { generateKey } from '@krbsim/crypto';
import {
  decodeKerbValidationInfo,
  decodePac,
  decodeS4uDelegationInfo,
  decodeSid,
  decodeUpnDnsInfo,
  encodeKerbValidationInfo,
  encodePac,
  encodeS4uDelegationInfo,
  encodeSid,
  encodeUpnDnsInfo,
  formatSid,
  type KerbValidationInfo,
  PacError,
  parseSid,
  signPac,
  type UpnDnsInfo,
  verifyPac,
} from '@krbsim/pac';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { delegationArb, kerbValidationInfoArb, pacArb, sidArb, upnDnsInfoArb } from './arbitraries';
import { hex } from './helpers';

const params = (seed: number, numRuns = 300) => ({ seed, numRuns });

const STRING_FIELDS = [
  'EffectiveName',
  'FullName',
  'LogonScript',
  'ProfilePath',
  'HomeDirectory',
  'HomeDirectoryDrive',
  'LogonServer',
  'LogonDomainName',
] as const;
const VALUES = [
  'effectiveName',
  'fullName',
  'logonScript',
  'profilePath',
  'homeDirectory',
  'homeDirectoryDrive',
  'logonServer',
  'logonDomainName',
] as const;

/** How many non-NULL pointers the encoder writes for `v` (no NULL strings). */
function pointerCount(v: KerbValidationInfo): number {
  return (
    1 +
    8 +
    (v.groupIds.length > 0 ? 1 : 0) +
    (v.logonDomainId !== undefined ? 1 : 0) +
    (v.extraSids.length > 0 ? 1 + v.extraSids.length : 0) +
    (v.resourceGroupDomainSid !== undefined ? 1 : 0) +
    (v.resourceGroupIds.length > 0 ? 1 : 0)
  );
}

describe('round trips', () => {
  it('decodePac(encodePac(x)) is x, and its encoding is stable', () => {
    fc.assert(
      fc.property(pacArb, (pac) => {
        const b = encodePac(pac);
        const back = decodePac(b);
        expect(back).toEqual(pac);
        expect(hex(encodePac(back))).toBe(hex(b));
      }),
      params(1101),
    );
  });

  it('KERB_VALIDATION_INFO keeps any referent numbering, MaximumLength and NULL strings', () => {
    const arb = kerbValidationInfoArb.chain((v) =>
      fc.record({
        v: fc.constant(v),
        ids: fc.uniqueArray(fc.integer({ min: 1, max: 0xffffffff }), {
          minLength: pointerCount(v),
          maxLength: pointerCount(v),
        }),
        extraMax: fc.array(fc.nat({ max: 20 }), { minLength: 8, maxLength: 8 }),
        nulls: fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
      }),
    );
    fc.assert(
      fc.property(arb, ({ v, ids, extraMax, nulls }) => {
        const maximumLengths: Record<string, number> = {};
        const nullStrings: string[] = [];
        const strings: Partial<Record<(typeof VALUES)[number], string>> = {};
        let nullCount = 0;
        STRING_FIELDS.forEach((f, i) => {
          const value = VALUES[i]!;
          if (nulls[i]) {
            strings[value] = '';
            nullStrings.push(f);
            nullCount++;
          } else if (extraMax[i]! > 0) {
            const canonicalExtra = f === 'LogonServer' || f === 'LogonDomainName' ? 2 : 0;
            const max = 2 * v[value].length + 2 * extraMax[i]!;
            if (max !== 2 * v[value].length + canonicalExtra && max <= 0xfffe) maximumLengths[f] = max;
          }
        });
        const referentIds = ids.slice(0, ids.length - nullCount);
        const withForm: KerbValidationInfo = {
          ...v,
          ...strings,
          ndrForm: {
            referentIds,
            ...(Object.keys(maximumLengths).length > 0 && { maximumLengths }),
            ...(nullStrings.length > 0 && { nullStrings }),
          },
        };
        const b = encodeKerbValidationInfo(withForm);
        const back = decodeKerbValidationInfo(b);
        expect(hex(encodeKerbValidationInfo(back))).toBe(hex(b));
        const { ndrForm: _, ...plain } = withForm;
        const { ndrForm: __, ...plainBack } = back;
        expect(plainBack).toEqual(plain);
        expect(back.ndrForm?.nullStrings ?? []).toEqual(nullStrings);
        expect(back.ndrForm?.maximumLengths ?? {}).toEqual(maximumLengths);
      }),
      params(1102, 200),
    );
  });

  it('KERB_VALIDATION_INFO keeps any header fillers and alignment padding', () => {
    // Padding is offered at every offset for one alignment (2, 4 or 8) at a time: the encoder uses
    // an entry only where padding of that length falls, and the decoder records what it finds.
    const arb = fc.record({
      v: kerbValidationInfoArb,
      fillers: fc.tuple(fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff })),
      fill: fc.integer({ min: 1, max: 255 }),
      alignment: fc.constantFrom(2, 4, 8),
    });
    let padded = 0;
    fc.assert(
      fc.property(arb, ({ v, fillers, fill, alignment }) => {
        const length = encodeKerbValidationInfo(v).length;
        const offered = [];
        for (let offset = 16; offset < length; offset++) {
          if (offset % alignment !== 0) {
            offered.push({ offset, bytes: new Uint8Array(alignment - (offset % alignment)).fill(fill) });
          }
        }
        const b = encodeKerbValidationInfo({ ...v, ndrForm: { headerFillers: fillers, padding: offered } });
        const back = decodeKerbValidationInfo(b);
        expect(hex(encodeKerbValidationInfo(back))).toBe(hex(b));
        const { ndrForm, ...plain } = back;
        expect(plain).toEqual(v);
        const isKrbsims = fillers[0] === 0xcccccccc && fillers[1] === 0;
        expect(ndrForm?.headerFillers).toEqual(isKrbsims ? undefined : fillers);
        // Every recorded padding is one that was offered, and only padding differs from the plain encoding.
        const recorded = ndrForm?.padding ?? [];
        for (const p of recorded) expect(offered).toContainEqual(p);
        const plainBytes = encodeKerbValidationInfo(v).slice();
        plainBytes.set(b.subarray(4, 8), 4);
        plainBytes.set(b.subarray(12, 16), 12);
        for (const p of recorded) plainBytes.set(p.bytes, p.offset);
        expect(hex(plainBytes)).toBe(hex(b));
        padded += recorded.length;
      }),
      params(1108, 200),
    );
    expect(padded).toBeGreaterThan(200);
  });

  it('S4U_DELEGATION_INFO round-trips', () => {
    fc.assert(
      fc.property(delegationArb, (v) => {
        const b = encodeS4uDelegationInfo(v);
        expect(decodeS4uDelegationInfo(b)).toEqual(v);
        expect(hex(encodeS4uDelegationInfo(decodeS4uDelegationInfo(b)))).toBe(hex(b));
      }),
      params(1103),
    );
  });

  it('UPN_DNS_INFO keeps any valid layout', () => {
    const arb = upnDnsInfoArb.chain((v) =>
      fc.record({
        v: fc.constant(v),
        gaps: fc.array(fc.nat({ max: 9 }), { minLength: 5, maxLength: 5 }),
      }),
    );
    fc.assert(
      fc.property(arb, ({ v, gaps }) => {
        const extended = v.samName !== undefined;
        const lengths = extended
          ? [2 * v.upn.length, 2 * v.dnsDomainName.length, 2 * v.samName!.length, encodeSid(v.sid!).length]
          : [2 * v.upn.length, 2 * v.dnsDomainName.length];
        let at = extended ? 20 : 12;
        const offsets = lengths.map((len, i) => {
          const o = at + gaps[i]!;
          at = o + len;
          return o;
        });
        const size = at + gaps[4]!;
        const laid: UpnDnsInfo = {
          ...v,
          layout: {
            upnOffset: offsets[0]!,
            dnsDomainNameOffset: offsets[1]!,
            ...(extended && { samNameOffset: offsets[2]!, sidOffset: offsets[3]! }),
            size,
          },
        };
        const b = encodeUpnDnsInfo(laid);
        expect(b.length).toBe(size);
        const back = decodeUpnDnsInfo(b);
        expect(hex(encodeUpnDnsInfo(back))).toBe(hex(b));
        const { layout: _, ...plain } = back;
        expect(plain).toEqual(v);
      }),
      params(1104),
    );
  });

  it('SIDs survive the string and the binary form', () => {
    fc.assert(
      fc.property(sidArb, (sid) => {
        expect(parseSid(formatSid(sid))).toEqual(sid);
        expect(decodeSid(encodeSid(sid))).toEqual(sid);
      }),
      params(1105, 1000),
    );
  });
});

describe('signatures', () => {
  it('a signed PAC verifies, and any changed byte is caught', () => {
    const random = new SeededRandom(1106);
    const etype = fc.constantFrom(17, 18, 23, 20);
    fc.assert(
      fc.property(pacArb, etype, etype, fc.nat(), (pac, se, ke, pick) => {
        const serverKey = generateKey(se, { random });
        const kdcKey = generateKey(ke, { random });
        // Drop signature buffers the generator made; signPac writes its own.
        const clean = { buffers: pac.buffers.filter((b) => ![6, 7, 16, 19].includes(b.type)) };
        const { bytes } = signPac(clean, { serverKey, kdcKey });
        verifyPac(bytes, { serverKey, kdcKey });
        const bad = bytes.slice();
        const i = pick % bad.length;
        bad[i]! ^= 1 << (pick % 8);
        expect(() => verifyPac(bad, { serverKey, kdcKey })).toThrow(PacError);
      }),
      params(1107, 150),
    );
  });
});
