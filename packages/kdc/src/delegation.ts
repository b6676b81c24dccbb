/**
 * Whether an account may be delegated: MS-SFU's DelegationNotAllowed, which
 * AD sets for an account marked "sensitive and cannot be delegated" and for
 * every member of Protected Users (RID 525, directly or through a nested
 * group), whose tickets are never forwardable and who cannot be
 * impersonated for S4U2Proxy.
 *
 * @module
 */

import { TicketFlags } from '@krbsim/asn1';
import { WellKnownRid } from '@krbsim/pac';
import { accountOf } from './pac-builder';
import type { PrincipalEntry } from './principal-db';
import type { Realm } from './realm';

/**
 * `flags` without FORWARDABLE and PROXIABLE: what a ticket of an account
 * that cannot be delegated carries (MS-KILE 3.3.5.1).
 */
export function withoutDelegationFlags(flags: number): number {
  return (flags & ~(TicketFlags.forwardable | TicketFlags.proxiable)) >>> 0;
}

/** True when `entry`, an account of `realm`, is sensitive or a member of Protected Users. */
export function cannotBeDelegated(realm: Realm, entry: PrincipalEntry | undefined): boolean {
  if (entry === undefined) return false;
  return entry.notDelegated || isProtectedUser(realm, entry);
}

/** MS-KILE 3.3.5.6: the longest life of a Protected Users member's TGT, renewals included (4 h). */
export const PROTECTED_USERS_TGT_LIFE_MS = 4 * 3600_000;

/** True when `entry`, an account of `realm`, is a member of Protected Users (RID 525), directly or nested. */
export function isProtectedUser(realm: Realm, entry: PrincipalEntry): boolean {
  const account = accountOf(realm, entry);
  if (account === undefined || account.external !== undefined) return false;
  return realm.directory
    .tokenGroups(account.name)
    .groups.some((g) => g.relativeId === WellKnownRid.PROTECTED_USERS);
}
