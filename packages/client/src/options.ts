/**
 * Client configuration: the injected seams (transport, clock, random), the
 * encryption types offered (RFC 4120 section 5.4.1 `etype`, in preference
 * order), and the MIT krb5.conf `[domain_realm]` mapping used when a KDC
 * returns no referral (RFC 6806 section 1 describes why clients still need it).
 *
 * @module
 */

import type { Clock, RandomSource } from '@krbsim/core';
import type { StringToKeyFunction } from '@krbsim/crypto';
import type { KdcTransport } from '@krbsim/transport';
import type { CredentialCache } from './credential-cache';

/** Options for {@link KerberosClient}. */
export interface ClientOptions {
  /** The client's default realm: where initial credentials are asked for, and where referral chasing starts. */
  readonly realm: string;
  /** Carries request bytes to a realm's KDC and brings the reply back. */
  readonly transport: KdcTransport;
  /**
   * The local clock. Default: the system clock. With `kdcTimeSync`, the client runs on this plus
   * the KDC's offset. Either way the client's credential cache, a given `cache` included, judges
   * expiry by the client's time.
   */
  readonly clock?: Clock;
  /** Nonces, confounders and subkeys come from here. Default: the system CSPRNG. */
  readonly random?: RandomSource;
  /** Encryption types offered to the KDC, most preferred first. Default `[20, 19, 18, 17]` (AES-SHA2, then AES-SHA1). */
  readonly encTypes?: readonly number[];
  /** Allow RC4 and DES types in `encTypes` and in keys (RFC 6649, RFC 8429 deprecate them). Default false. */
  readonly allowWeakCrypto?: boolean;
  /**
   * The clock skew tolerated when checking KDC replies and AP-REPs, in milliseconds: a finite
   * number, 0 or more (a RangeError otherwise). Default 5 minutes.
   */
  readonly clockSkewMs?: number;
  /**
   * MIT's `kdc_timesync`: run on the KDC's time instead of failing with
   * KRB_AP_ERR_SKEW when `clock` is off. An AS exchange pre-authenticates
   * with the time its PREAUTH_REQUIRED error gave; its verified reply sets
   * the client's offset ({@link KerberosClient.kdcTimeOffsetMs}), which
   * every later request, authenticator and check then adds to `clock`.
   * MIT turns it on by default; here it is off (default false), so that a
   * test's skewed clock is reported rather than absorbed.
   */
  readonly kdcTimeSync?: boolean;
  /**
   * With `kdcTimeSync`, the offset to start from, in milliseconds: what an
   * MIT ccache's header recorded (`kdcTimeOffsetOf`). Default 0.
   */
  readonly kdcTimeOffsetMs?: number;
  /**
   * How many cross-realm referrals one request may follow: a positive integer (a RangeError
   * otherwise). Default 10.
   */
  readonly maxReferralHops?: number;
  /**
   * MIT's `[domain_realm]`: `'.contoso.com': 'CONTOSO.COM'` maps every host
   * under contoso.com; `'host.x': 'X'` maps one host. The most specific entry
   * wins. Used only when the KDC returns no referral for a service.
   */
  readonly domainRealm?: Readonly<Record<string, string>>;
  /**
   * Armor every TGS-REQ with FAST (RFC 6113 section 5.4.1.1: implicit armor
   * from the TGT's session key and the authenticator subkey), so the request
   * travels encrypted and errors come back authenticated. Every KDC asked
   * must then serve FAST. Default false.
   */
  readonly fastTgs?: boolean;
  /** Receives one line per protocol step (requests sent, errors received, referrals followed). */
  readonly log?: (line: string) => void;
  /**
   * Start from these credentials (e.g. `fromCcache(parseCcache(bytes))`); default an empty cache.
   * The client gives its own time to every call it makes on the cache, so expiry is judged by the
   * client's time (with `kdcTimeSync`, the KDC's time, offset by `kdcTimeOffsetMs` and each AS
   * exchange), whatever clock the cache was made with, as MIT matches a ccache's entries on the time
   * its header's offset gave the context. The cache is not changed: shared by clients on different
   * clocks, it serves each by its own.
   */
  readonly cache?: CredentialCache;
  /**
   * Derives a password's key (RFC 3961 string-to-key) when this client has
   * not derived it before. Default `cachedStringToKey` of `@krbsim/crypto`
   * (the process-wide cache). The client keeps the keys it derived for its
   * next AS exchanges either way.
   */
  readonly stringToKey?: StringToKeyFunction;
}

/** The default clock skew: 5 minutes (RFC 4120 section 1.6 suggests 5 minutes). */
export const DEFAULT_CLOCK_SKEW_MS = 300_000;

/** The default bound on referral hops. */
export const DEFAULT_MAX_REFERRAL_HOPS = 10;

/**
 * The realm MIT's `[domain_realm]` maps `host` to, or undefined. Tries the
 * host itself, then each parent domain written with and without a leading
 * dot, most specific first (as MIT's `krb5_get_host_realm` does).
 */
export function realmForHost(
  domainRealm: Readonly<Record<string, string>> | undefined,
  host: string,
): string | undefined {
  if (domainRealm === undefined) return undefined;
  const table = new Map<string, string>();
  for (const [k, v] of Object.entries(domainRealm)) table.set(k.toLowerCase(), v);
  let rest = host.toLowerCase();
  const exact = table.get(rest);
  if (exact !== undefined) return exact;
  for (;;) {
    const dot = rest.indexOf('.');
    if (dot < 0) return undefined;
    const dotted = rest.slice(dot);
    rest = rest.slice(dot + 1);
    const hit = table.get(dotted) ?? table.get(rest);
    if (hit !== undefined) return hit;
  }
}
