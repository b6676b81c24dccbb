/**
 * The Ticket-Granting Service exchange: RFC 4120 section 3.3. The request
 * carries PA-TGS-REQ (section 5.4.1), an AP-REQ made from the ticket-granting
 * ticket whose authenticator (key usage 7) holds a keyed checksum of the DER
 * `req-body` (key usage 6, the session key's etype's checksum type, RFC 3961
 * section 4) and, as MIT sends, a fresh subkey. The reply's encrypted part
 * then uses the subkey with key usage 9 (or the session key with usage 8 when
 * no subkey was sent), and is checked as section 3.3.4 says. With FAST
 * (RFC 6113, `fastTgs`), the PA-TGS-REQ's subkey armors the request: the
 * body travels encrypted in PA-FX-FAST, and the reply key is strengthened.
 *
 * @module
 */

import {
  type Authenticator,
  type AuthorizationData,
  decodeEncKdcRepPart,
  type EncKdcRepPart,
  encodeApReq,
  encodeAuthorizationData,
  encodeKdcReqBody,
  encodePaPacOptions,
  encodeTgsReq,
  encodeTicket,
  formatPrincipal,
  type KdcReqBody,
  type PaData,
  PaDataType,
  type PrincipalName,
  type QualifiedName,
  sameName,
  type TgsRep,
  type Ticket,
  TicketFlags,
  tgsRealmOf,
} from '@krbsim/asn1';
import { ErrorCode, isKerberosError, KerberosError, randomUInt31 } from '@krbsim/core';
import {
  checksum,
  checksumTypeFor,
  decrypt,
  encrypt,
  fastArmorKey,
  generateKey,
  type Key,
  KeyUsage,
} from '@krbsim/crypto';
import { type Credential, credentialFromReply, keyToWire } from '../credential';
import { type ClientContext, kerberosTime, sendTgsReq } from './context';
import { type FastArmor, fastPadata, openFastError, openFastReply, strengthenedKey } from './fast';
import { errorFromKrbError, replyMismatch } from './krb-error';
import { checkReplyTimes } from './reply-times';
import { sealApReq } from './seal-ap-req';
import { checkSessionKey } from './session-key';

/** One TGS exchange's parameters. */
export interface TgsRequest {
  /** The credential whose ticket goes in PA-TGS-REQ: a TGT, or the ticket being renewed. */
  readonly tgt: Credential;
  /** The realm whose KDC is asked. */
  readonly kdcRealm: string;
  /** The server asked for (req-body `sname`). */
  readonly server: PrincipalName;
  /** The server's realm as the request states it (req-body `realm`). */
  readonly serverRealm: string;
  readonly kdcOptions: number;
  /** Requested end time; default the presented ticket's end time. */
  readonly till?: number;
  readonly rtime?: number;
  /** Send an authenticator subkey (as MIT does). Default true. */
  readonly subkey?: boolean;
  /**
   * More padata after PA-TGS-REQ (S4U's, MS-SFU 2.2), made once the request's nonce and
   * subkey are chosen; under FAST they travel inside the armored request (RFC 6113 5.4.2).
   */
  readonly padata?: (request: RequestKeys) => readonly PaData[];
  /** additional-tickets (RFC 4120 5.4.1): S4U2Proxy's evidence, or user-to-user's TGT. */
  readonly additionalTickets?: readonly Ticket[];
  /**
   * enc-authorization-data (RFC 4120 5.4.1): authorization data for the KDC to copy into the
   * ticket, sealed with the subkey (usage 5), else the TGT's session key (usage 4).
   */
  readonly authorizationData?: AuthorizationData;
  /**
   * PA-PAC-OPTIONS' flags (MS-KILE 2.2.10), sent after the other padata when given: a Windows
   * client's branch-aware, S4U2Proxy's resource-based-constrained-delegation (MS-SFU 3.1.5.2.2).
   */
  readonly pacOptions?: number;
  /**
   * The clients the reply may name; default the presented ticket's client (RFC 4120 3.3.4).
   * `'any'` leaves the check to the caller (S4U2Self, whose reply names the user or, on a
   * referral, the service).
   */
  readonly replyClients?: readonly QualifiedName[] | 'any';
}

