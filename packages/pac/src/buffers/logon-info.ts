/**
 * KERB_VALIDATION_INFO: MS-PAC 2.5, the logon information buffer (PAC
 * buffer type 1): who the user is (UserId in LogonDomainId), the groups
 * they belong to, and the account's logon data. It is a pointer to the
 * structure, NDR-encoded with type serialization version 1 (MS-RPCE 2.2.6).
 *
 * ```
 * typedef struct _KERB_VALIDATION_INFO {
 *   FILETIME LogonTime; FILETIME LogoffTime; FILETIME KickOffTime;
 *   FILETIME PasswordLastSet; FILETIME PasswordCanChange; FILETIME PasswordMustChange;
 *   RPC_UNICODE_STRING EffectiveName; RPC_UNICODE_STRING FullName;
 *   RPC_UNICODE_STRING LogonScript; RPC_UNICODE_STRING ProfilePath;
 *   RPC_UNICODE_STRING HomeDirectory; RPC_UNICODE_STRING HomeDirectoryDrive;
 *   USHORT LogonCount; USHORT BadPasswordCount;
 *   ULONG UserId; ULONG PrimaryGroupId;
 *   ULONG GroupCount; [size_is(GroupCount)] PGROUP_MEMBERSHIP GroupIds;
 *   ULONG UserFlags; USER_SESSION_KEY UserSessionKey;
 *   RPC_UNICODE_STRING LogonServer; RPC_UNICODE_STRING LogonDomainName;
 *   PISID LogonDomainId; ULONG Reserved1[2];
 *   ULONG UserAccountControl; ULONG SubAuthStatus;
 *   FILETIME LastSuccessfulILogon; FILETIME LastFailedILogon;
 *   ULONG FailedILogonCount; ULONG Reserved3;
 *   ULONG SidCount; [size_is(SidCount)] PKERB_SID_AND_ATTRIBUTES ExtraSids;
 *   PISID ResourceGroupDomainSid;
 *   ULONG ResourceGroupCount; [size_is(ResourceGroupCount)] PGROUP_MEMBERSHIP ResourceGroupIds;
 * } KERB_VALIDATION_INFO;
 * ```
 *
 * NDR lays the structure out flat (every pointer as a 4-byte referent ID),
 * then the referents in field order: the six strings' characters,
 * GroupIds, LogonServer, LogonDomainName, LogonDomainId, ExtraSids (the
 * array, then each element's SID), ResourceGroupDomainSid,
 * ResourceGroupIds. The counts live in the structure and again as each
 * array's MaxCount; they must agree. An array pointer is NULL exactly when
 * its count is 0 (what Windows and Samba write; krbsim accepts nothing
 * else).
 *
 * @module
 */

import { PacError, withPath } from '../errors';
import { FILETIME_NEVER } from '../filetime';
import { SE_GROUP_DEFAULT, UserAccountControl, UserFlags } from '../iana/flags';
import { type NdrReader, u32At } from '../ndr/reader';
import {
  readRpcSid,
  readStringBody,
  readStringHeader,
  type StringSlot,
  stringPointers,
  writeRpcSid,
  writeStringBody,
  writeStringHeader,
} from '../ndr/rpc';
import {
  type FormCollector,
  type NdrForm,
  type ReferentReader,
  ReferentWriter,
  readTypeSerialization,
  writeTypeSerialization,
} from '../ndr/serialization';
import { checkUInt, checkUInt64, isUInt32, NdrWriter, uintError } from '../ndr/writer';
import { checkSid, isSid, type Sid, sidWithRid } from '../sid';

/** GROUP_MEMBERSHIP (MS-PAC 2.2.2): a group of the logon domain, by RID, and its SE_GROUP_* attributes. */
export interface GroupMembership {
  readonly relativeId: number;
  readonly attributes: number;
}

/** KERB_SID_AND_ATTRIBUTES (MS-PAC 2.2.1): a SID from outside the logon domain and its attributes. */
export interface KerbSidAndAttributes {
  readonly sid: Sid;
  readonly attributes: number;
}

/**
 * KERB_VALIDATION_INFO (MS-PAC 2.5), field for field in camelCase.
 * FILETIMEs are `bigint`s (see `fileTimeFromMillis`); RPC_UNICODE_STRINGs
 * are strings; GroupCount, SidCount and ResourceGroupCount are the lengths
 * of their arrays.
 */
