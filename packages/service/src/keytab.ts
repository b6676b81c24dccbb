/**
 * Choosing the service key for a ticket: RFC 4120 section 3.2.3 ("the
 * server uses the key version number and encryption type in the ticket to
 * select its key"). The failures are told apart as MIT's `krb5_rd_req`
 * does: no entry for the ticket's server is KRB_AP_ERR_NOT_US; entries for
 * that server but none of the ticket's enctype is KRB_AP_ERR_NOKEY; the
 * enctype present but not at the ticket's kvno is KRB_AP_ERR_BADKEYVER.
 *
 * The ticket's server name is not encrypted, and what real acceptors make
 * of it decides whether a renamed ticket is served (Impacket renames the
 * tickets it caches): MIT's acceptor named for one principal decrypts with
 * that principal's keys whatever the ticket names, and one named for none
 * tries every key of its keytab; Windows' SSPI uses the account's keys. So
 * a ticket whose server the keytab does not hold is tried with the keys that
 * may open it, and refused with KRB_AP_ERR_NOT_US only when none does: a
 * ticket that decrypts was issued for this account.
 *
 * @module
 */

import {
  decodeEncTicketPart,
  formatPrincipal,
  type KeytabEntryLike,
  type QualifiedName,
  samePrincipal,
  type Ticket,
} from '@krbsim/asn1';
import { ErrorCode, KerberosError } from '@krbsim/core';
import { decrypt, KeyUsage } from '@krbsim/crypto';

/** The principal a keytab entry is for matches `p` (names compared component by component, realm exactly). */
function isFor(e: KeytabEntryLike, p: QualifiedName): boolean {
  return samePrincipal(e.principal, p);
}

const text = (p: QualifiedName): string => formatPrincipal(p.name, p.realm);

/**
 * Of `entries` (the keys of one principal, or of the keys tried for a
 * renamed ticket), those of the ticket's enctype and kvno, newest first.
 * When no entry matches exactly, an entry of kvno 0 matches any kvno (as in
 * MIT's keytab lookup); failing one, as old keytabs keep only the low 8 bits
 * of the kvno, a kvno above 255 matches an entry with the same low byte.
 */
function ofTicketKey(entries: readonly KeytabEntryLike[], ticket: Ticket, whose: string): KeytabEntryLike[] {
  const etype = ticket.encPart.etype;
  const ofType = entries.filter((e) => e.key.etype === etype);
  if (ofType.length === 0) {
    throw new KerberosError(
      ErrorCode.KRB_AP_ERR_NOKEY,
      `the ticket for ${whose} is encrypted with enctype ${etype}, and the keytab holds only enctypes ${[...new Set(entries.map((e) => e.key.etype))].join(', ')} for it; re-export the keytab with that enctype`,
      { realm: ticket.realm },
    );
  }
  const kvno = ticket.encPart.kvno;
  // No kvno in the ticket: each key, newest first (MIT takes the newest alone; the others cost a try each).
  if (kvno === undefined) return [...ofType].sort((a, b) => b.kvno - a.kvno);
  const exact = ofType.filter((e) => e.kvno === kvno);
  if (exact.length > 0) return exact;
  // An entry of kvno 0 matches any kvno, as MIT's keytab lookup takes it (Windows ktpass can write one).
  const any = ofType.filter((e) => e.kvno === 0);
  if (any.length > 0) return any;
  const low = ofType.filter((e) => (e.kvno & 0xff) === (kvno & 0xff) && (e.kvno > 255 || kvno > 255));
  if (low.length > 0) return low;
  throw new KerberosError(
    ErrorCode.KRB_AP_ERR_BADKEYVER,
    `the ticket for ${whose} uses key version ${kvno}, and the keytab holds versions ${ofType.map((e) => e.kvno).join(', ')}; the password or key changed on one side only: re-export the keytab (or get a fresh ticket)`,
    { realm: ticket.realm },
  );
}

/**
 * The keytab entry that decrypts `ticket`. `only` restricts the service to
 * one principal: its keys are the ones used, whatever the ticket's server
 * name says. When the ticket's kvno leaves several keys of its principal (a
 * ticket without one, after a rollover), each is tried in turn, newest first.
 * A ticket for a server the keytab (or `only`) does not name is opened here
 * with each key of its enctype and kvno in turn, and KRB_AP_ERR_NOT_US when
 * none opens it.
 */
export function selectServiceKey(
  entries: readonly KeytabEntryLike[],
  ticket: Ticket,
  only?: QualifiedName,
): KeytabEntryLike {
  const server: QualifiedName = { realm: ticket.realm, name: ticket.sname };
  const notUs = () =>
    new KerberosError(
      ErrorCode.KRB_AP_ERR_NOT_US,
      only === undefined
        ? `the ticket is for ${text(server)}, which has no key in this service's keytab, and no key of the keytab opens it; the client asked for the wrong SPN or the keytab is for another principal`
        : `the ticket is for ${text(server)}, but this service is ${text(only)}, whose keys do not open it; the client asked for the wrong SPN`,
      { realm: server.realm },
    );
  // The ticket names a principal of the service (RFC 4120 3.2.3): its keys, by enctype and kvno.
  const mine = entries.filter((e) => isFor(e, server) && (only === undefined || isFor(e, only)));
  if (mine.length > 0) {
    const candidates = ofTicketKey(mine, ticket, text(server));
    // Several (a ticket without a kvno after a key rollover): each in turn, newest first. When none
    // opens it, the newest, whose failure the caller reports (KRB_AP_ERR_BAD_INTEGRITY).
    if (candidates.length === 1) return candidates[0]!;
    return candidates.find((e) => opens(e, ticket)) ?? candidates[0]!;
  }
  // A name the service does not hold: the keys that may open the ticket, tried in turn.
  const keys = only === undefined ? entries : entries.filter((e) => isFor(e, only));
  if (keys.length === 0) throw notUs();
  let candidates: KeytabEntryLike[];
  try {
    candidates = ofTicketKey(keys, ticket, text(server));
  } catch {
    throw notUs();
  }
  for (const e of candidates) if (opens(e, ticket)) return e;
  throw notUs();
}

/** Whether `entry`'s key decrypts `ticket` to an EncTicketPart. */
function opens(entry: KeytabEntryLike, ticket: Ticket): boolean {
  try {
    decodeEncTicketPart(decrypt(entry.key, KeyUsage.KDC_REP_TICKET, ticket.encPart.cipher));
    return true;
  } catch {
    return false;
  }
}
