/**
 * The service's answer for mutual authentication: RFC 4120 section 3.2.4
 * (KRB_AP_REP) and section 5.5.2. EncAPRepPart echoes the authenticator's
 * ctime and cusec, may carry the service's own subkey and initial sequence
 * number, and is encrypted with the ticket's session key, key usage 12.
 *
 * With GSS-API framing the acceptor also picks its own subkey and initial
 * sequence number, as MIT's and Windows' acceptors do (RFC 4121 section
 * 4.1.1 and section 4.2.6: once the acceptor sends a subkey, per-message
 * tokens use it and set the AcceptorSubkey flag); a raw AP-REP echoes only
 * the time.
 *
 * @module
 */

import { type Authenticator, type EncApRepPart, encodeApRep, encodeEncApRepPart } from '@krbsim/asn1';
import { type RandomSource, randomUInt31 } from '@krbsim/core';
import { encrypt, generateKey, type Key, KeyUsage } from '@krbsim/crypto';

/** What the service sends and keeps after deciding to answer. */
export interface AcceptorReply {
  /** The DER AP-REP. */
  readonly apRep: Uint8Array;
  /** The subkey the service sent (GSS framing only). */
  readonly acceptorSubkey?: Key;
  /** The service's initial sequence number (GSS framing only). */
  readonly acceptorSeqNumber?: number;
}

/** Builds the DER AP-REP for `part`, encrypted with the session key (usage 12). */
export function buildApRep(sessionKey: Key, part: EncApRepPart, random: RandomSource): Uint8Array {
  const cipher = encrypt(sessionKey, KeyUsage.AP_REP_ENCPART, encodeEncApRepPart(part), { random });
  return encodeApRep({ pvno: 5, msgType: 15, encPart: { etype: sessionKey.etype, cipher } });
}

/**
 * The AP-REP answering `auth`: the echoed time, plus for GSS framing a fresh
 * acceptor subkey (of the client's subkey type, else the session key's) and
 * a random initial sequence number.
 */
export function acceptorReply(
  sessionKey: Key,
  auth: Authenticator,
  gss: boolean,
  random: RandomSource,
): AcceptorReply {
  let acceptorSubkey: Key | undefined;
  let acceptorSeqNumber: number | undefined;
  if (gss) {
    acceptorSubkey = generateKey(auth.subkey?.keytype ?? sessionKey.etype, { random });
    acceptorSeqNumber = randomUInt31(random);
  }
  const apRep = buildApRep(
    sessionKey,
    {
      ctime: auth.ctime,
      cusec: auth.cusec,
      ...(acceptorSubkey === undefined
        ? {}
        : { subkey: { keytype: acceptorSubkey.etype, keyvalue: acceptorSubkey.bytes } }),
      ...(acceptorSeqNumber === undefined ? {} : { seqNumber: acceptorSeqNumber }),
    },
    random,
  );
  return {
    apRep,
    ...(acceptorSubkey === undefined ? {} : { acceptorSubkey }),
    ...(acceptorSeqNumber === undefined ? {} : { acceptorSeqNumber }),
  };
}
