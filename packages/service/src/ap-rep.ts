/**
 * The service's answer for mutual authentication: RFC 4120 section 3.2.4
 * (KRB_AP_REP) and section 5.5.2. EncAPRepPart echoes the authenticator's
 * ctime and cusec, may carry the service's own subkey and initial sequence
 * number, and is encrypted with the ticket's session key, key usage 12.
 *
 * With GSS-API framing the acceptor also picks its own subkey and initial
 * sequence number, as MIT's and Windows' acceptors do (RFC 4121 section
 * 4.1.1 and section 4.2.6: once the acceptor sends a subkey, per-message
 * tokens use it and set the AcceptorSubkey flag). The subkey's enctype is
 * the one negotiated (RFC 4537, `etype-negotiation.ts`). A context whose key
 * is rc4-hmac gets a subkey only when negotiation upgrades it to an RFC 4121
 * enctype, as MIT's acceptor decides: RFC 4757's tokens do not say which key
 * protects them.
 *
 * A raw AP-REP echoes only the time. Where the acceptor makes no subkey of
 * its own, it sends none, as Heimdal's `krb5_mk_rep` does; MIT's echoes the
 * client's subkey there, which a DCE-style initiator (a raw AP-REQ) would take
 * for an acceptor subkey.
 *
 * @module
 */

import {
  type Authenticator,
  decodeApRep,
  decodeEncApRepPart,
  type EncApRepPart,
  encodeApRep,
  encodeEncApRepPart,
} from '@krbsim/asn1';
import { ErrorCode, KerberosError, type RandomSource, randomUInt31 } from '@krbsim/core';
import { decrypt, encrypt, generateKey, type Key, KeyUsage } from '@krbsim/crypto';
import { negotiateEncType } from './etype-negotiation';
import { usesRfc1964Tokens } from './gss/per-message-token';

/** What the service sends and keeps after deciding to answer. */
export interface AcceptorReply {
  /** The DER AP-REP. */
  readonly apRep: Uint8Array;
  /** The subkey the service sent (GSS framing only). */
  readonly acceptorSubkey?: Key;
  /** The service's initial sequence number (GSS framing only). */
  readonly acceptorSeqNumber?: number;
}

/** Builds the DER AP-REP for `part`, encrypted with the session key (usage 12). */
export function buildApRep(sessionKey: Key, part: EncApRepPart, random: RandomSource): Uint8Array {
  const plain = encodeEncApRepPart(part);
  const cipher = encrypt(sessionKey, KeyUsage.AP_REP_ENCPART, plain, { random });
  // The encoding is a view into the encoders' shared slab, which the AP-REP's own bytes share too:
  // the subkey in it must not stay behind them.
  plain.fill(0);
  return encodeApRep({ pvno: 5, msgType: 15, encPart: { etype: sessionKey.etype, cipher } });
}

/**
 * The AP-REP answering `auth`: the echoed time, plus for GSS framing a random
 * initial sequence number and, unless the context stays an RFC 1964-style
 * one, a fresh acceptor subkey of the negotiated enctype.
 */
export function acceptorReply(
  sessionKey: Key,
  auth: Authenticator,
  gss: boolean,
  random: RandomSource,
  negotiation: {
    /** The client's RFC 4537 EtypeList, if it sent one. */
    readonly etypeList: readonly number[] | undefined;
    /** The acceptor's enctypes, most preferred first. */
    readonly acceptorEncTypes: readonly number[];
    /** A DCE-style context: it always takes an acceptor subkey, as MIT's acceptor makes one. */
    readonly dce?: boolean;
  },
): AcceptorReply {
  let acceptorSubkey: Key | undefined;
  let acceptorSeqNumber: number | undefined;
  if (gss) {
    const negotiated = negotiateEncType(
      negotiation.etypeList,
      auth.subkey?.keytype,
      sessionKey.etype,
      negotiation.acceptorEncTypes,
    );
    // MIT's accept_sec_context: a CFX context always takes a subkey; an RFC 1964 one only to become CFX.
    const contextEtype = auth.subkey?.keytype ?? sessionKey.etype;
    if (
      negotiation.dce === true ||
      !usesRfc1964Tokens(contextEtype) ||
      (negotiated !== sessionKey.etype && !usesRfc1964Tokens(negotiated))
    ) {
      acceptorSubkey = generateKey(negotiated, { random });
    }
    acceptorSeqNumber = randomUInt31(random);
  }
  const apRep = buildApRep(
    sessionKey,
    {
      ctime: auth.ctime,
      cusec: auth.cusec,
      ...(acceptorSubkey === undefined
        ? {}
        : { subkey: { keytype: acceptorSubkey.etype, keyvalue: acceptorSubkey.bytes } }),
      ...(acceptorSeqNumber === undefined ? {} : { seqNumber: acceptorSeqNumber }),
    },
    random,
  );
  return {
    apRep,
    ...(acceptorSubkey === undefined ? {} : { acceptorSubkey }),
    ...(acceptorSeqNumber === undefined ? {} : { acceptorSeqNumber }),
  };
}

/**
 * Checks the third leg of a DCE-style context (MS-KILE 3.4.5.1): the
 * initiator's AP-REP, sealed with the session key (usage 12), carrying the
 * sequence number of the acceptor's own AP-REP and no subkey, as MIT's
 * `krb5_rd_rep_dce` checks it (its time is not checked).
 *
 * @throws KerberosError KRB_AP_ERR_MUT_FAIL when it is sealed with another
 *   enctype or carries another sequence number or a subkey; the decryption's
 *   KRB_AP_ERR_BAD_INTEGRITY when it is not the session key's; the codec's
 *   errors for what is not an AP-REP.
 */
export function checkDceReply(sessionKey: Key, acceptorSeqNumber: number, token: Uint8Array): void {
  const rep = decodeApRep(token);
  if (rep.encPart.etype !== sessionKey.etype) {
    throw mutFail(
      `it is sealed with enctype ${rep.encPart.etype}, not the session key's ${sessionKey.etype}`,
    );
  }
  const part = decodeEncApRepPart(decrypt(sessionKey, KeyUsage.AP_REP_ENCPART, rep.encPart.cipher));
  if ((part.seqNumber ?? 0) !== acceptorSeqNumber) {
    throw mutFail(
      `it carries sequence number ${part.seqNumber ?? 'none'}, not the ${acceptorSeqNumber} of the acceptor's AP-REP`,
    );
  }
  // The initiator echoes no key: a subkey here would be taken for one of its own (MIT refuses it).
  if (part.subkey !== undefined) throw mutFail('it carries a subkey');
}

function mutFail(why: string): KerberosError {
  return new KerberosError(
    ErrorCode.KRB_AP_ERR_MUT_FAIL,
    `the DCE-style initiator's AP-REP is refused: ${why}`,
  );
}
