/**
 * Changing a password through the password-change service (kpasswd, RFC 3244;
 * what MIT's `krb5_change_password` and `krb5_set_password` do): an initial
 * ticket for `kadmin/changepw` from an AS exchange with the old password,
 * then one request to the service (port 464): an AP-REQ with a fresh subkey
 * and sequence number, and a KRB-PRIV sealed with that subkey (usage 13)
 * holding the new password (protocol version 1), or a ChangePasswdData
 * naming whose password to set (version 0xff80). The reply's AP-REP must
 * answer this AP-REQ, and its KRB-PRIV (under the subkey this request sent,
 * its sequence number the one the AP-REP began) says the result; a reply
 * with a KRB-ERROR instead, framed or bare, says why the AP-REQ did not check.
 *
 * @module
 */

import {
  decodeEncKrbPrivPart,
  decodeKpasswdMessage,
  decodeKpasswdResult,
  decodeKrbError,
  decodeKrbPriv,
  encodeChangePasswdData,
  encodeEncKrbPrivPart,
  encodeKpasswdMessage,
  encodeKrbPriv,
  type HostAddress,
  KpasswdResult,
  type KpasswdResultData,
  KpasswdVersion,
  type QualifiedName,
} from '@krbsim/asn1';
import { ErrorCode, KerberosError, randomUInt31 } from '@krbsim/core';
import { decrypt, encrypt, generateKey, KeyUsage } from '@krbsim/crypto';
import type { KdcTransport } from '@krbsim/transport';
import { verifyApRep } from '../ap-rep';
import { buildApReq } from '../ap-req';
import type { Credential } from '../credential';
import { PasswordChangeError } from '../password-change-error';
import { type ClientContext, sendOrUnavailable, TAG_KRB_ERROR } from './context';

/** What one password change sends. */
export interface PasswordChangeRequest {
  /** An initial ticket for `kadmin/changepw`, from the old password. */
  readonly cred: Credential;
  readonly newPassword: string;
  /** Set this principal's password (version 0xff80) instead of the ticket client's own (version 1). */
  readonly target?: QualifiedName;
  /** Reaches the realm's password-change service. */
  readonly transport: KdcTransport;
  /** This client's address, the sender address of its KRB-PRIV (RFC 4120 5.7.1). Default 127.0.0.1. */
  readonly address?: HostAddress;
}

const LOOPBACK: HostAddress = { addrType: 2, address: Uint8Array.of(127, 0, 0, 1) };

function malformed(why: string, realm: string): KerberosError {
  return new KerberosError(
    ErrorCode.KRB_AP_ERR_MSG_TYPE,
    `the password-change service's reply is not one: ${why}`,
    { realm },
  );
}

