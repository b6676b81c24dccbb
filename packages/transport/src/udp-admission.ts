/**
 * Which UDP datagrams a KDC answers (RFC 4120 section 7.2.1). UDP has no
 * handshake, so a datagram's source address may be forged: every reply is
 * sent to whoever the datagram claims to come from. Two rules follow.
 *
 * - A KDC never answers a KRB-ERROR, a reply or anything else that is not a
 *   request. Otherwise one KRB-ERROR sent to one KDC with another KDC's
 *   address as its source makes the two answer each other's errors forever.
 * - A KDC never answers what does not decode as an AS-REQ or TGS-REQ.
 *   Otherwise it reflects: one garbage byte would bring back a KRB-ERROR of
 *   a hundred, towards whoever the source address names.
 *
 * This is MIT krb5kdc's behaviour (1.20, measured: `udp-probes.ts`): it sends
 * nothing for a datagram that does not decode as a KDC-REQ, and a KRB-ERROR
 * for a request that decodes but cannot be granted (wrong realm, unknown
 * client, missing pre-authentication). Those replies may be larger than the
 * request, as they are from MIT's KDC and any Kerberos KDC; what this module
 * adds is nothing beyond them. One difference: krbsim's decoder is strict,
 * so bytes after the request make it malformed (dropped), where MIT's
 * decoder ignores them and answers.
 *
 * TCP needs no such filter: a connection's peer is who it claims to be.
 *
 * @module
 */

import {
  AppTag,
  decodeKdcReq,
  decodeKpasswdMessage,
  type KpasswdMessage,
  KpasswdVersion,
} from '@krbsim/asn1';
import { isKerberosError } from '@krbsim/core';

/** Why a datagram was not answered. */
export type UdpDropReason =
  /** Zero bytes. */
  | 'empty'
  /** A KRB-ERROR ([APPLICATION 30]): answering one is how two KDCs loop. */
  | 'krb-error'
  /** Another Kerberos message: a reply (AS-REP, TGS-REP, AP-REP...), an AP-REQ, KRB-SAFE/PRIV/CRED. */
  | 'not-a-request'
  /** The first octet is no constructed [APPLICATION n] tag: not a Kerberos message. */
  | 'not-kerberos'
  /** Starts like an AS-REQ or TGS-REQ (0x6a, 0x6c) but does not decode as one. */
  | 'malformed';

/** The decision for one datagram. */
export type UdpVerdict =
  /** 10 and 12: an AS-REQ or TGS-REQ; 14: a kpasswd request, whose AP-REQ follows its header. */
  | { readonly answer: true; readonly msgType: 10 | 12 | 14 }
  | { readonly answer: false; readonly reason: UdpDropReason };

/** The first octet of `[APPLICATION n]`, constructed, n < 31 (X.690 section 8.1.2). */
const appTag = (n: number): number => 0x60 | n;
const AS_REQ = appTag(AppTag.AS_REQ); // 0x6a
const TGS_REQ = appTag(AppTag.TGS_REQ); // 0x6c
const KRB_ERROR = appTag(AppTag.KRB_ERROR); // 0x7e

/**
 * Whether a KDC should hand `datagram` to its handler and send the reply
 * back. Decodes the KDC-REQ envelope (about half a microsecond for a
 * 150-byte AS-REQ; the KDC decodes it again).
 */
export function udpVerdict(datagram: Uint8Array): UdpVerdict {
  if (datagram.length === 0) return { answer: false, reason: 'empty' };
  const tag = datagram[0]!;
  if (tag === KRB_ERROR) return { answer: false, reason: 'krb-error' };
  if (tag !== AS_REQ && tag !== TGS_REQ) {
    // Another constructed [APPLICATION n]: some other Kerberos message.
    return { answer: false, reason: (tag & 0xe0) === 0x60 ? 'not-a-request' : 'not-kerberos' };
  }
  try {
    return { answer: true, msgType: decodeKdcReq(datagram).msgType };
  } catch (e) {
    // A decoding failure (Asn1Error, or KRB_AP_ERR_BADVERSION for pvno): malformed. Anything else is a bug.
    if (isKerberosError(e)) return { answer: false, reason: 'malformed' };
    throw e;
  }
}

/** [APPLICATION 14]: an AP-REQ, which a kpasswd request carries after its header. */
const AP_REQ = appTag(AppTag.AP_REQ); // 0x6e
/**
 * The same decision for the password-change service (RFC 3244, port 464): a
 * datagram is answered when its 6-byte header holds (its length is the
 * datagram's, its version 1 or 0xff80) and an AP-REQ follows it. A kpasswd
 * reply has an AP-REP or a KRB-ERROR there, so two services never answer
 * each other; whether the AP-REQ decodes is the service's to say, in a reply
 * the client can read.
 */
export function kpasswdVerdict(datagram: Uint8Array): UdpVerdict {
  if (datagram.length === 0) return { answer: false, reason: 'empty' };
  // Performance: a KDC request (an APPLICATION tag first) fails the header's own length here, without
  // the decoder's exception and its stack: the KDC proxy asks this of every request it carries.
  if (datagram.length < 2 || ((datagram[0]! << 8) | datagram[1]!) !== datagram.length) {
    return { answer: false, reason: 'not-kerberos' };
  }
  let m: KpasswdMessage;
  try {
    m = decodeKpasswdMessage(datagram);
  } catch {
    return { answer: false, reason: 'not-kerberos' };
  }
  if (m.version !== KpasswdVersion.CHANGE_PASSWORD && m.version !== KpasswdVersion.SET_PASSWORD) {
    return { answer: false, reason: 'not-kerberos' };
  }
  if (m.ap.length === 0 || m.ap[0] !== AP_REQ) return { answer: false, reason: 'not-a-request' };
  return { answer: true, msgType: 14 };
}

/** The log wording of each reason. */
export const UDP_DROP_TEXT: Readonly<Record<UdpDropReason, string>> = Object.freeze({
  empty: 'empty datagram',
  'krb-error': 'a KRB-ERROR is never answered',
  'not-a-request': 'not a request',
  'not-kerberos': 'not a Kerberos message',
  malformed: 'does not decode as an AS-REQ or TGS-REQ',
});
