/**
 * Selective authentication (MS-KILE 3.3.5.7.5; AD's "authentication
 * firewall"): a trust whose trusting side has TRUST_ATTRIBUTE_CROSS_ORGANIZATION
 * (`selectiveAuthentication` of `createTrust`) lets the trusted side's users
 * reach only the services whose accounts grant them Allowed to Authenticate.
 *
 * - Where a user crosses such a trust into this realm, the KDC adds the
 *   OTHER_ORGANIZATION SID (S-1-5-1000) to the ExtraSids of the user's PAC
 *   ({@link markOtherOrganization}), after SID filtering, which removes any
 *   the other side wrote itself.
 * - Issuing a service ticket whose PAC holds that SID, the KDC checks the
 *   service account's security descriptor: one of the user's SIDs must hold
 *   the Allowed-to-Authenticate right (ACTRL_DS_CONTROL_ACCESS), which
 *   `Realm.allowToAuthenticate` grants ({@link checkAllowedToAuthenticate}).
 *   The user's SIDs are the PAC's (the user, its groups, its ExtraSids and the
 *   domain-local groups of this domain, added before the check) and the
 *   well-known Everyone and Authenticated Users a logon token always holds.
 *   A refusal is KDC_ERR_POLICY with STATUS_AUTHENTICATION_FIREWALL_FAILED.
 *
 * Referral TGTs onward are not checked: the right is a service's.
 *
 * @module
 */

import { formatPrincipal } from '@krbsim/asn1';
import { ErrorCode, NtStatus } from '@krbsim/core';
import {
  formatSid,
  getPacBuffer,
  type KerbValidationInfo,
  type Pac,
  PacBufferType,
  parseSid,
  SE_GROUP_DEFAULT,
  sidEquals,
  sidWithRid,
  UserFlags,
  updatePacBuffer,
  WellKnownSid,
} from '@krbsim/pac';
import { KdcError } from './krb-error';
import type { PrincipalEntry } from './principal-db';
import type { Realm } from './realm';
import { trustBetween } from './trust-graph';

const OTHER_ORGANIZATION = parseSid(WellKnownSid.OTHER_ORGANIZATION);

/** SIDs every logon token holds besides the PAC's (MS-DTYP 2.4.2.4). */
const EVERY_LOGON: readonly string[] = [WellKnownSid.EVERYONE, WellKnownSid.AUTHENTICATED_USERS];

/**
 * Whether the trust between this realm and `issuingRealm`, the realm whose
 * referral TGT the request came with, is a selective-authentication trust
 * into this realm.
 */
export function crossesSelectiveTrust(realm: Realm, issuingRealm: string): boolean {
  const trust = trustBetween(realm, issuingRealm);
  return trust?.selectiveAuthentication === true && trust.trusting.name === realm.name;
}

/**
 * `pac` (SID-filtered at the trust) with the OTHER_ORGANIZATION SID in its
 * ExtraSids when the user came into this realm across a selective-authentication
 * trust from `issuingRealm`; otherwise `pac` as it is.
 */
export function markOtherOrganization(realm: Realm, pac: Pac, issuingRealm: string): Pac {
  if (!crossesSelectiveTrust(realm, issuingRealm)) return pac;
  return updatePacBuffer(pac, PacBufferType.LOGON_INFO, (v) => ({
    ...v,
    extraSids: [...v.extraSids, { sid: OTHER_ORGANIZATION, attributes: SE_GROUP_DEFAULT }],
    userFlags: v.userFlags | UserFlags.LOGON_EXTRA_SIDS,
  }));
}

/**
 * Refuses a service ticket for `server` to the user `pac` describes when the
 * PAC holds the OTHER_ORGANIZATION SID and no SID of the user's holds the
 * Allowed-to-Authenticate right on `server` (see the module comment). A PAC
 * without the SID passes: the user did not come across such a trust.
 */
export function checkAllowedToAuthenticate(pac: Pac, server: PrincipalEntry): void {
  const info = getPacBuffer(pac, PacBufferType.LOGON_INFO);
  if (info === undefined || !info.extraSids.some((e) => sidEquals(e.sid, OTHER_ORGANIZATION))) return;
  const granted = new Set(server.allowedToAuthenticate ?? []);
  if (userSids(info).some((sid) => granted.has(sid))) return;
  throw new KdcError(
    ErrorCode.KDC_ERR_POLICY,
    `selective authentication: ${info.logonDomainName}\\${info.effectiveName}, from across a selective-authentication trust, is not allowed to authenticate to ${formatPrincipal(server.name, server.realm)}`,
    { ntStatus: NtStatus.STATUS_AUTHENTICATION_FIREWALL_FAILED },
  );
}

/** The user's SIDs as the access check sees them: the PAC's, and those of every logon. */
function userSids(info: KerbValidationInfo): string[] {
  const sids = [...EVERY_LOGON, ...info.extraSids.map((e) => formatSid(e.sid))];
  const domain = info.logonDomainId;
  if (domain !== undefined) {
    sids.push(formatSid(sidWithRid(domain, info.userId)));
    for (const g of info.groupIds) sids.push(formatSid(sidWithRid(domain, g.relativeId)));
  }
  const resources = info.resourceGroupDomainSid;
  if (resources !== undefined) {
    for (const g of info.resourceGroupIds) sids.push(formatSid(sidWithRid(resources, g.relativeId)));
  }
  return sids;
}

/** A service ticket for a user who crossed a selective-authentication trust but carries no PAC to check. */
export function refuseWithoutPac(server: PrincipalEntry): never {
  throw new KdcError(
    ErrorCode.KDC_ERR_POLICY,
    `selective authentication: the ticket from across a selective-authentication trust carries no PAC whose SIDs ${formatPrincipal(server.name, server.realm)} could check`,
    { ntStatus: NtStatus.STATUS_AUTHENTICATION_FIREWALL_FAILED },
  );
}
