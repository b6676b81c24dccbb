/**
 * Arbitraries for the AS and TGS exchanges (RFC 4120 section 5.4).
 *
 * @module
 */

import type { AsRep, AsReq, EncKdcRepPart, KdcReqBody, TgsRep, TgsReq } from '@krbsim/asn1';
import { KdcOptions, TicketFlags } from '@krbsim/asn1';
import fc from 'fast-check';
import {
  arbEncryptedData,
  arbEncryptionKey,
  arbEtype,
  arbHostAddresses,
  arbKerberosFlags,
  arbKerberosTime,
  arbLastReq,
  arbPaDataList,
  arbPrincipalName,
  arbRealm,
  arbUInt32,
  recordOptions,
} from './basic';
import { arbTicket } from './ticket';

function namedFlags(table: Readonly<Record<string, number>>): fc.Arbitrary<number> {
  return fc.oneof(
    {
      weight: 3,
      arbitrary: fc.subarray(Object.values(table)).map((bits) => bits.reduce((a, b) => (a | b) >>> 0, 0)),
    },
    { weight: 1, arbitrary: arbKerberosFlags },
  );
}

/** KDCOptions (RFC 4120 section 5.4.1): mostly combinations of named bits. */
export const arbKdcOptions: fc.Arbitrary<number> = namedFlags(KdcOptions);

/** TicketFlags (RFC 4120 section 5.3): mostly combinations of named bits. */
export const arbTicketFlags: fc.Arbitrary<number> = namedFlags(TicketFlags);

/** KDC-REQ-BODY (RFC 4120 section 5.4.1), every OPTIONAL field sometimes absent. */
export const arbKdcReqBody: fc.Arbitrary<KdcReqBody> = fc.record(
  {
    kdcOptions: arbKdcOptions,
    cname: arbPrincipalName,
    realm: arbRealm,
    sname: arbPrincipalName,
    from: arbKerberosTime,
    till: arbKerberosTime,
    rtime: arbKerberosTime,
    nonce: arbUInt32,
    etype: fc.array(arbEtype, { minLength: 1, maxLength: 6 }),
    addresses: arbHostAddresses,
    encAuthorizationData: arbEncryptedData,
    additionalTickets: fc.array(arbTicket, { maxLength: 2 }),
  },
  { ...recordOptions, requiredKeys: ['kdcOptions', 'realm', 'till', 'nonce', 'etype'] },
);

/** AS-REQ (RFC 4120 section 5.4.1). Never sets `reqBodyDer` (decoders do). */
export const arbAsReq: fc.Arbitrary<AsReq> = fc.record(
  {
    pvno: fc.constant(5 as const),
    msgType: fc.constant(10 as const),
    padata: arbPaDataList,
    reqBody: arbKdcReqBody,
  },
  { ...recordOptions, requiredKeys: ['pvno', 'msgType', 'reqBody'] },
);

/** TGS-REQ (RFC 4120 section 5.4.1). Never sets `reqBodyDer` (decoders do). */
export const arbTgsReq: fc.Arbitrary<TgsReq> = fc.record(
  {
    pvno: fc.constant(5 as const),
    msgType: fc.constant(12 as const),
    padata: arbPaDataList,
    reqBody: arbKdcReqBody,
  },
  { ...recordOptions, requiredKeys: ['pvno', 'msgType', 'reqBody'] },
);

const kdcRepFields = {
  pvno: fc.constant(5 as const),
  padata: arbPaDataList,
  crealm: arbRealm,
  cname: arbPrincipalName,
  ticket: arbTicket,
  encPart: arbEncryptedData,
};

/** AS-REP (RFC 4120 section 5.4.2). */
export const arbAsRep: fc.Arbitrary<AsRep> = fc.record(
  { ...kdcRepFields, msgType: fc.constant(11 as const) },
  { ...recordOptions, requiredKeys: ['pvno', 'msgType', 'crealm', 'cname', 'ticket', 'encPart'] },
);

/** TGS-REP (RFC 4120 section 5.4.2). */
export const arbTgsRep: fc.Arbitrary<TgsRep> = fc.record(
  { ...kdcRepFields, msgType: fc.constant(13 as const) },
  { ...recordOptions, requiredKeys: ['pvno', 'msgType', 'crealm', 'cname', 'ticket', 'encPart'] },
);

/**
 * EncKDCRepPart (RFC 4120 section 5.4.2, RFC 6806 section 11). `appTag` is
 * always present (25 or 26), as a decoder returns it: encode with that tag.
 */
export const arbEncKdcRepPart: fc.Arbitrary<EncKdcRepPart> = fc.record(
  {
    appTag: fc.constantFrom(25 as const, 26 as const),
    key: arbEncryptionKey,
    lastReq: arbLastReq,
    nonce: arbUInt32,
    keyExpiration: arbKerberosTime,
    flags: arbTicketFlags,
    authtime: arbKerberosTime,
    starttime: arbKerberosTime,
    endtime: arbKerberosTime,
    renewTill: arbKerberosTime,
    srealm: arbRealm,
    sname: arbPrincipalName,
    caddr: arbHostAddresses,
    encryptedPaData: arbPaDataList,
  },
  {
    ...recordOptions,
    requiredKeys: ['appTag', 'key', 'lastReq', 'nonce', 'flags', 'authtime', 'endtime', 'srealm', 'sname'],
  },
);
