/**
 * A credential: a ticket plus what the client learnt from the encrypted part
 * of the KDC reply that carried it (RFC 4120 section 5.4.2, EncKDCRepPart).
 * The same information MIT keeps in a ccache entry.
 *
 * @module
 */

import {
  type EncKdcRepPart,
  type EncryptionKey,
  formatPrincipal,
  type KdcRep,
  ownedCopy,
  type PrincipalName,
  type Ticket,
  tgsRealmOf,
} from '@krbsim/asn1';
import type { Key } from '@krbsim/crypto';

/** A ticket and its session key, as obtained from an AS or TGS exchange. */
export interface Credential {
  /** The client the ticket names (after any canonicalization). */
  readonly client: { readonly realm: string; readonly name: PrincipalName };
  /** The service the ticket is for; `krbtgt/X@Y` for a ticket-granting ticket. */
  readonly server: { readonly realm: string; readonly name: PrincipalName };
  /** The session key shared with `server`. */
  readonly sessionKey: Key;
  /** The ticket, as decoded. */
  readonly ticket: Ticket;
  /** The ticket's DER encoding (what goes into an AP-REQ). */
  readonly ticketDer: Uint8Array;
  /** TicketFlags, RFC bit order (see `TicketFlags` in `@krbsim/asn1`). */
  readonly flags: number;
  /** Milliseconds since the epoch. */
  readonly authtime: number;
  readonly starttime?: number;
  readonly endtime: number;
  readonly renewTill?: number;
}

/** Converts a wire EncryptionKey to a crypto Key. */
export function keyFromWire(k: EncryptionKey): Key {
  return { etype: k.keytype, bytes: k.keyvalue };
}

/** Converts a crypto Key to a wire EncryptionKey. */
export function keyToWire(k: Key): EncryptionKey {
  return { keytype: k.etype, keyvalue: k.bytes };
}

/**
 * Builds a {@link Credential} from a verified KDC reply and its decrypted
 * EncKDCRepPart. A credential is kept for hours: it owns a copy of the
 * ticket's encoding, since the encoder's output is a view into a shared
 * 64 KiB slab, which a kept view would keep alive (with the other encodings
 * in it) for as long as the credential lives.
 */
export function credentialFromReply(rep: KdcRep, enc: EncKdcRepPart, ticketDer: Uint8Array): Credential {
  const cred: Credential = {
    client: { realm: rep.crealm, name: rep.cname },
    server: { realm: enc.srealm, name: enc.sname },
    sessionKey: keyFromWire(enc.key),
    ticket: rep.ticket,
    ticketDer: ownedCopy(ticketDer),
    flags: enc.flags >>> 0,
    authtime: enc.authtime,
    endtime: enc.endtime,
    ...(enc.starttime === undefined ? {} : { starttime: enc.starttime }),
    ...(enc.renewTill === undefined ? {} : { renewTill: enc.renewTill }),
  };
  return cred;
}

/** True when `cred` is a ticket-granting ticket (its server is `krbtgt/...`). */
export function isTgt(cred: Credential): boolean {
  return tgsRealmOf(cred.server.name) !== undefined;
}

/**
 * The realm whose KDC accepts this credential's ticket in a TGS-REQ: `X` for
 * `krbtgt/X@Y` (a cross-realm TGT issued by Y is presented to X), or the
 * server's realm for any other ticket (renewal and validation go back to the
 * issuer).
 */
export function kdcRealmFor(cred: Credential): string {
  return tgsRealmOf(cred.server.name) ?? cred.server.realm;
}

/** True when the ticket's TicketFlags contain `flag` (a `TicketFlags` mask). */
export function hasFlag(cred: Credential, flag: number): boolean {
  return (cred.flags & flag) >>> 0 !== 0;
}

/** True when `now` is past the credential's end time. */
export function isExpired(cred: Credential, now: number): boolean {
  return now >= cred.endtime;
}

/** `alice@CONTOSO.COM -> krbtgt/CONTOSO.COM@CONTOSO.COM`, for logs and errors. */
export function describeCredential(cred: Credential): string {
  return `${formatPrincipal(cred.client.name, cred.client.realm)} -> ${formatPrincipal(cred.server.name, cred.server.realm)}`;
}
