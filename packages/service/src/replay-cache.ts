/**
 * The replay cache: RFC 4120 section 3.2.3 ("the server MUST utilize a
 * replay cache to remember any authenticator presented within the allowable
 * clock skew") and section 10 (a replayed authenticator is refused with
 * KRB_AP_ERR_REPEAT).
 *
 * An authenticator can only be accepted while its ctime is within the clock
 * skew of the server's time, so an entry need only be kept until
 * `ctime + windowMs`. Memory is bounded by `maxEntries`: when full, expired
 * entries go first, then the oldest. Evicting a live entry would let its
 * authenticator be replayed, so the cache remembers the newest ctime it ever
 * evicted early (a high-water mark, kept until that entry would have
 * expired) and refuses any authenticator at or before it: under a flood the
 * cache degrades to refusing old authenticators, never to accepting a replay.
 * A check that finds a replay changes nothing.
 *
 * @module
 */

import { type Clock, ErrorCode, KerberosError } from '@krbsim/core';

/** What identifies one authenticator. */
export interface ReplayEntry {
  /** The client principal, e.g. `alice@CONTOSO.COM`. */
  readonly client: string;
  /** The server principal. */
  readonly server: string;
  /** The authenticator's ctime, milliseconds since the epoch (a whole second). */
  readonly ctime: number;
  /** The authenticator's cusec, 0..999999. */
  readonly cusec: number;
  /**
   * Identifies the authenticator's ciphertext: a hash of it, or its MAC tag
   * (krbsim's service passes the MAC at the end of the ciphertext, as MIT's
   * replay cache does). When given, it alone identifies the authenticator:
   * the same ciphertext is the same authenticator whatever else is claimed.
   */
  readonly authenticatorHash?: string;
}

/** Options for {@link ReplayCache}. */
export interface ReplayCacheOptions {
  /** Reads the current time. */
  readonly clock: Clock;
  /** How long an entry is kept past its ctime: the service's clock skew. */
  readonly windowMs: number;
  /** The most entries kept at once. Default 100 000. */
  readonly maxEntries?: number;
}

/** The default bound on entries. */
export const DEFAULT_REPLAY_CACHE_ENTRIES = 100_000;

/** Microseconds since the epoch for an authenticator time. */
function timeUs(ctime: number, cusec: number): number {
  return ctime * 1000 + cusec;
}

/** A bounded, clock-driven replay cache for one service (or several: entries name the server). */
export class ReplayCache {
  readonly #clock: Clock;
  readonly #windowMs: number;
  readonly #max: number;
  /** key -> expiry (ms) and authenticator time (µs). */
  readonly #entries = new Map<string, { expires: number; timeUs: number }>();
  /**
   * Keys in insertion order, oldest at #head: the eviction queue.
   * Performance: a Map used as a queue (`entries().next()` after deletes)
   * makes V8 walk every deleted slot, so eviction cost grew with the number
   * of evictions; an array with a moving head stays O(1). A key may appear
   * here after its entry is gone (swept, or re-added): such slots are skipped.
   */
  #order: string[] = [];
  #head = 0;
  /** Inserts since the last full sweep, to sweep at most once per quarter of the bound. */
  #sinceSweep = 0;
  /** The earliest expiry among entries (a lower bound), to skip sweeps that would find nothing. */
  #earliest = Number.POSITIVE_INFINITY;
  /** Authenticators at or before this time (µs) are refused until #floorExpires (see module doc). */
  #floorUs = Number.NEGATIVE_INFINITY;
  #floorExpires = Number.NEGATIVE_INFINITY;

  constructor(opts: ReplayCacheOptions) {
    if (!(opts.windowMs >= 0)) throw new RangeError('ReplayCache windowMs must be a non-negative number');
    const max = opts.maxEntries ?? DEFAULT_REPLAY_CACHE_ENTRIES;
    if (!Number.isInteger(max) || max < 1)
      throw new RangeError('ReplayCache maxEntries must be a positive integer');
    this.#clock = opts.clock;
    this.#windowMs = opts.windowMs;
    this.#max = max;
  }

