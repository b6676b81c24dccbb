/**
 * Keys that do not print their bytes. Security: results that carry a key
 * (an accepted AP-REQ's session key and subkeys, a lab session) end up in
 * `console.log`, test failure diffs, JSON logs and error reports. A key made
 * here prints and serializes as `{ etype: 18, bytes: '<redacted 32 bytes>' }`
 * while `.etype` and `.bytes` stay readable, so it is still a {@link Key}
 * for every crypto function.
 *
 * Every key this package hands out is one: `generateKey`, `randomToKey`,
 * `stringToKey`, `cf2` and the FAST keys made from it, the string-to-key
 * cache's and deferred keys. {@link redactedKey} makes one of a caller's key.
 *
 * Performance: one small object per key, its methods on a shared prototype
 * (no getter, no per-key closure, no proxy: reading `.etype` and `.bytes` is
 * a plain field load); the key bytes are shared, never copied. The
 * derived-key cache keys on the object, so a key keeps its identity.
 *
 * @module
 */

import type { Key } from './rfc3961/profile';

const INSPECT = Symbol.for('nodejs.util.inspect.custom');

/**
 * The brand of a key object that already prints redacted (on the prototype
 * of {@link RedactedKey} and of the string-to-key cache's deferred keys):
 * {@link redactedKey} hands such a key back as it is.
 */
export const REDACTED_KEY: unique symbol = Symbol('@krbsim/crypto:redacted-key');

/** What a redacted key shows in place of its bytes. */
function redactedBytes(bytes: Uint8Array): string {
  return `<redacted ${bytes.length} bytes>`;
}

class RedactedKey implements Key {
  readonly etype: number;
  readonly bytes: Uint8Array;

  constructor(etype: number, bytes: Uint8Array) {
    this.etype = etype;
    this.bytes = bytes;
  }

  toJSON(): { etype: number; bytes: string } {
    return { etype: this.etype, bytes: redactedBytes(this.bytes) };
  }

  [INSPECT](): { etype: number; bytes: string } {
    return this.toJSON();
  }
}
Object.defineProperty(RedactedKey.prototype, REDACTED_KEY, { value: true });

/** Whether `key` is a key object of this package that prints redacted already. */
function isRedactedKey(key: Key): boolean {
  return (key as { [REDACTED_KEY]?: unknown })[REDACTED_KEY] === true;
}

/**
 * A new, frozen key of `etype` over `bytes` (not copied), printing redacted:
 * what every key-making function of this package returns.
 */
export function newKey(etype: number, bytes: Uint8Array): Key {
  return Object.freeze(new RedactedKey(etype, bytes));
}

/** A key in the shape of RFC 4120's EncryptionKey (`@krbsim/asn1`): keytype, keyvalue. */
export interface EncryptionKeyLike {
  readonly keytype: number;
  readonly keyvalue: Uint8Array;
}

class RedactedEncryptionKey implements EncryptionKeyLike {
  readonly keytype: number;
  readonly keyvalue: Uint8Array;

  constructor(keytype: number, keyvalue: Uint8Array) {
    this.keytype = keytype;
    this.keyvalue = keyvalue;
  }

  toJSON(): { keytype: number; keyvalue: string } {
    return { keytype: this.keytype, keyvalue: redactedBytes(this.keyvalue) };
  }

  [INSPECT](): { keytype: number; keyvalue: string } {
    return this.toJSON();
  }
}
Object.defineProperty(RedactedEncryptionKey.prototype, REDACTED_KEY, { value: true });

/**
 * The same key (same etype, the same bytes object), printing as
 * `{ etype, bytes: '<redacted N bytes>' }` under `util.inspect` and
 * `JSON.stringify`. Its own enumerable properties are `etype` and `bytes`, as
 * a plain key's, so comparisons by value (`toEqual`) see no difference. A key
 * that prints redacted already (any key this package made) is returned as it
 * is: its identity, and the derived keys cached for it, are kept, and a
 * deferred key is not derived.
 *
 * @example
 * ```ts
 * const k = redactedKey(generateKey(18));
 * console.log(k);              // { etype: 18, bytes: '<redacted 32 bytes>' }
 * decrypt(k, usage, cipher);   // still a key
 * ```
 */
export function redactedKey(key: Key): Key {
  if (isRedactedKey(key)) return key;
  return new RedactedKey(key.etype, key.bytes);
}

/**
 * {@link redactedKey} for an RFC 4120 EncryptionKey (`keytype`, `keyvalue`), as in a decoded
 * ticket; one made here already is returned as it is.
 */
export function redactedEncryptionKey(key: EncryptionKeyLike): EncryptionKeyLike {
  if ((key as { [REDACTED_KEY]?: unknown })[REDACTED_KEY] === true) return key;
  return new RedactedEncryptionKey(key.keytype, key.keyvalue);
}
