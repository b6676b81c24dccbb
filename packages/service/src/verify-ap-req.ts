/**
 * Verifying an AP-REQ: RFC 4120 section 3.2.3, step by step.
 *
 * 1. Refuse weak enctypes unless allowed (RFC 6649, RFC 8429).
 * 2. Select the service key by principal, enctype and kvno (keytab.ts).
 * 3. Decrypt the ticket (key usage 2) and the authenticator (usage 11, the
 *    ticket's session key); failure is KRB_AP_ERR_BAD_INTEGRITY.
 * 4. The authenticator's client must be the ticket's (KRB_AP_ERR_BADMATCH).
 * 5. The authenticator's time must be within the clock skew (KRB_AP_ERR_SKEW).
 * 6. The ticket must be valid now: not before its start time and without the
 *    INVALID flag (KRB_AP_ERR_TKT_NYV), not after its end time
 *    (KRB_AP_ERR_TKT_EXPIRED), each with the skew allowed.
 * 7. With GSS framing, the RFC 4121 0x8003 checksum, channel bindings and
 *    any delegated credentials.
 * 8. The replay cache, last, so only authenticators that passed every other
 *    check take space in it.
 *
 * @module
 */

import {
  ApOptions,
  type ApReq,
  type Authenticator,
  decodeAuthenticator,
  decodeEncTicketPart,
  decodeGssChecksum,
  type EncTicketPart,
  type GssChecksum,
  TicketFlags,
  transitedRealms,
} from '@krbsim/asn1';
import { type Clock, ErrorCode, isKerberosError, KerberosError } from '@krbsim/core';
import { decrypt, type Key, KeyUsage } from '@krbsim/crypto';
import { type DelegatedCredential, readDelegation } from './delegation';
import { checkChannelBindings } from './gss-checksum';
import { formatName, type ServicePrincipal, sameName } from './internal/names';
import { type KeytabEntryLike, selectServiceKey } from './keytab';
import type { ReplayCache } from './replay-cache';

/** Encryption types refused unless `allowWeakCrypto`: DES (RFC 6649), 3DES and RC4 (RFC 8429). */
export const WEAK_ENC_TYPES: ReadonlySet<number> = new Set([1, 2, 3, 16, 23, 24]);

/** What the verification needs from the service. */
export interface VerifyParams {
  readonly keytab: readonly KeytabEntryLike[];
  readonly principal?: ServicePrincipal;
  readonly clock: Clock;
  readonly clockSkewMs: number;
  readonly replayCache: ReplayCache | undefined;
  readonly allowWeakCrypto: boolean;
  /** The token was GSS-framed: the 0x8003 checksum is required. */
  readonly gss: boolean;
  readonly channelBindings?: Uint8Array;
}

/** A verified AP-REQ. */
export interface VerifiedApReq {
  readonly ticket: EncTicketPart;
  readonly authenticator: Authenticator;
  readonly server: ServicePrincipal;
  /** The ticket's client as text, `alice@CONTOSO.COM` (RFC 1964 section 2.1.1 escaping). */
  readonly clientPrincipal: string;
  readonly sessionKey: Key;
  readonly kvno: number;
  readonly gssChecksum?: GssChecksum;
  /** The realms the ticket transited. */
  readonly transited: string[];
  /** Credentials delegated in the GSS checksum. */
  readonly delegated?: DelegatedCredential;
}

function weak(etype: number, what: string, realm: string): KerberosError {
  return new KerberosError(
    ErrorCode.KDC_ERR_ETYPE_NOSUPP,
    `the ${what} uses the weak enctype ${etype}; this service refuses it (allowWeakCrypto turns that off)`,
    { realm },
  );
}

