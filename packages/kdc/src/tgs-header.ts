/**
 * The TGS authentication header: the PA-TGS-REQ AP-REQ of RFC 4120
 * section 3.3.2 (its ticket and authenticator) checked as section 3.3.2 and
 * the AP-REQ rules of section 3.2.3 ask, plus the cross-realm acceptance rule
 * of section 3.3.1: a TGT from another realm is accepted only with the
 * inter-realm key AND a trust that lets that realm's KDC vouch into this one.
 *
 * Error codes, where products differ:
 * - the ticket does not decrypt: the policy's `ticketDecryptFailureCode`,
 *   KRB_AP_ERR_BAD_INTEGRITY (MIT) or KRB_AP_ERR_MODIFIED (AD; the Azure AD
 *   symptom of a trust key mismatch);
 * - no key of the ticket's kvno: KRB_AP_ERR_BADKEYVER, except for
 *   inter-realm keys when `interRealmKvnoStrict` is off, where the newest key
 *   is tried (AD-like) and a mismatch is a ticket that does not decrypt;
 * - a cross-realm TGT whose inter-realm key this realm does not hold:
 *   KDC_ERR_S_PRINCIPAL_UNKNOWN (MIT looks the krbtgt up like any server);
 * - the key exists but no trust allows the direction: KDC_ERR_POLICY;
 * - the authenticator does not decrypt: KRB_AP_ERR_BAD_INTEGRITY (MIT);
 * - the ticket or authenticator carries AD-fx-fast-armor (RFC 6113 section
 *   5.4.1.1): KDC_ERR_POLICY (MIT) or KRB_AP_ERR_BAD_INTEGRITY (AD, as a
 *   Samba DC); AD-fx-fast-used in an unarmored request: KRB_AP_ERR_MODIFIED
 *   in an AD realm, served in an MIT realm (MIT does not look).
 *
 * @module
 */

import type {
  ApReq,
  Authenticator,
  AuthorizationData,
  Checksum,
  EncTicketPart,
  KdcReq,
  PaData,
  PrincipalName,
  Ticket,
} from '@krbsim/asn1';
import {
  AdType,
  ANONYMOUS_REALM,
  decodeApReq,
  decodeAuthorizationData,
  formatPrincipal,
  KdcOptions,
  PaDataType,
  tgsRealmOf,
  transitedRealms,
} from '@krbsim/asn1';
import { ErrorCode, isKerberosError } from '@krbsim/core';
import { type Key, KeyUsage, verifyChecksum } from '@krbsim/crypto';
import { ApReqError, type CheckedApReq, checkApReq, TGS_AP_REQ } from '@krbsim/service';
import { keyOpeningTicket } from './keys';
import { KdcError } from './krb-error';
import type { RealmPolicy } from './policy';
import type { PrincipalEntry } from './principal-db';
import type { Realm } from './realm';
import { trustBetween } from './trust-graph';

/** What kind of ticket authenticated the TGS-REQ. */
export type HeaderKind = 'local-tgt' | 'cross-realm-tgt' | 'service-ticket';

/** A verified PA-TGS-REQ. */
export interface TgsHeader {
  readonly kind: HeaderKind;
  readonly apReq: ApReq;
  readonly ticket: Ticket;
  /** The decrypted ticket. */
  readonly tgt: EncTicketPart;
  readonly authenticator: Authenticator;
  /** The database entry whose key decrypted the ticket. */
  readonly server: PrincipalEntry;
  /** The realm that issued the ticket (`ticket.realm`). */
  readonly issuingRealm: string;
  /** The key that decrypted the ticket (the PAC's server signature is checked with it). */
  readonly ticketKey: Key;
  /**
   * A cross-realm TGT naming a client of this realm: refused (invalid
   * lineage) by the TGS exchange unless the request is S4U2Self, the last
   * hop of a cross-realm S4U2Self (`s4u-cross-realm.ts`).
   */
  readonly forUserReferral: boolean;
}

/**
 * The realm the client's tickets started from: its own, or for the anonymous
 * client (RFC 8062: crealm WELLKNOWN:ANONYMOUS, which names no realm) the
 * realm whose KDC issued its first ticket: the first transited, else the
 * TGT's issuer.
 */