/** Sends one password change; resolves when the service says SUCCESS, else throws PasswordChangeError. */
export async function changePassword(ctx: ClientContext, req: PasswordChangeRequest): Promise<void> {
  const { cred } = req;
  const realm = cred.server.realm;
  const subkey = generateKey(cred.sessionKey.etype, { random: ctx.random });
  const seqNumber = randomUInt31(ctx.random);
  const { token, context } = buildApReq(
    cred,
    { subkey, seqNumber, mutual: true },
    {
      random: ctx.random,
      clock: ctx.clock,
      authClock: ctx.authClock,
      now: ctx.clock.now(),
      encTypes: ctx.encTypes,
    },
  );
  const password = new TextEncoder().encode(req.newPassword);
  const userData =
    req.target === undefined
      ? password
      : encodeChangePasswdData({
          newPasswd: password,
          targName: req.target.name,
          targRealm: req.target.realm,
        }).slice();
  const now = ctx.clock.now();
  const part = encodeEncKrbPrivPart({
    userData,
    timestamp: Math.floor(now / 1000) * 1000,
    usec: (now % 1000) * 1000,
    seqNumber,
    sAddress: req.address ?? LOOPBACK,
  });
  const cipher = encrypt(subkey, KeyUsage.KRB_PRIV_ENCPART, part, { random: ctx.random });
  password.fill(0);
  const priv = encodeKrbPriv({ pvno: 5, msgType: 21, encPart: { etype: subkey.etype, cipher } });
  const request = encodeKpasswdMessage({
    version: req.target === undefined ? KpasswdVersion.CHANGE_PASSWORD : KpasswdVersion.SET_PASSWORD,
    ap: token,
    rest: priv,
  });
  if (ctx.logging) ctx.log(`kpasswd request for ${realm} (${request.length} bytes)`);
  const replyBytes = await sendOrUnavailable(
    req.transport,
    realm,
    request,
    {},
    'the password-change service',
  );
  // RFC 3244 section 2: a KRB-ERROR may come back "without any encapsulation" (MIT's chpw.c reads
  // one so; a Windows DC sends them for version 1).
  if (replyBytes[0] === TAG_KRB_ERROR) refused(replyBytes, realm);
  let reply: ReturnType<typeof decodeKpasswdMessage>;
  try {
    reply = decodeKpasswdMessage(replyBytes);
  } catch (e) {
    throw malformed((e as Error).message, realm);
  }
  // RFC 3244 section 2: the AP-REQ did not check; the KRB-ERROR's e-data holds the result.
  if (reply.ap.length === 0) refused(reply.rest, realm);
  // The AP-REP must answer this AP-REQ (KRB_AP_ERR_MUT_FAIL otherwise).
  const apRep = verifyApRep(context, reply.ap, {
    clock: ctx.clock,
    random: ctx.random,
    allowWeakCrypto: ctx.allowWeakCrypto,
  });
  let result: KpasswdResultData;
  let seq: number | undefined;
  try {
    const krbPriv = decodeKrbPriv(reply.rest);
    // Under the subkey this request sent, whatever subkey the AP-REP carries: RFC 3244 section 2 seals
    // the reply "with the subsession key from the authenticator in the AP-REQ", and so reads MIT's chpw.c.
    const enc = decodeEncKrbPrivPart(decrypt(subkey, KeyUsage.KRB_PRIV_ENCPART, krbPriv.encPart.cipher));
    seq = enc.seqNumber;
    result = decodeKpasswdResult(enc.userData);
  } catch (e) {
    if (e instanceof KerberosError && e.code === ErrorCode.KRB_AP_ERR_BAD_INTEGRITY) throw e;
    throw malformed(`its KRB-PRIV does not decode (${(e as Error).message})`, realm);
  }
  // MIT's krb5_rd_priv (KRB5_AUTH_CONTEXT_DO_SEQUENCE): the KRB-PRIV's sequence number is the one the
  // AP-REP began, an absent one counting as 0 on either side.
  if ((seq ?? 0) !== (apRep.seqNumber ?? 0)) {
    throw new KerberosError(
      ErrorCode.KRB_AP_ERR_BADORDER,
      `the password-change service's KRB-PRIV has sequence number ${seq ?? 'none'}, where its AP-REP began ${apRep.seqNumber ?? 'none'}`,
      { realm },
    );
  }
  checkResultCode(result.code, realm);
  if (result.code !== KpasswdResult.SUCCESS) {
    throw new PasswordChangeError(ErrorCode.KRB_ERR_GENERIC, result, { realm });
  }
}

/** Throws what a KRB-ERROR reply says: the result its e-data holds (HARDERROR without one). */
function refused(bytes: Uint8Array, realm: string): never {
  let err: ReturnType<typeof decodeKrbError>;
  try {
    err = decodeKrbError(bytes);
  } catch (e) {
    throw malformed(`no AP-REP and no KRB-ERROR (${(e as Error).message})`, realm);
  }
  let result: KpasswdResultData = { code: KpasswdResult.HARDERROR, text: err.eText ?? '' };
  if (err.eData !== undefined && err.eData.length >= 2) result = decodeKpasswdResult(err.eData);
  // SUCCESS in a refusal is no answer: MIT's chpw.c calls it a modified message.
  if (result.code === KpasswdResult.SUCCESS) {
    throw new KerberosError(
      ErrorCode.KRB_AP_ERR_MODIFIED,
      "the password-change service's KRB-ERROR says SUCCESS",
      { realm },
    );
  }
  checkResultCode(result.code, realm);
  throw new PasswordChangeError(err.errorCode, result, { realm });
}

/** A result code RFC 3244 (and MS-KILE's INITIAL_FLAG_NEEDED) does not define is a modified message, as MIT's chpw.c has it. */
function checkResultCode(code: number, realm: string): void {
  if (code < KpasswdResult.SUCCESS || code > KpasswdResult.INITIAL_FLAG_NEEDED) {
    throw new KerberosError(
      ErrorCode.KRB_AP_ERR_MODIFIED,
      `the password-change service answered result code ${code}, which RFC 3244 does not define`,
      { realm },
    );
  }
}
