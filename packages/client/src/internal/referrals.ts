/**
 * Getting a service ticket across realms: RFC 4120 section 3.3.1 (a client
 * follows cross-realm TGTs), RFC 6806 section 8 and MS-KILE section 3.3.5.7.5
 * (with canonicalize set, a KDC that does not hold the service answers with
 * a TGT for the next realm, `krbtgt/NEXT@THIS`, and the client asks NEXT's
 * KDC the same question). Bounded by `maxReferralHops`; a realm seen twice is
 * a loop. When the local KDC returns no referral (the service is unknown),
 * the client falls back to MIT's `[domain_realm]` mapping: it asks for
 * `krbtgt/OTHER@LOCAL` (walking any intermediate TGTs the KDC hands out, as
 * MIT's `get_tgt` does) and then asks OTHER for the service.
 *
 * @module
 */

import {
  ANONYMOUS_REALM,
  type AuthorizationData,
  formatPrincipal,
  KdcOptions,
  krbtgtName,
  type PrincipalName,
  type QualifiedName,
  sameName,
  samePrincipal,
  serviceHostOf,
  TicketFlags,
  tgsRealmOf,
} from '@krbsim/asn1';
import { ERROR_BRAND, ErrorCode, isKerberosError, KerberosError } from '@krbsim/core';
import type { Credential } from '../credential';
import { realmForHost } from '../options';
import type { ClientContext } from './context';
import { replyMismatch } from './krb-error';
import { tgsExchange } from './tgs-exchange';

/** Why referral chasing stopped. */
export type ReferralFailure = 'loop' | 'hops';

/**
 * Referral chasing gave up: the realms referred in a circle (`kind: 'loop'`)
 * or the path grew past `maxReferralHops` (`kind: 'hops'`). `code` is
 * KRB_ERR_GENERIC, as no RFC 4120 code names this client-side condition.
 */
export class ReferralError extends KerberosError {
  /** This class's brand: `instanceof` holds across copies of the package (see `hasErrorBrand`). */
  static override readonly [ERROR_BRAND]: string = '@krbsim/client:ReferralError';

  /** `'loop'` or `'hops'`. */
  readonly kind: ReferralFailure;
  /** The realms visited, in order, ending with the one that would have been next. */
  readonly path: readonly string[];

  constructor(kind: ReferralFailure, path: readonly string[], target: string, realm: string) {
    const route = path.join(' -> ');
    super(
      ErrorCode.KRB_ERR_GENERIC,
      kind === 'loop'
        ? `referral loop while looking for ${target}: ${route}; the realms' trust or SPN routing (top-level names) point back at each other`
        : `gave up looking for ${target} after ${path.length - 1} referrals (${route}); raise maxReferralHops if the path is really that long`,
      { realm },
    );
    this.kind = kind;
    this.path = path;
  }
}

/** A service-ticket request as the client resolved it. */
export interface ServiceTicketRequest {
  readonly server: PrincipalName;
  /** The service's realm when known (from `spn@REALM` or the caller); else referrals decide. */
  readonly realm?: string;
  readonly client: QualifiedName;
  /** KDC options to set on every request (canonicalize, forwardable...). */
  readonly kdcOptions: number;
  /** KDC options never to inherit from the presented TGT's flags. */
  readonly dropOptions?: number;
  readonly canonicalize: boolean;
  /** enc-authorization-data for every TGS-REQ of the request (a cached ticket must have been asked with it). */
  readonly authorizationData?: AuthorizationData;
  /** PA-PAC-OPTIONS flags for every TGS-REQ of the request. */
  readonly pacOptions?: number;
}

/**
 * The ticket flags MIT copies from the presented TGT into the KDC options of
 * a TGS-REQ (its KDC_TKT_COMMON_MASK): forwardable, proxiable, may-postdate
 * and renewable. The flag and option bits share positions (RFC 4120 5.3, 5.4.1).
 */
const INHERITED =
  (TicketFlags.forwardable | TicketFlags.proxiable | TicketFlags['may-postdate'] | TicketFlags.renewable) >>>
  0;

/** The KDC options for a TGS-REQ presenting `tgt`. */
export function optionsFor(tgt: Credential, set: number, drop = 0): number {
  return ((set | (tgt.flags & INHERITED)) & ~drop) >>> 0;
}

function noTgt(realm: string, client: QualifiedName): KerberosError {
  return new KerberosError(
    ErrorCode.KRB_AP_ERR_NO_TGT,
    `no valid ticket-granting ticket for ${formatPrincipal(client.name, client.realm)} in ${realm}; call getInitialCredentials first (or renew the expired TGT)`,
    { realm },
  );
}

/**
 * The realm whose KDC issued `client`'s own TGT: the client's realm, or for
 * the anonymous client (RFC 8062: WELLKNOWN/ANONYMOUS@WELLKNOWN:ANONYMOUS,
 * whatever realm it asked) the realm of its TGT, as MIT keeps a start realm.
 */
