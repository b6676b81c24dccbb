/**
 * The replay cache: RFC 4120 section 3.2.3 ("the server MUST utilize a
 * replay cache to remember any authenticator presented within the allowable
 * clock skew") and section 10 (a replayed authenticator is refused with
 * KRB_AP_ERR_REPEAT).
 *
 * An authenticator can only be accepted while its ctime is within the clock
 * skew of the server's time, so an entry need only be kept until
 * `ctime + windowMs`. Memory is bounded by `maxEntries`: when full, expired
 * entries go first (those at the front of the insertion queue at once, the
 * rest by a sweep at most once per quarter of the bound's inserts), then the
 * oldest. Evicting a live entry would let its
 * authenticator be replayed, so the cache remembers the newest time it ever
 * evicted early (a high-water mark, kept until that entry would have
 * expired) and refuses any authenticator at or before it: under a flood the
 * cache degrades to refusing old authenticators, never to accepting a replay.
 * A check that finds a replay changes nothing.
 *
 * An authenticator is identified by 16 bytes: its tag (the MAC at the end of
 * its ciphertext, as MIT's replay cache uses), or a SHA-256 of client,
 * server and time when the caller has no tag.
 *
 * Performance: a busy service holds a window's worth of entries (100 000 by
 * default), each checked and stored once. As JavaScript objects in a Map
 * (a key string, a record) every entry survived young-generation
 * collections and was copied into the old generation, which cost more than
 * all the cryptography of an AP-REQ. Here entries live in typed arrays: an
 * open-addressing hash table (linear probing, backward-shift deletion) and a
 * ring-buffer queue in insertion order for eviction. Both grow by doubling
 * up to what `maxEntries` needs and never allocate per entry.
 *
 * @module
 */

