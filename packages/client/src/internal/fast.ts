/**
 * FAST on the client side (RFC 6113 section 5.4): armoring a request and
 * opening the KDC's armored replies and errors.
 *
 * - Armor key: KRB-FX-CF2(subkey, ticket session key, "subkeyarmor",
 *   "ticketarmor") (section 5.4.1.1). An AS-REQ carries explicit armor, an
 *   AP-REQ (key usage 11) with a TGT of the realm and a fresh subkey; a
 *   TGS-REQ is armored by its own PA-TGS-REQ (its authenticator subkey).
 * - The request: a KrbFastReq (the inner padata and req-body) sealed with the
 *   armor key (usage 51), and req-checksum (usage 50) over the outer
 *   KDC-REQ-BODY (AS) or the PA-TGS-REQ AP-REQ (TGS), in PA-FX-FAST.
 * - A reply: its one PA-FX-FAST opens (usage 52) to a KrbFastResponse whose
 *   nonce must be the request's and whose KrbFastFinished checksums the
 *   ticket (usage 53); its strengthen key makes the reply key
 *   KRB-FX-CF2(strengthen key, reply key, "strengthenkey", "replykey").
 * - An error: the outer KRB-ERROR's e-data holds PA-FX-FAST, whose response
 *   (with the request's nonce too) carries the real KRB-ERROR in PA-FX-ERROR
 *   and the METHOD-DATA beside it.
 *
 * @module
 */

import {
  type Authenticator,
  decodeKrbError,
  decodeKrbFastResponse,
  decodeMethodData,
  decodePaFxFastReply,
  encodeApReq,
  encodeKdcReqBody,
  encodeKrbFastReq,
  encodeMethodData,
  encodePaFxFastRequest,
  encodeTicket,
  type KdcReqBody,
  type KrbErrorMessage,
  type KrbFastArmor,
  type KrbFastResponse,
  type PaData,
  PaDataType,
  type Ticket,
} from '@krbsim/asn1';
import { ErrorCode, isKerberosError, KerberosError } from '@krbsim/core';
import {
  checksum,
  checksumTypeFor,
  decrypt,
  encrypt,
  fastArmorKey,
  generateKey,
  type Key,
  KeyUsage,
  strengthenedReplyKey,
  verifyChecksum,
} from '@krbsim/crypto';
import { type Credential, keyFromWire, keyToWire } from '../credential';
import type { ClientContext } from './context';
import { sealApReq } from './seal-ap-req';

/** FX_FAST_ARMOR_AP_REQUEST (RFC 6113 section 5.4.1). */
const FX_FAST_ARMOR_AP_REQUEST = 1;

/** The armor of one request: its key, and the explicit armor an AS-REQ carries. */
export interface FastArmor {
  readonly armorKey: Key;
  readonly armor?: KrbFastArmor;
}

/** Explicit armor for an AS-REQ: an AP-REQ with `tgt` and a fresh subkey (section 5.4.1.1). */
export function apRequestArmor(ctx: ClientContext, tgt: Credential): FastArmor {
  const sk = tgt.sessionKey;
  const subkey = generateKey(sk.etype, { random: ctx.random });
  const t = ctx.authClock.next();
  const authenticator: Authenticator = {
    authenticatorVno: 5,
    crealm: tgt.client.realm,
    cname: tgt.client.name,
    cusec: t.cusec,
    ctime: t.ctime,
    subkey: keyToWire(subkey),
  };
  const apReq = sealApReq(tgt, authenticator, KeyUsage.AP_REQ_AUTH, ctx.random);
  return {
    armorKey: fastArmorKey(subkey, sk),
    armor: { armorType: FX_FAST_ARMOR_AP_REQUEST, armorValue: encodeApReq(apReq) },
  };
}

/**
 * The PA-FX-FAST of an armored request: the inner `padata` and `body`
 * sealed, with req-checksum over `checksummed` (the outer KDC-REQ-BODY DER
 * for an AS-REQ, the PA-TGS-REQ AP-REQ for a TGS-REQ).
 */
export function fastPadata(
  ctx: ClientContext,
  fast: FastArmor,
  inner: { readonly padata: readonly PaData[]; readonly body: KdcReqBody },
  checksummed: Uint8Array,
): PaData {
  const key = fast.armorKey;
  const fastReq = encodeKrbFastReq({
    fastOptions: 0,
    padata: inner.padata,
    reqBody: encodeKdcReqBody(inner.body),
  });
  return {
    padataType: PaDataType.PA_FX_FAST,
    padataValue: encodePaFxFastRequest({
      armoredData: {
        ...(fast.armor !== undefined && { armor: fast.armor }),
        reqChecksum: {
          cksumtype: checksumTypeFor(key.etype),
          checksum: checksum(key, KeyUsage.KEY_USAGE_FAST_REQ_CHKSUM, checksummed),
        },
        encFastReq: {
          etype: key.etype,
          cipher: encrypt(key, KeyUsage.KEY_USAGE_FAST_ENC, fastReq, { random: ctx.random }),
        },
      },
    }),
  };
}

