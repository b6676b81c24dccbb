/**
 * A Kerberos service (the AP exchange's server side, RFC 4120 section 3.2):
 * it holds a keytab, accepts AP-REQs framed raw, as GSS-API krb5 tokens
 * (RFC 4121) or in SPNEGO (RFC 4178), and answers mutual authentication
 * with an AP-REP framed the same way.
 *
 * @module
 */

import {
  ApOptions,
  type AuthorizationData,
  decodeApReq,
  type EncTicketPart,
  GssFlags,
  type HostAddress,
  type KeytabLike,
  keytabEntries,
  NameType,
  type PrincipalName,
  parsePrincipal,
  type QualifiedName,
  type Ticket,
} from '@krbsim/asn1';
import {
  type Clock,
  ErrorCode,
  isKerberosError,
  KerberosError,
  type RandomSource,
  systemClock,
  systemRandom,
} from '@krbsim/core';
import { isSupportedEncType, type Key, redactedKey, retainKeyState, WEAK_ENC_TYPES } from '@krbsim/crypto';
import { acceptorReply, checkDceReply } from './ap-rep';
import type { ApReqCheck } from './check-ap-req';
import type { DelegatedCredential } from './delegation';
import { acceptorEncTypes, authenticatorEtypeList } from './etype-negotiation';
import { type Framing, frameApRep, type UnframedApReq, unframeApReq } from './framing';
import { isGssTokenError } from './gss/gss-error';
import { checkWrapStyle, type WrapStyle } from './gss/per-message-token';
import { GssSecurityContext, type SecurityContextParams } from './gss/security-context';
import { hostAddressOf } from './host-address';
import type { PacCheck, VerifiedPac } from './pac';
import { ReplayCache } from './replay-cache';
import type { TransitedPolicy } from './transited-policy';
import { checkReplay, serviceCheck, userToUserCheck, verifyBeforeReplay } from './verify-ap-req';
import { readWindowsClientData, type ServiceMachine, type WindowsClientData } from './windows-client-data';