  /** The number of entries held now. */
  get size(): number {
    return this.#entries.size;
  }

  /** The bound on entries. */
  get maxEntries(): number {
    return this.#max;
  }

  /**
   * Records `entry`, or throws KRB_AP_ERR_REPEAT if the same authenticator was
   * seen within the window (or is older than an authenticator the cache had
   * to evict early).
   */
  check(entry: ReplayEntry): void {
    const now = this.#clock.now();
    const key =
      entry.authenticatorHash ??
      `${entry.client}\u0000${entry.server}\u0000${entry.ctime}\u0000${entry.cusec}`;
    const t = timeUs(entry.ctime, entry.cusec);
    const expires = entry.ctime + this.#windowMs;
    const seen = this.#entries.get(key);
    if (expires <= now) {
      // Outside the window: a service refuses it for clock skew; nothing to remember.
      if (seen !== undefined) this.#entries.delete(key);
      return;
    }
    if (seen !== undefined) {
      throw new KerberosError(
        ErrorCode.KRB_AP_ERR_REPEAT,
        `replayed authenticator from ${entry.client} for ${entry.server} (ctime ${new Date(entry.ctime).toISOString()}, cusec ${entry.cusec}); a client must build a fresh AP-REQ for each authentication`,
      );
    }
    if (now < this.#floorExpires && t <= this.#floorUs) {
      throw new KerberosError(
        ErrorCode.KRB_AP_ERR_REPEAT,
        `authenticator from ${entry.client} for ${entry.server} is older than entries the replay cache had to drop under load, so it cannot be shown not to be a replay; retry with a fresh AP-REQ`,
      );
    }
    this.#makeRoom(now);
    this.#entries.set(key, { expires, timeUs: t });
    this.#order.push(key);
    this.#sinceSweep++;
    if (expires < this.#earliest) this.#earliest = expires;
  }

  /** Drops expired entries; returns how many went. */
  prune(): number {
    return this.#sweep(this.#clock.now());
  }

  #sweep(now: number): number {
    this.#sinceSweep = 0;
    if (now < this.#earliest) return 0;
    let n = 0;
    let earliest = Number.POSITIVE_INFINITY;
    for (const [k, v] of this.#entries) {
      if (v.expires <= now) {
        this.#entries.delete(k);
        n++;
      } else if (v.expires < earliest) {
        earliest = v.expires;
      }
    }
    this.#earliest = earliest;
    return n;
  }

  #makeRoom(now: number): void {
    // Expired entries at the front of the queue go first, at O(1) each.
    while (this.#head < this.#order.length) {
      const k = this.#order[this.#head]!;
      const v = this.#entries.get(k);
      if (v !== undefined && v.expires > now) break;
      if (v !== undefined) this.#entries.delete(k);
      this.#head++;
    }
    if (this.#entries.size >= this.#max && this.#sinceSweep >= this.#max >>> 2) {
      // Expired entries further back: a full sweep, at most once per quarter
      // of the bound's inserts (amortized O(1)).
      this.#sweep(now);
    }
    while (this.#entries.size >= this.#max && this.#head < this.#order.length) {
      const k = this.#order[this.#head++]!;
      const v = this.#entries.get(k);
      if (v === undefined) continue;
      this.#entries.delete(k);
      // The entry was live: remember its time until it would have expired,
      // so its replay is still refused.
      if (now >= this.#floorExpires) {
        this.#floorUs = v.timeUs;
        this.#floorExpires = v.expires;
      } else {
        this.#floorUs = Math.max(this.#floorUs, v.timeUs);
        this.#floorExpires = Math.max(this.#floorExpires, v.expires);
      }
    }
    if (this.#order.length - this.#head > 2 * this.#max) {
      // Stale keys piled up behind a long-lived front entry: rebuild the queue
      // from the live entries (a Map keeps insertion order). O(max), at most
      // once per max inserts.
      this.#order = [...this.#entries.keys()];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#order.length) {
      this.#order = this.#order.slice(this.#head);
      this.#head = 0;
    }
  }
}
