/**
 * The Ticket-Granting Service exchange: RFC 4120 section 3.3 (3.3.2 receipt,
 * 3.3.3 generation of the reply, 3.3.3.1 RENEW/VALIDATE, 3.3.3.2 transited),
 * with referrals per RFC 6806 and MS-KILE, and the trust rules of
 * `trust-graph.ts` applied to every cross-realm TGT.
 *
 * Transit policy: the path a cross-realm TGT travelled (client realm,
 * transited realms, issuing realm, this realm) must be an allowed trust path,
 * else KDC_ERR_POLICY (MIT's `reject_bad_transit` answer). The check always
 * runs, so DISABLE-TRANSITED-CHECK (which RFC 4120 section 2.7 lets a KDC
 * honour or not) cannot bypass trust direction or transitivity; a checked
 * ticket carries TRANSITED-POLICY-CHECKED. A request with the option is
 * refused with KDC_ERR_POLICY, as MIT's KDC refuses it, where the realm
 * `refuseDisableTransitedCheck`; an AD realm serves it as any other, as a DC
 * that checks no path (MS-KILE 3.1.5.4) does.
 *
 * @module
 */

import type { AuthorizationData, EncKdcRepPart, EncTicketPart, KdcReq, PrincipalName } from '@krbsim/asn1';
import {
  AdType,
  addTransited,
  decodeAuthorizationData,
  encodeTgsRep,
  formatPrincipal,
  KdcOptions,
  krbtgtName,
  PacOptions,
  TicketFlags,
  transitedRealms,
} from '@krbsim/asn1';
import { ErrorCode, isKerberosError } from '@krbsim/core';
import { decrypt, KeyUsage } from '@krbsim/crypto';
import {
  getPacBuffer,
  hasTicketSignature,
  type Pac,
  PacAttributesFlags,
  PacBufferType,
  withoutPac,
} from '@krbsim/pac';
import { disabledServerRefusal, expiryRefusal, standingRefusal } from './account-standing';
import { NO_AUTHORIZATION_DATA, ticketAuthorizationData } from './authorization-data';
import { cannotBeDelegated, withoutDelegationFlags } from './delegation';
import { type ExchangeResult, naming, runIssuancePolicy } from './exchange';
import type { FastRequest } from './fast-armor';
import { armoredError, fastReplyPadata, strengthenReplyKey, visibleClient } from './fast-reply';
import { issueTicket, newSessionKey, sealReplyPart, type TicketDraft } from './issue';
import { etypeNoSupp, fromEncryptionKey, sessionKeyEtype, ticketKey } from './keys';
import { KdcError } from './krb-error';
import { accountOf, accountSid, buildPac } from './pac-builder';
import {
  filterAtTrust,
  hasPacToLose,
  type SidFilterReport,
  serviceTicketPac,
  signIssuedPac,
  verifiedEvidencePac,
  withDelegationInfo,
  withResourceGroups,
  withUnsignedPac,
} from './pac-issuance';
import type { S4uSelf } from './padata/handler';
import { runPadata, type TgsPadataHandler, type TgsRequestState } from './padata/handler';
import { pacOptionsReply } from './padata/pac-options';
import { TGS_PADATA_HANDLERS } from './padata/registry';
import { s4uX509Reply } from './padata/s4u';
import { supportedEnctypesPadata } from './padata/supported-enctypes';
import type { PrincipalEntry } from './principal-db';
import type { Realm } from './realm';
import { type ResolvedServer, resolveServer } from './referral';
import {
  checkForUserPac,
  forUserClientName,
  referralForUserFlags,
  type S4uSelfStep,
  s4uSelfStep,
  withClientName,
} from './s4u-cross-realm';
import {
  checkS4uProxy,
  checkS4uProxyReferral,
  refuseS4uWithoutPacs,
  type S4uProxy,
  s4uProxyEvidence,
} from './s4u-proxy';
import {
  checkAllowedToAuthenticate,
  crossesSelectiveTrust,
  refuseWithoutPac,
} from './selective-authentication';
import { checkTicketAddresses, senderAddress } from './sender-address';
import { FAST_MARKS, nonTgtOptions, originRealm, type TgsHeader } from './tgs-header';
import { okAsDelegate } from './tgt-delegation';
import { starttimeField, tgsTicketTimes } from './ticket-times';
import { checkPath } from './trust-graph';
import { checkUserToUserServer, userToUser } from './user-to-user';

const has = (options: number, flag: number): boolean => (options & flag) !== 0;

/**
 * KDC options an S4U2Self request may not carry: MIT's AS_INVALID_OPTIONS,
 * but for ENC-TKT-IN-SKEY in an AD realm, where a Windows DC serves S4U2Self
 * with user-to-user (what Impacket's getPac does to read a user's PAC).
 */
function s4uSelfInvalidOptions(realm: Realm): number {
  return (
    KdcOptions.forwarded |
    KdcOptions.proxy |
    KdcOptions.validate |
    KdcOptions.renew |
    KdcOptions['constrained-delegation'] |
    (realm.kind === 'active-directory' ? 0 : KdcOptions['enc-tkt-in-skey'])
  );
}

/** KDC options an S4U2Proxy request may not carry (MIT's INVALID_S4U2PROXY_OPTIONS). */
const S4U_PROXY_INVALID_OPTIONS =
  KdcOptions.renew | KdcOptions.validate | KdcOptions.forwarded | KdcOptions.proxy;

/** The realms the client has crossed to reach this KDC: its own realm first, this realm last. */
function travelledPath(realm: Realm, h: TgsHeader): string[] {
  const crealm = originRealm(h);
  if (crealm === realm.name) return [crealm];
  const transited = transitedRealms(h.tgt.transited);
  const path = [crealm, ...(crealm === h.tgt.crealm ? transited : transited.slice(1))];
  if (h.issuingRealm !== crealm && h.issuingRealm !== realm.name) path.push(h.issuingRealm);
  path.push(realm.name);
  return path;
}

/** The path check of a cross-realm request (see the module notes). */
function checkTransit(realm: Realm, h: TgsHeader): void {
  if (originRealm(h) === realm.name) return;
  const path = travelledPath(realm, h);
  const why = checkPath(realm, path);
  if (why !== undefined) {
    throw new KdcError(ErrorCode.KDC_ERR_POLICY, `transited path ${path.join(' -> ')} refused: ${why}`);
  }
}

/**
 * RENEW and VALIDATE give the presented ticket again (RFC 4120 section 3.3.3.1), its flags and
 * addresses as they were; an option asked beside them is still held to the ticket's flags, as MIT's
 * check_tgs_opts and Heimdal's check_tgs_flags hold it: FORWARDED needs FORWARDABLE, PROXY
 * PROXIABLE, ALLOW-POSTDATE and POSTDATED MAY-POSTDATE (KDC_ERR_BADOPTION). Otherwise a renewal
 * asking FORWARDED without addresses would free a ticket from the addresses it is bound to.
 */
function checkOptionsBesideSameTicket(opts: number, h: TgsHeader): void {
  const rules: readonly [option: number, needs: number, name: string, flag: string][] = [
    [KdcOptions.forwarded, TicketFlags.forwardable, 'FORWARDED', 'forwardable'],
    [KdcOptions.proxy, TicketFlags.proxiable, 'PROXY', 'proxiable'],
    [KdcOptions['allow-postdate'], TicketFlags['may-postdate'], 'ALLOW-POSTDATE', 'postdatable'],
    [KdcOptions.postdated, TicketFlags['may-postdate'], 'POSTDATED', 'postdatable'],
  ];
  for (const [option, needs, name, flag] of rules) {
    if (has(opts, option) && !(h.tgt.flags & needs)) {
      throw new KdcError(
        ErrorCode.KDC_ERR_BADOPTION,
        `${name} requested but the ${presented(h)} is not ${flag}`,
      );
    }
  }
}

