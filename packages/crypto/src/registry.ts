/**
 * The encryption type and checksum type tables: one data record per etype
 * (RFC 3961 section 3 profile attributes) pointing at its family's spec
 * functions, and one per checksum type (RFC 3961 section 4), dispatched on
 * the checksum type and saying how it is keyed: by a key of one etype, by
 * any key, or not at all.
 *
 * @module
 */

import { be32 } from './internal/bytes';
import { unsupportedChecksumType, unsupportedEncType } from './internal/errors';
import type { ChecksumTypeProfile, ChecksumTypeSpec, EncTypeProfile, EncTypeSpec } from './rfc3961/profile';
import { sha1Checksum } from './rfc3961/unkeyed';
import { aesSha1Family } from './rfc3962/profile';
import { hmacMd5Checksum } from './rfc4757/checksum';
import { rc4HmacFamily } from './rfc4757/profile';
import { aesSha2Family } from './rfc8009/profile';

/**
 * Every encryption type an acceptor or client refuses unless weak crypto is
 * allowed, implemented or not: the DES family (1, 2, 3; RFC 6649), des3 (16)
 * and the RC4 family (23, 24; RFC 8429). {@link isWeakEncType} answers only
 * for the etypes krbsim implements.
 */
export const WEAK_ENC_TYPES: ReadonlySet<number> = new Set([1, 2, 3, 16, 23, 24]);

const specs: readonly EncTypeSpec[] = [
  {
    // RFC 8009 section 5
    etype: 20,
    name: 'aes256-cts-hmac-sha384-192',
    keyBytes: 32,
    seedBytes: 32,
    blockSize: 16,
    confounderBytes: 16,
    macBytes: 24,
    checksumType: 20,
    family: aesSha2Family,
    hash: 'sha384',
    prfBytes: 48,
    integrityKeyBytes: 24,
    defaultIterations: 32768,
  },
  {
    // RFC 8009 section 5
    etype: 19,
    name: 'aes128-cts-hmac-sha256-128',
    keyBytes: 16,
    seedBytes: 16,
    blockSize: 16,
    confounderBytes: 16,
    macBytes: 16,
    checksumType: 19,
    family: aesSha2Family,
    hash: 'sha256',
    prfBytes: 32,
    integrityKeyBytes: 16,
    defaultIterations: 32768,
  },
  {
    // RFC 3962 section 6
    etype: 18,
    name: 'aes256-cts-hmac-sha1-96',
    keyBytes: 32,
    seedBytes: 32,
    blockSize: 16,
    confounderBytes: 16,
    macBytes: 12,
    checksumType: 16,
    family: aesSha1Family,
    hash: 'sha1',
    prfBytes: 16,
    integrityKeyBytes: 32,
    defaultIterations: 4096,
  },
  {
    // RFC 3962 section 6
    etype: 17,
    name: 'aes128-cts-hmac-sha1-96',
    keyBytes: 16,
    seedBytes: 16,
    blockSize: 16,
    confounderBytes: 16,
    macBytes: 12,
    checksumType: 15,
    family: aesSha1Family,
    hash: 'sha1',
    prfBytes: 16,
    integrityKeyBytes: 16,
    defaultIterations: 4096,
  },
  {
    // RFC 4757 section 3; weak (RC4 and MD4 are broken), opt-in only.
    etype: 23,
    name: 'rc4-hmac',
    keyBytes: 16,
    seedBytes: 16,
    blockSize: 1,
    confounderBytes: 8,
    macBytes: 16,
    checksumType: -138,
    family: rc4HmacFamily,
    hash: 'md5',
    prfBytes: 20,
    integrityKeyBytes: 16,
    defaultIterations: 0,
  },
];

const specByEtype: ReadonlyMap<number, EncTypeSpec> = new Map(specs.map((s) => [s.etype, s]));

function publicProfile(spec: EncTypeSpec): EncTypeProfile {
  const iterations = spec.defaultIterations;
  return Object.freeze({
    etype: spec.etype,
    name: spec.name,
    keyBytes: spec.keyBytes,
    seedBytes: spec.seedBytes,
    blockSize: spec.blockSize,
    confounderBytes: spec.confounderBytes,
    macBytes: spec.macBytes,
    checksumType: spec.checksumType,
    // A getter, so a caller that modifies the bytes cannot change what others see.
    get defaultS2kParams(): Uint8Array {
      return iterations === 0 ? new Uint8Array(0) : be32(iterations);
    },
    weak: WEAK_ENC_TYPES.has(spec.etype),
  });
}

const profileByEtype: ReadonlyMap<number, EncTypeProfile> = new Map(
  specs.map((s) => [s.etype, publicProfile(s)]),
);

/** The internal record for `etype`; throws KDC_ERR_ETYPE_NOSUPP. */
export function specFor(etype: number): EncTypeSpec {
  const spec = specByEtype.get(etype);
  if (spec === undefined) throw unsupportedEncType(etype);
  return spec;
}