function decryptOr(key: Key, usage: number, cipher: Uint8Array, what: string, realm: string): Uint8Array {
  try {
    return decrypt(key, usage, cipher);
  } catch (e) {
    if (!isKerberosError(e)) throw e;
    throw new KerberosError(ErrorCode.KRB_AP_ERR_BAD_INTEGRITY, `${what} did not decrypt: ${e.message}`, {
      realm,
      cause: e,
    });
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** Runs every check of RFC 4120 section 3.2.3 on a decoded AP-REQ. */
export function verifyApReq(apReq: ApReq, p: VerifyParams): VerifiedApReq {
  const t = apReq.ticket;
  const realm = t.realm;
  if (!p.allowWeakCrypto) {
    if (WEAK_ENC_TYPES.has(t.encPart.etype)) throw weak(t.encPart.etype, 'ticket', realm);
    if (WEAK_ENC_TYPES.has(apReq.authenticator.etype))
      throw weak(apReq.authenticator.etype, 'authenticator', realm);
  }
  if ((apReq.apOptions & ApOptions['use-session-key']) !== 0) {
    throw new KerberosError(
      ErrorCode.KRB_AP_ERR_METHOD,
      'the AP-REQ asks for user-to-user authentication (use-session-key), which this service does not offer',
      { realm },
    );
  }
  const entry = selectServiceKey(p.keytab, t, p.principal);
  const server: ServicePrincipal = { realm, name: t.sname };
  const serverText = formatName(server.name, server.realm);
  const ticket = decodeEncTicketPart(
    decryptOr(entry.key, KeyUsage.KDC_REP_TICKET, t.encPart.cipher, `the ticket for ${serverText}`, realm),
  );
  const sessionKey: Key = { etype: ticket.key.keytype, bytes: ticket.key.keyvalue };
  if (!p.allowWeakCrypto && WEAK_ENC_TYPES.has(sessionKey.etype))
    throw weak(sessionKey.etype, 'session key', realm);
  if (apReq.authenticator.etype !== sessionKey.etype) {
    throw new KerberosError(
      ErrorCode.KRB_AP_ERR_BAD_INTEGRITY,
      `the authenticator is encrypted with enctype ${apReq.authenticator.etype}, not the session key's ${sessionKey.etype}`,
      { realm },
    );
  }
  const auth = decodeAuthenticator(
    decryptOr(sessionKey, KeyUsage.AP_REQ_AUTH, apReq.authenticator.cipher, 'the authenticator', realm),
  );
  const client = formatName(ticket.cname, ticket.crealm);
  if (auth.crealm !== ticket.crealm || !sameName(auth.cname, ticket.cname)) {
    throw new KerberosError(
      ErrorCode.KRB_AP_ERR_BADMATCH,
      `the authenticator names ${formatName(auth.cname, auth.crealm)} but the ticket was issued to ${client}`,
      { realm },
    );
  }
  const now = p.clock.now();
  const skew = p.clockSkewMs;
  const ctimeMs = auth.ctime + Math.floor(auth.cusec / 1000);
  if (Math.abs(ctimeMs - now) > skew) {
    throw new KerberosError(
      ErrorCode.KRB_AP_ERR_SKEW,
      `the client's clock (${iso(auth.ctime)}) and this service's (${iso(now)}) differ by more than ${skew / 1000}s; synchronize the clocks`,
      { realm },
    );
  }
  const start = ticket.starttime ?? ticket.authtime;
  if (start - now > skew) {
    throw new KerberosError(
      ErrorCode.KRB_AP_ERR_TKT_NYV,
      `the ticket for ${serverText} is not valid until ${iso(start)}`,
      { realm },
    );
  }
  if ((ticket.flags & TicketFlags.invalid) !== 0) {
    throw new KerberosError(
      ErrorCode.KRB_AP_ERR_TKT_NYV,
      `the ticket for ${serverText} has the INVALID flag set; it must be validated at the KDC before use`,
      { realm },
    );
  }
  if (now - ticket.endtime > skew) {
    throw new KerberosError(
      ErrorCode.KRB_AP_ERR_TKT_EXPIRED,
      `the ticket for ${serverText} expired at ${iso(ticket.endtime)}; the client must get a new one`,
      { realm },
    );
  }
  let gssChecksum: GssChecksum | undefined;
  let delegated: DelegatedCredential | undefined;
  if (p.gss) {
    gssChecksum = decodeGssChecksum(auth.cksum);
    checkChannelBindings(gssChecksum, p.channelBindings);
    if (gssChecksum.delegation !== undefined) {
      const subkey =
        auth.subkey === undefined ? undefined : { etype: auth.subkey.keytype, bytes: auth.subkey.keyvalue };
      delegated = readDelegation(gssChecksum.delegation, subkey, sessionKey);
    }
  }
  const transited = transitedRealms(ticket.transited);
  p.replayCache?.check({
    client,
    server: serverText,
    ctime: auth.ctime,
    cusec: auth.cusec,
    tag: apReq.authenticator.cipher, // its last bytes, the MAC, identify it
  });
  return {
    ticket,
    authenticator: auth,
    server,
    clientPrincipal: client,
    sessionKey,
    kvno: entry.kvno,
    transited,
    delegated,
    gssChecksum,
  };
}
