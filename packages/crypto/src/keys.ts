/**
 * Making keys: string-to-key, random-to-key and fresh random keys
 * (RFC 3961 section 3), and the RFC 4120 section 4 default salt.
 *
 * Security: every key made here is frozen and prints and serializes as
 * `{ etype, bytes: '<redacted N bytes>' }` (`redact.ts`), its bytes readable
 * as `.bytes`.
 *
 * @module
 */

import type { RandomSource } from '@krbsim/core';
import { toBytes } from './internal/bytes';
import { invalidInput } from './internal/errors';
import { randomKeyBytes } from './internal/random';
import { newKey } from './redact';
import { specFor } from './registry';
import type { Key } from './rfc3961/profile';

/**
 * string-to-key: a long-term key from a password (RFC 3961 section 3, with
 * each etype's definition: RFC 3962 section 4, RFC 8009 section 4, RFC 4757
 * section 3).
 *
 * @param etype - the encryption type of the key.
 * @param password - the password; strings are encoded as UTF-8 (as UTF-16LE
 *   for rc4-hmac), byte arrays are used as given (read as UTF-8 for rc4-hmac).
 * @param salt - the salt, usually `salt(realm, nameComponents)` (the function) or the
 *   salt from ETYPE-INFO2; strings are encoded as UTF-8. rc4-hmac ignores it.
 * @param params - s2kparams as carried in ETYPE-INFO2: for AES a 4-byte
 *   big-endian PBKDF2 iteration count; empty or omitted for the etype default
 *   (4096 for RFC 3962, 32768 for RFC 8009). rc4-hmac accepts none.
 * @returns a new, frozen key, printing redacted (`redactedKey`).
 * @throws KerberosError KDC_ERR_ETYPE_NOSUPP for an unsupported etype;
 *   KRB_ERR_GENERIC for bad s2kparams (wrong length, an iteration count of 0
 *   or above 16,777,216) or a password with no Unicode form.
 *
 * @example
 * ```ts
 * const key = stringToKey(EncType.AES256_CTS_HMAC_SHA1_96, 'password', salt('EXAMPLE.COM', ['alice']));
 * ```
 */
export function stringToKey(
  etype: number,
  password: string | Uint8Array,
  salt: string | Uint8Array,
  params?: Uint8Array,
): Key {
  const spec = specFor(etype);
  if (typeof password !== 'string' && !(password instanceof Uint8Array)) {
    throw invalidInput('password must be a string or a Uint8Array');
  }
  if (params !== undefined && !(params instanceof Uint8Array))
    throw invalidInput('s2kparams must be a Uint8Array');
  const bytes = spec.family.stringToKey(spec, password, toBytes(salt, 'salt'), params ?? new Uint8Array(0));
  return newKey(etype, bytes);
}

/**
 * random-to-key: a key from `seedBytes` uniformly random bytes (RFC 3961
 * section 3). For every supported etype this is the identity; the bytes are
 * copied.
 *
 * @throws KerberosError KDC_ERR_ETYPE_NOSUPP; KRB_ERR_GENERIC if `random` is
 *   not exactly the etype's seed length.
 */
export function randomToKey(etype: number, random: Uint8Array): Key {
  const spec = specFor(etype);
  if (!(random instanceof Uint8Array) || random.length !== spec.seedBytes) {
    throw invalidInput(
      `${spec.name} random-to-key needs ${spec.seedBytes} bytes, got ${random instanceof Uint8Array ? random.length : typeof random}`,
    );
  }
  return newKey(etype, spec.family.randomToKey(spec, random));
}

/**
 * A fresh random key (session keys, subkeys), from `options.random`
 * (default: the OS CSPRNG, `systemRandom`).
 *
 * @throws KerberosError KDC_ERR_ETYPE_NOSUPP for an unsupported etype.
 *
 * @example
 * ```ts
 * const sessionKey = generateKey(EncType.AES256_CTS_HMAC_SHA384_192);
 * const seeded = generateKey(18, { random: new SeededRandom(1) }); // reproducible
 * ```
 */
export function generateKey(etype: number, options?: { random?: RandomSource }): Key {
  const spec = specFor(etype);
  const seed = randomKeyBytes(options?.random, spec.seedBytes);
  try {
    return newKey(etype, spec.family.randomToKey(spec, seed));
  } finally {
    seed.fill(0);
  }
}

/**
 * The default salt of a principal (RFC 4120 section 4): the realm followed
 * by the name components, concatenated with no separators.
 *
 * @example
 * ```ts
 * salt('EXAMPLE.COM', ['host', 'www.example.com']); // 'EXAMPLE.COMhostwww.example.com'
 * ```
 */
export function salt(realm: string, components: readonly string[]): string {
  return realm + components.join('');
}
