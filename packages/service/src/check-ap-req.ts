/**
 * The one AP-REQ check: RFC 4120 section 3.2.3 (a service receiving an
 * AP-REQ) and section 3.3.2 (a TGS receiving the AP-REQ of a PA-TGS-REQ),
 * which says the TGS checks its AP-REQ "as described in section 3.2.3".
 * Both callers run this function; the few places where the RFC and the
 * products let them differ are explicit rules ({@link ApReqRules}), and
 * {@link SERVICE_AP_REQ} and {@link TGS_AP_REQ} are the two rule sets.
 *
 * The steps, in order:
 * 1. Refuse weak enctypes in the ticket and authenticator unless allowed
 *    (RFC 6649, RFC 8429).
 * 2. Refuse user-to-user (AP option use-session-key) where it is not offered.
 * 3. Select the server key by the ticket's server, enctype and kvno (the
 *    caller's `keyLookup`: a keytab or the KDC database).
 * 4. Decrypt the ticket (key usage 2).
 * 5. Refuse a weak session key unless allowed; the authenticator must be in
 *    the session key's enctype.
 * 6. Decrypt the authenticator (usage 11 for an AP-REQ, 7 in a PA-TGS-REQ).
 * 7. The authenticator's client must be the ticket's.
 * 8. The authenticator's time must be within the clock skew.
 * 9. The authenticator's subkey, if any, must be of an enctype krbsim
 *    implements, of that enctype's key size, and not weak unless allowed: it
 *    becomes the session's key (RFC 4120 section 5.5.1).
 * 10. The ticket must be usable now (section 3.2.3 for a service; section
 *    3.3.3.1 for VALIDATE at the TGS).
 *
 * What is left to the caller is what differs in kind, not in rule: the
 * service's GSS checksum and replay cache, and the TGS's request-body
 * checksum.
 *
 * Which code each failure gets is one table, {@link ApReqFailure}.
 *
 * @module
 */

import {
  ApOptions,
  type ApReq,
  type Authenticator,
  decodeAuthenticator,
  decodeEncTicketPart,
  type EncTicketPart,
  formatPrincipal,
  type HostAddress,
  type PrincipalName,
  type QualifiedName,
  sameName,
  type Ticket,
  TicketFlags,
} from '@krbsim/asn1';
import { type Clock, ERROR_BRAND, ErrorCode, isKerberosError, KerberosError } from '@krbsim/core';
import {
  decrypt,
  getEncType,
  isSupportedEncType,
  type Key,
  KeyUsage,
  redactedKey,
  WEAK_ENC_TYPES,
} from '@krbsim/crypto';
import { formatHostAddress, ticketServesAddress } from './host-address';
import { redactAuthenticatorInPlace, redactTicketInPlace } from './redact';

/**
 * The wire code of each way an AP-REQ can fail, in one table. Where products
 * differ, the rule set chooses ({@link ApReqRules.ticketDecryptFailure}).
 */
export const ApReqFailure = {
  /** A DES, 3DES or RC4 ticket, authenticator or session key where weak crypto is off, or an enctype the acceptor does not permit. */
  weakEncType: ErrorCode.KDC_ERR_ETYPE_NOSUPP,
  /** use-session-key where user-to-user is not offered. */
  userToUser: ErrorCode.KRB_AP_ERR_METHOD,
  /** The authenticator is not in the session key's enctype, or does not decrypt with it. */
  authenticatorIntegrity: ErrorCode.KRB_AP_ERR_BAD_INTEGRITY,
  /** The authenticator names another client than the ticket. */
  clientMismatch: ErrorCode.KRB_AP_ERR_BADMATCH,
  /** The ticket has addresses and the request came from none of them (the acceptor was told the peer). */
  badAddress: ErrorCode.KRB_AP_ERR_BADADDR,
  /** The authenticator's time is outside the clock skew. */
  skew: ErrorCode.KRB_AP_ERR_SKEW,
  /** The ticket has the INVALID flag, or starts in the future. */
  notYetValid: ErrorCode.KRB_AP_ERR_TKT_NYV,
  /** The ticket's end time has passed. */
  expired: ErrorCode.KRB_AP_ERR_TKT_EXPIRED,
  /** The authenticator's subkey is of an enctype krbsim does not implement. */
  subkeyEncType: ErrorCode.KDC_ERR_ETYPE_NOSUPP,
  /** The authenticator's subkey is not as long as its enctype's keys. */
  subkeyLength: ErrorCode.KRB_ERR_GENERIC,
  /**
   * A service's check of the transited realms (verify-ap-req.ts): a path the
   * KDC did not check and that the service's policy refuses.
   */
  transitedPath: ErrorCode.KRB_AP_PATH_NOT_ACCEPTED,
} as const;

