/**
 * The authorization-data containers of RFC 4120 section 5.2.6: AD-IF-RELEVANT
 * (5.2.6.1), AD-KDCIssued (5.2.6.2), AD-AND-OR (5.2.6.3) and
 * AD-MANDATORY-FOR-KDC (5.2.6.4). AD-IF-RELEVANT and AD-MANDATORY-FOR-KDC are
 * plain AuthorizationData; AD-WIN2K-PAC (128) stays opaque bytes for
 * `@krbsim/pac`.
 *
 * @module
 */

import type { AuthorizationData, Checksum, PrincipalName } from './basic';

/** `AD-KDCIssued ::= SEQUENCE` (RFC 4120 section 5.2.6.2). */
export interface AdKdcIssued {
  readonly adChecksum: Checksum;
  readonly iRealm?: string;
  readonly iSname?: PrincipalName;
  readonly elements: AuthorizationData;
}

/** `AD-AND-OR ::= SEQUENCE` (RFC 4120 section 5.2.6.3). */
export interface AdAndOr {
  readonly conditionCount: number;
  readonly elements: AuthorizationData;
}

/**
 * One AuthorizationData element with its container (if it is one) decoded,
 * recursively: the result of `expandAuthorizationData`.
 */
export interface ExpandedAdEntry {
  readonly adType: number;
  readonly adData: Uint8Array;
  /** For AD-IF-RELEVANT, AD-MANDATORY-FOR-KDC, AD-KDC-ISSUED and AD-AND-OR: the inner elements. */
  readonly elements?: readonly ExpandedAdEntry[];
  /** For AD-KDC-ISSUED. */
  readonly kdcIssued?: Omit<AdKdcIssued, 'elements'>;
  /** For AD-AND-OR. */
  readonly conditionCount?: number;
}