/** What a request's own padata is bound to: its nonce and keys. */
export interface RequestKeys {
  readonly nonce: number;
  /** The TGT's session key. */
  readonly sessionKey: Key;
  /** The authenticator's subkey, when one is sent. */
  readonly subkey: Key | undefined;
}

/** A TGS reply after decryption and checks. */
export interface TgsResult {
  readonly cred: Credential;
  readonly rep: TgsRep;
  /** The reply's encrypted part (its encrypted-pa-data, for one). */
  readonly enc: EncKdcRepPart;
  /** The reply key before any FAST strengthening: the subkey sent, else the TGT's session key. */
  readonly replyKey: Key;
}

/** Builds the DER TGS-REQ; returns it with the nonce and the subkey used. */
function buildTgsReq(
  ctx: ClientContext,
  req: TgsRequest,
): { bytes: Uint8Array; body: KdcReqBody; subkey: Key | undefined; fast: FastArmor | undefined } {
  const { tgt } = req;
  const nonce = randomUInt31(ctx.random);
  const sk = tgt.sessionKey;
  if (ctx.fastTgs && req.subkey === false) {
    throw new KerberosError(
      ErrorCode.KRB_ERR_GENERIC,
      'a FAST TGS-REQ is armored by its subkey; it cannot go without one',
    );
  }
  const subkey = req.subkey === false ? undefined : generateKey(sk.etype, { random: ctx.random });
  const adKey = subkey ?? sk;
  const body: KdcReqBody = {
    kdcOptions: req.kdcOptions >>> 0,
    realm: req.serverRealm,
    sname: req.server,
    till: kerberosTime(req.till ?? tgt.endtime),
    ...(req.rtime === undefined ? {} : { rtime: kerberosTime(req.rtime) }),
    nonce,
    etype: ctx.encTypes,
    ...(req.authorizationData === undefined
      ? {}
      : {
          encAuthorizationData: {
            etype: adKey.etype,
            cipher: encrypt(
              adKey,
              subkey === undefined ? KeyUsage.TGS_REQ_AD_SESSKEY : KeyUsage.TGS_REQ_AD_SUBKEY,
              encodeAuthorizationData(req.authorizationData),
              { random: ctx.random },
            ),
          },
        }),
    ...(req.additionalTickets === undefined ? {} : { additionalTickets: req.additionalTickets }),
  };
  // The checksum covers exactly the req-body octets the KDC will see: DER is
  // canonical, so encoding the body alone gives the bytes inside the TGS-REQ.
  const bodyDer = encodeKdcReqBody(body);
  const t = ctx.authClock.next();
  const authenticator: Authenticator = {
    authenticatorVno: 5,
    crealm: tgt.client.realm,
    cname: tgt.client.name,
    cksum: {
      cksumtype: checksumTypeFor(sk.etype),
      checksum: checksum(sk, KeyUsage.TGS_REQ_AUTH_CKSUM, bodyDer),
    },
    cusec: t.cusec,
    ctime: t.ctime,
    ...(subkey === undefined ? {} : { subkey: keyToWire(subkey) }),
  };
  const apReq = sealApReq(tgt, authenticator, KeyUsage.TGS_REQ_AUTH, ctx.random);
  const tgsReq = { padataType: PaDataType.PA_TGS_REQ, padataValue: encodeApReq(apReq) };
  const own = req.padata?.({ nonce, sessionKey: sk, subkey }) ?? [];
  const more: readonly PaData[] =
    req.pacOptions === undefined
      ? own
      : [
          ...own,
          {
            padataType: PaDataType.PA_PAC_OPTIONS,
            padataValue: encodePaPacOptions({ flags: req.pacOptions }),
          },
        ];
  // RFC 6113 section 5.4.1.1: implicit armor; req-checksum covers the PA-TGS-REQ's AP-REQ.
  const fast: FastArmor | undefined =
    ctx.fastTgs && subkey !== undefined ? { armorKey: fastArmorKey(subkey, sk) } : undefined;
  const bytes = encodeTgsReq({
    pvno: 5,
    msgType: 12,
    padata:
      fast === undefined
        ? [tgsReq, ...more]
        : [tgsReq, fastPadata(ctx, fast, { padata: more, body }, tgsReq.padataValue)],
    reqBody: body,
  });
  return { bytes, body, subkey, fast };
}