/** A server key as the lookup returns it: a keytab entry or a KDC database key. */
export interface ServerKey {
  readonly key: Key;
  readonly kvno: number;
  /** Whose key it is, when the lookup knows (a keytab entry does): the principal the ticket was for. */
  readonly principal?: QualifiedName;
}

/** The rules of one kind of acceptor. */
export interface ApReqRules {
  /** The authenticator's key usage: 11 for an AP-REQ (section 3.2), 7 in a PA-TGS-REQ (section 3.3.2). */
  readonly authenticatorUsage: number;
  /**
   * The code when the ticket does not decrypt: KRB_AP_ERR_BAD_INTEGRITY as
   * MIT's `krb5_rd_req` reports it, KRB_AP_ERR_MODIFIED as MIT's and AD's KDCs
   * do (the symptom of a trust key mismatch in the Azure AD scenario).
   */
  readonly ticketDecryptFailure: number;
  /**
   * Whether the end time is checked with the skew allowance (a service, as
   * section 3.2.3 and `krb5_rd_req` do) or strictly (a KDC: an expired TGT
   * buys nothing, as MIT's KDC rules).
   */
  readonly expiryWithSkew: boolean;
  /** use-session-key is refused with KRB_AP_ERR_METHOD (true) or left to the caller (false). */
  readonly refuseUserToUser: boolean;
}

/** The rules of a service (RFC 4120 section 3.2.3; MIT `krb5_rd_req`). */
export const SERVICE_AP_REQ: ApReqRules = Object.freeze({
  authenticatorUsage: KeyUsage.AP_REQ_AUTH,
  ticketDecryptFailure: ErrorCode.KRB_AP_ERR_BAD_INTEGRITY,
  expiryWithSkew: true,
  refuseUserToUser: true,
});

/**
 * The rules of a user-to-user acceptor (RFC 4120 section 3.7): a service's,
 * with use-session-key allowed, its ticket sealed in the acceptor's TGT
 * session key.
 */
export const USER_TO_USER_AP_REQ: ApReqRules = Object.freeze({ ...SERVICE_AP_REQ, refuseUserToUser: false });

/** The rules of a TGS for the AP-REQ in PA-TGS-REQ (RFC 4120 section 3.3.2; MIT and AD KDCs). */
export const TGS_AP_REQ: ApReqRules = Object.freeze({
  authenticatorUsage: KeyUsage.TGS_REQ_AUTH,
  ticketDecryptFailure: ErrorCode.KRB_AP_ERR_MODIFIED,
  expiryWithSkew: false,
  refuseUserToUser: false,
});

/**
 * What a check of a ticket needs: an AP-REQ's ticket, or an evidence ticket
 * presented without an authenticator (the second ticket of a user-to-user
 * request, S4U2Proxy's evidence, FAST armor).
 */
export interface TicketCheck {
  readonly rules: ApReqRules;
  /**
   * The key that decrypts `ticket`, or a thrown KerberosError
   * (KRB_AP_ERR_NOT_US, KRB_AP_ERR_NOKEY, KRB_AP_ERR_BADKEYVER, or what the
   * KDC's database says).
   */
  readonly keyLookup: (ticket: Ticket) => ServerKey;
  readonly clock: Clock;
  readonly clockSkewMs: number;
  /** Accept DES, 3DES and RC4. Default false. */
  readonly allowWeakCrypto?: boolean;
  /**
   * The only enctypes permitted (MIT's `permitted_enctypes`), for the ticket, its session key,
   * the authenticator and its subkey; any other is refused as a weak one is. Default: every
   * enctype krbsim implements, the weak ones only with `allowWeakCrypto`.
   */
  readonly permittedEncTypes?: ReadonlySet<number>;
  /**
   * A TGS VALIDATE request (section 3.3.3.1): the INVALID flag is what is
   * being cleared, and the start time must have passed, with no skew.
   */
  readonly validate?: boolean;
  /** Names the server in messages; default the ticket's `sname@realm`. */
  readonly describeServer?: (ticket: Ticket) => string;
}

