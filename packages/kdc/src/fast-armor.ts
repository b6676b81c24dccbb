/**
 * FAST armor on the KDC side (RFC 6113 section 5.4.1 and 5.4.2): the
 * PA-FX-FAST of an AS-REQ or TGS-REQ is checked and opened here, giving the
 * armor key and the inner request the exchange then answers.
 *
 * 1. The armor key. An AS-REQ carries explicit armor, an AP-REQ
 *    (FX_FAST_ARMOR_AP_REQUEST) made with a TGT for this realm's TGS (this
 *    realm's own, or a cross-realm TGT of a realm a trust lets in), whose
 *    authenticator (key usage 11) must hold a subkey; a TGS-REQ carries none
 *    and is armored implicitly by its PA-TGS-REQ (section 5.4.1.1). Either way
 *      armor key = KRB-FX-CF2(subkey, ticket session key, "subkeyarmor", "ticketarmor").
 *    The armor ticket may be anyone's TGT, an anonymous one (RFC 8062,
 *    WELLKNOWN/ANONYMOUS@WELLKNOWN:ANONYMOUS) included.
 * 2. req-checksum, keyed with the armor key (usage 50), covers the outer
 *    KDC-REQ-BODY of an AS-REQ and the PA-TGS-REQ AP-REQ of a TGS-REQ.
 * 3. enc-fast-req decrypts with the armor key (usage 51) to a KrbFastReq;
 *    its req-body and padata replace the outer ones (section 5.4.2).
 * 4. fast-options bits 0 to 15 are critical: one this KDC does not know is
 *    KDC_ERR_UNKNOWN_CRITICAL_FAST_OPTIONS.
 *
 * Codes where the RFC leaves the choice, as MIT's KDC answers: an unknown
 * armor type, a missing armor, AP-REQ armor in a TGS-REQ (in an AD realm,
 * compound-identity armor, which krbsim does not serve), a TGS-REQ whose
 * authenticator has no subkey: KDC_ERR_PREAUTH_FAILED; AS armor whose
 * authenticator has no subkey: KDC_ERR_POLICY; armor made with a ticket for
 * another server of this realm: KDC_ERR_SERVER_NOMATCH, for a server whose
 * key this realm does not hold (another realm's TGS, an inter-realm key not
 * held): KRB_AP_ERR_NOT_US; a cross-realm TGT of a realm no trust lets in:
 * KDC_ERR_POLICY, as for a TGS-REQ; a req-checksum that
 * does not verify, or is unkeyed: KRB_AP_ERR_MODIFIED; an enc-fast-req of
 * another etype than the armor key's: KRB_ERR_GENERIC; one that does not
 * decrypt: KRB_AP_ERR_BAD_INTEGRITY, or that decrypts to something else than
 * a KrbFastReq: the codec's error. A refusal from step 2 on, when the armor
 * key is known, is armored (section 5.4.4), as are the exchange's own. No
 * replay cache is kept for armor (MIT keeps none).
 *
 * @module
 */

import {
  decodeApReq,
  decodeKdcReqBody,
  decodeKrbFastReq,
  decodePaFxFastRequest,
  FastOptions,
  formatPrincipal,
  type KdcReq,
  type KrbFastArmoredReq,
  type PaData,
  PaDataType,
  type PrincipalName,
  tgsRealmOf,
} from '@krbsim/asn1';
import { ErrorCode, isKerberosError, type RandomSource } from '@krbsim/core';
import { decrypt, fastArmorKey, getChecksumType, type Key, KeyUsage, verifyChecksum } from '@krbsim/crypto';
import { checkApReq, SERVICE_AP_REQ } from '@krbsim/service';
import { armoredError } from './fast-reply';
import { fromEncryptionKey, keyOpeningTicket, type StoredKey } from './keys';
import { KdcError } from './krb-error';
import type { KrbErrorStyle } from './policy';
import type { Realm } from './realm';
import { checkTrustInto } from './tgs-header';

/** FX_FAST_ARMOR_AP_REQUEST, the one armor type RFC 6113 defines (section 5.4.1). */
const FX_FAST_ARMOR_AP_REQUEST = 1;

/** The fast-options krbsim's KDC understands; bits 0-15 are critical (RFC 6113 section 5.4.2). */
const KNOWN_FAST_OPTIONS = FastOptions['hide-client-names'] | FastOptions['kdc-follow-referrals'];
const CRITICAL_FAST_OPTIONS = 0xffff0000;

