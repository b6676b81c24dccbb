/**
 * The authorization data of a new ticket (RFC 4120 section 5.2.6): what the
 * exchange proposes, passed through the realm's
 * {@link Realm.authorizationData} hook. Both exchanges call
 * {@link ticketAuthorizationData}, so a hook sees every ticket the realm
 * issues: TGTs, service tickets, referrals and cross-realm TGTs.
 *
 * @module
 */

import { type AuthorizationData, TicketFlags } from '@krbsim/asn1';
import { encodePac, wrapPac } from '@krbsim/pac';
import { pacAuthorizationData, type TicketDraft } from './issue';
import { kdcSignatureKey } from './keys';
import { buildPac, type PacLogon } from './pac-builder';
import { withResourceGroups } from './pac-issuance';
import type { Realm } from './realm';

/** What an exchange knows about a ticket's authorization data besides the draft. */
export interface AuthorizationDataInputs {
  readonly fromEvidence: AuthorizationData;
  readonly fromRequest: AuthorizationData;
  readonly pacRequested: boolean;
  /** AS: the PAC_ATTRIBUTES_INFO flags of a TGT (`asPacAttributes`); TGS: 0. */
  readonly pacAttributes: number;
  /** AS: the account's wrong passwords before this logon reset them (KERB_VALIDATION_INFO.BadPasswordCount). */
  readonly badPasswordCount?: number;
}

const NONE: AuthorizationData = Object.freeze([]) as unknown as AuthorizationData;

/** The realm's krbtgt key for KDC signatures (`kdcSignatureKey`). */
function kdcKeyFor(realm: Realm) {
  return kdcSignatureKey(realm.krbtgt.keys, realm.policy.permittedEncTypes);
}

/**
 * The authorization data `draft` will carry: the proposal (AS: the
 * `pacBuilder` PAC when requested; TGS: the evidence ticket's, then the
 * request's), or what the realm's hook makes of it. `undefined` when empty.
 * `pkinit` (AS): the PKINIT logon the PAC records (`PacLogon.pkinit`); kept
 * out of `inputs`, which the hook sees, as it holds the reply key.
 */
export function ticketAuthorizationData(
  realm: Realm,
  draft: TicketDraft,
  inputs: AuthorizationDataInputs,
  pkinit?: PacLogon['pkinit'],
): AuthorizationData | undefined {
  let proposed: AuthorizationData;
  if (draft.exchange === 'AS' && !realm.pacBuilder) {
    // MS-KILE 3.3.5.3 (`pacInEveryTgt`): a TGT carries a PAC even when declined, its
    // PAC_ATTRIBUTES_INFO saying whether the client asked for it (service tickets follow that).
    // An anonymous ticket has no user to describe.
    const isTgt = draft.server.kind === 'krbtgt';
    const anonymous = (draft.flags & TicketFlags.anonymous) !== 0;
    // MS-KILE 3.3.5.3: a service whose account has AuthorizationDataNotRequired gets no PAC.
    const wanted = isTgt
      ? inputs.pacRequested || realm.policy.pacInEveryTgt
      : inputs.pacRequested && !draft.server.authDataNotRequired;
    const pac =
      realm.policy.issuePac && !anonymous && wanted && draft.client !== undefined
        ? buildPac(realm, draft.client, {
            authtime: draft.times.authtime,
            clientName: draft.cname.nameString.join('/'),
            assertedBy: 'authentication-authority',
            ...(inputs.badPasswordCount !== undefined && { badPasswordCount: inputs.badPasswordCount }),
            ...(isTgt && { tgt: { attributes: inputs.pacAttributes } }),
            ...(pkinit !== undefined && { pkinit }),
          })
        : undefined;
    // A service ticket straight from the AS exchange (kadmin/changepw's above all: MS-PAC 4.1.2.1,
    // "domain local group SIDs must be added to the PAC by the KDC for password requests") gets the
    // user's domain-local groups as a service ticket from the TGS does (MS-KILE 3.3.5.7.3).
    const issued =
      pac === undefined || isTgt ? pac : withResourceGroups(realm, pac, draft.client, realm.name);
    proposed = issued === undefined ? NONE : [wrapPac(encodePac(issued))];
  } else if (draft.exchange === 'AS') {
    proposed =
      realm.pacBuilder && inputs.pacRequested && draft.client !== undefined
        ? pacAuthorizationData(
            realm.pacBuilder({
              realm,
              client: draft.client,
              server: draft.server,
              authtime: draft.times.authtime,
              serverKey: draft.serverKey.key,
              kdcKey: kdcKeyFor(realm),
              sessionKey: draft.sessionKey,
            }),
          )
        : NONE;
  } else {
    proposed = [...inputs.fromEvidence, ...inputs.fromRequest];
  }
  const hook = realm.authorizationData;
  const chosen = hook
    ? hook({ realm, ticket: draft, ...inputs, kdcKey: kdcKeyFor(realm), proposed })
    : proposed;
  return chosen.length > 0 ? chosen : undefined;
}

export { NONE as NO_AUTHORIZATION_DATA };
