/**
 * Long-term keys of the principal database: derivation from a password and
 * salt (RFC 3961 section 3 string-to-key; default salt from RFC 4120
 * section 4), random keys (RFC 3961 random-to-key), key version numbers
 * (RFC 4120 section 5.2.9 `kvno`) with MS-KILE's read-only-DC branch in the
 * high 16 bits, and the etype choices a KDC makes.
 *
 * @module
 */

import type { EncryptionKey } from '@krbsim/asn1';
import { ErrorCode, KerberosError, type RandomSource } from '@krbsim/core';
import {
  salt as defaultSaltOf,
  deferredStringToKey,
  generateKey,
  type Key,
  redactedEncryptionKey,
  redactedKey,
  retainKeyState,
} from '@krbsim/crypto';
import { KdcError } from './krb-error';

/** One long-term key of a principal, with its version and the salt it was made with. */
export interface StoredKey {
  /** The full key version number, branch included (see {@link composeKvno}). */
  readonly kvno: number;
  readonly key: Key;
  /** The salt a client needs to derive this key from the password (ETYPE-INFO2). */
  readonly salt: string;
  /** Non-default string-to-key parameters, sent in ETYPE-INFO2 `s2kparams`. */
  readonly s2kparams?: Uint8Array;
}

/**
 * MS-KILE section 3.1.5.8 (read-only DCs): a krbtgt kvno's high 16 bits name
 * the branch (the RODC), the low 16 bits are the key version. Branch 0 is an
 * ordinary (writable) KDC.
 */
export function composeKvno(branchId: number, version: number): number {
  if (!Number.isInteger(branchId) || branchId < 0 || branchId > 0xffff) {
    throw new RangeError(`branch id must be 0..65535, got ${branchId}`);
  }
  if (!Number.isInteger(version) || version < 0 || version > 0xffff) {
    throw new RangeError(`key version must be 0..65535, got ${version}`);
  }
  return ((branchId << 16) | version) >>> 0;
}

/** Split a kvno into its MS-KILE read-only-DC branch and key version. */
export function splitKvno(kvno: number): { branchId: number; version: number } {
  return { branchId: (kvno >>> 16) & 0xffff, version: kvno & 0xffff };
}

/** The default salt of a principal: realm followed by its components (RFC 4120 section 4). */
export function defaultSalt(realm: string, components: readonly string[]): string {
  return saltToString(defaultSaltOf(realm, components as string[]));
}

/**
 * The salt AD gives the password keys of a user with a userPrincipalName: the realm, then the
 * UPN's name (what comes before its last `@`, the realm it names being replaced by the account's)
 * with its `/` left out, as the salt of a principal of those components is made. What Samba's
 * smb_krb5_salt_principal makes, tested against Windows (python/samba/tests/krb5/salt_tests.py:
 * `Foo16` keeps its case, `host/foo2` salts as `REALMhostfoo2`, `foo12@other.realm` as `REALMfoo12`).
 */
export function upnSalt(realm: string, upn: string): string {
  const at = upn.lastIndexOf('@');
  return `${realm}${(at < 0 ? upn : upn.slice(0, at)).split('/').join('')}`;
}

function saltToString(s: string | Uint8Array): string {
  return typeof s === 'string' ? s : new TextDecoder().decode(s);
}

/**
 * One key per etype from a password (RFC 3961 string-to-key). Performance:
 * string-to-key is 4,096 PBKDF2 rounds (aes-sha1) or 32,768 (aes-sha2), and a
 * realm rarely uses every etype of a principal (the strongest the client and
 * the realm share). So each key is derived the first time its bytes are read,
 * through the process-wide string-to-key cache (`deferredStringToKey`): the
 * etypes, salt and ETYPE-INFO2 are known at once, a key nobody uses is never
 * derived, and a client of the same process deriving the same key finds it.
 */
