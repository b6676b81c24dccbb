/**
 * What an accepted AP-REQ carries that must not print: keys, and a delegated
 * KRB-CRED, which holds its tickets' session keys (in the clear when its
 * etype is 0, as Windows and MIT send it inside GSS). Security: results end up
 * in `console.log`, test failure diffs, JSON logs and error reports; the
 * objects made here print and serialize without those bytes while every
 * field stays readable, so callers use them as before.
 *
 * - keys: `@krbsim/crypto`'s `redactedKey` and `redactedEncryptionKey`
 *   (`{ etype, bytes: '<redacted N bytes>' }`);
 * - the authenticator's 0x8003 checksum, the parsed {@link GssChecksum}'s
 *   delegation and a {@link DelegatedCredential}'s KRB-CRED: as their length,
 *   `'<N bytes>'`.
 *
 * Performance: one small object per value, its methods on a shared prototype;
 * no bytes are copied.
 *
 * @module
 */

import {
  type Authenticator,
  type Checksum,
  type EncTicketPart,
  GSS_CHECKSUM_TYPE,
  type GssChecksum,
} from '@krbsim/asn1';
import { redactedEncryptionKey } from '@krbsim/crypto';
import type { DelegatedCredential } from './delegation';

const INSPECT = Symbol.for('nodejs.util.inspect.custom');

/** What a redacted byte string shows in place of its bytes. */
function lengthOf(bytes: Uint8Array): string {
  return `<${bytes.length} bytes>`;
}

/** A checksum whose value prints as its length: an RFC 4121 0x8003 checksum, which may hold a KRB-CRED. */
class RedactedChecksum implements Checksum {
  readonly cksumtype: number;
  readonly checksum: Uint8Array;

  constructor(c: Checksum) {
    this.cksumtype = c.cksumtype;
    this.checksum = c.checksum;
  }

  toJSON(): object {
    return { cksumtype: this.cksumtype, checksum: lengthOf(this.checksum) };
  }

  [INSPECT](): object {
    return this.toJSON();
  }
}

/** A parsed 0x8003 checksum whose delegated KRB-CRED prints as its length. */
class RedactedGssChecksum implements GssChecksum {
  readonly flags: number;
  readonly bindings: Uint8Array;
  readonly delegation: Uint8Array;

  constructor(g: GssChecksum & { readonly delegation: Uint8Array }) {
    this.flags = g.flags;
    this.bindings = g.bindings;
    this.delegation = g.delegation;
  }

  toJSON(): object {
    return { flags: this.flags, bindings: this.bindings, delegation: lengthOf(this.delegation) };
  }

  [INSPECT](): object {
    return this.toJSON();
  }
}

/** Delegated credentials whose keys are redacted and whose KRB-CRED prints as its length. */
class RedactedDelegation implements DelegatedCredential {
  readonly krbCred: Uint8Array;
  readonly tickets: DelegatedCredential['tickets'];
  readonly info: DelegatedCredential['info'];

  constructor(d: DelegatedCredential) {
    this.krbCred = d.krbCred;
    this.tickets = d.tickets;
    this.info = d.info.map((i) => ({ ...i, key: redactedEncryptionKey(i.key) }));
  }

  toJSON(): object {
    // Security: a KRB-CRED sent in the clear (etype 0) holds the delegated session keys.
    return { krbCred: lengthOf(this.krbCred), tickets: this.tickets, info: this.info };
  }

  [INSPECT](): object {
    return this.toJSON();
  }
}

/** `d` with its keys redacted and its KRB-CRED printing as its length (one made here is returned as it is). */
export function redactedDelegation(d: DelegatedCredential): DelegatedCredential {
  return d instanceof RedactedDelegation ? d : new RedactedDelegation(d);
}

/** `g`, its delegated KRB-CRED (when it has one) printing as its length. */
export function redactedGssChecksum(g: GssChecksum): GssChecksum {
  return g.delegation === undefined || g instanceof RedactedGssChecksum
    ? g
    : new RedactedGssChecksum(g as GssChecksum & { readonly delegation: Uint8Array });
}

/**
 * Redacts, in place, what a freshly decoded (and so the caller's own) ticket
 * holds: its session key. Returns `ticket`.
 */
export function redactTicketInPlace(ticket: EncTicketPart): EncTicketPart {
  (ticket as { key: EncTicketPart['key'] }).key = redactedEncryptionKey(ticket.key);
  return ticket;
}

/**
 * Redacts, in place, what a freshly decoded (and so the caller's own)
 * authenticator holds: its subkey, and its checksum when it is RFC 4121's
 * 0x8003, which may carry a KRB-CRED. Returns `auth`.
 */
export function redactAuthenticatorInPlace(auth: Authenticator): Authenticator {
  const a = auth as { subkey: Authenticator['subkey']; cksum: Authenticator['cksum'] };
  if (a.subkey !== undefined) a.subkey = redactedEncryptionKey(a.subkey);
  if (
    a.cksum !== undefined &&
    a.cksum.cksumtype === GSS_CHECKSUM_TYPE &&
    !(a.cksum instanceof RedactedChecksum)
  ) {
    a.cksum = new RedactedChecksum(a.cksum);
  }
  return auth;
}