/** Options for {@link KerberosService}. */
export interface ServiceOptions {
  /** The service's keys (entries, or a parsed `@krbsim/files` keytab). */
  readonly keytab: KeytabLike;
  /** Accept tickets for this principal only (`HTTP/web.contoso.com@CONTOSO.COM`); default any principal in the keytab. */
  readonly principal?: string | QualifiedName;
  /** Default: the system clock. */
  readonly clock?: Clock;
  /** Acceptor subkeys and sequence numbers come from here. Default: the system CSPRNG. */
  readonly random?: RandomSource;
  /**
   * Allowed clock skew, a whole number of milliseconds >= 0 (a RangeError otherwise). Default 5
   * minutes (RFC 4120 section 1.6). The GSS contexts this service makes last their ticket's life
   * plus this skew, as MIT's acceptor's do.
   */
  readonly clockSkewMs?: number;
  /** The replay cache; `false` turns replay detection off (not recommended). Default: a new bounded cache. */
  readonly replayCache?: ReplayCache | false;
  /** Accept DES, 3DES and RC4 tickets and session keys. Default false. */
  readonly allowWeakCrypto?: boolean;
  /**
   * The enctypes this acceptor permits, most preferred first (MIT's `permitted_enctypes`): a
   * ticket, session key, authenticator or subkey of another is refused (KDC_ERR_ETYPE_NOSUPP),
   * and the acceptor subkey of a GSS context is chosen in this order (RFC 4537). Default
   * `ACCEPTOR_ENC_TYPES` (18, 17, 20, 19; then 23 with `allowWeakCrypto`). A weak enctype here
   * needs `allowWeakCrypto`.
   *
   * @throws TypeError (from the constructor) for an enctype krbsim does not implement, an empty
   *   list, or a weak enctype without `allowWeakCrypto`.
   */
  readonly permittedEncTypes?: readonly number[];
  /**
   * This acceptor's own TGT (its client and session key; a `@krbsim/client` Credential will
   * do), for user-to-user (RFC 4120 section 3.7): an acceptor with no long-term key of its
   * own (a user's application, `keytab: []`) then accepts AP-REQs that set use-session-key,
   * their ticket naming the TGT's client and sealed in its session key, their PAC's server
   * signature made with that key. Without it such AP-REQs are refused (KRB_AP_ERR_METHOD).
   */
  readonly userToUser?: { readonly client: QualifiedName; readonly sessionKey: Key };
  /**
   * The issuing KDC's krbtgt keys. Every PAC's server signature is checked
   * with the key that decrypted the ticket; with these keys the KDC
   * signature is checked too, and a service ticket's ticket and extended KDC
   * signatures (MS-PAC 2.8), as MIT's `krb5_kdc_verify_ticket` does. Default
   * none: the server signature only, as a service normally can.
   */
  readonly kdcKeys?: readonly Key[];
  /**
   * With `kdcKeys`: require the extended KDC signature in service tickets
   * (default true, as Windows and MIT 1.21 do; false accepts tickets from
   * KDCs older than the November 2022 updates, such as MIT 1.20's).
   */
  readonly requireExtendedKdcSignature?: boolean;
  /**
   * Which transited realms to accept in a cross-realm ticket whose KDC did
   * not check them (no TRANSITED-POLICY-CHECKED; RFC 4120 section 2.7). A path
   * refused is KRB_AP_PATH_NOT_ACCEPTED. Default {@link hierarchicalTransit}:
   * realms on the hierarchical path between the client's realm and this one,
   * as MIT's acceptor without `[capaths]`.
   */
  readonly transitedPolicy?: TransitedPolicy;
  /**
   * This service's machine's PerBootMachineID (MS-KILE 3.1.1.4, 32 bytes): a Windows client
   * whose token restrictions carry it is on this machine, and its login is local
   * ({@link AcceptResult.windows}). Default none: no login is local.
   */
  readonly machineId?: Uint8Array;
  /**
   * This service's machine's CrossBootMachineID (MS-KILE 3.1.1.5, 32 bytes): with it, a client
   * whose CrossBootMachineID is this machine's but whose PerBootMachineID is not (a token made
   * before this machine last started) is refused, KRB_AP_ERR_MODIFIED.
   */
  readonly crossBootMachineId?: Uint8Array;
}

/** Options for {@link KerberosService.accept}. */
export interface AcceptOptions {
  /** The channel bindings' application data (e.g. `tls-server-end-point:` + hash), checked against the GSS checksum. */
  readonly channelBindings?: Uint8Array;
  /**
   * With `channelBindings`: refuse an AP-REQ that binds no channel (empty bindings, or no GSS
   * checksum) even from a client that does not say it knows bindings, as a Windows service under
   * Extended Protection "Required" refuses it (KRB_AP_ERR_MODIFIED). Default false: empty bindings,
   * or no checksum at all, pass unless the client set KERB_AP_OPTIONS_CBT (RFC 4121 section 4.1.1.2,
   * MS-KILE 3.2.5.8; found at the top level or in AD-IF-RELEVANT, as MIT's acceptor finds it).
   */
  readonly requireChannelBindings?: boolean;
  /**
   * The IP address the AP-REQ came from (`socket.remoteAddress`: `192.0.2.7`, `::ffff:192.0.2.7`,
   * `2001:db8::1`): a ticket with addresses must hold it, else KRB_AP_ERR_BADADDR (RFC 4120
   * section 3.2.3, as MIT's `krb5_rd_req` checks once the application sets the remote address).
   * Default none: addresses are not checked (MIT's GSS acceptor never checks them; Windows clients
   * and KDCs use none).
   *
   * @throws TypeError (from `accept`) for what is no IP address.
   */
  readonly peerAddress?: string;
  /**
   * How the security context lays out the Wrap tokens it makes: `'mit'`
   * (RRC 0, default), `'windows'` (the RRC Heimdal and Windows send) or
   * `'dce'` (default when the initiator asked for DCE style).
   */
  readonly wrapStyle?: WrapStyle;
}

