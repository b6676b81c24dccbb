/**
 * Choosing the service key for a ticket: RFC 4120 section 3.2.3 ("the
 * server uses the key version number and encryption type in the ticket to
 * select its key"). The failures are told apart as MIT's `krb5_rd_req`
 * does: no entry for the ticket's server is KRB_AP_ERR_NOT_US; entries for
 * that server but none of the ticket's enctype is KRB_AP_ERR_NOKEY; the
 * enctype present but not at the ticket's kvno is KRB_AP_ERR_BADKEYVER.
 *
 * @module
 */

import {
  formatPrincipal,
  type KeytabEntryLike,
  type QualifiedName,
  samePrincipal,
  type Ticket,
} from '@krbsim/asn1';
import { ErrorCode, KerberosError } from '@krbsim/core';

/** The principal a keytab entry is for matches `p` (names compared component by component, realm exactly). */
function isFor(e: KeytabEntryLike, p: QualifiedName): boolean {
  return samePrincipal(e.principal, p);
}

/**
 * The keytab entry that decrypts `ticket`. `only` restricts the service to
 * one principal (a ticket for any other is KRB_AP_ERR_NOT_US).
 *
 * Old keytabs keep only the low 8 bits of the kvno, so when no entry matches
 * exactly, a kvno above 255 matches an entry with the same low byte.
 */
export function selectServiceKey(
  entries: readonly KeytabEntryLike[],
  ticket: Ticket,
  only?: QualifiedName,
): KeytabEntryLike {
  const server: QualifiedName = { realm: ticket.realm, name: ticket.sname };
  if (only !== undefined && !samePrincipal(only, server)) {
    throw new KerberosError(
      ErrorCode.KRB_AP_ERR_NOT_US,
      `the ticket is for ${formatPrincipal(server.name, server.realm)}, but this service is ${formatPrincipal(only.name, only.realm)}; the client asked for the wrong SPN`,
      { realm: server.realm },
    );
  }
  const mine = entries.filter((e) => isFor(e, server));
  if (mine.length === 0) {
    throw new KerberosError(
      ErrorCode.KRB_AP_ERR_NOT_US,
      `the ticket is for ${formatPrincipal(server.name, server.realm)}, which has no key in this service's keytab; the client asked for the wrong SPN or the keytab is for another principal`,
      { realm: server.realm },
    );
  }
  const etype = ticket.encPart.etype;
  const ofType = mine.filter((e) => e.key.etype === etype);
  if (ofType.length === 0) {
    throw new KerberosError(
      ErrorCode.KRB_AP_ERR_NOKEY,
      `the ticket for ${formatPrincipal(server.name, server.realm)} is encrypted with enctype ${etype}, and the keytab holds only enctypes ${[...new Set(mine.map((e) => e.key.etype))].join(', ')} for it; re-export the keytab with that enctype`,
      { realm: server.realm },
    );
  }
  const kvno = ticket.encPart.kvno;
  if (kvno === undefined) {
    // No kvno in the ticket: the newest key (MIT tries them all; newest first is the usual hit).
    return ofType.reduce((a, b) => (b.kvno > a.kvno ? b : a));
  }
  const exact = ofType.find((e) => e.kvno === kvno);
  if (exact !== undefined) return exact;
  const low = ofType.find((e) => (e.kvno & 0xff) === (kvno & 0xff) && (e.kvno > 255 || kvno > 255));
  if (low !== undefined) return low;
  throw new KerberosError(
    ErrorCode.KRB_AP_ERR_BADKEYVER,
    `the ticket for ${formatPrincipal(server.name, server.realm)} uses key version ${kvno}, and the keytab holds versions ${ofType.map((e) => e.kvno).join(', ')}; the password or key changed on one side only: re-export the keytab (or get a fresh ticket)`,
    { realm: server.realm },
  );
}
