/**
 * An in-memory credential cache, the client-side store RFC 4120 section 3.1.5
 * and section 3.3.1 assume ("the client stores the ticket and session key for
 * later use"). It mirrors what an MIT ccache holds: a default client
 * principal and one entry per (client, server) pair, newest wins. Unlike a
 * ccache file it is bounded: expired entries go as entries are added, and
 * past `maxEntries` expired entries go first, then the oldest (see
 * {@link CredentialCacheOptions}).
 *
 * Conversion to and from the `@krbsim/files` ccache format is structural
 * ({@link CredentialCache.entries} / {@link CredentialCache.from}).
 *
 * @module
 */

import {
  type AuthorizationData,
  formatPrincipal,
  type PrincipalName,
  type QualifiedName,
  sameName,
  tgsRealmOf,
} from '@krbsim/asn1';
import { type Clock, systemClock } from '@krbsim/core';
import { type Credential, isExpired, isTgt } from './credential';
import { parsePrincipal } from './parse-principal';

/** The most entries a {@link CredentialCache} holds unless told otherwise. */
export const DEFAULT_MAX_CACHE_ENTRIES = 1000;

/** Options for {@link CredentialCache}. */
export interface CredentialCacheOptions {
  /**
   * Decides which credentials have expired when a call gives no time (`at`); default the system
   * clock. A `KerberosClient` always gives its own time, so a cache it is given (its `cache`
   * option) serves it by its clock (with `kdcTimeSync`, the KDC's time, as MIT matches a ccache's
   * entries on the context's time), and a cache shared by clients on different clocks serves each
   * by its own; the cache itself is not changed.
   */
  readonly clock?: Clock;
  /**
   * The most entries the cache holds (a positive integer, or `Infinity` for no bound); default
   * {@link DEFAULT_MAX_CACHE_ENTRIES}. An add past it first drops every entry expired at the add's
   * time (the entry added too, if it has), so that no unexpired ticket goes while an expired one
   * stays; then, while still past it, the oldest entry (the one added longest ago) that is not a
   * ticket-granting ticket, since every other ticket is got with those; an unexpired TGT goes only
   * when nothing else is left to drop, and an unexpired entry added never does. A dropped ticket
   * is asked for again when next wanted.
   */
  readonly maxEntries?: number;
}

/**
 * What {@link CredentialCache.find} matches beyond the names, as MIT's `krb5_cc_retrieve_cred`
 * does with KRB5_TC_MATCH_AUTHDATA (which `krb5_get_credentials` always sets).
 */
export interface CredentialMatch {
  /**
   * The authorization data the ticket must have been asked for with
   * ({@link Credential.requestedAuthorizationData}); absent: a ticket asked for without any.
   */
  readonly authorizationData?: AuthorizationData;
}

/** The same string for equal authorization data (types and bytes, in order); '' for none. */
function authorizationDataKey(ad: AuthorizationData | undefined): string {
  if (ad === undefined) return '';
  return ad.map((e) => `${e.adType}:${Buffer.from(e.adData).toString('hex')}`).join(',');
}

function keyOf(cred: Credential): string {
  return `${formatPrincipal(cred.client.name, cred.client.realm)}\u0000${formatPrincipal(cred.server.name, cred.server.realm)}\u0000${authorizationDataKey(cred.requestedAuthorizationData)}`;
}

/**
 * The credentials a {@link KerberosClient} has obtained. Lookups skip expired
 * entries; {@link CredentialCache.all} returns everything still held, expired
 * or not ({@link CredentialCache.add} drops expired entries, amortised, and
 * {@link CredentialCache.prune} all of them at once).
 */
export class CredentialCache {
  readonly #entries = new Map<string, Credential>();
  readonly #clock: Clock;
  readonly #maxEntries: number;
  #defaultPrincipal: QualifiedName | undefined;
  /** No entry ends before this (a lower bound: an entry removed or replaced may have set it). */
  #nextExpiry = Number.POSITIVE_INFINITY;
  /** Adds since the last scan for expired entries. */
  #addsSinceScan = 0;

  /** @throws RangeError when `maxEntries` is neither a positive integer nor `Infinity`. */
  constructor(opts: CredentialCacheOptions = {}) {
    this.#clock = opts.clock ?? systemClock;
    const max = opts.maxEntries ?? DEFAULT_MAX_CACHE_ENTRIES;
    if (!(max === Number.POSITIVE_INFINITY || (Number.isInteger(max) && max >= 1))) {
      throw new RangeError(`maxEntries must be a positive integer or Infinity, got ${max}`);
    }
    this.#maxEntries = max;
  }