/** What one check of an AP-REQ needs besides the AP-REQ (today the same as a ticket's). */
export type ApReqCheck = TicketCheck;

/**
 * A ticket that passed {@link checkTicket}.
 *
 * Security: its keys (`sessionKey`, `ticket.key`) print and serialize as
 * `<redacted N bytes>` (`@krbsim/crypto`'s `redactedKey`); their bytes stay
 * readable. `serverKey` is the lookup's own.
 */
export interface CheckedTicket {
  /** The decrypted ticket. */
  readonly ticket: EncTicketPart;
  /** The ticket's session key. */
  readonly sessionKey: Key;
  /** The key that decrypted the ticket. */
  readonly serverKey: ServerKey;
}

/**
 * An AP-REQ that passed {@link checkApReq}.
 *
 * Security: as a {@link CheckedTicket}'s, its keys (`sessionKey`,
 * `ticket.key`, `authenticator.subkey`) print redacted, and so does the
 * authenticator's 0x8003 checksum (as its length: it may carry a KRB-CRED);
 * every value stays readable.
 */
export interface CheckedApReq {
  /** The decrypted ticket. */
  readonly ticket: EncTicketPart;
  readonly authenticator: Authenticator;
  /** The ticket's session key. */
  readonly sessionKey: Key;
  /** The key that decrypted the ticket. */
  readonly serverKey: ServerKey;
  /** The client as text (`alice@CONTOSO.COM`). */
  readonly clientPrincipal: string;
}

/**
 * A failed AP-REQ check. Once the ticket has decrypted, it names the
 * ticket's client, so that a KDC can put it in its KRB-ERROR.
 */
export class ApReqError extends KerberosError {
  /** This class's brand: `instanceof` holds across copies of the package (see `hasErrorBrand`). */
  static override readonly [ERROR_BRAND]: string = '@krbsim/service:ApReqError';

  /** The ticket's client, when the ticket decrypted before the check failed. */
  readonly client: { readonly name: PrincipalName; readonly realm: string } | undefined;

  constructor(
    code: number,
    message: string,
    opts: { realm: string; client?: EncTicketPart; cause?: unknown },
  ) {
    super(code, message, { realm: opts.realm, ...(opts.cause !== undefined && { cause: opts.cause }) });
    this.client =
      opts.client === undefined ? undefined : { name: opts.client.cname, realm: opts.client.crealm };
  }
}

/** The server as messages name it (formatted only on a failure: the hot path formats nothing). */
function serverName(c: ApReqCheck, t: Ticket): string {
  return c.describeServer === undefined ? formatPrincipal(t.sname, t.realm) : c.describeServer(t);
}