/** "TGT" or "ticket": what the header is, for a refusal's text. */
const presented = (h: TgsHeader): string => (h.kind === 'service-ticket' ? 'ticket' : 'TGT');

/**
 * Flags of the new ticket from the TGT and the options (RFC 4120 section 3.3.3). FORWARDABLE,
 * PROXIABLE or RENEWABLE asked with a TGT without that flag: an MIT realm issues the ticket without it, as MIT's
 * KDC 1.20 does (get_ticket_flags; an account whose TGTs are never forwardable still gets service
 * tickets from a client that always asks, as Impacket's getST does); an AD realm refuses with
 * KDC_ERR_BADOPTION, as a Samba AD DC does.
 */
function ticketFlags(
  realm: Realm,
  req: KdcReq,
  h: TgsHeader,
  server: ResolvedServer,
  timeFlags: number,
): number {
  const opts = req.reqBody.kdcOptions;
  const tf = h.tgt.flags;
  const bad = (msg: string): never => {
    throw new KdcError(ErrorCode.KDC_ERR_BADOPTION, msg);
  };
  if (has(opts, KdcOptions.renew) || has(opts, KdcOptions.validate)) {
    // The same ticket again: keep its flags, drop INVALID once validated.
    return ((tf & ~TicketFlags.invalid) | TicketFlags['transited-policy-checked']) >>> 0;
  }
  let f = timeFlags;
  const isTgs = server.entry.kind === 'krbtgt';
  const quietlyWithheld = realm.kind === 'mit';
  if (has(opts, KdcOptions.forwardable)) {
    if (tf & TicketFlags.forwardable) f |= TicketFlags.forwardable;
    else if (!quietlyWithheld) bad(`FORWARDABLE requested but the ${presented(h)} is not forwardable`);
  }
  // RENEWABLE's flag comes with the times (ticket-times.ts); only the refusal is here.
  if (has(opts, KdcOptions.renewable) && !(tf & TicketFlags.renewable) && !quietlyWithheld) {
    bad(`RENEWABLE requested but the ${presented(h)} is not renewable`);
  }
  if (has(opts, KdcOptions.forwarded)) {
    if (!(tf & TicketFlags.forwardable))
      bad(`FORWARDED requested but the ${presented(h)} is not forwardable`);
    f |= TicketFlags.forwarded;
  }
  if (tf & TicketFlags.forwarded) f |= TicketFlags.forwarded;
  if (has(opts, KdcOptions.proxiable)) {
    if (tf & TicketFlags.proxiable) f |= TicketFlags.proxiable;
    else if (!quietlyWithheld) bad(`PROXIABLE requested but the ${presented(h)} is not proxiable`);
  }
  if (has(opts, KdcOptions.proxy)) {
    if (!(tf & TicketFlags.proxiable)) bad(`PROXY requested but the ${presented(h)} is not proxiable`);
    if (isTgs) bad('a proxy ticket cannot be a ticket-granting ticket');
    f |= TicketFlags.proxy;
  }
  if (tf & TicketFlags.proxy) f |= TicketFlags.proxy;
  f |= tf & (TicketFlags['pre-authent'] | TicketFlags['hw-authent'] | TicketFlags.anonymous);
  f |= TicketFlags['transited-policy-checked'];
  if (okAsDelegate(realm, h, server.entry)) f |= TicketFlags['ok-as-delegate'];
  // Bit 15: MIT's get_ticket_flags sets TKT_FLG_ENC_PA_REP in every ticket (`encPaRepInEveryTicket`);
  // MS-KILE's name-canonicalize is set in referral TGTs, otherwise only when the client asked.
  if (
    realm.policy.encPaRepInEveryTicket ||
    has(opts, KdcOptions.canonicalize) ||
    server.referralTo !== undefined
  )
    f |= TicketFlags['name-canonicalize'];
  return f >>> 0;
}

/**
 * RENEW and VALIDATE give back the presented ticket, so the request must name
 * that ticket's server (RFC 4120 section 3.3.2): a renewal that named another
 * server would otherwise be answered with a ticket for a server the client did
 * not ask for. KDC_ERR_SERVER_NOMATCH, as MIT answers; any name of the same
 * principal (an alias, another name type) will do. `what` says which options
 * return the presented ticket (MIT's NON_TGT_OPTION: also FORWARDED and PROXY
 * where the realm `forwardsPresentedTicket`).
 */
function checkRenewedServer(
  realm: Realm,
  body: KdcReq['reqBody'],
  h: TgsHeader,
  what = 'RENEW and VALIDATE return',
): void {
  if (body.sname === undefined) {
    throw new KdcError(ErrorCode.KDC_ERR_S_PRINCIPAL_UNKNOWN, 'the request names no server');
  }
  if (realm.db.get(body.sname, realm.name) !== h.server) {
    throw new KdcError(
      ErrorCode.KDC_ERR_SERVER_NOMATCH,
      `${what} the presented ticket, which is for ${formatPrincipal(h.ticket.sname, h.ticket.realm)}, not ${formatPrincipal(body.sname, realm.name)}`,
    );
  }
}

/**
 * FORWARDED and PROXY where the realm `forwardsPresentedTicket` (MIT's check_tgs_opts, then
 * check_tgs_nontgt): the presented ticket, a TGT or a service ticket, must be forwardable (proxiable),
 * else KDC_ERR_BADOPTION; the request must name its server, else KDC_ERR_SERVER_NOMATCH; and a TGT is
 * never proxied (KDC_ERR_BADOPTION), so PROXY from a TGT never succeeds.
 */
function checkForwardedTicket(realm: Realm, body: KdcReq['reqBody'], h: TgsHeader): void {
  const opts = body.kdcOptions;
  const bad = (msg: string): never => {
    throw new KdcError(ErrorCode.KDC_ERR_BADOPTION, msg);
  };
  if (has(opts, KdcOptions.forwarded) && !(h.tgt.flags & TicketFlags.forwardable))
    bad(`FORWARDED requested but the ${presented(h)} is not forwardable`);
  if (has(opts, KdcOptions.proxy) && !(h.tgt.flags & TicketFlags.proxiable))
    bad(`PROXY requested but the ${presented(h)} is not proxiable`);
  checkRenewedServer(realm, body, h, 'FORWARDED and PROXY forward');
  if (has(opts, KdcOptions.proxy) && h.server.kind === 'krbtgt')
    bad('a proxy ticket cannot be a ticket-granting ticket');
}

/**
 * MS-SFU 3.2.5.1.2: an S4U2Self ticket is for the requesting service itself
 * (any of its names). Another server is KDC_ERR_BADOPTION.
 */
function checkS4uSelfServer(
  realm: Realm,
  h: TgsHeader,
  server: PrincipalEntry | undefined,
  sname: PrincipalName,
): void {
  const requester = h.tgt.crealm === realm.name ? realm.db.get(h.tgt.cname, realm.name) : undefined;
  if (requester === undefined || requester !== server) {
    throw new KdcError(
      ErrorCode.KDC_ERR_BADOPTION,
      `S4U2Self: ${formatPrincipal(h.tgt.cname, h.tgt.crealm)} may ask only for a ticket to itself, not to ${formatPrincipal(sname, realm.name)}`,
    );
  }
}