export interface KerbValidationInfo {
  readonly logonTime: bigint;
  readonly logoffTime: bigint;
  readonly kickOffTime: bigint;
  readonly passwordLastSet: bigint;
  readonly passwordCanChange: bigint;
  readonly passwordMustChange: bigint;
  /** The account name (sAMAccountName). */
  readonly effectiveName: string;
  readonly fullName: string;
  readonly logonScript: string;
  readonly profilePath: string;
  readonly homeDirectory: string;
  readonly homeDirectoryDrive: string;
  readonly logonCount: number;
  readonly badPasswordCount: number;
  /** The user's RID in LogonDomainId. */
  readonly userId: number;
  /** The primary group's RID (513, Domain Users, for most users). */
  readonly primaryGroupId: number;
  /** The user's groups in the logon domain (GroupIds, GroupCount). */
  readonly groupIds: readonly GroupMembership[];
  /** `UserFlags` bits. */
  readonly userFlags: number;
  /** USER_SESSION_KEY: 16 bytes, zero in Kerberos PACs. */
  readonly userSessionKey: Uint8Array;
  /** The NetBIOS name of the DC that issued the PAC. */
  readonly logonServer: string;
  /** The NetBIOS name of the logon domain. */
  readonly logonDomainName: string;
  /** The logon domain's SID (NULL pointer: absent). */
  readonly logonDomainId?: Sid;
  /** Reserved1[2]. */
  readonly reserved1: readonly [number, number];
  /** `UserAccountControl` bits (USER_*). */
  readonly userAccountControl: number;
  readonly subAuthStatus: number;
  readonly lastSuccessfulILogon: bigint;
  readonly lastFailedILogon: bigint;
  readonly failedILogonCount: number;
  readonly reserved3: number;
  /** SIDs from other domains and well-known SIDs (ExtraSids, SidCount). */
  readonly extraSids: readonly KerbSidAndAttributes[];
  /** The resource domain of ResourceGroupIds (NULL pointer: absent). */
  readonly resourceGroupDomainSid?: Sid;
  /** Domain-local groups of the resource domain (ResourceGroupIds, ResourceGroupCount). */
  readonly resourceGroupIds: readonly GroupMembership[];
  /** How the decoded bytes differ from krbsim's encoding; see {@link NdrForm}. */
  readonly ndrForm?: NdrForm;
}

// --- decoding -------------------------------------------------------------

/** `T` with its readonly fields writable, for building a decoded value field by field. */
type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * A decoded GROUP_MEMBERSHIP. Made by a constructor, not an object literal:
 * V8 decides per object literal whether to allocate its objects straight in
 * the old generation, from how many of them survived a scavenge, so one
 * decoded PAC kept alive (in a cache, in a test fixture) could move every
 * later decode's groups there, where a decode of 1,000 groups measured 150 to
 * 250 µs instead of 13. Objects made by a constructor are not tracked so.
 */
class Group implements GroupMembership {
  constructor(
    readonly relativeId: number,
    readonly attributes: number,
  ) {}
}

function readGroupArray(
  r: NdrReader,
  count: number,
  ptr: number,
  refs: ReferentReader,
  field: string,
): GroupMembership[] {
  if (ptr === 0) return [];
  let i = -1;
  let at = '.MaxCount';
  try {
    refs.take(ptr);
    const maxCount = r.u32();
    if (maxCount !== count) throw r.error(`MaxCount ${maxCount} does not match the count ${count}`);
    at = '';
    if (8 * count <= r.remaining) {
      // Every element is there (checked before allocating for `count` of them): read them straight.
      const out = new Array<GroupMembership>(count);
      const b = r.b;
      for (let k = 0, p = r.pos; k < count; k++, p += 8) {
        out[k] = new Group(u32At(b, p), u32At(b, p + 4));
      }
      r.pos += 8 * count;
      return out;
    }
    // Short input: one element per 8 bytes actually present, up to the error.
    const out: GroupMembership[] = [];
    for (i = 0; i < count; i++) {
      at = '.RelativeId';
      const relativeId = r.u32le();
      at = '.Attributes';
      const attributes = r.u32le();
      out.push({ relativeId, attributes });
    }
    return out;
  } catch (e) {
    throw withPath(e, i >= 0 ? `.${field}[${i}]${at}` : `.${field}${at}`);
  }
}

