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
 * expired) and refuses any authenticator at or before it; an evicted entry
 * dated after its eviction
 * (a client clock ahead, within the skew) goes instead into a set of
 * fingerprints of identities, refused while it could be live (a fresh
 * authenticator shares a fingerprint with one of n held with a probability of
 * about n / 2^32). Under a flood the cache degrades to refusing old
 * authenticators (and, past two million evictions dated ahead in two
 * windows, every authenticator until they could no longer be live), never
 * to accepting a replay.
 * A check that finds a replay changes nothing.
 *
 * An authenticator is identified by 16 bytes: the end of its ciphertext
 * (its MAC for the AES etypes; what MIT's replay cache keys on), or a
 * SHA-256 of client, server and time when the caller gives no tag. The
 * cache keeps 104 bits of them (the top 52 of each half): two different
 * authenticators among 100 000 share them with a probability near 2^-70.
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
   * Bytes that only this authenticator has, such as its ciphertext (what
   * krbsim's service passes) or a hash of it: at least 8 bytes (a
   * RangeError otherwise). When given, their last 16
   * bytes (all of them if fewer) alone identify the authenticator. The AES
   * etypes end their ciphertext with a MAC, which cannot be made without the
   * session key; rc4-hmac ends it with bytes encrypted under a key derived
   * from its MAC. MIT's replay cache keys on the same bytes. The same
   * ciphertext is the same authenticator whatever else is claimed. Without
   * a tag, client, server, ctime and cusec identify it.
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

/**
 * The identity of the entry being checked, 104 of its 16 bytes packed into
 * two doubles (52 bits each: a double holds any integer below 2^53 exactly),
 * so a table slot is three doubles. Scratch: the cache is synchronous and
 * never re-entered.
 */
let idA = 0;
let idB = 0;

/** Packs the top 52 bits of bytes 0-7 and of bytes 8-15 of the 16 at `from` (zero past `n`) into idA, idB. */
function pack(bytes: Uint8Array, from: number, n: number): void {
  let a = 0;
  let b = 0;
  for (let i = 0; i < 16; i++) {
    const v = i < n ? bytes[from + i]! : 0;
    if (i < 6) a = a * 256 + v;
    else if (i === 6) a = a * 16 + (v >>> 4);
    else if (i >= 8 && i < 14) b = b * 256 + v;
    else if (i === 14) b = b * 16 + (v >>> 4);
  }
  idA = a;
  idB = b;
}

/** The shortest tag accepted (a MAC is 12 bytes or more). */
const MIN_TAG_BYTES = 8;

function readId(entry: ReplayEntry): void {
  let bytes = entry.tag;
  if (bytes === undefined) {
    bytes = createHash('sha256')
      .update(`${entry.client}\u0000${entry.server}\u0000${entry.ctime}\u0000${entry.cusec}`)
      .digest();
  }
  // Programming errors, not Kerberos ones: a short tag would make unrelated
  // authenticators collide and be refused as replays.
  if (!(bytes instanceof Uint8Array) || bytes.length < MIN_TAG_BYTES) {
    throw new RangeError(`a replay-cache tag must be a Uint8Array of at least ${MIN_TAG_BYTES} bytes`);
  }
  const n = Math.min(16, bytes.length);
  pack(bytes, bytes.length - n, n);
}

/** Slack on a generation's length beyond two windows (an entry's time may carry 999 ms of cusec). */
const AHEAD_MARGIN_MS = 2000;
/** Slots a generation's fingerprint table starts with (256 KiB). */
const AHEAD_INITIAL_SLOTS = 1 << 16;
/** Slots it grows to (16 MiB): up to half as many fingerprints, 2 097 152. */
const AHEAD_MAX_SLOTS = 1 << 22;

/**
 * One generation of the evicted authenticators dated ahead: a set of 32-bit fingerprints of their
 * identities (open addressing, linear probing, 0 for an empty slot), grown by doubling to keep it at
 * most half full. A fresh authenticator shares a fingerprint with one of n held with a probability of
 * about n / 2^32 (0.05% at two million). Full (two million evictions dated ahead within two
 * windows: a flood), it refuses every authenticator until it is cleared: never a replay let in.
 */
class AheadGeneration {
  #slots = new Uint32Array(AHEAD_INITIAL_SLOTS);
  #count = 0;
  #full = false;

  /** Holds identity (a, b). */
  add(a: number, b: number): void {
    if (2 * (this.#count + 1) > this.#slots.length) {
      if (this.#slots.length >= AHEAD_MAX_SLOTS) {
        this.#full = true;
        return;
      }
      const old = this.#slots;
      this.#slots = new Uint32Array(old.length * 2);
      for (const f of old) if (f !== 0) this.#insert(f, this.#slots);
    }
    if (this.#insert(fingerprint(a, b), this.#slots)) this.#count++;
  }

  /** True when (a, b)'s fingerprint is held, or the generation is full. */
  has(a: number, b: number): boolean {
    if (this.#full) return true;
    const f = fingerprint(a, b);
    const slots = this.#slots;
    const mask = slots.length - 1;
    for (let i = f & mask; ; i = (i + 1) & mask) {
      if (slots[i] === 0) return false;
      if (slots[i] === f) return true;
    }
  }

  /** Places `f` in `slots`; false if it was there already. */
  #insert(f: number, slots: Uint32Array): boolean {
    const mask = slots.length - 1;
    for (let i = f & mask; ; i = (i + 1) & mask) {
      if (slots[i] === f) return false;
      if (slots[i] === 0) {
        slots[i] = f;
        return true;
      }
    }
  }
}

/**
 * A 32-bit hash of identity (a, b), every bit of both halves mixed in: callers may pass anything as
 * tags (counters, not only MACs), and the tables probe linearly from it.
 */
function mix(a: number, b: number): number {
  const x = (a | 0) ^ Math.imul(b | 0, 0x85ebca6b) ^ ((a / 0x100000000) | 0) ^ ((b / 0x100000000) | 0);
  return Math.imul(x ^ (x >>> 16), 0x9e3779b1);
}

/** Identity (a, b)'s fingerprint: {@link mix}, never 0 (an empty slot). */
function fingerprint(a: number, b: number): number {
  return mix(a, b) >>> 0 || 1;
}

/** A bounded, clock-driven replay cache for one service (or several: tags are unique across services). */
export class ReplayCache {
  readonly #clock: Clock;
  readonly #windowMs: number;
  readonly #max: number;

  /**
   * The table: slot i is #table[3i..3i+3] = expiry (0: empty) and the two
   * identity doubles. Performance: one array, so a probe touches one cache
   * line, and 24 bytes a slot.
   */
  #table = new Float64Array(3 * INITIAL_SLOTS);
  #mask = INITIAL_SLOTS - 1;
  #size = 0;
  /** The table's most slots: a power of two at least twice the bound (load factor <= 1/2). */
  readonly #maxSlots: number;

  /**
   * The queue, oldest first: record q is #queue[4q..4q+4] = the two identity
   * doubles, expiry and authenticator time (µs), one per insert. A record
   * whose entry is gone (expired, swept, or re-added with a new expiry) is
   * stale and skipped. It holds up to twice the bound, so compacting it when
   * full frees at least half.
   */
  #queue = new Float64Array(4 * INITIAL_SLOTS);
  #qHead = 0;
  #qLength = 0;

  /** Inserts since the last full sweep, to sweep at most once per quarter of the bound. */
  #sinceSweep = 0;
  /** Authenticators at or before this time (µs) are refused until #floorExpires (see module doc). */
  #floorUs = Number.NEGATIVE_INFINITY;
  #floorExpires = Number.NEGATIVE_INFINITY;
  /**
   * Authenticators evicted early that were dated after their eviction (within
   * the skew): fingerprints of their identities in two generations, the
   * current one and the one before (allocated at the first such eviction).
   */
  #ahead: [current: AheadGeneration, previous: AheadGeneration] | undefined;
  /** When the current generation of #ahead began. */
  #aheadSince = 0;

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

  /** How long an authenticator is remembered past its time, in milliseconds. */
  get windowMs(): number {
    return this.#windowMs;
  }

  /**
   * Records `entry`, or throws KRB_AP_ERR_REPEAT if the same authenticator was
   * seen within the window (or is older than an authenticator the cache had
   * to evict early).
   */
  check(entry: ReplayEntry): void {
    const now = this.#clock.now();
    readId(entry);
    const a = idA;
    const b = idB;
    const t = entry.ctime * 1000 + entry.cusec;
    // Kept for as long as the skew check can pass it: while now <= ctime (with cusec's milliseconds)
    // + skew. The whole second alone would forget it up to 999 ms early, and let a replay in then.
    const expires = entry.ctime + Math.floor(entry.cusec / 1000) + this.#windowMs + 1;
    const slot = this.#find(a, b);
    if (slot >= 0 && this.#table[3 * slot]! <= now) {
      this.#delete(slot); // expired: as if absent
    } else if (slot >= 0) {
      throw new KerberosError(
        ErrorCode.KRB_AP_ERR_REPEAT,
        `replayed authenticator from ${entry.client} for ${entry.server} (ctime ${new Date(entry.ctime).toISOString()}, cusec ${entry.cusec}); a client must build a fresh AP-REQ for each authentication`,
      );
    }
    // Outside the window: a service refuses it for clock skew; nothing to remember.
    if (expires <= now) return;
    if ((now < this.#floorExpires && t <= this.#floorUs) || this.#evictedAhead(a, b, now)) {
      throw new KerberosError(
        ErrorCode.KRB_AP_ERR_REPEAT,
        `authenticator from ${entry.client} for ${entry.server} is older than entries the replay cache had to drop under load, so it cannot be shown not to be a replay; retry with a fresh AP-REQ`,
      );
    }
    this.#makeRoom(now);
    if (2 * (this.#size + 1) > this.#mask + 1 && this.#mask + 1 < this.#maxSlots) this.#grow();
    this.#place(a, b, expires);
    this.#enqueue(a, b, expires, t);
    this.#sinceSweep++;
  }

  /** The two generations of #ahead, the older cleared once nothing it holds can be live. */
  #aheadGenerations(now: number): [AheadGeneration, AheadGeneration] | undefined {
    const ahead = this.#ahead;
    if (ahead === undefined) return undefined;
    // An entry is live until at most its arrival + 2 windows (dated a skew ahead, kept a window past
    // it): a generation is cleared two periods after it began, at least that long after its last entry.
    const period = 2 * this.#windowMs + AHEAD_MARGIN_MS;
    if (now >= this.#aheadSince + 2 * period) {
      this.#ahead = [new AheadGeneration(), new AheadGeneration()];
      this.#aheadSince = now;
    } else if (now >= this.#aheadSince + period) {
      this.#ahead = [new AheadGeneration(), ahead[0]];
      this.#aheadSince += period;
    }
    return this.#ahead;
  }

  #rememberAhead(a: number, b: number, now: number): void {
    if (this.#ahead === undefined) {
      this.#ahead = [new AheadGeneration(), new AheadGeneration()];
      this.#aheadSince = now;
    }
    this.#aheadGenerations(now)![0].add(a, b);
  }

  /** True when (a, b) may be an evicted authenticator dated ahead (never a false no). */
  #evictedAhead(a: number, b: number, now: number): boolean {
    const generations = this.#aheadGenerations(now);
    return generations !== undefined && (generations[0].has(a, b) || generations[1].has(a, b));
  }

  /** Drops expired entries; returns how many went. */
  prune(): number {
    return this.#sweep(this.#clock.now());
  }

  /** The slot the identity (a, b) hashes to. Tags are MACs (uniform), but callers may pass anything: mix. */
  #home(a: number, b: number): number {
    return mix(a, b) & this.#mask;
  }

  /** The slot holding the identity (a, b), or -1. */
  #find(a: number, b: number): number {
    const table = this.#table;
    const mask = this.#mask;
    for (let i = this.#home(a, b); ; i = (i + 1) & mask) {
      const w = 3 * i;
      if (table[w] === 0) return -1;
      if (table[w + 1] === a && table[w + 2] === b) return i;
    }
  }

  /** Stores the identity (a, b), known absent, with `expires` (the table has room). */
  #place(a: number, b: number, expires: number): void {
    const table = this.#table;
    let i = this.#home(a, b);
    while (table[3 * i] !== 0) i = (i + 1) & this.#mask;
    const w = 3 * i;
    table[w] = expires;
    table[w + 1] = a;
    table[w + 2] = b;
    this.#size++;
  }

  /** Empties `slot`, shifting later entries of its probe run back (no tombstones). */
  #delete(slot: number): void {
    const table = this.#table;
    const mask = this.#mask;
    let hole = slot;
    for (let i = (slot + 1) & mask; table[3 * i] !== 0; i = (i + 1) & mask) {
      const w = 3 * i;
      const home = this.#home(table[w + 1]!, table[w + 2]!);
      // Move the entry into the hole unless its home lies cyclically in (hole, i].
      if (hole <= i ? home <= hole || home > i : home <= hole && home > i) {
        const h = 3 * hole;
        table[h] = table[w]!;
        table[h + 1] = table[w + 1]!;
        table[h + 2] = table[w + 2]!;
        hole = i;
      }
    }
    const h = 3 * hole;
    table[h] = 0;
    table[h + 1] = 0;
    table[h + 2] = 0;
    this.#size--;
  }

  /** Doubles the table (it never grows past #maxSlots). */
  #grow(): void {
    const old = this.#table;
    const slots = 2 * (this.#mask + 1);
    this.#table = new Float64Array(3 * slots);
    this.#mask = slots - 1;
    this.#size = 0;
    for (let w = 0; w < old.length; w += 3) {
      if (old[w] !== 0) this.#place(old[w + 1]!, old[w + 2]!, old[w]!);
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
      const e = table[3 * i]!;
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
    const queue = this.#queue;
    const r = 4 * q;
    const slot = this.#find(queue[r]!, queue[r + 1]!);
    return slot >= 0 && this.#table[3 * slot] === queue[r + 2] ? slot : -1;
  }

  #makeRoom(now: number): void {
    const queue = this.#queue;
    // Expired records at the front of the queue go first, at O(1) each.
    while (this.#qLength > 0) {
      const q = this.#qHead;
      if (queue[4 * q + 2]! > now) break;
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
        // so its replay is still refused. One dated after now (a client clock ahead,
        // or a flood dated so on purpose) would raise that mark past every fresh
        // authenticator: its identity goes to a filter instead, and the mark stays.
        const e = queue[4 * q + 2]!;
        const tu = queue[4 * q + 3]!;
        if (tu > now * 1000) {
          this.#rememberAhead(queue[4 * q]!, queue[4 * q + 1]!, now);
        } else if (now >= this.#floorExpires) {
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
    this.#qHead = this.#qHead + 1 === this.#queue.length / 4 ? 0 : this.#qHead + 1;
    this.#qLength--;
  }

  /** Appends a record to the queue, growing or compacting it when full. */
  #enqueue(a: number, b: number, expires: number, timeUs: number): void {
    const full = this.#queue.length / 4;
    if (this.#qLength === full)
      this.#resizeQueue(full < 2 * this.#max ? Math.min(2 * full, 2 * this.#max) : full);
    const r = 4 * ((this.#qHead + this.#qLength) % (this.#queue.length / 4));
    const queue = this.#queue;
    queue[r] = a;
    queue[r + 1] = b;
    queue[r + 2] = expires;
    queue[r + 3] = timeUs;
    this.#qLength++;
  }

  /**
   * Copies the queue, in order, into room for `cap` records. At the queue's
   * largest (twice the bound, with at most the bound live) stale records are
   * dropped, which frees at least half: amortized O(1) per insert.
   */
  #resizeQueue(cap: number): void {
    const old = this.#queue;
    const oldCap = old.length / 4;
    const compact = cap === oldCap;
    const queue = new Float64Array(4 * cap);
    let n = 0;
    for (let j = 0; j < this.#qLength; j++) {
      const q = (this.#qHead + j) % oldCap;
      if (compact && this.#liveSlot(q) < 0) continue;
      queue.set(old.subarray(4 * q, 4 * q + 4), 4 * n++);
    }
    this.#queue = queue;
    this.#qHead = 0;
    this.#qLength = n;
  }
}