/**
 * The flags of an S4U2Self ticket (MS-SFU 3.2.5.1.2), FORWARDABLE decided by the service's
 * TrustedToAuthForDelegation and ServicesAllowedToSendForwardedTicketsTo (its classic delegation
 * targets, msDS-AllowedToDelegateTo):
 * - trusted: forwardable ("TRUE: the KDC MUST set the FORWARDABLE ticket flag"), in an AD realm
 *   asked for or not, in an MIT realm when asked for with a forwardable TGT (MIT's flags follow
 *   the request, then s4u2self_forwardable keeps them for ok_to_auth_as_delegate);
 * - not trusted, with classic targets: never ("FALSE and ServicesAllowedToSendForwardedTicketsTo
 *   is nonempty: the KDC MUST NOT set" it; MIT's s4u2self_forwardable clears it);
 * - not trusted, without: as any ticket from the TGT (forwardable when asked for with a
 *   forwardable TGT), as a DC issues it (Samba's s4u_tests, run against Windows:
 *   test_s4u2self_not_trusted_empty_allowed) and MIT's KDC.
 * Never for a user who cannot be delegated (MS-SFU 3.2.5.1.2's DelegationNotAllowed); for a user
 * of another realm, only when the user's realm made the referral forwardable, which it does not
 * for such a user.
 */
function s4uSelfFlags(
  realm: Realm,
  req: KdcReq,
  h: TgsHeader,
  server: PrincipalEntry,
  s4u: S4uSelf,
  timeFlags: number,
): number {
  const withoutForwardable = {
    ...req,
    reqBody: { ...req.reqBody, kdcOptions: req.reqBody.kdcOptions & ~KdcOptions.forwardable },
  };
  const f = ticketFlags(realm, withoutForwardable, h, { entry: server, sname: server.name }, timeFlags);
  const tgtForwardable = (h.tgt.flags & TicketFlags.forwardable) !== 0;
  const delegable = s4u.user !== undefined ? !cannotBeDelegated(realm, s4u.user) : tgtForwardable;
  const asAnyTicket = has(req.reqBody.kdcOptions, KdcOptions.forwardable) && tgtForwardable;
  const trusted = server.trustedToAuthForDelegation;
  const forwardable =
    delegable &&
    (trusted
      ? realm.kind === 'active-directory' || asAnyTicket
      : server.allowedToDelegateTo.length === 0 && asAnyTicket);
  return (forwardable ? f | TicketFlags.forwardable : f) >>> 0;
}

/**
 * The flags of an S4U2Proxy ticket: in an AD realm forwardable (MS-SFU 3.2.5.2.4: "The forwardable
 * flag will be set in the service ticket", 4.3), else as any ticket from the TGT; in an MIT realm
 * as any ticket from the TGT, FORWARDABLE included (MIT's get_ticket_flags reads the request and
 * the header TGT, not the evidence).
 */
function s4uProxyFlags(
  realm: Realm,
  req: KdcReq,
  h: TgsHeader,
  server: ResolvedServer,
  timeFlags: number,
): number {
  if (realm.kind === 'mit') return ticketFlags(realm, req, h, server, timeFlags);
  const withoutForwardable = {
    ...req,
    reqBody: { ...req.reqBody, kdcOptions: req.reqBody.kdcOptions & ~KdcOptions.forwardable },
  };
  return (ticketFlags(realm, withoutForwardable, h, server, timeFlags) | TicketFlags.forwardable) >>> 0;
}

/** The flags of an S4U2Proxy referral: forwardable when the evidence is, whatever was asked (MS-SFU 3.2.5.2.3). */
function proxyReferralFlags(
  realm: Realm,
  req: KdcReq,
  h: TgsHeader,
  server: ResolvedServer,
  timeFlags: number,
  evidence: EncTicketPart,
): number {
  const f = s4uProxyFlags(realm, req, h, server, timeFlags);
  return ((evidence.flags & TicketFlags.forwardable) !== 0 ? f : f & ~TicketFlags.forwardable) >>> 0;
}

/**
 * The evidence's authorization data as the new ticket inherits it (RFC 4120
 * section 3.3.3), its PAC verified and rewritten as `pac-issuance.ts`
 * describes when the realm issues PACs: an S4U2Self ticket carries the
 * user's PAC, not the service's TGT's; an S4U2Proxy ticket the evidence
 * ticket's, with S4U_DELEGATION_INFO.
 */