function checkArrayPointer(r: NdrReader, count: number, ptr: number, countField: string): void {
  // The caller's path names `field`; the offset is the pointer's.
  if (count === 0 && ptr !== 0) {
    throw new PacError(`a non-NULL pointer with ${countField} 0 (an empty array is a NULL pointer)`, {
      offset: r.pos - 4,
    });
  }
  if (count !== 0 && ptr === 0) {
    throw new PacError(`a NULL pointer with ${countField} ${count}`, { offset: r.pos - 4 });
  }
}

function readBody(r: NdrReader, refs: ReferentReader, form: FormCollector): KerbValidationInfo {
  let at = '';
  try {
    const top = r.u32();
    if (top === 0) throw r.error('the pointer to KERB_VALIDATION_INFO is NULL');
    refs.take(top);
    at = '.LogonTime';
    const logonTime = r.u64Pair();
    at = '.LogoffTime';
    const logoffTime = r.u64Pair();
    at = '.KickOffTime';
    const kickOffTime = r.u64Pair();
    at = '.PasswordLastSet';
    const passwordLastSet = r.u64Pair();
    at = '.PasswordCanChange';
    const passwordCanChange = r.u64Pair();
    at = '.PasswordMustChange';
    const passwordMustChange = r.u64Pair();
    at = '';
    const sEffectiveName = readStringHeader(r, 'EffectiveName');
    const sFullName = readStringHeader(r, 'FullName');
    const sLogonScript = readStringHeader(r, 'LogonScript');
    const sProfilePath = readStringHeader(r, 'ProfilePath');
    const sHomeDirectory = readStringHeader(r, 'HomeDirectory');
    const sHomeDirectoryDrive = readStringHeader(r, 'HomeDirectoryDrive');
    at = '.LogonCount';
    const logonCount = r.u16();
    at = '.BadPasswordCount';
    const badPasswordCount = r.u16();
    at = '.UserId';
    const userId = r.u32();
    at = '.PrimaryGroupId';
    const primaryGroupId = r.u32();
    at = '.GroupCount';
    const groupCount = r.u32();
    at = '.GroupIds';
    const groupIdsPtr = r.u32();
    checkArrayPointer(r, groupCount, groupIdsPtr, 'GroupCount');
    at = '.UserFlags';
    const userFlags = r.u32();
    at = '.UserSessionKey';
    const userSessionKey = r.bytes(16);
    at = '';
    const sLogonServer = readStringHeader(r, 'LogonServer');
    const sLogonDomainName = readStringHeader(r, 'LogonDomainName');
    at = '.LogonDomainId';
    const logonDomainIdPtr = r.u32();
    at = '.Reserved1';
    const reserved1: [number, number] = [r.u32(), r.u32()];
    at = '.UserAccountControl';
    const userAccountControl = r.u32();
    at = '.SubAuthStatus';
    const subAuthStatus = r.u32();
    at = '.LastSuccessfulILogon';
    const lastSuccessfulILogon = r.u64Pair();
    at = '.LastFailedILogon';
    const lastFailedILogon = r.u64Pair();
    at = '.FailedILogonCount';
    const failedILogonCount = r.u32();
    at = '.Reserved3';
    const reserved3 = r.u32();
    at = '.SidCount';
    const sidCount = r.u32();
    at = '.ExtraSids';
    const extraSidsPtr = r.u32();
    checkArrayPointer(r, sidCount, extraSidsPtr, 'SidCount');
    at = '.ResourceGroupDomainSid';
    const rgDomainPtr = r.u32();
    at = '.ResourceGroupCount';
    const rgCount = r.u32();
    at = '.ResourceGroupIds';
    const rgIdsPtr = r.u32();
    checkArrayPointer(r, rgCount, rgIdsPtr, 'ResourceGroupCount');
    at = '';

    // The referents, in field order (C706 14.3.12.3).
    const effectiveName = readStringBody(r, sEffectiveName, refs, form, 0);
    const fullName = readStringBody(r, sFullName, refs, form, 0);
    const logonScript = readStringBody(r, sLogonScript, refs, form, 0);
    const profilePath = readStringBody(r, sProfilePath, refs, form, 0);
    const homeDirectory = readStringBody(r, sHomeDirectory, refs, form, 0);
    const homeDirectoryDrive = readStringBody(r, sHomeDirectoryDrive, refs, form, 0);
    const groupIds = readGroupArray(r, groupCount, groupIdsPtr, refs, 'GroupIds');
    const logonServer = readStringBody(r, sLogonServer, refs, form, 2);
    const logonDomainName = readStringBody(r, sLogonDomainName, refs, form, 2);
    let logonDomainId: Sid | undefined;
    if (logonDomainIdPtr !== 0) {
      at = '.LogonDomainId';
      refs.take(logonDomainIdPtr);
      logonDomainId = readRpcSid(r);
      at = '';
    }
    const extraSids = readExtraSids(r, sidCount, extraSidsPtr, refs);
    let resourceGroupDomainSid: Sid | undefined;
    if (rgDomainPtr !== 0) {
      at = '.ResourceGroupDomainSid';
      refs.take(rgDomainPtr);
      resourceGroupDomainSid = readRpcSid(r);
      at = '';
    }
    const resourceGroupIds = readGroupArray(r, rgCount, rgIdsPtr, refs, 'ResourceGroupIds');
    // A literal with every field, then the optional ones: a literal with spreads is built by a slow path.
    const info: Mutable<KerbValidationInfo> = {
      logonTime,
      logoffTime,
      kickOffTime,
      passwordLastSet,
      passwordCanChange,
      passwordMustChange,
      effectiveName,
      fullName,
      logonScript,
      profilePath,
      homeDirectory,
      homeDirectoryDrive,
      logonCount,
      badPasswordCount,
      userId,
      primaryGroupId,
      groupIds,
      userFlags,
      userSessionKey,
      logonServer,
      logonDomainName,
      reserved1,
      userAccountControl,
      subAuthStatus,
      lastSuccessfulILogon,
      lastFailedILogon,
      failedILogonCount,
      reserved3,
      extraSids,
      resourceGroupIds,
    };
    if (logonDomainId !== undefined) info.logonDomainId = logonDomainId;
    if (resourceGroupDomainSid !== undefined) info.resourceGroupDomainSid = resourceGroupDomainSid;
    return info;
  } catch (e) {
    throw withPath(e, at);
  }
}

