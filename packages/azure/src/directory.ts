/**
 * Identities: on-prem AD users and their synced Azure AD counterparts.
 *
 * Fact: Azure AD Connect syncs on-prem identities to the tenant (a
 * prerequisite of both flows). Inferred: the managed instance maps a Kerberos
 * client principal to a login through these records (the real product reads
 * the PAC and the synced directory; krbsim keeps the directory and leaves the
 * PAC out), so `CONTOSO.COM/alice` and the cloud principal `alice@contoso.com`
 * resolve to one person.
 *
 * @module
 */

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
  /** The password (kept so the emulated Windows logon can use it; never logged). */
  readonly password: string;
  /** The user's SID (`objectSid`): the domain SID and the account's RID. */
  readonly sid: string;
}

/** A user as the Azure AD tenant knows it after sync. */
export interface CloudUser {
  readonly upn: string;
  /** A stable id, derived from the lab seed. */
  readonly objectId: string;
  /** Where the identity came from, when synced. */
  readonly onPremises?: {
    readonly samAccountName: string;
    readonly netbiosDomain: string;
    readonly realm: string;
    /** `onPremisesSecurityIdentifier`: the on-prem SID Azure AD Connect syncs (fact). */
    readonly securityIdentifier: string;
  };
}

/** `CONTOSO\alice`: how Windows and SQL Server name a domain user. */
export function downLevelLogonName(u: { netbiosDomain: string; samAccountName: string }): string {
  return `${u.netbiosDomain}\\${u.samAccountName}`;
}
