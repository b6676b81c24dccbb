/**
 * S4U2Self across a trust (MS-SFU sections 3.1.5.1.1, 3.2.5.1.1 and 4.2):
 * service S of realm A asks for a ticket to itself for user U of realm B in
 * three TGS exchanges.
 *
 * 1. `to-user-realm`, at A: S4U2Self from S's own TGT naming a user of B.
 *    MS-SFU has S ask for `krbtgt/B` plainly (which needs nothing new);
 *    this KDC also answers the S4U2Self request itself with that TGT (a
 *    referral, S as its client, no S4U in it), so a client that sends
 *    S4U2Self to its own KDC first is sent on its way.
 * 2. `back-to-service-realm`, at B: S4U2Self with S's cross-realm TGT.
 *    S is not of B, so B replies with a referral TGT `krbtgt/A@B` whose
 *    client is S (section 3.2.5.1.1) and whose PAC is U's, its
 *    PAC_CLIENT_INFO name `U@B`.
 * 3. `last-hop`, at A: S4U2Self with that referral TGT. A issues S's
 *    ticket to itself with U@B as client, the PAC from B (verified,
 *    SID-filtered at the trust, bound to U by its PAC_CLIENT_INFO name).
 *
 * Only a direct trust is served, and it must be usable both ways: S
 * reaches B (B trusts A) and U's referral comes back to A (A trusts B),
 * the bidirectional trust Windows needs for protocol transition. A longer
 * path, or a one-way trust, is refused with KDC_ERR_POLICY and the reason.
 *
 * @module
 */

import { formatPrincipal, krbtgtName, TicketFlags } from '@krbsim/asn1';
import { ErrorCode } from '@krbsim/core';
import { getPacBuffer, type Pac, PacBufferType, updatePacBuffer } from '@krbsim/pac';
import { cannotBeDelegated } from './delegation';
import { KdcError } from './krb-error';
import type { S4uSelf } from './padata/handler';
import type { PrincipalEntry } from './principal-db';
import type { Realm } from './realm';
import type { TgsHeader } from './tgs-header';
import { checkPath } from './trust-graph';

/** Which exchange of a (possibly cross-realm) S4U2Self this KDC is answering. */
export type S4uSelfStep =
  | { readonly kind: 'local' }
  | { readonly kind: 'to-user-realm'; readonly target: string; readonly krbtgt: PrincipalEntry }
  | { readonly kind: 'back-to-service-realm'; readonly target: string; readonly krbtgt: PrincipalEntry }
  | { readonly kind: 'last-hop' };

function refuse(s4u: S4uSelf, h: TgsHeader, why: string): never {
  throw new KdcError(
    ErrorCode.KDC_ERR_POLICY,
    `S4U2Self for ${formatPrincipal(s4u.cname, s4u.crealm)} by ${formatPrincipal(h.tgt.cname, h.tgt.crealm)}: ${why}`,
  );
}

/** The inter-realm TGT `krbtgt/TARGET@THIS`, when a direct trust gives this realm its key. */
function directKrbtgt(realm: Realm, target: string): PrincipalEntry | undefined {
  return realm.db.get(krbtgtName(target), realm.name);
}

/** Refuse unless `path` (a client's realm, then a service's) is an allowed trust path. */
function requireDirect(realm: Realm, path: readonly [string, string], s4u: S4uSelf, h: TgsHeader): void {
  const why = checkPath(realm, path);
  if (why !== undefined) refuse(s4u, h, `${path.join(' -> ')} is not an allowed trust path (${why})`);
}

/** Decide the step (see the module notes); throws KDC_ERR_POLICY for what is not served. */
export function s4uSelfStep(realm: Realm, h: TgsHeader, s4u: S4uSelf): S4uSelfStep {
  const here = realm.name;
  const userHere = s4u.crealm === here;
  const requesterHere = h.tgt.crealm === here;
  if (h.forUserReferral) {
    // Step 3 only: the issuing realm may speak for its own users, never for ours.
    if (h.issuingRealm !== s4u.crealm) {
      refuse(
        s4u,
        h,
        `a referral TGT from ${h.issuingRealm} may carry S4U2Self only for users of ${h.issuingRealm}`,
      );
    }
    requireDirect(realm, [s4u.crealm, here], s4u, h);
    return { kind: 'last-hop' };
  }
  if (userHere && requesterHere) return { kind: 'local' };
  if (userHere) {
    // Step 2: the TGT came straight from the service's realm (checkTransit has allowed it in).
    const target = h.tgt.crealm;
    if (h.kind !== 'cross-realm-tgt' || h.issuingRealm !== target) {
      refuse(s4u, h, `only a direct trust with ${target} is supported for cross-realm S4U2Self`);
    }
    requireDirect(realm, [here, target], s4u, h);
    const krbtgt = directKrbtgt(realm, target);
    if (krbtgt === undefined) refuse(s4u, h, `${here} holds no key for krbtgt/${target}@${here}`);
    return { kind: 'back-to-service-realm', target, krbtgt };
  }
  if (!requesterHere) refuse(s4u, h, `neither the user nor the service is of ${here}`);
  if (h.kind === 'local-tgt') {
    // Step 1: send the service toward the user's realm, and from there its users back here.
    const target = s4u.crealm;
    const krbtgt = directKrbtgt(realm, target);
    if (krbtgt === undefined) {
      refuse(
        s4u,
        h,
        `users of other realms are served only across a direct two-way trust, and ${here} holds no key for krbtgt/${target}@${here}`,
      );
    }
    requireDirect(realm, [here, target], s4u, h);
    requireDirect(realm, [target, here], s4u, h);
    return { kind: 'to-user-realm', target, krbtgt };
  }
  return refuse(s4u, h, 'S4U2Self needs a TGT, not a service ticket');
}

/** The forwardable flag of the step 2 referral: never for a user who "cannot be delegated". */
export function referralForUserFlags(realm: Realm, flags: number, user: PrincipalEntry | undefined): number {
  return (cannotBeDelegated(realm, user) ? flags & ~TicketFlags.forwardable : flags) >>> 0;
}

/** The PAC_CLIENT_INFO name of a step 2 referral TGT's PAC: `user@userRealm` (section 3.2.5.1.1). */
export function forUserClientName(s4u: S4uSelf): string {
  return `${s4u.cname.nameString.join('/')}@${s4u.crealm}`;
}

/** `pac` with its PAC_CLIENT_INFO name replaced. */
export function withClientName(pac: Pac, name: string): Pac {
  return updatePacBuffer(pac, PacBufferType.CLIENT_INFO, (v) => ({ ...v, name }));
}

/**
 * Step 3: the referral TGT's PAC must be the user's, as its PAC_CLIENT_INFO
 * names it; anything else (no PAC, another user) is KDC_ERR_POLICY, since
 * nothing else binds the referral to the user.
 */
export function checkForUserPac(pac: Pac | undefined, s4u: S4uSelf, h: TgsHeader): Pac {
  if (pac === undefined)
    refuse(s4u, h, `the referral TGT from ${h.issuingRealm} carries no PAC for the user`);
  const name = getPacBuffer(pac!, PacBufferType.CLIENT_INFO)?.name;
  const want = forUserClientName(s4u);
  if (name === undefined || name.toUpperCase() !== want.toUpperCase()) {
    refuse(s4u, h, `the referral TGT's PAC is for ${name ?? 'nobody'}, not ${want}`);
  }
  return withClientName(pac!, s4u.cname.nameString.join('/'));
}
