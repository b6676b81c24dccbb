/**
 * The Kerberos client: initial credentials (RFC 4120 section 3.1), service
 * tickets with referral chasing (section 3.3, RFC 6806), renewal (section
 * 3.3.3.1), and the AP exchange's client side (section 3.2). State lives in a
 * {@link CredentialCache}; time, randomness and the network are injected.
 *
 * @module
 */

import {
  ANONYMOUS_NAME,
  type AuthorizationData,
  formatPrincipal,
  KdcOptions,
  NameType,
  type PrincipalName,
  type QualifiedName,
  sameName,
  samePrincipal,
  type Ticket,
} from '@krbsim/asn1';
import { ErrorCode, KerberosError, systemClock, systemRandom } from '@krbsim/core';
import { cachedStringToKey, defaultEncTypes, StringToKeyCache, WEAK_ENC_TYPES } from '@krbsim/crypto';
import type { KdcTransport } from '@krbsim/transport';
import { type ApRepResult, verifyApRep } from './ap-rep';
import { type ApReqContext, type ApReqOptions, type ApReqResult, buildApReq } from './ap-req';
import { type Credential, describeCredential } from './credential';
import { CredentialCache } from './credential-cache';
import { type AsRequest, asExchange } from './internal/as-exchange';
import { AuthenticatorClock } from './internal/authenticator-clock';
import type { ClientContext } from './internal/context';
import { forwardTgt } from './internal/forward-tgt';
import { KdcTimeClock } from './internal/kdc-time';
import { changePassword } from './internal/kpasswd';
import { pkinitAsExchange } from './internal/pkinit';
import { getServiceTicket } from './internal/referrals';
import { type S4uEvidence, s4u2Proxy, s4u2Self } from './internal/s4u';
import { tgsExchange } from './internal/tgs-exchange';
import { userToUserTicket } from './internal/user-to-user';
import { type ClientOptions, DEFAULT_CLOCK_SKEW_MS, DEFAULT_MAX_REFERRAL_HOPS } from './options';
import { parsePrincipal } from './parse-principal';
import { type InitialSecret, ReplyKeySource } from './secret';

/** Options for {@link KerberosClient.getInitialCredentials}. */
export interface InitialCredentialOptions {
  /** The service to ask for instead of `krbtgt/REALM` (e.g. `kadmin/changepw`). */
  readonly service?: string;
  /** Ask for a forwardable ticket. */
  readonly forwardable?: boolean;
  /** Ask for a renewable ticket (renew-till = now + renewLifeMs). */
  readonly renewable?: boolean;
  /** Requested lifetime. Default 24 hours (MIT's default `ticket_lifetime`); the KDC may shorten it. */
  readonly lifetimeMs?: number;
  /** Requested renewable life. Default 7 days. */
  readonly renewLifeMs?: number;
  /** Accept a canonical client name and realm in the reply. Default: true for enterprise names. */
  readonly canonicalize?: boolean;
  /** Treat the principal as an enterprise name (`alice@contoso.com`, RFC 6806 section 5). Default: guessed. */
  readonly enterprise?: boolean;
  /** PA-PAC-REQUEST include-pac (MS-KILE 2.2.3). Default true. */
  readonly includePac?: boolean;
  /**
   * Armor the exchange with FAST (RFC 6113) using this TGT of the client's
   * realm (a host's, or anyone's: MIT's `kinit -T`): the request travels
   * encrypted, pre-authentication is the encrypted challenge, errors come
   * back authenticated and the reply key is strengthened.
   */
  readonly armor?: Credential;
}

