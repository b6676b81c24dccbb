/**
 * The RFC 3961 section 3 cryptosystem profile, as data, and the protocol key.
 *
 * Each encryption type is one record: its numbers and sizes (the public
 * {@link EncTypeProfile}) plus a pointer to the {@link CryptoFamily} that
 * implements the spec it comes from (RFC 3962, RFC 8009 or RFC 4757). The
 * etypes of one family share code and differ only in their record.
 *
 * @module
 */

/**
 * A Kerberos key: its encryption type and its bytes (RFC 4120 EncryptionKey).
 *
 * Treat keys as immutable. Derived keys are cached per key object, so reuse
 * one object for many operations; a new object with the same bytes starts an
 * empty cache. If the bytes of a cached key are changed in place the cache
 * notices and starts over.
 */
export interface Key {
  /** The etype number (see {@link EncType}). */
  readonly etype: number;
  /** The key bytes: `keyBytes` long for the etype. */
  readonly bytes: Uint8Array;
}

/**
 * The public description of an encryption type (RFC 3961 section 3).
 */
export interface EncTypeProfile {
  /** The etype number (IANA registry; see {@link EncType}). */
  readonly etype: number;
  /** The RFC name, e.g. `aes256-cts-hmac-sha1-96`. */
  readonly name: string;
  /** Length of a protocol key in bytes. */
  readonly keyBytes: number;
  /** Length of the random-to-key input ("key-generation seed length") in bytes. */
  readonly seedBytes: number;
  /** Cipher block size in bytes (the message block size; 1 for RC4). */
  readonly blockSize: number;
  /** Length of the random confounder prepended to every plaintext. */
  readonly confounderBytes: number;
  /** Length of the integrity tag each ciphertext carries. */
  readonly macBytes: number;
  /** The mandatory keyed checksum type for keys of this etype. */
  readonly checksumType: number;
  /** The default s2kparams (ETYPE-INFO2 encoding): a 4-byte big-endian iteration count for AES, empty for RC4. */
  readonly defaultS2kParams: Uint8Array;
  /** True for etypes kept only for interoperability (rc4-hmac; see `WEAK_ENC_TYPES`); realms must opt in. */
  readonly weak: boolean;
}

/**
 * How a checksum type is keyed (RFC 3961 section 4: whether it is keyed,
 * and the cryptosystem its key must belong to):
 *
 * - `'etypeKey'`: keyed by a key of one etype, through its family's key
 *   derivation (Kc): hmac-sha1-96-aes128/256 (15, 16; RFC 3962 section 6)
 *   and hmac-sha256-128-aes128, hmac-sha384-192-aes256 (19, 20; RFC 8009
 *   section 5). Any other key is KRB_AP_ERR_INAPP_CKSUM.
 * - `'anyKey'`: keyed by the bytes of a key of any etype: hmac-md5 (-138,
 *   RFC 4757 section 4), which Windows keys with an AES session key for
 *   PA-FOR-USER (MS-SFU 2.2.1).
 * - `'unkeyed'`: a plain hash of the data, no key, no usage: sha1 (14).
 */
export type ChecksumKind = 'etypeKey' | 'anyKey' | 'unkeyed';

/** The public description of a checksum type (RFC 3961 section 4). */
export interface ChecksumTypeProfile {
  /** The checksum type number (IANA registry; see {@link ChecksumType}). */
  readonly cksumtype: number;
  /** The RFC name, e.g. `hmac-sha1-96-aes256`. */
  readonly name: string;
  /** Length of the checksum in bytes (a PAC signature's, for instance). */
  readonly checksumBytes: number;
  /** How it is keyed; see {@link ChecksumKind}. */
  readonly kind: ChecksumKind;
  /** For kind `'etypeKey'`, the etype whose keys compute it; `undefined` otherwise. */
  readonly etype: number | undefined;
}

/** The internal record behind a {@link ChecksumTypeProfile}: the public fields plus the spec function. */
export type ChecksumTypeSpec =
  | (ChecksumTypeProfile & {
      /** Computed by the family of `etype` ({@link CryptoFamily.checksum}), its one keyed checksum. */
      readonly kind: 'etypeKey';
      readonly etype: number;
    })
  | (ChecksumTypeProfile & {
      readonly kind: 'anyKey';
      /** The checksum with any key's state (its bytes, and a cache for derived material). */
      readonly compute: (state: KeyState, usage: number, data: Uint8Array) => Uint8Array;
    })
  | (ChecksumTypeProfile & {
      readonly kind: 'unkeyed';
      /** The hash of `data`. */
      readonly digest: (data: Uint8Array) => Uint8Array;
    });

/** The internal record behind an {@link EncTypeProfile}. */
export interface EncTypeSpec extends Omit<EncTypeProfile, 'defaultS2kParams' | 'weak'> {
  /** The spec functions for this etype. */
  readonly family: CryptoFamily;
  /** Hash function used by the HMACs ('sha1', 'sha256', 'sha384', 'md5'). */
  readonly hash: string;
  /** Output length of the etype's PRF in bytes. */
  readonly prfBytes: number;
  /** RFC 8009: Ki and Kc length in bytes (Ke is keyBytes). RFC 3962: keyBytes. */
  readonly integrityKeyBytes: number;
  /** Default string-to-key iteration count (0 when the etype has none). */
  readonly defaultIterations: number;
}

/**
 * The cached state of one key: a private copy of its bytes and the derived
 * material (per-usage Ke/Ki/Kc and their cipher contexts) each family keeps.
 * Built once per key object (see internal/key-cache).
 */
export interface KeyState {
  readonly spec: EncTypeSpec;
  /** A private copy of the key bytes, so later mutation of the caller's array is detected. */
  readonly bytes: Uint8Array;
  /** Per-usage encryption material, family-defined. */
  readonly enc: Map<number, unknown>;
  /** Per-usage checksum material, family-defined. */
  readonly cksum: Map<number, unknown>;
  /** Usage-independent material (the RFC 3962 PRF key), family-defined. */
  extra: unknown;
  /**
   * RFC 4757 Ksign for hmac-md5 checksums (-138), which keys of any etype
   * can compute; derived on first need.
   */
  ksign: Uint8Array | undefined;
}

/**
 * The spec functions of one family of etypes (RFC 3961 section 3's
 * operations). Inputs are validated by the public API before they get here.
 */
export interface CryptoFamily {
  /** string-to-key(password, salt, s2kparams): the protocol key bytes. */
  stringToKey(
    spec: EncTypeSpec,
    password: Uint8Array | string,
    salt: Uint8Array,
    params: Uint8Array,
  ): Uint8Array;
  /** random-to-key(seed): the protocol key bytes. */
  randomToKey(spec: EncTypeSpec, seed: Uint8Array): Uint8Array;
  /** encrypt(key, usage, confounder | plaintext) -> EncryptedData cipher bytes. */
  encrypt(state: KeyState, usage: number, plaintext: Uint8Array, confounder: Uint8Array): Uint8Array;
  /** decrypt(key, usage, cipher) -> plaintext; throws KRB_AP_ERR_BAD_INTEGRITY. */
  decrypt(state: KeyState, usage: number, ciphertext: Uint8Array): Uint8Array;
  /** The keyed checksum of `data` (the etype's mandatory checksum, `macBytes` long for AES). */
  checksum(state: KeyState, usage: number, data: Uint8Array): Uint8Array;
  /** pseudo-random(key, octet-string), `prfBytes` long. */
  prf(state: KeyState, input: Uint8Array): Uint8Array;
}
