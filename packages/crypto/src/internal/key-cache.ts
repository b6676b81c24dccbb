/**
 * The derived-key cache: one {@link KeyState} per key object, so the
 * per-usage keys (Ke, Ki, Kc, RC4's K1) and the AES contexts built on them
 * are computed once and die with the key.
 *
 * Two levels. A new key's state goes into a small ring of recent keys, held
 * strongly; a key used a third time moves to a WeakMap keyed by the key
 * object. Performance: most keys are used once or twice (an AP-REQ's session
 * key decrypts one authenticator and perhaps encrypts one AP-REP), and a
 * WeakMap entry is costly for those: V8 keeps an ephemeron's value graph
 * alive through young-generation collections, so every state put there is
 * promoted and later collected by a full mark-compact (measured: about 4 us
 * per key, more than the cryptography). A state that leaves the ring
 * without a third use is dropped; a later use rebuilds it. A long-term key
 * (a principal's key in a KDC's database, used once an exchange and
 * perhaps not again for a thousand others) is declared with
 * {@link retainKeyState}: its state goes to the WeakMap when first built,
 * as it lives as long as the key does anyway.
 *
 * This is also the boundary check for keys: a key is validated (supported
 * etype, byte length) when its state is built, and only then.
 *
 * @module
 */

import { equalBytes } from '@krbsim/core';
import { specFor } from '../registry';
import type { Key, KeyState } from '../rfc3961/profile';
import { invalidInput } from './errors';

const cache = new WeakMap<object, KeyState>();
/** The keys declared long-term with {@link retainKeyState}. */
const longTerm = new WeakSet<object>();

/** How many recent keys the ring holds strongly. */
const RECENT = 32;
/** Uses that move a key from the ring to the WeakMap. */
const PROMOTE_AT_USES = 3;
const recentKeys: (object | undefined)[] = new Array(RECENT).fill(undefined);
const recentStates: (KeyState | undefined)[] = new Array(RECENT).fill(undefined);
const recentUses = new Uint8Array(RECENT);
let recentNext = 0;

/** True when `state` is still the state of `key` (its etype and bytes unchanged in place). */
function current(state: KeyState, key: Key): boolean {
  return (
    state.spec.etype === key.etype && key.bytes instanceof Uint8Array && equalBytes(state.bytes, key.bytes)
  );
}

function build(key: Key): KeyState {
  if (typeof key !== 'object' || key === null) throw invalidInput('a key must be an { etype, bytes } object');
  const spec = specFor(key.etype);
  const bytes: unknown = key.bytes;
  if (!(bytes instanceof Uint8Array)) throw invalidInput(`${spec.name} key bytes must be a Uint8Array`);
  if (bytes.length !== spec.keyBytes) {
    throw invalidInput(`${spec.name} key must be ${spec.keyBytes} bytes, got ${bytes.length}`);
  }
  return {
    spec,
    bytes: new Uint8Array(bytes),
    enc: new Map(),
    cksum: new Map(),
    extra: undefined,
    ksign: undefined,
  };
}

/**
 * The cached state of `key`, built (and the key validated) on first use.
 * A state whose key bytes or etype were changed in place is rebuilt.
 *
 * @throws KerberosError KDC_ERR_ETYPE_NOSUPP or KRB_ERR_GENERIC for a bad key.
 */
export function keyState(key: Key): KeyState {
  if (typeof key !== 'object' || key === null) return build(key);
  const cached = cache.get(key);
  if (cached !== undefined && current(cached, key)) return cached;
  for (let i = 0; i < RECENT; i++) {
    if (recentKeys[i] !== key) continue;
    const state = recentStates[i]!;
    if (!current(state, key)) {
      recentKeys[i] = undefined; // changed in place: rebuilt below
      recentStates[i] = undefined;
      break;
    }
    if (++recentUses[i]! >= PROMOTE_AT_USES) {
      cache.set(key, state);
      recentKeys[i] = undefined;
      recentStates[i] = undefined;
    }
    return state;
  }
  const state = build(key);
  if (longTerm.has(key)) {
    cache.set(key, state);
    return state;
  }
  const slot = recentNext;
  recentNext = (slot + 1) % RECENT;
  recentKeys[slot] = key;
  recentStates[slot] = state;
  recentUses[slot] = 1;
  return state;
}

/**
 * Declares `key` a long-term key: the state derived from it (the per-usage
 * keys and the cipher contexts built on them) is kept, once built, for as
 * long as the key object lives, instead of passing through the small ring of
 * recent keys meant for session keys, whose state is dropped when a key is
 * used fewer than three times before 32 other keys' states are built. For
 * the keys a KDC or a service holds for many peers: each may be used once an
 * exchange, with a thousand others in between, and would otherwise have its
 * state derived again on every use.
 *
 * For long-term keys only: the mark cannot be undone, and each retained
 * key's state (about 1-2 KB a usage, mostly native cipher contexts) lives as
 * long as the key object; a session key marked so would cost the garbage
 * collection the ring avoids. Declare a key before its first use (a key
 * already in the ring waits for its third use). Idempotent; the key is not
 * validated here, but by its first use.
 */
export function retainKeyState(key: Key): void {
  if (typeof key === 'object' && key !== null) longTerm.add(key);
}

/** Throws KRB_ERR_GENERIC unless `usage` is an unsigned 32-bit integer (RFC 3961 section 3). */
export function checkUsage(usage: number): void {
  if (typeof usage !== 'number' || !Number.isInteger(usage) || usage < 0 || usage > 0xffffffff) {
    throw invalidInput('key usage must be an integer between 0 and 2^32 - 1');
  }
}
