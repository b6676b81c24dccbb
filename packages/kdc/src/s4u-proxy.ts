/**
 * S4U2Proxy (MS-SFU section 3.2.5.2): a service (Service 1), with its TGT,
 * presents a user's service ticket to itself (the evidence, in
 * additional-tickets, with the cname-in-addl-tkt option) and gets a ticket
 * for that user to another service (Service 2).
 *
 * Allowed when either:
 * - classic constrained delegation: Service 2 is in Service 1's
 *   msDS-AllowedToDelegateTo and the evidence is forwardable;
 * - resource-based constrained delegation: Service 1 is in Service 2's
 *   msDS-AllowedToActOnBehalfOfOtherIdentity; in an AD realm the evidence
 *   may be non-forwardable (an S4U2Self ticket of a service not trusted to
 *   authenticate), an MIT realm takes only forwardable evidence, as MIT's
 *   KDC.
 * Never for a user whose evidence PAC says it cannot be delegated
 * (USER_NOT_DELEGATED, Protected Users), by whatever name the ticket gives
 * the user. Otherwise KDC_ERR_BADOPTION, as Windows answers. A realm that
 * issues no PACs serves no S4U2Proxy from its own TGTs (KDC_ERR_TGT_REVOKED,
 * as MIT's KDC with disable_pac).
 *
 * Across a trust (MS-SFU 3.1.5.2.2 and 3.2.5.2.3), Service 1 of realm A,
 * the user of A, Service 2 of realm B:
 * 1. at A: S4U2Proxy for Service 2, which A refers to B: A answers with a
 *    referral TGT `krbtgt/B@A` that names Service 1 as client, carries the
 *    user's PAC (its PAC_CLIENT_INFO name `user@A`) and is forwardable when
 *    the evidence is, with S4U_DELEGATION_INFO naming Service 2 and Service 1
 *    (MIT adds it at this hop); only when the request asks for
 *    resource-based delegation; nothing else is decided about Service 2,
 *    which A does not hold (a sensitive user is refused already);
 * 2. at B: S4U2Proxy for Service 2 with Service 1's own `krbtgt/B@A` and that
 *    referral as evidence: both must name Service 1, the referral must be
 *    forwardable, its S4U_DELEGATION_INFO must name Service 2 and end with
 *    Service 1, and only resource-based delegation can allow it (Service
 *    2's list names `service1@A`). The ticket names the user of A and
 *    carries the PAC, SID-filtered at the trust, its S4U_DELEGATION_INFO
 *    copied (MS-SFU 3.2.5.2.4: Service 1 is in it already).
 * Within Service 1's realm, the user may be of another realm, reaching
 * Service 1 through a trust (its evidence issued here, its PAC filtered as it
 * crossed): both kinds of delegation serve it, its PAC saying whether it may
 * be delegated. A service of another realm, and any other evidence from
 * another realm, are refused with KDC_ERR_POLICY.
 *
 * @module
 */

import type { EncTicketPart, KdcReqBody, PrincipalName, QualifiedName, Ticket } from '@krbsim/asn1';
import { formatPrincipal, NameType, sameName, TicketFlags } from '@krbsim/asn1';
import { ErrorCode, NtStatus } from '@krbsim/core';
import type { Key } from '@krbsim/crypto';
import { getPacBuffer, type Pac, PacBufferType, UserAccountControl, WellKnownRid } from '@krbsim/pac';
import { SERVICE_AP_REQ } from '@krbsim/service';
import { openAdditionalTicket } from './additional-ticket';
import { findClient } from './find-client';
import { KdcError } from './krb-error';
import { verifiedEvidencePac } from './pac-issuance';
import type { PrincipalEntry } from './principal-db';
import type { Realm } from './realm';
import type { TgsHeader } from './tgs-header';

