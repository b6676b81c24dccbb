/**
 * Moving credentials between a {@link CredentialCache} and an MIT FILE
 * credential cache as `@krbsim/files` parses and writes it (MIT's
 * `ccache.txt`, format version 4). The shapes are structural (any object of
 * that shape will do): pass the result of {@link toCcache} to
 * `serializeCcache`, and the result of `parseCcache` to {@link fromCcache}.
 *
 * @module
 */

import { decodeTicket, type PrincipalName } from '@krbsim/asn1';
import type { Clock } from '@krbsim/core';
import { redactedKey } from '@krbsim/crypto';
import type { Credential } from './credential';
import { CredentialCache } from './credential-cache';

/** A principal as a ccache stores it. */
export interface CcachePrincipalLike {
  readonly realm: string;
  readonly name: PrincipalName;
}

/** One ccache credential: the shape of `@krbsim/files`' `CcacheCredential`. */
export interface CcacheCredentialLike {
  readonly client: CcachePrincipalLike;
  readonly server: CcachePrincipalLike;
  readonly key: { readonly etype: number; readonly bytes: Uint8Array };
  /** Milliseconds; 0 means not set. */
  readonly authtime: number;
  readonly starttime: number;
  readonly endtime: number;
  readonly renewTill: number;
  readonly isSkey: boolean;
  readonly ticketFlags: number;
  readonly addresses: readonly { readonly addrType: number; readonly address: Uint8Array }[];
  readonly authdata: readonly { readonly adType: number; readonly adData: Uint8Array }[];
  /** The ticket's DER. */
  readonly ticket: Uint8Array;
  readonly secondTicket: Uint8Array;
}

/** A ccache: the shape of `@krbsim/files`' `Ccache`. */
export interface CcacheLike {
  readonly version?: 3 | 4;
  /** The KDC time offset of the header (tag 1), which MIT records with `kdc_timesync`. */
  readonly timeOffset?: { readonly seconds: number; readonly microseconds: number };
  readonly defaultPrincipal: CcachePrincipalLike;
  readonly credentials: readonly CcacheCredentialLike[];
}

/** MIT keeps configuration entries (`fast_avail`, `pa_type`...) under this pseudo-realm. */
const CONFIG_REALM = 'X-CACHECONF:';

/**
 * The credential as a ccache entry: an ordinary ticket (is_skey 0, no second ticket), since the
 * client never caches the user-to-user tickets that would need them.
 */
export function credentialToCcache(c: Credential): CcacheCredentialLike {
  return {
    client: c.client,
    server: c.server,
    key: c.sessionKey,
    authtime: c.authtime,
    starttime: c.starttime ?? 0,
    endtime: c.endtime,
    renewTill: c.renewTill ?? 0,
    isSkey: false,
    ticketFlags: c.flags >>> 0,
    addresses: [],
    // MIT's entry keeps the authorization data the ticket was asked for with, as krbsim's credential does.
    authdata: c.requestedAuthorizationData ?? [],
    ticket: c.ticketDer,
    secondTicket: new Uint8Array(0),
  };
}

/**
 * A ccache entry as a credential (the ticket is decoded; throws on a malformed one). A
 * user-to-user entry (`isSkey`) converts too, but its ticket is good only in an AP-REQ built with
 * `{ userToUser: true }`; {@link fromCcache} leaves such entries out of a cache.
 */
export function credentialFromCcache(e: CcacheCredentialLike): Credential {
  return {
    client: e.client,
    server: e.server,
    sessionKey: redactedKey({ etype: e.key.etype, bytes: e.key.bytes }),
    ticket: decodeTicket(e.ticket),
    ticketDer: e.ticket,
    flags: e.ticketFlags >>> 0,
    authtime: e.authtime,
    endtime: e.endtime,
    ...(e.starttime === 0 ? {} : { starttime: e.starttime }),
    ...(e.renewTill === 0 ? {} : { renewTill: e.renewTill }),
    ...(e.authdata.length === 0
      ? {}
      : { requestedAuthorizationData: e.authdata.map((a) => ({ adType: a.adType, adData: a.adData })) }),
  };
}

/**
 * The cache as a ccache, ready for `serializeCcache`. MIT's `klist`, `kvno`
 * and GSS-API read the result. With `kdcTimeOffsetMs` (a synced client's
 * `kdcTimeOffsetMs`), the header records it, as MIT's `kinit` does with
 * `kdc_timesync`, so MIT's tools use the KDC's time too. Throws if the cache
 * has no default principal.
 */
export function toCcache(cache: CredentialCache, opts: { kdcTimeOffsetMs?: number } = {}): CcacheLike {
  const p = cache.defaultPrincipal;
  if (p === undefined) throw new RangeError('the credential cache is empty: it has no default principal');
  const offset = opts.kdcTimeOffsetMs;
  return {
    version: 4,
    ...(offset !== undefined && { timeOffset: timeOffsetOf(offset) }),
    defaultPrincipal: p,
    credentials: cache.all().map(credentialToCcache),
  };
}

/** Milliseconds as the header's seconds and microseconds (MIT's `krb5_set_time_offsets`: both of one sign). */
function timeOffsetOf(ms: number): { seconds: number; microseconds: number } {
  if (!Number.isFinite(ms)) throw new RangeError(`kdcTimeOffsetMs must be a finite number, got ${ms}`);
  const us = Math.round(ms * 1000);
  const seconds = Math.trunc(us / 1_000_000);
  return { seconds, microseconds: us - seconds * 1_000_000 };
}

/**
 * The KDC time offset a ccache's header records, in milliseconds (give it
 * to a client as `kdcTimeOffsetMs`, with `kdcTimeSync`), or `undefined`
 * when the header has none.
 */
export function kdcTimeOffsetOf(ccache: CcacheLike): number | undefined {
  const t = ccache.timeOffset;
  return t === undefined ? undefined : t.seconds * 1000 + t.microseconds / 1000;
}

/**
 * A credential MIT or Heimdal removed from a file cache in place: endtime 0
 * with an authtime (they write -1), or a configuration entry's realm
 * rewritten (see `isRemovedCredential` in `@krbsim/files`).
 */
function removed(c: CcacheCredentialLike): boolean {
  return (c.endtime === 0 && c.authtime !== 0) || c.server.realm === 'X-RMED-CONF:';
}

/**
 * A cache holding a ccache's credentials. Skipped: MIT configuration entries, credentials MIT or
 * Heimdal removed in place, and user-to-user tickets (is_skey set: encrypted in the session key
 * of their second ticket, RFC 4120 section 3.7), which the client never caches, since a lookup
 * would serve one to a request that sends it without use-session-key. Expired credentials are
 * kept, as the file keeps them: given to a `KerberosClient`, the cache judges expiry by the
 * client's clock (synced with the header's offset, {@link kdcTimeOffsetOf}, the KDC's time);
 * `opts.clock` (default the system clock) serves a cache used on its own. Only a file of more
 * entries than the cache holds (`DEFAULT_MAX_CACHE_ENTRIES`) loses some: those expired by
 * `opts.clock` first, then the oldest ({@link CredentialCache.from}).
 */
export function fromCcache(ccache: CcacheLike, opts: { clock?: Clock } = {}): CredentialCache {
  const creds = ccache.credentials
    .filter((c) => c.server.realm !== CONFIG_REALM && !removed(c) && !c.isSkey)
    .map(credentialFromCcache);
  return CredentialCache.from(creds, { ...opts, defaultPrincipal: ccache.defaultPrincipal });
}
