/**
 * The client/server exchange: AP-REQ, Authenticator, AP-REP and EncAPRepPart
 * (RFC 4120 sections 5.5.1 and 5.5.2).
 *
 * @module
 */

import type {
  AuthorizationData,
  Checksum,
  EncryptedData,
  EncryptionKey,
  IntegerForm,
  KerberosFlags,
  KerberosTime,
  PrincipalName,
} from './basic';
import type { Ticket } from './ticket';

/** `AP-REQ ::= [APPLICATION 14] SEQUENCE` (RFC 4120 section 5.5.1). */
export interface ApReq {
  readonly pvno: 5;
  readonly msgType: 14;
  readonly apOptions: KerberosFlags;
  readonly ticket: Ticket;
  /** Authenticator: usage 11 (AP-REQ) or 7 (PA-TGS-REQ), with the ticket's session key. */
  readonly authenticator: EncryptedData;
}

/** `Authenticator ::= [APPLICATION 2] SEQUENCE` (RFC 4120 section 5.5.1). */
export interface Authenticator {
  readonly authenticatorVno: 5;
  readonly crealm: string;
  readonly cname: PrincipalName;
  readonly cksum?: Checksum;
  /** Microseconds within `ctime`'s second, 0..999999. */
  readonly cusec: number;
  readonly ctime: KerberosTime;
  readonly subkey?: EncryptionKey;
  readonly seqNumber?: number;
  /** Set to `signed` when `seqNumber` came as a negative INTEGER. */
  readonly seqNumberForm?: IntegerForm;
  readonly authorizationData?: AuthorizationData;
}

/** `AP-REP ::= [APPLICATION 15] SEQUENCE` (RFC 4120 section 5.5.2). */
export interface ApRep {
  readonly pvno: 5;
  readonly msgType: 15;
  /** EncAPRepPart, usage 12, with the ticket's session key. */
  readonly encPart: EncryptedData;
}

/** `EncAPRepPart ::= [APPLICATION 27] SEQUENCE` (RFC 4120 section 5.5.2). */
export interface EncApRepPart {
  readonly ctime: KerberosTime;
  readonly cusec: number;
  readonly subkey?: EncryptionKey;
  readonly seqNumber?: number;
  /** Set to `signed` when `seqNumber` came as a negative INTEGER. */
  readonly seqNumberForm?: IntegerForm;
}
