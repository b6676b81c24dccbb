/**
 * The derived-key cache: one {@link KeyState} per key object, in a WeakMap,
 * so the per-usage keys (Ke, Ki, Kc, RC4's K1) and the AES contexts built on
 * them are computed once and die with the key.
 *
 * This is also the boundary check for keys: a key is validated (supported
 * etype, byte length) when its state is built, and only then.
 *
 * @module
 */

import { specFor } from '../registry';
import type { Key, KeyState } from '../rfc3961/profile';
import { invalidInput } from './errors';

const cache = new WeakMap<object, KeyState>();

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function build(key: Key): KeyState {
  if (typeof key !== 'object' || key === null) throw invalidInput('a key must be an { etype, bytes } object');
  const spec = specFor(key.etype);
  const bytes: unknown = key.bytes;
  if (!(bytes instanceof Uint8Array)) throw invalidInput(`${spec.name} key bytes must be a Uint8Array`);
  if (bytes.length !== spec.keyBytes) {
    throw invalidInput(`${spec.name} key must be ${spec.keyBytes} bytes, got ${bytes.length}`);
  }
  const state: KeyState = {
    spec,
    bytes: new Uint8Array(bytes),
    enc: new Map(),
    cksum: new Map(),
    extra: undefined,
  };
  cache.set(key, state);
  return state;
}

/**
 * The cached state of `key`, built (and the key validated) on first use.
 * A state whose key bytes or etype were changed in place is rebuilt.
 *
 * @throws KerberosError KDC_ERR_ETYPE_NOSUPP or KRB_ERR_GENERIC for a bad key.
 */
export function keyState(key: Key): KeyState {
  const state = typeof key === 'object' && key !== null ? cache.get(key) : undefined;
  if (state !== undefined && state.spec.etype === key.etype && key.bytes instanceof Uint8Array) {
    if (sameBytes(state.bytes, key.bytes)) return state;
  }
  return build(key);
}

/** Throws KRB_ERR_GENERIC unless `usage` is an unsigned 32-bit integer (RFC 3961 section 3). */
export function checkUsage(usage: number): void {
  if (typeof usage !== 'number' || !Number.isInteger(usage) || usage < 0 || usage > 0xffffffff) {
    throw invalidInput('key usage must be an integer between 0 and 2^32 - 1');
  }
}