function failAfterTicket(ticket: EncTicketPart, realm: string, code: number, msg: string): never {
  throw new ApReqError(code, msg, { realm, client: ticket });
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** Whether `c` refuses `etype`: not among its permitted enctypes, or weak where weak crypto is off. */
function refusedEncType(etype: number, c: TicketCheck): boolean {
  return c.permittedEncTypes !== undefined
    ? !c.permittedEncTypes.has(etype)
    : c.allowWeakCrypto !== true && WEAK_ENC_TYPES.has(etype);
}

/** The refusal of `what`'s enctype (see {@link refusedEncType}), KDC_ERR_ETYPE_NOSUPP. */
function refusedBecause(
  etype: number,
  what: string,
  c: TicketCheck,
  realm: string,
  client?: EncTicketPart,
): ApReqError {
  const why =
    c.permittedEncTypes !== undefined
      ? `the ${what} uses enctype ${etype}, which is not among this acceptor's permitted enctypes (${[...c.permittedEncTypes].join(', ')})`
      : `the ${what} uses the weak enctype ${etype}; it is refused (allowWeakCrypto turns that off)`;
  return new ApReqError(ApReqFailure.weakEncType, why, { realm, ...(client !== undefined && { client }) });
}

/** Decrypt, mapping only a crypto failure (a KerberosError) to `code`; a bug stays a bug. */
function decryptOr(
  key: Key,
  usage: number,
  cipher: Uint8Array,
  code: number,
  what: () => string,
  realm: string,
  client?: EncTicketPart,
): Uint8Array {
  try {
    return decrypt(key, usage, cipher);
  } catch (e) {
    if (!isKerberosError(e)) throw e;
    throw new ApReqError(code, `${what()} did not decrypt: ${e.message}`, { realm, client, cause: e });
  }
}

const AUTHENTICATOR = (): string => 'the authenticator';

/**
 * Decrypt a ticket with the key `keyLookup` gives and check its session key
 * (the first ticket steps of RFC 4120 section 3.2.3). Throws
 * {@link ApReqError} with `rules.ticketDecryptFailure` when it does not
 * decrypt.
 */
function openTicket(t: Ticket, c: TicketCheck): CheckedTicket {
  const realm = t.realm;
  const serverKey = c.keyLookup(t);
  // Security: the decoded ticket is this function's own; its session key is redacted in place.
  const ticket = redactTicketInPlace(
    decodeEncTicketPart(
      decryptOr(
        serverKey.key,
        KeyUsage.KDC_REP_TICKET,
        t.encPart.cipher,
        c.rules.ticketDecryptFailure,
        () => `the ticket for ${serverName(c, t)} (kvno ${serverKey.kvno})`,
        realm,
      ),
    ),
  );
  const sessionKey = redactedKey({ etype: ticket.key.keytype, bytes: ticket.key.keyvalue });
  if (refusedEncType(sessionKey.etype, c))
    throw refusedBecause(sessionKey.etype, 'session key', c, realm, ticket);
  return { ticket, sessionKey, serverKey };
}

/**
 * The validity window of a decrypted ticket (section 3.2.3: usable from
 * starttime, authtime if absent, to endtime, with the skew allowed and
 * without INVALID; section 3.3.3.1: VALIDATE clears INVALID once starttime
 * has passed).
 */
function checkTicketTimes(t: Ticket, ticket: EncTicketPart, c: TicketCheck): void {
  const realm = t.realm;
  const now = c.clock.now();
  const skew = c.clockSkewMs;
  const validate = c.validate === true;
  const start = ticket.starttime ?? ticket.authtime;
  if ((ticket.flags & TicketFlags.invalid) !== 0 && !validate) {
    failAfterTicket(
      ticket,
      realm,
      ApReqFailure.notYetValid,
      `the ticket for ${serverName(c, t)} has the INVALID flag set; it must be validated at the KDC before use`,
    );
  }
  if (validate ? start > now : start - now > skew) {
    failAfterTicket(
      ticket,
      realm,
      ApReqFailure.notYetValid,
      `the ticket for ${serverName(c, t)} is not valid until ${iso(start)}`,
    );
  }
  if (c.rules.expiryWithSkew ? now - ticket.endtime > skew : ticket.endtime <= now) {
    failAfterTicket(
      ticket,
      realm,
      ApReqFailure.expired,
      `the ticket for ${serverName(c, t)} expired at ${iso(ticket.endtime)}; the client must get a new one`,
    );
  }
}

function refuseWeakTicket(t: Ticket, c: TicketCheck): void {
  if (refusedEncType(t.encPart.etype, c)) throw refusedBecause(t.encPart.etype, 'ticket', c, t.realm);
}

/**
 * Check a ticket presented without an authenticator, as evidence: the
 * second ticket of a user-to-user request, S4U2Proxy's evidence ticket,
 * FAST armor. The ticket steps of {@link checkApReq}: its enctype, its
 * decryption, its session key, its validity window. Throws
 * {@link ApReqError} (codes of {@link ApReqFailure}).
 */
export function checkTicket(t: Ticket, c: TicketCheck): CheckedTicket {
  refuseWeakTicket(t, c);
  const opened = openTicket(t, c);
  checkTicketTimes(t, opened.ticket, c);
  return opened;
}

/**
 * Run the checks of RFC 4120 section 3.2.3 on a decoded AP-REQ under `c`'s
 * rules; with `peer`, the address the AP-REQ came from, a ticket with
 * addresses must hold it (checked after the client match, as MIT's
 * `krb5_rd_req` checks it). Throws {@link ApReqError} (a KerberosError with
 * the code of {@link ApReqFailure}), or what `keyLookup` or the codec throws.
 */
export function checkApReq(apReq: ApReq, c: ApReqCheck, peer?: HostAddress): CheckedApReq {
  const t = apReq.ticket;
  const realm = t.realm;
  const rules = c.rules;
  refuseWeakTicket(t, c);
  if (refusedEncType(apReq.authenticator.etype, c)) {
    throw refusedBecause(apReq.authenticator.etype, 'authenticator', c, realm);
  }
  if (rules.refuseUserToUser && (apReq.apOptions & ApOptions['use-session-key']) !== 0) {
    throw new ApReqError(
      ApReqFailure.userToUser,
      'the AP-REQ asks for user-to-user authentication (use-session-key), which this acceptor does not offer',
      { realm },
    );
  }
  const { ticket, sessionKey, serverKey } = openTicket(t, c);
  if (apReq.authenticator.etype !== sessionKey.etype) {
    failAfterTicket(
      ticket,
      realm,
      ApReqFailure.authenticatorIntegrity,
      `the authenticator is encrypted with enctype ${apReq.authenticator.etype}, not the session key's ${sessionKey.etype}`,
    );
  }
  // Security: the decoded authenticator is this function's own; its subkey and 0x8003 checksum
  // (which may carry a KRB-CRED) are redacted in place.
  const auth = redactAuthenticatorInPlace(
    decodeAuthenticator(
      decryptOr(
        sessionKey,
        rules.authenticatorUsage,
        apReq.authenticator.cipher,
        ApReqFailure.authenticatorIntegrity,
        AUTHENTICATOR,
        realm,
        ticket,
      ),
    ),
  );
  const client = formatPrincipal(ticket.cname, ticket.crealm);
  if (auth.crealm !== ticket.crealm || !sameName(auth.cname, ticket.cname)) {
    failAfterTicket(
      ticket,
      realm,
      ApReqFailure.clientMismatch,
      `the authenticator names ${formatPrincipal(auth.cname, auth.crealm)} but the ticket was issued to ${client}`,
    );
  }
  if (peer !== undefined && !ticketServesAddress(ticket.caddr, peer)) {
    failAfterTicket(
      ticket,
      realm,
      ApReqFailure.badAddress,
      `the ticket is for other addresses than the one the AP-REQ came from (${formatHostAddress(peer)})`,
    );
  }
  const now = c.clock.now();
  const skew = c.clockSkewMs;
  const ctimeMs = auth.ctime + Math.floor(auth.cusec / 1000);
  if (Math.abs(ctimeMs - now) > skew) {
    failAfterTicket(
      ticket,
      realm,
      ApReqFailure.skew,
      `the client's clock (${iso(auth.ctime)}) and the acceptor's (${iso(now)}) differ by more than ${skew / 1000}s; synchronize the clocks`,
    );
  }
  checkSubkey(auth, ticket, realm, c);
  checkTicketTimes(t, ticket, c);
  return { ticket, authenticator: auth, sessionKey, serverKey, clientPrincipal: client };
}

/**
 * The authenticator's subkey replaces the session key for what follows (the
 * AP-REP, GSS per-message tokens, the TGS reply), so it gets the session
 * key's checks: an enctype krbsim implements, not weak unless allowed (MIT:
 * KRB5_NOPERM_ETYPE), and its enctype's key size.
 */
function checkSubkey(auth: Authenticator, ticket: EncTicketPart, realm: string, c: ApReqCheck): void {
  const subkey = auth.subkey;
  if (subkey === undefined) return;
  const etype = subkey.keytype;
  if (!isSupportedEncType(etype)) {
    failAfterTicket(
      ticket,
      realm,
      ApReqFailure.subkeyEncType,
      `the authenticator's subkey is of enctype ${etype}, which krbsim does not support`,
    );
  }
  if (refusedEncType(etype, c)) throw refusedBecause(etype, "authenticator's subkey", c, realm, ticket);
  const size = getEncType(etype).keyBytes;
  if (subkey.keyvalue.length !== size) {
    failAfterTicket(
      ticket,
      realm,
      ApReqFailure.subkeyLength,
      `the authenticator's subkey is ${subkey.keyvalue.length} bytes; enctype ${etype} keys are ${size}`,
    );
  }
}
