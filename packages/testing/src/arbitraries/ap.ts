/**
 * Arbitraries for the client/server exchange (RFC 4120 section 5.5).
 *
 * @module
 */

import type { ApRep, ApReq, Authenticator, EncApRepPart } from '@krbsim/asn1';
import { ApOptions } from '@krbsim/asn1';
import fc from 'fast-check';
import {
  arbAuthorizationData,
  arbChecksum,
  arbEncryptedData,
  arbEncryptionKey,
  arbKerberosFlags,
  arbKerberosTime,
  arbMicroseconds,
  arbPrincipalName,
  arbRealm,
  arbUInt32,
  recordOptions,
} from './basic';
import { arbTicket } from './ticket';

/** APOptions: usually a combination of the named bits, sometimes any 32-bit mask. */
export const arbApOptions: fc.Arbitrary<number> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.subarray(Object.values(ApOptions)).map((bits) => bits.reduce((a, b) => (a | b) >>> 0, 0)),
  },
  { weight: 1, arbitrary: arbKerberosFlags },
);

/** AP-REQ (RFC 4120 section 5.5.1). */
export const arbApReq: fc.Arbitrary<ApReq> = fc.record(
  {
    pvno: fc.constant(5 as const),
    msgType: fc.constant(14 as const),
    apOptions: arbApOptions,
    ticket: arbTicket,
    authenticator: arbEncryptedData,
  },
  recordOptions,
);

/** Authenticator (RFC 4120 section 5.5.1), every OPTIONAL field sometimes absent. */
export const arbAuthenticator: fc.Arbitrary<Authenticator> = fc.record(
  {
    authenticatorVno: fc.constant(5 as const),
    crealm: arbRealm,
    cname: arbPrincipalName,
    cksum: arbChecksum,
    cusec: arbMicroseconds,
    ctime: arbKerberosTime,
    subkey: arbEncryptionKey,
    seqNumber: arbUInt32,
    authorizationData: arbAuthorizationData,
  },
  { ...recordOptions, requiredKeys: ['authenticatorVno', 'crealm', 'cname', 'cusec', 'ctime'] },
);

/** AP-REP (RFC 4120 section 5.5.2). */
export const arbApRep: fc.Arbitrary<ApRep> = fc.record(
  { pvno: fc.constant(5 as const), msgType: fc.constant(15 as const), encPart: arbEncryptedData },
  recordOptions,
);

/** EncAPRepPart (RFC 4120 section 5.5.2). */
export const arbEncApRepPart: fc.Arbitrary<EncApRepPart> = fc.record(
  { ctime: arbKerberosTime, cusec: arbMicroseconds, subkey: arbEncryptionKey, seqNumber: arbUInt32 },
  { ...recordOptions, requiredKeys: ['ctime', 'cusec'] },
);
