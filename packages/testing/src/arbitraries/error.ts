/**
 * Arbitraries for KRB-ERROR and its e-data containers (RFC 4120 section 5.9.1).
 *
 * @module
 */

import type { KrbErrorMessage, MethodData, TypedData, TypedDataEntry } from '@krbsim/asn1';
import { ErrorCode } from '@krbsim/core';
import fc from 'fast-check';
import {
  arbInt32,
  arbKerberosString,
  arbKerberosTime,
  arbMicroseconds,
  arbPaData,
  arbPrincipalName,
  arbRealm,
  octets,
  recordOptions,
} from './basic';

/** An `error-code`: a registered RFC 4120 section 7.5.9 code, or any Int32. */
export const arbErrorCode: fc.Arbitrary<number> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...new Set(Object.values(ErrorCode) as number[])) },
  { weight: 1, arbitrary: arbInt32 },
);

/** KRB-ERROR (RFC 4120 section 5.9.1), every OPTIONAL field sometimes absent; `eData` is opaque. */
export const arbKrbError: fc.Arbitrary<KrbErrorMessage> = fc.record(
  {
    pvno: fc.constant(5 as const),
    msgType: fc.constant(30 as const),
    ctime: arbKerberosTime,
    cusec: arbMicroseconds,
    stime: arbKerberosTime,
    susec: arbMicroseconds,
    errorCode: arbErrorCode,
    crealm: arbRealm,
    cname: arbPrincipalName,
    realm: arbRealm,
    sname: arbPrincipalName,
    eText: arbKerberosString,
    eData: octets(48),
  },
  { ...recordOptions, requiredKeys: ['pvno', 'msgType', 'stime', 'susec', 'errorCode', 'realm', 'sname'] },
);

/** METHOD-DATA (RFC 4120 section 5.9.1): 0..4 PA-DATA. */
export const arbMethodData: fc.Arbitrary<MethodData> = fc.array(arbPaData, { maxLength: 4 });

/** One TYPED-DATA entry. */
export const arbTypedDataEntry: fc.Arbitrary<TypedDataEntry> = fc.record(
  { dataType: arbInt32, dataValue: octets(32) },
  { ...recordOptions, requiredKeys: ['dataType'] },
);

/** TYPED-DATA (RFC 4120 section 5.9.1): SIZE (1..MAX), so 1..4 entries. */
export const arbTypedData: fc.Arbitrary<TypedData> = fc.array(arbTypedDataEntry, {
  minLength: 1,
  maxLength: 4,
});
