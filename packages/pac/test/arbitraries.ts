/**
 * fast-check arbitraries for PAC values: SIDs, every decoded buffer type,
 * raw buffers, whole PACs. Values never carry an `ndrForm` or `layout`
 * (those are what the decoder records for other encoders' bytes; the
 * properties build them separately).
 */

import type {
  GroupMembership,
  KerbSidAndAttributes,
  KerbValidationInfo,
  Pac,
  PacAttributesInfo,
  PacBuffer,
  PacClientInfo,
  PacSignatureData,
  S4uDelegationInfo,
  Sid,
  UpnDnsInfo,
} from '@krbsim/pac';
import fc from 'fast-check';

const u32 = fc.nat({ max: 0xffffffff });
const u16 = fc.nat({ max: 0xffff });
const u64 = fc.bigInt({ min: 0n, max: 0xffffffffffffffffn });
/** Any UTF-16 code units, lone surrogates included, mostly short. */
const str = fc.string({ unit: 'binary', maxLength: 24 });

export const sidArb: fc.Arbitrary<Sid> = fc.record({
  identifierAuthority: fc.oneof(fc.constantFrom(0, 1, 5, 16, 18), fc.nat({ max: 2 ** 48 - 1 })),
  subAuthority: fc.array(u32, { maxLength: 15 }),
});

const group: fc.Arbitrary<GroupMembership> = fc.record({ relativeId: u32, attributes: u32 });
const extra: fc.Arbitrary<KerbSidAndAttributes> = fc.record({ sid: sidArb, attributes: u32 });

export const kerbValidationInfoArb: fc.Arbitrary<KerbValidationInfo> = fc
  .record({
    logonTime: u64,
    logoffTime: u64,
    kickOffTime: u64,
    passwordLastSet: u64,
    passwordCanChange: u64,
    passwordMustChange: u64,
    effectiveName: str,
    fullName: str,
    logonScript: str,
    profilePath: str,
    homeDirectory: str,
    homeDirectoryDrive: str,
    logonCount: u16,
    badPasswordCount: u16,
    userId: u32,
    primaryGroupId: u32,
    groupIds: fc.array(group, { maxLength: 12 }),
    userFlags: u32,
    userSessionKey: fc.uint8Array({ minLength: 16, maxLength: 16 }),
    logonServer: str,
    logonDomainName: str,
    logonDomainId: fc.option(sidArb, { nil: undefined }),
    reserved1: fc.tuple(u32, u32),
    userAccountControl: u32,
    subAuthStatus: u32,
    lastSuccessfulILogon: u64,
    lastFailedILogon: u64,
    failedILogonCount: u32,
    reserved3: u32,
    extraSids: fc.array(extra, { maxLength: 6 }),
    resourceGroupDomainSid: fc.option(sidArb, { nil: undefined }),
    resourceGroupIds: fc.array(group, { maxLength: 6 }),
  })
  .map((v) => {
    // Absent optional SIDs are left out, as the decoder leaves them out.
    const { logonDomainId, resourceGroupDomainSid, ...rest } = v;
    return {
      ...rest,
      ...(logonDomainId !== undefined && { logonDomainId }),
      ...(resourceGroupDomainSid !== undefined && { resourceGroupDomainSid }),
    };
  });

const clientInfoArb: fc.Arbitrary<PacClientInfo> = fc.record({ clientId: u64, name: str });

export const upnDnsInfoArb: fc.Arbitrary<UpnDnsInfo> = fc
  .record({
    upn: str,
    dnsDomainName: str,
    u: fc.boolean(),
    high: fc.nat({ max: 0x3fffffff }),
    ext: fc.option(fc.record({ samName: str, sid: sidArb }), { nil: undefined }),
  })
  .map(({ upn, dnsDomainName, u, high, ext }) => ({
    upn,
    dnsDomainName,
    // Any flags; bit S says whether the extended fields are there.
    flags: ((high << 2) | (u ? 1 : 0) | (ext !== undefined ? 2 : 0)) >>> 0,
    ...(ext ?? {}),
  }));

const attributesArb: fc.Arbitrary<PacAttributesInfo> = fc.nat({ max: 100 }).chain((n) =>
  fc.record({
    flagsLength: fc.constant(n),
    flags: fc.array(u32, { minLength: Math.ceil(n / 32), maxLength: Math.ceil(n / 32) }),
  }),
);

export const delegationArb: fc.Arbitrary<S4uDelegationInfo> = fc.record({
  s4u2proxyTarget: str,
  s4uTransitedServices: fc.array(str, { maxLength: 5 }),
});

const signatureArb: fc.Arbitrary<PacSignatureData> = fc
  .oneof(
    fc.record({
      signatureType: fc.constantFrom(15, 16),
      signature: fc.uint8Array({ minLength: 12, maxLength: 12 }),
      rodcIdentifier: fc.option(u16, { nil: undefined }),
    }),
    fc.record({
      signatureType: fc.constant(-138),
      signature: fc.uint8Array({ minLength: 16, maxLength: 16 }),
    }),
    fc.record({ signatureType: fc.constant(20), signature: fc.uint8Array({ minLength: 24, maxLength: 24 }) }),
    // A type krbsim does not implement: any bytes.
    fc.record({ signatureType: fc.constantFrom(7, 0x1234, -5), signature: fc.uint8Array({ maxLength: 20 }) }),
  )
  .map((s) => {
    const { rodcIdentifier, ...rest } = s as PacSignatureData;
    return rodcIdentifier === undefined ? rest : { ...rest, rodcIdentifier };
  });

const bufferArb: fc.Arbitrary<PacBuffer> = fc.oneof(
  kerbValidationInfoArb.map((value): PacBuffer => ({ type: 1, value })),
  clientInfoArb.map((value): PacBuffer => ({ type: 10, value })),
  upnDnsInfoArb.map((value): PacBuffer => ({ type: 12, value })),
  attributesArb.map((value): PacBuffer => ({ type: 17, value })),
  sidArb.map((sid): PacBuffer => ({ type: 18, value: { sid } })),
  delegationArb.map((value): PacBuffer => ({ type: 11, value })),
  fc
    .tuple(fc.constantFrom(6, 7, 16, 19), signatureArb)
    .map(([type, value]) => ({ type, value }) as PacBuffer),
  fc
    .record({
      type: fc.oneof(fc.constantFrom(2, 13, 14, 15), fc.integer({ min: 20, max: 0xffffffff })),
      data: fc.uint8Array({ maxLength: 40 }),
    })
    .map((b): PacBuffer => b),
);

export const pacArb: fc.Arbitrary<Pac> = fc.record({ buffers: fc.array(bufferArb, { maxLength: 8 }) });