/** Options for {@link KerberosClient.getServiceTicket}. */
export interface ServiceTicketOptions {
  /** The service's realm, if known: skips referral chasing (a cached cross-realm TGT is reused). */
  readonly realm?: string;
  /** Ask for a forwardable ticket; `false` also stops inheriting the TGT's forwardable flag. */
  readonly forwardable?: boolean;
  /** Set the canonicalize option so KDCs return referrals (RFC 6806). Default true. */
  readonly canonicalize?: boolean;
  /**
   * Authorization data for the KDC to put in the ticket (RFC 4120 section 5.4.1's
   * enc-authorization-data, sealed with the authenticator's subkey): sent in every TGS-REQ of
   * the request, referrals included, as a Windows client sends its KERB-LOCAL in every TGS-REQ
   * for a service (MS-KILE 3.2.5.7; MIT's client sends it until the first referral TGT, which
   * carries it on). MIT's and krbsim's KDCs append it to the ticket's own. The credential notes
   * it ({@link Credential.requestedAuthorizationData}) and the cache serves it again only to a
   * request for the same data, as MIT's `krb5_get_credentials` matches a ccache entry's
   * authdata; a request without it is never served a ticket asked for with some.
   */
  readonly authorizationData?: AuthorizationData;
  /**
   * PA-PAC-OPTIONS (MS-KILE 2.2.10) for every TGS-REQ of the request: `PacOptions` flags from
   * `@krbsim/asn1`. A Windows client sends branch-aware in its TGS-REQs (MS-KILE 3.2.5.7), and
   * claims when it is claims aware. A KDC echoes only what it serves (krbsim's, as AD's,
   * resource-based-constrained-delegation alone, which only S4U2Proxy uses).
   */
  readonly pacOptions?: number;
}

/** Options for {@link KerberosClient.getS4U2SelfTicket}. */
export interface S4U2SelfOptions {
  /**
   * Ask for a forwardable ticket (the KDC grants it only to a service trusted to authenticate
   * for delegation, which can then use it for S4U2Proxy); `false` also stops inheriting the
   * TGT's forwardable flag.
   */
  readonly forwardable?: boolean;
  /**
   * Name the user in PA-S4U-X509-USER as well as PA-FOR-USER, as MIT's client does, and
   * require the KDC's checksummed echo of it (MS-SFU 3.1.5.1.2). Default true; `false` sends
   * PA-FOR-USER alone, as Windows does, for a KDC that does not know PA-S4U-X509-USER.
   */
  readonly x509UserId?: boolean;
}

/** Options for {@link KerberosClient.getS4U2ProxyTicket}. */
export interface S4U2ProxyOptions {
  /** Ask for a forwardable ticket; `false` also stops inheriting the TGT's forwardable flag. */
  readonly forwardable?: boolean;
  /**
   * Send PA-PAC-OPTIONS with resource-based-constrained-delegation, so that the KDC may
   * allow the request by the target's msDS-AllowedToActOnBehalfOfOtherIdentity (MS-SFU
   * 3.1.5.2.1), as MIT and Windows clients do. Default true.
   */
  readonly resourceBased?: boolean;
}

/** Options for {@link KerberosClient.changePassword}. */
export interface ChangePasswordOptions {
  /**
   * Reaches the realm's password-change service (RFC 3244; port 464 of a KDC): a
   * `UdpTcpTransport` with its address, or an `InProcessTransport` registered with a
   * `KpasswdService`'s `handle` (`@krbsim/kdc`). Default: this client's transport.
   */
  readonly transport?: KdcTransport;
  /** Set this principal's password (protocol version 0xff80) rather than `principal`'s own. */
  readonly target?: string;
}

const DAY = 86_400_000;

/** What a client must do before S4U: the service's own TGT. */
const S4U_FIRST = "S4U is asked with the service's own TGT: call getInitialCredentials with its keytab first";

/** Password keys a client keeps for its next AS exchanges (a few principals, etypes and salts). */
const PASSWORD_KEYS = 8;

/**
 * A Kerberos client for one default realm.
 *
 * @example
 * ```ts
 * const client = new KerberosClient({ realm: 'CONTOSO.COM', transport });
 * await client.getInitialCredentials('alice', { password: 'correct horse' });
 * const cred = await client.getServiceTicket('HTTP/web.contoso.com');
 * const { token, context } = client.buildApReq(cred, { mutual: true });
 * ```
 */
