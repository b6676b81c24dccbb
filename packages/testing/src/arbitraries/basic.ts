/**
 * Arbitraries for the RFC 4120 section 5.2 building blocks: integers in
 * their wire ranges, KerberosTime, KerberosFlags, KerberosString, realms,
 * principal names, host addresses, keys, checksums and encrypted data.
 *
 * Every value these produce is one the RFC allows, so a conforming codec
 * must round-trip it. Optional fields are generated as absent keys (never
 * `undefined`), matching the `@krbsim/asn1` conventions.
 *
 * @module
 */

import type {
  AuthorizationData,
  AuthorizationDataEntry,
  Checksum,
  EncryptedData,
  EncryptionKey,
  HostAddress,
  KerberosFlags,
  KerberosTime,
  LastReqEntry,
  PaData,
  PrincipalName,
  TransitedEncoding,
} from '@krbsim/asn1';
import { AdType, NameType, PaDataType } from '@krbsim/asn1';
import fc from 'fast-check';

/** Options shared by every `fc.record` in this package: absent keys are omitted, plain prototypes. */
export const recordOptions = { noNullPrototype: true } as const;

/** `Int32 ::= INTEGER (-2147483648..2147483647)` (RFC 4120 section 5.2.4). */
export const arbInt32: fc.Arbitrary<number> = fc.integer({ min: -0x80000000, max: 0x7fffffff });

/** `UInt32 ::= INTEGER (0..4294967295)` (RFC 4120 section 5.2.4): nonces, kvnos, sequence numbers. */
export const arbUInt32: fc.Arbitrary<number> = fc.integer({ min: 0, max: 0xffffffff });

/** `Microseconds ::= INTEGER (0..999999)` (RFC 4120 section 5.2.4). */
export const arbMicroseconds: fc.Arbitrary<number> = fc.integer({ min: 0, max: 999_999 });

/** The earliest {@link arbKerberosTime}: 1990-01-01T00:00:00Z, in seconds. */
const TIME_MIN_S = Date.UTC(1990, 0, 1) / 1000;
/** The latest {@link arbKerberosTime}: 2100-01-01T00:00:00Z, in seconds. */
const TIME_MAX_S = Date.UTC(2100, 0, 1) / 1000;

/**
 * KerberosTime (RFC 4120 section 5.2.3): milliseconds since the epoch, a
 * whole number of seconds, between 1990 and 2100.
 */
export const arbKerberosTime: fc.Arbitrary<KerberosTime> = fc
  .integer({ min: TIME_MIN_S, max: TIME_MAX_S })
  .map(
    (s) => s * 1000,
    (ms) => {
      if (typeof ms !== 'number' || ms % 1000 !== 0) throw new Error('not a KerberosTime');
      return ms / 1000;
    },
  );

/**
 * KerberosFlags (RFC 4120 section 5.2.8): any unsigned 32-bit mask in RFC bit
 * order, biased towards zero, single bits and all-ones.
 */
export const arbKerberosFlags: fc.Arbitrary<KerberosFlags> = fc.oneof(
  arbUInt32,
  fc.integer({ min: 0, max: 31 }).map((n) => (0x80000000 >>> n) >>> 0),
  fc.constantFrom(0, 0xffffffff, 0x40810010, 0x50800000),
);

/**
 * KerberosString (RFC 4120 section 5.2.1). Mostly printable ASCII, the
 * repertoire every implementation agrees on; with `utf8` (the default) one
 * string in eight is arbitrary well-formed Unicode, which `@krbsim/asn1`
 * carries as UTF-8 the way MIT and Windows do.
 */
export function kerberosString(
  constraints: { minLength?: number; maxLength?: number; utf8?: boolean } = {},
): fc.Arbitrary<string> {
  const minLength = constraints.minLength ?? 0;
  const maxLength = constraints.maxLength ?? 24;
  const ascii = fc.string({ unit: 'grapheme-ascii', minLength, maxLength });
  if (constraints.utf8 === false) return ascii;
  return fc.oneof(
    { weight: 7, arbitrary: ascii },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength, maxLength }) },
  );
}

/** A KerberosString of 0..24 printable ASCII characters. */
export const arbKerberosString: fc.Arbitrary<string> = kerberosString();

const dnsLabel = fc.stringMatching(/^[A-Z0-9]([A-Z0-9-]{0,10}[A-Z0-9])?$/);

/**
 * Realm (RFC 4120 section 5.2.2): mostly DNS-style upper-case realms
 * (`CONTOSO.COM`), sometimes any non-empty printable string.
 */
export const arbRealm: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.array(dnsLabel, { minLength: 1, maxLength: 4 }).map((l) => l.join('.')) },
  { weight: 1, arbitrary: kerberosString({ minLength: 1, maxLength: 32 }) },
);

/** A `name-type` (RFC 4120 section 6.2): a registered {@link NameType}, or any Int32. */
export const arbNameType: fc.Arbitrary<number> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...Object.values(NameType)) },
  { weight: 1, arbitrary: arbInt32 },
);