  /**
   * A cache holding `creds` (for example the credentials read from a ccache file), in order, a
   * later one for the same client and server replacing an earlier one. Within `maxEntries` every
   * one is kept, expired ones too: what has expired is judged when the cache is used, by the
   * clock of the client it is given to (see {@link CredentialCacheOptions.clock}). Past
   * `maxEntries`, room is made as {@link add} makes it: first by dropping the credentials expired
   * at `opts.at` (default `opts.clock`'s time), then the oldest, TGTs last.
   */
  static from(
    creds: Iterable<Credential>,
    opts: CredentialCacheOptions & { defaultPrincipal?: QualifiedName; at?: number } = {},
  ): CredentialCache {
    const cache = new CredentialCache(opts);
    const at = opts.at ?? cache.#clock.now();
    // The replacements first (a ccache file may hold one pair's ticket more than once), so that no
    // entry goes for room that a later one for its pair would not have taken.
    const latest = new Map<string, Credential>();
    for (const c of creds) {
      const k = keyOf(c);
      latest.delete(k);
      latest.set(k, c);
      // The first credential's client, as an add of each in turn would make it.
      cache.#defaultPrincipal ??= c.client;
    }
    for (const [k, c] of latest) cache.#evictPast(cache.#put(c, k), at);
    if (opts.defaultPrincipal !== undefined) cache.defaultPrincipal = opts.defaultPrincipal;
    return cache;
  }

  /** The principal of the first initial credential added (what `klist` shows as "Default principal"). */
  get defaultPrincipal(): QualifiedName | undefined {
    return this.#defaultPrincipal;
  }

  set defaultPrincipal(p: QualifiedName | undefined) {
    this.#defaultPrincipal = p;
  }

  /** The number of entries, expired ones included. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * Stores `cred`, replacing an older entry for the same client and server (and the same
   * requested authorization data: tickets asked for with different data are kept side by side).
   * Expired entries are dropped along the way, and past `maxEntries` every expired entry first,
   * then the oldest ones (see {@link CredentialCacheOptions.maxEntries}).
   *
   * `at`: the time expiry is judged at (see {@link CredentialCacheOptions.clock}).
   *
   * Performance: the scan for expired entries runs only once one may have expired, and then at
   * most once per quarter of the cache's size in adds: a few entries visited per add, amortised.
   * Past `maxEntries` it runs on any add after an entry may have expired (it leaves none that
   * has), since an unexpired entry must not go in an expired one's place.
   */
  add(cred: Credential, at: number = this.#clock.now()): void {
    const k = this.#put(cred);
    this.#addsSinceScan++;
    if (at >= this.#nextExpiry && this.#addsSinceScan * 4 >= this.#entries.size) {
      this.prune(at);
    }
    this.#evictPast(k, at);
  }