/**
 * An authenticated client.
 *
 * Security: its keys (`sessionKey`, `subkey`, `acceptorSubkey`,
 * `ticket.key`, the delegated credentials' keys) print and serialize as
 * `{ etype, bytes: '<redacted N bytes>' }` (`@krbsim/crypto`'s
 * `redactedKey`), and the delegated KRB-CRED as its length, so logging a
 * result leaks no key; each key's `.bytes` stays readable.
 */
export interface AcceptResult {
  readonly client: { readonly realm: string; readonly name: PrincipalName };
  /** `alice@CONTOSO.COM`. */
  readonly clientPrincipal: string;
  /**
   * The principal the ticket was for: the one whose keytab key opened it (its unencrypted server
   * name may say otherwise, as in a ticket a client renamed in its cache).
   */
  readonly server: { readonly realm: string; readonly name: PrincipalName };
  /** The kvno of the service key that decrypted the ticket. */
  readonly kvno: number;
  /** The ticket's session key. */
  readonly sessionKey: Key;
  /** The client's subkey from the authenticator, if any. */
  readonly subkey?: Key;
  /** The subkey this service sent in its AP-REP (GSS framing), if any: the context key from then on. */
  readonly acceptorSubkey?: Key;
  /** The decrypted ticket. */
  readonly ticket: EncTicketPart;
  /**
   * The Ticket as the client sent it, its enc-part still sealed: a service's evidence for
   * S4U2Proxy with the user's own ticket (`@krbsim/client`'s `getS4U2ProxyTicket(session, spn)`,
   * classic constrained delegation without protocol transition).
   */
  readonly sealedTicket: Ticket;
  /** The ticket's authorization data (the PAC lives here, inside AD-IF-RELEVANT). */
  readonly authorizationData: AuthorizationData;
  /**
   * The ticket's PAC, its signatures verified (see {@link ServiceOptions.kdcKeys}),
   * with `logonInfo` and `sids` (the user's SID and the group SIDs) read
   * out; undefined when the ticket carries none. A PAC that does not verify
   * refuses the AP-REQ (KRB_AP_ERR_MODIFIED; KRB_AP_ERR_INAPP_CKSUM for an
   * unkeyed checksum).
   */
  readonly pac: VerifiedPac | undefined;
  /** Authorization data the client put in its authenticator. */
  readonly authenticatorAuthorizationData: AuthorizationData;
  /**
   * What a Windows client told the service of itself (MS-KILE 3.2.5.8): its token's integrity,
   * its loopback data, the service it meant, and whether it runs on this service's machine; read
   * from the authenticator's AD-IF-RELEVANT containers, then the ticket's (where a KDC copies a
   * TGS-REQ's KERB-LOCAL, 3.3.5.7). Undefined when none holds them (MIT and Heimdal clients).
   */
  readonly windows: WindowsClientData | undefined;
  readonly authtime: number;
  readonly endtime: number;
  /** TicketFlags. */
  readonly flags: number;
  /** The client's initial sequence number, if sent. */
  readonly seqNumber?: number;
  /** The service's initial sequence number, if it sent an AP-REP with one. */
  readonly acceptorSeqNumber?: number;
  /** Mutual authentication was asked for (and {@link AcceptResult.responseToken} answers it). */
  readonly mutual: boolean;
  /** How the AP-REQ was framed. */
  readonly framing: Framing;
  /** The GSS flags from the 0x8003 checksum (GSS framing only). */
  readonly gssFlags?: number;
  /**
   * The initiator's channel bindings matched this acceptor's
   * (GSS_C_CHANNEL_BOUND_FLAG on the context; for a DCE-style context, on
   * {@link KerberosService.acceptDceReply}'s); false without GSS framing
   * (no bindings) or without bindings to match.
   */
  readonly channelBound: boolean;
  /**
   * The answer to send back: the AP-REP framed as the request was (raw, GSS
   * token id 02 00, or a SPNEGO NegTokenResp accept-completed). Absent for a
   * raw or GSS request without mutual authentication.
   */
  readonly responseToken?: Uint8Array;
  /** The realms the ticket transited, in order (empty within one realm). */
  readonly transited: string[];
  /** Credentials the client delegated in the GSS checksum (KRB-CRED), if any. */
  readonly delegatedCredential?: DelegatedCredential;
  /**
   * The acceptor's side of the GSS-API context (GSS framing only; a
   * DCE-style context comes from {@link KerberosService.acceptDceReply} once
   * the initiator's AP-REP is in): wrap, unwrap, getMic and verifyMic per RFC
   * 4121 section 4.2, keyed with the acceptor subkey of
   * {@link AcceptResult.responseToken} when one was sent.
   * Replay and ordering checks follow the initiator's replay and sequence
   * flags. Printing it shows no key.
   */
  readonly securityContext?: GssSecurityContext;
}

