/**
 * The Ticket and its encrypted part: RFC 4120 section 5.3.
 *
 * @module
 */

import type {
  AuthorizationData,
  EncryptedData,
  EncryptionKey,
  HostAddress,
  KerberosFlags,
  KerberosTime,
  PrincipalName,
  TransitedEncoding,
} from './basic';

/** `Ticket ::= [APPLICATION 1] SEQUENCE` (RFC 4120 section 5.3). `tktVno` is always 5. */
export interface Ticket {
  readonly tktVno: 5;
  readonly realm: string;
  readonly sname: PrincipalName;
  /** EncTicketPart, encrypted with the service key, key usage 2. */
  readonly encPart: EncryptedData;
}

/** `EncTicketPart ::= [APPLICATION 3] SEQUENCE` (RFC 4120 section 5.3). */
export interface EncTicketPart {
  readonly flags: KerberosFlags;
  readonly key: EncryptionKey;
  readonly crealm: string;
  readonly cname: PrincipalName;
  readonly transited: TransitedEncoding;
  readonly authtime: KerberosTime;
  readonly starttime?: KerberosTime;
  readonly endtime: KerberosTime;
  readonly renewTill?: KerberosTime;
  readonly caddr?: readonly HostAddress[];
  readonly authorizationData?: AuthorizationData;
}
