/**
 * Checking a service's AP-REP: RFC 4120 section 3.2.5. The client decrypts
 * EncAPRepPart with the ticket's session key (key usage 12) and checks that
 * ctime and cusec are the ones from its own authenticator; anything else
 * means the reply was not made by the holder of the service key for this
 * request, and is KRB_AP_ERR_MUT_FAIL.
 *
 * @module
 */

import {
  decodeApRep,
  decodeEncApRepPart,
  type EncApRepPart,
  type EncryptionKey,
  encodeMechTypeList,
  GssFlags,
} from '@krbsim/asn1';
import { type Clock, ErrorCode, isKerberosError, KerberosError, type RandomSource } from '@krbsim/core';
import {
  decrypt,
  getEncType,
  isSupportedEncType,
  type Key,
  KeyUsage,
  redactedKey,
  WEAK_ENC_TYPES,
} from '@krbsim/crypto';
import { buildApRep, GssSecurityContext, usesRfc1964Tokens } from '@krbsim/service';
import type { ApReqContext } from './ap-req';
import { keyFromWire } from './credential';
import { readApRepAnswer, SPNEGO_MECH_TYPES } from './gss-token';

/** What a verified AP-REP gives the client. */
export interface ApRepResult {
  /**
   * The service's subkey, if it sent one (for GSS, the acceptor subkey); printed and serialized
   * as `<redacted N bytes>`, as session keys are.
   */
  readonly subkey?: Key;
  /** The service's initial sequence number, if it sent one. */
  readonly seqNumber?: number;
  /**
   * The initiator's side of the established GSS-API context (GSS framing
   * only): wrap, unwrap, getMic and verifyMic per RFC 4121 section 4.2,
   * keyed with the service's subkey when it sent one. Printing it shows no key.
   * For SPNEGO without mutual authentication, the context `buildApReq` returned.
   */
  readonly securityContext?: GssSecurityContext;
  /**
   * DCE style (GSS_C_DCE_STYLE) only: the third leg, a raw AP-REP to send the
   * service, sealed with the session key and echoing its sequence number
   * (MS-KILE 3.4.5.1, as MIT's `krb5_mk_rep_dce` makes it). The context is
   * the service's once it has read this.
   */
  readonly dceReply?: Uint8Array;
}

/** What the client lends a security context: its clock and random source, and its weak-crypto setting. */
export interface ContextDeps {
  readonly clock: Clock;
  readonly random: RandomSource;
  /** The client's `allowWeakCrypto`: an rc4-hmac subkey from the service is refused without it. */
  readonly allowWeakCrypto?: boolean;
}

/**
 * The contexts {@link establishedContext} made at once, by the AP-REQ context they came from: a
 * SPNEGO acceptor's answer to such an AP-REQ (no AP-REP, maybe a mechListMIC) is read into them.
 */
const establishedAtOnce = new WeakMap<ApReqContext, GssSecurityContext>();

/**
 * The initiator's security context for a GSS-framed AP-REQ without mutual authentication,
 * established at once (no AP-REP will come), kept for {@link verifyApRep} to read the acceptor's
 * SPNEGO answer into. Undefined for a raw AP-REQ.
 */
export function establishedContext(context: ApReqContext, deps: ContextDeps): GssSecurityContext | undefined {
  const securityContext = initiatorContext(context, undefined, deps);
  if (securityContext !== undefined) establishedAtOnce.set(context, securityContext);
  return securityContext;
}

/**
 * The initiator's security context for `context`, once the AP-REP (if any)
 * is verified: the acceptor's subkey and sequence number come from `apRep`.
 * Undefined for a raw AP-REQ (RFC 4121 tokens belong to GSS contexts).
 */
function initiatorContext(
  context: ApReqContext,
  apRep: { readonly subkey?: Key; readonly seqNumber?: number } | undefined,
  deps: ContextDeps,
): GssSecurityContext | undefined {
  if (context.gss === 'none') return undefined;
  const acceptorSubkey =
    apRep?.subkey !== undefined && isAcceptorSubkey(context, apRep.subkey) ? apRep.subkey : undefined;
  return new GssSecurityContext({
    initiator: true,
    sessionKey: context.sessionKey,
    ...(context.subkey === undefined ? {} : { initiatorSubkey: context.subkey }),
    ...(acceptorSubkey === undefined ? {} : { acceptorSubkey }),
    ...(context.seqNumber === undefined ? {} : { initiatorSeqNumber: context.seqNumber }),
    // An AP-REP without a seq-number leaves the acceptor's at 0, as MIT's and Heimdal's
    // krb5_rd_rep do; no AP-REP at all means the initiator's (the context's default).
    ...(apRep === undefined ? {} : { acceptorSeqNumber: apRep.seqNumber ?? 0 }),
    flags: context.gssFlags ?? 0,
    endtime: context.credential.endtime,
    clock: deps.clock,
    random: deps.random,
    ...(context.wrapStyle === undefined ? {} : { wrapStyle: context.wrapStyle }),
  });
}

/**
 * Whether the AP-REP's subkey keys the context from now on, as MIT's initiator decides: always
 * for an RFC 4121 context (or DCE style); for an RFC 1964-style one (rc4-hmac) only when it is
 * of another enctype, negotiation having upgraded the context (RFC 4537). An rc4 acceptor that
 * echoes the initiator's subkey leaves the context as it was.
 */
function isAcceptorSubkey(context: ApReqContext, subkey: Key): boolean {
  const own = context.subkey ?? context.sessionKey;
  return (
    !usesRfc1964Tokens(own.etype) ||
    ((context.gssFlags ?? 0) & GssFlags.dceStyle) !== 0 ||
    subkey.etype !== own.etype
  );
}