import { createHash } from 'node:crypto';
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
   * The authenticator's tag: bytes that only this authenticator has, such as
   * the MAC at the end of its ciphertext (what krbsim's service passes, and
   * what MIT's replay cache keys on) or a hash of the ciphertext. When given,
   * its first 16 bytes alone identify the authenticator: the same ciphertext
   * is the same authenticator whatever else is claimed. Without it, client,
   * server, ctime and cusec do.
   */
  readonly tag?: Uint8Array;
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

/** Slots the table and the queue start with. */
const INITIAL_SLOTS = 1024;

// Scratch words (the cache is synchronous and never re-entered): the 16
// identifying bytes of the entry being checked, of a queue record being
// looked at, and of an entry being moved by a deletion.
const id = new Int32Array(4);
const probe = new Int32Array(4);
const moving = new Int32Array(4);

function readId(entry: ReplayEntry): void {
  let bytes = entry.tag;
  if (bytes === undefined) {
    bytes = createHash('sha256')
      .update(`${entry.client}\u0000${entry.server}\u0000${entry.ctime}\u0000${entry.cusec}`)
      .digest();
  }
  id.fill(0);
  const n = Math.min(16, bytes.length);
  for (let i = 0; i < n; i++) id[i >>> 2] |= bytes[i]! << (24 - 8 * (i & 3));
}

/** A bounded, clock-driven replay cache for one service (or several: tags are unique across services). */
export class ReplayCache {
  readonly #clock: Clock;
  readonly #windowMs: number;
  readonly #max: number;

  // The table: slot i holds id words #keys[4i..4i+4] and its expiry #expires[i] (0: empty).
  #keys = new Int32Array(4 * INITIAL_SLOTS);
  #expires = new Float64Array(INITIAL_SLOTS);
  #mask = INITIAL_SLOTS - 1;
  #size = 0;
  /** The table's most slots: a power of two at least twice the bound (load factor <= 1/2). */
  readonly #maxSlots: number;

  // The queue, oldest first: id words, expiry and authenticator time (µs) per
  // insert. A record whose entry is gone (expired, swept, or re-added with a
  // new expiry) is stale and skipped. It holds up to twice the bound, so
  // compacting it when full frees at least half.
  #qKeys = new Int32Array(4 * INITIAL_SLOTS);
  #qExpires = new Float64Array(INITIAL_SLOTS);
  #qTime = new Float64Array(INITIAL_SLOTS);
  #qHead = 0;
  #qLength = 0;

  /** Inserts since the last full sweep, to sweep at most once per quarter of the bound. */
  #sinceSweep = 0;
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
    let slots = INITIAL_SLOTS;
    while (slots < 2 * max) slots *= 2;
    this.#maxSlots = slots;
  }

  /** The number of entries held now. */
  get size(): number {
    return this.#size;
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
    readId(entry);
    const t = entry.ctime * 1000 + entry.cusec;
    const expires = entry.ctime + this.#windowMs;
    const slot = this.#find(id);
    if (slot >= 0 && this.#expires[slot]! <= now) {
      this.#delete(slot); // expired: as if absent
    } else if (slot >= 0) {
      throw new KerberosError(
        ErrorCode.KRB_AP_ERR_REPEAT,
        `replayed authenticator from ${entry.client} for ${entry.server} (ctime ${new Date(entry.ctime).toISOString()}, cusec ${entry.cusec}); a client must build a fresh AP-REQ for each authentication`,
      );
    }
    // Outside the window: a service refuses it for clock skew; nothing to remember.
    if (expires <= now) return;
    if (now < this.#floorExpires && t <= this.#floorUs) {
      throw new KerberosError(
        ErrorCode.KRB_AP_ERR_REPEAT,
        `authenticator from ${entry.client} for ${entry.server} is older than entries the replay cache had to drop under load, so it cannot be shown not to be a replay; retry with a fresh AP-REQ`,
      );
    }
    this.#makeRoom(now);
    if (2 * (this.#size + 1) > this.#expires.length && this.#expires.length < this.#maxSlots) {
      this.#grow();
    }
    this.#place(id, expires);
    this.#enqueue(expires, t);
    this.#sinceSweep++;
  }

  /** Drops expired entries; returns how many went. */
  prune(): number {
    return this.#sweep(this.#clock.now());
  }

  /** The slot {@link k} hashes to. Tags are MACs (uniform), but callers may pass anything: mix. */
  #home(k: Int32Array): number {
    return Math.imul(k[0]! ^ Math.imul(k[1]!, 0x85ebca6b) ^ k[2]! ^ k[3]!, 0x9e3779b1) & this.#mask;
  }

  /** The slot holding the id `k`, or -1. */
  #find(k: Int32Array): number {
    const keys = this.#keys;
    const expires = this.#expires;
    const mask = this.#mask;
    for (let i = this.#home(k); ; i = (i + 1) & mask) {
      if (expires[i] === 0) return -1;
      const w = 4 * i;
      if (keys[w] === k[0] && keys[w + 1] === k[1] && keys[w + 2] === k[2] && keys[w + 3] === k[3]) return i;
    }
  }

  /** Stores the id `k`, known absent, with `expires` (the table has room). */
  #place(k: Int32Array, expires: number): void {
    let i = this.#home(k);
    while (this.#expires[i] !== 0) i = (i + 1) & this.#mask;
    this.#keys.set(k, 4 * i);
    this.#expires[i] = expires;
    this.#size++;
  }

  /** Empties `slot`, shifting later entries of its probe run back (no tombstones). */
  #delete(slot: number): void {
    const keys = this.#keys;
    const expires = this.#expires;
    const mask = this.#mask;
    let hole = slot;
    for (let i = (slot + 1) & mask; expires[i] !== 0; i = (i + 1) & mask) {
      const w = 4 * i;
      moving[0] = keys[w]!;
      moving[1] = keys[w + 1]!;
      moving[2] = keys[w + 2]!;
      moving[3] = keys[w + 3]!;
      const home = this.#home(moving);
      // Move the entry into the hole unless its home lies cyclically in (hole, i].
      if (hole <= i ? home <= hole || home > i : home <= hole && home > i) {
        keys.set(moving, 4 * hole);
        expires[hole] = expires[i]!;
        hole = i;
      }
    }
    keys.fill(0, 4 * hole, 4 * hole + 4);
    expires[hole] = 0;
    this.#size--;
  }

  /** Doubles the table (it never grows past #maxSlots). */
  #grow(): void {
    const oldKeys = this.#keys;
    const oldExpires = this.#expires;
    const slots = 2 * oldExpires.length;
    this.#keys = new Int32Array(4 * slots);
    this.#expires = new Float64Array(slots);
    this.#mask = slots - 1;
    this.#size = 0;
    for (let i = 0; i < oldExpires.length; i++) {
      if (oldExpires[i] === 0) continue;
      probe.set(oldKeys.subarray(4 * i, 4 * i + 4));
      this.#place(probe, oldExpires[i]!);
    }
  }

  /** Drops every entry that expired by `now`, in place; returns how many went. */
  #sweep(now: number): number {
    this.#sinceSweep = 0;
    const expires = this.#expires;
    let n = 0;
    // A deletion shifts a later entry back into slot i (entries only move
    // towards their home), so slot i is looked at again.
    for (let i = 0; i < expires.length; ) {
      const e = expires[i]!;
      if (e !== 0 && e <= now) {
        this.#delete(i);
        n++;
      } else {
        i++;
      }
    }
    return n;
  }

  /** The table slot of queue record `q` if it is the entry now there (not stale), else -1. */
  #liveSlot(q: number): number {
    probe.set(this.#qKeys.subarray(4 * q, 4 * q + 4));
    const slot = this.#find(probe);
    return slot >= 0 && this.#expires[slot] === this.#qExpires[q] ? slot : -1;
  }

  #makeRoom(now: number): void {
    // Expired records at the front of the queue go first, at O(1) each.
    while (this.#qLength > 0) {
      const q = this.#qHead;
      if (this.#qExpires[q]! > now) break;
      const slot = this.#liveSlot(q);
      if (slot >= 0) this.#delete(slot);
      this.#pop();
    }
    if (this.#size >= this.#max && this.#sinceSweep >= this.#max >>> 2) {
      // Expired entries further back: a full sweep, at most once per quarter
      // of the bound's inserts (amortized O(1)).
      this.#sweep(now);
    }
    while (this.#size >= this.#max && this.#qLength > 0) {
      const q = this.#qHead;
      const slot = this.#liveSlot(q);
      if (slot >= 0) {
        this.#delete(slot);
        // The entry was live: remember its time until it would have expired,
        // so its replay is still refused.
        const e = this.#qExpires[q]!;
        const tu = this.#qTime[q]!;
        if (now >= this.#floorExpires) {
          this.#floorUs = tu;
          this.#floorExpires = e;
        } else {
          this.#floorUs = Math.max(this.#floorUs, tu);
          this.#floorExpires = Math.max(this.#floorExpires, e);
        }
      }
      this.#pop();
    }
  }

  #pop(): void {
    this.#qHead = this.#qHead + 1 === this.#qExpires.length ? 0 : this.#qHead + 1;
    this.#qLength--;
  }

  /** Appends {@link id} to the queue, growing or compacting it when full. */
  #enqueue(expires: number, timeUs: number): void {
    const full = this.#qExpires.length;
    if (this.#qLength === full)
      this.#resizeQueue(full < 2 * this.#max ? Math.min(2 * full, 2 * this.#max) : full);
    const cap = this.#qExpires.length;
    const q = (this.#qHead + this.#qLength) % cap;
    this.#qKeys.set(id, 4 * q);
    this.#qExpires[q] = expires;
    this.#qTime[q] = timeUs;
    this.#qLength++;
  }

  /**
   * Copies the queue, in order, into arrays of `cap` records. At the queue's
   * largest (twice the bound, with at most the bound live) stale records are
   * dropped, which frees at least half: amortized O(1) per insert.
   */
  #resizeQueue(cap: number): void {
    const compact = cap === this.#qExpires.length;
    const keys = new Int32Array(4 * cap);
    const expires = new Float64Array(cap);
    const time = new Float64Array(cap);
    const oldCap = this.#qExpires.length;
    let n = 0;
    for (let j = 0; j < this.#qLength; j++) {
      const q = (this.#qHead + j) % oldCap;
      if (compact && this.#liveSlot(q) < 0) continue;
      keys.set(this.#qKeys.subarray(4 * q, 4 * q + 4), 4 * n);
      expires[n] = this.#qExpires[q]!;
      time[n] = this.#qTime[q]!;
      n++;
    }
    this.#qKeys = keys;
    this.#qExpires = expires;
    this.#qTime = time;
    this.#qHead = 0;
    this.#qLength = n;
  }
}