function evidenceAuthorizationData(
  realm: Realm,
  h: TgsHeader,
  draft: TicketDraft,
  x: {
    s4u: S4uSelf | undefined;
    step: S4uSelfStep | undefined;
    proxy: S4uProxy | undefined;
    /** The server the request names (S4U2Proxy's Service 2, whatever the ticket is for). */
    target: PrincipalName | undefined;
  },
  filtered: { report?: SidFilterReport },
): AuthorizationData {
  const evidence = x.proxy?.evidence ?? h.tgt;
  if (x.s4u !== undefined && x.step?.kind === 'last-hop') {
    // Cross-realm S4U2Self, last hop: the user's PAC as the user's realm wrote it, checked always.
    const fromUserRealm = verifiedEvidencePac(realm, h.tgt, h.ticketKey, {
      issuedHere: false,
      what: 'the referral TGT',
    });
    let pac = checkForUserPac(fromUserRealm, x.s4u, h);
    if (!realm.policy.issuePac) return noPacAcross(realm, h, draft);
    ({ pac, report: filtered.report } = filterAtTrust(realm, pac, x.s4u.crealm, h.issuingRealm));
    pac = forServiceTicket(realm, pac, draft, x.s4u.crealm);
    const forService = serviceTicketPac(pac, 'the referral TGT');
    return forService === undefined ? NO_AUTHORIZATION_DATA : withUnsignedPac(undefined, forService);
  }
  if (!realm.policy.issuePac) {
    if (x.s4u !== undefined) return NO_AUTHORIZATION_DATA;
    const carried = evidence.authorizationData ?? NO_AUTHORIZATION_DATA;
    if (h.kind !== 'cross-realm-tgt') return carried;
    noPacAcross(realm, h, draft);
    // What another realm's KDC issued (its PAC, signed with the inter-realm and its own krbtgt keys)
    // is no data this realm vouches for, nor one the service could verify: not copied, as MIT's KDC
    // with disable_pac (and before 1.20, always) leaves KDC-issued authorization data out; the rest is.
    return carried.filter((e) => !isKdcIssued(e));
  }
  if (x.s4u !== undefined) {
    headerPac(realm, h, 'S4U2Self');
    if (x.s4u.user === undefined) return NO_AUTHORIZATION_DATA;
    // A referral (cross-realm S4U2Self) is a TGT: its PAC was given implicitly, and its
    // PAC_REQUESTOR names the delegating service where this realm knows it (MS-KILE 3.3.5.6.4.7-8).
    const isTgt = draft.server.kind === 'krbtgt';
    const service = isTgt && h.tgt.crealm === realm.name ? realm.db.get(h.tgt.cname, realm.name) : undefined;
    const serviceAccount = service === undefined ? undefined : accountOf(realm, service);
    let pac = buildPac(realm, x.s4u.user, {
      authtime: draft.times.authtime,
      clientName: draft.cname.nameString.join('/'),
      assertedBy: 'service',
      ...(isTgt && {
        tgt: {
          attributes: PacAttributesFlags.PAC_WAS_GIVEN_IMPLICITLY,
          ...(serviceAccount !== undefined && { requestor: accountSid(realm, serviceAccount) }),
        },
      }),
    });
    if (pac === undefined) return NO_AUTHORIZATION_DATA;
    // The service's own ticket gets the user's domain-local groups as any service ticket does.
    if (!isTgt) pac = forServiceTicket(realm, pac, draft, realm.name, x.s4u.user);
    // A referral back to the service's realm names the user in PAC_CLIENT_INFO (MS-SFU 3.2.5.1.1).
    const forUser = x.step?.kind === 'back-to-service-realm';
    return withUnsignedPac(undefined, forUser ? withClientName(pac, forUserClientName(x.s4u)) : pac);
  }
  if (x.proxy?.kind === 'from-referral') {
    // Cross-realm S4U2Proxy, at Service 2's KDC: the user's PAC from the referral, verified when
    // the evidence was opened, named for the user again, filtered at the trust; its
    // S4U_DELEGATION_INFO, which Service 1's KDC added and the evidence check bound to this
    // request, is copied as it came (MIT's handle_pac): Service 1 is in it already.
    let pac = withClientName(x.proxy.pac, x.proxy.userName.name.nameString.join('/'));
    const userRealm = x.proxy.userName.realm;
    ({ pac, report: filtered.report } = filterAtTrust(realm, pac, userRealm, h.issuingRealm));
    pac = forServiceTicket(realm, pac, draft, userRealm);
    const forService = serviceTicketPac(pac, 'the evidence ticket');
    if (forService === undefined) return NO_AUTHORIZATION_DATA;
    return withUnsignedPac(undefined, forService);
  }
  let pac =
    x.proxy !== undefined
      ? x.proxy.pac
      : verifiedEvidencePac(realm, h.tgt, h.ticketKey, {
          issuedHere: h.kind !== 'cross-realm-tgt',
          localTgt: h.kind === 'local-tgt',
          // A service ticket presented for renewal or validation carries a ticket signature
          // (MS-PAC 2.8.3): a flag its service flipped (the Bronze Bit) must not be renewed into a
          // ticket the KDC signs afresh.
          signedTicket: h.kind === 'service-ticket' && hasTicketSignature(h.ticket.sname),
          what: h.kind === 'service-ticket' ? 'the ticket' : 'the TGT',
        });
  if (x.proxy !== undefined) {
    // The evidence is what the delegation stands on: this realm issued it with a PAC naming its
    // client (MIT: S4U2PROXY_NO_STKT_PAC, S4U2PROXY_LOCAL_STKT_PAC). A PAC-less "evidence" is one
    // the service could have sealed itself, under its own key, in anyone's name.
    if (pac === undefined) {
      throw new KdcError(ErrorCode.KRB_AP_ERR_MODIFIED, 'the evidence ticket carries no PAC');
    }
    if (!pacNamesClient(pac, x.proxy.evidence.cname, x.proxy.evidence.crealm)) {
      throw new KdcError(ErrorCode.KRB_AP_ERR_MODIFIED, "the evidence ticket's PAC is not for its client");
    }
    headerPac(realm, h, 'S4U2Proxy');
  }
  if (pac === undefined) {
    if (h.kind === 'cross-realm-tgt') noPacAcross(realm, h, draft);
    return evidence.authorizationData ?? NO_AUTHORIZATION_DATA;
  }
  if (
    h.kind === 'cross-realm-tgt' &&
    x.proxy === undefined &&
    draft.server.kind !== 'krbtgt' &&
    !pacNamesClient(pac, h.tgt.cname, h.tgt.crealm)
  ) {
    // A referral TGT whose PAC is someone else's is a cross-realm S4U2Proxy's, good only as the
    // header of an S4U2Proxy request (or on its way, as a referral): not as an ordinary TGT
    // (MIT's check_normal_tgs_pac, HEADER_PAC).
    throw new KdcError(
      ErrorCode.KDC_ERR_BADOPTION,
      `the TGT's PAC is not for ${formatPrincipal(h.tgt.cname, h.tgt.crealm)}, whom the TGT names`,
    );
  }
  if (h.kind === 'cross-realm-tgt')
    ({ pac, report: filtered.report } = filterAtTrust(realm, pac, h.tgt.crealm, h.issuingRealm));
  if (x.proxy !== undefined && draft.server.kind === 'krbtgt') {
    // Cross-realm S4U2Proxy, at Service 1's KDC: the referral carries the user's PAC, named
    // `user@REALM` for the next KDC (MS-SFU 3.2.5.2.3), with S4U_DELEGATION_INFO for Service 2,
    // the server asked for, through Service 1 (MS-SFU 3.2.5.2.4), which Service 2's KDC checks and
    // copies: MIT's handle_pac adds it at this first hop, as Windows does.
    const user = x.proxy.userName;
    const named = withClientName(pac, `${user.name.nameString.join('/')}@${user.realm}`);
    return withUnsignedPac(
      undefined,
      withDelegationInfo(named, x.target ?? draft.sname, x.proxy.requesterName),
    );
  }
  if (draft.server.kind !== 'krbtgt') {
    pac = forServiceTicket(realm, pac, draft, draft.crealm, draft.client);
    const forService = serviceTicketPac(pac, h.kind === 'service-ticket' ? 'the ticket' : 'the TGT');
    if (forService === undefined) return withoutPac(evidence.authorizationData) ?? NO_AUTHORIZATION_DATA;
    pac = forService;
  }
  if (x.proxy !== undefined) pac = withDelegationInfo(pac, draft.sname, x.proxy.requesterName);
  return withUnsignedPac(evidence.authorizationData, pac);
}

/**
 * The PAC of a service ticket, from its user's: this realm's domain-local
 * groups added (MS-KILE 3.3.5.7.3), then the selective-authentication check
 * made with them (MS-KILE 3.3.5.7.5), before the client's PA-PAC-REQUEST
 * may drop the PAC from the ticket.
 */
function forServiceTicket(
  realm: Realm,
  pac: Pac,
  draft: TicketDraft,
  clientRealm: string,
  user?: PrincipalEntry,
): Pac {
  const withGroups = withResourceGroups(realm, pac, user, clientRealm);
  // Only a user of another realm carries the mark (this realm's KDC adds it at the trust); a
  // local user's PAC is not decoded for it.
  if (clientRealm !== realm.name) checkAllowedToAuthenticate(withGroups, draft.server);
  return withGroups;
}

/**
 * No PAC goes on from a cross-realm TGT: refused across a
 * selective-authentication trust, where the PAC is what carries the mark the
 * services check; otherwise no authorization data.
 */
function noPacAcross(realm: Realm, h: TgsHeader, draft: TicketDraft): AuthorizationData {
  if (crossesSelectiveTrust(realm, h.issuingRealm)) refuseWithoutPac(draft.server);
  return NO_AUTHORIZATION_DATA;
}

/**
 * The PAC of the TGT an S4U request comes with, verified: the service must
 * hold a sound one before it may speak for anyone, and a TGT of its own
 * without one (PA-PAC-REQUEST false) may not (MIT: S4U2SELF_NO_PAC,
 * S4U2PROXY_NO_HEADER_PAC), where its account has a PAC to lose.
 */
function headerPac(realm: Realm, h: TgsHeader, what: 'S4U2Self' | 'S4U2Proxy'): Pac | undefined {
  const local = h.kind === 'local-tgt';
  const pac = verifiedEvidencePac(realm, h.tgt, h.ticketKey, {
    issuedHere: local,
    localTgt: local,
    what: 'the TGT',
  });
  if (pac === undefined && local && hasPacToLose(realm, h.tgt)) {
    throw new KdcError(ErrorCode.KDC_ERR_TGT_REVOKED, `${what} needs a TGT that carries a PAC`);
  }
  return pac;
}

