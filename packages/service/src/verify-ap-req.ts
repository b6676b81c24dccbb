/**
 * Verifying an AP-REQ at a service: RFC 4120 section 3.2.3.
 *
 * 1. The checks every acceptor runs, in `check-ap-req.ts` under the service's
 *    rules ({@link SERVICE_AP_REQ}): weak enctypes, user-to-user, key
 *    selection (keytab.ts), decryption, client match, clock skew, ticket times.
 * 2. The ticket's PAC, if it has one (`pac.ts`, MS-PAC 2.8): the server
 *    signature with the key that decrypted the ticket, and the KDC, ticket
 *    and extended KDC signatures when the KDC's keys are given.
 * 3. With GSS framing, the RFC 4121 0x8003 checksum, channel bindings and
 *    any delegated credentials (no checksum at all: no flags, no bindings,
 *    MS-KILE 3.4.5), and the client's KERB_AP_OPTIONS_CBT, which holds it to
 *    the acceptor's channel whatever its checksum, none included (MIT's
 *    check_cbt).
 * 4. The replay cache, last, so only authenticators that passed every other
 *    check take space in it. A caller with checks of its own (the service's
 *    refusals of a GSS token with DCE style, of an EtypeList or Windows
 *    client data that does not decode) runs them between
 *    {@link verifyBeforeReplay} and {@link checkReplay}.
 *
 * @module
 */

import {
  ApOptions,
  type ApReq,
  type Authenticator,
  type Checksum,
  decodeGssChecksum,
  type EncTicketPart,
  formatPrincipal,
  GSS_CHECKSUM_TYPE,
  type GssChecksum,
  GssFlags,
  type HostAddress,
  KerbApOptions,
  type KeytabEntryLike,
  type QualifiedName,
  samePrincipal,
  TicketFlags,
  transitedRealms,
} from '@krbsim/asn1';
import { type Clock, ErrorCode, KerberosError } from '@krbsim/core';
import { type Key, KeyUsage, redactedKey, verifyChecksum } from '@krbsim/crypto';
import {
  type ApReqCheck,
  ApReqError,
  ApReqFailure,
  checkApReq,
  SERVICE_AP_REQ,
  USER_TO_USER_AP_REQ,
} from './check-ap-req';
import { type DelegatedCredential, readDelegation } from './delegation';
import { authenticatorApOptions, checkChannelBindings } from './gss-checksum';
import { selectServiceKey } from './keytab';
import { acceptedPac, type PacCheck, type VerifiedPac } from './pac';
import { redactedDelegation, redactedGssChecksum } from './redact';
import type { ReplayCache } from './replay-cache';
import { hierarchicalTransit, type TransitedPolicy } from './transited-policy';

/** What the verification needs from the service. */
export interface VerifyParams {
  readonly keytab: readonly KeytabEntryLike[];
  readonly principal?: QualifiedName;
  readonly clock: Clock;
  readonly clockSkewMs: number;
  readonly replayCache: ReplayCache | undefined;
  readonly allowWeakCrypto: boolean;
  /** The only enctypes permitted (see `ServiceOptions.permittedEncTypes`); default every one, weak ones per `allowWeakCrypto`. */
  readonly permittedEncTypes?: readonly number[];
  /** The token was GSS-framed: a checksum must be RFC 4121's 0x8003 (none at all asks for no flags, MS-KILE 3.4.5). */
  readonly gss: boolean;
  readonly channelBindings?: Uint8Array;
  /** With `channelBindings`: an AP-REQ that binds no channel is refused too (Extended Protection "Required"). */
  readonly requireChannelBindings?: boolean;
  /** How the ticket's PAC is checked (default: the server signature only). */
  readonly pac?: PacCheck;
  /** The transited realms accepted in a ticket the KDC did not check (default {@link hierarchicalTransit}). */
  readonly transitedPolicy?: TransitedPolicy;
  /** The address the AP-REQ came from: a ticket with addresses must hold it (KRB_AP_ERR_BADADDR). */
  readonly peerAddress?: HostAddress;
}

/**
 * A verified AP-REQ.
 *
 * Security: its keys (`sessionKey`, `ticket.key`, `authenticator.subkey`,
 * `delegated.info[].key`) print and serialize as `<redacted N bytes>`
 * (`@krbsim/crypto`'s `redactedKey`), and the KRB-CRED a client delegated
 * (`authenticator.cksum.checksum`, `gssChecksum.delegation`,
 * `delegated.krbCred`) as its length; every value stays readable.
 */
