/**
 * `arbMessage`: any message or encrypted part `decodeMessage` knows, tagged
 * with its type name exactly as `decodeMessage` returns it.
 *
 * @module
 */

import type { KrbMessage } from '@krbsim/asn1';
import fc from 'fast-check';
import { arbApRep, arbApReq, arbAuthenticator, arbEncApRepPart } from './ap';
import { arbEncKrbCredPart, arbEncKrbPrivPart, arbKrbCred, arbKrbPriv, arbKrbSafe } from './cred';
import { arbKrbError } from './error';
import { arbAsRep, arbAsReq, arbEncKdcRepPart, arbTgsRep, arbTgsReq } from './kdc';
import { arbEncTicketPart, arbTicket } from './ticket';

const tagged = <T extends KrbMessage['type'], V>(type: T, arb: fc.Arbitrary<V>) =>
  arb.map((value) => ({ type, value }));

/**
 * Any {@link KrbMessage}: a `{ type, value }` pair as `decodeMessage` returns
 * and `encodeMessage` takes. `EncASRepPart` values carry `appTag: 25` and
 * `EncTGSRepPart` values `appTag: 26`.
 */
export const arbMessage: fc.Arbitrary<KrbMessage> = fc.oneof(
  tagged('AS-REQ', arbAsReq),
  tagged('AS-REP', arbAsRep),
  tagged('TGS-REQ', arbTgsReq),
  tagged('TGS-REP', arbTgsRep),
  tagged('AP-REQ', arbApReq),
  tagged('AP-REP', arbApRep),
  tagged('KRB-ERROR', arbKrbError),
  tagged('KRB-SAFE', arbKrbSafe),
  tagged('KRB-PRIV', arbKrbPriv),
  tagged('KRB-CRED', arbKrbCred),
  tagged('Ticket', arbTicket),
  tagged('Authenticator', arbAuthenticator),
  tagged('EncTicketPart', arbEncTicketPart),
  tagged(
    'EncASRepPart',
    arbEncKdcRepPart.map((v) => ({ ...v, appTag: 25 as const })),
  ),
  tagged(
    'EncTGSRepPart',
    arbEncKdcRepPart.map((v) => ({ ...v, appTag: 26 as const })),
  ),
  tagged('EncAPRepPart', arbEncApRepPart),
  tagged('EncKrbPrivPart', arbEncKrbPrivPart),
  tagged('EncKrbCredPart', arbEncKrbCredPart),
) as fc.Arbitrary<KrbMessage>;
