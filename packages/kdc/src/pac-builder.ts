/**
 * The PAC a domain controller builds for an account at logon (MS-KILE
 * section 3.3.5.6.4; MS-PAC sections 2.5 to 2.14), from the realm's
 * {@link Directory}: KERB_VALIDATION_INFO (the user's SID as domain SID and
 * RID, its primary group and groups, S-1-18-1 or, for S4U2Self, S-1-18-2
 * in ExtraSids), PAC_CLIENT_INFO, UPN_DNS_INFO in the extended form with
 * the SAM name and SID, PAC_ATTRIBUTES_INFO and PAC_REQUESTOR; for a PKINIT
 * logon, S-1-18-3 after a freshness token and PAC_CREDENTIAL_INFO (MS-PKCA
 * 3.1.5.2, `pkinit/logon.ts`). The signatures are added when the ticket is
 * sealed (`issue.ts`).
 *
 * An account with an identity held elsewhere (a synced user in Azure AD)
 * gets that SID: its domain becomes the logon domain, and group SIDs of
 * that domain go in GroupIds, others in ExtraSids.
 *
 * @module
 */

import type { Key } from '@krbsim/crypto';
import {
  createKerbValidationInfo,
  createPacAttributesInfo,
  createPacClientInfo,
  createUpnDnsInfo,
  fileTimeFromMillis,
  type GroupMembership,
  type KerbSidAndAttributes,
  type Pac,
  PacAttributesFlags,
  PacBufferType,
  parseSid,
  SE_GROUP_DEFAULT,
  type Sid,
  sidEquals,
  splitSid,
  UserAccountControl,
  UserFlags,
  WellKnownRid,
  WellKnownSid,
} from '@krbsim/pac';
import type { DirectoryAccount } from './directory';
import { FRESH_PUBLIC_KEY_IDENTITY, pkinitCredentialInfo } from './pkinit/logon';
import type { PrincipalEntry } from './principal-db';
import type { Realm } from './realm';
import { routingView } from './routing-view';

/** How the logon that a PAC records came about. */
export interface PacLogon {
  /** The ticket's authtime (ms). */
  readonly authtime: number;
  /**
   * PAC_CLIENT_INFO's Name: the ticket's client name, its components joined
   * with `/` (MS-PAC 2.7: a service compares the two); the account's name
   * when absent.
   */
  readonly clientName?: string;
  /**
   * For a TGT: its PAC_ATTRIBUTES_INFO flags (MS-KILE 3.3.5.6.4.7) and the
   * SID its PAC_REQUESTOR names (3.3.5.6.4.8; the account's own when absent).
   * Undefined for a service ticket, whose PAC carries neither.
   */
  readonly tgt?: { readonly attributes: number; readonly requestor?: Sid };
  /**
   * Who vouched for the identity: the KDC authenticated the user (S-1-18-1),
   * or a service asserted it through S4U2Self (S-1-18-2, MS-SFU 3.2.5.1.2).
   */
  readonly assertedBy: 'authentication-authority' | 'service';
  /**
   * MS-PAC 2.5 BadPasswordCount: the account's wrong passwords counted
   * before this logon (which then resets them), as a DC reports it. Default 0.
   */
  readonly badPasswordCount?: number;
  /**
   * A PKINIT logon, as a DC records it (MS-PKCA 3.1.5.2): with
   * `freshnessToken` (the PKAuthenticator carried one the KDC validated,
   * RFC 8070) FRESH_PUBLIC_KEY_IDENTITY, S-1-18-3, in ExtraSids after
   * S-1-18-1; and PAC_CREDENTIAL_INFO after KERB_VALIDATION_INFO, the
   * account's NT hash sealed with `replyKey`, the AS reply key (none for an
   * account without an RC4-HMAC key). The AS exchange of an
   * `active-directory` realm sets it; MIT's KDC adds neither.
   */
  readonly pkinit?: { readonly freshnessToken: boolean; readonly replyKey: Key };
}