/** A verified S4U2Proxy request: the user's evidence ticket and the requesting service. */
export interface S4uProxy {
  /**
   * `local`: Service 1 and the evidence are of this realm (the user may be of
   * another, reaching Service 1 through a trust);
   * `from-referral`: the last hop across a trust (MS-SFU 3.2.5.2.3):
   * Service 1 is of the realm that issued both its TGT and the evidence, a
   * referral TGT carrying the user's PAC.
   */
  readonly kind: 'local' | 'from-referral';
  /** The evidence ticket (the user's ticket to Service 1, or the referral TGT), decrypted. */
  readonly evidence: EncTicketPart;
  /** Service 1, the requester. */
  readonly requesterName: QualifiedName;
  /** Service 1's account, when of this realm. */
  readonly requester: PrincipalEntry | undefined;
  /** The user whose ticket is asked for. */
  readonly userName: QualifiedName;
  /** The user, when an account of this realm. */
  readonly user: PrincipalEntry | undefined;
  /**
   * The user may not be delegated, as the evidence's PAC says: USER_NOT_DELEGATED (sensitive),
   * or in Protected Users (`delegation.ts`).
   */
  readonly notDelegated: boolean;
  /** The key that decrypted the evidence (its PAC's server signature). */
  readonly evidenceKey: Key;
  /** The user's PAC, verified: the evidence's, or the referral's, which names the user. */
  readonly pac: Pac;
}

/** Throws a KdcError; declared as a function so that a call narrows like a `throw` does. */
function proxyFail(code: number, message: string, ntStatus?: number): never {
  throw new KdcError(code, message, { ...(ntStatus !== undefined && { ntStatus }) });
}

/**
 * MIT 1.20's `disable_pac` (krbsim: `issuePac` false): "S4U2Self and S4U2Proxy operations will be
 * disabled", since without PACs nothing tells a user's ticket the KDC issued from one a service
 * sealed itself, under its own key, in anyone's name. MIT's KDC refuses them because the header
 * TGT carries no PAC (check_tgs_s4u2self's S4U2SELF_NO_PAC, check_tgs_s4u2proxy's
 * S4U2PROXY_NO_HEADER_PAC: KDC_ERR_TGT_REVOKED), which no TGT of a realm without PACs does; a
 * cross-realm TGT from a realm that issues them (the referral of a cross-realm S4U2Self's last
 * hop, Service 1's TGT at a cross-realm S4U2Proxy's) carries its issuer's PAC, verified with the
 * inter-realm key, and MIT serves it (the ticket gets no PAC).
 */
export function refuseS4uWithoutPacs(realm: Realm, h: TgsHeader, what: 'S4U2Self' | 'S4U2Proxy'): void {
  if (realm.policy.issuePac) return;
  // MIT's get_verified_pac.
  const across = h.kind === 'cross-realm-tgt';
  if (across && verifiedEvidencePac(realm, h.tgt, h.ticketKey, { issuedHere: false, what: 'the TGT' }))
    return;
  proxyFail(
    ErrorCode.KDC_ERR_TGT_REVOKED,
    `${what} needs a TGT that carries a PAC, and ${realm.name} issues no PACs (issuePac false, MIT's disable_pac): S4U2Self and S4U2Proxy are disabled`,
  );
}

/**
 * MIT's check_tgs_s4u2proxy (EVIDENCE_TKT_NOT_FORWARDABLE): an MIT realm takes only forwardable
 * evidence, resource-based delegation included (MIT's S4U2Self tickets are forwardable unless the
 * service has classic targets without ok_to_auth_as_delegate). An AD realm decides later, by the
 * kind of delegation (MS-SFU 3.2.5.2.1, 3.2.5.2.3).
 */
function checkMitEvidenceForwardable(realm: Realm, evidence: EncTicketPart): void {
  if (realm.kind !== 'mit' || (evidence.flags & TicketFlags.forwardable) !== 0) return;
  proxyFail(ErrorCode.KDC_ERR_BADOPTION, 'S4U2Proxy: the evidence ticket is not forwardable');
}