  /** Stores `cred` (its key `k`), dropping nothing; returns its key. */
  #put(cred: Credential, k: string = keyOf(cred)): string {
    // Re-inserting moves the entry to the end, so iteration order is "oldest first".
    this.#entries.delete(k);
    this.#entries.set(k, cred);
    if (this.#defaultPrincipal === undefined) this.#defaultPrincipal = cred.client;
    if (cred.endtime < this.#nextExpiry) this.#nextExpiry = cred.endtime;
    return k;
  }

  /**
   * Makes room past `maxEntries`: first the entries expired at `at` go (the one just stored, key
   * `added`, too, if it has: an unexpired entry is never dropped while an expired one stays), then
   * the oldest, never `added`.
   */
  #evictPast(added: string, at: number): void {
    if (this.#entries.size <= this.#maxEntries) return;
    // `#nextExpiry` is a lower bound: below it nothing has expired, and the scan is skipped.
    if (at >= this.#nextExpiry) this.prune(at);
    while (this.#entries.size > this.#maxEntries) this.#entries.delete(this.#evictee(added));
  }

  /** The key of the entry to drop for room: the oldest but `added`'s, not a TGT if there is one. */
  #evictee(added: string): string {
    let oldest: string | undefined;
    for (const [k, c] of this.#entries) {
      if (k === added) continue;
      if (!isTgt(c)) return k;
      oldest ??= k;
    }
    // Only reached with at least two entries, all but `added` TGTs.
    return oldest!;
  }

  /** Removes `cred` (matched by client, server and requested authorization data); true if it was there. */
  remove(cred: Credential): boolean {
    return this.#entries.delete(keyOf(cred));
  }

  /** Removes every entry. */
  clear(): void {
    this.#entries.clear();
    this.#defaultPrincipal = undefined;
    this.#nextExpiry = Number.POSITIVE_INFINITY;
    this.#addsSinceScan = 0;
  }

  /** Every entry, oldest first, expired ones included. */
  all(): Credential[] {
    return [...this.#entries.values()];
  }

  /** Every entry, as an iterable: the shape `@krbsim/files` writes to a ccache. */
  entries(): IterableIterator<Credential> {
    return this.#entries.values();
  }

  /**
   * The newest unexpired credential for `server` (a name, or its string form such as
   * `HTTP/web.contoso.com` or `HTTP/web.contoso.com@CONTOSO.COM`), in `realm` if given, and
   * for the client `client` if given. With `match`, only a ticket asked for with exactly
   * `match.authorizationData` (none, when it is absent) is found; without it, any. `at`: the time
   * expiry is judged at (see {@link CredentialCacheOptions.clock}).
   */
  find(
    server: PrincipalName | string,
    realm?: string,
    client?: QualifiedName,
    match?: CredentialMatch,
    at: number = this.#clock.now(),
  ): Credential | undefined {
    let want: readonly string[];
    if (typeof server === 'string') {
      const parsed = parsePrincipal(server, { defaultRealm: '', enterprise: false });
      want = parsed.name.nameString;
      if (realm === undefined && parsed.realm !== '') realm = parsed.realm;
    } else {
      want = server.nameString;
    }
    const now = at;
    const ad = match === undefined ? undefined : authorizationDataKey(match.authorizationData);
    let best: Credential | undefined;
    for (const c of this.#entries.values()) {
      if (isExpired(c, now)) continue;
      if (ad !== undefined && authorizationDataKey(c.requestedAuthorizationData) !== ad) continue;
      if (realm !== undefined && c.server.realm !== realm) continue;
      if (client !== undefined && !isClient(c, client)) continue;
      if (!sameComponents(c.server.name.nameString, want)) continue;
      if (best === undefined || c.endtime >= best.endtime) best = c;
    }
    return best;
  }

  /**
   * An unexpired ticket-granting ticket accepted by `realm`'s KDC: a
   * `krbtgt/realm@realm` TGT if there is one, else a cross-realm
   * `krbtgt/realm@OTHER` TGT. `client` restricts the search to that client's
   * tickets: a principal (its name and realm, as MIT's client matches the
   * cache's principal; a cache may hold several users' TGTs of one realm),
   * or a realm's name for any client of that realm. A TGT asked for with
   * authorization data (`requestedAuthorizationData`) is never one: it would
   * carry that data into every ticket it got. `at`: the time expiry is judged
   * at (see {@link CredentialCacheOptions.clock}).
   */
  tgtFor(
    realm: string,
    client?: QualifiedName | string,
    at: number = this.#clock.now(),
  ): Credential | undefined {
    const now = at;
    let local: Credential | undefined;
    let cross: Credential | undefined;
    for (const c of this.#entries.values()) {
      if (isExpired(c, now) || tgsRealmOf(c.server.name) !== realm) continue;
      // A TGT asked for with authorization data (a referral on the way to a ticket that asked for
      // some) carries that data into every ticket it gets: it serves no other request.
      if (c.requestedAuthorizationData !== undefined) continue;
      if (
        typeof client === 'string' ? c.client.realm !== client : client !== undefined && !isClient(c, client)
      ) {
        continue;
      }
      if (c.server.realm === realm) {
        if (local === undefined || c.endtime >= local.endtime) local = c;
      } else if (cross === undefined || c.endtime >= cross.endtime) {
        cross = c;
      }
    }
    return local ?? cross;
  }

  /** Drops the entries expired at `at` (default the cache's clock); returns how many went. ({@link add} does it too, amortised.) */
  prune(at: number = this.#clock.now()): number {
    const now = at;
    let n = 0;
    let next = Number.POSITIVE_INFINITY;
    for (const [k, c] of this.#entries) {
      if (isExpired(c, now)) {
        this.#entries.delete(k);
        n++;
      } else if (c.endtime < next) {
        next = c.endtime;
      }
    }
    this.#nextExpiry = next;
    this.#addsSinceScan = 0;
    return n;
  }
}

/** True when `c` is a ticket of `client` (its name, whatever the name type, and its realm). */
function isClient(c: Credential, client: QualifiedName): boolean {
  return c.client.realm === client.realm && sameName(c.client.name, client.name);
}

function sameComponents(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((s, i) => s === b[i]);
}
