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

/** Frames a DER AP-REQ. SPNEGO offers `[MS krb5, krb5]`, as Windows does. */
export function frameApReq(apReq: Uint8Array, framing: GssFraming): Uint8Array {
  if (framing === 'none') return apReq;
  const gss = wrapKrb5Token(Krb5TokenId.AP_REQ, apReq);
  if (framing === 'krb5') return gss;
  return encodeNegotiationToken({
    negTokenInit: { mechTypes: [GssOid.MS_KRB5, GssOid.KRB5], mechToken: gss },
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

/**
 * The DER AP-REP inside a service's answer framed as `framing`. A KRB-ERROR
 * in its place (raw, or GSS token id 03 00) is thrown as a KerberosError with
 * the service's code; a SPNEGO reject is thrown as KRB_AP_ERR_MUT_FAIL.
 */
export function unframeApRep(token: Uint8Array, framing: GssFraming): Uint8Array {
  let inner = token;
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
      throw new KerberosError(ErrorCode.KRB_AP_ERR_MUT_FAIL, 'the service rejected the SPNEGO negotiation');
    }
    if (resp.responseToken === undefined) {
      throw new KerberosError(
        ErrorCode.KRB_AP_ERR_MUT_FAIL,
        'the SPNEGO answer carries no AP-REP (responseToken is absent), though mutual authentication was asked for',
      );
    }
    inner = resp.responseToken;
  }
  if (framing === 'krb5' || framing === 'spnego') {
    const { tokId, message } = unwrapKrb5Token(inner);
    if (tokId === Krb5TokenId.KRB_ERROR) throw krbErrorToThrow(decodeKrbError(message));
    if (tokId !== Krb5TokenId.AP_REP) {
      throw new KerberosError(
        ErrorCode.KRB_AP_ERR_MSG_TYPE,
        `the GSS token has id 0x${tokId.toString(16).padStart(4, '0')} where an AP-REP (0x0200) was expected`,
      );
    }
    return message;
  }
  if (inner[0] === TAG_KRB_ERROR) throw krbErrorToThrow(decodeKrbError(inner));
  return inner;
}