/**
 * Whether `pac`'s PAC_CLIENT_INFO names `cname` of `crealm`: as `name`, or
 * as `name@REALM` (a referral's, MS-SFU 3.2.5.1.1), without regard to case.
 */
function pacNamesClient(pac: Pac, cname: PrincipalName, crealm: string): boolean {
  const name = getPacBuffer(pac, PacBufferType.CLIENT_INFO)?.name.toUpperCase();
  const joined = cname.nameString.join('/').toUpperCase();
  return name === joined || name === `${joined}@${crealm.toUpperCase()}`;
}

/**
 * Authorization data only a KDC writes (MIT's is_kdc_issued_authdatum): AD-KDC-ISSUED, the PAC, and
 * MIT's CAMMAC (96), authentication indicators (97) and AD-SIGNTICKET (512).
 */
const KDC_ISSUED_AD_TYPES: ReadonlySet<number> = new Set([
  AdType.AD_KDC_ISSUED,
  AdType.AD_WIN2K_PAC,
  AdType.AD_CAMMAC,
  AdType.AD_AUTHENTICATION_INDICATOR,
  AdType.AD_SIGNTICKET,
]);

/** Whether `e` is, or wraps in AD-IF-RELEVANT, authorization data only a KDC writes. */
function isKdcIssued(e: AuthorizationData[number], depth = 0): boolean {
  if (KDC_ISSUED_AD_TYPES.has(e.adType)) return true;
  if (e.adType !== AdType.AD_IF_RELEVANT || depth >= 8) return false;
  try {
    return decodeAuthorizationData(e.adData).some((inner) => isKdcIssued(inner, depth + 1));
  } catch {
    return true; // a wrapper that does not decode is not passed on
  }
}

/**
 * What a client may put in enc-authorization-data for the KDC to copy into its ticket: nothing a KDC
 * alone writes, nor RFC 6113's FAST marks (`FAST_MARKS`, sections 5.4.1.1 and 5.4.2: copied into a
 * ticket they would make the KDC vouch for a use the client chose; MIT's KDC copies them), anywhere inside AD-IF-RELEVANT (a forged
 * PAC there, next to a TGT without one, was the MS14-068 attack), and no AD-MANDATORY-FOR-KDC, whose
 * elements a KDC that does not understand them MUST refuse (RFC 4120 section 5.2.6.4): krbsim
 * understands none a client sends.
 */
function checkSuppliedAuthorizationData(ad: AuthorizationData, depth = 0): void {
  for (const e of ad) {
    if (KDC_ISSUED_AD_TYPES.has(e.adType) || FAST_MARKS.has(e.adType)) {
      const what =
        e.adType === AdType.AD_WIN2K_PAC
          ? 'a PAC'
          : FAST_MARKS.has(e.adType)
            ? `${e.adType === AdType.AD_FX_FAST_ARMOR ? 'AD-fx-fast-armor' : 'AD-fx-fast-used'}, RFC 6113`
            : 'KDC-issued';
      throw new KdcError(
        ErrorCode.KDC_ERR_POLICY,
        `a client may not supply authorization data of type ${e.adType} (${what}) in enc-authorization-data`,
      );
    }
    if (e.adType === AdType.AD_MANDATORY_FOR_KDC) {
      throw new KdcError(
        ErrorCode.KDC_ERR_POLICY,
        'enc-authorization-data holds AD-MANDATORY-FOR-KDC, whose elements this KDC does not understand (RFC 4120 section 5.2.6.4)',
      );
    }
    if (e.adType === AdType.AD_IF_RELEVANT) {
      if (depth >= 8)
        throw new KdcError(ErrorCode.KDC_ERR_POLICY, 'enc-authorization-data nests AD-IF-RELEVANT too deep');
      let inner: AuthorizationData;
      try {
        inner = decodeAuthorizationData(e.adData);
      } catch (err) {
        if (!isKerberosError(err)) throw err;
        throw new KdcError(
          ErrorCode.KRB_ERR_GENERIC,
          'enc-authorization-data: an AD-IF-RELEVANT does not decode',
          { cause: err },
        );
      }
      checkSuppliedAuthorizationData(inner, depth + 1);
    }
  }
}

/** enc-authorization-data, decrypted with the subkey (usage 5) or session key (usage 4). */
function requestAuthorizationData(req: KdcReq, h: TgsHeader): AuthorizationData {
  const enc = req.reqBody.encAuthorizationData;
  if (!enc) return NO_AUTHORIZATION_DATA;
  const sub = h.authenticator.subkey;
  const key = fromEncryptionKey(sub ?? h.tgt.key);
  const usage = sub ? KeyUsage.TGS_REQ_AD_SUBKEY : KeyUsage.TGS_REQ_AD_SESSKEY;
  let ad: AuthorizationData;
  try {
    ad = decodeAuthorizationData(decrypt(key, usage, enc.cipher));
  } catch (e) {
    if (!isKerberosError(e)) throw e;
    throw new KdcError(ErrorCode.KRB_AP_ERR_BAD_INTEGRITY, 'enc-authorization-data does not decrypt', {
      cause: e,
    });
  }
  checkSuppliedAuthorizationData(ad);
  return ad;
}

/**
 * Answer a TGS-REQ (RFC 4120 section 3.3), running `handlers` on its
 * PA-DATA; PA-TGS-REQ must be among them. Throws {@link KdcError} to refuse.
 */
export function processTgsReq(
  realm: Realm,
  req: KdcReq,
  handlers: readonly TgsPadataHandler[] = TGS_PADATA_HANDLERS,
  /** The transport's peer (`host:port`), when it has one. */
  peer?: string,
): ExchangeResult {
  const now = realm.clock.now();
  const state: TgsRequestState = { realm, req, now, header: undefined };
  // An armored request's refusals, once PA-FX-FAST has opened it, are armored (RFC 6113 section 5.4.4).
  const armored = (e: unknown): unknown =>
    state.fast === undefined
      ? e
      : armoredError(e, state.fast, req, { now, style: realm.policy.krbErrorStyle, random: realm.random });
  try {
    runPadata(handlers, state);
  } catch (e) {
    // Once PA-TGS-REQ has verified the TGT, a later handler's refusal names its client.
    const th = state.header as TgsHeader | undefined;
    throw armored(
      th === undefined ? e : naming(e, { cname: th.tgt.cname, crealm: th.tgt.crealm, realm: realm.name }),
    );
  }
  const h = state.header;
  if (h === undefined) {
    throw new KdcError(ErrorCode.KDC_ERR_PADATA_TYPE_NOSUPP, 'the TGS-REQ carries no PA-TGS-REQ');
  }
  try {
    // RFC 4120 section 3.3.3.1: a TGT with addresses is used from one of them (a known sender's).
    if (realm.policy.checkTicketAddresses && h.tgt.caddr !== undefined && h.tgt.caddr.length > 0) {
      const sender = senderAddress(peer);
      if (sender !== undefined) checkTicketAddresses(h.tgt.caddr, sender);
    }
    // Under FAST, state.req is the inner request: its body is the one answered.
    return issue(realm, state.req, h, now, state.s4uSelf, state.fast, state.pacOptions);
  } catch (e) {
    throw armored(naming(e, { cname: h.tgt.cname, crealm: h.tgt.crealm, realm: realm.name }));
  }
}

/** MS-KILE 3.3.5.7.1: how old a TGT may be before its client's account is looked at again (Windows: 20 min). */
const VALIDATE_CLIENT_AFTER_MS = 20 * 60_000;

