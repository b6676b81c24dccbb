import {
  channelBindingHash,
  decodeGssChecksum,
  encodeGssChecksum,
  GSS_CHECKSUM_TYPE,
  GssFlags,
} from '@krbsim/asn1';
import { ErrorCode, KerberosError } from '@krbsim/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

describe('RFC 4121 section 4.1.1 authenticator checksum', () => {
  it('lays out Lgth, Bnd and Flags little-endian, with no bindings as 16 zero octets', () => {
    const c = encodeGssChecksum({ flags: GssFlags.mutual | GssFlags.integ });
    expect(c.cksumtype).toBe(GSS_CHECKSUM_TYPE);
    expect(Buffer.from(c.checksum).toString('hex')).toBe(`10000000${'00'.repeat(16)}22000000`);
  });

  it('round-trips flags, bindings and a delegated KRB-CRED', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 63 }),
        fc.option(fc.uint8Array({ maxLength: 64 }), { nil: undefined }),
        fc.option(fc.uint8Array({ minLength: 1, maxLength: 300 }), { nil: undefined }),
        (flags, appData, deleg) => {
          const c = encodeGssChecksum({
            flags,
            ...(appData && { channelBindings: appData }),
            ...(deleg && { delegation: deleg }),
          });
          const d = decodeGssChecksum(c);
          expect(d.bindings).toEqual(appData ? channelBindingHash(appData) : new Uint8Array(16));
          expect(d.delegation).toEqual(deleg);
          expect(d.flags & ~GssFlags.deleg).toBe(flags & ~GssFlags.deleg);
          expect((d.flags & GssFlags.deleg) !== 0).toBe(deleg !== undefined);
        },
      ),
      { seed: 4121, numRuns: 200 },
    );
  });

  it('hashes bindings with empty addresses the same way as bare application data', () => {
    const app = new TextEncoder().encode('tls-server-end-point:xyz');
    expect(channelBindingHash({ applicationData: app })).toEqual(channelBindingHash(app));
    expect(
      channelBindingHash({
        applicationData: app,
        initiatorAddrType: 2,
        initiatorAddress: Uint8Array.of(127, 0, 0, 1),
      }),
    ).not.toEqual(channelBindingHash(app));
  });

  it('refuses checksums that are not 0x8003 or are malformed, with KRB_AP_ERR_INAPP_CKSUM', () => {
    const good = encodeGssChecksum({ flags: 0, delegation: Uint8Array.of(1, 2, 3) }).checksum;
    const cases = [
      undefined,
      { cksumtype: 16, checksum: good },
      { cksumtype: GSS_CHECKSUM_TYPE, checksum: good.subarray(0, 23) },
      { cksumtype: GSS_CHECKSUM_TYPE, checksum: Uint8Array.from([...good.subarray(0, 26), 0xff, 0xff]) },
      { cksumtype: GSS_CHECKSUM_TYPE, checksum: Uint8Array.from([9, 0, 0, 0, ...good.subarray(4)]) },
      // The deleg flag, then a DlgOpt other than 1 (MIT fails it: GSS_S_FAILURE).
      {
        cksumtype: GSS_CHECKSUM_TYPE,
        checksum: Uint8Array.from([...good.subarray(0, 24), 2, 0, 3, 0, 1, 2, 3]),
      },
    ];
    for (const c of cases) {
      let err: unknown;
      try {
        decodeGssChecksum(c);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(KerberosError);
      expect((err as KerberosError).code).toBe(ErrorCode.KRB_AP_ERR_INAPP_CKSUM);
    }
  });

  it('reads a checksum written big-endian throughout (Lgth 00 00 00 10) in that order, as old MIT did', () => {
    const bigEndian = Uint8Array.from([
      ...[0, 0, 0, 16],
      ...new Uint8Array(16),
      ...[0, 0, 0, GssFlags.deleg | GssFlags.mutual | GssFlags.integ],
      ...[0, 1, 0, 3],
      ...[7, 8, 9],
    ]);
    const d = decodeGssChecksum({ cksumtype: GSS_CHECKSUM_TYPE, checksum: bigEndian });
    expect(d.flags).toBe(GssFlags.deleg | GssFlags.mutual | GssFlags.integ);
    expect(d.delegation).toEqual(Uint8Array.of(7, 8, 9));
  });
});