function readExtraSids(
  r: NdrReader,
  count: number,
  ptr: number,
  refs: ReferentReader,
): KerbSidAndAttributes[] {
  if (ptr === 0) return [];
  let at = '.ExtraSids.MaxCount';
  try {
    refs.take(ptr);
    const maxCount = r.u32();
    if (maxCount !== count) throw r.error(`MaxCount ${maxCount} does not match SidCount ${count}`);
    const ptrs: number[] = [];
    const attrs: number[] = [];
    for (let i = 0; i < count; i++) {
      at = `.ExtraSids[${i}].Sid`;
      const p = r.u32le();
      if (p === 0) throw r.error('a NULL SID pointer');
      ptrs.push(p);
      at = `.ExtraSids[${i}].Attributes`;
      attrs.push(r.u32le());
    }
    const out: KerbSidAndAttributes[] = [];
    for (let i = 0; i < count; i++) {
      at = `.ExtraSids[${i}].Sid`;
      refs.take(ptrs[i]!);
      out.push({ sid: readRpcSid(r), attributes: attrs[i]! });
    }
    return out;
  } catch (e) {
    throw withPath(e, at);
  }
}

/**
 * Reads a KERB_VALIDATION_INFO buffer filling `b[start..end)`; errors carry
 * paths below `KERB_VALIDATION_INFO` and absolute offsets.
 */
export function readKerbValidationInfo(b: Uint8Array, start: number, end: number): KerbValidationInfo {
  return readTypeSerialization(b, start, end, 'KERB_VALIDATION_INFO', readBody);
}

/**
 * Decodes a logon information buffer (PAC buffer type 1): type
 * serialization headers, then a pointer to KERB_VALIDATION_INFO.
 *
 * @throws PacError with a path such as `KERB_VALIDATION_INFO.GroupIds[3].Attributes`.
 */