export function homeRealm(ctx: ClientContext, client: QualifiedName): string {
  if (client.realm !== ANONYMOUS_REALM) return client.realm;
  const now = ctx.clock.now();
  for (const c of ctx.cache.entries()) {
    const r = tgsRealmOf(c.server.name);
    if (r !== undefined && r === c.server.realm && samePrincipal(c.client, client) && c.endtime > now)
      return r;
  }
  return ctx.realm;
}

/** The client's own, unexpired TGT (`krbtgt/R@R` for the client's realm R; see {@link homeRealm}). */
export function localTgt(ctx: ClientContext, client: QualifiedName): Credential {
  const realm = homeRealm(ctx, client);
  const tgt = ctx.cache.tgtFor(realm, client, ctx.clock.now());
  if (tgt === undefined || tgt.server.realm !== realm) throw noTgt(realm, client);
  return tgt;
}

/**
 * A TGT accepted by `target`'s KDC: from the cache if one is there, else by
 * asking the local KDC for `krbtgt/target` and following the intermediate
 * TGTs it hands out (MIT `get_tgt`).
 */
export async function crossRealmTgt(
  ctx: ClientContext,
  target: string,
  client: QualifiedName,
): Promise<Credential> {
  const cached = ctx.cache.tgtFor(target, client, ctx.clock.now());
  if (cached !== undefined) {
    if (ctx.logging) ctx.log(`using cached ${formatPrincipal(cached.server.name, cached.server.realm)}`);
    return cached;
  }
  let tgt = localTgt(ctx, client);
  let realm = homeRealm(ctx, client);
  const path = [realm];
  const want = krbtgtName(target);
  for (;;) {
    const { cred } = await tgsExchange(ctx, {
      tgt,
      kdcRealm: realm,
      server: want,
      serverRealm: realm,
      kdcOptions: optionsFor(tgt, KdcOptions.canonicalize),
    });
    const got = tgsRealmOf(cred.server.name);
    if (got === undefined)
      throw replyMismatch(
        `asked for ${formatPrincipal(want)}, got ${formatPrincipal(cred.server.name)}`,
        realm,
      );
    checkIssuer(cred, realm);
    if (got !== target) {
      if (got === realm || path.includes(got))
        throw new ReferralError('loop', [...path, got], formatPrincipal(want), realm);
      if (path.length > ctx.maxReferralHops)
        throw new ReferralError('hops', [...path, got], formatPrincipal(want), realm);
    }
    // Cached only once it passed every check: a bad reply must not replace a good credential.
    // Its ok-as-delegate is the one tgsExchange kept (MIT's rule, reply by reply).
    ctx.cache.add(cred, ctx.clock.now());
    if (got === target) return cred;
    ctx.log(`path to ${target} goes through ${got}`);
    path.push(got);
    realm = got;
    tgt = cred;
  }
}

/**
 * RFC 4120 section 3.3.4: a KDC issues tickets for its own realm. A reply
 * from `realm`'s KDC whose ticket names another realm's server (a TGT of the
 * client's own realm, say, from a foreign KDC) is refused before it can be
 * cached in place of the real one.
 */
function checkIssuer(cred: Credential, realm: string): void {
  if (cred.server.realm !== realm) {
    throw replyMismatch(
      `${realm}'s KDC answered with a ticket for ${formatPrincipal(cred.server.name, cred.server.realm)}, a server of another realm`,
      realm,
    );
  }
}

/** Asks `start.realm`'s KDC for the service and follows referrals until a service ticket comes back. */
async function chase(
  ctx: ClientContext,
  req: ServiceTicketRequest,
  start: { realm: string; tgt: Credential },
): Promise<Credential> {
  // Formatted only for a log line or an error.
  const target = (): string => formatPrincipal(req.server);
  const wantsTgt = tgsRealmOf(req.server) !== undefined;
  let { realm, tgt } = start;
  const path = [realm];
  // Set once a KDC answered with a ticket for another service: asked again without canonicalize.
  let nonReferral = false;
  for (;;) {
    const { cred } = await tgsExchange(ctx, {
      tgt,
      kdcRealm: realm,
      server: req.server,
      serverRealm: realm,
      kdcOptions: optionsFor(
        tgt,
        req.kdcOptions,
        (req.dropOptions ?? 0) | (nonReferral ? KdcOptions.canonicalize : 0),
      ),
      ...(req.authorizationData === undefined ? {} : { authorizationData: req.authorizationData }),
      ...(req.pacOptions === undefined ? {} : { pacOptions: req.pacOptions }),
    });
    const next = tgsRealmOf(cred.server.name);
    checkIssuer(cred, realm);
    if (next !== undefined && !wantsTgt) {
      // A referral: a cross-realm TGT for the next realm towards the service.
      if (next === realm) throw replyMismatch(`asked for ${target()}, got this realm's own TGT`, realm);
      if (path.includes(next)) throw new ReferralError('loop', [...path, next], target(), realm);
      if (path.length > ctx.maxReferralHops)
        throw new ReferralError('hops', [...path, next], target(), realm);
      // Cached with the ok-as-delegate tgsExchange kept: a later request starts from this TGT.
      ctx.cache.add(cred, ctx.clock.now());
      if (ctx.logging) ctx.log(`referral: ${realm} sends ${target()} to ${next}`);
      path.push(next);
      realm = next;
      tgt = cred;
      continue;
    }
    if (!sameName(cred.server.name, req.server)) {
      // A ticket for another service than the one asked for is never taken (MIT's step_referrals and
      // check_reply_server): with canonicalize, a KDC that renamed the server (an alias, as an MIT KDC
      // canonicalizes one; old AD renamed instead of referring) is asked once more without it.
      if (!req.canonicalize || nonReferral) {
        throw replyMismatch(`asked for ${target()}, got ${formatPrincipal(cred.server.name)}`, realm);
      }
      if (ctx.logging) {
        ctx.log(
          `${realm} answered ${target()} with ${formatPrincipal(cred.server.name)}: asking again without canonicalize`,
        );
      }
      nonReferral = true;
      continue;
    }
    ctx.cache.add(cred, ctx.clock.now());
    return cred;
  }
}