function decryptReply(
  rep: TgsRep,
  tgt: Credential,
  subkey: Key | undefined,
  realm: string,
  strengthen: (key: Key) => Key,
): { enc: EncKdcRepPart; replyKey: Key } {
  const attempts: Array<[Key, number]> = [];
  if (subkey !== undefined && subkey.etype === rep.encPart.etype)
    attempts.push([subkey, KeyUsage.TGS_REP_ENCPART_SUBKEY]);
  // RFC 4120 section 5.4.2: usage 8 with the session key when no subkey was
  // sent; some KDCs use it even when one was, so it is the fallback.
  attempts.push([tgt.sessionKey, KeyUsage.TGS_REP_ENCPART_SESSKEY]);
  let last: unknown;
  for (const [key, usage] of attempts) {
    if (key.etype !== rep.encPart.etype) continue;
    try {
      return { enc: decodeEncKdcRepPart(decrypt(strengthen(key), usage, rep.encPart.cipher)), replyKey: key };
    } catch (e) {
      if (!isKerberosError(e, ErrorCode.KRB_AP_ERR_BAD_INTEGRITY)) throw e;
      last = e;
    }
  }
  throw new KerberosError(
    ErrorCode.KRB_AP_ERR_BAD_INTEGRITY,
    `the TGS-REP from ${realm} did not decrypt with the TGT's session key or the subkey sent`,
    { realm, cause: last },
  );
}

/**
 * True when `tgt` is the client's own TGT, `krbtgt/C@C` for the client's realm C: MIT's
 * `tgt_is_local_realm` (gc_via_tkt.c), which judges by the client's realm, so a cross-realm TGT,
 * a service ticket being renewed, and the anonymous client's TGT (its realm is
 * WELLKNOWN:ANONYMOUS) are not.
 */
function isLocalTgt(tgt: Credential): boolean {
  const realm = tgt.client.realm;
  return tgsRealmOf(tgt.server.name) === realm && tgt.server.realm === realm;
}

/**
 * The reply's TicketFlags as the client keeps them. ok-as-delegate from a foreign KDC is trusted
 * only when the ticket presented carried it too (MIT's `krb5int_process_tgs_reply`, on every TGS
 * reply): applied reply by reply, a ticket got through referrals keeps it only when every
 * cross-realm TGT on the way had it, and a renewed ticket has it only when the ticket renewed had
 * it as the client kept it, whatever the KDC (which reads the ticket's own flags) answers. Only
 * the local KDC, asked with the client's own TGT, is believed as it is. The ticket itself is not
 * changed; a client delegating by policy then hands its TGT only where every KDC on the way
 * allowed it (MS-KILE 3.3.5.7.5 is the KDCs' side of the rule).
 */
function trustedFlags(tgt: Credential, flags: number): number {
  const ok = TicketFlags['ok-as-delegate'];
  if (isLocalTgt(tgt) || (tgt.flags & ok) !== 0) return flags;
  return (flags & ~ok) >>> 0;
}