/**
 * Accepts AP-REQs for the principals of a keytab.
 *
 * @example
 * ```ts
 * const svc = new KerberosService({ keytab, principal: 'HTTP/web.contoso.com@CONTOSO.COM' });
 * const { clientPrincipal, responseToken } = svc.accept(token);
 * ```
 */
export class KerberosService {
  readonly #random: RandomSource;
  readonly #clock: Clock;
  /** The clock skew this acceptor allows; its contexts outlive their tickets by as much (MIT). */
  readonly #clockSkewMs: number;
  readonly #replay: ReplayCache | undefined;
  /** The AP-REQ checks, built once: keytab, principal, clock, skew, weak-crypto setting. */
  readonly #check: ApReqCheck;
  /** The checks of a user-to-user AP-REQ, when this acceptor has a TGT. */
  readonly #userToUser: ApReqCheck | undefined;
  /** How PACs are checked. Security: holds the KDC keys, so it is private and never in a result. */
  readonly #pac: PacCheck;
  readonly #transitedPolicy: TransitedPolicy | undefined;
  /** This service's machine IDs, for a Windows client's token restrictions. */
  readonly #machine: ServiceMachine;
  /** The enctypes this acceptor permits, most preferred first (RFC 4537's choice among them). */
  readonly #acceptorEncTypes: readonly number[];

