/**
 * Each PAC buffer codec on its own: round trips of hand-built values, the
 * wire forms NDR allows besides Windows' (Samba's referent numbering, other
 * MaximumLengths, NULL strings, other UPN_DNS_INFO layouts) kept through a
 * round trip, the strictness rules with their error paths, and the PAC
 * directory's layout rules.
 */

import { ErrorCode } from '@krbsim/core';
import {
  createKerbValidationInfo,
  createPacAttributesInfo,
  createPacClientInfo,
  createUpnDnsInfo,
  decodeKerbValidationInfo,
  decodePac,
  decodePacAttributesInfo,
  decodePacClientInfo,
  decodePacRequestor,
  decodePacSignatureData,
  decodeS4uDelegationInfo,
  decodeSid,
  decodeUpnDnsInfo,
  encodeKerbValidationInfo,
  encodePac,
  encodePacAttributesInfo,
  encodePacClientInfo,
  encodePacRequestor,
  encodePacSignatureData,
  encodeS4uDelegationInfo,
  encodeUpnDnsInfo,
  FILETIME_NEVER,
  formatSid,
  getPacBuffer,
  isDecodedPacBufferType,
  type KerbValidationInfo,
  PacBufferType,
  parsePac,
  parseSid,
  SE_GROUP_DEFAULT,
  SeGroupAttributes,
  UpnDnsFlags,
  UserFlags,
  updatePacBuffer,
  validationInfoSids,
} from '@krbsim/pac';
import { describe, expect, it } from 'vitest';
import { aliceLogonInfo, alicePac, CONTOSO_SID, FABRIKAM_SID, hex, pacError, unhex } from './helpers';

const u32 = (n: number) => hex(Uint8Array.of(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24));