/** The directory account behind a database entry (`alice`, `SQL01$`), if it has one. */
export function accountOf(realm: Realm, entry: PrincipalEntry): DirectoryAccount | undefined {
  const parts = entry.name.nameString;
  return parts.length === 1 ? realm.directory.account(parts[0]!) : undefined;
}

/** The account's SID. */
export function accountSid(realm: Realm, account: DirectoryAccount): Sid {
  return parseSid(account.external?.sid ?? realm.directory.sidOf(account.rid));
}

/** The other domains of each routing view's forest that hold foreign members (see {@link forestUniversalGroups}). */
const forestPeers = new WeakMap<object, readonly Realm[]>();

/**
 * The universal groups of the other domains of `realm`'s forest that `sids`
 * (the user and its groups, made only when some domain could hold one) reach, nested across domains too: what the
 * global catalog adds to a logon (MS-PAC 2.5 ExtraSids). Only domains with
 * foreign members can hold one; a forest of one domain has none to ask.
 */
export function forestUniversalGroups(realm: Realm, sids: () => readonly string[]): string[] {
  const view = routingView(realm);
  let peers = forestPeers.get(view);
  if (peers === undefined) {
    peers = [...view.realms.values()].filter((r) => r !== realm && r.forest === realm.forest);
    forestPeers.set(view, peers);
  }
  const holders = peers.filter((r) => r.directory.hasForeignMembers);
  if (holders.length === 0) return [];
  const found = new Set<string>();
  let frontier = sids();
  while (frontier.length > 0) {
    const next: string[] = [];
    for (const r of holders) {
      for (const sid of r.directory.universalGroups(frontier)) {
        if (!found.has(sid)) {
          found.add(sid);
          next.push(sid);
        }
      }
    }
    frontier = next;
  }
  return [...found];
}

/**
 * What MS-PAC 4.1.2.1 has the KDC add to a domain controller's logon: the
 * Enterprise Domain Controllers SID (S-1-5-9) for a writable DC
 * (SERVER_TRUST_ACCOUNT); for a read-only one the forest root domain's
 * Enterprise Read-only Domain Controllers group (498), among the GroupIds in
 * the root domain itself (where a Samba DC puts it), else an ExtraSid of the
 * root's domain (none when the root is not a realm this KDC knows).
 */
function domainControllerSids(
  realm: Realm,
  account: DirectoryAccount,
): { groups: GroupMembership[]; extra: string[] } {
  if (account.domainController === 'writable')
    return { groups: [], extra: [WellKnownSid.ENTERPRISE_DOMAIN_CONTROLLERS] };
  if (account.domainController !== 'read-only') return { groups: [], extra: [] };
  const rid = WellKnownRid.ENTERPRISE_READONLY_DOMAIN_CONTROLLERS;
  if (realm.forest === realm.name)
    return { groups: [{ relativeId: rid, attributes: SE_GROUP_DEFAULT }], extra: [] };
  const root = forestRootOf(realm);
  return { groups: [], extra: root === undefined ? [] : [root.directory.sidOf(rid)] };
}

/** The forest root domain of a child domain's realm, when it is a realm this KDC knows; undefined for the root itself. */
export function forestRootOf(realm: Realm): Realm | undefined {
  return realm.forest === realm.name ? undefined : routingView(realm).realms.get(realm.forest);
}

