/**
 * Arbitraries for KRB-SAFE, KRB-PRIV and KRB-CRED (RFC 4120 sections 5.6 to 5.8).
 *
 * @module
 */

import type {
  EncKrbCredPart,
  EncKrbPrivPart,
  KrbCred,
  KrbCredInfo,
  KrbPriv,
  KrbSafe,
  KrbSafeBody,
} from '@krbsim/asn1';
import fc from 'fast-check';
import {
  arbChecksum,
  arbEncryptedData,
  arbEncryptionKey,
  arbHostAddress,
  arbHostAddresses,
  arbKerberosFlags,
  arbKerberosTime,
  arbMicroseconds,
  arbPrincipalName,
  arbRealm,
  arbUInt32,
  octets,
  recordOptions,
} from './basic';
import { arbTicket } from './ticket';

const safeBodyFields = {
  userData: octets(64),
  timestamp: arbKerberosTime,
  usec: arbMicroseconds,
  seqNumber: arbUInt32,
  sAddress: arbHostAddress,
  rAddress: arbHostAddress,
};

/** KRB-SAFE-BODY (RFC 4120 section 5.6.1). */
export const arbKrbSafeBody: fc.Arbitrary<KrbSafeBody> = fc.record(safeBodyFields, {
  ...recordOptions,
  requiredKeys: ['userData', 'sAddress'],
});

/** KRB-SAFE (RFC 4120 section 5.6.1). */
export const arbKrbSafe: fc.Arbitrary<KrbSafe> = fc.record(
  {
    pvno: fc.constant(5 as const),
    msgType: fc.constant(20 as const),
    safeBody: arbKrbSafeBody,
    cksum: arbChecksum,
  },
  recordOptions,
);

/** KRB-PRIV (RFC 4120 section 5.7.1). */
export const arbKrbPriv: fc.Arbitrary<KrbPriv> = fc.record(
  { pvno: fc.constant(5 as const), msgType: fc.constant(21 as const), encPart: arbEncryptedData },
  recordOptions,
);

/** EncKrbPrivPart (RFC 4120 section 5.7.1). */
export const arbEncKrbPrivPart: fc.Arbitrary<EncKrbPrivPart> = fc.record(safeBodyFields, {
  ...recordOptions,
  requiredKeys: ['userData', 'sAddress'],
});

/** KRB-CRED (RFC 4120 section 5.8.1) with 0..2 tickets. */
export const arbKrbCred: fc.Arbitrary<KrbCred> = fc.record(
  {
    pvno: fc.constant(5 as const),
    msgType: fc.constant(22 as const),
    tickets: fc.array(arbTicket, { maxLength: 2 }),
    encPart: arbEncryptedData,
  },
  recordOptions,
);

/** KrbCredInfo (RFC 4120 section 5.8.1): only `key` is required. */
export const arbKrbCredInfo: fc.Arbitrary<KrbCredInfo> = fc.record(
  {
    key: arbEncryptionKey,
    prealm: arbRealm,
    pname: arbPrincipalName,
    flags: arbKerberosFlags,
    authtime: arbKerberosTime,
    starttime: arbKerberosTime,
    endtime: arbKerberosTime,
    renewTill: arbKerberosTime,
    srealm: arbRealm,
    sname: arbPrincipalName,
    caddr: arbHostAddresses,
  },
  { ...recordOptions, requiredKeys: ['key'] },
);

/** EncKrbCredPart (RFC 4120 section 5.8.1) with 0..2 KrbCredInfo. */
export const arbEncKrbCredPart: fc.Arbitrary<EncKrbCredPart> = fc.record(
  {
    ticketInfo: fc.array(arbKrbCredInfo, { maxLength: 2 }),
    nonce: arbUInt32,
    timestamp: arbKerberosTime,
    usec: arbMicroseconds,
    sAddress: arbHostAddress,
    rAddress: arbHostAddress,
  },
  { ...recordOptions, requiredKeys: ['ticketInfo'] },
);