export function originRealm(h: TgsHeader): string {
  if (h.tgt.crealm !== ANONYMOUS_REALM) return h.tgt.crealm;
  return transitedRealms(h.tgt.transited)[0] ?? h.issuingRealm;
}

/**
 * The options with which a service ticket, not only a TGT, may authenticate a TGS-REQ (MIT's
 * NON_TGT_OPTION): RENEW and VALIDATE, which give the presented ticket back; and, where the realm
 * `forwardsPresentedTicket` (MIT), FORWARDED and PROXY, which forward or proxy it.
 */
export function nonTgtOptions(policy: RealmPolicy): number {
  const renewOrValidate = KdcOptions.renew | KdcOptions.validate;
  return policy.forwardsPresentedTicket
    ? renewOrValidate | KdcOptions.forwarded | KdcOptions.proxy
    : renewOrValidate;
}

function fail(code: number, msg: string, who?: { cname: EncTicketPart['cname']; crealm: string }): never {
  throw new KdcError(code, msg, who ?? {});
}

/** The authenticator's checksum of the request body (RFC 4120 section 3.3.2: key usage 6, the TGT's session key). */
function checkBodyChecksum(
  sessionKey: Key,
  ck: Checksum,
  reqBodyDer: Uint8Array | undefined,
  who: { cname: EncTicketPart['cname']; crealm: string },
): void {
  if (!reqBodyDer) fail(ErrorCode.KRB_ERR_GENERIC, 'the request body bytes are unavailable', who);
  let ok: boolean;
  try {
    ok = verifyChecksum(sessionKey, KeyUsage.TGS_REQ_AUTH_CKSUM, reqBodyDer, ck.checksum, {
      cksumtype: ck.cksumtype,
    });
  } catch (e) {
    if (!isKerberosError(e)) throw e;
    fail(ErrorCode.KRB_AP_ERR_INAPP_CKSUM, `checksum type ${ck.cksumtype} is not acceptable here`, who);
  }
  if (!ok)
    fail(ErrorCode.KRB_AP_ERR_MODIFIED, 'the request body does not match the authenticator checksum', who);
}

/**
 * The inter-realm key `krbtgt/THIS@issuer` that opens a cross-realm TGT
 * `sname` issued by `issuer`, once a trust lets `issuer` vouch into this realm
 * (RFC 4120 section 3.3.1): KDC_ERR_S_PRINCIPAL_UNKNOWN when the key is not
 * held, KDC_ERR_POLICY when no trust allows the direction
 * ({@link checkTrustInto}). The rule of the TGS header; FAST armor made with
 * a cross-realm TGT (`fast-armor.ts`) looks the key up itself, answering one
 * not held as MIT's armor check does (KRB_AP_ERR_NOT_US), then checks the trust.
 */
function crossRealmTgtEntry(realm: Realm, sname: PrincipalName, issuer: string): PrincipalEntry {
  const entry = realm.db.get(sname, issuer);
  if (!entry) {
    fail(
      ErrorCode.KDC_ERR_S_PRINCIPAL_UNKNOWN,
      `${realm.name} holds no inter-realm key krbtgt/${realm.name}@${issuer}: no trust with ${issuer}`,
    );
  }
  checkTrustInto(realm, issuer);
  return entry!;
}

/** Refuses (KDC_ERR_POLICY) unless a trust lets principals of `issuer` into `realm`. */
export function checkTrustInto(realm: Realm, issuer: string): void {
  const trust = trustBetween(realm, issuer);
  if (!trust?.allows(issuer, realm.name)) {
    fail(ErrorCode.KDC_ERR_POLICY, `no trust lets principals of ${issuer} into ${realm.name}`);
  }
}