/** An armored request, opened. */
export interface FastRequest {
  /** The armor key (section 5.4.1.1): it seals the FAST reply and keys the encrypted challenge. */
  readonly armorKey: Key;
  /** KrbFastReq's fast-options (`FastOptions` bits). */
  readonly options: number;
  /** The request to answer: the outer pvno and msg-type, the inner req-body and padata. */
  readonly inner: KdcReq;
  /** The client of the armor ticket (explicit armor only). */
  readonly armorClient?: { readonly cname: PrincipalName; readonly crealm: string };
}

function failed(code: number, why: string, cause?: unknown): never {
  throw new KdcError(code, `FAST: ${why}`, { cause });
}

/** The request's first PA-DATA of type PA-FX-FAST, if any. */
function findFxFast(req: KdcReq): PaData | undefined {
  return req.padata?.find((p) => p.padataType === PaDataType.PA_FX_FAST);
}

/** Refuse PA-FX-FAST in a realm whose policy serves no FAST: never answer as if it were not there. */
function checkRealmServesFast(realm: Realm): void {
  if (realm.policy.fast === 'none') {
    failed(
      ErrorCode.KDC_ERR_PADATA_TYPE_NOSUPP,
      `${realm.name} does not support FAST (realm policy fast: 'none'); send the request unarmored`,
    );
  }
}

function decodeArmoredReq(pa: PaData): KrbFastArmoredReq {
  try {
    return decodePaFxFastRequest(pa.padataValue).armoredData;
  } catch (e) {
    if (!isKerberosError(e)) throw e;
    return failed(ErrorCode.KDC_ERR_PREAUTH_FAILED, 'the PA-FX-FAST-REQUEST does not decode', e);
  }
}

/**
 * The key that opens an armor ticket: this realm's TGS key for a TGT of this
 * realm; for a cross-realm TGT `krbtgt/THIS@OTHER`, the inter-realm key, let
 * in by a trust as for a TGS-REQ (`checkTrustInto`: KDC_ERR_POLICY
 * without one; the newest key standing in for another version unless the
 * realm is `interRealmKvnoStrict`). MIT's armor_ap_request takes a ticket for
 * this realm's TGS whatever realm issued it (krb5_principal_compare_any_realm),
 * opened with the key its database holds, and MS-KILE 3.2.5.4 has a client
 * armor with a TGT from its own domain, cross-realm to a DC of another. As MIT
 * answers (krb5_rd_req against the database's keys, then the server check): a
 * ticket for a server this realm holds no key of, another realm's TGS or an
 * inter-realm key not held: KRB_AP_ERR_NOT_US; for one it holds that is not
 * its TGS: KDC_ERR_SERVER_NOMATCH.
 */
function armorTicketKey(
  realm: Realm,
  sname: PrincipalName,
  ticketRealm: string,
  etype: number,
  kvno?: number,
): StoredKey {
  const local = ticketRealm === realm.name;
  const server = formatPrincipal(sname, ticketRealm);
  const isTgs = tgsRealmOf(sname) === realm.name;
  const held = isTgs && local ? realm.krbtgt : realm.db.get(sname, ticketRealm);
  if (held === undefined) {
    failed(
      ErrorCode.KRB_AP_ERR_NOT_US,
      `the armor ticket is for ${server}, whose key ${realm.name} does not hold; armor with a TGT for krbtgt/${realm.name}`,
    );
  }
  if (!isTgs) {
    failed(
      ErrorCode.KDC_ERR_SERVER_NOMATCH,
      `the armor ticket is for ${server}, not krbtgt/${realm.name}; armor with a TGT for this realm`,
    );
  }
  if (local) {
    return keyOpeningTicket(
      realm.krbtgt.keys,
      etype,
      kvno,
      () => `the FAST armor ticket's krbtgt/${realm.name}`,
    );
  }
  // A cross-realm TGT: the inter-realm key held above, of a trust into this realm.
  try {
    checkTrustInto(realm, ticketRealm);
  } catch (e) {
    if (!(e instanceof KdcError)) throw e;
    return failed(e.code, `the armor ticket ${server}: ${e.message}`, e);
  }
  return keyOpeningTicket(
    held.keys,
    etype,
    kvno,
    () => `the FAST armor ticket's ${formatPrincipal(held.name, held.realm)}`,
    !realm.policy.interRealmKvnoStrict,
  );
}

