/**
 * GSS-API framing (RFC 2743 section 3.1), the Kerberos V5 mechanism's
 * context tokens (RFC 4121 section 4.1) and SPNEGO (RFC 4178 section 4.2,
 * with the MS-SPNG section 2.2.1 NegTokenInit2 variant).
 *
 * OIDs are dotted decimal strings.
 *
 * @module
 */

/**
 * `InitialContextToken ::= [APPLICATION 0] IMPLICIT SEQUENCE { thisMech
 * MechType, innerContextToken ANY DEFINED BY thisMech }` (RFC 2743 section 3.1).
 */
export interface GssInitialContextToken {
  readonly thisMech: string;
  /** The mechanism's bytes after the OID, to the end of the framing. */
  readonly innerToken: Uint8Array;
}

/** RFC 4121 section 4.1 TOK_ID values of the context-establishment tokens. */
export type Krb5TokId = 0x0100 | 0x0200 | 0x0300;

/** A Kerberos V5 context token: TOK_ID then an AP-REQ, AP-REP or KRB-ERROR (RFC 4121 section 4.1). */
export interface Krb5Token {
  /** 0x0100 KRB_AP_REQ, 0x0200 KRB_AP_REP, 0x0300 KRB_ERROR. */
  readonly tokId: Krb5TokId;
  /** The DER of the Kerberos message (a view into the input when decoded). */
  readonly message: Uint8Array;
  /** The mechanism OID of the framing: the krb5 OID, or Microsoft's legacy one. */
  readonly mech: string;
}

/** `NegHints ::= SEQUENCE { hintName [0] GeneralString OPTIONAL, hintAddress [1] OCTET STRING OPTIONAL }` (MS-SPNG 2.2.1). */
export interface NegHints {
  readonly hintName?: string;
  readonly hintAddress?: Uint8Array;
}

/**
 * `NegTokenInit` (RFC 4178 section 4.2.1), or Microsoft's `NegTokenInit2`
 * (MS-SPNG section 2.2.1) when `negHints` is present (then `mechListMic` is
 * at `[4]` instead of `[3]`).
 */
export interface NegTokenInit {
  readonly mechTypes: readonly string[];
  /** ContextFlags, RFC bit order like KerberosFlags (delegFlag is bit 0). */
  readonly reqFlags?: number;
  readonly mechToken?: Uint8Array;
  readonly negHints?: NegHints;
  readonly mechListMic?: Uint8Array;
}

/** `NegTokenResp` (RFC 4178 section 4.2.2). */
export interface NegTokenResp {
  /** 0 accept-completed, 1 accept-incomplete, 2 reject, 3 request-mic. */
  readonly negState?: number;
  readonly supportedMech?: string;
  readonly responseToken?: Uint8Array;
  readonly mechListMic?: Uint8Array;
}

/**
 * `NegotiationToken ::= CHOICE { negTokenInit [0], negTokenResp [1] }`
 * (RFC 4178 section 4.2). On the wire the init form travels inside the
 * RFC 2743 framing with the SPNEGO OID; the response form travels bare.
 */
export type NegotiationToken =
  | { readonly negTokenInit: NegTokenInit }
  | { readonly negTokenResp: NegTokenResp };
