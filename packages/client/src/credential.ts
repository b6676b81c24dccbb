/**
 * A credential: a ticket plus what the client learnt from the encrypted part
 * of the KDC reply that carried it (RFC 4120 section 5.4.2, EncKDCRepPart).
 * The same information MIT keeps in a ccache entry.
 *
 * @module
 */

import {
  type AuthorizationData,
  type EncKdcRepPart,
  type EncryptionKey,
  formatPrincipal,
  type KdcRep,
  type PrincipalName,
  type Ticket,
  tgsRealmOf,
} from '@krbsim/asn1';
import { type Key, redactedKey } from '@krbsim/crypto';

/** A ticket and its session key, as obtained from an AS or TGS exchange. */
export interface Credential {
  /** The client the ticket names (after any canonicalization). */
  readonly client: { readonly realm: string; readonly name: PrincipalName };
  /** The service the ticket is for; `krbtgt/X@Y` for a ticket-granting ticket. */
  readonly server: { readonly realm: string; readonly name: PrincipalName };
  /** The session key shared with `server` (printed and serialized as `<redacted N bytes>`). */
  readonly sessionKey: Key;
  /** The ticket, as decoded. */
  readonly ticket: Ticket;
  /**
   * The ticket's DER encoding (what goes into an AP-REQ). Security: a view whose underlying
   * `ArrayBuffer` may hold more than the ticket (a credential from a KDC reply keeps its session
   * key right after it): send or copy the view's own bytes, never `ticketDer.buffer`.
   */
  readonly ticketDer: Uint8Array;
  /**
   * TicketFlags, RFC bit order (see `TicketFlags` in `@krbsim/asn1`), as the KDC's reply gives
   * them; but ok-as-delegate only when every cross-realm TGT the ticket was got with carried it
   * too (and, renewed, only when the ticket renewed had it), as MIT's and Heimdal's clients keep
   * it: a TGS reply got with anything but the client's own TGT loses the flag unless the ticket
   * presented had it (the ticket itself is not changed).
   */
  readonly flags: number;
  /** Milliseconds since the epoch. */
  readonly authtime: number;
  readonly starttime?: number;
  readonly endtime: number;
  readonly renewTill?: number;
  /**
   * When the client's password expires (ms), as an AS reply says it: the
   * last-req entry of type 6 (RFC 4120 section 5.4.2, "the time when the
   * password will expire", which Windows DCs and MIT's KDC send), else
   * key-expiration. What a Windows client warns of days ahead; absent when
   * the reply says nothing of it (the password does not expire; TGS replies).
   */
  readonly passwordExpires?: number;
  /**
   * The authorization data the client asked the KDC to add to the ticket (a TGS-REQ's
   * enc-authorization-data, RFC 4120 section 5.4.1), as MIT's `krb5_creds.authdata` and a
   * ccache entry's authdata keep it: the ticket itself is sealed for its server. A cached
   * ticket serves a later request only for the same authorization data. Absent when none was
   * asked for.
   */
  readonly requestedAuthorizationData?: AuthorizationData;
}

/** The password expiry an EncKDCRepPart states: last-req type 6 (or -6, RFC 4120's "all realms" sign), else key-expiration. */
function passwordExpiryOf(enc: EncKdcRepPart): number | undefined {
  for (const lr of enc.lastReq) if (lr.lrType === 6 || lr.lrType === -6) return lr.lrValue;
  return enc.keyExpiration;
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
 * EncKDCRepPart.
 *
 * Performance: a credential is kept for hours, so it owns its bytes in one
 * allocation: the ticket's encoding (`ticketDer`, which as the encoder's
 * output is a view into a shared 64 KiB slab), the session key after it, and
 * `ticket.enc-part.cipher` as a view of the encoding's tail. Views into the
 * reply and the decrypted EncKDCRepPart would keep both buffers alive, and
 * every buffer a credential holds is one more backing store for V8 to carry
 * through its collections (measured: a client holding 1,000 TGTs spent a
 * third of its time on them).
 */
export function credentialFromReply(rep: KdcRep, enc: EncKdcRepPart, ticketDer: Uint8Array): Credential {
  const keyBytes = enc.key.keyvalue;
  const owned = new Uint8Array(ticketDer.length + keyBytes.length);
  owned.set(ticketDer, 0);
  owned.set(keyBytes, ticketDer.length);
  const der = owned.subarray(0, ticketDer.length);
  const expires = passwordExpiryOf(enc);
  const cred: Credential = {
    client: { realm: rep.crealm, name: rep.cname },
    server: { realm: enc.srealm, name: enc.sname },
    // Printed (console.log, a test's diff, a JSON log) as `<redacted 32 bytes>`; still a Key.
    sessionKey: redactedKey({ etype: enc.key.keytype, bytes: owned.subarray(ticketDer.length) }),
    ticket: ownedTicket(rep.ticket, der),
    ticketDer: der,
    flags: enc.flags >>> 0,
    authtime: enc.authtime,
    endtime: enc.endtime,
    ...(enc.starttime === undefined ? {} : { starttime: enc.starttime }),
    ...(enc.renewTill === undefined ? {} : { renewTill: enc.renewTill }),
    ...(expires === undefined ? {} : { passwordExpires: expires }),
  };
  return cred;
}

/**
 * `ticket` with its cipher as a view of `der`, its encoding: the cipher is the
 * last field of EncryptedData, itself the last field of Ticket (RFC 4120
 * section 5.3), so its bytes end the encoding. A `der` that does not end with
 * them (not this ticket's encoding) leaves `ticket` as it is.
 */
function ownedTicket(ticket: Ticket, der: Uint8Array): Ticket {
  const cipher = ticket.encPart.cipher;
  const at = der.length - cipher.length;
  if (at < 0) return ticket;
  for (let i = 0; i < cipher.length; i++) if (der[at + i] !== cipher[i]) return ticket;
  return { ...ticket, encPart: { ...ticket.encPart, cipher: der.subarray(at) } };
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