export function decodeKerbValidationInfo(bytes: Uint8Array): KerbValidationInfo {
  if (!(bytes instanceof Uint8Array))
    throw new PacError('expected a Uint8Array', { path: 'KERB_VALIDATION_INFO' });
  return readKerbValidationInfo(bytes, 0, bytes.length);
}

// --- encoding -------------------------------------------------------------

const STRING_FIELDS = [
  ['effectiveName', 'EffectiveName'],
  ['fullName', 'FullName'],
  ['logonScript', 'LogonScript'],
  ['profilePath', 'ProfilePath'],
  ['homeDirectory', 'HomeDirectory'],
  ['homeDirectoryDrive', 'HomeDirectoryDrive'],
] as const;

function checkGroups(groups: unknown, field: string): readonly GroupMembership[] {
  if (!Array.isArray(groups)) throw new PacError('expected an array', { path: field });
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i] as GroupMembership;
    // The path is built only for the error: one string per group would cost more than writing it.
    if (!isUInt32(g?.relativeId)) throw uintError(g?.relativeId, 32, `${field}[${i}].RelativeId`);
    if (!isUInt32(g.attributes)) throw uintError(g.attributes, 32, `${field}[${i}].Attributes`);
  }
  return groups;
}

function checkSidAt(sid: Sid, path: string): void {
  try {
    checkSid(sid);
  } catch (e) {
    throw withPath(e, path);
  }
}

