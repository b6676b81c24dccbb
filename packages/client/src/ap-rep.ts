/**
 * Checking a service's AP-REP: RFC 4120 section 3.2.5. The client decrypts
 * EncAPRepPart with the ticket's session key (key usage 12) and checks that
 * ctime and cusec are the ones from its own authenticator; anything else
 * means the reply was not made by the holder of the service key for this
 * request, and is KRB_AP_ERR_MUT_FAIL.
 *
 * @module
 */

import { decodeApRep, decodeEncApRepPart, type EncApRepPart } from '@krbsim/asn1';
import { ErrorCode, isKerberosError, KerberosError } from '@krbsim/core';
import { decrypt, type Key, KeyUsage } from '@krbsim/crypto';
import type { ApReqContext } from './ap-req';
import { keyFromWire } from './credential';
import { unframeApRep } from './gss-token';

/** What a verified AP-REP gives the client. */
export interface ApRepResult {
  /** The service's subkey, if it sent one (for GSS, the acceptor subkey). */
  readonly subkey?: Key;
  /** The service's initial sequence number, if it sent one. */
  readonly seqNumber?: number;
}

function mutFail(why: string, realm: string, cause?: unknown): KerberosError {
  return new KerberosError(
    ErrorCode.KRB_AP_ERR_MUT_FAIL,
    `mutual authentication failed: ${why}; the answer did not come from the service the ticket is for`,
    { realm, ...(cause === undefined ? {} : { cause }) },
  );
}

/**
 * Verifies the AP-REP (raw, GSS or SPNEGO-framed, as the AP-REQ was) against
 * the context kept from {@link buildApReq}. Throws KRB_AP_ERR_MUT_FAIL when it
 * does not match, or the service's error code when it sent a KRB-ERROR.
 */
export function verifyApRep(context: ApReqContext, token: Uint8Array): ApRepResult {
  const realm = context.credential.server.realm;
  const apRep = decodeApRep(unframeApRep(token, context.gss));
  if (apRep.encPart.etype !== context.sessionKey.etype) {
    throw mutFail(
      `the AP-REP is encrypted with enctype ${apRep.encPart.etype}, not the session key's`,
      realm,
    );
  }
  let part: EncApRepPart;
  try {
    part = decodeEncApRepPart(decrypt(context.sessionKey, KeyUsage.AP_REP_ENCPART, apRep.encPart.cipher));
  } catch (e) {
    if (isKerberosError(e, ErrorCode.KRB_AP_ERR_BAD_INTEGRITY))
      throw mutFail('the AP-REP did not decrypt with the session key', realm, e);
    throw e;
  }
  if (part.ctime !== context.ctime || part.cusec !== context.cusec) {
    throw mutFail(
      `the AP-REP echoes ctime ${part.ctime}/${part.cusec} where the authenticator had ${context.ctime}/${context.cusec}`,
      realm,
    );
  }
  return {
    ...(part.subkey === undefined ? {} : { subkey: keyFromWire(part.subkey) }),
    ...(part.seqNumber === undefined ? {} : { seqNumber: part.seqNumber }),
  };
}