  constructor(opts: ServiceOptions) {
    const clock = opts.clock ?? systemClock;
    const clockSkewMs = opts.clockSkewMs ?? 300_000;
    // NaN would turn every time check off (each `> NaN` is false), and the replay cache's window with it.
    if (!Number.isSafeInteger(clockSkewMs) || clockSkewMs < 0) {
      throw new RangeError(
        `clockSkewMs must be an integer number of milliseconds >= 0, got ${String(clockSkewMs)}`,
      );
    }
    this.#random = opts.random ?? systemRandom;
    this.#clock = clock;
    this.#clockSkewMs = clockSkewMs;
    this.#replay =
      opts.replayCache === false
        ? undefined
        : (opts.replayCache ?? new ReplayCache({ clock, windowMs: clockSkewMs }));
    if (this.#replay !== undefined && this.#replay.windowMs < clockSkewMs) {
      // An authenticator the skew check passes after the cache forgot it would be accepted twice.
      throw new RangeError(
        `the replay cache remembers authenticators for ${this.#replay.windowMs} ms, less than the ${clockSkewMs} ms clock skew this service accepts`,
      );
    }
    const keytab = keytabEntries(opts.keytab);
    // The keytab's keys live as long as the service: their derived state is kept (an acceptor for
    // many principals may use each once a request, with many others' in between).
    if (Array.isArray(keytab)) for (const entry of keytab) if (entry?.key) retainKeyState(entry.key);
    const allowWeakCrypto = opts.allowWeakCrypto ?? false;
    const permitted =
      opts.permittedEncTypes === undefined
        ? undefined
        : permittedEncTypesOption(opts.permittedEncTypes, allowWeakCrypto);
    this.#acceptorEncTypes = permitted ?? acceptorEncTypes(allowWeakCrypto);
    this.#check = serviceCheck({
      keytab,
      principal:
        typeof opts.principal === 'string' ? parseServicePrincipalText(opts.principal) : opts.principal,
      clock,
      clockSkewMs,
      allowWeakCrypto,
      ...(permitted !== undefined && { permittedEncTypes: permitted }),
    });
    this.#userToUser =
      opts.userToUser === undefined
        ? undefined
        : userToUserCheck(opts.userToUser, {
            clock,
            clockSkewMs,
            allowWeakCrypto,
            ...(permitted !== undefined && { permittedEncTypes: permitted }),
          });
    this.#transitedPolicy = opts.transitedPolicy;
    this.#machine = {
      ...(opts.machineId !== undefined && { machineId: machineIdOption(opts.machineId, 'machineId') }),
      ...(opts.crossBootMachineId !== undefined && {
        crossBootMachineId: machineIdOption(opts.crossBootMachineId, 'crossBootMachineId'),
      }),
    };
    this.#pac = {
      ...(opts.kdcKeys !== undefined && { kdcKeys: [...opts.kdcKeys] }),
      ...(opts.requireExtendedKdcSignature !== undefined && {
        requireExtendedKdcSignature: opts.requireExtendedKdcSignature,
      }),
    };
  }

  /** The replay cache in use, if any. */
  get replayCache(): ReplayCache | undefined {
    return this.#replay;
  }

  /**
   * Accepts a raw AP-REQ, a GSS-API krb5 InitialContextToken or a SPNEGO
   * NegTokenInit. Throws KerberosError with the RFC 4120 code on failure
   * (malformed input included: the codec's errors are KerberosErrors).
   */
  accept(token: Uint8Array, opts: AcceptOptions = {}): AcceptResult {
    // Options first: a refusal for one must not have used the authenticator up (the replay cache).
    checkWrapStyle(opts.wrapStyle);
    const framed = unframeApReq(token);
    const apReq = decodeApReq(framed.apReq);
    const gss = framed.framing !== 'none';
    const userToUser = (apReq.apOptions & ApOptions['use-session-key']) !== 0;
    const check = userToUser && this.#userToUser !== undefined ? this.#userToUser : this.#check;
    const v = verifyBeforeReplay(apReq, check, {
      ...(opts.peerAddress !== undefined && { peerAddress: peerAddressOption(opts.peerAddress) }),
      gss,
      channelBindings: opts.channelBindings,
      requireChannelBindings: opts.requireChannelBindings === true,
      pac: this.#pac,
      transitedPolicy: this.#transitedPolicy,
    });
    const { ticket, authenticator: auth, sessionKey } = v;
    const gssFlags = v.gssChecksum?.flags;
    // MS-KILE 3.4.5.1: a DCE-style initiator sends its AP-REQ raw, and DCE style implies mutual
    // authentication. MIT's acceptor refuses the flag in a GSS token, as a defective token. In SPNEGO
    // it is krbsim's refusal: MIT's SPNEGO takes a bare DCE-style AP-REQ as mechToken (its krb5
    // mechanism reads a 0x6e token so), but krbsim's SPNEGO completes in one round trip, and a
    // DCE-style context needs a third leg, the initiator's AP-REP, which acceptDceReply takes raw.
    const dce = gssFlags !== undefined && (gssFlags & GssFlags.dceStyle) !== 0;
    if (dce && gss) {
      throw new KerberosError(
        ErrorCode.KRB_AP_ERR_MSG_TYPE,
        framed.framing === 'spnego'
          ? "the AP-REQ sets GSS_C_DCE_STYLE but came in SPNEGO, which krbsim's acceptor completes in one round trip where a DCE-style context takes three legs; a DCE-style initiator sends it raw (MS-KILE 3.4.5.1)"
          : 'the AP-REQ sets GSS_C_DCE_STYLE but came in a GSS token (MIT: a defective token); a DCE-style initiator sends it raw (MS-KILE 3.4.5.1)',
      );
    }
    const mutual =
      dce ||
      (apReq.apOptions & ApOptions['mutual-required']) !== 0 ||
      (gssFlags !== undefined && (gssFlags & GssFlags.mutual) !== 0);
    const subkey: Key | undefined =
      auth.subkey === undefined
        ? undefined
        : redactedKey({ etype: auth.subkey.keytype, bytes: auth.subkey.keyvalue });
    // RFC 4537: read whether or not an AP-REP answers it (a list that does not decode is refused, as MIT does).
    const etypeList = authenticatorEtypeList(auth.authorizationData);
    // MS-KILE 3.4.5.3: every AD-IF-RELEVANT, the authenticator's (the client's own) first, then the ticket's
    // (a KDC copies a TGS-REQ's KERB-LOCAL there, 3.3.5.7).
    const windows = readWindowsClientData(
      ticket.authorizationData === undefined || ticket.authorizationData.length === 0
        ? auth.authorizationData
        : [...(auth.authorizationData ?? []), ...ticket.authorizationData],
      this.#machine,
    );
    // verifyBeforeReplay redacted the delegation, the session key, the ticket's key and the subkey.
    const delegatedCredential = v.delegated;
    // The acceptor's GSS context but for what its AP-REP adds. A DCE-style context is the acceptor's
    // once the initiator's AP-REP has come (acceptDceReply).
    const context: SecurityContextParams | undefined = gss
      ? {
          initiator: false,
          sessionKey,
          ...(auth.subkey === undefined
            ? {}
            : { initiatorSubkey: { etype: auth.subkey.keytype, bytes: auth.subkey.keyvalue } }),
          ...(auth.seqNumber === undefined ? {} : { initiatorSeqNumber: auth.seqNumber }),
          flags:
            contextFlags(gssFlags, mutual, delegatedCredential !== undefined) |
            (v.channelBound ? GssFlags.channelBound : 0),
          // An acceptor's context lasts the ticket's life plus the clock skew, as it accepted the
          // ticket (MIT's krb5_gss_context_time adds the skew on the acceptor's side).
          endtime: ticket.endtime + this.#clockSkewMs,
          clock: this.#clock,
          random: this.#random,
          ...(opts.wrapStyle === undefined ? {} : { wrapStyle: opts.wrapStyle }),
        }
      : undefined;
    // RFC 4178 section 5: the initiator's SPNEGO mechListMIC, checked before the replay cache as every
    // refusal is, on a context like the one made below (whose window it then goes through for real).
    if (context !== undefined && framed.mechListMic !== undefined) {
      checkInitiatorMechListMic(new GssSecurityContext(context), framed);
    }
    // Last, once every refusal above has passed: only an accepted authenticator takes room in the
    // cache, and one refused for its token is refused alike when sent again (verify-ap-req.ts).
    checkReplay(apReq, v, this.#replay);
    // The AP-REP is sealed with the session key object verification used: its derived keys are cached.
    const reply = mutual
      ? acceptorReply(sessionKey, auth, gss || dce, this.#random, {
          etypeList,
          acceptorEncTypes: this.#acceptorEncTypes,
          dce,
        })
      : undefined;
    const acceptorSubkey = reply?.acceptorSubkey && redactedKey(reply.acceptorSubkey);
    const acceptorSeq = reply?.acceptorSeqNumber;
    const securityContext =
      context === undefined
        ? undefined
        : new GssSecurityContext({
            ...context,
            ...(reply?.acceptorSubkey === undefined ? {} : { acceptorSubkey: reply.acceptorSubkey }),
            ...(acceptorSeq === undefined ? {} : { acceptorSeqNumber: acceptorSeq }),
          });
    // The initiator's MIC, checked above, goes through this context's window as its first token; then
    // MIT's process_mic: "If we got a MIC, we must send a MIC", the acceptor's first token.
    let mechListMic: Uint8Array | undefined;
    if (securityContext !== undefined && framed.mechListMic !== undefined) {
      checkInitiatorMechListMic(securityContext, framed);
      mechListMic = acceptorMechListMic(securityContext, framed);
    }
    const responseToken = frameApRep(reply?.apRep, framed, mechListMic === undefined ? {} : { mechListMic });
    // A fixed shape: absent optional fields are undefined keys (as the codec's
    // decoders return them); one object, no spreads.
    return {
      client: { realm: ticket.crealm, name: ticket.cname },
      clientPrincipal: v.clientPrincipal,
      server: v.server,
      kvno: v.kvno,
      sessionKey,
      subkey,
      acceptorSubkey,
      // Its key redacted already (checkApReq redacts the ticket it decodes).
      ticket,
      sealedTicket: apReq.ticket,
      authorizationData: ticket.authorizationData ?? [],
      pac: v.pac,
      authenticatorAuthorizationData: auth.authorizationData ?? [],
      windows,
      authtime: ticket.authtime,
      endtime: ticket.endtime,
      flags: ticket.flags,
      seqNumber: auth.seqNumber,
      acceptorSeqNumber: acceptorSeq,
      mutual,
      framing: framed.framing,
      gssFlags,
      channelBound: v.channelBound,
      responseToken,
      transited: v.transited,
      delegatedCredential,
      securityContext,
    };
  }

  /**
   * The third leg of a DCE-style context (GSS_C_DCE_STYLE, MS-KILE 3.4.5.1).
   * {@link accept} answers a DCE-style initiator's raw AP-REQ with a raw
   * AP-REP (always with an acceptor subkey and sequence number) and no
   * `securityContext`: the initiator then sends an AP-REP of its own, sealed
   * with the session key and echoing the acceptor's sequence number, which
   * this checks as MIT's `krb5_rd_rep_dce` does before the context is
   * established. Returns the acceptor's context; its flags have DCE style
   * and mutual, and no deleg flag (MIT's DCE contexts delegate nothing).
   *
   * @example
   * ```ts
   * const first = svc.accept(rawApReq); // gssFlags has GSS_C_DCE_STYLE
   * send(first.responseToken!);
   * const ctx = svc.acceptDceReply(first, await receive());
   * ```
   * @throws TypeError when `result` is not a DCE-style acceptance.
   * @throws KerberosError KRB_AP_ERR_MUT_FAIL (or the decryption's code) when the AP-REP does not check.
   */
  acceptDceReply(
    result: AcceptResult,
    token: Uint8Array,
    opts: { readonly wrapStyle?: WrapStyle } = {},
  ): GssSecurityContext {
    checkWrapStyle(opts.wrapStyle);
    const flags = result.gssFlags ?? 0;
    if ((flags & GssFlags.dceStyle) === 0 || result.acceptorSeqNumber === undefined) {
      throw new TypeError(
        'acceptDceReply takes the result of accepting a DCE-style AP-REQ (GSS_C_DCE_STYLE)',
      );
    }
    checkDceReply(result.sessionKey, result.acceptorSeqNumber, token);
    return new GssSecurityContext({
      initiator: false,
      sessionKey: result.sessionKey,
      ...(result.subkey === undefined ? {} : { initiatorSubkey: result.subkey }),
      ...(result.acceptorSubkey === undefined ? {} : { acceptorSubkey: result.acceptorSubkey }),
      ...(result.seqNumber === undefined ? {} : { initiatorSeqNumber: result.seqNumber }),
      acceptorSeqNumber: result.acceptorSeqNumber,
      flags: contextFlags(flags, true, false) | (result.channelBound === true ? GssFlags.channelBound : 0),
      endtime: result.endtime + this.#clockSkewMs,
      clock: this.#clock,
      random: this.#random,
      ...(opts.wrapStyle === undefined ? {} : { wrapStyle: opts.wrapStyle }),
    });
  }
}

