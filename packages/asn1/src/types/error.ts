/**
 * `KRB-ERROR` (RFC 4120 section 5.9.1) and the e-data containers
 * METHOD-DATA (section 5.9.1, a SEQUENCE OF PA-DATA) and TYPED-DATA
 * (section 5.9.1, a SEQUENCE OF { data-type, data-value }).
 *
 * @module
 */

import type { KerberosTime, PaData, PrincipalName } from './basic';

/** `KRB-ERROR ::= [APPLICATION 30] SEQUENCE` (RFC 4120 section 5.9.1). */
export interface KrbErrorMessage {
  readonly pvno: 5;
  readonly msgType: 30;
  readonly ctime?: KerberosTime;
  readonly cusec?: number;
  readonly stime: KerberosTime;
  readonly susec: number;
  /** An RFC 4120 section 7.5.9 code (`ErrorCode` in `@krbsim/core`). */
  readonly errorCode: number;
  readonly crealm?: string;
  readonly cname?: PrincipalName;
  readonly realm: string;
  readonly sname: PrincipalName;
  readonly eText?: string;
  /** DER of METHOD-DATA or TYPED-DATA, depending on the error code. */
  readonly eData?: Uint8Array;
}

/** METHOD-DATA ::= SEQUENCE OF PA-DATA. */
export type MethodData = readonly PaData[];

/** One TYPED-DATA entry. */
export interface TypedDataEntry {
  readonly dataType: number;
  readonly dataValue?: Uint8Array;
}

/** TYPED-DATA ::= SEQUENCE SIZE (1..MAX) OF { data-type, data-value OPTIONAL }. */
export type TypedData = readonly TypedDataEntry[];

/**
 * KERB-ERROR-DATA (MS-KILE 2.2.2): the e-data a Windows KDC sends for an
 * extended error; `dataType` 3 (KERB_ERR_TYPE_EXTENDED) carries a
 * KERB-EXT-ERROR in `dataValue`.
 */
export interface KerbErrorData {
  readonly dataType: number;
  readonly dataValue?: Uint8Array;
}