/** Which database entry holds the key for the header ticket, and what kind of ticket it is. */
function headerServer(
  realm: Realm,
  ticket: Ticket,
  options: number,
): { entry: PrincipalEntry; kind: HeaderKind } {
  const tgsOf = tgsRealmOf(ticket.sname);
  if (tgsOf === realm.name) {
    if (ticket.realm === realm.name) return { entry: realm.krbtgt, kind: 'local-tgt' };
    return { entry: crossRealmTgtEntry(realm, ticket.sname, ticket.realm), kind: 'cross-realm-tgt' };
  }
  // RENEW and VALIDATE present the ticket to renew or validate, which may be for any server of
  // this realm (section 3.3.1); our own referral TGTs krbtgt/OTHER@THIS are included. So may
  // FORWARDED and PROXY in a realm that forwards the presented ticket (`nonTgtOptions`).
  if (ticket.realm === realm.name && (options & nonTgtOptions(realm.policy)) !== 0) {
    const entry = realm.db.get(ticket.sname, realm.name);
    if (entry) return { entry, kind: 'service-ticket' };
    fail(
      ErrorCode.KDC_ERR_S_PRINCIPAL_UNKNOWN,
      `server ${formatPrincipal(ticket.sname, ticket.realm)} not found`,
    );
  }
  return fail(
    ErrorCode.KRB_AP_ERR_NOT_US,
    `the ticket is for ${formatPrincipal(ticket.sname, ticket.realm)}, not this realm's ticket-granting service`,
  );
}

/**
 * Which of `adTypes` `ad` holds, itself or inside AD-IF-RELEVANT (MIT's krb5_find_authdata), added to
 * `found`: one walk for all of them, each container decoded once.
 */
function collectAdTypes(
  ad: AuthorizationData | undefined,
  adTypes: ReadonlySet<number>,
  found: Set<number>,
  depth = 0,
): Set<number> {
  for (const e of ad ?? []) {
    if (adTypes.has(e.adType)) found.add(e.adType);
    if (e.adType !== AdType.AD_IF_RELEVANT || depth >= 8) continue;
    let inner: AuthorizationData;
    try {
      inner = decodeAuthorizationData(e.adData);
    } catch (err) {
      if (!isKerberosError(err)) throw err;
      continue; // a container that does not decode holds nothing to find
    }
    collectAdTypes(inner, adTypes, found, depth + 1);
  }
  return found;
}

/** RFC 6113's FAST marks: AD-fx-fast-armor (71) and AD-fx-fast-used (72), which only a KDC writes. */
export const FAST_MARKS: ReadonlySet<number> = new Set([AdType.AD_FX_FAST_ARMOR, AdType.AD_FX_FAST_USED]);

/**
 * The FAST marks a TGS-REQ's authenticator or ticket may carry (RFC 6113
 * section 5.4.1.1 and 5.4.2), in either or inside AD-IF-RELEVANT:
 * - AD-fx-fast-armor (71) makes an AP-REQ good only as FAST armor, and a
 *   TGS-REQ carrying it MUST be refused. KDC_ERR_POLICY in an MIT realm (MIT's
 *   kdc_process_tgs_req, "ticket valid only as FAST armor"),
 *   KRB_AP_ERR_BAD_INTEGRITY in an AD realm (a Samba AD DC's Heimdal,
 *   validate_fast_ad). The armor AP-REQ of an AS-REQ, which carries it, is not
 *   checked here.
 * - AD-fx-fast-used (72) says the client armors its requests: an unarmored
 *   TGS-REQ with it is a downgrade, KRB_AP_ERR_MODIFIED in an AD realm (as
 *   Samba's KDC answers). MIT's KDC does not look for it: an MIT realm serves
 *   the request.
 */
function checkFastAuthorizationData(
  realm: Realm,
  req: KdcReq,
  tgt: EncTicketPart,
  authenticator: Authenticator,
  who: { cname: EncTicketPart['cname']; crealm: string },
): void {
  const marks = collectAdTypes(
    authenticator.authorizationData,
    FAST_MARKS,
    collectAdTypes(tgt.authorizationData, FAST_MARKS, new Set()),
  );
  if (marks.has(AdType.AD_FX_FAST_ARMOR)) {
    fail(
      realm.kind === 'active-directory' ? ErrorCode.KRB_AP_ERR_BAD_INTEGRITY : ErrorCode.KDC_ERR_POLICY,
      'the PA-TGS-REQ carries AD-fx-fast-armor (71): a ticket or authenticator marked so is valid only as FAST armor',
      who,
    );
  }
  const armored = req.padata?.some((p) => p.padataType === PaDataType.PA_FX_FAST) === true;
  if (realm.kind === 'active-directory' && !armored && marks.has(AdType.AD_FX_FAST_USED)) {
    fail(
      ErrorCode.KRB_AP_ERR_MODIFIED,
      'the PA-TGS-REQ carries AD-fx-fast-used (72) but the request is not armored (RFC 6113 section 5.4.2)',
      who,
    );
  }
}