export interface VerifiedApReq {
  readonly ticket: EncTicketPart;
  readonly authenticator: Authenticator;
  /** The principal whose key opened the ticket (see `keytab.ts` on renamed tickets). */
  readonly server: QualifiedName;
  /** The ticket's client as text, `alice@CONTOSO.COM` (RFC 1964 section 2.1.1 escaping). */
  readonly clientPrincipal: string;
  readonly sessionKey: Key;
  readonly kvno: number;
  readonly gssChecksum?: GssChecksum;
  /** The initiator's channel bindings were compared with the acceptor's and match. */
  readonly channelBound: boolean;
  /** The realms the ticket transited. */
  readonly transited: string[];
  /** Credentials delegated in the GSS checksum. */
  readonly delegated?: DelegatedCredential;
  /** The ticket's PAC, verified; undefined when it carries none. */
  readonly pac: VerifiedPac | undefined;
}

/** The service's {@link ApReqCheck}: its keytab, clock, skew and weak-crypto setting. */
export function serviceCheck(
  p: Pick<
    VerifyParams,
    'keytab' | 'principal' | 'clock' | 'clockSkewMs' | 'allowWeakCrypto' | 'permittedEncTypes'
  >,
): ApReqCheck {
  const { keytab, principal } = p;
  return {
    rules: SERVICE_AP_REQ,
    keyLookup: (ticket) => selectServiceKey(keytab, ticket, principal),
    clock: p.clock,
    clockSkewMs: p.clockSkewMs,
    allowWeakCrypto: p.allowWeakCrypto,
    ...(p.permittedEncTypes !== undefined && { permittedEncTypes: new Set(p.permittedEncTypes) }),
  };
}

/**
 * The {@link ApReqCheck} of a user-to-user acceptor (RFC 4120 section 3.7): the ticket must
 * name the TGT's client and is opened with the TGT's session key (it has no kvno).
 */
export function userToUserCheck(
  tgt: { readonly client: QualifiedName; readonly sessionKey: Key },
  p: Pick<VerifyParams, 'clock' | 'clockSkewMs' | 'allowWeakCrypto' | 'permittedEncTypes'>,
): ApReqCheck {
  const key = redactedKey({ etype: tgt.sessionKey.etype, bytes: new Uint8Array(tgt.sessionKey.bytes) });
  const me = { realm: tgt.client.realm, name: tgt.client.name };
  return {
    rules: USER_TO_USER_AP_REQ,
    keyLookup: (ticket) => {
      if (!samePrincipal(me, { realm: ticket.realm, name: ticket.sname })) {
        throw new KerberosError(
          ErrorCode.KRB_AP_ERR_NOT_US,
          `the user-to-user ticket is for ${formatPrincipal(ticket.sname, ticket.realm)}, but this acceptor's TGT is ${formatPrincipal(me.name, me.realm)}'s`,
          { realm: ticket.realm },
        );
      }
      if (ticket.encPart.etype !== key.etype) {
        throw new KerberosError(
          ErrorCode.KRB_AP_ERR_NOKEY,
          `the user-to-user ticket is encrypted with enctype ${ticket.encPart.etype}, not that of this acceptor's TGT session key (${key.etype}): it was sealed in another TGT`,
          { realm: ticket.realm },
        );
      }
      return { key, kvno: 0 };
    },
    clock: p.clock,
    clockSkewMs: p.clockSkewMs,
    allowWeakCrypto: p.allowWeakCrypto,
    ...(p.permittedEncTypes !== undefined && { permittedEncTypes: new Set(p.permittedEncTypes) }),
  };
}

/** Runs every check of RFC 4120 section 3.2.3 on a decoded AP-REQ. */
export function verifyApReq(apReq: ApReq, p: VerifyParams): VerifiedApReq {
  const verified = verifyBeforeReplay(apReq, serviceCheck(p), p);
  checkReplay(apReq, verified, p.replayCache);
  return verified;
}

/**
 * Steps 1 to 3 of {@link verifyApReq}, with the {@link ApReqCheck} built once by
 * the caller (the service builds it in its constructor: the hot path allocates
 * nothing for it); the replay cache is left to {@link checkReplay}, which the
 * caller runs once its own checks have passed.
 */
