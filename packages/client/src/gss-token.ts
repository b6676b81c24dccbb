/**
 * Framing an AP-REQ the three ways applications carry it, and unframing the
 * answer: raw (RFC 4120 section 5.5.1), the GSS-API Kerberos
 * InitialContextToken (RFC 4121 section 4.1: the RFC 2743 section 3.1 header
 * with the krb5 mechanism OID and token id 01 00; the AP-REP comes back as
 * 02 00 and a KRB-ERROR as 03 00), and SPNEGO (RFC 4178 section 4.2:
 * NegTokenInit carrying the GSS token as mechToken, answered by NegTokenResp).
 *
 * @module
 */

import {
  decodeKrbError,
  decodeNegotiationToken,
  encodeNegotiationToken,
  formatPrincipal,
  GssOid,
  Krb5TokenId,
  type KrbErrorMessage,
  NegState,
  unwrapKrb5Token,
  wrapKrb5Token,
} from '@krbsim/asn1';
import { ErrorCode, KerberosError } from '@krbsim/core';

/** How an AP-REQ is framed. */
export type GssFraming = 'none' | 'krb5' | 'spnego';

/** The mechanisms a SPNEGO NegTokenInit offers, in order: Microsoft's Kerberos OID first, as Windows offers them. */
export const SPNEGO_MECH_TYPES: readonly string[] = [GssOid.MS_KRB5, GssOid.KRB5];

/**
 * The mechanism OID of the GSS token around the AP-REQ (RFC 4121 section 4.1): the krb5 one, inside
 * SPNEGO too, where Microsoft's is offered first, as Windows frames its Kerberos tokens. The AP-REP
 * must come back framed with it (see {@link readApRepAnswer}).
 */
const AP_REQ_MECH = GssOid.KRB5;

/** Frames a DER AP-REQ. SPNEGO offers `[1.2.840.48018.1.2.2, 1.2.840.113554.1.2.2]` (Microsoft's Kerberos OID first). */
export function frameApReq(apReq: Uint8Array, framing: GssFraming): Uint8Array {
  if (framing === 'none') return apReq;
  const gss = wrapKrb5Token(Krb5TokenId.AP_REQ, apReq, AP_REQ_MECH);
  if (framing === 'krb5') return gss;
  return encodeNegotiationToken({
    negTokenInit: { mechTypes: SPNEGO_MECH_TYPES, mechToken: gss },
  });
}

const TAG_KRB_ERROR = 0x7e;

function krbErrorToThrow(err: KrbErrorMessage): KerberosError {
  const eText = err.eText ? ` ("${err.eText}")` : '';
  return new KerberosError(
    err.errorCode,
    `the service ${formatPrincipal(err.sname, err.realm)} refused the AP-REQ${eText}`,
    {
      realm: err.realm,
    },
  );
}