/** PrincipalName (RFC 4120 section 5.2.2) with one to four (possibly empty) name components. */
export const arbPrincipalName: fc.Arbitrary<PrincipalName> = fc.record(
  {
    nameType: arbNameType,
    nameString: fc.array(kerberosString({ maxLength: 20 }), { minLength: 1, maxLength: 4 }),
  },
  recordOptions,
);

/** Octet-string contents: 0..`maxLength` bytes (default 40). */
export function octets(maxLength = 40): fc.Arbitrary<Uint8Array> {
  return fc.uint8Array({ maxLength });
}

/** An address type (RFC 4120 section 7.5.3): the registered ones, or any Int32. */
const arbAddrType = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(2, 3, 5, 6, 7, 12, 16, 20, 24) },
  { weight: 1, arbitrary: arbInt32 },
);

/** HostAddress (RFC 4120 section 5.2.5). */
export const arbHostAddress: fc.Arbitrary<HostAddress> = fc.record(
  { addrType: arbAddrType, address: octets(20) },
  recordOptions,
);

/** HostAddresses: a SEQUENCE OF HostAddress with 0..3 entries. */
export const arbHostAddresses: fc.Arbitrary<readonly HostAddress[]> = fc.array(arbHostAddress, {
  maxLength: 3,
});

/** One AuthorizationData entry (RFC 4120 section 5.2.6). */
export const arbAuthorizationDataEntry: fc.Arbitrary<AuthorizationDataEntry> = fc.record(
  {
    adType: fc.oneof(fc.constantFrom(...Object.values(AdType)), arbInt32),
    adData: octets(48),
  },
  recordOptions,
);

/** AuthorizationData (RFC 4120 section 5.2.6): 0..3 entries. */
export const arbAuthorizationData: fc.Arbitrary<AuthorizationData> = fc.array(arbAuthorizationDataEntry, {
  maxLength: 3,
});

/** A `padata-type`: a registered {@link PaDataType}, or any Int32. */
export const arbPaDataType: fc.Arbitrary<number> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...Object.values(PaDataType)) },
  { weight: 1, arbitrary: arbInt32 },
);

/** PA-DATA (RFC 4120 section 5.2.7) with an opaque value. */
export const arbPaData: fc.Arbitrary<PaData> = fc.record(
  { padataType: arbPaDataType, padataValue: octets(48) },
  recordOptions,
);

/** METHOD-DATA / a `padata` field: 0..3 PA-DATA. */
export const arbPaDataList: fc.Arbitrary<readonly PaData[]> = fc.array(arbPaData, { maxLength: 3 });

/** An encryption type number (RFC 3961 section 8): the common ones, or any Int32. */
export const arbEtype: fc.Arbitrary<number> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(1, 3, 16, 17, 18, 19, 20, 23, 24, -128, -135) },
  { weight: 1, arbitrary: arbInt32 },
);

/** A checksum type number (RFC 3961 section 8): the common ones, or any Int32. */
export const arbCksumtype: fc.Arbitrary<number> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(1, 7, 8, 12, 14, 15, 16, 19, 20, -138) },
  { weight: 1, arbitrary: arbInt32 },
);

/** EncryptedData (RFC 4120 section 5.2.9), `kvno` sometimes absent. */
export const arbEncryptedData: fc.Arbitrary<EncryptedData> = fc.record(
  { etype: arbEtype, kvno: arbUInt32, cipher: octets(64) },
  { ...recordOptions, requiredKeys: ['etype', 'cipher'] },
);

/** EncryptionKey (RFC 4120 section 5.2.9). */
export const arbEncryptionKey: fc.Arbitrary<EncryptionKey> = fc.record(
  {
    keytype: arbEtype,
    keyvalue: fc.oneof(
      fc.uint8Array({ minLength: 16, maxLength: 16 }),
      fc.uint8Array({ minLength: 32, maxLength: 32 }),
      octets(40),
    ),
  },
  recordOptions,
);

/** Checksum (RFC 4120 section 5.2.9). */
export const arbChecksum: fc.Arbitrary<Checksum> = fc.record(
  { cksumtype: arbCksumtype, checksum: octets(32) },
  recordOptions,
);

/** TransitedEncoding (RFC 4120 section 5.3): usually DOMAIN-X500-COMPRESS (1). */
export const arbTransitedEncoding: fc.Arbitrary<TransitedEncoding> = fc.record(
  {
    trType: fc.oneof({ weight: 3, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: arbInt32 }),
    contents: fc.oneof(
      fc
        .array(fc.stringMatching(/^[A-Z.]{1,12}$/), { maxLength: 3 })
        .map((r) => new TextEncoder().encode(r.join(','))),
      octets(24),
    ),
  },
  recordOptions,
);

/** One LastReq entry (RFC 4120 section 5.4.2). */
export const arbLastReqEntry: fc.Arbitrary<LastReqEntry> = fc.record(
  { lrType: fc.oneof(fc.integer({ min: -6, max: 6 }), arbInt32), lrValue: arbKerberosTime },
  recordOptions,
);

/** LastReq: 0..3 entries. */
export const arbLastReq: fc.Arbitrary<readonly LastReqEntry[]> = fc.array(arbLastReqEntry, { maxLength: 3 });