export function keysFromPassword(
  password: string,
  salt: string,
  etypes: readonly number[],
  kvno: number,
): StoredKey[] {
  return etypes.map((etype) => stored(deferredStringToKey(etype, password, salt), kvno, salt));
}

/** One fresh random key per etype (RFC 3961 random-to-key), from the injected source. */
export function randomKeys(
  etypes: readonly number[],
  random: RandomSource,
  kvno: number,
  salt: string,
): StoredKey[] {
  return etypes.map((etype) => stored(generateKey(etype, { random }), kvno, salt));
}

/** Wrap caller-supplied keys. */
export function givenKeys(keys: readonly Key[], kvno: number, salt: string): StoredKey[] {
  return keys.map((key) => stored(key, kvno, salt));
}

/**
 * A key of the database. Performance: the KDC may use it once an exchange
 * with many other principals' keys in between (a user's reply key, a
 * service's ticket key), so the state @krbsim/crypto derives from it is
 * kept while the key lives rather than derived again on each use.
 *
 * Security: the key stored prints and serializes as `<redacted N bytes>`
 * (`redactedKey`: the keys @krbsim/crypto makes are so already and are kept
 * as they are, a deferred key underived; a caller's plain key is wrapped, its
 * bytes shared), so a realm's entries, `keysFor` and the hooks' contexts
 * can be logged.
 */
function stored(key: Key, kvno: number, salt: string): StoredKey {
  const k = redactedKey(key);
  retainKeyState(k);
  return { kvno, key: k, salt };
}

/** The highest kvno in `keys` (0 when empty). */
export function currentKvno(keys: readonly StoredKey[]): number {
  let max = 0;
  for (const k of keys) if (k.kvno > max) max = k.kvno;
  return max;
}

/** The keys of the highest kvno. */
export function currentKeys(keys: readonly StoredKey[]): StoredKey[] {
  const kvno = currentKvno(keys);
  return keys.filter((k) => k.kvno === kvno);
}

/**
 * The key to decrypt `etype` data made under `kvno`. `kvno` undefined (the
 * field is optional on the wire) means the current version.
 */
export function findKey(keys: readonly StoredKey[], etype: number, kvno?: number): StoredKey | undefined {
  const v = kvno ?? currentKvno(keys);
  return keys.find((k) => k.kvno === v && k.key.etype === etype);
}

/**
 * The key of `keys` that opens a ticket sealed in `etype` and labelled `kvno`
 * (RFC 4120 section 3.2.3: "the server uses the key version number and
 * encryption type in the ticket to select its key"), else KRB_AP_ERR_NOKEY
 * when the version is held but not in that etype, KRB_AP_ERR_BADKEYVER when
 * the version is not held. With `newestStandsIn` (an inter-realm key in a
 * realm that is not `interRealmKvnoStrict`: AD tries its newest key), the
 * newest key of the etype opens a version not held, and a mismatch is a
 * ticket that does not decrypt. `whose` names the keys' owner in the error
 * (called only then: a name is not formatted on every request).
 *
 * @throws KdcError KRB_AP_ERR_NOKEY or KRB_AP_ERR_BADKEYVER.
 */
export function keyOpeningTicket(
  keys: readonly StoredKey[],
  etype: number,
  kvno: number | undefined,
  whose: () => string,
  newestStandsIn = false,
): StoredKey {
  const exact = findKey(keys, etype, kvno);
  if (exact !== undefined) return exact;
  if (kvno === undefined || keys.some((k) => k.kvno === kvno)) {
    throw new KdcError(ErrorCode.KRB_AP_ERR_NOKEY, `no key of etype ${etype} for ${whose()}`);
  }
  if (newestStandsIn) {
    const newest = findKey(keys, etype, currentKvno(keys));
    if (newest !== undefined) return newest;
  }
  throw new KdcError(
    ErrorCode.KRB_AP_ERR_BADKEYVER,
    `no key version ${kvno} for ${whose()} (current ${currentKvno(keys)})`,
  );
}