/**
 * The `principal` option's text (`HTTP/web.contoso.com@CONTOSO.COM`): the
 * realm is required, a service name is NT-SRV-INST, and an empty component
 * or realm is a configuration error.
 */
function parseServicePrincipalText(text: string): QualifiedName {
  return parsePrincipal(text, { serviceNameType: NameType.NT_SRV_INST, strict: true });
}

/** A frozen copy of `ServiceOptions.permittedEncTypes`, each an enctype krbsim implements, weak ones only if allowed. */
function permittedEncTypesOption(etypes: readonly number[], allowWeakCrypto: boolean): readonly number[] {
  if (!Array.isArray(etypes) || etypes.length === 0) {
    throw new TypeError('KerberosService: permittedEncTypes must list at least one enctype');
  }
  for (const e of etypes) {
    if (!isSupportedEncType(e))
      throw new TypeError(`KerberosService: permittedEncTypes: enctype ${e} is not one krbsim implements`);
    if (WEAK_ENC_TYPES.has(e) && !allowWeakCrypto) {
      throw new TypeError(`KerberosService: permittedEncTypes: the weak enctype ${e} needs allowWeakCrypto`);
    }
  }
  return Object.freeze([...new Set(etypes)]);
}

/** The HostAddress of `AcceptOptions.peerAddress`, which must be an IP address. */
function peerAddressOption(ip: string): HostAddress {
  const a = typeof ip === 'string' ? hostAddressOf(ip) : undefined;
  if (a === undefined)
    throw new TypeError(`KerberosService.accept: peerAddress ${JSON.stringify(ip)} is not an IP address`);
  return a;
}

