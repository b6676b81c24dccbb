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
 *   GSS AP-REP as responseToken (RFC 4178 section 4.2.2), framed with the
 *   OID of the mechToken's own token, as MIT's acceptor frames it
 *   (`mech_used`). A mechToken that
 *   is a bare AP-REQ, without the InitialContextToken around it, is taken as
 *   Windows' SSPI takes it (Impacket's TDS login sends it so, and SQL Server
 *   logs it in) and answered with a bare AP-REP, or nothing without mutual
 *   authentication. MIT's acceptor differs: it takes a bare AP-REQ only from
 *   a DCE-style initiator (GSS_C_DCE_STYLE in the 0x8003 checksum) and
 *   refuses any other as GSS_S_DEFECTIVE_TOKEN (accept_sec_context.c). An
 *   empty mechToken is taken as none. The initiator's mechListMIC, if it sent
 *   one, is handed on with the DER MechTypeList exactly as it came, which the
 *   MIC covers (RFC 4178 section 5); the acceptor's own goes in the
 *   NegTokenResp.
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
  /**
   * SPNEGO: the mechanism OID the mechToken's GSS krb5 token was framed with (krb5, or Microsoft's
   * legacy one), which frames the AP-REP. Absent for a bare mechToken.
   */
  readonly tokenMech?: string;
  /** SPNEGO: the mechToken was a bare AP-REQ, not a GSS krb5 token (the AP-REP goes back bare too). */
  readonly bareMechToken?: boolean;
  /** SPNEGO: the initiator's mechListMIC (NegTokenInit's [3], NegTokenInit2's [4]), if it sent one. */
  readonly mechListMic?: Uint8Array;
  /**
   * SPNEGO: the DER MechTypeList exactly as the NegTokenInit carried it (its SEQUENCE, tag and
   * length included): what a mechListMIC covers, either side's (RFC 4178 section 5).
   */
  readonly mechTypes?: Uint8Array;
}

/** What {@link frameApRep} adds to a SPNEGO answer. */
export interface FrameApRepOptions {
  /** The acceptor's mechListMIC over {@link UnframedApReq.mechTypes}, for the NegTokenResp. */
  readonly mechListMic?: Uint8Array;
}

const TAG_AP_REQ = 0x6e;
const TAG_GSS = 0x60;

function notKerberos(why: string): KerberosError {
  return new KerberosError(ErrorCode.KRB_AP_ERR_MSG_TYPE, `not a Kerberos AP-REQ: ${why}`);
}

/** "NTLMSSP\0", the signature every NTLM message starts with (MS-NLMP 2.2). */
const NTLMSSP_SIGNATURE = [0x4e, 0x54, 0x4c, 0x4d, 0x53, 0x53, 0x50, 0x00];

/** Why a token whose first octet is neither 0x6e nor 0x60 is not Kerberos: an NTLM message is named. */
function foreignStart(token: Uint8Array): string {
  if (token.length >= NTLMSSP_SIGNATURE.length && NTLMSSP_SIGNATURE.every((b, i) => token[i] === b)) {
    return 'it is an NTLMSSP message (MS-NLMP); this service speaks only Kerberos';
  }
  return `it starts with 0x${token[0]!.toString(16).padStart(2, '0')} (expected 0x6e or 0x60)`;
}

/**
 * The contents of the DER TLV with identifier `tag` at `pos` of `b`: [start, end). The token was
 * decoded (strict DER) already, so this only walks it; a mismatch is a NegTokenInit that changed.
 */
function contentsOf(b: Uint8Array, pos: number, tag: number): [number, number] {
  if (b[pos] !== tag) throw notKerberos('the SPNEGO NegTokenInit is not laid out as RFC 4178 says');
  let p = pos + 2;
  let length = b[pos + 1] ?? 0x80;
  if (length >= 0x80) {
    const n = length & 0x7f;
    if (n === 0 || n > 4) throw notKerberos('the SPNEGO NegTokenInit is not laid out as RFC 4178 says');
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + (b[p++] ?? 0);
  }
  if (p + length > b.length) throw notKerberos('the SPNEGO NegTokenInit is truncated');
  return [p, p + length];
}

/**
 * The DER MechTypeList of a NegTokenInit, byte for byte as sent: `innerToken` is the SPNEGO
 * InitialContextToken's contents, `[0] { SEQUENCE { [0] MechTypeList, ... } }`.
 */
function mechTypesDer(innerToken: Uint8Array): Uint8Array {
  const [choice] = contentsOf(innerToken, 0, 0xa0);
  const [init] = contentsOf(innerToken, choice, 0x30);
  const [list, end] = contentsOf(innerToken, init, 0xa0);
  return innerToken.subarray(list, end);
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
  if (token[0] !== TAG_GSS) throw notKerberos(foreignStart(token));
  const { thisMech, innerToken } = unwrapGssToken(token);
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
  // An empty OCTET STRING is no token (MIT's acceptor, too, has nothing to give its mechanism then).
  const mechToken = init.mechToken !== undefined && init.mechToken.length > 0 ? init.mechToken : undefined;
  if (mechToken === undefined) {
    throw new KerberosError(
      ErrorCode.KRB_AP_ERR_METHOD,
      'the SPNEGO NegTokenInit carries no Kerberos token; this service needs the optimistic mechToken',
    );
  }
  const mic = {
    mechTypes: mechTypesDer(innerToken),
    ...(init.mechListMic === undefined ? {} : { mechListMic: init.mechListMic }),
  };
  if (mechToken[0] === TAG_AP_REQ) {
    return { framing: 'spnego', apReq: mechToken, mech: first, bareMechToken: true, ...mic };
  }
  if (mechToken[0] !== TAG_GSS) {
    throw notKerberos(`the SPNEGO mechToken for ${first}: ${foreignStart(mechToken)}`);
  }
  const tokenMech = unwrapGssToken(mechToken).thisMech;
  if (tokenMech !== GssOid.KRB5 && tokenMech !== GssOid.MS_KRB5) {
    throw notKerberos(`the SPNEGO mechToken for ${first} is a GSS token of mechanism ${tokenMech}`);
  }
  const inner = fromKrb5Token(mechToken);
  return { framing: 'spnego', apReq: inner.apReq, mech: first, tokenMech: inner.mech, ...mic };
}

/**
 * The answer for a request framed as `req`: the AP-REP framed the same way,
 * or for SPNEGO without mutual authentication a NegTokenResp that only
 * completes the negotiation. Undefined when there is nothing to send. A
 * SPNEGO answer carries `opts.mechListMic`, the acceptor's, when given.
 */
export function frameApRep(
  apRep: Uint8Array | undefined,
  req: UnframedApReq,
  opts: FrameApRepOptions = {},
): Uint8Array | undefined {
  const mic = req.framing === 'spnego' ? opts.mechListMic : undefined;
  // A bare AP-REQ asks for no GSS exchange: nothing to answer without an AP-REP, as SQL Server sends no
  // SSPI token then (Impacket, which sends one so, reads none); unless a mechListMIC must go back.
  if (req.framing === 'none' || (req.bareMechToken === true && apRep === undefined && mic === undefined)) {
    return apRep;
  }
  // The AP-REP is framed with the mechanism the initiator's token used, as MIT's acceptor frames it
  // (mech_used), in SPNEGO too: an initiator on Microsoft's legacy OID checks the reply's against its own.
  const mech = (req.framing === 'krb5' ? req.mech : req.tokenMech) ?? GssOid.KRB5;
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
      ...(mic === undefined ? {} : { mechListMic: mic }),
    },
  });
}