export class KerberosClient {
  /** The credentials obtained so far. */
  readonly cache: CredentialCache;
  readonly #ctx: ClientContext;
  /**
   * The password keys this client derived, by etype, password, salt and
   * s2kparams: a later AS exchange with the same inputs reuses the key (and
   * the per-usage keys derived from it) instead of running string-to-key.
   */
  readonly #passwordKeys: StringToKeyCache;

  /**
   * @throws RangeError for a `clockSkewMs`, `maxReferralHops` or `kdcTimeOffsetMs` out of range
   *   (see {@link ClientOptions}); KerberosError KDC_ERR_ETYPE_NOSUPP when `encTypes` lists only
   *   weak enctypes and `allowWeakCrypto` is not set.
   */
  constructor(opts: ClientOptions) {
    const local = opts.clock ?? systemClock;
    if (
      opts.kdcTimeOffsetMs !== undefined &&
      (opts.kdcTimeSync !== true || !Number.isFinite(opts.kdcTimeOffsetMs))
    ) {
      throw new RangeError(
        `kdcTimeOffsetMs is for a client with kdcTimeSync: true, and a finite number of milliseconds, got ${opts.kdcTimeOffsetMs}`,
      );
    }
    const clockSkewMs = opts.clockSkewMs ?? DEFAULT_CLOCK_SKEW_MS;
    if (!(Number.isFinite(clockSkewMs) && clockSkewMs >= 0)) {
      // A NaN skew would make every skew check pass (no comparison with NaN is true).
      throw new RangeError(
        `clockSkewMs must be a finite number of milliseconds, 0 or more, got ${opts.clockSkewMs}`,
      );
    }
    const maxReferralHops = opts.maxReferralHops ?? DEFAULT_MAX_REFERRAL_HOPS;
    if (!(Number.isInteger(maxReferralHops) && maxReferralHops >= 1)) {
      throw new RangeError(`maxReferralHops must be a positive integer, got ${opts.maxReferralHops}`);
    }
    const kdcTime =
      opts.kdcTimeSync === true ? new KdcTimeClock(local, opts.kdcTimeOffsetMs ?? 0) : undefined;
    // Synced, everything the client does runs on the KDC's time; so does its cache's expiry,
    // a given cache's too (each call gives this time), whatever clock it was made with.
    const clock = kdcTime ?? local;
    const allowWeak = opts.allowWeakCrypto ?? false;
    const requested = opts.encTypes ?? defaultEncTypes;
    const encTypes = allowWeak ? [...requested] : requested.filter((t) => !WEAK_ENC_TYPES.has(t));
    if (encTypes.length === 0) {
      throw new KerberosError(
        ErrorCode.KDC_ERR_ETYPE_NOSUPP,
        `encTypes [${requested.join(', ')}] lists only weak enctypes; add AES types (17, 18, 19, 20) or set allowWeakCrypto`,
      );
    }
    // MIT loads a ccache's time offset into the context and matches its entries on that time: every
    // call this client makes on its cache gives this client's time (`at`), whatever clock the cache
    // was made with.
    this.cache = opts.cache ?? new CredentialCache({ clock });
    this.#passwordKeys = new StringToKeyCache({
      maxEntries: PASSWORD_KEYS,
      derive: opts.stringToKey ?? cachedStringToKey,
    });
    const log = opts.log ?? (() => {});
    this.#ctx = {
      realm: opts.realm,
      transport: opts.transport,
      clock,
      kdcTime,
      random: opts.random ?? systemRandom,
      encTypes,
      allowWeakCrypto: allowWeak,
      clockSkewMs,
      maxReferralHops,
      domainRealm: opts.domainRealm,
      fastTgs: opts.fastTgs ?? false,
      log,
      logging: opts.log !== undefined,
      authClock: new AuthenticatorClock(clock),
      cache: this.cache,
    };
  }

  /**
   * With `kdcTimeSync`, the KDC's time less the local clock's, in
   * milliseconds, as the last AS exchange found it (what MIT records in the
   * ccache header); `undefined` without `kdcTimeSync`.
   */
  get kdcTimeOffsetMs(): number | undefined {
    return this.#ctx.kdcTime?.offsetMs;
  }

  /** The client's default realm. */
  get realm(): string {
    return this.#ctx.realm;
  }

  /** The principal whose tickets {@link getServiceTicket} uses (set by {@link getInitialCredentials}). */
  get principal(): QualifiedName | undefined {
    return this.cache.defaultPrincipal;
  }

  /**
   * Gets initial credentials (a TGT unless `opts.service` says otherwise)
   * with an AS exchange, pre-authenticating with an encrypted timestamp when
   * the KDC asks, and following client referrals (KDC_ERR_WRONG_REALM).
   * Throws a KerberosError with the KDC's code when it refuses.
   */
  async getInitialCredentials(
    principal: string,
    secret: InitialSecret,
    opts: InitialCredentialOptions = {},
  ): Promise<Credential> {
    const ctx = this.#ctx;
    const client = parsePrincipal(principal, {
      defaultRealm: ctx.realm,
      ...(opts.enterprise === undefined ? {} : { enterprise: opts.enterprise }),
    });
    const enterprise = client.name.nameType === NameType.NT_ENTERPRISE;
    const canonicalize = opts.canonicalize ?? enterprise;
    if ('key' in secret && WEAK_ENC_TYPES.has(secret.key.etype) && !ctx.allowWeakCrypto) {
      throw new KerberosError(
        ErrorCode.KDC_ERR_ETYPE_NOSUPP,
        `the key given is of weak enctype ${secret.key.etype}; use an AES key or set allowWeakCrypto`,
        { realm: client.realm },
      );
    }
    const keys = new ReplyKeySource(secret, client, ctx.encTypes, this.#passwordKeys);
    const service =
      opts.service === undefined
        ? undefined
        : parsePrincipal(opts.service, { defaultRealm: client.realm, enterprise: false });
    const anonymous = 'anonymous' in secret;
    if (anonymous !== samePrincipal(client, { name: ANONYMOUS_NAME, realm: client.realm })) {
      throw new KerberosError(
        ErrorCode.KDC_ERR_BADOPTION,
        anonymous
          ? `anonymous PKINIT asks for WELLKNOWN/ANONYMOUS@${client.realm}, not ${formatPrincipal(client.name, client.realm)}`
          : 'WELLKNOWN/ANONYMOUS authenticates with anonymous PKINIT ({ anonymous: true, anchors })',
        { realm: client.realm },
      );
    }
    const kdcOptions =
      (opts.forwardable ? KdcOptions.forwardable : 0) |
      (opts.renewable ? KdcOptions.renewable : 0) |
      (canonicalize ? KdcOptions.canonicalize : 0) |
      (anonymous ? KdcOptions['request-anonymous'] : 0);
    // A certificate authenticates by PKINIT (RFC 4556) instead of a key derived from a secret,
    // and so does anonymous PKINIT (RFC 8062), with no certificate of the client's.
    const exchange =
      'certificate' in secret || 'anonymous' in secret
        ? (r: AsRequest) => pkinitAsExchange(ctx, r, secret)
        : (r: AsRequest) => asExchange(ctx, r);
    const cred = await exchange({
      client,
      ...(service === undefined ? {} : { service: service.name }),
      secret: keys,
      kdcOptions,
      lifetimeMs: opts.lifetimeMs ?? DAY,
      ...(opts.renewable ? { renewLifeMs: opts.renewLifeMs ?? 7 * DAY } : {}),
      includePac: opts.includePac ?? true,
      canonicalize,
      ...(opts.armor === undefined ? {} : { armor: opts.armor }),
    });
    this.cache.add(cred, this.#ctx.clock.now());
    this.cache.defaultPrincipal = cred.client;
    return cred;
  }

  /**
   * Gets a ticket for `spn` (`HTTP/web.contoso.com`, `MSSQLSvc/host:1433`, or
   * with `@REALM`), from the cache or the KDCs, chasing referrals across
   * realms. Needs a TGT from {@link getInitialCredentials}.
   */
  async getServiceTicket(spn: string | PrincipalName, opts: ServiceTicketOptions = {}): Promise<Credential> {
    const client = this.#principal();
    let server: PrincipalName;
    let realm = opts.realm;
    if (typeof spn === 'string') {
      const parsed = parsePrincipal(spn, { defaultRealm: '', enterprise: false });
      server = parsed.name;
      if (realm === undefined && parsed.realm !== '') realm = parsed.realm;
    } else {
      server = spn;
    }
    const canonicalize = opts.canonicalize ?? true;
    const pacOptions = opts.pacOptions;
    if (
      pacOptions !== undefined &&
      !(Number.isInteger(pacOptions) && pacOptions >= 0 && pacOptions <= 0xffffffff)
    ) {
      throw new RangeError(
        `pacOptions must be PacOptions flags (a 32-bit unsigned integer), got ${pacOptions}`,
      );
    }
    return getServiceTicket(this.#ctx, {
      server,
      ...(realm === undefined ? {} : { realm }),
      client,
      kdcOptions:
        (canonicalize ? KdcOptions.canonicalize : 0) | (opts.forwardable ? KdcOptions.forwardable : 0),
      ...(opts.forwardable === false ? { dropOptions: KdcOptions.forwardable } : {}),
      canonicalize,
      ...(opts.authorizationData === undefined ? {} : { authorizationData: opts.authorizationData }),
      ...(opts.pacOptions === undefined ? {} : { pacOptions: opts.pacOptions }),
    });
  }

  /**
   * S4U2Self (MS-SFU 3.1.5.1, protocol transition): a ticket from `user` to this client's
   * own principal, which must be a service with a TGT (from {@link getInitialCredentials}
   * with its keytab). `user` is `alice`, `alice@REALM` (a user of another realm, reached
   * through the trusts as MS-SFU 3.1.5.1.1.2 says) or an enterprise name. The ticket
   * carries the user's PAC; it is forwardable, and so good for {@link getS4U2ProxyTicket},
   * only when the KDC trusts this service to authenticate for delegation.
   *
   * @throws KdcRefusedError with the KDC's code (an unknown or disabled user, a service
   *   the KDC does not let impersonate); KRB_AP_ERR_MODIFIED when the reply is not for
   *   the user asked for.
   */
  async getS4U2SelfTicket(user: string, opts: S4U2SelfOptions = {}): Promise<Credential> {
    const service = this.#principal(S4U_FIRST);
    const target = parsePrincipal(user, { defaultRealm: service.realm });
    return s4u2Self(this.#ctx, {
      user: target,
      service,
      x509UserId: opts.x509UserId ?? true,
      kdcOptions: opts.forwardable ? KdcOptions.forwardable : 0,
      ...(opts.forwardable === false ? { dropOptions: KdcOptions.forwardable } : {}),
    });
  }

  /**
   * S4U2Proxy (MS-SFU 3.1.5.2, constrained delegation): a ticket to `spn` for the user of
   * `evidence`, a ticket from that user to this service: a credential from
   * {@link getS4U2SelfTicket}, or the forwardable ticket the user presented in an AP-REQ
   * (`{ client, server, ticket: sealedTicket }` of `@krbsim/service`'s accept result). A service in another realm is reached through the
   * referral its KDC returns (3.1.5.2.2, resource-based delegation across the trust).
   *
   * @throws KdcRefusedError KDC_ERR_BADOPTION when the KDC does not allow this service to
   *   delegate to `spn` (or the evidence is not forwardable for classic delegation).
   */
  async getS4U2ProxyTicket(
    evidence: S4uEvidence,
    spn: string | PrincipalName,
    opts: S4U2ProxyOptions = {},
  ): Promise<Credential> {
    const service = this.#principal(S4U_FIRST);
    const server =
      typeof spn === 'string' ? parsePrincipal(spn, { defaultRealm: '', enterprise: false }).name : spn;
    return s4u2Proxy(this.#ctx, {
      evidence,
      server,
      service,
      resourceBased: opts.resourceBased ?? true,
      kdcOptions: opts.forwardable ? KdcOptions.forwardable : 0,
      ...(opts.forwardable === false ? { dropOptions: KdcOptions.forwardable } : {}),
    });
  }

  /**
   * User-to-user (RFC 4120 section 3.7): a ticket to a server that has no long-term key (a
   * user's application), sealed in the session key of `serverTgt`, the server's TGT, which
   * it sent the client. `server` is that TGT's client (`bob`, `bob@REALM`); the KDC that
   * issued the TGT is asked. Build the AP-REQ with `{ userToUser: true }`. The ticket is not
   * cached: it is good only with use-session-key.
   *
   * @throws KdcRefusedError KDC_ERR_SERVER_NOMATCH when `server` is not the TGT's client.
   */
  async getUserToUserTicket(server: string | PrincipalName, serverTgt: Ticket): Promise<Credential> {
    const client = this.#principal();
    const name =
      typeof server === 'string'
        ? parsePrincipal(server, { defaultRealm: serverTgt.realm, enterprise: false }).name
        : server;
    return userToUserTicket(this.#ctx, { server: name, serverTgt, client });
  }

  /**
   * Changes `principal`'s password (RFC 3244, as MIT's `kpasswd` and `kinit` with an expired
   * password do): an initial ticket for `kadmin/changepw` with the old password (an account
   * that must change its password gets one), then the password-change service. Nothing is
   * cached; log on with the new password afterwards.
   *
   * @throws PasswordChangeError with the service's result code (SOFTERROR for a password its
   *   policy refuses, ACCESSDENIED, ...); KdcRefusedError when the old password is wrong.
   */
  async changePassword(
    principal: string,
    oldPassword: string,
    newPassword: string,
    opts: ChangePasswordOptions = {},
  ): Promise<void> {
    const ctx = this.#ctx;
    const client = parsePrincipal(principal, { defaultRealm: ctx.realm });
    // An enterprise name (a UPN) is canonicalized, as in getInitialCredentials: the KDC answers
    // with the account's own name, which is what the ticket then names.
    const canonicalize = client.name.nameType === NameType.NT_ENTERPRISE;
    const cred = await asExchange(ctx, {
      client,
      service: { nameType: NameType.NT_SRV_INST, nameString: ['kadmin', 'changepw'] },
      secret: new ReplyKeySource({ password: oldPassword }, client, ctx.encTypes, this.#passwordKeys),
      kdcOptions: canonicalize ? KdcOptions.canonicalize : 0,
      lifetimeMs: 5 * 60_000,
      // A DC's password-change service builds the user's session from the ticket's PAC.
      includePac: true,
      canonicalize,
    });
    const target =
      opts.target === undefined ? undefined : parsePrincipal(opts.target, { defaultRealm: client.realm });
    await changePassword(ctx, {
      cred,
      newPassword,
      transport: opts.transport ?? ctx.transport,
      ...(target === undefined ? {} : { target }),
    });
  }

  /**
   * The principal this client asks as (the client of its TGTs), or KRB_AP_ERR_NO_TGT saying what to
   * do first (`first`, default: get initial credentials).
   */
  #principal(first = 'call getInitialCredentials first'): QualifiedName {
    const principal = this.cache.defaultPrincipal;
    if (principal === undefined) {
      throw new KerberosError(ErrorCode.KRB_AP_ERR_NO_TGT, `this client has no credentials yet; ${first}`, {
        realm: this.#ctx.realm,
      });
    }
    return principal;
  }

  /**
   * Renews a renewable ticket (RFC 4120 section 3.3.3.1: a TGS-REQ with the
   * RENEW option, presenting the ticket itself to the KDC that issued it) and
   * replaces it in the cache. The renewed credential has ok-as-delegate only
   * when `cred` had it (MIT's rule for a reply got with anything but the
   * client's own TGT): a flag the client cleared stays cleared.
   */
  async renew(cred: Credential): Promise<Credential> {
    const ctx = this.#ctx;
    const kdcRealm = cred.server.realm;
    ctx.log(`renewing ${describeCredential(cred)}`);
    const { cred: issued } = await tgsExchange(ctx, {
      tgt: cred,
      kdcRealm,
      server: cred.server.name,
      serverRealm: cred.server.realm,
      kdcOptions: (KdcOptions.renew | KdcOptions.renewable | (cred.flags & KdcOptions.forwardable)) >>> 0,
      till: cred.renewTill ?? cred.endtime,
    });
    // The KDC copies the ticket's authorization data into the renewed one (RFC 4120 3.3.3.1): it still
    // holds what the first request asked for, and the cache must say so.
    const renewed =
      cred.requestedAuthorizationData === undefined
        ? issued
        : { ...issued, requestedAuthorizationData: cred.requestedAuthorizationData };
    if (renewed.server.realm !== cred.server.realm || !sameName(renewed.server.name, cred.server.name)) {
      throw new KerberosError(
        ErrorCode.KRB_AP_ERR_MODIFIED,
        `renewing ${describeCredential(cred)} returned a ticket for ${formatPrincipal(renewed.server.name, renewed.server.realm)}`,
        { realm: kdcRealm },
      );
    }
    this.cache.remove(cred);
    this.cache.add(renewed, this.#ctx.clock.now());
    return renewed;
  }

  /**
   * Delegation of this client's TGT to the service of `service` (RFC 4121 section 4.1.1:
   * GSS_C_DELEG_FLAG; Windows' unconstrained delegation): a KRB-CRED holding a forwarded TGT
   * of the client's realm, for `buildApReq(service, { gss: 'krb5', delegation })`. The client's
   * TGT must be forwardable (`getInitialCredentials(..., { forwardable: true })`).
   *
   * With `policy: true` (GSS_C_DELEG_POLICY_FLAG), undefined unless the realms trust the service
   * for delegation: `service.flags` has ok-as-delegate, which the client keeps only when every
   * cross-realm TGT that led to the ticket carried it too, as MIT's and Heimdal's libraries do.
   *
   * @throws KerberosError KDC_ERR_BADOPTION when the TGT is not forwardable, KRB_AP_ERR_NO_TGT
   *   without a valid TGT of the client's realm, KRB_AP_ERR_MODIFIED when the KDC answers with
   *   anything but a forwarded TGT; the KDC's refusal of the forwarded TGT as a KdcRefusedError.
   */
  async forwardTgt(
    service: Credential,
    opts: { readonly policy?: boolean } = {},
  ): Promise<Uint8Array | undefined> {
    return forwardTgt(this.#ctx, service, opts.policy ?? false);
  }

  /**
   * Builds an AP-REQ for the service `cred` is for, framed raw, as a GSS-API
   * krb5 token, or as SPNEGO. Keep the returned context to check the AP-REP.
   */
  buildApReq(cred: Credential, opts: ApReqOptions = {}): ApReqResult {
    const ctx = this.#ctx;
    return buildApReq(cred, opts, {
      random: ctx.random,
      clock: ctx.clock,
      authClock: ctx.authClock,
      now: ctx.clock.now(),
      encTypes: ctx.encTypes,
    });
  }

  /**
   * Checks the service's AP-REP against the AP-REQ's context (ctime/cusec
   * must match: KRB_AP_ERR_MUT_FAIL otherwise); returns the service's subkey
   * and sequence number if it sent them, and with GSS framing the
   * established security context (RFC 4121 Wrap and MIC tokens).
   */
  verifyApRep(context: ApReqContext, apRepToken: Uint8Array): ApRepResult {
    const ctx = this.#ctx;
    return verifyApRep(context, apRepToken, {
      clock: ctx.clock,
      random: ctx.random,
      allowWeakCrypto: ctx.allowWeakCrypto,
    });
  }
}