/**
 * A service ticket for `req.server`: from the cache, or by asking the right
 * KDC (known realm: through a cross-realm TGT; unknown: referrals from the
 * local realm, then the `domainRealm` fallback).
 */
export async function getServiceTicket(ctx: ClientContext, req: ServiceTicketRequest): Promise<Credential> {
  const local = homeRealm(ctx, req.client);
  const cached = cachedTicket(ctx, req, local);
  if (cached !== undefined) {
    if (ctx.logging)
      ctx.log(`using cached ticket for ${formatPrincipal(cached.server.name, cached.server.realm)}`);
    return cached;
  }
  if (req.realm !== undefined) return fetchServiceTicket(ctx, req, local);
  // Asked without a realm: the ticket, of whatever realm referrals led to, answers such requests again.
  const cred = await fetchServiceTicket(ctx, req, local);
  if (cred.server.realm !== local) foundByReferral.add(cred);
  return cred;
}

/**
 * The tickets that answered a request without a realm from another realm than the client's: only they
 * answer such a request from the cache, as MIT files a referral request's ticket under the name asked
 * for (its realm empty), so that one asked of realm B by name never answers for the local realm.
 */
const foundByReferral = new WeakSet<Credential>();

/**
 * A cached ticket that answers `req`. It serves only a request for the authorization data it was
 * asked with (MIT's krb5_get_credentials matches it too, KRB5_TC_MATCH_AUTHDATA): it holds that and
 * no other. Without a realm: a ticket of the client's realm, or one referrals found.
 */
function cachedTicket(ctx: ClientContext, req: ServiceTicketRequest, local: string): Credential | undefined {
  const now = ctx.clock.now();
  const ad = req.authorizationData === undefined ? {} : { authorizationData: req.authorizationData };
  if (req.realm !== undefined) return ctx.cache.find(req.server, req.realm, req.client, ad, now);
  const own = ctx.cache.find(req.server, local, req.client, ad, now);
  if (own !== undefined) return own;
  const any = ctx.cache.find(req.server, undefined, req.client, ad, now);
  return any !== undefined && foundByReferral.has(any) ? any : undefined;
}

/** A service ticket for `req.server` from the right KDC (see {@link getServiceTicket}). */
async function fetchServiceTicket(
  ctx: ClientContext,
  req: ServiceTicketRequest,
  local: string,
): Promise<Credential> {
  if (req.realm !== undefined && req.realm !== local) {
    const tgt = await crossRealmTgt(ctx, req.realm, req.client);
    return chase(ctx, req, { realm: req.realm, tgt });
  }
  const tgt = localTgt(ctx, req.client);
  try {
    return await chase(ctx, req, { realm: local, tgt });
  } catch (e) {
    // MIT's fallback: no referral came back, but krb5.conf maps the host to a realm.
    if (req.realm !== undefined || !isKerberosError(e, ErrorCode.KDC_ERR_S_PRINCIPAL_UNKNOWN)) throw e;
    const host = serviceHostOf(req.server, { lenient: true });
    const mapped = host === undefined ? undefined : realmForHost(ctx.domainRealm, host);
    if (mapped === undefined || mapped === e.realm) throw e;
    if (ctx.logging)
      ctx.log(`no referral for ${formatPrincipal(req.server)}; domainRealm maps ${host} to ${mapped}`);
    if (mapped === local) return chase(ctx, req, { realm: local, tgt });
    const cross = await crossRealmTgt(ctx, mapped, req.client);
    return chase(ctx, req, { realm: mapped, tgt: cross });
  }
}