/** A copy of a machine ID option, which must be 32 bytes (MS-KILE 3.1.1.4, 3.1.1.5). */
function machineIdOption(id: Uint8Array, name: string): Uint8Array {
  if (!(id instanceof Uint8Array) || id.length !== 32) {
    throw new TypeError(`KerberosService: ${name} must be 32 bytes`);
  }
  return id.slice();
}

/**
 * RFC 4178 section 5: the initiator's mechListMIC proves its mechanism list reached this acceptor
 * unchanged (no mechanism struck out on the way), as MIT's acceptor checks it (`process_mic`: a
 * GSS_VerifyMIC over the DER MechTypeList as sent, REJECT when it fails). One that does not verify
 * is KRB_AP_ERR_MODIFIED; on a context that cannot check MIC tokens (rc4-hmac) it is
 * KDC_ERR_ETYPE_NOSUPP, unchecked rather than taken on trust.
 */
function checkInitiatorMechListMic(context: GssSecurityContext, framed: UnframedApReq): void {
  try {
    context.verifyInitiatorMechListMic(framed.mechTypes!, framed.mechListMic!);
  } catch (e) {
    throw mechListMicError(e, "the initiator's SPNEGO mechListMIC", 'checked');
  }
}

/** The acceptor's mechListMIC over the initiator's MechTypeList: its context's first MIC token. */
function acceptorMechListMic(context: GssSecurityContext, framed: UnframedApReq): Uint8Array {
  try {
    return context.getMic(framed.mechTypes!);
  } catch (e) {
    throw mechListMicError(e, "the acceptor's SPNEGO mechListMIC", 'made');
  }
}

