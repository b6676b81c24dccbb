/**
 * Recognising how an AP-REQ arrived and framing the answer the same way:
 *
 * - raw: the DER AP-REQ itself (`[APPLICATION 14]`, first octet 0x6e),
 *   answered with a DER AP-REP (RFC 4120 section 5.5);
 * - GSS-API krb5: the RFC 2743 section 3.1 InitialContextToken with the
 *   krb5 OID (or Microsoft's legacy one) and TOK_ID 01 00, answered with
 *   TOK_ID 02 00 (RFC 4121 section 4.1);
 * - SPNEGO: a NegTokenInit (RFC 4178 section 4.2.1) whose optimistic
 *   mechToken is that GSS token for the first mechanism listed, answered by
 *   a NegTokenResp with negState accept-completed, supportedMech (the
 *   client's first mechanism, as Windows echoes the Microsoft OID) and the
 *   GSS AP-REP as responseToken (RFC 4178 section 4.2.2). A mechToken that
 *   is a bare AP-REQ, without the InitialContextToken around it, is taken as
 *   Windows' SSPI takes it (Impacket's TDS login sends it so, and SQL Server
 *   logs it in) and answered with a bare AP-REP, or nothing without mutual
 *   authentication. MIT's acceptor differs: it takes a bare AP-REQ only from
 *   a DCE-style initiator (GSS_C_DCE_STYLE in the 0x8003 checksum) and
 *   refuses any other as GSS_S_DEFECTIVE_TOKEN (accept_sec_context.c).
 *
 * @module
 */

import {
  decodeNegotiationToken,
  encodeNegotiationToken,
  GssOid,
  Krb5TokenId,
  NegState,
  unwrapGssToken,
  unwrapKrb5Token,
  wrapKrb5Token,
} from '@krbsim/asn1';
import { ErrorCode, KerberosError } from '@krbsim/core';

/** How a token was framed. */
export type Framing = 'none' | 'krb5' | 'spnego';

/** An AP-REQ taken out of its framing. */
export interface UnframedApReq {
  readonly framing: Framing;
  /** The DER AP-REQ. */
  readonly apReq: Uint8Array;
  /** GSS: the mechanism OID of the krb5 token. SPNEGO: the mechanism to name as supportedMech. */
  readonly mech?: string;
  /** SPNEGO: the mechToken was a bare AP-REQ, not a GSS krb5 token (the AP-REP goes back bare too). */
  readonly bareMechToken?: boolean;
}

const TAG_AP_REQ = 0x6e;
const TAG_GSS = 0x60;

function notKerberos(why: string): KerberosError {
  return new KerberosError(ErrorCode.KRB_AP_ERR_MSG_TYPE, `not a Kerberos AP-REQ: ${why}`);
}

function fromKrb5Token(bytes: Uint8Array): { apReq: Uint8Array; mech: string } {
  const tok = unwrapKrb5Token(bytes);
  if (tok.tokId !== Krb5TokenId.AP_REQ) {
    throw notKerberos(
      `the GSS token has TOK_ID 0x${tok.tokId.toString(16).padStart(4, '0')}, not 0x0100 (AP-REQ)`,
    );
  }
  return { apReq: tok.message, mech: tok.mech };
}

/** Takes the AP-REQ out of a raw, GSS-API krb5 or SPNEGO token. */
export function unframeApReq(token: Uint8Array): UnframedApReq {
  if (!(token instanceof Uint8Array) || token.length === 0) throw notKerberos('the token is empty');
  if (token[0] === TAG_AP_REQ) return { framing: 'none', apReq: token };
  if (token[0] !== TAG_GSS) {
    throw notKerberos(`it starts with 0x${token[0]!.toString(16).padStart(2, '0')} (expected 0x6e or 0x60)`);
  }
  const { thisMech } = unwrapGssToken(token);
  if (thisMech === GssOid.KRB5 || thisMech === GssOid.MS_KRB5) {
    return { framing: 'krb5', ...fromKrb5Token(token) };
  }
  if (thisMech !== GssOid.SPNEGO) throw notKerberos(`the GSS mechanism is ${thisMech}`);
  const neg = decodeNegotiationToken(token);
  if (!('negTokenInit' in neg)) throw notKerberos('the SPNEGO token is not a NegTokenInit');
  const init = neg.negTokenInit;
  const first = init.mechTypes[0];
  if (first !== GssOid.KRB5 && first !== GssOid.MS_KRB5) {
    // RFC 4178 section 4.2.1: an optimistic token is for the first mechanism only.
    throw new KerberosError(
      ErrorCode.KRB_AP_ERR_METHOD,
      `the client prefers SPNEGO mechanism ${first ?? '(none)'}; this service speaks only Kerberos (${GssOid.KRB5})`,
    );
  }
  if (init.mechToken === undefined) {
    throw new KerberosError(
      ErrorCode.KRB_AP_ERR_METHOD,
      'the SPNEGO NegTokenInit carries no Kerberos token; this service needs the optimistic mechToken',
    );
  }
  if (init.mechToken[0] === TAG_AP_REQ) {
    return { framing: 'spnego', apReq: init.mechToken, mech: first, bareMechToken: true };
  }
  return { framing: 'spnego', apReq: fromKrb5Token(init.mechToken).apReq, mech: first };
}

/**
 * The answer for a request framed as `req`: the AP-REP framed the same way,
 * or for SPNEGO without mutual authentication a NegTokenResp that only
 * completes the negotiation. Undefined when there is nothing to send.
 */
export function frameApRep(apRep: Uint8Array | undefined, req: UnframedApReq): Uint8Array | undefined {
  // A bare AP-REQ asks for no GSS exchange: nothing to answer without an AP-REP, as SQL Server sends no
  // SSPI token then (Impacket, which sends one so, reads none).
  if (req.framing === 'none' || (req.bareMechToken === true && apRep === undefined)) return apRep;
  // A bare krb5 token's AP-REP is framed with the mechanism the initiator used, as MIT's acceptor
  // frames it (mech_used): an initiator on Microsoft's legacy OID checks the reply's against its own.
  const mech = req.framing === 'krb5' ? (req.mech ?? GssOid.KRB5) : GssOid.KRB5;
  const gss =
    apRep === undefined || req.bareMechToken === true
      ? apRep
      : wrapKrb5Token(Krb5TokenId.AP_REP, apRep, mech);
  if (req.framing === 'krb5') return gss;
  return encodeNegotiationToken({
    negTokenResp: {
      negState: NegState['accept-completed'],
      supportedMech: req.mech ?? GssOid.KRB5,
      ...(gss === undefined ? {} : { responseToken: gss }),
    },
  });
}
