/**
 * Any Kerberos message or encrypted part, told apart by its APPLICATION tag
 * (RFC 4120 section 5 and section 7.5.7): what `decodeMessage` returns and
 * `encodeMessage` takes.
 *
 * @module
 */

import type { ApRep, ApReq, Authenticator, EncApRepPart } from './ap';
import type { EncKrbCredPart, EncKrbPrivPart, KrbCred, KrbPriv, KrbSafe } from './cred';
import type { KrbErrorMessage } from './error';
import type { AsRep, AsReq, EncKdcRepPart, TgsRep, TgsReq } from './kdc';
import type { EncTicketPart, Ticket } from './ticket';

/** A decoded Kerberos value with the name of its type. */
export type KrbMessage =
  | { readonly type: 'AS-REQ'; readonly value: AsReq }
  | { readonly type: 'AS-REP'; readonly value: AsRep }
  | { readonly type: 'TGS-REQ'; readonly value: TgsReq }
  | { readonly type: 'TGS-REP'; readonly value: TgsRep }
  | { readonly type: 'AP-REQ'; readonly value: ApReq }
  | { readonly type: 'AP-REP'; readonly value: ApRep }
  | { readonly type: 'KRB-ERROR'; readonly value: KrbErrorMessage }
  | { readonly type: 'KRB-SAFE'; readonly value: KrbSafe }
  | { readonly type: 'KRB-PRIV'; readonly value: KrbPriv }
  | { readonly type: 'KRB-CRED'; readonly value: KrbCred }
  | { readonly type: 'Ticket'; readonly value: Ticket }
  | { readonly type: 'Authenticator'; readonly value: Authenticator }
  | { readonly type: 'EncTicketPart'; readonly value: EncTicketPart }
  | { readonly type: 'EncASRepPart'; readonly value: EncKdcRepPart }
  | { readonly type: 'EncTGSRepPart'; readonly value: EncKdcRepPart }
  | { readonly type: 'EncAPRepPart'; readonly value: EncApRepPart }
  | { readonly type: 'EncKrbPrivPart'; readonly value: EncKrbPrivPart }
  | { readonly type: 'EncKrbCredPart'; readonly value: EncKrbCredPart };

/** The `type` names of {@link KrbMessage}. */
export type KrbMessageType = KrbMessage['type'];
