/**
 * RFC 4537 at the acceptor: reading the client's EtypeList from the
 * authenticator, and choosing the acceptor subkey's enctype as MIT's
 * `krb5_rd_req` does (its choices are also checked against MIT itself in
 * test/interop/service-differential-mit.test.ts).
 */

import { AdType, type AuthorizationData, encodeAuthorizationData, encodeEtypeList } from '@krbsim/asn1';
import { ErrorCode, isKerberosError } from '@krbsim/core';
import { WEAK_ENC_TYPES } from '@krbsim/crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { acceptorEncTypes, authenticatorEtypeList, negotiateEncType } from '../src/etype-negotiation';
import { ACCEPTOR_ENC_TYPES } from '../src/index';

const list = (...etypes: number[]) => ({
  adType: AdType.AD_ETYPE_NEGOTIATION,
  adData: encodeEtypeList(etypes).slice(),
});
const ifRelevant = (...elements: AuthorizationData) => ({
  adType: AdType.AD_IF_RELEVANT,
  adData: encodeAuthorizationData(elements).slice(),
});

describe('authenticatorEtypeList', () => {
  it('is undefined without one', () => {
    expect(authenticatorEtypeList(undefined)).toBeUndefined();
    expect(authenticatorEtypeList([])).toBeUndefined();
    expect(authenticatorEtypeList([ifRelevant({ adType: 143, adData: new Uint8Array(4) })])).toBeUndefined();
  });

  it('reads it inside AD-IF-RELEVANT, or bare; the first one counts', () => {
    expect(authenticatorEtypeList([ifRelevant(list(18, 17))])).toEqual([18, 17]);
    expect(authenticatorEtypeList([list(20)])).toEqual([20]);
    expect(
      authenticatorEtypeList([ifRelevant({ adType: 9999, adData: Uint8Array.of(1) }), list(17)]),
    ).toEqual([17]);
    expect(authenticatorEtypeList([ifRelevant(list(19)), ifRelevant(list(18))])).toEqual([19]);
  });

  it('skips an AD-IF-RELEVANT that does not decode', () => {
    const broken = { adType: AdType.AD_IF_RELEVANT, adData: Uint8Array.of(0x30, 0x05) };
    expect(authenticatorEtypeList([broken, ifRelevant(list(18))])).toEqual([18]);
  });

  it('refuses a list that is not an EtypeList with KRB_ERR_GENERIC, naming it', () => {
    for (const adData of [Uint8Array.of(4, 1, 18), Uint8Array.of(0x30, 3, 2, 1), new Uint8Array(0)]) {
      let err: unknown;
      try {
        authenticatorEtypeList([ifRelevant({ adType: AdType.AD_ETYPE_NEGOTIATION, adData })]);
      } catch (e) {
        err = e;
      }
      expect(isKerberosError(err, ErrorCode.KRB_ERR_GENERIC)).toBe(true);
      expect((err as Error).message).toMatch(/AD-ETYPE-NEGOTIATION is not an EtypeList/);
    }
  });
});

describe('negotiateEncType', () => {
  it("takes the acceptor's preference among the client's list, its subkey and the session key", () => {
    expect(negotiateEncType([18, 17], undefined, 17, acceptorEncTypes(false))).toBe(18);
    expect(negotiateEncType([17], undefined, 18, acceptorEncTypes(false))).toBe(18);
    expect(negotiateEncType([20, 19, 18, 17], 17, 17, acceptorEncTypes(false))).toBe(18);
    expect(negotiateEncType([20, 19], 19, 19, acceptorEncTypes(false))).toBe(20);
    expect(negotiateEncType(undefined, 17, 18, acceptorEncTypes(false))).toBe(18);
    expect(negotiateEncType([99], undefined, 17, acceptorEncTypes(false))).toBe(17);
  });

  it("follows an acceptor's own order (its permittedEncTypes)", () => {
    expect(negotiateEncType([18, 17], undefined, 17, [17, 18])).toBe(17);
    expect(negotiateEncType([20, 18], undefined, 17, [18, 17])).toBe(18);
    expect(negotiateEncType([20], undefined, 17, [18])).toBe(17);
  });

  it('offers rc4-hmac only with weak crypto allowed, and never prefers it', () => {
    expect(negotiateEncType([23], undefined, 17, acceptorEncTypes(true))).toBe(17);
    expect(negotiateEncType([18, 23], undefined, 23, acceptorEncTypes(true))).toBe(18);
    expect(negotiateEncType(undefined, 23, 23, acceptorEncTypes(true))).toBe(23);
    // Not permitted: the session key's own enctype stays (the acceptor has taken that key already).
    expect(negotiateEncType(undefined, undefined, 23, acceptorEncTypes(false))).toBe(23);
  });

  it('chooses from what the client offered, and nothing the acceptor ranks higher was offered', () => {
    const etype = fc.constantFrom(17, 18, 19, 20, 23, 1, 3, 16, 25, 26, 99, -128);
    fc.assert(
      fc.property(
        fc.option(fc.array(etype, { maxLength: 6 }), { nil: undefined }),
        fc.option(etype, { nil: undefined }),
        fc.constantFrom(17, 18, 19, 20, 23),
        fc.boolean(),
        (offered, subkey, session, weak) => {
          const chosen = negotiateEncType(offered, subkey, session, acceptorEncTypes(weak));
          const desired = [...(offered ?? []), ...(subkey === undefined ? [] : [subkey]), session];
          expect(desired).toContain(chosen);
          if (chosen !== session) expect(weak || !WEAK_ENC_TYPES.has(chosen)).toBe(true);
          const rank = ACCEPTOR_ENC_TYPES.indexOf(chosen);
          for (const e of ACCEPTOR_ENC_TYPES.slice(0, rank < 0 ? undefined : rank)) {
            if (weak || !WEAK_ENC_TYPES.has(e)) expect(desired).not.toContain(e);
          }
        },
      ),
    );
  });
});