/** Identity and groups in KERB_VALIDATION_INFO terms, from the directory or an external identity. */
function identity(
  realm: Realm,
  account: DirectoryAccount,
): {
  domain: Sid;
  userId: number;
  primaryGroupId: number;
  groups: GroupMembership[];
  extra: KerbSidAndAttributes[];
} {
  if (account.external === undefined) {
    const t = realm.directory.tokenGroups(account.name);
    const own = () =>
      [account.rid, ...t.groups.map((g) => g.relativeId)].map((rid) => realm.directory.sidOf(rid));
    const controller = domainControllerSids(realm, account);
    return {
      domain: parseSid(realm.directory.domainSid),
      userId: account.rid,
      primaryGroupId: account.primaryGroupRid,
      groups: [...t.groups, ...controller.groups],
      extra: [...(account.sidHistory ?? []), ...forestUniversalGroups(realm, own), ...controller.extra].map(
        (sid) => ({ sid: parseSid(sid), attributes: SE_GROUP_DEFAULT }),
      ),
    };
  }
  const user = splitSid(parseSid(account.external.sid));
  if (user === undefined) throw new RangeError(`${account.external.sid} is not an account SID`);
  const groups: GroupMembership[] = [{ relativeId: 513, attributes: SE_GROUP_DEFAULT }];
  const extra: KerbSidAndAttributes[] = [];
  for (const text of account.external.groupSids) {
    const sid = parseSid(text);
    const g = splitSid(sid);
    if (g !== undefined && sidEquals(g.domain, user.domain)) {
      // The primary group may be among them (a synced user's token groups hold it): once.
      if (!groups.some((x) => x.relativeId === g.rid))
        groups.push({ relativeId: g.rid, attributes: SE_GROUP_DEFAULT });
    } else extra.push({ sid, attributes: SE_GROUP_DEFAULT });
  }
  return { domain: user.domain, userId: user.rid, primaryGroupId: 513, groups, extra };
}

/**
 * KERB_VALIDATION_INFO.UserAccountControl (MS-PAC 2.5, MS-SAMR 2.2.1.12):
 * the account's type and the flags of its userAccountControl that krbsim
 * keeps: USER_DONT_EXPIRE_PASSWORD for a user whose password does not
 * expire, USER_NOT_DELEGATED for one marked sensitive (a service doing
 * S4U2Proxy reads it, MS-SFU 3.1.5.2.1), USER_DONT_REQUIRE_PREAUTH,
 * USER_TRUSTED_FOR_DELEGATION, USER_TRUSTED_TO_AUTHENTICATE_FOR_DELEGATION
 * and USER_NO_AUTH_DATA_REQUIRED; a domain controller's is a
 * USER_SERVER_TRUST_ACCOUNT, a read-only one's a workstation trust account
 * with USER_PARTIAL_SECRETS_ACCOUNT.
 */
function userAccountControl(account: DirectoryAccount, entry: PrincipalEntry): number {
  const flags =
    (entry.okAsDelegate ? UserAccountControl.USER_TRUSTED_FOR_DELEGATION : 0) |
    (entry.notDelegated ? UserAccountControl.USER_NOT_DELEGATED : 0) |
    (entry.requiresPreauth ? 0 : UserAccountControl.USER_DONT_REQUIRE_PREAUTH) |
    (entry.trustedToAuthForDelegation ? UserAccountControl.USER_TRUSTED_TO_AUTHENTICATE_FOR_DELEGATION : 0) |
    (entry.authDataNotRequired ? UserAccountControl.USER_NO_AUTH_DATA_REQUIRED : 0);
  if (account.domainController === 'writable')
    return (UserAccountControl.USER_SERVER_TRUST_ACCOUNT | flags) >>> 0;
  if (account.domainController === 'read-only') {
    return (
      (UserAccountControl.USER_WORKSTATION_TRUST_ACCOUNT |
        UserAccountControl.USER_PARTIAL_SECRETS_ACCOUNT |
        flags) >>>
      0
    );
  }
  if (account.kind === 'computer') return (UserAccountControl.USER_WORKSTATION_TRUST_ACCOUNT | flags) >>> 0;
  return (
    (UserAccountControl.USER_NORMAL_ACCOUNT |
      (entry.passwordExpires === undefined ? UserAccountControl.USER_DONT_EXPIRE_PASSWORD : 0) |
      flags) >>>
    0
  );
}

/**
 * The PAC of a logon of `entry` (a user or computer of the realm's
 * directory), unsigned; undefined for a principal that is not an account
 * (a bare service principal), which gets no PAC.
 */
