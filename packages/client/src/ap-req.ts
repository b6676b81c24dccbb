/**
 * Building an AP-REQ for a service: RFC 4120 section 3.2.2 and section 5.5.1.
 * The authenticator (key usage 11, the ticket's session key) carries the
 * client's name, a strictly increasing ctime/cusec, and optionally a
 * checksum (application data keyed with usage 10, or the RFC 4121 section
 * 4.1.1 GSS checksum), a subkey and an initial sequence number. `mutual`
 * sets the mutual-required AP option, asking the service for an AP-REP.
 *
 * @module
 */

import {
  AdType,
  ApOptions,
  type Authenticator,
  type AuthorizationData,
  type AuthorizationDataEntry,
  type ChannelBindings,
  type Checksum,
  decodeGssChecksum,
  encodeApReq,
  encodeAuthorizationData,
  encodeClientTarget,
  encodeEtypeList,
  encodeGssChecksum,
  encodeKerbAdRestrictions,
  encodeLsapTokenInfoIntegrity,
  formatPrincipal,
  GSS_CHECKSUM_TYPE,
  type GssChecksum,
  GssFlags,
  KerbApOptions,
  type LsapTokenInfoIntegrity,
  RESTRICTION_TYPE_TOKEN_INFO_INTEGRITY,
} from '@krbsim/asn1';
import { type Clock, ErrorCode, KerberosError, type RandomSource, randomUInt31 } from '@krbsim/core';
import { checksum, checksumTypeFor, generateKey, type Key, KeyUsage, redactedKey } from '@krbsim/crypto';
import type { GssSecurityContext, WrapStyle } from '@krbsim/service';
import { establishedContext } from './ap-rep';
import { type Credential, describeCredential, isTgt, keyToWire } from './credential';
import { frameApReq, type GssFraming } from './gss-token';
import type { AuthenticatorClock } from './internal/authenticator-clock';
import { sealApReq } from './internal/seal-ap-req';