/** Explicit armor (section 5.4.1.1): check the AP-REQ, return the armor key and the ticket's client. */
function apRequestArmor(
  realm: Realm,
  armorValue: Uint8Array,
  now: number,
): { armorKey: Key; cname: PrincipalName; crealm: string } {
  let apReq: ReturnType<typeof decodeApReq>;
  try {
    apReq = decodeApReq(armorValue);
  } catch (e) {
    if (!isKerberosError(e)) throw e;
    return failed(ErrorCode.KDC_ERR_PREAUTH_FAILED, 'the armor AP-REQ does not decode', e);
  }
  const checked = checkApReq(apReq, {
    // An AP-REQ to the TGS (usage 11), with the KDC's strict expiry and its code for a bad ticket.
    // Its ap-options are not looked at: use-session-key is ignored, the ticket opened with the TGS's
    // key all the same, as MIT's and Samba's KDCs serve it (RFC 6113 section 5.4.1.1 gives the
    // armor AP-REQ no options to honour).
    rules: {
      ...SERVICE_AP_REQ,
      refuseUserToUser: false,
      expiryWithSkew: false,
      ticketDecryptFailure: realm.policy.ticketDecryptFailureCode,
    },
    keyLookup: (t) => armorTicketKey(realm, t.sname, t.realm, t.encPart.etype, t.encPart.kvno),
    clock: { now: () => now },
    clockSkewMs: realm.policy.clockSkewMs,
    allowWeakCrypto: true,
    describeServer: (t) => formatPrincipal(t.sname, t.realm),
  });
  const sub = checked.authenticator.subkey;
  if (sub === undefined) failed(ErrorCode.KDC_ERR_POLICY, 'the armor AP-REQ carries no subkey');
  return {
    armorKey: fastArmorKey(fromEncryptionKey(sub!), checked.sessionKey),
    cname: checked.ticket.cname,
    crealm: checked.ticket.crealm,
  };
}

/** How an armored refusal is written: the realm's error style, the time, the random source. */
export interface ArmoredErrorContext {
  readonly now: number;
  readonly style: KrbErrorStyle;
  readonly random: RandomSource;
}

/**
 * Steps 2 to 4 of the module notes, with the armor key known: a refusal is
 * armored with it (section 5.4.4; MIT's KDC does the same), naming the
 * request as its outer form does, since the inner one may not be readable.
 */
function openArmoredReq(
  armored: KrbFastArmoredReq,
  armorKey: Key,
  req: KdcReq,
  checksummed: Uint8Array,
  ctx: ArmoredErrorContext,
): { inner: KdcReq; options: number } {
  try {
    return openWithArmorKey(armored, armorKey, req, checksummed);
  } catch (e) {
    throw armoredError(e, { armorKey, options: 0, inner: req }, req, ctx);
  }
}

/** Steps 2 to 4 of the module notes: checksum, decrypt, replace the request. */
function openWithArmorKey(
  armored: KrbFastArmoredReq,
  armorKey: Key,
  req: KdcReq,
  checksummed: Uint8Array,
): {
  inner: KdcReq;
  options: number;
} {
  const ck = armored.reqChecksum;
  let kind: string;
  try {
    kind = getChecksumType(ck.cksumtype).kind;
  } catch (e) {
    if (!isKerberosError(e)) throw e;
    return failed(ErrorCode.KDC_ERR_SUMTYPE_NOSUPP, `req-checksum type ${ck.cksumtype} is not supported`, e);
  }
  // An unkeyed checksum proves nothing about who made the request: it does not match (MIT).
  if (kind === 'unkeyed')
    failed(ErrorCode.KRB_AP_ERR_MODIFIED, `req-checksum type ${ck.cksumtype} is not a keyed checksum`);
  let ok = false;
  try {
    ok = verifyChecksum(armorKey, KeyUsage.KEY_USAGE_FAST_REQ_CHKSUM, checksummed, ck.checksum, {
      cksumtype: ck.cksumtype,
    });
  } catch (e) {
    if (!isKerberosError(e)) throw e;
    failed(
      ErrorCode.KDC_ERR_SUMTYPE_NOSUPP,
      `req-checksum type ${ck.cksumtype} does not go with the armor key`,
      e,
    );
  }
  if (!ok) failed(ErrorCode.KRB_AP_ERR_MODIFIED, 'req-checksum does not match the request');
  // An EncryptedData names its key's etype (RFC 4120 section 5.2.9): another is refused, as MIT's
  // krb5_c_decrypt refuses it (KRB5_BAD_ENCTYPE, a KRB_ERR_GENERIC on the wire), not decrypted anyway.
  if (armored.encFastReq.etype !== armorKey.etype) {
    failed(
      ErrorCode.KRB_ERR_GENERIC,
      `enc-fast-req is of etype ${armored.encFastReq.etype}, not the armor key's ${armorKey.etype}`,
    );
  }
  let plain: Uint8Array;
  try {
    plain = decrypt(armorKey, KeyUsage.KEY_USAGE_FAST_ENC, armored.encFastReq.cipher);
  } catch (e) {
    if (!isKerberosError(e)) throw e;
    return failed(ErrorCode.KRB_AP_ERR_BAD_INTEGRITY, 'enc-fast-req does not decrypt with the armor key', e);
  }
  // What does not decode is refused with the codec's error (KRB_ERR_GENERIC), as MIT answers.
  const fastReq = decodeKrbFastReq(plain);
  const body = decodeKdcReqBody(fastReq.reqBody);
  const unknown = fastReq.fastOptions & CRITICAL_FAST_OPTIONS & ~KNOWN_FAST_OPTIONS;
  if (unknown !== 0) {
    failed(
      ErrorCode.KDC_ERR_UNKNOWN_CRITICAL_FAST_OPTIONS,
      `critical fast-options 0x${(unknown >>> 0).toString(16)} are not supported`,
    );
  }
  const inner: KdcReq = {
    pvno: 5,
    msgType: req.msgType,
    ...(fastReq.padata.length > 0 && { padata: fastReq.padata }),
    reqBody: body,
    reqBodyDer: fastReq.reqBody,
  };
  return { inner, options: fastReq.fastOptions };
}