/**
 * MS-KILE 3.3.5.7.1 (`ticketValidateClient`): a TGT of this realm for an
 * account of this realm, older than {@link VALIDATE_CLIENT_AFTER_MS}, serves
 * only while the account is in good standing: one since disabled, locked
 * out (`disabled`, or by the realm's lockout policy), expired or removed gets
 * KDC_ERR_CLIENT_REVOKED, so revoking an
 * account takes effect within minutes rather than at the TGT's end.
 */
function checkClientStanding(realm: Realm, h: TgsHeader, now: number): void {
  if (!realm.policy.ticketValidateClient || h.kind !== 'local-tgt' || h.tgt.crealm !== realm.name) return;
  if (now - (h.tgt.starttime ?? h.tgt.authtime) <= VALIDATE_CLIENT_AFTER_MS) return;
  const entry = realm.db.get(h.tgt.cname, realm.name);
  // MS-KILE 3.3.5.7.1: whatever the reason, the answer is KDC_ERR_CLIENT_REVOKED.
  const revoked = (message: string, ntStatus?: number): never => {
    throw new KdcError(ErrorCode.KDC_ERR_CLIENT_REVOKED, `${message} (the TGT was checked again)`, {
      ...(ntStatus !== undefined && { ntStatus }),
    });
  };
  if (entry === undefined)
    revoked(`the account of ${formatPrincipal(h.tgt.cname, h.tgt.crealm)} no longer exists`);
  const client = { name: h.tgt.cname, realm: h.tgt.crealm };
  const refusal =
    expiryRefusal(entry!, client, now, realm.policy, false) ??
    standingRefusal(entry!, client, now, realm.policy);
  if (refusal !== undefined) revoked(refusal.message, refusal.ntStatus);
}