/** Decrypt and check the evidence ticket of a cname-in-addl-tkt request. */
export function s4uProxyEvidence(realm: Realm, body: KdcReqBody, h: TgsHeader, now: number): S4uProxy {
  const second = body.additionalTickets?.[0];
  if (second === undefined) {
    proxyFail(
      ErrorCode.KDC_ERR_BADOPTION,
      "S4U2Proxy (cname-in-addl-tkt) needs the user's service ticket in additional-tickets",
    );
  }
  if (
    h.kind === 'cross-realm-tgt' &&
    second.realm === h.issuingRealm &&
    sameName(second.sname, h.ticket.sname)
  ) {
    return evidenceFromReferral(realm, second, h, now, body.sname);
  }
  const requester = h.tgt.crealm === realm.name ? realm.db.get(h.tgt.cname, realm.name) : undefined;
  if (requester === undefined || second.realm !== realm.name) {
    proxyFail(
      ErrorCode.KDC_ERR_POLICY,
      `S4U2Proxy for ${formatPrincipal(h.tgt.cname, h.tgt.crealm)} with evidence from ${second.realm}: across realms, only the referral TGT of MS-SFU 3.2.5.2.3 (krbtgt/${realm.name}@${h.issuingRealm}) is evidence`,
    );
  }
  // The evidence must be a ticket to the requester itself, under one of its keys.
  const named = realm.db.get(second.sname, realm.name);
  if (named !== requester) {
    proxyFail(
      ErrorCode.KDC_ERR_BADOPTION,
      `S4U2Proxy: the evidence ticket is for ${formatPrincipal(second.sname, second.realm)}, not for ${formatPrincipal(requester.name, realm.name)}`,
    );
  }
  const {
    ticket: evidence,
    serverKey: { key: evidenceKey },
  } = openAdditionalTicket(
    realm,
    second,
    { keys: requester.keys, rules: SERVICE_AP_REQ, what: 'the evidence ticket' },
    now,
  );
  checkMitEvidenceForwardable(realm, evidence);
  refuseS4uWithoutPacs(realm, h, 'S4U2Proxy');
  // The evidence's PAC, verified as this realm's, is what says whether the user may be delegated
  // (MS-SFU 3.2.5.2.1, 3.2.5.2.3: USER_NOT_DELEGATED, Protected Users), whatever name the ticket
  // gives the user (an enterprise name, another case) and wherever the user is from: a user of
  // another realm reached Service 1 through a trust, and this realm issued the evidence with the
  // user's PAC as it crossed.
  const pac = evidencePac(realm, evidence, evidenceKey);
  const local = realm.isNamed(evidence.crealm);
  return {
    kind: 'local',
    evidence,
    requesterName: { name: requester.name, realm: realm.name },
    requester,
    userName: { name: evidence.cname, realm: evidence.crealm },
    // Found as the AS exchange and S4U2Self find a client (an enterprise name by its UPN).
    user: local ? findClient(realm, evidence.cname) : undefined,
    notDelegated: pacSaysNotDelegated(pac),
    evidenceKey,
    pac,
  };
}

/**
 * The PAC of the evidence, verified as this realm's with its ticket signature (the ticket is made
 * from it without verifying it again). Evidence without one is refused (MIT's
 * S4U2PROXY_NO_STKT_PAC): a ticket a service sealed itself, under its own key, has none.
 */
function evidencePac(realm: Realm, evidence: EncTicketPart, key: Key): Pac {
  return (
    verifiedEvidencePac(realm, evidence, key, {
      issuedHere: true,
      signedTicket: true,
      what: 'the evidence ticket',
    }) ?? proxyFail(ErrorCode.KRB_AP_ERR_MODIFIED, 'the evidence ticket carries no PAC')
  );
}

/**
 * Whether the user's PAC says the user may not be delegated (MS-SFU 3.2.5.2.1):
 * USER_NOT_DELEGATED in its KERB_VALIDATION_INFO's UserAccountControl, or Protected Users
 * (RID 525) of the user's domain among its groups.
 */