export function verifyBeforeReplay(
  apReq: ApReq,
  check: ApReqCheck,
  p: Pick<
    VerifyParams,
    'gss' | 'channelBindings' | 'requireChannelBindings' | 'pac' | 'transitedPolicy' | 'peerAddress'
  >,
): VerifiedApReq {
  const {
    ticket,
    authenticator: auth,
    sessionKey,
    serverKey,
    clientPrincipal,
  } = checkApReq(apReq, check, p.peerAddress);
  // The principal whose key opened the ticket: its server name, unencrypted, may say otherwise (keytab.ts).
  const server: QualifiedName = serverKey.principal ?? {
    realm: apReq.ticket.realm,
    name: apReq.ticket.sname,
  };
  const pac = acceptedPac(ticket, server, serverKey.key, p.pac ?? NO_KDC_KEYS);
  let gssChecksum: GssChecksum | undefined;
  let delegated: DelegatedCredential | undefined;
  let channelBound = false;
  // MS-KILE 3.4.5: an authenticator without a checksum asks for no GSS flags and binds no channel,
  // as Windows and MIT (krb5 1.14 on) accept it; a checksum that is there must be 0x8003. A raw
  // AP-REQ whose 0x8003 checksum sets GSS_C_DCE_STYLE is a DCE-style initiator's (MS-KILE 3.4.5.1:
  // it sends its AP-REQ without GSS framing) and is read as a GSS one; so is any raw AP-REQ with a
  // 0x8003 checksum when the acceptor has channel bindings, as MIT's GSS acceptor reads it: taking
  // the GSS framing off a token must not take its bindings with it. Otherwise a raw AP-REQ is read
  // as krb5_rd_req reads it (no GSS checksum).
  const rawGss =
    auth.cksum?.cksumtype === GSS_CHECKSUM_TYPE &&
    (p.channelBindings !== undefined || setsDceStyle(auth.cksum.checksum));
  const gssRead = p.gss || rawGss;
  // The client's KERB-AP-OPTIONS, read as MIT's GSS acceptor reads them (check_cbt: for every GSS
  // token, its malformed forms refused with or without acceptor bindings); a raw AP-REQ read as
  // krb5_rd_req reads it has them read only where there is a channel to hold it to.
  const apOptions =
    gssRead || p.channelBindings !== undefined ? authenticatorApOptions(auth.authorizationData) : 0;
  // Extended Protection "Required": empty bindings are held to the channel as from a client that set
  // KERB_AP_OPTIONS_CBT, and an AP-REQ without a GSS checksum binds none at all.
  const required = p.requireChannelBindings === true && p.channelBindings !== undefined;
  const holdToChannel =
    p.channelBindings !== undefined && (required || (apOptions & KerbApOptions.CBT) !== 0);
  if (required && (auth.cksum === undefined || !gssRead)) {
    throw new KerberosError(
      ErrorCode.KRB_AP_ERR_MODIFIED,
      'the AP-REQ binds no channel (no GSS checksum), and this service requires channel bindings (Extended Protection)',
    );
  }
  if (auth.cksum !== undefined && gssRead) {
    gssChecksum =
      auth.cksum.cksumtype === GSS_CHECKSUM_TYPE
        ? redactedGssChecksum(decodeGssChecksum(auth.cksum))
        : keyedGssChecksum(auth.cksum, sessionKey, apReq.apOptions);
    channelBound = checkChannelBindings(
      gssChecksum,
      p.channelBindings,
      holdToChannel ? KerbApOptions.CBT : 0,
    );
    if (gssChecksum.delegation !== undefined) {
      const subkey =
        auth.subkey === undefined ? undefined : { etype: auth.subkey.keytype, bytes: auth.subkey.keyvalue };
      delegated = redactedDelegation(readDelegation(gssChecksum.delegation, subkey, sessionKey));
    }
  }
  // MS-KILE 3.4.5 has a server "not check channel binding" in an authenticator without a checksum, but
  // KERB_AP_OPTIONS_CBT (MS-KILE 2.2.8) is a later Windows addition, for Extended Protection: a client
  // that sets it asks to be held to the channel, and an authenticator that binds none (no checksum, or
  // none read as GSS) is what one made outside the channel looks like. MIT's check_cbt runs after every
  // checksum branch, none included, and refuses it as GSS_S_BAD_BINDINGS; so does this.
  if (holdToChannel && !channelBound) {
    throw new KerberosError(
      ErrorCode.KRB_AP_ERR_MODIFIED,
      'the authenticator sets KERB_AP_OPTIONS_CBT but carries no GSS checksum, so no channel bindings, and this service has a channel: the token may have been made outside it',
    );
  }
  const transited = transitedRealms(ticket.transited);
  // RFC 4120 section 2.7: a path the KDC did not check is the service's to check, or to refuse.
  if (
    transited.length > 0 &&
    (ticket.flags & TicketFlags['transited-policy-checked']) === 0 &&
    !(p.transitedPolicy ?? hierarchicalTransit)({
      clientRealm: ticket.crealm,
      transited,
      serviceRealm: server.realm,
    })
  ) {
    throw new ApReqError(
      ApReqFailure.transitedPath,
      `the ticket of ${clientPrincipal} transited ${transited.join(', ')} on its way to ${server.realm}, a path its KDC did not check (no TRANSITED-POLICY-CHECKED) and this service does not accept`,
      { realm: server.realm, client: ticket },
    );
  }
  return {
    ticket,
    authenticator: auth,
    server,
    clientPrincipal,
    sessionKey,
    kvno: serverKey.kvno,
    transited,
    delegated,
    gssChecksum,
    channelBound,
    pac,
  };
}