/** Options for {@link KerberosClient.buildApReq}. */
export interface ApReqOptions {
  /** Ask for mutual authentication (AP option mutual-required). Default: true with GSS framing, false raw. */
  readonly mutual?: boolean;
  /** Send a subkey: `true` generates one of the session key's type. Default: true with GSS framing. */
  readonly subkey?: boolean | Key;
  /** The initial sequence number. Default: a random one with GSS framing, none raw. */
  readonly seqNumber?: number;
  /**
   * The authenticator checksum: a ready Checksum, or `{ data }` to checksum
   * with the session key (usage 10). With GSS framing the RFC 4121 0x8003
   * checksum is built instead unless one is given here. Not with
   * `channelBindings`, `delegation`, `gssFlags`, `confidentiality` or `integrity`, which go in the
   * 0x8003 checksum this replaces (a RangeError). With GSS framing the initiator's context takes
   * the flags an acceptor reads from the checksum given: a 0x8003 one's own (GSS_C_DELEG_FLAG only
   * when it carries a KRB-CRED; not DCE style, as the token goes GSS-framed; none from one that
   * does not parse, which an acceptor refuses), any other replay and sequence (as MIT's acceptor
   * reads Samba's keyed checksum), and mutual when `mutual` asks for it.
   */
  readonly checksum?: Checksum | { readonly data: Uint8Array };
  /** `'none'` (raw AP-REQ, default), `'krb5'` (GSS InitialContextToken) or `'spnego'` (NegTokenInit). */
  readonly gss?: GssFraming;
  /**
   * GSS confidentiality flag in the 0x8003 checksum. Default true. GSS framing only, and not with
   * `checksum` (a RangeError: no 0x8003 checksum is built to carry it).
   */
  readonly confidentiality?: boolean;
  /** GSS integrity flag in the 0x8003 checksum. Default true. GSS framing only, and not with `checksum` (a RangeError). */
  readonly integrity?: boolean;
  /**
   * Extra GSS flags to set (see {@link GssFlags}), e.g. replay and sequence. GSS framing only, and
   * not with `checksum` (a RangeError); a raw AP-REQ asks for mutual authentication with `mutual`
   * (the AP option). GSS_C_MUTUAL_FLAG with `mutual: false` is a RangeError. GSS_C_DELEG_FLAG is
   * sent, and kept in the context, only with a `delegation` (which sets it), as MIT's initiator does.
   */
  readonly gssFlags?: number;
  /**
   * Channel bindings for the 0x8003 checksum (or their application data). Default: none (16 zero
   * octets). GSS framing only, and not with `checksum` (a RangeError: no 0x8003 checksum is built
   * to carry them).
   */
  readonly channelBindings?: ChannelBindings | Uint8Array;
  /**
   * A DER KRB-CRED to delegate inside the 0x8003 checksum (sets the deleg flag). GSS framing only,
   * and not with `checksum` (a RangeError).
   */
  readonly delegation?: Uint8Array;
  /**
   * How the security context lays out the Wrap tokens it makes: `'mit'`
   * (RRC 0, default), `'windows'` (the RRC Heimdal and Windows send) or
   * `'dce'` (default when `gssFlags` has DCE style, 0x1000). GSS framing only (raw, a RangeError:
   * a raw AP-REQ makes no security context).
   */
  readonly wrapStyle?: WrapStyle;
  /**
   * Offer the client's enctypes for the session (RFC 4537): when the ticket's session key
   * is not of the client's first choice, the authenticator lists the client's enctypes
   * (AD-ETYPE-NEGOTIATION in AD-IF-RELEVANT, up to the session key's), and an acceptor that
   * prefers one of them answers with a subkey of it. Default: true with GSS framing, as
   * MIT's GSS initiator sends it; false raw.
   */
  readonly etypeNegotiation?: boolean;
  /**
   * Say that this client knows channel bindings (KERB_AP_OPTIONS_CBT in AD-AUTH-DATA-AP-OPTIONS,
   * MS-KILE 3.2.5.8; MIT's `client_aware_channel_bindings`): an acceptor with a channel then
   * refuses an AP-REQ whose bindings are empty, so one made outside the channel cannot be used in
   * it. GSS framing only (raw, a RangeError). Default false.
   */
  readonly clientAwareChannelBindings?: boolean;
  /**
   * Add what a Windows client tells a service of itself (MS-KILE 3.2.5.8), in the same
   * AD-IF-RELEVANT as the rest: its token's integrity (KERB_AUTH_DATA_TOKEN_RESTRICTIONS), its
   * loopback data (KERB-LOCAL) and the service it meant, the ticket's server and realm
   * (KERB_AUTH_DATA_CLIENT_TARGET). A service on the same machine (the same machine ID) treats
   * the login as local. For a service's ticket only: none goes to a krbtgt, as MS-KILE sends
   * them. Default: none (MIT and Heimdal send none).
   */
  readonly windows?: WindowsAuthenticatorData;
  /**
   * Set the use-session-key AP option (RFC 4120 section 3.7): the ticket is a user-to-user
   * ticket from {@link KerberosClient.getUserToUserTicket}, sealed in the server's TGT session key.
   */
  readonly userToUser?: boolean;
}

/** What a Windows client tells a service of itself in an authenticator (see {@link ApReqOptions.windows}). */
export interface WindowsAuthenticatorData {
  /** The client's token: UAC-restricted or full, its integrity level, the machine's IDs (MS-KILE 2.2.5). */
  readonly tokenIntegrity: LsapTokenInfoIntegrity;
  /**
   * KERB-LOCAL's data (MS-KILE 2.2.4): the client machine's own, which only a service on the same
   * machine reads (Windows sends 16 bytes).
   */
  readonly loopback: Uint8Array;
}

/** What the client keeps after sending an AP-REQ, to check the AP-REP (RFC 4120 section 3.2.5). */
export interface ApReqContext {
  /** The credential's session key (printed and serialized as `<redacted N bytes>`). */
  readonly sessionKey: Key;
  /** The authenticator's ctime (milliseconds, whole seconds) and cusec. */
  readonly ctime: number;
  readonly cusec: number;
  /** The authenticator's subkey, when one was sent (printed and serialized as `<redacted N bytes>`). */
  readonly subkey?: Key;
  readonly seqNumber?: number;
  readonly mutual: boolean;
  readonly gss: GssFraming;
  /**
   * GSS framing only: the GSS flags the initiator's context takes, those the 0x8003 checksum
   * carries (GSS_C_DELEG_FLAG only when a KRB-CRED went with it); with a `checksum` of the
   * caller's, those an acceptor reads from it (see {@link ApReqOptions.checksum}).
   */
  readonly gssFlags?: number;
  /** The credential used. */
  readonly credential: Credential;
  /** How the security context will lay out its Wrap tokens (see {@link ApReqOptions.wrapStyle}). */
  readonly wrapStyle?: WrapStyle;
}

