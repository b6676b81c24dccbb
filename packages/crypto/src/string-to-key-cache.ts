/**
 * Reusing string-to-key results (RFC 3961 section 3). string-to-key is
 * thousands of PBKDF2 rounds (4,096 for RFC 3962, 32,768 for RFC 8009) and
 * it is a pure function of (etype, password, salt, s2kparams), so a process
 * that derives the same key twice (a KDC and a client of one lab, a test
 * suite that builds a realm per test, a client logging on again) can keep
 * the first result.
 *
 * - {@link StringToKeyCache}: a bounded cache (least recently used out) in
 *   front of {@link stringToKey}; {@link cachedStringToKey} is the shared,
 *   process-wide one.
 * - {@link deferredStringToKey}: a key whose bytes are derived (through a
 *   cache) the first time they are read, so a realm holding a user's keys of
 *   four etypes pays only for the etypes the exchanges use.
 *
 * Security. The cache holds keys, which are as sensitive as the password:
 * - entries are found by an HMAC-SHA-256 of the inputs under a random key
 *   made per process, so no password or salt is kept as a map key;
 * - every key it hands out prints and serializes as `<redacted N bytes>`
 *   (`redactedKey`), and the cache itself shows only its counts;
 * - each entry keeps a private copy of the bytes and hands out another; a
 *   caller that changes a key in place gets a fresh copy next time, and an
 *   entry's private copy is zeroed when it is evicted or cleared.
 * A deferred key holds its password until first use, then drops it.
 *
 * @module
 */

import { createHmac, randomBytes } from 'node:crypto';
import { equalBytes } from '@krbsim/core';
import { toBytes } from './internal/bytes';
import { invalidInput } from './internal/errors';
import { stringToKey } from './keys';
import { REDACTED_KEY, redactedKey } from './redact';
import { specFor } from './registry';
import type { Key } from './rfc3961/profile';

const INSPECT = Symbol.for('nodejs.util.inspect.custom');

/** The signature of {@link stringToKey}, for a cache's `derive` option. */
export type StringToKeyFunction = (
  etype: number,
  password: string | Uint8Array,
  salt: string | Uint8Array,
  params?: Uint8Array,
) => Key;

/** Options for {@link StringToKeyCache}. */
export interface StringToKeyCacheOptions {
  /** Keys kept at most; the least recently used goes first. Default 256. */
  readonly maxEntries?: number;
  /** What derives a key on a miss. Default {@link stringToKey}. */
  readonly derive?: StringToKeyFunction;
}

/** What a {@link StringToKeyCache} shows of itself: counts, never keys. */
export interface StringToKeyCacheStats {
  readonly size: number;
  readonly maxEntries: number;
  readonly hits: number;
  readonly misses: number;
}

interface Entry {
  /** The entry's own copy of the key bytes. */
  readonly bytes: Uint8Array;
  /** The key handed out (redacted), replaced if a caller changed it in place. */
  key: Key;
}

/** Per-process HMAC key for fingerprints: entries cannot be matched across processes. */
const FINGERPRINT_KEY = randomBytes(32);

function lengthPrefixed(h: ReturnType<typeof createHmac>, bytes: Uint8Array): void {
  const n = Buffer.allocUnsafe(4);
  n.writeUInt32BE(bytes.length);
  h.update(n).update(bytes);
}

/**
 * HMAC-SHA-256 of (etype, s2kparams, salt, password), each length-prefixed,
 * the password tagged as text or bytes. Throws as {@link stringToKey} does for
 * a password or salt with no UTF-8 form or of the wrong type.
 */
function fingerprint(
  etype: number,
  password: string | Uint8Array,
  salt: string | Uint8Array,
  params: Uint8Array | undefined,
): string {
  if (params !== undefined && !(params instanceof Uint8Array))
    throw invalidInput('s2kparams must be a Uint8Array');
  const h = createHmac('sha256', FINGERPRINT_KEY);
  const head = Buffer.allocUnsafe(5);
  head.writeUInt32BE(etype >>> 0);
  head[4] = typeof password === 'string' ? 1 : 2;
  h.update(head);
  lengthPrefixed(h, params ?? new Uint8Array(0));
  lengthPrefixed(h, toBytes(salt, 'salt'));
  lengthPrefixed(h, toBytes(password, 'password'));
  return h.digest('base64');
}

/**
 * A bounded cache of string-to-key results by etype, password, salt and
 * s2kparams (see the module documentation for what it keeps and shows).
 *
 * @example
 * ```ts
 * const cache = new StringToKeyCache({ maxEntries: 16 });
 * const a = cache.get(18, 'password', 'EXAMPLE.COMalice'); // PBKDF2 runs
 * const b = cache.get(18, 'password', 'EXAMPLE.COMalice'); // the same key, no PBKDF2
 * ```
 */
export class StringToKeyCache {
  readonly maxEntries: number;
  readonly #derive: StringToKeyFunction;
  /** Insertion order is recency: a hit moves its entry to the end. */
  readonly #entries = new Map<string, Entry>();
  #hits = 0;
  #misses = 0;

  constructor(options: StringToKeyCacheOptions = {}) {
    const max = options.maxEntries ?? 256;
    if (!Number.isInteger(max) || max < 1)
      throw new RangeError(`maxEntries must be a positive integer, got ${max}`);
    this.maxEntries = max;
    this.#derive = options.derive ?? stringToKey;
  }

