/**
 * Keys that do not print their bytes. Security: results that carry a key
 * (an accepted AP-REQ's session key and subkeys, a lab session) end up in
 * `console.log`, test failure diffs, JSON logs and error reports. A key made
 * here prints and serializes as `{ etype: 18, bytes: '<redacted 32 bytes>' }`
 * while `.etype` and `.bytes` stay readable, so it is still a {@link Key}
 * for every crypto function.
 *
 * Performance: one small object per key, its methods on a shared prototype;
 * the key bytes are shared, never copied.
 *
 * @module
 */

import type { Key } from './rfc3961/profile';

const INSPECT = Symbol.for('nodejs.util.inspect.custom');

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

/**
 * The same key (same etype, the same bytes object), printing as
 * `{ etype, bytes: '<redacted N bytes>' }` under `util.inspect` and
 * `JSON.stringify`. Its own enumerable properties are `etype` and `bytes`, as
 * a plain key's, so comparisons by value (`toEqual`) see no difference.
 *
 * @example
 * ```ts
 * const k = redactedKey(generateKey(18));
 * console.log(k);              // { etype: 18, bytes: '<redacted 32 bytes>' }
 * decrypt(k, usage, cipher);   // still a key
 * ```
 */
export function redactedKey(key: Key): Key {
  return new RedactedKey(key.etype, key.bytes);
}

/** {@link redactedKey} for an RFC 4120 EncryptionKey (`keytype`, `keyvalue`), as in a decoded ticket. */
export function redactedEncryptionKey(key: EncryptionKeyLike): EncryptionKeyLike {
  return new RedactedEncryptionKey(key.keytype, key.keyvalue);
}
