/**
 * SIDs (MS-DTYP 2.4.2): the string form, the packed binary form, the
 * well-known SID registry, and FILETIME conversions.
 */

import { ErrorCode } from '@krbsim/core';
import {
  decodeSid,
  encodeSid,
  FILETIME_NEVER,
  fileTimeFromMillis,
  fileTimeToMillis,
  formatSid,
  parseSid,
  sidEquals,
  sidWithRid,
  splitSid,
  WellKnownRid,
  WellKnownSid,
} from '@krbsim/pac';
import { describe, expect, it } from 'vitest';
import { hex, pacError, unhex } from './helpers';

describe('SID string form', () => {
  it.each([
    ['S-1-5-18', { identifierAuthority: 5, subAuthority: [18] }],
    ['S-1-1-0', { identifierAuthority: 1, subAuthority: [0] }],
    ['S-1-5', { identifierAuthority: 5, subAuthority: [] }],
    ['S-1-5-21-1-2-3-500', { identifierAuthority: 5, subAuthority: [21, 1, 2, 3, 500] }],
    ['S-1-5-21-4294967295-0-1-1000', { identifierAuthority: 5, subAuthority: [21, 0xffffffff, 0, 1, 1000] }],
    ['S-1-4294967295', { identifierAuthority: 0xffffffff, subAuthority: [] }],
    ['S-1-0x000100000000-7', { identifierAuthority: 2 ** 32, subAuthority: [7] }],
    ['S-1-0xFFFFFFFFFFFF', { identifierAuthority: 2 ** 48 - 1, subAuthority: [] }],
  ])('%s', (text, sid) => {
    expect(parseSid(text)).toEqual(sid);
    expect(formatSid(sid)).toBe(text);
  });

  it('reads the forms people type and writes the canonical one', () => {
    expect(formatSid(parseSid('s-1-5-32-544'))).toBe('S-1-5-32-544');
    expect(formatSid(parseSid('S-1-0x000000000005-18'))).toBe('S-1-5-18');
    expect(formatSid(parseSid('S-1-005-018'))).toBe('S-1-5-18');
  });

  it.each([
    '',
    'S-2-5-18',
    'S-1',
    'S-1-',
    'S-1-5-',
    'S-1-5--1',
    'S-1-5-x',
    'S-1-5-4294967296',
    'S-1-281474976710656',
    'S-1-0x1234',
    ' S-1-5-18',
    'S-1-5-18 ',
    `S-1-5${'-1'.repeat(16)}`,
  ])('refuses %j', (text) => {
    pacError(() => parseSid(text), { code: ErrorCode.KRB_ERR_GENERIC });
  });

  it('takes up to 15 sub-authorities', () => {
    const s = `S-1-5${'-7'.repeat(15)}`;
    expect(formatSid(parseSid(s))).toBe(s);
  });

  it('every well-known SID parses and formats back', () => {
    for (const s of Object.values(WellKnownSid)) expect(formatSid(parseSid(s))).toBe(s);
  });

  it('builds, splits and compares account SIDs', () => {
    const domain = parseSid('S-1-5-21-1-2-3');
    const admins = sidWithRid(domain, WellKnownRid.DOMAIN_ADMINS);
    expect(formatSid(admins)).toBe('S-1-5-21-1-2-3-512');
    expect(splitSid(admins)).toEqual({ domain, rid: 512 });
    expect(splitSid(parseSid('S-1-5'))).toBeUndefined();
    expect(sidEquals(admins, parseSid('S-1-5-21-1-2-3-512'))).toBe(true);
    expect(sidEquals(admins, parseSid('S-1-5-21-1-2-3-513'))).toBe(false);
    expect(sidEquals(admins, domain)).toBe(false);
    expect(sidEquals(parseSid('S-1-5-18'), parseSid('S-1-1-18'))).toBe(false);
    pacError(() => sidWithRid(parseSid(`S-1-5${'-1'.repeat(15)}`), 500), { message: /at most 15/ });
  });

  it('refuses values out of range when formatting', () => {
    pacError(() => formatSid({ identifierAuthority: -1, subAuthority: [] }));
    pacError(() => formatSid({ identifierAuthority: 2 ** 48, subAuthority: [] }));
    pacError(() => formatSid({ identifierAuthority: 5, subAuthority: [2 ** 32] }));
    pacError(() => formatSid({ identifierAuthority: 5, subAuthority: [1.5] }));
  });

  it('refuses what is not a SID: a non-string to parse, a non-object or a bad shape to format', () => {
    pacError(() => parseSid(5 as never), { message: /a SID string must be a string/ });
    pacError(() => parseSid(undefined as never), { message: /a SID string must be a string/ });
    pacError(() => formatSid(null as never), { message: /expected a Sid object/ });
    pacError(() => formatSid('S-1-5-18' as never), { message: /expected a Sid object/ });
    pacError(() => formatSid({ identifierAuthority: 5, subAuthority: '18' } as never), {
      message: /SubAuthority must be an array/,
    });
    pacError(() => encodeSid({ identifierAuthority: '5', subAuthority: [] } as never), {
      message: /IdentifierAuthority must be an integer in 0\.\.2\^48-1, got 5/,
    });
  });
});

describe('SID packed form (MS-DTYP 2.4.2.2)', () => {
  it('S-1-5-21-...-500 as Windows writes it in UPN_DNS_INFO', () => {
    const sid = parseSid('S-1-5-21-133451344-1126667713-3548050118-500');
    const b = encodeSid(sid);
    expect(hex(b)).toBe('010500000000000515000000504ef407c1952743c6f27ad3f4010000');
    expect(decodeSid(b)).toEqual(sid);
  });

  it('a 48-bit authority is big-endian', () => {
    const sid = parseSid('S-1-0x0102030405A6-1');
    expect(hex(encodeSid(sid))).toBe('01010102030405a601000000');
    expect(decodeSid(encodeSid(sid))).toEqual(sid);
  });

  it.each([
    ['', 'SID', /at least 8/],
    ['0201000000000005', 'SID.Revision', /Revision must be 1/],
    ['0110000000000005', 'SID.SubAuthorityCount', /at most 15/],
    ['010100000000000512000000ff', 'SID', /takes 12 bytes, got 13/],
    ['0102000000000005120000', 'SID', /takes 16 bytes, got 11/],
  ])('refuses %s', (h, path, message) => {
    pacError(() => decodeSid(unhex(h)), { path, message });
  });
});

describe('FILETIME', () => {
  it('converts to and from milliseconds since 1970', () => {
    expect(fileTimeFromMillis(0)).toBe(116444736000000000n);
    expect(fileTimeToMillis(116444736000000000n)).toBe(0);
    const t = Date.UTC(2022, 10, 23, 15, 21, 59);
    expect(fileTimeToMillis(fileTimeFromMillis(t))).toBe(t);
    expect(fileTimeToMillis(0n)).toBe(-11644473600000);
    expect(fileTimeToMillis(FILETIME_NEVER)).toBeGreaterThan(Date.UTC(30000, 0, 1));
    expect(fileTimeToMillis(fileTimeFromMillis(-1))).toBe(-1);
    pacError(() => fileTimeFromMillis(-11644473600001));
    pacError(() => fileTimeFromMillis(0.5));
  });
});
