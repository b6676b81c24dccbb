/**
 * The TGS authentication header: the PA-TGS-REQ AP-REQ of RFC 4120
 * section 3.3.2 (its ticket and authenticator) checked as section 3.3.2 and
 * the AP-REQ rules of section 3.2.3 ask, plus the cross-realm acceptance rule
 * of section 3.3.1: a TGT from another realm is accepted only with the
 * inter-realm key AND a trust that lets that realm's KDC vouch into this one.
 *
 * Error codes, where products differ:
 * - the ticket does not decrypt: KRB_AP_ERR_MODIFIED (MIT, AD; the Azure AD
 *   symptom of a trust key mismatch);
 * - no key of the ticket's kvno: KRB_AP_ERR_BADKEYVER, except for
 *   inter-realm keys when `interRealmKvnoStrict` is off, where the newest key
 *   is tried (AD-like) and a mismatch becomes KRB_AP_ERR_MODIFIED;
 * - a cross-realm TGT whose inter-realm key this realm does not hold:
 *   KDC_ERR_S_PRINCIPAL_UNKNOWN (MIT looks the krbtgt up like any server);
 * - the key exists but no trust allows the direction: KDC_ERR_POLICY;
 * - the authenticator does not decrypt: KRB_AP_ERR_BAD_INTEGRITY (MIT).
 *
 * @module
 */

import type { ApReq, Authenticator, EncTicketPart, KdcReq, Ticket } from '@krbsim/asn1';
import {
  decodeApReq,
  decodeAuthenticator,
  decodeEncTicketPart,
  KdcOptions,
  PaDataType,
  TicketFlags,
} from '@krbsim/asn1';
import { ErrorCode, isKerberosError } from '@krbsim/core';
import { decrypt, KeyUsage, verifyChecksum } from '@krbsim/crypto';
import { currentKvno, findKey, fromEncryptionKey, type StoredKey } from './keys';
import { KdcError } from './krb-error';
import { findPadata } from './preauth';
import type { PrincipalEntry } from './principal-db';
import { formatPrincipal, sameName, tgsRealmOf } from './principal-name';
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
}

const RENEW_OR_VALIDATE = KdcOptions.renew | KdcOptions.validate;