/**
 * The service's subkey protects what follows (per-message tokens, a KRB-PRIV), so it gets the
 * checks the service gives the client's: an enctype krbsim implements, not weak unless allowed, and
 * that enctype's key size; refused here, not at its first use.
 */
function checkServiceSubkey(subkey: EncryptionKey, allowWeakCrypto: boolean, realm: string): void {
  const etype = subkey.keytype;
  if (!isSupportedEncType(etype) || (!allowWeakCrypto && WEAK_ENC_TYPES.has(etype))) {
    throw new KerberosError(
      ErrorCode.KDC_ERR_ETYPE_NOSUPP,
      `the service's AP-REP subkey is of enctype ${etype}, which this client ${isSupportedEncType(etype) ? 'refuses as weak (allowWeakCrypto turns that off)' : 'does not support'}`,
      { realm },
    );
  }
  const size = getEncType(etype).keyBytes;
  if (subkey.keyvalue.length !== size) {
    throw new KerberosError(
      ErrorCode.KRB_ERR_GENERIC,
      `the service's AP-REP subkey is ${subkey.keyvalue.length} bytes; enctype ${etype} keys are ${size}`,
      { realm },
    );
  }
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
 * A SPNEGO AP-REQ without mutual authentication is answered accept-completed
 * with no AP-REP: that answer is read (its mechListMIC, if any, verified in
 * the context {@link buildApReq} returned, which is returned again); a reject,
 * request-mic or accept-incomplete is refused as with mutual authentication.
 */
export function verifyApRep(context: ApReqContext, token: Uint8Array, deps: ContextDeps): ApRepResult {
  const realm = context.credential.server.realm;
  const dce = context.gss !== 'none' && ((context.gssFlags ?? 0) & GssFlags.dceStyle) !== 0;
  // A DCE-style acceptor answers with a raw AP-REP, as the AP-REQ went (MS-KILE 3.4.5.1).
  const answer = readApRepAnswer(token, dce ? 'none' : context.gss, context.mutual);
  if (answer.apRep === undefined) {
    // SPNEGO without mutual authentication: accept-completed and no AP-REP. The context was
    // established when the AP-REQ was built; a mechListMIC is the acceptor's first token in it.
    const securityContext =
      establishedAtOnce.get(context) ?? (initiatorContext(context, undefined, deps) as GssSecurityContext);
    if (answer.mechListMic !== undefined) checkMechListMic(securityContext, answer.mechListMic, realm);
    return { securityContext };
  }
  const apRep = decodeApRep(answer.apRep);
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
  if (part.subkey !== undefined) checkServiceSubkey(part.subkey, deps.allowWeakCrypto === true, realm);
  const rep = {
    // Printed and serialized as `<redacted N bytes>`, as the initiator's subkey and session keys are.
    ...(part.subkey === undefined ? {} : { subkey: redactedKey(keyFromWire(part.subkey)) }),
    ...(part.seqNumber === undefined ? {} : { seqNumber: part.seqNumber }),
  };
  const securityContext = initiatorContext(context, rep, deps);
  if (answer.mechListMic !== undefined && securityContext !== undefined) {
    checkMechListMic(securityContext, answer.mechListMic, realm);
  }
  if (securityContext === undefined) return rep;
  return dce
    ? { ...rep, securityContext, dceReply: dceReply(context.sessionKey, part.seqNumber ?? 0, deps) }
    : { ...rep, securityContext };
}

/**
 * The DCE-style initiator's AP-REP (MS-KILE 3.4.5.1), as MIT's `krb5_mk_rep_dce` makes it: its own
 * time, the acceptor's sequence number echoed, no subkey, sealed with the session key (usage 12).
 */
function dceReply(sessionKey: Key, acceptorSeqNumber: number, deps: ContextDeps): Uint8Array {
  const now = deps.clock.now();
  const ctime = now - (now % 1000);
  return buildApRep(
    sessionKey,
    { ctime, cusec: (now - ctime) * 1000, seqNumber: acceptorSeqNumber },
    deps.random,
  );
}

/**
 * RFC 4178 section 5: an acceptor's mechListMIC, a MIC token of the new context over the mechanism
 * list the initiator offered, proves that list reached it unchanged (no mechanism was struck out on
 * the way); one that does not verify fails the negotiation. It is the acceptor's first per-message
 * token, so it takes the first of the acceptor's sequence numbers, as MIT's initiator counts. A
 * context that cannot check MIC tokens at all (rc4-hmac: RFC 4757's tokens, which krbsim does not
 * implement) says so with its own KDC_ERR_ETYPE_NOSUPP: the MIC was not found forged, only unchecked.
 */
function checkMechListMic(securityContext: GssSecurityContext, mic: Uint8Array, realm: string): void {
  try {
    securityContext.verifyMic(encodeMechTypeList(SPNEGO_MECH_TYPES), mic);
  } catch (e) {
    if (isKerberosError(e, ErrorCode.KDC_ERR_ETYPE_NOSUPP)) {
      throw new KerberosError(
        ErrorCode.KDC_ERR_ETYPE_NOSUPP,
        `the service's SPNEGO mechListMIC could not be checked, so the mechanisms offered are not known to have reached it unchanged: ${e.message}`,
        { realm, cause: e },
      );
    }
    throw new KerberosError(
      ErrorCode.KRB_AP_ERR_MODIFIED,
      `the service's SPNEGO mechListMIC does not verify over the mechanisms offered: ${e instanceof Error ? e.message : String(e)}`,
      { realm, cause: e },
    );
  }
}