/**
 * Decrypt and check the AP-REQ of a PA-TGS-REQ (RFC 4120 section 3.3.2): the
 * AP-REQ rules of section 3.2.3 under the TGS's rule set, then the
 * authenticator's checksum over the request body.
 */
export function verifyTgsHeader(realm: Realm, req: KdcReq, pa: PaData, now: number): TgsHeader {
  const apReq = decodeApReq(pa.padataValue);
  const ticket = apReq.ticket;
  const options = req.reqBody.kdcOptions;
  let server: { entry: PrincipalEntry; kind: HeaderKind } | undefined;
  let checked: CheckedApReq;
  try {
    checked = checkApReq(apReq, {
      rules:
        realm.policy.ticketDecryptFailureCode === TGS_AP_REQ.ticketDecryptFailure
          ? TGS_AP_REQ
          : { ...TGS_AP_REQ, ticketDecryptFailure: realm.policy.ticketDecryptFailureCode },
      keyLookup: (t) => {
        server = headerServer(realm, t, options);
        const { etype, kvno } = t.encPart;
        const newestStandsIn = server.kind === 'cross-realm-tgt' && !realm.policy.interRealmKvnoStrict;
        const { entry } = server;
        const whose = () => formatPrincipal(entry.name, entry.realm);
        return keyOpeningTicket(entry.keys, etype, kvno, whose, newestStandsIn);
      },
      clock: { now: () => now },
      clockSkewMs: realm.policy.clockSkewMs,
      // The realm's policy chose every key a ticket here can be under: no second veto.
      allowWeakCrypto: true,
      validate: (options & KdcOptions.validate) !== 0,
      describeServer: (t) => formatPrincipal(t.sname, t.realm),
    });
  } catch (e) {
    // Name the ticket's client in the KRB-ERROR once the ticket has decrypted, as MIT does.
    if (e instanceof ApReqError && e.client !== undefined) {
      fail(e.code, e.message, { cname: e.client.name, crealm: e.client.realm });
    }
    throw e;
  }
  const { ticket: tgt, authenticator, sessionKey } = checked;
  const who = { cname: tgt.cname, crealm: tgt.crealm };
  // A realm vouches for its own clients itself: a cross-realm TGT that claims one was made by
  // whoever holds the inter-realm key, not by this realm (MIT: KDC_ERR_POLICY, "invalid lineage").
  // Without the rule, the trusted side of a one-way trust could impersonate the trusting side's
  // users. Its one exception, the referral of a cross-realm S4U2Self (MS-SFU 3.2.5.1.1), which names
  // the service and may only get it a ticket for a user of the issuing realm, can be told only from
  // the request's own padata, inside the FAST armor when there is one: so the TGS exchange applies
  // the rule once the padata is processed (tgs-exchange.ts, s4u-cross-realm.ts).
  const forUserReferral = server!.kind === 'cross-realm-tgt' && tgt.crealm === realm.name;

  // The authenticator's checksum binds it to this request body (usage 6, TGT session key); a realm
  // that serves requests without one, as Windows DCs do, still verifies one that is there.
  const ck = authenticator.cksum;
  if (!ck && realm.policy.requireTgsReqChecksum)
    fail(ErrorCode.KRB_AP_ERR_INAPP_CKSUM, 'the authenticator has no checksum of the request body', who);
  if (ck) checkBodyChecksum(sessionKey, ck, req.reqBodyDer, who);
  checkFastAuthorizationData(realm, req, tgt, authenticator, who);

  return {
    kind: server!.kind,
    apReq,
    ticket,
    tgt,
    authenticator,
    server: server!.entry,
    issuingRealm: ticket.realm,
    ticketKey: checked.serverKey.key,
    forUserReferral,
  };
}
