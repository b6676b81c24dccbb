import { ApOptions, flagBit, flagNames, KdcOptions, TicketFlags } from '@krbsim/asn1';
import { describe, expect, it } from 'vitest';

describe('flag registries: the bit of each name, as the other implementations number them', () => {
  it("TicketFlags: MIT's TKT_FLG_* values (krb5.h), bit 0 the high bit of the 32", () => {
    expect(TicketFlags.forwardable).toBe(0x40000000);
    expect(TicketFlags.renewable).toBe(0x00800000);
    expect(TicketFlags['pre-authent']).toBe(0x00200000);
    expect(TicketFlags['ok-as-delegate']).toBe(0x00040000);
    // TKT_FLG_ENC_PA_REP (RFC 6806 section 11), MS-KILE's name-canonicalize.
    expect(TicketFlags['name-canonicalize']).toBe(0x00010000);
    // TKT_FLG_ANONYMOUS: RFC 8062 section 3's bit 16, not bit 14 (RFC 1510 drafts' place for it).
    expect(TicketFlags.anonymous).toBe(0x00008000);
    expect(flagNames(TicketFlags, flagBit(14))).toEqual(['bit14']);
  });

  it("KdcOptions and ApOptions: MIT's KDC_OPT_* and AP_OPTS_* values", () => {
    expect(KdcOptions.canonicalize).toBe(0x00010000);
    expect(KdcOptions['request-anonymous']).toBe(0x00008000);
    expect(KdcOptions['enc-tkt-in-skey']).toBe(0x00000008);
    expect(KdcOptions.renew).toBe(0x00000002);
    expect(ApOptions['mutual-required']).toBe(0x20000000);
    expect(ApOptions['use-session-key']).toBe(0x40000000);
  });
});