function pacSaysNotDelegated(pac: Pac): boolean {
  const info = getPacBuffer(pac, PacBufferType.LOGON_INFO);
  if (info === undefined) return false;
  if ((info.userAccountControl & UserAccountControl.USER_NOT_DELEGATED) !== 0) return true;
  return info.groupIds.some((g) => g.relativeId === WellKnownRid.PROTECTED_USERS);
}

/**
 * MS-SFU 3.2.5.2.3, at Service 2's KDC: the evidence is a referral TGT from
 * the realm of Service 1, under the same inter-realm key as Service 1's own
 * TGT, naming Service 1 as client ("cname in the encrypted part of both
 * TGTs match") and carrying the user's PAC, whose PAC_CLIENT_INFO names the
 * user as `user@REALM`. It must be forwardable, and its PAC's S4U_DELEGATION_INFO, which Service
 * 1's KDC added when it made the referral, must bind it to this request (MIT's verify_deleg_pac):
 * its S4U2proxyTarget the service asked for (`target`), its last transited service Service 1.
 */
function evidenceFromReferral(
  realm: Realm,
  second: Ticket,
  h: TgsHeader,
  now: number,
  target: PrincipalName | undefined,
): S4uProxy {
  const {
    ticket: evidence,
    serverKey: { key: evidenceKey },
  } = openAdditionalTicket(
    realm,
    second,
    // Sealed in the inter-realm key, as the header: its kvno is read as the header's was.
    { keys: h.server.keys, rules: SERVICE_AP_REQ, what: 'the evidence ticket', interRealm: true },
    now,
  );
  const requesterName = { name: h.tgt.cname, realm: h.tgt.crealm };
  if (!sameName(evidence.cname, h.tgt.cname) || evidence.crealm !== h.tgt.crealm) {
    proxyFail(
      ErrorCode.KDC_ERR_BADOPTION,
      `S4U2Proxy: the referral TGT was issued to ${formatPrincipal(evidence.cname, evidence.crealm)}, not to ${formatPrincipal(requesterName.name, requesterName.realm)}, who presents it`,
    );
  }
  if ((evidence.flags & TicketFlags.forwardable) === 0) {
    proxyFail(
      ErrorCode.KDC_ERR_BADOPTION,
      'S4U2Proxy: the referral TGT is not forwardable (MS-SFU 3.2.5.2.3)',
      NtStatus.STATUS_ACCOUNT_RESTRICTION,
    );
  }
  refuseS4uWithoutPacs(realm, h, 'S4U2Proxy');
  const pac =
    verifiedEvidencePac(realm, evidence, evidenceKey, { issuedHere: false, what: 'the referral TGT' }) ??
    proxyFail(ErrorCode.KDC_ERR_BADOPTION, 'S4U2Proxy: the referral TGT carries no PAC naming the user');
  const named = getPacBuffer(pac, PacBufferType.CLIENT_INFO)?.name ?? '';
  const at = named.lastIndexOf('@');
  const userRealm = named.slice(at + 1);
  if (at <= 0 || userRealm.toUpperCase() !== h.issuingRealm.toUpperCase()) {
    proxyFail(
      ErrorCode.KDC_ERR_BADOPTION,
      `S4U2Proxy: the referral TGT's PAC names ${named === '' ? 'nobody' : named}, not a user of ${h.issuingRealm}`,
    );
  }
  // `alice@A`, or an enterprise name `alice@contoso.com@A` (MS-SFU 2.2.2: kept as the service gave it).
  const user = named.slice(0, at);
  const userName: QualifiedName = {
    name: user.includes('@')
      ? { nameType: NameType.NT_ENTERPRISE, nameString: [user] }
      : { nameType: NameType.NT_PRINCIPAL, nameString: user.split('/') },
    realm: h.issuingRealm,
  };
  checkReferralDelegationInfo(realm, pac, target, requesterName);
  return {
    kind: 'from-referral',
    evidence,
    requesterName,
    requester: undefined,
    userName,
    user: undefined,
    // The user's realm judged delegation when it made the referral forwardable, or not.
    notDelegated: false,
    evidenceKey,
    pac,
  };
}