/**
 * Open the PA-FX-FAST of an AS-REQ, or return undefined when it has none.
 * Throws {@link KdcError} with the codes of the module notes.
 */
export function unwrapAsFast(realm: Realm, req: KdcReq, now: number): FastRequest | undefined {
  const pa = findFxFast(req);
  if (pa === undefined) return undefined;
  checkRealmServesFast(realm);
  const armored = decodeArmoredReq(pa);
  const armor = armored.armor;
  if (armor === undefined) {
    failed(ErrorCode.KDC_ERR_PREAUTH_FAILED, 'an armored AS-REQ must carry armor (RFC 6113 section 5.4.1)');
  }
  if (armor!.armorType !== FX_FAST_ARMOR_AP_REQUEST) {
    failed(
      ErrorCode.KDC_ERR_PREAUTH_FAILED,
      `armor type ${armor!.armorType} is not supported (only FX_FAST_ARMOR_AP_REQUEST, 1)`,
    );
  }
  const { armorKey, cname, crealm } = apRequestArmor(realm, armor!.armorValue, now);
  if (!req.reqBodyDer) failed(ErrorCode.KRB_ERR_GENERIC, 'the request body bytes are unavailable');
  const { inner, options } = openArmoredReq(armored, armorKey, req, req.reqBodyDer!, {
    now,
    style: realm.policy.krbErrorStyle,
    random: realm.random,
  });
  return { armorKey, options, inner, armorClient: { cname, crealm } };
}

/**
 * Open the PA-FX-FAST of a TGS-REQ whose PA-TGS-REQ (`tgsReq`, the AP-REQ
 * bytes) has been verified: implicit armor from its `subkey` and the
 * ticket's `sessionKey` (section 5.4.1.1).
 */
export function unwrapTgsFast(
  realm: Realm,
  req: KdcReq,
  pa: PaData,
  tgsReq: Uint8Array,
  keys: { readonly subkey: Key | undefined; readonly sessionKey: Key },
  ctx: ArmoredErrorContext,
): FastRequest {
  // No policy check here: MIT's client armors every TGS-REQ it can (implicit
  // armor needs nothing from the KDC), also against KDCs that never offered
  // FAST, and AD DCs with armoring off still answer those requests. So a
  // realm with fast: 'none' serves implicit TGS armor too, rather than refuse
  // every MIT client; 'none' governs what the realm offers and explicit AS
  // armor.
  const armored = decodeArmoredReq(pa);
  if (armored.armor !== undefined) {
    // MIT's KDC refuses it ("Ap-request armor not permitted with TGS"). A DC serves it: compound
    // identity (MS-KILE 3.3.5.7.4), the armor key then KRB-FX-CF2 of the explicit armor's and the
    // subkey, the device's claims and groups added to the ticket; krbsim does not, and refuses it with
    // the code it gives an armor it does not serve, rather than answer under another armor key.
    failed(
      ErrorCode.KDC_ERR_PREAUTH_FAILED,
      realm.kind === 'active-directory'
        ? 'explicit armor in a TGS-REQ is compound-identity armor (MS-KILE 3.3.5.7.4), which krbsim does not serve: armor the TGS-REQ with its PA-TGS-REQ alone'
        : 'a TGS-REQ is armored by its PA-TGS-REQ; AP-REQ armor is not allowed',
    );
  }
  if (keys.subkey === undefined) {
    failed(
      ErrorCode.KDC_ERR_PREAUTH_FAILED,
      'an armored TGS-REQ needs a subkey in its PA-TGS-REQ authenticator',
    );
  }
  const armorKey = fastArmorKey(keys.subkey!, keys.sessionKey);
  const { inner, options } = openArmoredReq(armored, armorKey, req, tgsReq, ctx);
  return { armorKey, options, inner };
}
