/**
 * Arbitraries for the Ticket and its encrypted part (RFC 4120 section 5.3).
 *
 * @module
 */

import type { EncTicketPart, Ticket } from '@krbsim/asn1';
import fc from 'fast-check';
import {
  arbAuthorizationData,
  arbEncryptedData,
  arbEncryptionKey,
  arbHostAddresses,
  arbKerberosFlags,
  arbKerberosTime,
  arbPrincipalName,
  arbRealm,
  arbTransitedEncoding,
  recordOptions,
} from './basic';

/** Ticket (RFC 4120 section 5.3), with an opaque encrypted part. */
export const arbTicket: fc.Arbitrary<Ticket> = fc.record(
  {
    tktVno: fc.constant(5 as const),
    realm: arbRealm,
    sname: arbPrincipalName,
    encPart: arbEncryptedData,
  },
  recordOptions,
);

/** EncTicketPart (RFC 4120 section 5.3), every OPTIONAL field sometimes absent. */
export const arbEncTicketPart: fc.Arbitrary<EncTicketPart> = fc.record(
  {
    flags: arbKerberosFlags,
    key: arbEncryptionKey,
    crealm: arbRealm,
    cname: arbPrincipalName,
    transited: arbTransitedEncoding,
    authtime: arbKerberosTime,
    starttime: arbKerberosTime,
    endtime: arbKerberosTime,
    renewTill: arbKerberosTime,
    caddr: arbHostAddresses,
    authorizationData: arbAuthorizationData,
  },
  { ...recordOptions, requiredKeys: ['flags', 'key', 'crealm', 'cname', 'transited', 'authtime', 'endtime'] },
);