function modified(why: string, realm: string, cause?: unknown): KerberosError {
  return new KerberosError(
    ErrorCode.KRB_AP_ERR_MODIFIED,
    `the FAST reply from ${realm} cannot be trusted: ${why}`,
    { realm, ...(cause !== undefined && { cause }) },
  );
}

/** The KrbFastResponse in `padata`'s PA-FX-FAST, or undefined when there is none. */
function openResponse(
  fast: FastArmor,
  padata: readonly PaData[] | undefined,
  realm: string,
): KrbFastResponse | undefined {
  const pa = padata?.find((p) => p.padataType === PaDataType.PA_FX_FAST);
  if (pa === undefined) return undefined;
  try {
    const rep = decodePaFxFastReply(pa.padataValue).armoredData;
    return decodeKrbFastResponse(decrypt(fast.armorKey, KeyUsage.KEY_USAGE_FAST_REP, rep.encFastRep.cipher));
  } catch (e) {
    if (!isKerberosError(e)) throw e;
    throw modified('its PA-FX-FAST does not open with the armor key', realm, e);
  }
}

/** What an armored AS-REP or TGS-REP says inside its FAST response. */
export interface FastReply {
  /** The reply's padata (ETYPE-INFO2, the KDC's encrypted challenge, ...). */
  readonly padata: readonly PaData[];
  /** The reply key's replacement maker, when the KDC sent a strengthen key. */
  readonly strengthenKey?: Key;
  /** The client the reply is for (KrbFastFinished). */
  readonly client: { readonly realm: string; readonly name: Ticket['sname'] };
}

/** Open and check an armored reply's FAST response (section 5.4.3). */
export function openFastReply(
  fast: FastArmor,
  rep: { readonly padata?: readonly PaData[]; readonly ticket: Ticket },
  nonce: number,
  realm: string,
): FastReply {
  const res = openResponse(fast, rep.padata, realm);
  if (res === undefined) throw modified('the reply to an armored request carries no PA-FX-FAST', realm);
  if (res.nonce !== nonce) throw modified(`its nonce ${res.nonce} is not the request's ${nonce}`, realm);
  const fin = res.finished;
  if (fin === undefined) throw modified('its FAST response has no KrbFastFinished', realm);
  let ok = false;
  try {
    ok = verifyChecksum(
      fast.armorKey,
      KeyUsage.KEY_USAGE_FAST_FINISHED,
      encodeTicket(rep.ticket),
      fin.ticketChecksum.checksum,
      { cksumtype: fin.ticketChecksum.cksumtype },
    );
  } catch (e) {
    if (!isKerberosError(e)) throw e;
  }
  if (!ok) throw modified('the ticket does not match the KrbFastFinished checksum', realm);
  return {
    padata: res.padata,
    ...(res.strengthenKey !== undefined && { strengthenKey: keyFromWire(res.strengthenKey) }),
    client: { realm: fin.crealm, name: fin.cname },
  };
}

/** The reply key after strengthening (section 5.4.3), or `key` when the KDC sent no strengthen key. */
export function strengthenedKey(reply: FastReply, key: Key): Key {
  return reply.strengthenKey === undefined ? key : strengthenedReplyKey(reply.strengthenKey, key);
}

/** A KRB-ERROR answering an armored request, and whether it came armored. */
export interface FastError {
  readonly error: KrbErrorMessage;
  /**
   * False when the error carried no PA-FX-FAST (the KDC could not use the
   * armor): nothing in it is authenticated, so it is final, as MIT's
   * client takes it (no pre-authentication hints, no referral followed).
   */
  readonly armored: boolean;
}

/**
 * The KRB-ERROR inside an armored error (PA-FX-ERROR, section 5.4.4), with
 * the METHOD-DATA that came with it as its e-data. An error without
 * PA-FX-FAST is returned as it came, marked unarmored. The KrbFastResponse
 * must carry the request's `nonce`, as a reply's does (section 5.4.3; MIT's
 * client checks it for errors too): an armored error from another exchange
 * is KRB_AP_ERR_MODIFIED.
 */
export function openFastError(
  fast: FastArmor,
  err: KrbErrorMessage,
  nonce: number,
  realm: string,
): FastError {
  let outer: readonly PaData[] | undefined;
  try {
    outer = err.eData === undefined ? undefined : decodeMethodData(err.eData);
  } catch (e) {
    if (!isKerberosError(e)) throw e;
    return { error: err, armored: false };
  }
  const res = openResponse(fast, outer, realm);
  if (res === undefined) return { error: err, armored: false };
  if (res.nonce !== nonce) throw modified(`its nonce ${res.nonce} is not the request's ${nonce}`, realm);
  const fx = res.padata.find((p) => p.padataType === PaDataType.PA_FX_ERROR);
  if (fx === undefined) throw modified('its armored error carries no PA-FX-ERROR', realm);
  let inner: KrbErrorMessage;
  try {
    inner = decodeKrbError(fx.padataValue);
  } catch (e) {
    if (!isKerberosError(e)) throw e;
    throw modified('its PA-FX-ERROR does not decode', realm, e);
  }
  const rest = res.padata.filter((p) => p !== fx);
  return { error: rest.length === 0 ? inner : { ...inner, eData: encodeMethodData(rest) }, armored: true };
}
