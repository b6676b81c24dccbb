/**
 * Identities: on-prem AD users and their synced Azure AD counterparts, and
 * the SIDs their tickets carry.
 *
 * Fact: Azure AD Connect syncs on-prem identities to the tenant (a
 * prerequisite of both flows), with the user's on-prem SID
 * (`onPremisesSecurityIdentifier`) and, for synced groups, the groups' SIDs.
 * Fact: an Azure AD object's SID is `S-1-12-1-` and its object id read as
 * four 32-bit little-endian numbers ({@link cloudSid}).
 * Inferred: the tenant's KDC builds the PAC of a synced user from these
 * records: the on-prem SID and the SIDs of the user's synced groups; a
 * cloud-only user gets its cloud SID and no groups (see `docs/azure.md`).
 *
 * @module
 */

import { withSecretFields } from '@krbsim/core';

/** An on-prem Active Directory user. */
export interface OnPremUser {
  /** `sAMAccountName`, e.g. `alice`: the Kerberos principal name in the on-prem realm. */
  readonly samAccountName: string;
  /** The user principal name, e.g. `alice@contoso.com`. */
  readonly upn: string;
  /** The on-prem realm, e.g. `CONTOSO.COM`. */
  readonly realm: string;
  /** The NetBIOS domain name, e.g. `CONTOSO`. */
  readonly netbiosDomain: string;
  /**
   * The password (kept so the emulated Windows logon can use it). Never printed: the lab's users
   * show `'<redacted>'` in its place under `util.inspect` and `JSON.stringify`, and a spread copy
   * (`{ ...user }`) leaves it out.
   */
  readonly password: string;
  /** The user's SID (`objectSid`): the domain SID and the account's RID. */
  readonly sid: string;
}

/**
 * @internal An on-prem user record whose password is there to read (`user.password`) but not to
 * print: it is not enumerable, and `util.inspect` and `JSON.stringify` show `'<redacted>'` in its
 * place, so logging a user, a client or a quick start never shows it (`withSecretFields`).
 */
export function onPremUserRecord(fields: OnPremUser): OnPremUser {
  return withSecretFields(fields, ['password']);
}

/** A user as the Azure AD tenant knows it after sync. */
export interface CloudUser {
  readonly upn: string;
  /** A stable id, derived from the lab seed. */
  readonly objectId: string;
  /**
   * `accountEnabled`: false for a user disabled on-prem, as Azure AD Connect
   * syncs it (inferred); a disabled user cannot sign in to Azure AD, so gets
   * no PRT and no cloud TGT. Absent means enabled.
   */
  readonly accountEnabled?: boolean;
  /** Where the identity came from, when synced. */
  readonly onPremises?: {
    readonly samAccountName: string;
    readonly netbiosDomain: string;
    readonly realm: string;
    /** `onPremisesSecurityIdentifier`: the on-prem SID Azure AD Connect syncs (fact). */
    readonly securityIdentifier: string;
    /**
     * The SIDs of the user's on-prem groups as the tenant knows them after
     * sync: the primary group and every global and universal group the user
     * belongs to, directly or nested (domain-local groups stay on-prem;
     * inferred, see `docs/azure.md`).
     */
    readonly groupSids: readonly string[];
  };
}

/** A GUID's text (`73d664e4-0886-4a73-b745-c694da45ddb4`) as its 16 bytes in Windows order (little-endian fields). */
function guidBytes(guid: string): Uint8Array {
  const hex = guid.replace(/^\{|\}$/g, '');
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(hex)) {
    throw new RangeError(`'${guid}' is not a GUID`);
  }
  const b = Buffer.from(hex.replace(/-/g, ''), 'hex');
  // Data1 (4 bytes), Data2 and Data3 (2 each) are little-endian on the wire; Data4 is as written.
  return Uint8Array.of(b[3]!, b[2]!, b[1]!, b[0]!, b[5]!, b[4]!, b[7]!, b[6]!, ...b.subarray(8));
}

/**
 * The SID of an Azure AD object: `S-1-12-1-` followed by its object id's 16
 * bytes read as four 32-bit little-endian numbers (fact: how Windows shows
 * Azure AD users and groups on Azure AD-joined devices).
 */
export function cloudSid(objectId: string): string {
  const b = guidBytes(objectId);
  const v = new DataView(b.buffer, b.byteOffset, 16);
  const parts = [0, 4, 8, 12].map((o) => v.getUint32(o, true));
  return `S-1-12-1-${parts.join('-')}`;
}

/** `CONTOSO\alice`: how Windows and SQL Server name a domain user. */
export function downLevelLogonName(u: { netbiosDomain: string; samAccountName: string }): string {
  return `${u.netbiosDomain}\\${u.samAccountName}`;
}
