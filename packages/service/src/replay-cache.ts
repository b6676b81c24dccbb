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
// identifying bytes of the entry being checked, and of a queue record
// being looked at.
const id = new Int32Array(4);
const probe = new Int32Array(4);

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

  /**
   * The table: slot i is #table[5i..5i+5] = expiry (0: empty) and the four id
   * words. Performance: one array, so a probe touches one cache line (an
   * int32 is exact in a float64).
   */
  #table = new Float64Array(5 * INITIAL_SLOTS);
  #mask = INITIAL_SLOTS - 1;
  #size = 0;
  /** The table's most slots: a power of two at least twice the bound (load factor <= 1/2). */
  readonly #maxSlots: number;

  /**
   * The queue, oldest first: record q is #queue[6q..6q+6] = the four id
   * words, expiry and authenticator time (µs), one per insert. A record whose
   * entry is gone (expired, swept, or re-added with a new expiry) is stale and
   * skipped. It holds up to twice the bound, so compacting it when full
   * frees at least half.
   */
  #queue = new Float64Array(6 * INITIAL_SLOTS);
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
    if (slot >= 0 && this.#table[5 * slot]! <= now) {
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
    if (2 * (this.#size + 1) > this.#mask + 1 && this.#mask + 1 < this.#maxSlots) this.#grow();
    this.#place(id, expires);
    this.#enqueue(expires, t);
    this.#sinceSweep++;
  }

  /** Drops expired entries; returns how many went. */
  prune(): number {
    return this.#sweep(this.#clock.now());
  }

  /** The slot the id `k` hashes to. */
  #home(k: ArrayLike<number>): number {
    return this.#homeOf(k[0]!, k[1]!, k[2]!, k[3]!);
  }

  /** The slot of the id words a..d. Tags are MACs (uniform), but callers may pass anything: mix. */
  #homeOf(a: number, b: number, c: number, d: number): number {
    return Math.imul(a ^ Math.imul(b, 0x85ebca6b) ^ c ^ d, 0x9e3779b1) & this.#mask;
  }

  /** The slot holding the id `k`, or -1. */
  #find(k: Int32Array): number {
    const table = this.#table;
    const mask = this.#mask;
    for (let i = this.#home(k); ; i = (i + 1) & mask) {
      const w = 5 * i;
      if (table[w] === 0) return -1;
      if (table[w + 1] === k[0] && table[w + 2] === k[1] && table[w + 3] === k[2] && table[w + 4] === k[3])
        return i;
    }
  }

  /** Stores the id `k`, known absent, with `expires` (the table has room). */
  #place(k: ArrayLike<number>, expires: number): void {
    const table = this.#table;
    let i = this.#home(k);
    while (table[5 * i] !== 0) i = (i + 1) & this.#mask;
    const w = 5 * i;
    table[w] = expires;
    table[w + 1] = k[0]!;
    table[w + 2] = k[1]!;
    table[w + 3] = k[2]!;
    table[w + 4] = k[3]!;
    this.#size++;
  }

  /** Empties `slot`, shifting later entries of its probe run back (no tombstones). */
  #delete(slot: number): void {
    const table = this.#table;
    const mask = this.#mask;
    let hole = slot;
    for (let i = (slot + 1) & mask; table[5 * i] !== 0; i = (i + 1) & mask) {
      const w = 5 * i;
      const home = this.#homeOf(table[w + 1]!, table[w + 2]!, table[w + 3]!, table[w + 4]!);
      // Move the entry into the hole unless its home lies cyclically in (hole, i].
      if (hole <= i ? home <= hole || home > i : home <= hole && home > i) {
        table.copyWithin(5 * hole, w, w + 5);
        hole = i;
      }
    }
    table.fill(0, 5 * hole, 5 * hole + 5);
    this.#size--;
  }

  /** Doubles the table (it never grows past #maxSlots). */
  #grow(): void {
    const old = this.#table;
    const slots = 2 * (this.#mask + 1);
    this.#table = new Float64Array(5 * slots);
    this.#mask = slots - 1;
    this.#size = 0;
    for (let w = 0; w < old.length; w += 5) {
      if (old[w] !== 0) this.#place(old.subarray(w + 1, w + 5), old[w]!);
    }
  }

  /** Drops every entry that expired by `now`, in place; returns how many went. */
  #sweep(now: number): number {
    this.#sinceSweep = 0;
    const table = this.#table;
    const slots = this.#mask + 1;
    let n = 0;
    // A deletion shifts a later entry back into slot i (entries only move
    // towards their home), so slot i is looked at again.
    for (let i = 0; i < slots; ) {
      const e = table[5 * i]!;
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
    const r = 6 * q;
    const queue = this.#queue;
    probe[0] = queue[r]!;
    probe[1] = queue[r + 1]!;
    probe[2] = queue[r + 2]!;
    probe[3] = queue[r + 3]!;
    const slot = this.#find(probe);
    return slot >= 0 && this.#table[5 * slot] === queue[r + 4] ? slot : -1;
  }

  #makeRoom(now: number): void {
    const queue = this.#queue;
    // Expired records at the front of the queue go first, at O(1) each.
    while (this.#qLength > 0) {
      const q = this.#qHead;
      if (queue[6 * q + 4]! > now) break;
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
        const e = queue[6 * q + 4]!;
        const tu = queue[6 * q + 5]!;
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
    this.#qHead = this.#qHead + 1 === this.#queue.length / 6 ? 0 : this.#qHead + 1;
    this.#qLength--;
  }

  /** Appends {@link id} to the queue, growing or compacting it when full. */
  #enqueue(expires: number, timeUs: number): void {
    const full = this.#queue.length / 6;
    if (this.#qLength === full)
      this.#resizeQueue(full < 2 * this.#max ? Math.min(2 * full, 2 * this.#max) : full);
    const r = 6 * ((this.#qHead + this.#qLength) % (this.#queue.length / 6));
    const queue = this.#queue;
    queue[r] = id[0]!;
    queue[r + 1] = id[1]!;
    queue[r + 2] = id[2]!;
    queue[r + 3] = id[3]!;
    queue[r + 4] = expires;
    queue[r + 5] = timeUs;
    this.#qLength++;
  }

  /**
   * Copies the queue, in order, into room for `cap` records. At the queue's
   * largest (twice the bound, with at most the bound live) stale records are
   * dropped, which frees at least half: amortized O(1) per insert.
   */
  #resizeQueue(cap: number): void {
    const old = this.#queue;
    const oldCap = old.length / 6;
    const compact = cap === oldCap;
    const queue = new Float64Array(6 * cap);
    let n = 0;
    for (let j = 0; j < this.#qLength; j++) {
      const q = (this.#qHead + j) % oldCap;
      if (compact && this.#liveSlot(q) < 0) continue;
      queue.set(old.subarray(6 * q, 6 * q + 6), 6 * n++);
    }
    this.#queue = queue;
    this.#qHead = 0;
    this.#qLength = n;
  }
}