/** The KRB-ERROR a GSS error token (TOK_ID 03 00) carries, or undefined for any other token. */
function krbErrorIn(token: Uint8Array): KrbErrorMessage | undefined {
  try {
    const { tokId, message } = unwrapKrb5Token(token);
    return tokId === Krb5TokenId.KRB_ERROR ? decodeKrbError(message) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A service's answer to an AP-REQ, unframed: the DER AP-REP and, from SPNEGO, the acceptor's
 * mechListMIC. No AP-REP only in a SPNEGO answer to an AP-REQ without mutual authentication.
 */
export interface ApRepAnswer {
  readonly apRep?: Uint8Array;
  /** The acceptor's MIC over {@link SPNEGO_MECH_TYPES} (RFC 4178 section 5), to verify once the context is made. */
  readonly mechListMic?: Uint8Array;
}

function notServed(why: string): KerberosError {
  return new KerberosError(ErrorCode.KRB_AP_ERR_METHOD, why);
}

/**
 * The DER AP-REP inside a service's answer framed as `framing`. A KRB-ERROR
 * in its place (raw, or GSS token id 03 00) is thrown as a KerberosError with
 * the service's code; a SPNEGO reject is thrown as KRB_AP_ERR_MUT_FAIL.
 * A SPNEGO answer must complete the negotiation on Kerberos in this one reply:
 * negState accept-completed and supportedMech a mechanism offered (anything
 * else is KRB_AP_ERR_METHOD, or KRB_AP_ERR_MSG_TYPE without a negState or a
 * supportedMech). A GSS AP-REP framed with another mechanism OID than the
 * AP-REQ's (krb5) is KRB_AP_ERR_MSG_TYPE.
 */
export function unframeApRep(token: Uint8Array, framing: GssFraming): Uint8Array {
  const { apRep } = readApRepAnswer(token, framing);
  if (apRep === undefined) throw new Error('unreachable: an answer to a mutual AP-REQ carries an AP-REP');
  return apRep;
}

/**
 * {@link unframeApRep}, keeping a SPNEGO answer's mechListMIC. This initiator
 * sends one token (the optimistic Kerberos one), so a NegTokenResp must say
 * accept-completed for one of the Kerberos OIDs offered (RFC 4178 section
 * 4.2.2: negState and supportedMech are required in the first reply, and MIT's
 * initiator refuses a reply without either as a defective token): an acceptor
 * that asks for more (accept-incomplete, request-mic: a mechListMIC from the
 * initiator, section 5) or chose another mechanism gets KRB_AP_ERR_METHOD, not
 * a context it did not agree to. Either Kerberos OID will do as supportedMech
 * (Windows, MIT and Heimdal name Microsoft's, which this initiator offers
 * first; MIT's initiator takes every Kerberos OID for the same); the GSS
 * AP-REP inside must carry the OID of the AP-REQ's own token, the krb5 one, as
 * the acceptor's Kerberos mechanism answers in the mechanism it was addressed
 * in (RFC 4121 section 4.1; MIT's initiator checks it, and MIT's, Heimdal's
 * and krbsim's acceptors frame it so), KRB_AP_ERR_MSG_TYPE otherwise.
 *
 * `mutual` is whether the AP-REQ asked for mutual authentication (default true). Without it the
 * acceptor sends no AP-REP (RFC 4121 section 4.1; MIT's and krbsim's acceptors answer SPNEGO with
 * accept-completed and no responseToken), so an accept-completed answer without one is read, and
 * returned without `apRep` (its mechListMIC, if any, kept); with it, the answer must carry the
 * AP-REP (KRB_AP_ERR_MUT_FAIL).
 */
export function readApRepAnswer(token: Uint8Array, framing: GssFraming, mutual = true): ApRepAnswer {
  let inner = token;
  let mechListMic: Uint8Array | undefined;
  if (framing === 'spnego') {
    const tok = decodeNegotiationToken(token);
    if (!('negTokenResp' in tok)) {
      throw new KerberosError(
        ErrorCode.KRB_AP_ERR_MSG_TYPE,
        'the SPNEGO answer is a NegTokenInit, not a NegTokenResp',
      );
    }
    const resp = tok.negTokenResp;
    if (resp.negState === NegState.reject) {
      // An acceptor that refused the AP-REQ says why in a KRB-ERROR token (MIT's does).
      const error = resp.responseToken && krbErrorIn(resp.responseToken);
      if (error) throw krbErrorToThrow(error);
      throw new KerberosError(ErrorCode.KRB_AP_ERR_MUT_FAIL, 'the service rejected the SPNEGO negotiation');
    }
    if (resp.negState === undefined) {
      throw new KerberosError(
        ErrorCode.KRB_AP_ERR_MSG_TYPE,
        "the SPNEGO answer has no negState, which the acceptor's first reply must carry (RFC 4178 section 4.2.2)",
      );
    }
    if (resp.negState === NegState['request-mic']) {
      throw notServed(
        "the service asks for the initiator's SPNEGO mechListMIC (negState request-mic); this client completes SPNEGO in one round trip and sends none",
      );
    }
    if (resp.negState !== NegState['accept-completed']) {
      throw notServed(
        `the service's SPNEGO negState is ${resp.negState === NegState['accept-incomplete'] ? 'accept-incomplete: it wants another round trip' : `${resp.negState}, unknown`}; this client completes SPNEGO in one round trip`,
      );
    }
    if (resp.supportedMech === undefined) {
      throw new KerberosError(
        ErrorCode.KRB_AP_ERR_MSG_TYPE,
        "the SPNEGO answer has no supportedMech, which the acceptor's first reply must carry (RFC 4178 section 4.2.2)",
      );
    }
    if (!SPNEGO_MECH_TYPES.includes(resp.supportedMech)) {
      throw notServed(
        `the service chose SPNEGO mechanism ${resp.supportedMech}; this client offered only Kerberos (${SPNEGO_MECH_TYPES.join(', ')})`,
      );
    }
    if (resp.responseToken === undefined) {
      if (!mutual) return resp.mechListMic === undefined ? {} : { mechListMic: resp.mechListMic };
      throw new KerberosError(
        ErrorCode.KRB_AP_ERR_MUT_FAIL,
        'the SPNEGO answer carries no AP-REP (responseToken is absent), though mutual authentication was asked for',
      );
    }
    inner = resp.responseToken;
    mechListMic = resp.mechListMic;
  }
  if (framing === 'krb5' || framing === 'spnego') {
    const { tokId, message, mech } = unwrapKrb5Token(inner);
    // A refusal is one whatever the OID around it: the service's own code says more than the framing.
    if (tokId === Krb5TokenId.KRB_ERROR) throw krbErrorToThrow(decodeKrbError(message));
    if (tokId !== Krb5TokenId.AP_REP) {
      throw new KerberosError(
        ErrorCode.KRB_AP_ERR_MSG_TYPE,
        `the GSS token has id 0x${tokId.toString(16).padStart(4, '0')} where an AP-REP (0x0200) was expected`,
      );
    }
    // RFC 4121 section 4.1: the AP-REP comes in the mechanism the AP-REQ was framed in, whatever OID
    // SPNEGO's supportedMech named (MIT's mutual_auth: g_verify_token_header(ctx->mech_used)).
    if (mech !== AP_REQ_MECH) {
      throw new KerberosError(
        ErrorCode.KRB_AP_ERR_MSG_TYPE,
        `the GSS AP-REP is framed with mechanism ${mech}, but the AP-REQ's token was framed with ${AP_REQ_MECH}: the acceptor answers in the mechanism it was addressed in (RFC 4121 section 4.1)`,
      );
    }
    return mechListMic === undefined ? { apRep: message } : { apRep: message, mechListMic };
  }
  if (inner[0] === TAG_KRB_ERROR) throw krbErrorToThrow(decodeKrbError(inner));
  return { apRep: inner };
}