describe('KERB_VALIDATION_INFO (MS-PAC 2.5)', () => {
  it('round-trips every field', () => {
    const b = encodeKerbValidationInfo(aliceLogonInfo);
    expect(decodeKerbValidationInfo(b)).toEqual(aliceLogonInfo);
    expect(hex(encodeKerbValidationInfo(decodeKerbValidationInfo(b)))).toBe(hex(b));
  });

  it('writes the type serialization headers and Windows referent numbering', () => {
    const b = encodeKerbValidationInfo(aliceLogonInfo);
    expect(hex(b.subarray(0, 8))).toBe('01100800cccccccc');
    expect(b.length % 8).toBe(0);
    expect(hex(b.subarray(8, 16))).toBe(`${u32(b.length - 16)}00000000`);
    expect(hex(b.subarray(16, 20))).toBe(u32(0x20000));
    // EffectiveName: Length 10, MaximumLength 10, the first referent after the structure's own.
    expect(hex(b.subarray(68, 76))).toBe(`0a000a00${u32(0x20004)}`);
  });

  it('createKerbValidationInfo fills what a DC fills', () => {
    const v = createKerbValidationInfo({ effectiveName: 'bob', userId: 1200 });
    expect(v.logoffTime).toBe(FILETIME_NEVER);
    expect(v.primaryGroupId).toBe(513);
    expect(v.userFlags).toBe(0);
    expect(v.userSessionKey).toEqual(new Uint8Array(16));
    expect(aliceLogonInfo.userFlags).toBe(UserFlags.LOGON_EXTRA_SIDS | UserFlags.LOGON_RESOURCE_GROUPS);
    expect(decodeKerbValidationInfo(encodeKerbValidationInfo(v))).toEqual(v);
  });

  it('writes NULL pointers for empty arrays and absent SIDs', () => {
    const v = createKerbValidationInfo({ effectiveName: 'x', userId: 1 });
    const back = decodeKerbValidationInfo(encodeKerbValidationInfo(v));
    expect(back.logonDomainId).toBeUndefined();
    expect(back.resourceGroupDomainSid).toBeUndefined();
    expect(back.groupIds).toEqual([]);
  });

  it("keeps Samba's referent numbering (in pointer order) through a round trip", () => {
    const canonical = Array.from({ length: 18 }, (_, i) => 0x20000 + 4 * i);
    // Pointee order: top, 6 strings, GroupIds, LogonServer, LogonDomainName, LogonDomainId,
    // ExtraSids, ExtraSids[0].Sid, ExtraSids[1].Sid, ResourceGroupDomainSid, ResourceGroupIds.
    // Samba numbers the pointers as it writes them: the two embedded SID pointers last.
    const samba = [...canonical.slice(0, 12), 0x20038, 0x2003c, 0x20030, 0x20034];
    const v: KerbValidationInfo = { ...aliceLogonInfo, ndrForm: { referentIds: samba } };
    const b = encodeKerbValidationInfo(v);
    const back = decodeKerbValidationInfo(b);
    expect(back).toEqual(v);
    expect(hex(encodeKerbValidationInfo(back))).toBe(hex(b));
    // A list that no longer fits the value is not used: the canonical numbering is.
    const edited = { ...back, extraSids: back.extraSids.slice(1) };
    const again = decodeKerbValidationInfo(encodeKerbValidationInfo(edited));
    expect(again.ndrForm).toBeUndefined();
  });

  it('keeps other MaximumLengths and NULL string pointers through a round trip', () => {
    const v: KerbValidationInfo = {
      ...aliceLogonInfo,
      logonScript: '',
      homeDirectoryDrive: '',
      ndrForm: {
        maximumLengths: { EffectiveName: 12, LogonServer: 8 },
        nullStrings: ['LogonScript', 'HomeDirectoryDrive'],
      },
    };
    const b = encodeKerbValidationInfo(v);
    const back = decodeKerbValidationInfo(b);
    expect(back).toEqual(v);
    expect(hex(encodeKerbValidationInfo(back))).toBe(hex(b));
  });

  it('names the field of a value out of range', () => {
    pacError(() => encodeKerbValidationInfo({ ...aliceLogonInfo, userId: -1 }), {
      path: 'KERB_VALIDATION_INFO.UserId',
    });
    pacError(
      () =>
        encodeKerbValidationInfo({
          ...aliceLogonInfo,
          groupIds: [...aliceLogonInfo.groupIds, { relativeId: 1, attributes: 2 ** 32 }],
        }),
      { path: 'KERB_VALIDATION_INFO.GroupIds[4].Attributes' },
    );
    pacError(
      () =>
        encodeKerbValidationInfo({
          ...aliceLogonInfo,
          extraSids: [
            { sid: { identifierAuthority: 5, subAuthority: new Array(16).fill(1) }, attributes: 7 },
          ],
        }),
      { path: 'KERB_VALIDATION_INFO.ExtraSids[0].Sid' },
    );
    pacError(() => encodeKerbValidationInfo({ ...aliceLogonInfo, logonTime: -1n }), {
      path: 'KERB_VALIDATION_INFO.LogonTime',
    });
    pacError(() => encodeKerbValidationInfo({ ...aliceLogonInfo, userSessionKey: new Uint8Array(8) }), {
      path: 'KERB_VALIDATION_INFO.UserSessionKey',
    });
    pacError(() => encodeKerbValidationInfo({ ...aliceLogonInfo, fullName: 'x'.repeat(0x8000) }), {
      path: 'KERB_VALIDATION_INFO.FullName',
    });
  });

  /** alice's logon info with distinctive group RIDs, and the offset of `GroupIds[3].Attributes` in its encoding. */
  function withMarkedGroups(nameLength: number): { b: Uint8Array; at: number } {
    const v = {
      ...aliceLogonInfo,
      effectiveName: 'a'.repeat(nameLength),
      groupIds: [0, 1, 2, 3].map((i) => ({ relativeId: 0x7a7a7a00 + i, attributes: SE_GROUP_DEFAULT })),
    };
    const b = encodeKerbValidationInfo(v);
    const at = Buffer.from(b).indexOf(Buffer.from(unhex(u32(0x7a7a7a03)))) + 4;
    return { b, at };
  }

  it('reports a truncation with the field path, e.g. GroupIds[3].Attributes', () => {
    let found: { b: Uint8Array; at: number } | undefined;
    for (let n = 1; n < 9 && found === undefined; n++) {
      const c = withMarkedGroups(n);
      if (c.at % 8 === 0) found = c;
    }
    const { b, at } = found!;
    const cut = b.slice(0, at);
    cut.set(unhex(u32(at - 16)), 8); // ObjectBufferLength of the cut buffer
    const e = pacError(() => decodeKerbValidationInfo(cut), {
      code: ErrorCode.KRB_ERR_GENERIC,
      path: 'KERB_VALIDATION_INFO.GroupIds[3].Attributes',
    });
    expect(e.offset).toBe(at);
    // Inside a PAC, the path starts at the directory entry.
    const pac = encodePac({ buffers: [{ type: PacBufferType.LOGON_INFO, data: cut }] });
    pacError(() => decodePac(pac), {
      path: 'PACTYPE.Buffers[0].KERB_VALIDATION_INFO.GroupIds[3].Attributes',
    });
  });

  /** Re-encodes with one 32-bit word replaced. */
  function patched(b: Uint8Array, at: number, value: number): Uint8Array {
    const c = b.slice();
    c.set(unhex(u32(value)), at);
    return c;
  }

  it.each([
    [0, 0x00080102, 'KERB_VALIDATION_INFO.CommonHeader.Version', /common type header/],
    [0, 0x00080001, 'KERB_VALIDATION_INFO.CommonHeader.Endianness', /little-endian/],
    [0, 0x00101001, 'KERB_VALIDATION_INFO.CommonHeader.CommonHeaderLength', /common type header/],
    [8, 8, 'KERB_VALIDATION_INFO.PrivateHeader.ObjectBufferLength', /does not match/],
    [16, 0, 'KERB_VALIDATION_INFO', /NULL/],
  ])('checks the headers: word at %i', (at, value, path, message) => {
    const b = encodeKerbValidationInfo(aliceLogonInfo);
    pacError(() => decodeKerbValidationInfo(patched(b, at, value)), { path, message });
  });

  it('ignores the fillers (MS-RPCE 2.2.6.1, 2.2.6.2), recording those that are not 0xcccccccc and 0', () => {
    const b = encodeKerbValidationInfo(aliceLogonInfo);
    // Impacket's: 0xcccccccc in both headers.
    const impacket = patched(b, 12, 0xcccccccc);
    const v = decodeKerbValidationInfo(impacket);
    expect(v.ndrForm).toEqual({ headerFillers: [0xcccccccc, 0xcccccccc] });
    const { ndrForm: _, ...plain } = v;
    expect(plain).toEqual(aliceLogonInfo);
    expect(hex(encodeKerbValidationInfo(v))).toBe(hex(impacket));
    const other = patched(b, 4, 0);
    expect(decodeKerbValidationInfo(other).ndrForm).toEqual({ headerFillers: [0, 0] });
    expect(hex(encodeKerbValidationInfo(decodeKerbValidationInfo(other)))).toBe(hex(other));
    pacError(() => encodeKerbValidationInfo({ ...aliceLogonInfo, ndrForm: { headerFillers: [-1, 0] } }), {
      path: 'KERB_VALIDATION_INFO.ndrForm.headerFillers',
    });
  });

  it('checks counts against MaxCount and pointers against counts', () => {
    const v = createKerbValidationInfo({
      effectiveName: 'x',
      userId: 1,
      groupIds: [{ relativeId: 513, attributes: 7 }],
      logonDomainId: CONTOSO_SID,
    });
    const b = encodeKerbValidationInfo(v);
    const groupCountAt = 16 + 4 + 48 + 48 + 4 + 8;
    expect(hex(b.subarray(groupCountAt, groupCountAt + 8))).toBe(`01000000${u32(0x2001c)}`);
    pacError(() => decodeKerbValidationInfo(patched(b, groupCountAt, 2)), {
      path: 'KERB_VALIDATION_INFO.GroupIds.MaxCount',
      message: /MaxCount 1 does not match the count 2/,
    });
    pacError(() => decodeKerbValidationInfo(patched(b, groupCountAt, 0)), {
      path: 'KERB_VALIDATION_INFO.GroupIds',
      message: /non-NULL pointer with GroupCount 0/,
    });
    pacError(() => decodeKerbValidationInfo(patched(b, groupCountAt + 4, 0)), {
      path: 'KERB_VALIDATION_INFO.GroupIds',
      message: /NULL pointer with GroupCount 1/,
    });
  });

  it('checks RPC_UNICODE_STRING lengths and counts', () => {
    const b = encodeKerbValidationInfo(createKerbValidationInfo({ effectiveName: 'ab', userId: 1 }));
    const at = 16 + 4 + 48; // EffectiveName's Length and MaximumLength
    pacError(() => decodeKerbValidationInfo(patched(b, at, 0x00040003)), {
      path: 'KERB_VALIDATION_INFO.EffectiveName',
      message: /even/,
    });
    pacError(() => decodeKerbValidationInfo(patched(b, at, 0x00020004)), {
      path: 'KERB_VALIDATION_INFO.EffectiveName',
      message: /greater than MaximumLength/,
    });
    pacError(() => decodeKerbValidationInfo(patched(b, at, 0x00060004)), {
      path: 'KERB_VALIDATION_INFO.EffectiveName.Buffer.MaxCount',
    });
  });

  it('ignores alignment padding (C706 14.2.2), recording what is not zeros where it was', () => {
    // 'abc' leaves two bytes of padding after its characters.
    const v = createKerbValidationInfo({ effectiveName: 'abc', userId: 1 });
    const b = encodeKerbValidationInfo(v);
    const chars = Buffer.from(b).indexOf(Buffer.from('a\0b\0c\0', 'latin1'));
    const filled = b.slice();
    filled.fill(0xab, chars + 6, chars + 8); // as Impacket pads
    const back = decodeKerbValidationInfo(filled);
    expect(back.ndrForm).toEqual({ padding: [{ offset: chars + 6, bytes: new Uint8Array([0xab, 0xab]) }] });
    const { ndrForm: _, ...plain } = back;
    expect(plain).toEqual(v);
    expect(hex(encodeKerbValidationInfo(back))).toBe(hex(filled));
    // One byte of a pad set is a pad all the same, recorded whole.
    const one = b.slice();
    one[chars + 7] = 1;
    expect(decodeKerbValidationInfo(one).ndrForm?.padding).toEqual([
      { offset: chars + 6, bytes: new Uint8Array([0, 1]) },
    ]);
    // An edited value whose padding moved is padded with zeros where no recorded padding fits.
    const edited = encodeKerbValidationInfo({ ...back, effectiveName: 'abcd' });
    expect(edited.includes(0xab)).toBe(false);
    expect(hex(edited)).toBe(hex(encodeKerbValidationInfo({ ...v, effectiveName: 'abcd' })));
    // The padding at the end, up to a multiple of 8.
    const last = b.slice();
    last[last.length - 1] = 0xee;
    expect(decodeKerbValidationInfo(last).ndrForm?.padding?.at(-1)?.offset).toBeGreaterThan(chars);
    expect(hex(encodeKerbValidationInfo(decodeKerbValidationInfo(last)))).toBe(hex(last));
    for (const bad of [
      { offset: -1, bytes: new Uint8Array(1) },
      { offset: 0, bytes: new Uint8Array(8) },
    ]) {
      pacError(() => encodeKerbValidationInfo({ ...v, ndrForm: { padding: [bad] } }), {
        path: 'KERB_VALIDATION_INFO.ndrForm.padding[0]',
      });
    }
  });

  it('checks the private header: ObjectBufferLength a multiple of 8, nothing after the value', () => {
    const b = encodeKerbValidationInfo(aliceLogonInfo);
    // Four more bytes, ObjectBufferLength matching them: the length is no longer a multiple of 8.
    const odd = Uint8Array.of(...b, 0, 0, 0, 0);
    odd.set(unhex(u32(odd.length - 16)), 8);
    const e = pacError(() => decodeKerbValidationInfo(odd), {
      code: ErrorCode.KRB_ERR_GENERIC,
      path: 'KERB_VALIDATION_INFO.PrivateHeader.ObjectBufferLength',
      message: new RegExp(`ObjectBufferLength ${odd.length - 16} is not a multiple of 8`),
    });
    expect(e.offset).toBe(8);
    // Eight more bytes: a valid length, with eight bytes no field accounts for.
    const trailing = Uint8Array.of(...b, 0, 0, 0, 0, 0, 0, 0, 0);
    trailing.set(unhex(u32(trailing.length - 16)), 8);
    const t = pacError(() => decodeKerbValidationInfo(trailing), {
      code: ErrorCode.KRB_ERR_GENERIC,
      path: 'KERB_VALIDATION_INFO',
      message: /8 bytes after the serialized value/,
    });
    expect(t.offset).toBe(b.length);
  });

  it('refuses values the encoder cannot write, naming the field', () => {
    const bad = (v: object) => () =>
      encodeKerbValidationInfo({ ...aliceLogonInfo, ...v } as KerbValidationInfo);
    pacError(() => encodeKerbValidationInfo(null as never), {
      path: 'KERB_VALIDATION_INFO',
      message: /expected a KerbValidationInfo object/,
    });
    pacError(bad({ groupIds: 'none' }), {
      path: 'KERB_VALIDATION_INFO.GroupIds',
      message: /expected an array/,
    });
    pacError(bad({ resourceGroupIds: [{ relativeId: -1, attributes: 7 }] }), {
      path: 'KERB_VALIDATION_INFO.ResourceGroupIds[0].RelativeId',
    });
    pacError(bad({ groupIds: [null] }), { path: 'KERB_VALIDATION_INFO.GroupIds[0].RelativeId' });
    pacError(bad({ extraSids: {} }), {
      path: 'KERB_VALIDATION_INFO.ExtraSids',
      message: /expected an array/,
    });
    const sid = CONTOSO_SID;
    pacError(bad({ extraSids: [{ sid, attributes: 2 ** 32 }] }), {
      path: 'KERB_VALIDATION_INFO.ExtraSids[0].Attributes',
    });
    // SE_GROUP_LOGON_ID | SE_GROUP_MANDATORY is negative in JavaScript: refused, with the way out.
    const logonId = SeGroupAttributes.LOGON_ID | SeGroupAttributes.MANDATORY;
    expect(logonId).toBeLessThan(0);
    pacError(bad({ extraSids: [{ sid, attributes: logonId }] }), {
      path: 'KERB_VALIDATION_INFO.ExtraSids[0].Attributes',
      message: /got -1073741823 \(JavaScript's \| gives a signed number: write \(a \| b\) >>> 0\)/,
    });
    expect(() =>
      encodeKerbValidationInfo({ ...aliceLogonInfo, extraSids: [{ sid, attributes: logonId >>> 0 }] }),
    ).not.toThrow();
    pacError(bad({ extraSids: [{ sid: null, attributes: 7 }] }), {
      path: 'KERB_VALIDATION_INFO.ExtraSids[0].Sid',
      message: /expected a Sid object/,
    });
    pacError(
      bad({ extraSids: [{ sid: { identifierAuthority: 2 ** 48, subAuthority: [] }, attributes: 7 }] }),
      {
        path: 'KERB_VALIDATION_INFO.ExtraSids[0].Sid',
        message: /IdentifierAuthority must be an integer in 0\.\.2\^48-1/,
      },
    );
    pacError(
      bad({ extraSids: [{ sid: { identifierAuthority: 5, subAuthority: [21, 1.5] }, attributes: 7 }] }),
      {
        path: 'KERB_VALIDATION_INFO.ExtraSids[0].Sid',
        message: /SubAuthority\[1\] must be an unsigned 32-bit integer, got 1.5/,
      },
    );
    pacError(bad({ logonDomainId: { identifierAuthority: 5, subAuthority: 'x' } }), {
      path: 'KERB_VALIDATION_INFO.LogonDomainId',
      message: /SubAuthority must be an array/,
    });
    pacError(bad({ reserved1: [0] }), { path: 'KERB_VALIDATION_INFO.Reserved1', message: /two numbers/ });
    pacError(bad({ fullName: 42 }), {
      path: 'KERB_VALIDATION_INFO.FullName',
      message: /expected a string, got number/,
    });
    pacError(bad({ ndrForm: { maximumLengths: { EffectiveName: 3 } } }), {
      path: 'KERB_VALIDATION_INFO.ndrForm.maximumLengths.EffectiveName',
      message: /must be an even 16-bit number, got 3/,
    });
    pacError(bad({ ndrForm: { maximumLengths: { EffectiveName: 0x10000 } } }), {
      path: 'KERB_VALIDATION_INFO.ndrForm.maximumLengths.EffectiveName',
    });
  });
});

describe('validationInfoSids: the SIDs a KERB_VALIDATION_INFO gives (MS-PAC 2.5)', () => {
  const sids = (info: KerbValidationInfo) => validationInfoSids(info).map((s) => formatSid(s.sid));
  const base = {
    effectiveName: 'alice',
    userId: 1105,
    logonDomainId: CONTOSO_SID,
    primaryGroupId: 513,
    groupIds: [{ relativeId: 1200, attributes: SE_GROUP_DEFAULT }],
    resourceGroupDomainSid: FABRIKAM_SID,
    resourceGroupIds: [{ relativeId: 1000, attributes: SE_GROUP_DEFAULT }],
  };
  const c = formatSid(CONTOSO_SID);
  const f = formatSid(FABRIKAM_SID);

  it('adds the primary group when GroupIds does not list it, after the user, as a token holds it', () => {
    expect(sids(createKerbValidationInfo(base))).toEqual([`${c}-1105`, `${c}-513`, `${c}-1200`, `${f}-1000`]);
    const listed = createKerbValidationInfo({
      ...base,
      groupIds: [
        { relativeId: 513, attributes: SE_GROUP_DEFAULT },
        { relativeId: 1200, attributes: SE_GROUP_DEFAULT },
      ],
    });
    expect(sids(listed)).toEqual([`${c}-1105`, `${c}-513`, `${c}-1200`, `${f}-1000`]);
  });

  it('reads ResourceGroupIds only with LOGON_RESOURCE_GROUPS in UserFlags', () => {
    const cleared = createKerbValidationInfo({ ...base, userFlags: 0 });
    expect(sids(cleared)).toEqual([`${c}-1105`, `${c}-513`, `${c}-1200`]);
    const set = createKerbValidationInfo({ ...base, userFlags: UserFlags.LOGON_RESOURCE_GROUPS });
    expect(sids(set)).toContain(`${f}-1000`);
  });
});

describe('PAC_CLIENT_INFO (MS-PAC 2.7)', () => {
  it('as MIT and Windows write it', () => {
    const v = createPacClientInfo('alice', 1700000000000);
    const b = encodePacClientInfo(v);
    // 1700000000000 ms is FILETIME 0x01da1747c66d0000.
    expect(hex(b)).toBe(`00006dc64717da010a00${hex(Buffer.from('alice', 'utf16le'))}`);
    expect(decodePacClientInfo(b)).toEqual(v);
  });

  it('is exactly 10 + NameLength bytes', () => {
    const b = encodePacClientInfo(createPacClientInfo('alice', 0));
    pacError(() => decodePacClientInfo(b.subarray(0, 7)), { path: 'PAC_CLIENT_INFO.ClientId' });
    pacError(() => decodePacClientInfo(b.subarray(0, 9)), { path: 'PAC_CLIENT_INFO.NameLength' });
    pacError(() => decodePacClientInfo(Uint8Array.of(...b, 0, 0)), {
      path: 'PAC_CLIENT_INFO.NameLength',
      message: /does not match the 12 bytes/,
    });
    const odd = b.slice();
    odd[8] = 9;
    pacError(() => decodePacClientInfo(odd), { path: 'PAC_CLIENT_INFO.NameLength', message: /odd/ });
  });

  it('refuses a ClientId or a name the encoder cannot write', () => {
    pacError(() => encodePacClientInfo({ clientId: -1n, name: 'alice' }), {
      path: 'PAC_CLIENT_INFO.ClientId',
      message: /unsigned 64-bit bigint, got -1/,
    });
    pacError(() => encodePacClientInfo({ clientId: 2n ** 64n, name: 'alice' }), {
      path: 'PAC_CLIENT_INFO.ClientId',
    });
    pacError(() => encodePacClientInfo({ clientId: 1n, name: undefined as never }), {
      path: 'PAC_CLIENT_INFO.Name',
      message: /expected a string, got undefined/,
    });
  });

  it('keeps any UTF-16, lone surrogates included', () => {
    const v = { clientId: 1n, name: 'x\ud800y\u00e9' };
    expect(decodePacClientInfo(encodePacClientInfo(v))).toEqual(v);
  });
});

describe('UPN_DNS_INFO (MS-PAC 2.10)', () => {
  const sid = parseSid('S-1-5-21-1-2-3-1104');

  it('the plain form, laid out as Windows Server 2008 did', () => {
    const v = createUpnDnsInfo({ upn: 'w2k8u@abc', dnsDomainName: 'ACME.COM' });
    const b = encodeUpnDnsInfo(v);
    expect(hex(b.subarray(0, 16))).toBe('12001000100028000000000000000000');
    expect(b.length).toBe(56);
    expect(decodeUpnDnsInfo(b)).toEqual(v);
  });

  it('the extended form, laid out as Windows Server 2022 does', () => {
    const v = createUpnDnsInfo({
      upn: 'alice@contoso.com',
      dnsDomainName: 'CONTOSO.COM',
      upnConstructed: true,
      samName: 'alice',
      sid,
    });
    expect(v.flags).toBe(UpnDnsFlags.UPN_CONSTRUCTED | UpnDnsFlags.HAS_SAM_NAME_AND_SID);
    const b = encodeUpnDnsInfo(v);
    // UPN at 24 (34 bytes), DNS at 64 (22), SAM at 88 (10), SID at 104 (28), padded to 136.
    expect(hex(b.subarray(0, 20))).toBe('2200180016004000030000000a0058001c006800');
    expect(b.length).toBe(136);
    expect(decodeUpnDnsInfo(b)).toEqual(v);
  });

  it('keeps another layout through a round trip, and checks it', () => {
    // Items packed right after a 12-byte header, no padding.
    const upn = Buffer.from('a@b', 'utf16le');
    const dns = Buffer.from('B', 'utf16le');
    const b = Uint8Array.of(6, 0, 12, 0, 2, 0, 18, 0, 0, 0, 0, 0, ...upn, ...dns);
    const v = decodeUpnDnsInfo(b);
    expect(v).toEqual({
      upn: 'a@b',
      dnsDomainName: 'B',
      flags: 0,
      layout: { upnOffset: 12, dnsDomainNameOffset: 18, size: 20 },
    });
    expect(hex(encodeUpnDnsInfo(v))).toBe(hex(b));
    // An edited value that no longer fits the recorded layout gets the canonical one.
    const edited = encodeUpnDnsInfo({ ...v, upn: 'alice@b' });
    expect(decodeUpnDnsInfo(edited).layout).toBeUndefined();
    const overlap = b.slice();
    overlap[6] = 14;
    pacError(() => decodeUpnDnsInfo(overlap), { path: 'UPN_DNS_INFO', message: /overlap/ });
    const past = b.slice();
    past[6] = 20;
    pacError(() => decodeUpnDnsInfo(past), { path: 'UPN_DNS_INFO', message: /runs past/ });
    const header = b.slice();
    header[2] = 8;
    pacError(() => decodeUpnDnsInfo(header), { path: 'UPN_DNS_INFO', message: /header/ });
  });

  it('refuses bytes outside the items that are not zero, odd lengths, a short header', () => {
    const b = encodeUpnDnsInfo(createUpnDnsInfo({ upn: 'a@b', dnsDomainName: 'B' }));
    const bad = b.slice();
    bad[13] = 1;
    pacError(() => decodeUpnDnsInfo(bad), { path: 'UPN_DNS_INFO', message: /padding must be zero/ });
    const odd = b.slice();
    odd[0] = 5;
    pacError(() => decodeUpnDnsInfo(odd), { path: 'UPN_DNS_INFO.UpnLength', message: /odd/ });
    pacError(() => decodeUpnDnsInfo(b.subarray(0, 10)), { path: 'UPN_DNS_INFO' });
    const s = b.slice();
    s[8] = UpnDnsFlags.HAS_SAM_NAME_AND_SID;
    pacError(() => decodeUpnDnsInfo(s.subarray(0, 16)), { path: 'UPN_DNS_INFO.Flags', message: /20 bytes/ });
  });

  it('accepts items out of order when they do not overlap, and keeps that layout', () => {
    // The DNS name first, right after the 12-byte header, then the UPN.
    const dns = Buffer.from('B', 'utf16le');
    const upn = Buffer.from('a@b', 'utf16le');
    const b = Uint8Array.of(6, 0, 14, 0, 2, 0, 12, 0, 0, 0, 0, 0, ...dns, ...upn);
    const v = decodeUpnDnsInfo(b);
    expect(v).toEqual({
      upn: 'a@b',
      dnsDomainName: 'B',
      flags: 0,
      layout: { upnOffset: 14, dnsDomainNameOffset: 12, size: 20 },
    });
    expect(hex(encodeUpnDnsInfo(v))).toBe(hex(b));
    // Out of order and overlapping: the DNS name at 12 (4 bytes), the UPN at 14.
    const overlap = Uint8Array.of(6, 0, 14, 0, 4, 0, 12, 0, 0, 0, 0, 0, ...new Uint8Array(8));
    pacError(() => decodeUpnDnsInfo(overlap), {
      path: 'UPN_DNS_INFO',
      message: /DnsDomainName and Upn overlap/,
    });
  });

  it('refuses values the encoder cannot write', () => {
    pacError(() => encodeUpnDnsInfo(null as never), {
      path: 'UPN_DNS_INFO',
      message: /expected an UpnDnsInfo object/,
    });
    pacError(
      () =>
        encodeUpnDnsInfo({
          upn: 'a',
          dnsDomainName: 'b',
          flags: UpnDnsFlags.HAS_SAM_NAME_AND_SID,
          samName: 'a',
          sid: { identifierAuthority: 5, subAuthority: [-1] },
        }),
      { path: 'UPN_DNS_INFO.Sid', message: /SubAuthority\[0\] must be an unsigned 32-bit integer/ },
    );
    // Each name fits 16-bit lengths, but together they take more than 16-bit offsets reach.
    const long = 'x'.repeat(0x7fff);
    pacError(() => encodeUpnDnsInfo(createUpnDnsInfo({ upn: long, dnsDomainName: long })), {
      path: 'UPN_DNS_INFO',
      message: /the buffer would take \d+ bytes; offsets are 16-bit/,
    });
  });

  it('needs flag S exactly when samName and sid are given', () => {
    pacError(() => encodeUpnDnsInfo({ upn: 'a', dnsDomainName: 'b', flags: 2 }), {
      path: 'UPN_DNS_INFO.Flags',
    });
    pacError(() => encodeUpnDnsInfo({ upn: 'a', dnsDomainName: 'b', flags: 0, samName: 'a', sid }), {
      path: 'UPN_DNS_INFO.Flags',
    });
  });
});

describe('PAC_ATTRIBUTES_INFO and PAC_REQUESTOR (MS-PAC 2.14, 2.15)', () => {
  it('round-trip as Windows writes them', () => {
    const a = createPacAttributesInfo(1);
    expect(hex(encodePacAttributesInfo(a))).toBe('0200000001000000');
    expect(decodePacAttributesInfo(encodePacAttributesInfo(a))).toEqual(a);
    const long = { flagsLength: 33, flags: [0xffffffff, 1] };
    expect(decodePacAttributesInfo(encodePacAttributesInfo(long))).toEqual(long);
    const r = { sid: parseSid('S-1-5-21-1-2-3-1104') };
    expect(hex(encodePacRequestor(r))).toBe('01050000000000051500000001000000020000000300000050040000');
    expect(decodePacRequestor(encodePacRequestor(r))).toEqual(r);
  });

  it('size the flags by FlagsLength, without trusting it', () => {
    pacError(() => decodePacAttributesInfo(unhex('ffffffff01000000')), {
      path: 'PAC_ATTRIBUTES_INFO.Flags',
      message: /needs 134217728 32-bit words/,
    });
    pacError(() => encodePacAttributesInfo({ flagsLength: 2, flags: [] }), {
      path: 'PAC_ATTRIBUTES_INFO.Flags',
    });
    pacError(() => decodePacRequestor(unhex('0101000000000005')), { path: 'PAC_REQUESTOR.Sid' });
  });

  it('refuses a requestor SID the encoder cannot write', () => {
    pacError(() => encodePacRequestor({ sid: { identifierAuthority: 5, subAuthority: [2 ** 32] } }), {
      path: 'PAC_REQUESTOR.Sid',
      message: /SubAuthority\[0\] must be an unsigned 32-bit integer/,
    });
    pacError(() => encodePacRequestor({} as never), {
      path: 'PAC_REQUESTOR.Sid',
      message: /expected a Sid object/,
    });
  });
});

describe('S4U_DELEGATION_INFO (MS-PAC 2.9)', () => {
  it('round-trips, with and without transited services', () => {
    for (const v of [
      { s4u2proxyTarget: 'cifs/fs1.contoso.com', s4uTransitedServices: ['http/web.contoso.com@CONTOSO.COM'] },
      { s4u2proxyTarget: 'cifs/fs1', s4uTransitedServices: ['a@R', '', 'c@R'] },
      { s4u2proxyTarget: '', s4uTransitedServices: [] },
    ]) {
      const b = encodeS4uDelegationInfo(v);
      expect(decodeS4uDelegationInfo(b)).toEqual(v);
      expect(hex(encodeS4uDelegationInfo(decodeS4uDelegationInfo(b)))).toBe(hex(b));
    }
  });

  it('numbers referents in order: target, list, each string', () => {
    const b = encodeS4uDelegationInfo({ s4u2proxyTarget: 't', s4uTransitedServices: ['a', 'b'] });
    expect(hex(b.subarray(16, 36))).toBe(`${u32(0x20000)}02000200${u32(0x20004)}02000000${u32(0x20008)}`);
  });

  it('checks TransitedListSize against the array', () => {
    const b = encodeS4uDelegationInfo({ s4u2proxyTarget: 't', s4uTransitedServices: ['a'] });
    const c = b.slice();
    c.set(unhex(u32(2)), 28);
    pacError(() => decodeS4uDelegationInfo(c), { path: 'S4U_DELEGATION_INFO.S4UTransitedServices.MaxCount' });
    c.set(unhex(u32(0)), 28);
    pacError(() => decodeS4uDelegationInfo(c), { path: 'S4U_DELEGATION_INFO.S4UTransitedServices' });
  });

  it('refuses values the encoder cannot write, recorded referent IDs included', () => {
    pacError(() => encodeS4uDelegationInfo(null as never), {
      path: 'S4U_DELEGATION_INFO',
      message: /expected an S4uDelegationInfo object/,
    });
    pacError(() => encodeS4uDelegationInfo({ s4u2proxyTarget: 't', s4uTransitedServices: 'a' as never }), {
      path: 'S4U_DELEGATION_INFO.S4UTransitedServices',
      message: /expected an array/,
    });
    // Two pointers (the target and its string); a recorded numbering with a NULL referent is refused.
    for (const id of [0, 2 ** 32, 1.5]) {
      pacError(
        () =>
          encodeS4uDelegationInfo({
            s4u2proxyTarget: 't',
            s4uTransitedServices: [],
            ndrForm: { referentIds: [0x20000, id] },
          }),
        {
          path: 'S4U_DELEGATION_INFO.ndrForm.referentIds',
          message: new RegExp(`non-zero unsigned 32-bit integer, got ${id}`),
        },
      );
    }
  });
});

describe('PAC_SIGNATURE_DATA (MS-PAC 2.8)', () => {
  it('sizes the signature by its type, with an optional RODCIdentifier', () => {
    const v = { signatureType: 16, signature: new Uint8Array(12).fill(0xab) };
    expect(decodePacSignatureData(encodePacSignatureData(v))).toEqual(v);
    const rodc = { signatureType: -138, signature: new Uint8Array(16).fill(1), rodcIdentifier: 0x1234 };
    const b = encodePacSignatureData(rodc);
    expect(hex(b.subarray(0, 4))).toBe('76ffffff');
    expect(hex(b.subarray(20))).toBe('3412');
    expect(decodePacSignatureData(b)).toEqual(rodc);
    pacError(() => decodePacSignatureData(unhex(`10000000${'00'.repeat(13)}`)), {
      path: 'PAC_SIGNATURE_DATA.Signature',
      message: /12-byte signature/,
    });
    pacError(() => encodePacSignatureData({ signatureType: 16, signature: new Uint8Array(16) }), {
      path: 'PAC_SIGNATURE_DATA.Signature',
    });
  });

  it('refuses a SignatureType, signature or RODCIdentifier the encoder cannot write', () => {
    pacError(() => encodePacSignatureData({ signatureType: 2 ** 31, signature: new Uint8Array(12) }), {
      path: 'PAC_SIGNATURE_DATA.SignatureType',
      message: /expected a signed 32-bit integer, got 2147483648/,
    });
    pacError(() => encodePacSignatureData(undefined as never), { path: 'PAC_SIGNATURE_DATA.SignatureType' });
    pacError(() => encodePacSignatureData({ signatureType: 16, signature: [0] as never }), {
      path: 'PAC_SIGNATURE_DATA.Signature',
      message: /expected a Uint8Array/,
    });
    // An unknown type's signature is kept as bytes of any length: a trailer after it cannot be told apart.
    pacError(
      () =>
        encodePacSignatureData({ signatureType: 0x7777, signature: new Uint8Array(4), rodcIdentifier: 1 }),
      {
        path: 'PAC_SIGNATURE_DATA.RODCIdentifier',
        message: /needs a checksum type of known length, got 30583/,
      },
    );
  });

  it('keeps the bytes of a checksum type it does not know', () => {
    const v = { signatureType: 7, signature: new Uint8Array(16).fill(7) };
    expect(decodePacSignatureData(encodePacSignatureData(v))).toEqual(v);
  });
});

describe('PACTYPE and PAC_INFO_BUFFER (MS-PAC 2.3, 2.4)', () => {
  it('lays buffers out on 8-byte boundaries and round-trips a whole PAC', () => {
    const pac = alicePac();
    const b = encodePac(pac);
    expect(b.length % 8).toBe(0);
    expect(decodePac(b)).toEqual(pac);
    const info = getPacBuffer(decodePac(b), PacBufferType.LOGON_INFO)!;
    expect(info.resourceGroupDomainSid).toEqual(FABRIKAM_SID);
  });

  it('keeps unknown and undecoded buffers as bytes', () => {
    const pac = {
      buffers: [
        { type: PacBufferType.CLIENT_CLAIMS_INFO, data: unhex('0102030405') },
        { type: 0x12345678, data: new Uint8Array(0) },
        { type: 99, data: unhex('ff') },
      ],
    };
    const b = encodePac(pac);
    expect(decodePac(b)).toEqual(pac);
    // A decoded type given as bytes is written as given and read back typed.
    const raw = encodePac({
      buffers: [{ type: PacBufferType.ATTRIBUTES_INFO, data: unhex('0200000001000000') }],
    });
    expect(getPacBuffer(decodePac(raw), PacBufferType.ATTRIBUTES_INFO)).toEqual(createPacAttributesInfo(1));
  });

  it('refuses a second buffer of a type when asked for it', () => {
    const pac = {
      buffers: [
        ...alicePac().buffers,
        { type: PacBufferType.ATTRIBUTES_INFO, data: unhex('0200000002000000') },
      ],
    };
    const back = decodePac(encodePac(pac));
    pacError(() => getPacBuffer(back, PacBufferType.ATTRIBUTES_INFO), {
      message: /more than one buffer of type 17/,
    });
    expect(getPacBuffer(back, PacBufferType.CLIENT_INFO)).toBeDefined();
  });

  const one = () => encodePac({ buffers: [{ type: 99, data: unhex('0102030405') }] });

  it.each([
    ['a short header', () => unhex('010000'), 'PACTYPE', /8 bytes/],
    [
      'MIT fuzz: 0x10000000 buffers in 15 bytes',
      () => unhex('00000010000000000006ffffff0000f5'.slice(0, 30)),
      'PACTYPE.cBuffers',
      /buffers need/,
    ],
    [
      'MIT fuzz: 0x20000000 buffers in 10 bytes',
      () => unhex('00000020000000002020'),
      'PACTYPE.cBuffers',
      /buffers need/,
    ],
    ['version 1', () => Uint8Array.of(0, 0, 0, 0, 1, 0, 0, 0), 'PACTYPE.Version', /must be 0/],
    [
      'a misaligned offset',
      () => {
        const b = one();
        b[16] = 25;
        return b;
      },
      'PACTYPE.Buffers[0].Offset',
      /expected 24/,
    ],
    [
      'a gap before a buffer',
      () => {
        const b = one();
        b[16] = 32;
        return b;
      },
      'PACTYPE.Buffers[0].Offset',
      /expected 24/,
    ],
    [
      'a 64-bit offset',
      () => {
        const b = one();
        b[20] = 1;
        return b;
      },
      'PACTYPE.Buffers[0].Offset',
      /0x1/,
    ],
    [
      'a buffer past the end',
      () => {
        const b = one();
        b[12] = 9;
        return b;
      },
      'PACTYPE.Buffers[0].cbBufferSize',
      /run past/,
    ],
    [
      'non-zero padding',
      () => {
        const b = one();
        b[31] = 1;
        return b;
      },
      'PACTYPE.Buffers[0].padding',
      /zero/,
    ],
    ['a missing final padding', () => one().subarray(0, 30), 'PACTYPE', /padding is missing/],
    ['trailing bytes', () => Uint8Array.of(...one(), 0, 0, 0, 0, 0, 0, 0, 0), 'PACTYPE', /8 bytes after/],
  ])('refuses %s', (_name, make, path, message) => {
    pacError(() => decodePac(make()), { code: ErrorCode.KRB_ERR_GENERIC, path, message });
  });

  it('accepts a zero-length buffer at the very end (MIT ticket 9144)', () => {
    const b = unhex('010000000000000063000000000000001800000000000000');
    expect(decodePac(b)).toEqual({ buffers: [{ type: 99, data: new Uint8Array(0) }] });
    expect(hex(encodePac(decodePac(b)))).toBe(hex(b));
  });

  it('refuses more than maxBytes', () => {
    pacError(
      () => decodePac(new Uint8Array(1 << 20).fill(0).subarray(0, (1 << 20) + 0), { maxBytes: 1000 }),
      {
        path: 'PACTYPE',
        message: /maxBytes 1000/,
      },
    );
  });

  it('names the buffer of a value it cannot encode', () => {
    pacError(() => encodePac({ buffers: [alicePac().buffers[0]!, { type: 3, value: {} } as never] }), {
      path: 'PACTYPE.Buffers[1]',
      message: /no codec for buffer type 3/,
    });
  });

  it('refuses a Pac value the encoder cannot write', () => {
    pacError(() => encodePac(null as never), {
      path: 'PACTYPE',
      message: /a Pac object with a buffers array/,
    });
    pacError(() => encodePac({ buffers: {} } as never), { path: 'PACTYPE', message: /buffers array/ });
    for (const type of [-1, 2 ** 32, 1.5, '1']) {
      pacError(() => encodePac({ buffers: [{ type, data: new Uint8Array(0) }] } as never), {
        path: 'PACTYPE.Buffers[0]',
        message: new RegExp(`ulType must be an unsigned 32-bit integer, got ${type}`),
      });
    }
    pacError(() => encodePac({ buffers: [{ type: 99, data: [1, 2] }] } as never), {
      path: 'PACTYPE.Buffers[0]',
      message: /data must be a Uint8Array/,
    });
  });

  it('tells the buffer types it decodes; updatePacBuffer leaves a PAC without the type as it is', () => {
    expect(isDecodedPacBufferType(PacBufferType.LOGON_INFO)).toBe(true);
    expect(isDecodedPacBufferType(PacBufferType.CLIENT_CLAIMS_INFO)).toBe(false);
    const pac = { buffers: [{ type: 99, data: unhex('ff') }] };
    expect(updatePacBuffer(pac, PacBufferType.CLIENT_INFO, (v) => ({ ...v, name: 'mallory' }))).toBe(pac);
    const updated = updatePacBuffer(alicePac(), PacBufferType.CLIENT_INFO, (v) => ({
      ...v,
      name: 'mallory',
    }));
    expect(getPacBuffer(updated, PacBufferType.CLIENT_INFO)?.name).toBe('mallory');
    expect(updated.buffers.map((b) => b.type)).toEqual(alicePac().buffers.map((b) => b.type));
  });
});

describe('the decoders refuse what is not a Uint8Array', () => {
  it.each([
    ['decodePac', (x: never) => decodePac(x), 'PACTYPE'],
    ['parsePac', (x: never) => parsePac(x), 'PACTYPE'],
    ['decodeKerbValidationInfo', (x: never) => decodeKerbValidationInfo(x), 'KERB_VALIDATION_INFO'],
    ['decodePacClientInfo', (x: never) => decodePacClientInfo(x), 'PAC_CLIENT_INFO'],
    ['decodeS4uDelegationInfo', (x: never) => decodeS4uDelegationInfo(x), 'S4U_DELEGATION_INFO'],
    ['decodeUpnDnsInfo', (x: never) => decodeUpnDnsInfo(x), 'UPN_DNS_INFO'],
    ['decodePacSignatureData', (x: never) => decodePacSignatureData(x), 'PAC_SIGNATURE_DATA'],
    ['decodePacAttributesInfo', (x: never) => decodePacAttributesInfo(x), 'PAC_ATTRIBUTES_INFO'],
    ['decodePacRequestor', (x: never) => decodePacRequestor(x), 'PAC_REQUESTOR'],
    ['decodeSid', (x: never) => decodeSid(x), 'SID'],
  ])('%s', (_name, decode, path) => {
    for (const x of ['0102', [1, 2], new ArrayBuffer(8), null]) {
      pacError(() => decode(x as never), {
        code: ErrorCode.KRB_ERR_GENERIC,
        path,
        message: /expected a Uint8Array/,
      });
    }
  });
});