/** Runs one TGS exchange (no referral logic: the caller interprets the ticket it gets). */
export async function tgsExchange(ctx: ClientContext, req: TgsRequest): Promise<TgsResult> {
  const { tgt, kdcRealm } = req;
  const client = formatPrincipal(tgt.client.name, tgt.client.realm);
  // Formatted only for a log line or an error.
  const server = (): string => formatPrincipal(req.server, req.serverRealm);
  const { bytes, body, subkey, fast } = buildTgsReq(ctx, req);
  const { nonce } = body;
  if (ctx.logging) {
    ctx.log(
      `TGS-REQ ${client} for ${server()} -> ${kdcRealm} (with ${formatPrincipal(tgt.server.name, tgt.server.realm)}${fast === undefined ? '' : ', FAST'})`,
    );
  }
  const answer = await sendTgsReq(ctx, kdcRealm, bytes, {
    from: client,
    label: `sname=${formatPrincipal(req.server)}`,
  });
  if (answer.kind === 'error') {
    const e = fast === undefined ? answer.error : openFastError(fast, answer.error, nonce, kdcRealm).error;
    if (ctx.logging)
      ctx.log(`KRB-ERROR ${e.errorCode} from ${e.realm || kdcRealm}${e.eText ? `: ${e.eText}` : ''}`);
    throw errorFromKrbError(
      e,
      { doing: `getting a ticket for ${server()} from ${kdcRealm}`, client, server: server() },
      kdcRealm,
    );
  }
  const received = answer.reply;
  // Armored: the FAST response names the client and gives the strengthen key (RFC 6113 section 5.4.3).
  const fastReply = fast === undefined ? undefined : openFastReply(fast, received, nonce, kdcRealm);
  const rep: TgsRep =
    fastReply === undefined
      ? received
      : {
          ...received,
          crealm: fastReply.client.realm,
          cname: fastReply.client.name,
          ...(fastReply.padata.length > 0 ? { padata: fastReply.padata } : {}),
        };
  const { enc, replyKey } = decryptReply(rep, tgt, subkey, kdcRealm, (k) =>
    fastReply === undefined ? k : strengthenedKey(fastReply, k),
  );
  if (enc.nonce !== nonce) throw replyMismatch(`nonce ${enc.nonce} where ${nonce} was sent`, kdcRealm);
  const clients = req.replyClients;
  const named = (c: QualifiedName): boolean => rep.crealm === c.realm && sameName(rep.cname, c.name);
  if (clients === undefined ? !named(tgt.client) : clients !== 'any' && !clients.some(named)) {
    const wanted =
      clients === undefined
        ? `the TGT's client ${client}`
        : (clients as readonly QualifiedName[]).map((c) => formatPrincipal(c.name, c.realm)).join(' or ');
    throw replyMismatch(`client ${formatPrincipal(rep.cname, rep.crealm)} is not ${wanted}`, kdcRealm);
  }
  if (enc.srealm !== rep.ticket.realm || !sameName(enc.sname, rep.ticket.sname)) {
    throw replyMismatch('the ticket names a different server than the encrypted part', kdcRealm);
  }
  checkReplyTimes(ctx, enc, body, kdcRealm, 'tgs');
  checkSessionKey(ctx, enc.key, 'TGS-REP', kdcRealm);
  const issued = credentialFromReply(rep, enc, encodeTicket(rep.ticket));
  const flags = trustedFlags(tgt, issued.flags);
  // The credential notes what it was asked with (a copy: the caller's arrays may change), so that
  // the cache serves it again only to a request for the same authorization data (MIT's
  // KRB5_TC_MATCH_AUTHDATA).
  const cred: Credential =
    req.authorizationData === undefined && flags === issued.flags
      ? issued
      : {
          ...issued,
          flags,
          ...(req.authorizationData !== undefined && {
            requestedAuthorizationData: req.authorizationData.map((e) => ({
              adType: e.adType,
              adData: e.adData.slice(),
            })),
          }),
        };
  if (ctx.logging)
    ctx.log(`TGS-REP from ${kdcRealm}: ${formatPrincipal(cred.server.name, cred.server.realm)}`);
  return { cred, rep, enc, replyKey };
}
