/**
 * GSS-API token framing (RFC 2743 section 3.1) and the Kerberos V5
 * mechanism's context-establishment tokens (RFC 4121 section 4.1).
 *
 * ```
 * InitialContextToken ::= [APPLICATION 0] IMPLICIT SEQUENCE {
 *   thisMech          MechType,              -- OBJECT IDENTIFIER
 *   innerContextToken ANY DEFINED BY thisMech
 * }
 * ```
 *
 * RFC 2743 requires the framing only on the initiator's first token, but
 * RFC 4121 section 4.1 frames every Kerberos context-establishment token this
 * way (the inner token is a two-octet TOK_ID followed by the DER message), so
 * the AP-REP and KRB-ERROR replies carry the `0x60` framing too, as MIT,
 * Heimdal and Windows send them.
 *
 * @module
 */

import { ErrorCode } from '@krbsim/core';
import { Asn1Error, asAsn1Error, hexByte } from '../der/errors';
import { writeOutput } from '../der/output';
import { dOid, hdr, newReader } from '../der/reader';
import { eOid, expectBytes, raw, tl } from '../der/writer';
import { checkInput, type DecodeOptions } from '../schema/codec';
import type { GssInitialContextToken, Krb5Token, Krb5TokId } from '../types/gss';

/** Mechanism OIDs (dotted) that krbsim knows by name. */
export const GssOid = {
  /** Kerberos V5 (RFC 1964, RFC 4121). */
  KRB5: '1.2.840.113554.1.2.2',
  /** The misencoded Kerberos OID that Windows 2000 sent and still advertises in SPNEGO (MS-KILE 3.1.5.10). */
  MS_KRB5: '1.2.840.48018.1.2.2',
  /** SPNEGO (RFC 4178). */
  SPNEGO: '1.3.6.1.5.5.2',
  /** NTLMSSP (MS-NLMP), as negotiated by SPNEGO. */
  NTLMSSP: '1.3.6.1.4.1.311.2.2.10',
  /** Kerberos user-to-user (RFC 4121 section 4.1, draft-swift-win2k-krb-user2user). */
  KRB5_U2U: '1.2.840.113554.1.2.2.3',
} as const;

/** RFC 4121 section 4.1 TOK_ID values. */
export const Krb5TokenId = {
  AP_REQ: 0x0100,
  AP_REP: 0x0200,
  KRB_ERROR: 0x0300,
} as const;

/** The first octet of the DER message each TOK_ID must carry. */
const TOK_MSG_TAG: Record<number, number> = { 256: 0x6e, 512: 0x6f, 768: 0x7e };

/**
 * Frames `innerToken` as an RFC 2743 InitialContextToken for mechanism `thisMech`.
 *
 * **The result is a view into a shared slab**: its `.buffer` also holds other encodings,
 * which may include keys. {@link ownedCopy} gives bytes of your own (to keep, transfer, or wipe).
 */
export function wrapGssToken(thisMech: string, innerToken: Uint8Array): Uint8Array {
  expectBytes(innerToken, 'InitialContextToken.innerContextToken');
  try {
    return writeOutput((b, end, inner) => {
      const p = eOid(b, raw(b, end, inner), thisMech, 0);
      return tl(b, p, 0x60, end - p);
    }, innerToken);
  } catch (x) {
    throw asAsn1Error(x).prepend('InitialContextToken');
  }
}

/**
 * Reads an RFC 2743 InitialContextToken: the `[APPLICATION 0]` framing must
 * span the whole input. `innerToken` is a view into `bytes`.
 */
export function unwrapGssToken(bytes: Uint8Array, options?: DecodeOptions): GssInitialContextToken {
  checkInput(bytes, options, 'InitialContextToken');
  const r = newReader(bytes);
  try {
    const e = hdr(r, bytes.length, 0x60);
    if (e !== bytes.length) {
      throw new Asn1Error(`${bytes.length - e} trailing bytes after the value`, { offset: e });
    }
    let thisMech: string;
    try {
      thisMech = dOid(r, e);
    } catch (x) {
      throw asAsn1Error(x).prepend('.thisMech');
    }
    return { thisMech, innerToken: bytes.subarray(r.pos, e) };
  } catch (x) {
    throw asAsn1Error(x).prepend('InitialContextToken');
  }
}

/**
 * Builds a Kerberos V5 context token (RFC 4121 section 4.1): the RFC 2743
 * framing with the krb5 OID (or `mech`), the two-octet TOK_ID and the DER of
 * an AP-REQ (0x0100), AP-REP (0x0200) or KRB-ERROR (0x0300).
 *
 * **The result is a view into a shared slab**: its `.buffer` also holds other encodings,
 * which may include keys. {@link ownedCopy} gives bytes of your own (to keep, transfer, or wipe).
 */
export function wrapKrb5Token(tokId: Krb5TokId, message: Uint8Array, mech: string = GssOid.KRB5): Uint8Array {
  if (TOK_MSG_TAG[tokId] === undefined) {
    throw new Asn1Error(`unknown TOK_ID 0x${Number(tokId).toString(16).padStart(4, '0')}`, {
      path: 'Krb5Token',
    });
  }
  expectBytes(message, 'Krb5Token.message');
  const inner = new Uint8Array(message.length + 2);
  inner[0] = tokId >>> 8;
  inner[1] = tokId & 0xff;
  inner.set(message, 2);
  return wrapGssToken(mech, inner);
}

/**
 * Reads a Kerberos V5 context token (RFC 4121 section 4.1). The mechanism
 * must be the krb5 OID or Microsoft's legacy one; the TOK_ID must be
 * 0x0100, 0x0200 or 0x0300 and the message must start with the matching
 * APPLICATION tag (`KRB_AP_ERR_MSG_TYPE` otherwise). `message` is a view into
 * `bytes`; decode it with `decodeApReq`, `decodeApRep`, `decodeKrbError` or
 * `decodeMessage`.
 */
export function unwrapKrb5Token(bytes: Uint8Array, options?: DecodeOptions): Krb5Token {
  const { thisMech, innerToken } = unwrapGssToken(bytes, options);
  if (thisMech !== GssOid.KRB5 && thisMech !== GssOid.MS_KRB5) {
    throw new Asn1Error(`mechanism ${thisMech} is not Kerberos V5 (${GssOid.KRB5})`, {
      path: 'InitialContextToken.thisMech',
    });
  }
  if (innerToken.length < 3) {
    throw new Asn1Error('truncated: no TOK_ID and message', {
      path: 'InitialContextToken.innerContextToken',
    });
  }
  const tokId = (innerToken[0]! << 8) | innerToken[1]!;
  const want = TOK_MSG_TAG[tokId];
  if (want === undefined) {
    throw new Asn1Error(`unknown TOK_ID 0x${tokId.toString(16).padStart(4, '0')}`, {
      path: 'InitialContextToken.innerContextToken',
      code: ErrorCode.KRB_AP_ERR_MSG_TYPE,
    });
  }
  if (innerToken[2] !== want) {
    throw new Asn1Error(
      `TOK_ID 0x${tokId.toString(16).padStart(4, '0')} carries ${hexByte(innerToken[2]!)}, expected ${hexByte(want)}`,
      { path: 'InitialContextToken.innerContextToken', code: ErrorCode.KRB_AP_ERR_MSG_TYPE },
    );
  }
  return { tokId: tokId as Krb5TokId, message: innerToken.subarray(2), mech: thisMech };
}
