/**
 * The RFC 4120 section 5.2 building blocks: PrincipalName (5.2.2),
 * HostAddress and HostAddresses (5.2.5), AuthorizationData (5.2.6), PA-DATA
 * (5.2.7), EncryptedData, EncryptionKey and Checksum (5.2.9),
 * TransitedEncoding (5.3) and LastReq (5.4.2).
 *
 * Each declaration below is the single source of its decoder and encoder.
 *
 * @module
 */

import { AddressType, ChecksumType, EncType } from '@krbsim/core';
import { AdType } from '../iana/ad-type';
import { NameType } from '../iana/name-type';
import { PaDataType } from '../iana/pa-data-type';
import { Codec, type DecodeOptions } from '../schema/codec';
import {
  field,
  int32,
  kerberosString,
  kerberosTime,
  kvno,
  named,
  octetString,
  optional,
  seq,
  seqOf,
} from '../schema/nodes';
import type {
  AuthorizationData,
  Checksum,
  EncryptedData,
  EncryptionKey,
  HostAddress,
  LastReqEntry,
  PaData,
  PrincipalName,
  TransitedEncoding,
} from '../types/basic';

/**
 * Names a number by an IANA registry in its RFC spelling (`aes256-cts-hmac-sha1-96`,
 * `hmac-sha1-96-aes256`): the registry's constant-case key, lower-cased, `_` as `-`.
 */
export function ianaName(table: Readonly<Record<string, number>>): (v: number) => string | undefined {
  const names = new Map(Object.entries(table).map(([k, v]) => [v, k.toLowerCase().replaceAll('_', '-')]));
  return (v) => names.get(v);
}

/** An etype number (`Int32`) named by {@link EncType} in JSON. */
export const etypeNum = named(int32, ianaName(EncType));

/**
 * PrincipalName ::= SEQUENCE {
 *   name-type   [0] Int32,
 *   name-string [1] SEQUENCE OF KerberosString
 * }
 */
export const PrincipalNameDef = seq('PrincipalName', [
  field(0, 'name-type', named(int32, NameType)),
  field(1, 'name-string', seqOf('SEQUENCE OF KerberosString', kerberosString)),
]);

/**
 * HostAddress ::= SEQUENCE {
 *   addr-type [0] Int32,
 *   address   [1] OCTET STRING
 * }
 */
export const HostAddressDef = seq('HostAddress', [
  field(0, 'addr-type', named(int32, ianaName(AddressType))),
  field(1, 'address', octetString),
]);

/** HostAddresses ::= SEQUENCE OF HostAddress */
export const HostAddressesDef = seqOf('HostAddresses', HostAddressDef);

/**
 * AuthorizationData ::= SEQUENCE OF SEQUENCE {
 *   ad-type [0] Int32,
 *   ad-data [1] OCTET STRING
 * }
 */
export const AuthorizationDataEntryDef = seq('AuthorizationData entry', [
  field(0, 'ad-type', named(int32, AdType)),
  field(1, 'ad-data', octetString),
]);
/** AuthorizationData ::= SEQUENCE OF { ad-type, ad-data } */
export const AuthorizationDataDef = seqOf('AuthorizationData', AuthorizationDataEntryDef);

/**
 * PA-DATA ::= SEQUENCE {
 *   -- NOTE: first tag is [1], not [0]
 *   padata-type  [1] Int32,
 *   padata-value [2] OCTET STRING -- might be encoded AP-REQ
 * }
 */
export const PaDataDef = seq('PA-DATA', [
  field(1, 'padata-type', named(int32, PaDataType)),
  field(2, 'padata-value', octetString),
]);
/** METHOD-DATA ::= SEQUENCE OF PA-DATA (also the `padata` of KDC-REQ and KDC-REP). */
export const MethodDataDef = seqOf('METHOD-DATA', PaDataDef);

/**
 * EncryptedData ::= SEQUENCE {
 *   etype  [0] Int32 -- EncryptionType --,
 *   kvno   [1] UInt32 OPTIONAL,
 *   cipher [2] OCTET STRING -- ciphertext
 * }
 */
export const EncryptedDataDef = seq('EncryptedData', [
  field(0, 'etype', etypeNum),
  optional(field(1, 'kvno', kvno)),
  field(2, 'cipher', octetString),
]);

/**
 * EncryptionKey ::= SEQUENCE {
 *   keytype  [0] Int32 -- actually encryption type --,
 *   keyvalue [1] OCTET STRING
 * }
 */
export const EncryptionKeyDef = seq('EncryptionKey', [
  field(0, 'keytype', etypeNum),
  field(1, 'keyvalue', octetString),
]);

