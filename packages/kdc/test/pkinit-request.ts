/**
 * A PA-PK-AS-REQ built by hand (RFC 4556 section 3.2.1), for the tests that
 * send what krbsim's client never would: a changed PKAuthenticator, a
 * missing public value, another signer, a tampered SignedData. Shared by the
 * KDC's and the client's PKINIT tests.
 */

import { createHash } from 'node:crypto';
import {
  type AuthPack,
  encodeAsReq,
  encodeAuthPack,
  encodeKdcReqBody,
  encodePaPkAsReq,
  type KdcReqBody,
  NameType,
  PaDataType,
  type PkAuthenticator,
  type PrincipalName,
} from '@krbsim/asn1';

/** What varies between the hand-built requests. */
export interface PkinitRequestParts {
  readonly realm: string;
  /** The request's time: the PKAuthenticator's ctime, and `till` 10 hours on. */
  readonly now: number;
  readonly cname: PrincipalName;
  readonly kdcOptions?: number;
  readonly nonce?: number;
  /**
   * The AuthPack, given the PKAuthenticator that fits the body (its paChecksum is SHA-1 of the body)
   * and the body's DER (for other checksums of it).
   */
  readonly authPack: (pkAuthenticator: PkAuthenticator, bodyDer: Uint8Array) => AuthPack;
  /** The signedAuthPack: a SignedData (or, for the anonymous client, an unsigned one) of the AuthPack's DER. */
  readonly sign: (authPack: Uint8Array) => Uint8Array;
  /** Flip a bit near the end of the signedAuthPack (in its signature). */
  readonly tamper?: boolean;
}

/** The AS-REQ for `parts`, for krbtgt of its realm, with its PA-PK-AS-REQ. */
export function pkinitAsReq(parts: PkinitRequestParts): Uint8Array {
  const body: KdcReqBody = {
    kdcOptions: parts.kdcOptions ?? 0,
    cname: parts.cname,
    realm: parts.realm,
    sname: { nameType: NameType.NT_SRV_INST, nameString: ['krbtgt', parts.realm] },
    till: parts.now + 36_000_000,
    nonce: parts.nonce ?? 4556,
    etype: [18, 17],
  };
  const bodyDer = encodeKdcReqBody(body).slice();
  const pkAuthenticator: PkAuthenticator = {
    cusec: 0,
    ctime: parts.now,
    nonce: body.nonce,
    paChecksum: createHash('sha1').update(bodyDer).digest(),
  };
  const signed = parts.sign(encodeAuthPack(parts.authPack(pkAuthenticator, bodyDer)).slice());
  if (parts.tamper) signed[signed.length - 3] = signed[signed.length - 3]! ^ 1;
  return encodeAsReq({
    pvno: 5,
    msgType: 10,
    padata: [
      {
        padataType: PaDataType.PA_PK_AS_REQ,
        padataValue: encodePaPkAsReq({ signedAuthPack: signed }).slice(),
      },
    ],
    reqBody: body,
  }).slice();
}