function fail(code: number, msg: string, who?: { cname: EncTicketPart['cname']; crealm: string }): never {
  throw new KdcError(code, msg, who ?? {});
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
    const issuer = ticket.realm;
    const entry = realm.db.get(ticket.sname, issuer);
    if (!entry) {
      fail(
        ErrorCode.KDC_ERR_S_PRINCIPAL_UNKNOWN,
        `${realm.name} holds no inter-realm key krbtgt/${realm.name}@${issuer}: no trust with ${issuer}`,
      );
    }
    const trust = trustBetween(realm, issuer);
    if (!trust?.allows(issuer, realm.name)) {
      fail(ErrorCode.KDC_ERR_POLICY, `no trust lets principals of ${issuer} into ${realm.name}`);
    }
    return { entry: entry!, kind: 'cross-realm-tgt' };
  }
  // RENEW and VALIDATE present the ticket to renew or validate, which may be for any server of
  // this realm (section 3.3.1); our own referral TGTs krbtgt/OTHER@THIS are included.
  if (ticket.realm === realm.name && (options & RENEW_OR_VALIDATE) !== 0) {
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

/** The key to decrypt the header ticket with (see the module notes on kvno handling). */
function headerKey(realm: Realm, entry: PrincipalEntry, ticket: Ticket, kind: HeaderKind): StoredKey {
  const { etype, kvno } = ticket.encPart;
  const exact = findKey(entry.keys, etype, kvno);
  if (exact) return exact;
  const haveKvno = kvno === undefined || entry.keys.some((k) => k.kvno === kvno);
  if (haveKvno)
    fail(
      ErrorCode.KRB_AP_ERR_NOKEY,
      `no key of etype ${etype} for ${formatPrincipal(entry.name, entry.realm)}`,
    );
  if (kind === 'cross-realm-tgt' && !realm.policy.interRealmKvnoStrict) {
    const newest = findKey(entry.keys, etype, currentKvno(entry.keys));
    if (newest) return newest;
  }
  return fail(
    ErrorCode.KRB_AP_ERR_BADKEYVER,
    `no key version ${kvno} for ${formatPrincipal(entry.name, entry.realm)} (current ${currentKvno(entry.keys)})`,
  );
}

/** Decrypt and check the PA-TGS-REQ of `req` (RFC 4120 section 3.3.2). */
export function verifyTgsHeader(realm: Realm, req: KdcReq, now: number): TgsHeader {
  const pa = findPadata(req.padata, PaDataType.PA_TGS_REQ);
  if (!pa) fail(ErrorCode.KDC_ERR_PADATA_TYPE_NOSUPP, 'the TGS-REQ carries no PA-TGS-REQ');
  const apReq = decodeApReq(pa!.padataValue);
  const ticket = apReq.ticket;
  const options = req.reqBody.kdcOptions;
  const { entry, kind } = headerServer(realm, ticket, options);
  const key = headerKey(realm, entry, ticket, kind);

  let tgt: EncTicketPart;
  try {
    tgt = decodeEncTicketPart(decrypt(key.key, KeyUsage.KDC_REP_TICKET, ticket.encPart.cipher));
  } catch (e) {
    if (!isKerberosError(e) && !(e instanceof Error)) throw e;
    return fail(
      ErrorCode.KRB_AP_ERR_MODIFIED,
      `the ticket does not decrypt with ${formatPrincipal(entry.name, entry.realm)} kvno ${key.kvno}: ` +
        'message stream modified or keys out of step',
    );
  }
  const who = { cname: tgt.cname, crealm: tgt.crealm };
  const sessionKey = fromEncryptionKey(tgt.key);

  let authenticator: Authenticator;
  try {
    authenticator = decodeAuthenticator(
      decrypt(sessionKey, KeyUsage.TGS_REQ_AUTH, apReq.authenticator.cipher),
    );
  } catch (e) {
    if (!isKerberosError(e) && !(e instanceof Error)) throw e;
    return fail(
      ErrorCode.KRB_AP_ERR_BAD_INTEGRITY,
      'the authenticator does not decrypt with the ticket session key',
      who,
    );
  }
  if (authenticator.crealm !== tgt.crealm || !sameName(authenticator.cname, tgt.cname)) {
    fail(ErrorCode.KRB_AP_ERR_BADMATCH, 'the authenticator names a different client than the ticket', who);
  }
  const ctime = authenticator.ctime + Math.floor(authenticator.cusec / 1000);
  if (Math.abs(ctime - now) > realm.policy.clockSkewMs) {
    fail(ErrorCode.KRB_AP_ERR_SKEW, 'clock skew too great between client and KDC', who);
  }

  // Ticket validity (sections 3.2.3 and 3.3.3.1).
  const validate = (options & KdcOptions.validate) !== 0;
  const start = tgt.starttime ?? tgt.authtime;
  if ((tgt.flags & TicketFlags.invalid) !== 0 && !validate) {
    fail(ErrorCode.KRB_AP_ERR_TKT_NYV, 'the ticket is invalid (postdated) and must be validated first', who);
  }
  if (validate ? start > now : start > now + realm.policy.clockSkewMs) {
    fail(ErrorCode.KRB_AP_ERR_TKT_NYV, 'the ticket is not yet valid', who);
  }
  if (tgt.endtime <= now) fail(ErrorCode.KRB_AP_ERR_TKT_EXPIRED, 'the ticket has expired', who);

  // The authenticator's checksum binds it to this request body (usage 6, TGT session key).
  const ck = authenticator.cksum;
  if (!ck)
    fail(ErrorCode.KRB_AP_ERR_INAPP_CKSUM, 'the authenticator has no checksum of the request body', who);
  if (!req.reqBodyDer) fail(ErrorCode.KRB_ERR_GENERIC, 'the request body bytes are unavailable', who);
  let ok: boolean;
  try {
    ok = verifyChecksum(sessionKey, KeyUsage.TGS_REQ_AUTH_CKSUM, req.reqBodyDer!, ck!.checksum, {
      cksumtype: ck!.cksumtype,
    });
  } catch (e) {
    if (!isKerberosError(e) && !(e instanceof Error)) throw e;
    return fail(
      ErrorCode.KRB_AP_ERR_INAPP_CKSUM,
      `checksum type ${ck!.cksumtype} is not acceptable here`,
      who,
    );
  }
  if (!ok)
    fail(ErrorCode.KRB_AP_ERR_MODIFIED, 'the request body does not match the authenticator checksum', who);

  return { kind, apReq, ticket, tgt, authenticator, server: entry, issuingRealm: ticket.realm };
}
