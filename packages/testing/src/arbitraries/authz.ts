/**
 * Arbitraries for the authorization-data containers of RFC 4120 section
 * 5.2.6: AD-KDCIssued and AD-AND-OR (AD-IF-RELEVANT and
 * AD-MANDATORY-FOR-KDC are plain AuthorizationData, see `arbAuthorizationData`).
 *
 * @module
 */

import type { AdAndOr, AdKdcIssued } from '@krbsim/asn1';
import fc from 'fast-check';
import {
  arbAuthorizationData,
  arbChecksum,
  arbInt32,
  arbPrincipalName,
  arbRealm,
  recordOptions,
} from './basic';

/** AD-KDCIssued (RFC 4120 section 5.2.6.2). */
export const arbAdKdcIssued: fc.Arbitrary<AdKdcIssued> = fc.record(
  { adChecksum: arbChecksum, iRealm: arbRealm, iSname: arbPrincipalName, elements: arbAuthorizationData },
  { ...recordOptions, requiredKeys: ['adChecksum', 'elements'] },
);

/** AD-AND-OR (RFC 4120 section 5.2.6.3). */
export const arbAdAndOr: fc.Arbitrary<AdAndOr> = fc.record(
  {
    conditionCount: fc.oneof(
      { weight: 3, arbitrary: fc.integer({ min: 0, max: 4 }) },
      { weight: 1, arbitrary: arbInt32 },
    ),
    elements: arbAuthorizationData,
  },
  recordOptions,
);
