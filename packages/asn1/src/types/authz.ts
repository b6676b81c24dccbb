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

/**
 * KERB-AD-RESTRICTION-ENTRY (MS-KILE section 2.2.6): restriction-type 0, whose restriction is an
 * LSAP_TOKEN_INFO_INTEGRITY (`decodeLsapTokenInfoIntegrity`).
 */
export interface KerbAdRestrictionEntry {
  readonly restrictionType: number;
  readonly restriction: Uint8Array;
}

/**
 * LSAP_TOKEN_INFO_INTEGRITY (MS-KILE section 2.2.5): the client's token, as a Windows client
 * describes it to a service in KERB_AUTH_DATA_TOKEN_RESTRICTIONS.
 */
export interface LsapTokenInfoIntegrity {
  /** `TokenIntegrityFlags`: 0 for a full token, UAC_RESTRICTED (1) for a UAC-filtered one. */
  readonly flags: number;
  /** The token's integrity level (`TokenIntegrityLevel`: 0x2000 medium, 0x3000 high, ...). */
  readonly tokenIL: number;
  /** The client machine's PerBootMachineID (MS-KILE 3.1.1.4): 32 random bytes made at each start. */
  readonly machineId: Uint8Array;
  /**
   * The client machine's CrossBootMachineID (MS-KILE 3.1.1.5): 32 bytes kept on disk across starts.
   * Only newer Windows sends it (Windows 11 24H2, Windows Server 2025, with their 2025 updates).
   */
  readonly crossBootMachineId?: Uint8Array;
}