function writeBody(w: NdrWriter, v: KerbValidationInfo): void {
  const form = v.ndrForm;
  const groups = checkGroups(v.groupIds, 'GroupIds');
  const rgIds = checkGroups(v.resourceGroupIds, 'ResourceGroupIds');
  const extra = v.extraSids;
  if (!Array.isArray(extra)) throw new PacError('expected an array', { path: 'ExtraSids' });
  for (let i = 0; i < extra.length; i++) {
    const x = extra[i]!;
    if (!isSid(x?.sid)) checkSidAt(x?.sid, `ExtraSids[${i}].Sid`);
    if (!isUInt32(x.attributes)) throw uintError(x.attributes, 32, `ExtraSids[${i}].Attributes`);
  }
  if (v.logonDomainId !== undefined) checkSidAt(v.logonDomainId, 'LogonDomainId');
  if (v.resourceGroupDomainSid !== undefined) checkSidAt(v.resourceGroupDomainSid, 'ResourceGroupDomainSid');
  if (!(v.userSessionKey instanceof Uint8Array) || v.userSessionKey.length !== 16) {
    throw new PacError('expected 16 bytes', { path: 'UserSessionKey' });
  }
  if (!Array.isArray(v.reserved1) || v.reserved1.length !== 2) {
    throw new PacError('expected two numbers', { path: 'Reserved1' });
  }

  let pointers = 1;
  for (const [k, name] of STRING_FIELDS) pointers += stringPointers(v[k], name, form);
  pointers += stringPointers(v.logonServer, 'LogonServer', form);
  pointers += stringPointers(v.logonDomainName, 'LogonDomainName', form);
  if (groups.length > 0) pointers++;
  if (v.logonDomainId !== undefined) pointers++;
  if (extra.length > 0) pointers += 1 + extra.length;
  if (v.resourceGroupDomainSid !== undefined) pointers++;
  if (rgIds.length > 0) pointers++;
  const refs = new ReferentWriter(form?.referentIds, pointers);

  w.u32(refs.next());
  w.u64Pair(checkUInt64(v.logonTime, 'LogonTime'));
  w.u64Pair(checkUInt64(v.logoffTime, 'LogoffTime'));
  w.u64Pair(checkUInt64(v.kickOffTime, 'KickOffTime'));
  w.u64Pair(checkUInt64(v.passwordLastSet, 'PasswordLastSet'));
  w.u64Pair(checkUInt64(v.passwordCanChange, 'PasswordCanChange'));
  w.u64Pair(checkUInt64(v.passwordMustChange, 'PasswordMustChange'));
  const slots: StringSlot[] = [];
  for (const [k, name] of STRING_FIELDS) slots.push(writeStringHeader(w, v[k], name, 0, form));
  w.u16(checkUInt(v.logonCount, 16, 'LogonCount'));
  w.u16(checkUInt(v.badPasswordCount, 16, 'BadPasswordCount'));
  w.u32(checkUInt(v.userId, 32, 'UserId'));
  w.u32(checkUInt(v.primaryGroupId, 32, 'PrimaryGroupId'));
  w.u32(groups.length);
  const groupsAt = w.pos;
  w.u32(0);
  w.u32(checkUInt(v.userFlags, 32, 'UserFlags'));
  w.bytes(v.userSessionKey);
  const serverSlot = writeStringHeader(w, v.logonServer, 'LogonServer', 2, form);
  const domainSlot = writeStringHeader(w, v.logonDomainName, 'LogonDomainName', 2, form);
  const domainIdAt = w.pos;
  w.u32(0);
  w.u32(checkUInt(v.reserved1[0], 32, 'Reserved1[0]'));
  w.u32(checkUInt(v.reserved1[1], 32, 'Reserved1[1]'));
  w.u32(checkUInt(v.userAccountControl, 32, 'UserAccountControl'));
  w.u32(checkUInt(v.subAuthStatus, 32, 'SubAuthStatus'));
  w.u64Pair(checkUInt64(v.lastSuccessfulILogon, 'LastSuccessfulILogon'));
  w.u64Pair(checkUInt64(v.lastFailedILogon, 'LastFailedILogon'));
  w.u32(checkUInt(v.failedILogonCount, 32, 'FailedILogonCount'));
  w.u32(checkUInt(v.reserved3, 32, 'Reserved3'));
  w.u32(extra.length);
  const extraAt = w.pos;
  w.u32(0);
  const rgDomainAt = w.pos;
  w.u32(0);
  w.u32(rgIds.length);
  const rgIdsAt = w.pos;
  w.u32(0);

  for (const slot of slots) writeStringBody(w, slot, refs);
  writeGroups(w, groups, groupsAt, refs);
  writeStringBody(w, serverSlot, refs);
  writeStringBody(w, domainSlot, refs);
  if (v.logonDomainId !== undefined) {
    w.put32(domainIdAt, refs.next());
    writeRpcSid(w, v.logonDomainId);
  }
  if (extra.length > 0) {
    w.put32(extraAt, refs.next());
    w.u32(extra.length);
    // KERB_SID_AND_ATTRIBUTES[]: 8 bytes each, the SID pointers patched as their referents follow.
    const arrayAt = w.pos;
    for (const x of extra) {
      w.u32le(0);
      w.u32le(x.attributes);
    }
    for (let i = 0; i < extra.length; i++) {
      w.put32(arrayAt + 8 * i, refs.next());
      writeRpcSid(w, extra[i]!.sid);
    }
  }
  if (v.resourceGroupDomainSid !== undefined) {
    w.put32(rgDomainAt, refs.next());
    writeRpcSid(w, v.resourceGroupDomainSid);
  }
  writeGroups(w, rgIds, rgIdsAt, refs);
}

function writeGroups(
  w: NdrWriter,
  groups: readonly GroupMembership[],
  ptrAt: number,
  refs: ReferentWriter,
): void {
  if (groups.length === 0) return;
  w.put32(ptrAt, refs.next());
  w.u32(groups.length);
  w.ensure(8 * groups.length);
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i]!;
    w.u32le(g.relativeId);
    w.u32le(g.attributes);
  }
}

/** Writes a logon information buffer into `w`. */
export function writeKerbValidationInfo(w: NdrWriter, v: KerbValidationInfo): void {
  try {
    if (v === null || typeof v !== 'object') throw new PacError('expected a KerbValidationInfo object');
    writeTypeSerialization(w, v.ndrForm, (w) => writeBody(w, v));
  } catch (e) {
    throw withPath(e, 'KERB_VALIDATION_INFO');
  }
}

/**
 * Encodes a logon information buffer (PAC buffer type 1): type
 * serialization headers, then a pointer to KERB_VALIDATION_INFO, in the
 * layout Windows writes.
 *
 * @throws PacError naming the field of a value out of range.
 */
export function encodeKerbValidationInfo(v: KerbValidationInfo): Uint8Array {
  const w = new NdrWriter(512);
  writeKerbValidationInfo(w, v);
  return w.finish();
}