  /**
   * `stringToKey(etype, password, salt, params)`, derived once per distinct
   * input while the entry stays in the cache. The key is redacted; treat it
   * as immutable (a changed key is noticed and not handed out again).
   *
   * @throws whatever {@link stringToKey} throws for the same input (nothing is cached then).
   */
  get(etype: number, password: string | Uint8Array, salt: string | Uint8Array, params?: Uint8Array): Key {
    const id = fingerprint(etype, password, salt, params);
    const hit = this.#entries.get(id);
    if (hit !== undefined) {
      this.#hits++;
      this.#entries.delete(id);
      this.#entries.set(id, hit);
      if (hit.key.etype !== etype || !equalBytes(hit.key.bytes, hit.bytes)) {
        hit.key = redactedKey({ etype, bytes: new Uint8Array(hit.bytes) });
      }
      return hit.key;
    }
    this.#misses++;
    const derived = this.#derive(etype, password, salt, params);
    const entry: Entry = {
      bytes: new Uint8Array(derived.bytes),
      key: redactedKey({ etype: derived.etype, bytes: new Uint8Array(derived.bytes) }),
    };
    this.#entries.set(id, entry);
    if (this.#entries.size > this.maxEntries) {
      const [oldest, old] = this.#entries.entries().next().value as [string, Entry];
      this.#entries.delete(oldest);
      old.bytes.fill(0); // Security: the handed-out copies belong to their holders.
    }
    return entry.key;
  }

  /** Keys held now. */
  get size(): number {
    return this.#entries.size;
  }

  /** Counts since the cache was made. */
  get stats(): StringToKeyCacheStats {
    return { size: this.#entries.size, maxEntries: this.maxEntries, hits: this.#hits, misses: this.#misses };
  }

  /** Forget every key (their private copies are zeroed). */
  clear(): void {
    for (const e of this.#entries.values()) e.bytes.fill(0);
    this.#entries.clear();
  }

  toJSON(): StringToKeyCacheStats {
    return this.stats;
  }

  [INSPECT](): string {
    const s = this.stats;
    return `StringToKeyCache { size: ${s.size}, maxEntries: ${s.maxEntries}, hits: ${s.hits}, misses: ${s.misses} }`;
  }
}

/** The process-wide cache behind {@link cachedStringToKey} (256 keys). */
export const sharedStringToKeyCache = new StringToKeyCache();

/**
 * {@link stringToKey} through the process-wide {@link sharedStringToKeyCache}:
 * the same inputs give the same (redacted) key object, derived once.
 */
export function cachedStringToKey(
  etype: number,
  password: string | Uint8Array,
  salt: string | Uint8Array,
  params?: Uint8Array,
): Key {
  return sharedStringToKeyCache.get(etype, password, salt, params);
}

/** A key whose bytes are derived on first read; see {@link deferredStringToKey}. */
class DeferredKey implements Key {
  declare readonly bytes: Uint8Array;
  readonly etype: number;

  constructor(etype: number, keyBytes: number, derive: () => Key) {
    this.etype = etype;
    let pending: (() => Key) | undefined = derive;
    // An own, enumerable accessor, replaced by a plain property once derived:
    // `{ ...key }`, `toEqual` and structured copies see `bytes` as on any key.
    Object.defineProperty(this, 'bytes', {
      configurable: true,
      enumerable: true,
      get: () => {
        const key = pending!();
        pending = undefined; // drops the password
        Object.defineProperty(this, 'bytes', { value: key.bytes, enumerable: true, writable: false });
        return key.bytes;
      },
    });
    // What the key shows before and after derivation, without deriving.
    Object.defineProperty(this, 'toJSON', {
      value: () => ({ etype, bytes: `<redacted ${keyBytes} bytes>` }),
    });
    Object.defineProperty(this, INSPECT, { value: () => ({ etype, bytes: `<redacted ${keyBytes} bytes>` }) });
  }
}
// Prints redacted already: `redactedKey` hands it back as it is, underived.
Object.defineProperty(DeferredKey.prototype, REDACTED_KEY, { value: true });

/**
 * A key from a password whose string-to-key runs the first time its bytes
 * are read, through `cache` (default: the process-wide one). Its etype is
 * known at once, and it prints as a redacted key without deriving anything.
 * The etype, password and salt are checked now (the errors of
 * {@link stringToKey}); an s2kparams iteration count is checked when the key
 * is derived.
 *
 * @example
 * ```ts
 * const keys = [20, 19, 18, 17].map((e) => deferredStringToKey(e, 'password', 'EXAMPLE.COMalice'));
 * decrypt(keys[2], usage, cipher); // derives the etype-18 key only
 * ```
 */
export function deferredStringToKey(
  etype: number,
  password: string | Uint8Array,
  salt: string | Uint8Array,
  params?: Uint8Array,
  cache: StringToKeyCache = sharedStringToKeyCache,
): Key {
  const spec = specFor(etype);
  toBytes(password, 'password');
  toBytes(salt, 'salt');
  if (params !== undefined && !(params instanceof Uint8Array))
    throw invalidInput('s2kparams must be a Uint8Array');
  return new DeferredKey(etype, spec.keyBytes, () => cache.get(etype, password, salt, params));
}