/** A framed AP-REQ and its context. */
export interface ApReqResult {
  readonly token: Uint8Array;
  readonly context: ApReqContext;
  /**
   * The initiator's GSS-API security context, when it is established at
   * once: GSS framing without mutual authentication (no AP-REP will come).
   * With mutual authentication it comes from `verifyApRep`.
   */
  readonly securityContext?: GssSecurityContext;
}

function resolveChecksum(
  opts: ApReqOptions,
  sessionKey: Key,
  gss: GssFraming,
  flags: number,
): Checksum | undefined {
  const c = opts.checksum;
  if (c !== undefined) {
    if ('data' in c) {
      return {
        cksumtype: checksumTypeFor(sessionKey.etype),
        checksum: checksum(sessionKey, KeyUsage.AP_REQ_AUTH_CKSUM, c.data),
      };
    }
    return c;
  }
  if (gss === 'none') return undefined;
  return encodeGssChecksum({
    flags,
    ...(opts.channelBindings === undefined ? {} : { channelBindings: opts.channelBindings }),
    ...(opts.delegation === undefined ? {} : { delegation: opts.delegation }),
  });
}

/** `a`, `a and b`, `a, b and c`. */
function listed(names: readonly string[]): string {
  return names.length < 2 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

/** The names of the options `opts` gives, of `keys`. */
function given(opts: ApReqOptions, keys: readonly (keyof ApReqOptions)[]): string[] {
  return keys.filter((k) => opts[k] !== undefined);
}

/**
 * Channel bindings, delegation and the GSS flags (`gssFlags`, `confidentiality`, `integrity`) travel
 * in the RFC 4121 0x8003 checksum (section 4.1.1), which is built only with GSS framing and only
 * when no `checksum` is given; KERB_AP_OPTIONS_CBT goes with GSS framing only, and so does
 * `wrapStyle`, a property of the security context a raw AP-REQ does not make. Asked for where they
 * cannot go, they would be dropped without a word: an acceptor would take the AP-REQ as binding no
 * channel, a raw one asking for DCE style or mutual authentication in `gssFlags` would go without
 * either, and the initiator's context would claim flags (replay, sequence) the acceptor never
 * read. Refused instead, as DCE style in SPNEGO is.
 */
function refuseDroppedOptions(opts: ApReqOptions, framed: boolean): void {
  const asked = given(opts, ['channelBindings', 'delegation']);
  const flags = given(opts, ['gssFlags', 'confidentiality', 'integrity']);
  if (opts.checksum !== undefined && asked.length > 0) {
    throw new RangeError(
      `${asked.join(' and ')} go in the 0x8003 checksum (RFC 4121 section 4.1.1), which a given \`checksum\` replaces: give one or the other`,
    );
  }
  if (opts.checksum !== undefined && flags.length > 0) {
    throw new RangeError(
      `${listed(flags)} ${flags.length === 1 ? 'sets' : 'set'} the flags of the 0x8003 checksum (RFC 4121 section 4.1.1.1), which a given \`checksum\` replaces: put the flags in the checksum given (encodeGssChecksum), or leave \`checksum\` out`,
    );
  }
  if (!framed && opts.clientAwareChannelBindings === true) asked.push('clientAwareChannelBindings');
  if (!framed && asked.length > 0) {
    throw new RangeError(
      `${asked.join(' and ')} need GSS framing (gss: 'krb5' or 'spnego'): a raw AP-REQ has no 0x8003 checksum, so it binds no channel and delegates nothing`,
    );
  }
  const contextOptions = [...flags, ...given(opts, ['wrapStyle'])];
  if (!framed && contextOptions.length > 0) {
    throw new RangeError(
      `${listed(contextOptions)} ${contextOptions.length === 1 ? 'needs' : 'need'} GSS framing (gss: 'krb5' or 'spnego'): a raw AP-REQ carries no GSS flags and makes no security context (mutual authentication: \`mutual: true\`, the AP option; DCE style: gss: 'krb5', which sends the AP-REQ raw)`,
    );
  }
}

/**
 * The flags the initiator's context takes (GSS framing only): those of the 0x8003 checksum sent.
 * Built here, it carries what was asked, with GSS_C_DELEG_FLAG set exactly when a KRB-CRED went
 * with it (encodeGssChecksum sets and clears it so, as MIT's initiator keeps GSS_C_DELEG_FLAG in
 * its context only when it delegated). Given by the caller, it is read as an acceptor reads it
 * (see {@link ApReqOptions.checksum}), so that both sides of the context agree.
 */
function contextFlags(
  opts: ApReqOptions,
  cksum: Checksum | undefined,
  asked: number,
  mutual: boolean,
): number {
  if (opts.checksum === undefined) {
    return (opts.delegation === undefined ? asked & ~GssFlags.deleg : asked | GssFlags.deleg) >>> 0;
  }
  const m = mutual ? GssFlags.mutual : 0;
  // Samba's keyed checksum of nothing, as MIT's acceptor (and krbsim's) reads it.
  if (cksum?.cksumtype !== GSS_CHECKSUM_TYPE) return (GssFlags.replay | GssFlags.sequence | m) >>> 0;
  let sent: GssChecksum;
  try {
    sent = decodeGssChecksum(cksum);
  } catch {
    return m; // an acceptor refuses the AP-REQ (KRB_AP_ERR_INAPP_CKSUM): no context on the other side
  }
  // DELEG without a KRB-CRED delegates nothing (MIT's acceptor masks it); the token goes GSS-framed,
  // so DCE style (which an acceptor refuses there) is not this context's.
  const deleg = sent.delegation === undefined ? GssFlags.deleg : 0;
  return ((sent.flags & ~deleg & ~GssFlags.dceStyle) | m) >>> 0;
}

/** Builds an AP-REQ for `cred`; see {@link ApReqOptions} for the defaults. */
export function buildApReq(
  cred: Credential,
  opts: ApReqOptions,
  deps: {
    readonly random: RandomSource;
    readonly clock: Clock;
    readonly authClock: AuthenticatorClock;
    readonly now: number;
    /** The client's enctypes, most preferred first (what {@link ApReqOptions.etypeNegotiation} offers). */
    readonly encTypes: readonly number[];
  },
): ApReqResult {
  if (deps.now >= cred.endtime) {
    throw new KerberosError(
      ErrorCode.KRB_AP_ERR_TKT_EXPIRED,
      `the ticket ${describeCredential(cred)} expired at ${new Date(cred.endtime).toISOString()}; get a new one`,
      { realm: cred.server.realm },
    );
  }
  const gss = opts.gss ?? 'none';
  const framed = gss !== 'none';
  refuseDroppedOptions(opts, framed);
  // MS-KILE 3.4.5.1: a DCE-style initiator sends its AP-REQ raw, always asks for mutual
  // authentication, and answers the acceptor's AP-REP with one of its own (verifyApRep).
  const dce = framed && ((opts.gssFlags ?? 0) & GssFlags.dceStyle) !== 0;
  if (dce && (gss === 'spnego' || opts.mutual === false)) {
    throw new RangeError(
      gss === 'spnego'
        ? "DCE style (GSS_C_DCE_STYLE) is served with gss: 'krb5' (a raw AP-REQ), not inside SPNEGO"
        : 'DCE style (GSS_C_DCE_STYLE) implies mutual authentication; mutual: false contradicts it',
    );
  }
  if (((opts.gssFlags ?? 0) & GssFlags.mutual) !== 0 && opts.mutual === false) {
    throw new RangeError(
      'GSS_C_MUTUAL_FLAG in gssFlags asks for mutual authentication (the mutual-required AP option); mutual: false contradicts it',
    );
  }
  const mutual = dce || (opts.mutual ?? framed);
  const sessionKey = cred.sessionKey;
  const wanted = opts.subkey ?? framed;
  // Security: the subkey keys the GSS context; the context object that carries it ends up in logs
  // and test diffs, so it prints as `<redacted N bytes>`, as session keys do (same bytes, still a Key).
  const subkey =
    wanted === false
      ? undefined
      : redactedKey(wanted === true ? generateKey(sessionKey.etype, { random: deps.random }) : wanted);
  const seqNumber = opts.seqNumber ?? (framed ? randomUInt31(deps.random) : undefined);
  const flags =
    ((mutual ? GssFlags.mutual : 0) |
      ((opts.integrity ?? true) ? GssFlags.integ : 0) |
      ((opts.confidentiality ?? true) ? GssFlags.conf : 0) |
      (opts.gssFlags ?? 0)) >>>
    0;
  const cksum = resolveChecksum(opts, sessionKey, gss, flags);
  const gssFlags = framed ? contextFlags(opts, cksum, flags, mutual) : undefined;
  const authorizationData = apAuthorizationData(
    (opts.etypeNegotiation ?? framed) ? etypeList(deps.encTypes, sessionKey.etype) : undefined,
    framed && opts.clientAwareChannelBindings === true ? KerbApOptions.CBT : 0,
    opts.windows !== undefined && !isTgt(cred) ? { ...opts.windows, target: cred.server } : undefined,
  );
  const t = deps.authClock.next();
  const authenticator: Authenticator = {
    authenticatorVno: 5,
    crealm: cred.client.realm,
    cname: cred.client.name,
    ...(cksum === undefined ? {} : { cksum }),
    cusec: t.cusec,
    ctime: t.ctime,
    ...(subkey === undefined ? {} : { subkey: keyToWire(subkey) }),
    ...(seqNumber === undefined ? {} : { seqNumber }),
    ...(authorizationData === undefined ? {} : { authorizationData }),
  };
  const der = encodeApReq(
    sealApReq(
      cred,
      authenticator,
      KeyUsage.AP_REQ_AUTH,
      deps.random,
      (mutual ? ApOptions['mutual-required'] : 0) | (opts.userToUser ? ApOptions['use-session-key'] : 0),
    ),
  );
  const context: ApReqContext = {
    sessionKey,
    ctime: t.ctime,
    cusec: t.cusec,
    mutual,
    gss,
    credential: cred,
    ...(subkey === undefined ? {} : { subkey }),
    ...(seqNumber === undefined ? {} : { seqNumber }),
    ...(gssFlags === undefined ? {} : { gssFlags }),
    ...(opts.wrapStyle === undefined ? {} : { wrapStyle: opts.wrapStyle }),
  };
  const token = dce ? der : frameApReq(der, gss);
  const securityContext = mutual ? undefined : establishedContext(context, deps);
  return securityContext === undefined ? { token, context } : { token, context, securityContext };
}

/**
 * The RFC 4537 EtypeList to send: `encTypes` up to the session key's enctype (RFC 4537
 * section 3: it comes last if listed), or none when the session key's enctype is the client's
 * first choice, as MIT's `krb5_mk_req_extended` decides.
 */
function etypeList(encTypes: readonly number[], sessionEtype: number): readonly number[] | undefined {
  if (encTypes.length === 0 || encTypes[0] === sessionEtype) return undefined;
  const at = encTypes.indexOf(sessionEtype);
  return at < 0 ? encTypes : encTypes.slice(0, at + 1);
}

/**
 * The authenticator's authorization data: one AD-IF-RELEVANT holding the EtypeList, then what a
 * Windows client adds (token restrictions, KERB-LOCAL, AP options, client target: MS-KILE 3.2.5.8
 * lists them and sets no order; these go in their types' order), the KERB-AP-OPTIONS among them.
 * One container, as MIT and Heimdal send theirs: Windows reads the first AD-IF-RELEVANT only
 * (MS-KILE 3.4.5.3). None when there is nothing to send.
 */
function apAuthorizationData(
  etypes: readonly number[] | undefined,
  apOptions: number,
  windows: (WindowsAuthenticatorData & { readonly target: Credential['server'] }) | undefined,
): AuthorizationData | undefined {
  const inner: AuthorizationDataEntry[] = [];
  if (etypes !== undefined)
    inner.push({ adType: AdType.AD_ETYPE_NEGOTIATION, adData: encodeEtypeList(etypes) });
  if (windows !== undefined) {
    const restriction = encodeLsapTokenInfoIntegrity(windows.tokenIntegrity);
    inner.push(
      {
        adType: AdType.KERB_AUTH_DATA_TOKEN_RESTRICTIONS,
        adData: encodeKerbAdRestrictions([
          { restrictionType: RESTRICTION_TYPE_TOKEN_INFO_INTEGRITY, restriction },
        ]),
      },
      { adType: AdType.KERB_LOCAL, adData: windows.loopback },
    );
  }
  if (apOptions !== 0) {
    const le = new Uint8Array(4);
    new DataView(le.buffer).setUint32(0, apOptions, true); // MS-KILE 2.2.8: little-endian
    inner.push({ adType: AdType.AD_AUTH_DATA_AP_OPTIONS, adData: le });
  }
  if (windows !== undefined) {
    const target = formatPrincipal(windows.target.name, windows.target.realm);
    inner.push({ adType: AdType.KERB_AUTH_DATA_CLIENT_TARGET, adData: encodeClientTarget(target) });
  }
  if (inner.length === 0) return undefined;
  return [{ adType: AdType.AD_IF_RELEVANT, adData: encodeAuthorizationData(inner) }];
}
