/**
 * ok-as-delegate across trusts (MS-KILE 3.3.5.7.5), in an `active-directory`
 * realm. A ticket marked ok-as-delegate invites the client to hand the
 * service its TGT (Windows' unconstrained delegation, GSS-API's
 * deleg-policy flag); across a trust, that TGT would leave for a domain the
 * user's own does not control. So an AD KDC lets the flag cross a trust only
 * where the trust allows TGT delegation:
 *
 * - it is allowed within a forest (TRUST_ATTRIBUTE_WITHIN_FOREST), or where
 *   the trust says so (`tgtDelegation` of `createTrust`,
 *   TRUST_ATTRIBUTE_CROSS_ORGANIZATION_ENABLE_TGT_DELEGATION, AD's `netdom
 *   trust /EnableTGTDelegation:Yes`);
 * - it is not where the trust is quarantined
 *   (TRUST_ATTRIBUTE_QUARANTINED_DOMAIN), where it says not
 *   (`tgtDelegation: false` within a forest,
 *   TRUST_ATTRIBUTE_CROSS_ORGANIZATION_NO_TGT_DELEGATION), or where the
 *   source ticket, a referral TGT from another realm, lacks the flag.
 *
 * A referral TGT is then ok-as-delegate when the trust it crosses allows it,
 * and a ticket issued to a client from across a trust when the ticket it
 * came with (a referral TGT, or this realm's own TGT issued from one)
 * carries the flag, the service is trusted for delegation, and the trust
 * allows it. A TGT from a realm's own AS exchange never carries the flag (no
 * krbtgt account is trusted for delegation) and is not a source ticket for
 * the rule: a local client's first referral takes its flag from its trust
 * alone. Windows clients show it as klist's `ok_as_delegate` on a referral
 * TGT within a forest.
 *
 * An `mit` realm follows MIT's KDC instead: the flag comes from the server
 * principal alone (`okAsDelegate`, MIT's ok_as_delegate attribute), which no
 * cross-realm krbtgt principal has unless given it.
 *
 * @module
 */

import { TicketFlags, tgsRealmOf } from '@krbsim/asn1';
import type { PrincipalEntry } from './principal-db';
import type { Realm } from './realm';
import { originRealm, type TgsHeader } from './tgs-header';
import { trustBetween } from './trust-graph';

/** Whether the trust between `realm` and the realm named `other` lets ok-as-delegate cross it. */
function trustAllows(realm: Realm, other: string): boolean {
  return trustBetween(realm, other)?.tgtDelegation === true;
}

/** The realm a cross-realm TGT of `entry` leads to, or undefined for any other principal. */
function referralTarget(realm: Realm, entry: PrincipalEntry): string | undefined {
  const target = tgsRealmOf(entry.name);
  return target === realm.name ? undefined : target;
}

/**
 * Whether the ticket `realm` issues to `server` from the TGT of `h` carries
 * ok-as-delegate (see the module documentation).
 */
export function okAsDelegate(realm: Realm, h: TgsHeader, server: PrincipalEntry): boolean {
  if (realm.kind !== 'active-directory') return server.okAsDelegate;
  // Decided by where the client comes from, not by which TGT it shows: a client from across a
  // trust may also hold this realm's own TGT, issued from its referral.
  const foreign = originRealm(h) !== realm.name;
  if (foreign) {
    // DisableConditions: the source ticket lacks the flag, or the trust it came through does not allow it.
    if ((h.tgt.flags & TicketFlags['ok-as-delegate']) === 0) return false;
    if (h.kind === 'cross-realm-tgt' && !trustAllows(realm, h.issuingRealm)) return false;
  }
  const target = referralTarget(realm, server);
  if (target !== undefined) return trustAllows(realm, target);
  // This realm's own TGT, for a client from across a trust, keeps what its path allowed (checked
  // above), so that tickets got with it are held to the same rule; a local client's never has it.
  if (server.kind === 'krbtgt') return foreign;
  return server.okAsDelegate;
}