/**
 * The referral's S4U_DELEGATION_INFO (MS-PAC 2.9), as MIT's verify_deleg_pac reads it at the last
 * hop of a cross-realm S4U2Proxy: it must be there (Service 1's KDC adds it to the referral, MS-SFU
 * 3.2.5.2.4), name as S4U2proxyTarget the service this request asks for (its name without realm),
 * and end its S4UTransitedServices with Service 1 (`name@REALM`), the client of both TGTs. A
 * referral got for one target is thus no evidence for another, nor in another service's hands. Else
 * KDC_ERR_BADOPTION (MIT's S4U2PROXY_CROSS_STKT_PAC). Names compare as the realm compares them.
 */
function checkReferralDelegationInfo(
  realm: Realm,
  pac: Pac,
  target: PrincipalName | undefined,
  requester: QualifiedName,
): void {
  const info = getPacBuffer(pac, PacBufferType.DELEGATION_INFO);
  const fold = (s: string) => (realm.policy.caseInsensitiveNames ? s.toLowerCase() : s);
  const asked = target === undefined ? '' : target.nameString.join('/');
  const service = formatPrincipal(requester.name, requester.realm);
  const why =
    info === undefined
      ? 'carries no S4U_DELEGATION_INFO'
      : fold(info.s4u2proxyTarget) !== fold(asked)
        ? `was issued for ${info.s4u2proxyTarget}, not ${asked}`
        : fold(info.s4uTransitedServices.at(-1) ?? '') !== fold(service)
          ? `names ${info.s4uTransitedServices.at(-1) ?? 'no service'} as the last transited service, not ${service}`
          : undefined;
  if (why !== undefined) {
    proxyFail(ErrorCode.KDC_ERR_BADOPTION, `S4U2Proxy: the referral TGT's PAC ${why}`);
  }
}

/** Whether `list` (msDS-AllowedToActOnBehalfOfOtherIdentity) names the requester, by any of its names when local. */
function namesRequester(list: readonly QualifiedName[], p: S4uProxy, caseInsensitive: boolean): boolean {
  const names =
    p.requester !== undefined ? [p.requester.name, ...p.requester.aliases] : [p.requesterName.name];
  return list.some(
    (q) => q.realm === p.requesterName.realm && names.some((m) => sameName(q.name, m, caseInsensitive)),
  );
}

/**
 * At Service 1's KDC, S4U2Proxy for a service this realm refers to another
 * (MS-SFU 3.2.5.2.3): only from local evidence (a referral is not passed on
 * a second time), never for a sensitive user, and only when the request
 * asks for resource-based delegation with PA-PAC-OPTIONS: only Service 2's
 * resource-based list can allow it, and classic delegation (MS-SFU
 * 3.2.5.2.1, the one a request without the bit asks for) stays within a
 * realm, so without the bit KDC_ERR_BADOPTION, STATUS_NOT_SUPPORTED or
 * STATUS_NO_MATCH as 3.2.5.2.1 says (MIT's check_s4u2proxy_policy:
 * UNSUPPORTED_S4U2PROXY_REQUEST, "the client must support RBCD for a
 * referral to be useful"). Whether Service 1 may reach Service 2 is for
 * Service 2's KDC to say. Throws KDC_ERR_BADOPTION or KDC_ERR_POLICY.
 */