/**
 * The profile of an encryption type: its sizes, checksum type and policy flag.
 *
 * @throws KerberosError KDC_ERR_ETYPE_NOSUPP if krbsim does not implement `etype`.
 *
 * @example
 * ```ts
 * getEncType(EncType.AES256_CTS_HMAC_SHA1_96).keyBytes; // 32
 * ```
 */
export function getEncType(etype: number): EncTypeProfile {
  const profile = profileByEtype.get(etype);
  if (profile === undefined) throw unsupportedEncType(etype);
  return profile;
}

/** True if krbsim implements `etype` (weak ones included; see {@link isWeakEncType}). */
export function isSupportedEncType(etype: number): boolean {
  return specByEtype.has(etype);
}

/**
 * True for supported etypes kept only for interoperability: rc4-hmac (23),
 * the implemented members of {@link WEAK_ENC_TYPES}. Realms and clients
 * should refuse them unless configured to allow them. False for unsupported
 * etypes too (a policy cannot permit those at all; test the set for them).
 */
export function isWeakEncType(etype: number): boolean {
  return WEAK_ENC_TYPES.has(etype) && specByEtype.has(etype);
}

/** Every supported etype, strongest first: 20, 19, 18, 17, 23. */
export const supportedEncTypes: readonly number[] = Object.freeze(specs.map((s) => s.etype));

/**
 * The etypes a client offers and a realm permits when not told otherwise:
 * the supported ones that are not weak, strongest first (20, 19, 18, 17:
 * the AES types of RFC 8009, then RFC 3962).
 */
export const defaultEncTypes: readonly number[] = Object.freeze(
  supportedEncTypes.filter((e) => !WEAK_ENC_TYPES.has(e)),
);

/**
 * The checksum types, strongest first. An `'etypeKey'` type is the
 * mandatory checksum of its etype (the `checksumType` of its record above),
 * computed by that etype's family.
 */
const checksumTypeSpecs: readonly ChecksumTypeSpec[] = [
  // RFC 8009 section 5
  { cksumtype: 20, name: 'hmac-sha384-192-aes256', checksumBytes: 24, kind: 'etypeKey', etype: 20 },
  { cksumtype: 19, name: 'hmac-sha256-128-aes128', checksumBytes: 16, kind: 'etypeKey', etype: 19 },
  // RFC 3962 section 6
  { cksumtype: 16, name: 'hmac-sha1-96-aes256', checksumBytes: 12, kind: 'etypeKey', etype: 18 },
  { cksumtype: 15, name: 'hmac-sha1-96-aes128', checksumBytes: 12, kind: 'etypeKey', etype: 17 },
  // RFC 4757 section 4: the key's bytes are the HMAC key, whatever its etype.
  {
    cksumtype: -138,
    name: 'hmac-md5',
    checksumBytes: 16,
    kind: 'anyKey',
    etype: undefined,
    compute: hmacMd5Checksum,
  },
  // RFC 3961 section 8 (sha1, unkeyed): PKINIT's paChecksum.
  { cksumtype: 14, name: 'sha1', checksumBytes: 20, kind: 'unkeyed', etype: undefined, digest: sha1Checksum },
];

const checksumTypeByNumber: ReadonlyMap<number, ChecksumTypeSpec> = new Map(
  checksumTypeSpecs.map((c) => [c.cksumtype, c]),
);

const checksumProfileByNumber: ReadonlyMap<number, ChecksumTypeProfile> = new Map(
  checksumTypeSpecs.map((c) => [
    c.cksumtype,
    Object.freeze({
      cksumtype: c.cksumtype,
      name: c.name,
      checksumBytes: c.checksumBytes,
      kind: c.kind,
      etype: c.etype,
    }),
  ]),
);

/** The internal record for a checksum type; throws KDC_ERR_SUMTYPE_NOSUPP. */
export function checksumTypeSpecFor(cksumtype: number): ChecksumTypeSpec {
  const spec = checksumTypeByNumber.get(cksumtype);
  if (spec === undefined) throw unsupportedChecksumType(cksumtype);
  return spec;
}

/**
 * The profile of a checksum type: its name, size in bytes and how it is
 * keyed (`kind`, and for `'etypeKey'` the etype of its keys).
 *
 * @throws KerberosError KDC_ERR_SUMTYPE_NOSUPP if krbsim does not implement `cksumtype`.
 *
 * @example
 * ```ts
 * getChecksumType(ChecksumType.HMAC_SHA1_96_AES256).checksumBytes; // 12
 * getChecksumType(ChecksumType.HMAC_MD5).kind; // 'anyKey'
 * ```
 */
export function getChecksumType(cksumtype: number): ChecksumTypeProfile {
  const profile = checksumProfileByNumber.get(cksumtype);
  if (profile === undefined) throw unsupportedChecksumType(cksumtype);
  return profile;
}

/** Every supported checksum type: 20, 19, 16, 15, -138, 14. */
export const supportedChecksumTypes: readonly number[] = Object.freeze(
  checksumTypeSpecs.map((c) => c.cksumtype),
);