/**
 * Step 4: record the authenticator of an AP-REQ that passed every other check
 * in `replayCache` (none: nothing to do).
 *
 * @throws KerberosError KRB_AP_ERR_REPEAT when it was seen within the window.
 */
export function checkReplay(apReq: ApReq, v: VerifiedApReq, replayCache: ReplayCache | undefined): void {
  replayCache?.check({
    client: v.clientPrincipal,
    server: formatPrincipal(v.server.name, v.server.realm),
    ctime: v.authenticator.ctime,
    cusec: v.authenticator.cusec,
    tag: apReq.authenticator.cipher, // its last bytes, the MAC, identify it
  });
}

const NO_KDC_KEYS: PacCheck = Object.freeze({});

/** Whether a 0x8003 checksum's flags (little-endian, at offset 20) set GSS_C_DCE_STYLE. */
function setsDceStyle(checksum: Uint8Array): boolean {
  return checksum.length >= 24 && (checksum[21]! & (GssFlags.dceStyle >>> 8)) !== 0;
}

/**
 * A GSS authenticator whose checksum is an ordinary keyed one over no data,
 * as Samba's initiators sent it, read as MIT's acceptor reads it: verified
 * with the session key (key usage 10), so that it cannot be an authenticator
 * lifted from a checksummed exchange; then the flags are replay and sequence,
 * and mutual when the AP options ask for it, with no channel bindings (16
 * zero octets) and no delegation.
 *
 * @throws KerberosError KRB_AP_ERR_INAPP_CKSUM for a checksum type that is
 *   unkeyed, unknown or another enctype's; KRB_AP_ERR_MODIFIED for one that
 *   does not verify (MIT: GSS_S_BAD_SIG).
 */
function keyedGssChecksum(cksum: Checksum, sessionKey: Key, apOptions: number): GssChecksum {
  let valid: boolean;
  try {
    valid = verifyChecksum(sessionKey, KeyUsage.AP_REQ_AUTH_CKSUM, new Uint8Array(0), cksum.checksum, {
      cksumtype: cksum.cksumtype,
    });
  } catch (e) {
    throw new KerberosError(
      ErrorCode.KRB_AP_ERR_INAPP_CKSUM,
      `the GSS-API authenticator checksum is of type ${cksum.cksumtype}: neither 0x8003 (RFC 4121 section 4.1.1) nor a keyed checksum the session key makes`,
      { cause: e },
    );
  }
  if (!valid) {
    throw new KerberosError(
      ErrorCode.KRB_AP_ERR_MODIFIED,
      `the GSS-API authenticator checksum of type ${cksum.cksumtype} does not verify over empty data with the session key`,
    );
  }
  const mutual = (apOptions & ApOptions['mutual-required']) !== 0 ? GssFlags.mutual : 0;
  return { flags: GssFlags.replay | GssFlags.sequence | mutual, bindings: new Uint8Array(16) };
}
