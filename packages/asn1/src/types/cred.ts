/**
 * KRB-SAFE, KRB-PRIV and KRB-CRED (RFC 4120 sections 5.6, 5.7 and 5.8).
 *
 * @module
 */

import type {
  Checksum,
  EncryptedData,
  EncryptionKey,
  HostAddress,
  IntegerForm,
  KerberosFlags,
  KerberosTime,
  PrincipalName,
} from './basic';
import type { Ticket } from './ticket';

/** `KRB-SAFE-BODY` (RFC 4120 section 5.6.1). */
export interface KrbSafeBody {
  readonly userData: Uint8Array;
  readonly timestamp?: KerberosTime;
  readonly usec?: number;
  readonly seqNumber?: number;
  /** Set to `signed` when `seqNumber` came as a negative INTEGER. */
  readonly seqNumberForm?: IntegerForm;
  readonly sAddress: HostAddress;
  readonly rAddress?: HostAddress;
}

/** `KRB-SAFE ::= [APPLICATION 20] SEQUENCE` (RFC 4120 section 5.6.1). */
export interface KrbSafe {
  readonly pvno: 5;
  readonly msgType: 20;
  readonly safeBody: KrbSafeBody;
  readonly cksum: Checksum;
}

/** `KRB-PRIV ::= [APPLICATION 21] SEQUENCE` (RFC 4120 section 5.7.1). */
export interface KrbPriv {
  readonly pvno: 5;
  readonly msgType: 21;
  /** EncKrbPrivPart, usage 13. */
  readonly encPart: EncryptedData;
}

/** `EncKrbPrivPart ::= [APPLICATION 28] SEQUENCE` (RFC 4120 section 5.7.1). */
export interface EncKrbPrivPart {
  readonly userData: Uint8Array;
  readonly timestamp?: KerberosTime;
  readonly usec?: number;
  readonly seqNumber?: number;
  /** Set to `signed` when `seqNumber` came as a negative INTEGER. */
  readonly seqNumberForm?: IntegerForm;
  readonly sAddress: HostAddress;
  readonly rAddress?: HostAddress;
}

/** `KRB-CRED ::= [APPLICATION 22] SEQUENCE` (RFC 4120 section 5.8.1). */
export interface KrbCred {
  readonly pvno: 5;
  readonly msgType: 22;
  readonly tickets: readonly Ticket[];
  /** EncKrbCredPart, usage 14 (or etype 0, unencrypted, as MIT and Windows send it inside GSS). */
  readonly encPart: EncryptedData;
}

/** `KrbCredInfo` (RFC 4120 section 5.8.1). */
export interface KrbCredInfo {
  readonly key: EncryptionKey;
  readonly prealm?: string;
  readonly pname?: PrincipalName;
  readonly flags?: KerberosFlags;
  readonly authtime?: KerberosTime;
  readonly starttime?: KerberosTime;
  readonly endtime?: KerberosTime;
  readonly renewTill?: KerberosTime;
  readonly srealm?: string;
  readonly sname?: PrincipalName;
  readonly caddr?: readonly HostAddress[];
}

/** `EncKrbCredPart ::= [APPLICATION 29] SEQUENCE` (RFC 4120 section 5.8.1). */
export interface EncKrbCredPart {
  readonly ticketInfo: readonly KrbCredInfo[];
  readonly nonce?: number;
  /** Set to `unsigned` when a nonce of 2^31 or more came unsigned (the default is signed, see `KdcReqBody.nonceForm`). */
  readonly nonceForm?: IntegerForm;
  readonly timestamp?: KerberosTime;
  readonly usec?: number;
  readonly sAddress?: HostAddress;
  readonly rAddress?: HostAddress;
}

/** ChangePasswdData (RFC 3244 section 2): a kpasswd "set password" request's new password and target. */
export interface ChangePasswdData {
  /** The new password, as the user typed it (UTF-8). */
  readonly newPasswd: Uint8Array;
  /** Whose password to set; the ticket's client when absent. */
  readonly targName?: PrincipalName;
  readonly targRealm?: string;
}