// --- building and reading -------------------------------------------------

/** The fields {@link createKerbValidationInfo} needs; everything else has a default. */
export type KerbValidationInfoInit = Partial<KerbValidationInfo> &
  Pick<KerbValidationInfo, 'effectiveName' | 'userId'>;

/**
 * A KERB_VALIDATION_INFO with defaults for what `init` leaves out, as a
 * Windows DC fills them for an ordinary user: LogoffTime, KickOffTime and
 * PasswordMustChange "never", other times "not set", empty strings, primary
 * group 513 (Domain Users), no groups, a zero session key, UserAccountControl
 * USER_NORMAL_ACCOUNT, and UserFlags with LOGON_EXTRA_SIDS and
 * LOGON_RESOURCE_GROUPS set when those arrays are not empty.
 */
export function createKerbValidationInfo(init: KerbValidationInfoInit): KerbValidationInfo {
  const extraSids = init.extraSids ?? [];
  const resourceGroupIds = init.resourceGroupIds ?? [];
  const userFlags =
    init.userFlags ??
    (extraSids.length > 0 ? UserFlags.LOGON_EXTRA_SIDS : 0) |
      (resourceGroupIds.length > 0 ? UserFlags.LOGON_RESOURCE_GROUPS : 0);
  return {
    logonTime: 0n,
    logoffTime: FILETIME_NEVER,
    kickOffTime: FILETIME_NEVER,
    passwordLastSet: 0n,
    passwordCanChange: 0n,
    passwordMustChange: FILETIME_NEVER,
    fullName: '',
    logonScript: '',
    profilePath: '',
    homeDirectory: '',
    homeDirectoryDrive: '',
    logonCount: 0,
    badPasswordCount: 0,
    primaryGroupId: 513,
    groupIds: [],
    userSessionKey: new Uint8Array(16),
    logonServer: '',
    logonDomainName: '',
    reserved1: [0, 0],
    userAccountControl: UserAccountControl.USER_NORMAL_ACCOUNT,
    subAuthStatus: 0,
    lastSuccessfulILogon: 0n,
    lastFailedILogon: 0n,
    failedILogonCount: 0,
    reserved3: 0,
    ...init,
    extraSids,
    resourceGroupIds,
    userFlags,
  };
}

/** A SID the logon information grants, with its attributes. */
export interface SidAndAttributes {
  readonly sid: Sid;
  readonly attributes: number;
}

/**
 * Every SID a KERB_VALIDATION_INFO gives the user, in the order a Windows
 * token lists them: the user (LogonDomainId + UserId, attributes 0), the
 * primary group (LogonDomainId + PrimaryGroupId) when GroupIds does not
 * list it (a token always holds it; Samba adds it the same way), each
 * GroupIds entry (LogonDomainId + RID), each ExtraSids entry, and each
 * ResourceGroupIds entry (ResourceGroupDomainSid + RID) when UserFlags has
 * LOGON_RESOURCE_GROUPS (MS-PAC 2.5: the field is populated only then).
 * Without LogonDomainId there is no user SID and no group SIDs; without
 * ResourceGroupDomainSid, no resource group SIDs.
 */
export function validationInfoSids(info: KerbValidationInfo): SidAndAttributes[] {
  const out: SidAndAttributes[] = [];
  const domain = info.logonDomainId;
  if (domain !== undefined) {
    out.push({ sid: sidWithRid(domain, info.userId), attributes: 0 });
    if (!info.groupIds.some((g) => g.relativeId === info.primaryGroupId)) {
      out.push({ sid: sidWithRid(domain, info.primaryGroupId), attributes: SE_GROUP_DEFAULT });
    }
    for (const g of info.groupIds)
      out.push({ sid: sidWithRid(domain, g.relativeId), attributes: g.attributes });
  }
  for (const x of info.extraSids) out.push({ sid: x.sid, attributes: x.attributes });
  const rg = info.resourceGroupDomainSid;
  if (rg !== undefined && (info.userFlags & UserFlags.LOGON_RESOURCE_GROUPS) !== 0) {
    for (const g of info.resourceGroupIds)
      out.push({ sid: sidWithRid(rg, g.relativeId), attributes: g.attributes });
  }
  return out;
}