/**
 * Checksum ::= SEQUENCE {
 *   cksumtype [0] Int32,
 *   checksum  [1] OCTET STRING
 * }
 */
export const ChecksumDef = seq('Checksum', [
  field(0, 'cksumtype', named(int32, ianaName(ChecksumType))),
  field(1, 'checksum', octetString),
]);

/**
 * TransitedEncoding ::= SEQUENCE {
 *   tr-type  [0] Int32 -- must be registered --,
 *   contents [1] OCTET STRING
 * }
 */
export const TransitedEncodingDef = seq('TransitedEncoding', [
  field(0, 'tr-type', int32),
  field(1, 'contents', octetString),
]);

/**
 * LastReq ::= SEQUENCE OF SEQUENCE {
 *   lr-type  [0] Int32,
 *   lr-value [1] KerberosTime
 * }
 */
export const LastReqDef = seqOf(
  'LastReq',
  seq('LastReq entry', [field(0, 'lr-type', int32), field(1, 'lr-value', kerberosTime)]),
);

/** `SEQUENCE OF Int32`, the etype list of KDC-REQ-BODY and RFC 4537's EtypeList. */
export const EtypeListDef = seqOf('SEQUENCE OF Int32', etypeNum);

const principalName = new Codec<PrincipalName>('PrincipalName', PrincipalNameDef);
const hostAddress = new Codec<HostAddress>('HostAddress', HostAddressDef);
const hostAddresses = new Codec<readonly HostAddress[]>('HostAddresses', HostAddressesDef);
const authorizationData = new Codec<AuthorizationData>('AuthorizationData', AuthorizationDataDef);
const paData = new Codec<PaData>('PA-DATA', PaDataDef);
const encryptedData = new Codec<EncryptedData>('EncryptedData', EncryptedDataDef);
const encryptionKey = new Codec<EncryptionKey>('EncryptionKey', EncryptionKeyDef);
const checksum = new Codec<Checksum>('Checksum', ChecksumDef);
const transited = new Codec<TransitedEncoding>('TransitedEncoding', TransitedEncodingDef);
const lastReq = new Codec<readonly LastReqEntry[]>('LastReq', LastReqDef);
const etypeList = new Codec<readonly number[]>('EtypeList', EtypeListDef);

/**
 * Encodes a PrincipalName (RFC 4120 section 5.2.2).
 *
 * **The result is a view into a shared slab**: its `.buffer` also holds other encodings,
 * which may include keys. {@link ownedCopy} gives bytes of your own (to keep, transfer, or wipe).
 */
export const encodePrincipalName = (v: PrincipalName): Uint8Array => principalName.encode(v);
/** Decodes a PrincipalName (RFC 4120 section 5.2.2). */
export const decodePrincipalName = (b: Uint8Array, o?: DecodeOptions): PrincipalName =>
  principalName.decode(b, o);
/**
 * Encodes a HostAddress (RFC 4120 section 5.2.5).
 *
 * **The result is a view into a shared slab**: its `.buffer` also holds other encodings,
 * which may include keys. {@link ownedCopy} gives bytes of your own (to keep, transfer, or wipe).
 */
export const encodeHostAddress = (v: HostAddress): Uint8Array => hostAddress.encode(v);
/** Decodes a HostAddress (RFC 4120 section 5.2.5). */
export const decodeHostAddress = (b: Uint8Array, o?: DecodeOptions): HostAddress => hostAddress.decode(b, o);
/**
 * Encodes HostAddresses (RFC 4120 section 5.2.5).
 *
 * **The result is a view into a shared slab**: its `.buffer` also holds other encodings,
 * which may include keys. {@link ownedCopy} gives bytes of your own (to keep, transfer, or wipe).
 */
export const encodeHostAddresses = (v: readonly HostAddress[]): Uint8Array => hostAddresses.encode(v);
/** Decodes HostAddresses (RFC 4120 section 5.2.5). */
export const decodeHostAddresses = (b: Uint8Array, o?: DecodeOptions): readonly HostAddress[] =>
  hostAddresses.decode(b, o);
/**
 * Encodes AuthorizationData (RFC 4120 section 5.2.6); also AD-IF-RELEVANT and AD-MANDATORY-FOR-KDC.
 *
 * **The result is a view into a shared slab**: its `.buffer` also holds other encodings,
 * which may include keys. {@link ownedCopy} gives bytes of your own (to keep, transfer, or wipe).
 */
export const encodeAuthorizationData = (v: AuthorizationData): Uint8Array => authorizationData.encode(v);
/** Decodes AuthorizationData (RFC 4120 section 5.2.6); also AD-IF-RELEVANT and AD-MANDATORY-FOR-KDC. */
export const decodeAuthorizationData = (b: Uint8Array, o?: DecodeOptions): AuthorizationData =>
  authorizationData.decode(b, o);