export function checkS4uProxyReferral(
  realm: Realm,
  p: S4uProxy,
  opts: { readonly resourceBasedAsked: boolean },
): void {
  if (p.kind !== 'local') {
    proxyFail(
      ErrorCode.KDC_ERR_POLICY,
      'S4U2Proxy: a referral TGT is evidence only at the KDC of the service asked for',
    );
  }
  // MS-SFU 3.2.5.2.3's referral carries a user of Service 1's realm, which the next KDC checks.
  if (p.userName.realm !== realm.name) {
    proxyFail(
      ErrorCode.KDC_ERR_POLICY,
      `S4U2Proxy across a trust for ${formatPrincipal(p.userName.name, p.userName.realm)}, a user of a realm other than ${realm.name}, is not supported by this KDC`,
    );
  }
  if (p.notDelegated) {
    proxyFail(
      ErrorCode.KDC_ERR_BADOPTION,
      `S4U2Proxy: ${formatPrincipal(p.userName.name, p.userName.realm)} is sensitive and cannot be delegated`,
    );
  }
  if (!opts.resourceBasedAsked) {
    const classic = p.requester?.allowedToDelegateTo ?? [];
    proxyFail(
      ErrorCode.KDC_ERR_BADOPTION,
      `S4U2Proxy: the service is in another realm, which only resource-based delegation reaches, and the request did not ask for it with PA-PAC-OPTIONS`,
      classic.length === 0 ? NtStatus.STATUS_NOT_SUPPORTED : NtStatus.STATUS_NO_MATCH,
    );
  }
}

/**
 * Whether Service 1 may reach `target` on the user's behalf, and how
 * (see the module comment), asked for as `sname`. Throws KDC_ERR_BADOPTION
 * when it may not. Resource-based delegation is tried only when the request
 * asked for it with PA-PAC-OPTIONS (`resourceBasedAsked`, MS-SFU 3.2.5.2.1):
 * without the bit, a target outside the classic list, or a forwardable
 * evidence ticket missing, is refused at once.
 */
export function checkS4uProxy(
  p: S4uProxy,
  target: PrincipalEntry,
  sname: PrincipalName,
  opts: {
    readonly resourceBasedAsked: boolean;
    /** Names in the lists match without regard to case (AD: `caseInsensitiveNames`). */
    readonly caseInsensitiveNames: boolean;
  },
): 'constrained' | 'resource-based' {
  const { resourceBasedAsked, caseInsensitiveNames } = opts;
  const forwardable = (p.evidence.flags & TicketFlags.forwardable) !== 0;
  const who = formatPrincipal(p.requesterName.name, p.requesterName.realm);
  const to = formatPrincipal(target.name, target.realm);
  if (p.notDelegated) {
    throw new KdcError(
      ErrorCode.KDC_ERR_BADOPTION,
      `S4U2Proxy: ${formatPrincipal(p.userName.name, p.userName.realm)} is sensitive and cannot be delegated`,
    );
  }
  // Classic delegation lists SPNs: the one asked for must be there, not merely another name of
  // the same account. Resource-based delegation lists accounts.
  // Across a trust only the target's list can allow it (MS-SFU 3.2.5.2.1 is for one realm).
  // The NTSTATUS of each refusal is MS-SFU's (3.2.5.2.1 and 3.2.5.2.3).
  const classic = p.requester?.allowedToDelegateTo ?? [];
  if (classic.some((n) => sameName(n, sname, caseInsensitiveNames))) {
    if (forwardable) return 'constrained';
    if (!resourceBasedAsked) {
      proxyFail(
        ErrorCode.KDC_ERR_BADOPTION,
        `S4U2Proxy: the evidence ticket is not forwardable, which constrained delegation from ${who} requires`,
        NtStatus.STATUS_NO_MATCH,
      );
    }
  } else if (!resourceBasedAsked) {
    proxyFail(
      ErrorCode.KDC_ERR_BADOPTION,
      `S4U2Proxy: ${who} may not delegate to ${to} (its allowed-to-delegate-to list does not name it, and the request did not ask for resource-based delegation with PA-PAC-OPTIONS)`,
      classic.length === 0 ? NtStatus.STATUS_NOT_SUPPORTED : NtStatus.STATUS_NO_MATCH,
    );
  }
  if (namesRequester(target.allowedToActOnBehalfOf, p, caseInsensitiveNames)) return 'resource-based';
  return proxyFail(
    ErrorCode.KDC_ERR_BADOPTION,
    `S4U2Proxy: ${who} may not delegate to ${to} (neither its allowed-to-delegate-to list nor the target's resource-based list names it)`,
    NtStatus.STATUS_NOT_FOUND,
  );
}