export function buildPac(realm: Realm, entry: PrincipalEntry, logon: PacLogon): Pac | undefined {
  const account = accountOf(realm, entry);
  if (account === undefined) return undefined;
  const id = identity(realm, account);
  const asserted =
    logon.assertedBy === 'service'
      ? WellKnownSid.SERVICE_ASSERTED_IDENTITY
      : WellKnownSid.AUTHENTICATION_AUTHORITY_ASSERTED_IDENTITY;
  const extraSids = [
    ...id.extra,
    { sid: parseSid(asserted), attributes: SE_GROUP_DEFAULT },
    ...(logon.pkinit?.freshnessToken === true
      ? [{ sid: FRESH_PUBLIC_KEY_IDENTITY, attributes: SE_GROUP_DEFAULT }]
      : []),
  ];
  const logonInfo = createKerbValidationInfo({
    // An S4U2Self PAC records no logon: LogonTime 0, as Windows writes it.
    logonTime: logon.assertedBy === 'service' ? 0n : fileTimeFromMillis(logon.authtime),
    effectiveName: account.name,
    fullName: account.displayName ?? '',
    userId: id.userId,
    primaryGroupId: id.primaryGroupId,
    groupIds: id.groups,
    userFlags: UserFlags.LOGON_EXTRA_SIDS,
    logonServer: 'DC1',
    logonDomainName: realm.netbiosName,
    logonDomainId: id.domain,
    userAccountControl: userAccountControl(account, entry),
    badPasswordCount: logon.badPasswordCount ?? 0,
    // MS-PAC 2.5: when the password was set, may change, must change, and when the account ends
    // (0 when not known, "never" without them).
    ...(entry.passwordLastSet !== undefined &&
      entry.passwordLastSet !== 0 && {
        passwordLastSet: fileTimeFromMillis(entry.passwordLastSet),
        passwordCanChange: fileTimeFromMillis(entry.passwordLastSet + realm.policy.minPasswordAgeMs),
      }),
    ...(entry.passwordExpires !== undefined && {
      passwordMustChange: fileTimeFromMillis(entry.passwordExpires),
    }),
    ...(entry.accountExpires !== undefined && { kickOffTime: fileTimeFromMillis(entry.accountExpires) }),
    extraSids,
  });
  const sid = accountSid(realm, account);
  const upn = entry.upn ?? `${account.name}@${realm.name.toLowerCase()}`;
  const credentials = logon.pkinit && pkinitCredentialInfo(realm, entry, logon.pkinit.replyKey);
  return {
    buffers: [
      { type: PacBufferType.LOGON_INFO, value: logonInfo },
      // After KERB_VALIDATION_INFO, in buffer type order, as Windows and Samba place it.
      ...(credentials === undefined ? [] : [credentials]),
      {
        type: PacBufferType.CLIENT_INFO,
        value: createPacClientInfo(logon.clientName ?? account.name, logon.authtime),
      },
      {
        type: PacBufferType.UPN_DNS_INFO,
        value: createUpnDnsInfo({
          upn,
          dnsDomainName: realm.name,
          upnConstructed: entry.upn === undefined,
          samName: account.name,
          sid,
        }),
      },
      ...(logon.tgt === undefined
        ? []
        : [
            { type: PacBufferType.ATTRIBUTES_INFO, value: createPacAttributesInfo(logon.tgt.attributes) },
            { type: PacBufferType.REQUESTOR, value: { sid: logon.tgt.requestor ?? sid } },
          ]),
    ],
  };
}

/**
 * PAC_ATTRIBUTES_INFO of a TGT from an AS exchange (MS-KILE 3.3.5.6.4.7):
 * PAC_WAS_REQUESTED when the client sent PA-PAC-REQUEST true,
 * PAC_WAS_GIVEN_IMPLICITLY when it sent none and the realm includes a PAC by
 * default, neither when it declined one.
 *
 * @param pacRequest the request's include-pac; undefined without PA-PAC-REQUEST
 */
export function asPacAttributes(pacRequest: boolean | undefined, byDefault: boolean): number {
  if (pacRequest === true) return PacAttributesFlags.PAC_WAS_REQUESTED;
  return pacRequest === undefined && byDefault ? PacAttributesFlags.PAC_WAS_GIVEN_IMPLICITLY : 0;
}