/**
 * Encodes one PA-DATA (RFC 4120 section 5.2.7).
 *
 * **The result is a view into a shared slab**: its `.buffer` also holds other encodings,
 * which may include keys. {@link ownedCopy} gives bytes of your own (to keep, transfer, or wipe).
 */
export const encodePaData = (v: PaData): Uint8Array => paData.encode(v);
/** Decodes one PA-DATA (RFC 4120 section 5.2.7). */
export const decodePaData = (b: Uint8Array, o?: DecodeOptions): PaData => paData.decode(b, o);
/**
 * Encodes EncryptedData (RFC 4120 section 5.2.9).
 *
 * **The result is a view into a shared slab**: its `.buffer` also holds other encodings,
 * which may include keys. {@link ownedCopy} gives bytes of your own (to keep, transfer, or wipe).
 */
export const encodeEncryptedData = (v: EncryptedData): Uint8Array => encryptedData.encode(v);
/** Decodes EncryptedData (RFC 4120 section 5.2.9); also PA-ENC-TIMESTAMP and PA-ENCRYPTED-CHALLENGE. */
export const decodeEncryptedData = (b: Uint8Array, o?: DecodeOptions): EncryptedData =>
  encryptedData.decode(b, o);
/**
 * Encodes an EncryptionKey (RFC 4120 section 5.2.9).
 *
 * **The result is a view into a shared slab**: its `.buffer` also holds other encodings,
 * which may include keys. {@link ownedCopy} gives bytes of your own (to keep, transfer, or wipe).
 */
export const encodeEncryptionKey = (v: EncryptionKey): Uint8Array => encryptionKey.encode(v);
/** Decodes an EncryptionKey (RFC 4120 section 5.2.9). */
export const decodeEncryptionKey = (b: Uint8Array, o?: DecodeOptions): EncryptionKey =>
  encryptionKey.decode(b, o);
/**
 * Encodes a Checksum (RFC 4120 section 5.2.9); also PA-REQ-ENC-PA-REP.
 *
 * **The result is a view into a shared slab**: its `.buffer` also holds other encodings,
 * which may include keys. {@link ownedCopy} gives bytes of your own (to keep, transfer, or wipe).
 */
export const encodeChecksum = (v: Checksum): Uint8Array => checksum.encode(v);
/** Decodes a Checksum (RFC 4120 section 5.2.9); also PA-REQ-ENC-PA-REP. */
export const decodeChecksum = (b: Uint8Array, o?: DecodeOptions): Checksum => checksum.decode(b, o);
/**
 * Encodes a TransitedEncoding (RFC 4120 section 5.3).
 *
 * **The result is a view into a shared slab**: its `.buffer` also holds other encodings,
 * which may include keys. {@link ownedCopy} gives bytes of your own (to keep, transfer, or wipe).
 */
export const encodeTransitedEncoding = (v: TransitedEncoding): Uint8Array => transited.encode(v);
/** Decodes a TransitedEncoding (RFC 4120 section 5.3). */
export const decodeTransitedEncoding = (b: Uint8Array, o?: DecodeOptions): TransitedEncoding =>
  transited.decode(b, o);
/**
 * Encodes a LastReq (RFC 4120 section 5.4.2).
 *
 * **The result is a view into a shared slab**: its `.buffer` also holds other encodings,
 * which may include keys. {@link ownedCopy} gives bytes of your own (to keep, transfer, or wipe).
 */
export const encodeLastReq = (v: readonly LastReqEntry[]): Uint8Array => lastReq.encode(v);
/** Decodes a LastReq (RFC 4120 section 5.4.2). */
export const decodeLastReq = (b: Uint8Array, o?: DecodeOptions): readonly LastReqEntry[] =>
  lastReq.decode(b, o);
/**
 * Encodes an EtypeList (RFC 4537 section 3: the AD-ETYPE-NEGOTIATION element's data, the
 * enctypes a client would have an acceptor's subkey be, most preferred first).
 *
 * **The result is a view into a shared slab**: its `.buffer` also holds other encodings,
 * which may include keys. {@link ownedCopy} gives bytes of your own (to keep, transfer, or wipe).
 */
export const encodeEtypeList = (v: readonly number[]): Uint8Array => etypeList.encode(v);
/** Decodes an EtypeList (RFC 4537 section 3). */
export const decodeEtypeList = (b: Uint8Array, o?: DecodeOptions): readonly number[] =>
  etypeList.decode(b, o);