function issue(
  realm: Realm,
  req: KdcReq,
  h: TgsHeader,
  now: number,
  s4uRequested: S4uSelf | undefined,
  fast: FastRequest | undefined,
  pacOptions: number | undefined,
): ExchangeResult {
  const body = req.reqBody;
  const opts = body.kdcOptions;
  const policy = realm.policy;
  if (has(opts, KdcOptions['constrained-delegation']) && has(opts, KdcOptions['enc-tkt-in-skey'])) {
    throw new KdcError(ErrorCode.KDC_ERR_BADOPTION, 'S4U2Proxy and user-to-user cannot be combined');
  }
  if (!realm.isNamed(body.realm)) {
    throw new KdcError(ErrorCode.KDC_ERR_WRONG_REALM, `this KDC serves ${realm.name}, not ${body.realm}`);
  }
  // PA-TGS-REQ took its ticket under the options of the request it came in (tgs-header.ts). Under
  // FAST the inner request is the one answered (RFC 6113 section 5.4.2), so its options decide again,
  // as MIT's check_tgs_tgt and check_tgs_opts do: an outer RENEW must not make a service ticket a TGT
  // for an inner request, nor an outer VALIDATE let an invalid ticket serve.
  if (h.kind === 'service-ticket' && !has(opts, nonTgtOptions(policy))) {
    throw new KdcError(
      ErrorCode.KRB_AP_ERR_NOT_US,
      `the ticket is for ${formatPrincipal(h.ticket.sname, h.ticket.realm)}, not this realm's ticket-granting service, and the request neither renews nor validates it${policy.forwardsPresentedTicket ? ', nor forwards nor proxies it' : ''}`,
    );
  }
  if ((h.tgt.flags & TicketFlags.invalid) !== 0 && !has(opts, KdcOptions.validate)) {
    throw new KdcError(ErrorCode.KRB_AP_ERR_TKT_NYV, 'the ticket is invalid (postdated): validate it first');
  }
  // RFC 8062: an anonymous ticket from a TGT that is not anonymous is not something a DC issues (it
  // knows no anonymity); refused in an AD realm rather than answered in the client's own name. An MIT
  // realm drops the option, as MIT's KDC does (get_ticket_flags).
  if (
    realm.kind === 'active-directory' &&
    has(opts, KdcOptions['request-anonymous']) &&
    (h.tgt.flags & TicketFlags.anonymous) === 0
  ) {
    throw new KdcError(
      ErrorCode.KDC_ERR_BADOPTION,
      'REQUEST-ANONYMOUS from a TGT that is not anonymous: this KDC issues no anonymous tickets in a TGS exchange',
    );
  }
  // The lineage rule (tgs-header.ts), decided here, once FAST has been opened and the request's
  // own padata is known: only S4U2Self may use a referral that names a client of this realm.
  if (h.forUserReferral && s4uRequested === undefined) {
    throw new KdcError(
      ErrorCode.KDC_ERR_POLICY,
      `a cross-realm TGT from ${h.issuingRealm} claims a client of ${realm.name} itself (invalid lineage)`,
    );
  }
  // MIT's validate_transit_path: "not checking transit path", then, with reject_bad_transit, BAD_TRANSIT.
  if (policy.refuseDisableTransitedCheck && has(opts, KdcOptions['disable-transited-check'])) {
    throw new KdcError(
      ErrorCode.KDC_ERR_POLICY,
      'DISABLE-TRANSITED-CHECK: this KDC checks the transited path of every request and issues no ticket without that check',
    );
  }
  checkTransit(realm, h);
  checkClientStanding(realm, h, now);
  // MIT's check_tgs_s4u2self: an S4U2Self request takes the options an AS request may (none of
  // FORWARDED, PROXY, VALIDATE, RENEW, ENC-TKT-IN-SKEY, CNAME-IN-ADDL-TKT), from a TGT. Renewing a
  // service ticket with PA-FOR-USER would carry its FORWARDABLE into a ticket in the user's name,
  // which MS-SFU 3.2.5.1.2 keeps from a service not trusted to authenticate for delegation.
  if (
    s4uRequested !== undefined &&
    (has(opts, s4uSelfInvalidOptions(realm)) || h.kind === 'service-ticket')
  ) {
    throw new KdcError(
      ErrorCode.KDC_ERR_BADOPTION,
      h.kind === 'service-ticket'
        ? 'S4U2Self needs a ticket-granting ticket, not a service ticket'
        : `S4U2Self cannot be combined with FORWARDED, PROXY, RENEW, VALIDATE${realm.kind === 'active-directory' ? '' : ', user-to-user'} or S4U2Proxy`,
    );
  }
  const step = s4uRequested === undefined ? undefined : s4uSelfStep(realm, h, s4uRequested);
  // The first step of a cross-realm S4U2Self is a plain referral for the service (s4u-cross-realm.ts).
  const s4u = step?.kind === 'to-user-realm' ? undefined : s4uRequested;
  const notWithCrossRealm =
    KdcOptions['constrained-delegation'] |
    KdcOptions['enc-tkt-in-skey'] |
    KdcOptions.renew |
    KdcOptions.validate;
  if (step !== undefined && step.kind !== 'local' && has(opts, notWithCrossRealm)) {
    throw new KdcError(
      ErrorCode.KDC_ERR_BADOPTION,
      'a cross-realm S4U2Self cannot be combined with S4U2Proxy, user-to-user, RENEW or VALIDATE',
    );
  }

  // MIT's check_tgs_s4u2proxy (INVALID_S4U2PROXY_OPTIONS): S4U2Proxy issues a new ticket from the
  // evidence; it renews, validates, forwards or proxies nothing.
  if (has(opts, KdcOptions['constrained-delegation']) && has(opts, S4U_PROXY_INVALID_OPTIONS)) {
    throw new KdcError(
      ErrorCode.KDC_ERR_BADOPTION,
      'S4U2Proxy cannot be combined with RENEW, VALIDATE, FORWARDED or PROXY',
    );
  }
  const renewOrValidate = has(opts, KdcOptions.renew) || has(opts, KdcOptions.validate);
  const u2u = has(opts, KdcOptions['enc-tkt-in-skey']) ? userToUser(realm, body, now) : undefined;
  const proxy = has(opts, KdcOptions['constrained-delegation'])
    ? s4uProxyEvidence(realm, body, h, now)
    : undefined;
  if (has(opts, KdcOptions.renew) && has(opts, KdcOptions.validate)) {
    throw new KdcError(ErrorCode.KDC_ERR_BADOPTION, 'RENEW and VALIDATE cannot be combined');
  }
  let server: ResolvedServer;
  if (renewOrValidate && h.issuingRealm !== realm.name) {
    // Only the KDC that issued a ticket can renew or validate it (its key is not ours to use).
    throw new KdcError(
      ErrorCode.KDC_ERR_BADOPTION,
      `the ticket was issued by ${h.issuingRealm}; renew or validate it there`,
    );
  }
  if (renewOrValidate) {
    // Which fault is named first: a domain controller's the server (Samba's, checked), MIT's the option's.
    const dc = realm.kind === 'active-directory';
    if (dc) checkRenewedServer(realm, body, h);
    checkOptionsBesideSameTicket(opts, h);
    if (has(opts, KdcOptions.renew)) {
      if (!(h.tgt.flags & TicketFlags.renewable) || h.tgt.renewTill === undefined) {
        throw new KdcError(ErrorCode.KDC_ERR_BADOPTION, 'the ticket is not renewable');
      }
      if (!policy.renewsTickets) {
        throw new KdcError(
          ErrorCode.KDC_ERR_BADOPTION,
          `${realm.name} renews no tickets: authenticate again`,
        );
      }
      if (h.tgt.renewTill <= now) {
        throw new KdcError(ErrorCode.KRB_AP_ERR_TKT_EXPIRED, 'the ticket is past its renew-till time');
      }
    } else if (!(h.tgt.flags & TicketFlags.invalid)) {
      throw new KdcError(ErrorCode.KDC_ERR_BADOPTION, 'VALIDATE requested but the ticket is not invalid');
    }
    if (!dc) checkRenewedServer(realm, body, h);
    server = { entry: h.server, sname: h.ticket.sname };
  } else if (step !== undefined && (step.kind === 'to-user-realm' || step.kind === 'back-to-service-realm')) {
    if (step.kind === 'to-user-realm') {
      const asked = body.sname ?? krbtgtName(realm.name);
      checkS4uSelfServer(realm, h, realm.db.get(asked, realm.name), asked);
    }
    server = { entry: step.krbtgt, sname: krbtgtName(step.target), referralTo: step.target };
  } else {
    if (policy.forwardsPresentedTicket && has(opts, KdcOptions.forwarded | KdcOptions.proxy)) {
      checkForwardedTicket(realm, body, h);
    }
    const sname = u2u?.sname ?? body.sname;
    if (!sname) throw new KdcError(ErrorCode.KDC_ERR_S_PRINCIPAL_UNKNOWN, 'the request names no server');
    server = resolveServer(realm, sname, travelledPath(realm, h), opts);
  }
  const s = server.entry;
  if (step?.kind === 'local' || step?.kind === 'last-hop') checkS4uSelfServer(realm, h, s, server.sname);
  if (s4u !== undefined) refuseS4uWithoutPacs(realm, h, 'S4U2Self');
  // RFC 4120 section 3.7: the server is the second ticket's client (MIT's check_tgs_u2u).
  if (u2u !== undefined) checkUserToUserServer(realm, u2u, server);
  // S4U2Proxy to a service another realm holds: the referral of MS-SFU 3.2.5.2.3 (s4u-proxy.ts).
  const proxyReferral = proxy !== undefined && server.referralTo !== undefined;
  const resourceBasedAsked = ((pacOptions ?? 0) & PacOptions['resource-based-constrained-delegation']) !== 0;
  if (proxy !== undefined) {
    if (proxyReferral) checkS4uProxyReferral(realm, proxy, { resourceBasedAsked });
    else if (s.kind === 'krbtgt') {
      throw new KdcError(
        ErrorCode.KDC_ERR_POLICY,
        'S4U2Proxy cannot ask for a TGT (that would be unconstrained)',
      );
    } else {
      checkS4uProxy(proxy, s, server.sname, {
        resourceBasedAsked,
        caseInsensitiveNames: policy.caseInsensitiveNames,
      });
    }
  }
  if (s.kind !== 'krbtgt' && s.disabled) {
    const refusal = disabledServerRefusal(realm.kind);
    throw new KdcError(refusal.code, refusal.message);
  }
  // MIT's DISALLOW_TGT_BASED (kadmin/changepw): a ticket for it proves a password was just typed.
  if (s.disallowTgtBased === true) {
    throw new KdcError(
      ErrorCode.KDC_ERR_POLICY,
      `tickets for ${formatPrincipal(s.name, s.realm)} come from the AS exchange only`,
    );
  }
  // A DC gives no ticket under a user's own key to whoever asks for one: a user account without SPNs
  // is reached by user-to-user only (`userToUserForPlainUsers`; a DC logs "User2User was required").
  // S4U2Self by such an account too, unless with ENC-TKT-IN-SKEY (its own TGT as the second ticket,
  // as Impacket's getST -self -u2u asks): KDC_ERR_S_PRINCIPAL_UNKNOWN then, as a Samba AD DC answers
  // it (Windows refuses it as well: that refusal is what S4U2Self with user-to-user gets around).
  const plainUser = s.kind === 'user' && s.aliases.length === 0;
  if (policy.userToUserForPlainUsers && plainUser && !u2u && !renewOrValidate) {
    const asked = 'a user account without SPNs: ask with user-to-user (ENC-TKT-IN-SKEY)';
    if (s4uRequested !== undefined) {
      throw new KdcError(
        ErrorCode.KDC_ERR_S_PRINCIPAL_UNKNOWN,
        `S4U2Self: ${formatPrincipal(s.name, s.realm)} is ${asked}`,
      );
    }
    throw new KdcError(
      ErrorCode.KDC_ERR_MUST_USE_USER2USER,
      `${formatPrincipal(s.name, s.realm)} is ${asked}`,
    );
  }

  // S4U2Self: the ticket is the user's (MS-SFU 3.2.5.1.2), to the requesting service; S4U2Proxy:
  // the evidence ticket's user (MS-SFU 3.2.5.2.4).
  // A referral back to the service's realm stays the service's (MS-SFU 3.2.5.1.1).
  // A referral for S4U2Proxy names Service 1, the user being in its PAC (MS-SFU 3.2.5.2.3).
  const forUser = step?.kind === 'back-to-service-realm';
  const userTicket = s4u !== undefined && !forUser;
  const proxyUser = proxyReferral ? undefined : proxy?.userName;
  const cname = (userTicket ? s4u.cname : undefined) ?? proxyUser?.name ?? h.tgt.cname;
  const crealm = (userTicket ? s4u.crealm : undefined) ?? proxyUser?.realm ?? h.tgt.crealm;
  const local =
    s4u !== undefined
      ? forUser
        ? undefined
        : s4u.user
      : proxy !== undefined
        ? proxyReferral
          ? proxy.requester
          : proxy.user
        : h.tgt.crealm === realm.name
          ? realm.db.get(h.tgt.cname, realm.name)
          : undefined;
  runIssuancePolicy(
    realm,
    {
      realm,
      exchange: 'TGS',
      cname,
      crealm,
      ...(local && { client: local }),
      server: s,
      ...(server.referralTo !== undefined && { referralTo: server.referralTo }),
    },
    { cname: h.tgt.cname, crealm: h.tgt.crealm },
  );

  const isTgs = s.kind === 'krbtgt';
  // An S4U2Proxy ticket lives no longer than the user's evidence ticket, nor the service's own TGT, and
  // keeps the evidence's authtime.
  const times = tgsTicketTimes(body, proxy?.evidence ?? h.tgt, now, policy, {
    serverIsTgs: isTgs,
    serverMaxLifeMs: server.entry.maxTicketLifeMs,
    ...(proxy !== undefined && { headerTgt: h.tgt }),
  });
  const chosen = forUser
    ? referralForUserFlags(realm, ticketFlags(realm, req, h, server, times.flags), s4u?.user)
    : s4u !== undefined
      ? s4uSelfFlags(realm, req, h, s, s4u, times.flags)
      : proxyReferral
        ? proxyReferralFlags(realm, req, h, server, times.flags, proxy!.evidence)
        : proxy !== undefined
          ? s4uProxyFlags(realm, req, h, server, times.flags)
          : ticketFlags(realm, req, h, server, times.flags);
  // MS-KILE 3.3.5.1: no ticket of an account that cannot be delegated is forwardable or proxiable.
  const flags = cannotBeDelegated(realm, local) ? withoutDelegationFlags(chosen) : chosen;

  const permitted = policy.permittedEncTypes;
  const sessionEtype = sessionKeyEtype(realm.kind, permitted, body.etype, s.encTypes);
  if (sessionEtype === undefined) etypeNoSupp('the session key', body.etype, realm.name);
  // User-to-user tickets are sealed in the second ticket's session key (RFC 4120 section 3.7).
  const tkey = u2u?.sealingKey ?? ticketKey(s.keys, permitted, isTgs ? undefined : policy.ticketEncType);
  if (!tkey) etypeNoSupp(`the key of ${formatPrincipal(s.name, s.realm)}`, body.etype, realm.name);

  // Transited (section 3.3.3.2): the TGT's issuing realm is added unless it is the client's.
  const fromOtherRealm = h.kind === 'cross-realm-tgt';
  const transited = fromOtherRealm
    ? addTransited(h.tgt.transited, h.issuingRealm, h.tgt.crealm)
    : (proxy?.evidence.transited ?? h.tgt.transited);
  // A renewed or validated ticket is the same ticket: its addresses stay, whatever FORWARDED asks.
  const addressed = !renewOrValidate && (has(opts, KdcOptions.forwarded) || has(opts, KdcOptions.proxy));
  const caddr = addressed ? body.addresses : h.tgt.caddr;

  const draft: TicketDraft = {
    exchange: 'TGS',
    cname,
    crealm,
    client: local,
    server: s,
    sname: server.sname,
    evidence: proxy?.evidence ?? h.tgt,
    serverKey: tkey!,
    sessionKey: newSessionKey(sessionEtype!, realm.random),
    flags,
    times,
    transited,
    caddr,
  };
  const filtered: { report?: SidFilterReport } = {};
  // The evidence's PAC is checked whatever the ticket; a service whose account has
  // AuthorizationDataNotRequired gets none (MS-KILE 3.3.5.3).
  const fromEvidence = evidenceAuthorizationData(
    realm,
    h,
    draft,
    { s4u, step, proxy, target: body.sname },
    filtered,
  );
  const noPac = s.kind !== 'krbtgt' && s.authDataNotRequired;
  const authorizationData = ticketAuthorizationData(realm, draft, {
    fromEvidence: noPac ? (withoutPac(fromEvidence) ?? NO_AUTHORIZATION_DATA) : fromEvidence,
    fromRequest: requestAuthorizationData(req, h),
    pacRequested: s4u !== undefined,
    pacAttributes: 0,
  });
  const request = { ...draft, authorizationData };
  const { ticket } = issueTicket(realm.name, request, realm.random, (etp) =>
    signIssuedPac(realm, request, etp),
  );
  const sessionKey = draft.sessionKey;

  const canonicalize = has(body.kdcOptions, KdcOptions.canonicalize);
  const encryptedPaData = [
    ...(pacOptions !== undefined ? [pacOptionsReply(pacOptions)] : []),
    ...(policy.paSupportedEnctypes && canonicalize ? [supportedEnctypesPadata(realm, s)] : []),
  ];
  const part: EncKdcRepPart = {
    key: sessionKey,
    lastReq: [{ lrType: 0, lrValue: 0 }],
    nonce: body.nonce,
    // The nonce goes back in the form it came (Heimdal writes a signed INTEGER), as its KDC would.
    ...(body.nonceForm !== undefined && { nonceForm: body.nonceForm }),
    // Bit 15 stays: RFC 6806 section 11's enc-pa-rep is an AS-REP promise; in a TGS-REP it is the
    // ticket's name-canonicalize, which Windows clients show and MIT's TGS path does not read.
    flags,
    authtime: times.authtime,
    ...starttimeField(times),
    endtime: times.endtime,
    ...(times.renewTill !== undefined && { renewTill: times.renewTill }),
    srealm: realm.name,
    sname: server.sname,
    ...(addressed && caddr && caddr.length > 0 && { caddr }),
    // In encrypted-pa-data, where MIT's client reads it (pac-options.ts).
    ...(encryptedPaData.length > 0 && { encryptedPaData }),
  };
  const sub = h.authenticator.subkey;
  const replyKey = fromEncryptionKey(sub ?? h.tgt.key);
  const usage = sub ? KeyUsage.TGS_REP_ENCPART_SUBKEY : KeyUsage.TGS_REP_ENCPART_SESSKEY;
  // RFC 6113 section 5.4.3: under FAST the reply is sealed with the strengthened reply key.
  const strengthened =
    fast === undefined || !policy.fastStrengthenKey ? undefined : strengthenReplyKey(replyKey, realm.random);
  const encPart = sealReplyPart(part, 'tgs', strengthened?.replyKey ?? replyKey, usage, realm.random);
  const padata = s4u?.x509UserId !== undefined ? [s4uX509Reply(s4u.x509UserId, s4u.x509Key ?? replyKey)] : [];
  const clear = visibleClient(fast, cname, crealm);
  const reply = encodeTgsRep({
    pvno: 5,
    msgType: 13,
    ...(fast !== undefined
      ? {
          padata: [
            fastReplyPadata(
              fast,
              { padata, strengthenKey: strengthened?.strengthenKey, ticket, cname, crealm, now },
              realm.random,
            ),
          ],
        }
      : padata.length > 0 && { padata }),
    crealm: clear.crealm,
    cname: clear.cname,
    ticket,
    encPart,
  });
  const detail = server.referralTo !== undefined ? ` (referral to ${server.referralTo})` : '';
  const s4uDetail =
    s4u !== undefined
      ? ` (S4U2Self for ${formatPrincipal(s4u.cname, s4u.crealm)})`
      : proxy !== undefined
        ? ` (S4U2Proxy for ${formatPrincipal(proxy.userName.name, proxy.userName.realm)})`
        : '';
  return {
    reply,
    outcome: `TGS-REP${detail}${s4uDetail}${fast === undefined ? '' : ' (FAST)'}`,
    client: { name: h.tgt.cname, realm: h.tgt.crealm },
    ...(fast !== undefined &&
      body.sname !== undefined && { server: { name: body.sname, realm: body.realm } }),
    ...(filtered.report !== undefined && { sidsFiltered: filtered.report.removed }),
  };
}