/**
 * The strongest etype (by `strength`, the realm's permitted list, strongest
 * first) that appears in every one of `sets`. This is how the KDC picks a
 * session key etype: strongest among what the client asked for, what the
 * server supports and what policy permits.
 */
function strongestCommon(
  strength: readonly number[],
  ...sets: readonly (readonly number[])[]
): number | undefined {
  return strength.find((e) => sets.every((s) => s.includes(e)));
}

/**
 * The etype of a new session key: for an MIT realm, the first of the client's
 * etypes (in its order of preference) that policy permits and the server
 * supports, as MIT's KDC chooses (RFC 4120 section 3.1.3 leaves it to the
 * KDC); for an AD realm, the strongest of those, as {@link strongestCommon}.
 */
export function sessionKeyEtype(
  kind: 'mit' | 'active-directory',
  permitted: readonly number[],
  requested: readonly number[],
  server: readonly number[],
): number | undefined {
  if (kind === 'mit') return requested.find((e) => permitted.includes(e) && server.includes(e));
  return strongestCommon(permitted, requested, server);
}

/**
 * The current key of `keys` with the strongest permitted etype (or exactly
 * `forced`), to encrypt a ticket for that principal.
 */
export function ticketKey(
  keys: readonly StoredKey[],
  strength: readonly number[],
  forced?: number,
): StoredKey | undefined {
  const cur = currentKeys(keys);
  if (forced !== undefined) return cur.find((k) => k.key.etype === forced);
  for (const e of strength) {
    const k = cur.find((s) => s.key.etype === e);
    if (k) return k;
  }
  return undefined;
}

/**
 * The krbtgt key the KDC signatures of a PAC are made with (the KDC, ticket
 * and extended KDC signatures, MS-PAC 2.8.2-2.8.5): the strongest current one
 * of `strength` (MS-KILE 3.3.5.6.4.4, "the strongest krbtgt account key"; MIT's
 * KDC signs with the krbtgt's first key, the same), whatever the ticket's key,
 * else its newest.
 */
export function kdcSignatureKey(krbtgtKeys: readonly StoredKey[], strength: readonly number[]): Key {
  return (ticketKey(krbtgtKeys, strength) ?? currentKeys(krbtgtKeys)[0]!).key;
}

/**
 * The kept krbtgt keys a KDC signature may have been made with, likeliest
 * first: the one {@link kdcSignatureKey} chooses now, then the others, newest
 * first. A signature made before a rotation still verifies while its key is
 * kept.
 */
export function kdcVerificationKeys(krbtgtKeys: readonly StoredKey[], strength: readonly number[]): Key[] {
  const now = kdcSignatureKey(krbtgtKeys, strength);
  const newestFirst = [...krbtgtKeys].sort((a, b) => b.kvno - a.kvno).map((k) => k.key);
  return [now, ...newestFirst.filter((k) => k !== now)];
}

/**
 * A crypto {@link Key} as the wire's EncryptionKey, printing redacted
 * (`redactedEncryptionKey`): a new ticket's session key, which the hooks see.
 */
export function toEncryptionKey(key: Key): EncryptionKey {
  return redactedEncryptionKey({ keytype: key.etype, keyvalue: key.bytes });
}

/** A wire EncryptionKey as a crypto {@link Key}, printing redacted (`redactedKey`). */
export function fromEncryptionKey(key: EncryptionKey): Key {
  return redactedKey({ etype: key.keytype, bytes: key.keyvalue });
}

/** Throw KDC_ERR_ETYPE_NOSUPP naming what was asked for. */
export function etypeNoSupp(what: string, asked: readonly number[], realm: string): never {
  throw new KerberosError(
    ErrorCode.KDC_ERR_ETYPE_NOSUPP,
    `no encryption type in common for ${what} (requested ${asked.join(', ') || 'none'})`,
    { realm },
  );
}
