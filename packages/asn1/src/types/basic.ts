/**
 * RFC 4120 section 5.2 building blocks as plain readonly data.
 *
 * Conventions for every krbsim message type:
 * - Field names are the RFC's, in camelCase (`renew-till` is `renewTill`).
 * - OPTIONAL fields are optional properties; absent means absent on the wire.
 *   Encoders treat a missing key and an `undefined` value alike. Decoders
 *   return every field of a type, absent ones as `undefined`, so each message
 *   type has one object shape (V8 keeps such objects on its fast path); test
 *   with `=== undefined`, not `in`.
 * - KerberosTime is a number: milliseconds since the Unix epoch, always a
 *   whole number of seconds (the wire form has second precision).
 * - KerberosFlags are unsigned 32-bit numbers in RFC bit order (see
 *   `iana/flags.ts`): RFC bit `n` is `0x80000000 >>> n`.
 * - UInt32 fields (nonces, sequence numbers, kvno) hold 0..2^32-1. A value
 *   of 2^31 or more has two DER forms; a sibling `<field>Form` says which
 *   one the field was received in when it is not the default (see
 *   {@link IntegerForm}), so that re-encoding gives back the same bytes.
 * - OCTET STRINGs are `Uint8Array`s. Decoders may return views into the input
 *   buffer rather than copies: callers that keep a value past the life of the
 *   input and then mutate the input must copy first.
 *
 * @module
 */

/** Milliseconds since the Unix epoch, a whole number of seconds. RFC 4120 section 5.2.3. */
export type KerberosTime = number;

/**
 * How a UInt32 of 2^31 or more is written: `unsigned`, the canonical DER of
 * the value (`02 05 00 94 70 9c 33`), or `signed`, the 32-bit two's
 * complement that implementations declaring the field Int32 write
 * (`02 04 94 70 9c 33`: MIT's and Heimdal's nonces, MIT's kvno). Both mean
 * the same number; below 2^31 the two forms are the same bytes. Every UInt32
 * field `x` has a sibling `xForm`: decoders set it only when the form read is
 * not the one the encoder writes by default (`signed` for nonces and kvno, as
 * MIT writes them and its decoders require; `unsigned` for sequence numbers
 * and the dclocator hint), and encoders write the form it names.
 */
export type IntegerForm = 'signed' | 'unsigned';

/** An unsigned 32-bit bit mask in RFC bit order. RFC 4120 section 5.2.8. */
export type KerberosFlags = number;

/** RFC 4120 section 5.2.2. `nameType` is a {@link NameType} value. */
export interface PrincipalName {
  readonly nameType: number;
  readonly nameString: readonly string[];
}

/** RFC 4120 section 5.2.5. */
export interface HostAddress {
  readonly addrType: number;
  readonly address: Uint8Array;
}

/** RFC 4120 section 5.2.6: a SEQUENCE OF these. */
export interface AuthorizationDataEntry {
  readonly adType: number;
  readonly adData: Uint8Array;
}

/** RFC 4120 section 5.2.6. */
export type AuthorizationData = readonly AuthorizationDataEntry[];

/** RFC 4120 section 5.2.7. */
export interface PaData {
  readonly padataType: number;
  readonly padataValue: Uint8Array;
}

/** RFC 4120 section 5.2.9. `cipher` is the output of the etype's encrypt function. */
export interface EncryptedData {
  readonly etype: number;
  readonly kvno?: number;
  /** Set when `kvno` came in the unsigned form (MIT and Heimdal write it signed). */
  readonly kvnoForm?: IntegerForm;
  readonly cipher: Uint8Array;
}

/** RFC 4120 section 5.2.9. */
export interface EncryptionKey {
  readonly keytype: number;
  readonly keyvalue: Uint8Array;
}

/** RFC 4120 section 5.2.9. */
export interface Checksum {
  readonly cksumtype: number;
  readonly checksum: Uint8Array;
}

/** RFC 4120 section 5.3: `tr-type` 1 is DOMAIN-X500-COMPRESS (section 3.3.3.2). */
export interface TransitedEncoding {
  readonly trType: number;
  readonly contents: Uint8Array;
}

/** RFC 4120 section 5.4.2: one LastReq entry. */
export interface LastReqEntry {
  readonly lrType: number;
  readonly lrValue: KerberosTime;
}