function mechListMicError(e: unknown, what: string, done: 'checked' | 'made'): unknown {
  if (isKerberosError(e, ErrorCode.KDC_ERR_ETYPE_NOSUPP)) {
    return new KerberosError(
      ErrorCode.KDC_ERR_ETYPE_NOSUPP,
      `${what} cannot be ${done}, so the mechanisms the initiator offered are not known to have arrived unchanged (RFC 4178 section 5): ${e.message}`,
      { cause: e },
    );
  }
  if (isGssTokenError(e) && e.status !== 'CONTEXT_EXPIRED') {
    return new KerberosError(
      ErrorCode.KRB_AP_ERR_MODIFIED,
      `${what} does not verify over the mechanisms offered, which may have been changed on the way (RFC 4178 section 5): ${e.message}`,
      { cause: e },
    );
  }
  return e;
}

/**
 * The acceptor context's flags, as MIT's `gss_accept_sec_context` keeps them: the 0x8003 checksum's,
 * with GSS_C_DELEG_FLAG only when a credential was delegated (MIT masks it out until it has read
 * one), and GSS_C_MUTUAL_FLAG when the AP options asked for MUTUAL-REQUIRED; never
 * GSS_C_CHANNEL_BOUND_FLAG, which the acceptor sets itself when the bindings matched.
 */
function contextFlags(gssFlags: number | undefined, mutual: boolean, delegated: boolean): number {
  // GSS_C_CHANNEL_BOUND_FLAG is the acceptor's finding, never the initiator's to claim.
  const flags = (gssFlags ?? 0) & ~(delegated ? 0 : GssFlags.deleg) & ~GssFlags.channelBound;
  return (mutual ? flags | GssFlags.mutual : flags) >>> 0;
}
