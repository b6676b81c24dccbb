/**
 * Datagrams a KDC's UDP port may receive, each with whether a KDC answers it.
 * The expectations are MIT krb5kdc 1.20's, measured on loopback
 * (udp-admission-mit.test.ts checks them against a running krb5kdc): it
 * answers a datagram only when it decodes as an AS-REQ or TGS-REQ; a request
 * that decodes but cannot be granted (wrong realm, no pre-authentication)
 * still gets its KRB-ERROR.
 */

import { ErrorCode } from '@krbsim/core';
import { transportKrbError } from '@krbsim/transport';
import { asReq, seq, tgsReq, tlv } from './der';

export interface UdpProbe {
  readonly name: string;
  readonly bytes: Uint8Array;
  /** Does a KDC send anything back? */
  readonly answered: boolean;
  /** The reason krbsim's server gives for not answering. */
  readonly dropReason?: 'empty' | 'krb-error' | 'not-a-request' | 'not-kerberos' | 'malformed';
}

/** The probes, for a KDC of `realm` that knows `alice` (any realm works for the unanswered ones). */
export function udpProbes(realm: string): UdpProbe[] {
  const good = asReq('alice', realm);
  const badPvno = Uint8Array.from(good);
  badPvno[badPvno.indexOf(5, 4)] = 4; // pvno [1] INTEGER 5 -> 4
  const primitive = Uint8Array.from(good);
  primitive[0] = 0x4a; // [APPLICATION 10] in primitive form
  return [
    { name: 'an empty datagram', bytes: new Uint8Array(0), answered: false, dropReason: 'empty' },
    { name: 'one garbage byte', bytes: Uint8Array.of(0x41), answered: false, dropReason: 'not-kerberos' },
    {
      name: '64 bytes of 0xff',
      bytes: new Uint8Array(64).fill(0xff),
      answered: false,
      dropReason: 'not-kerberos',
    },
    {
      name: 'a KRB-ERROR (what another KDC sends)',
      bytes: transportKrbError({
        errorCode: ErrorCode.KRB_AP_ERR_MSG_TYPE,
        now: Date.UTC(2026, 0, 1),
        fallbackRealm: realm,
      }),
      answered: false,
      dropReason: 'krb-error',
    },
    {
      name: 'a short KRB-ERROR',
      bytes: Uint8Array.of(0x7e, 0x03, 0x30, 0x01, 0x00),
      answered: false,
      dropReason: 'krb-error',
    },
    { name: 'an AS-REP', bytes: tlv(0x6b, seq()), answered: false, dropReason: 'not-a-request' },
    { name: 'a TGS-REP', bytes: tlv(0x6d, seq()), answered: false, dropReason: 'not-a-request' },
    { name: 'an AP-REQ', bytes: tlv(0x6e, seq()), answered: false, dropReason: 'not-a-request' },
    { name: 'a lone AS-REQ tag', bytes: Uint8Array.of(0x6a), answered: false, dropReason: 'malformed' },
    { name: 'an empty AS-REQ', bytes: Uint8Array.of(0x6a, 0x00), answered: false, dropReason: 'malformed' },
    { name: 'an empty TGS-REQ', bytes: Uint8Array.of(0x6c, 0x00), answered: false, dropReason: 'malformed' },
    {
      name: 'an AS-REQ tag around garbage',
      bytes: tlv(0x6a, [1, 2, 3, 4, 5]),
      answered: false,
      dropReason: 'malformed',
    },
    { name: 'a truncated AS-REQ', bytes: good.subarray(0, 40), answered: false, dropReason: 'malformed' },
    {
      name: 'an AS-REQ in primitive form (0x4a)',
      bytes: primitive,
      answered: false,
      dropReason: 'not-kerberos',
    },
    { name: 'an AS-REQ with pvno 4', bytes: badPvno, answered: false, dropReason: 'malformed' },
    { name: 'an AS-REQ', bytes: good, answered: true },
    { name: 'an AS-REQ for another realm', bytes: asReq('alice', `OTHER.${realm}`), answered: true },
    { name: 'a TGS-REQ without PA-DATA', bytes: tgsReq(realm, 'krbtgt', realm), answered: true },
  ];
}
