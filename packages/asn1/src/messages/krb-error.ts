/**
 * KRB-ERROR and its e-data containers METHOD-DATA and TYPED-DATA: RFC 4120
 * section 5.9.1. `e-data` stays opaque bytes in {@link KrbErrorMessage}; decode
 * it with {@link decodeMethodData} (KDC_ERR_PREAUTH_REQUIRED and friends) or
 * {@link decodeTypedData} as the error code calls for.
 *
 * @module
 */

import { errorCodeName } from '@krbsim/core';
import { Asn1Error } from '../der/errors';
import { AppTag } from '../iana/msg-type';
import { PaDataType } from '../iana/pa-data-type';
import { Codec, type DecodeOptions } from '../schema/codec';
import {
  app,
  field,
  int32,
  kerberosString,
  kerberosTime,
  microseconds,
  msgType,
  named,
  octetString,
  optional,
  realm,
  seq,
  seqOf,
  vno,
} from '../schema/nodes';
import type { KerbErrorData, KrbErrorMessage, MethodData, TypedData } from '../types/error';
import { MethodDataDef, PrincipalNameDef } from './basic';

/**
 * KRB-ERROR ::= [APPLICATION 30] SEQUENCE {
 *   pvno       [0] INTEGER (5),
 *   msg-type   [1] INTEGER (30),
 *   ctime      [2] KerberosTime OPTIONAL,
 *   cusec      [3] Microseconds OPTIONAL,
 *   stime      [4] KerberosTime,
 *   susec      [5] Microseconds,
 *   error-code [6] Int32,
 *   crealm     [7] Realm OPTIONAL,
 *   cname      [8] PrincipalName OPTIONAL,
 *   realm      [9] Realm -- service realm --,
 *   sname      [10] PrincipalName -- service name --,
 *   e-text     [11] KerberosString OPTIONAL,
 *   e-data     [12] OCTET STRING OPTIONAL
 * }
 */
export const KrbErrorDef = app(
  AppTag.KRB_ERROR,
  seq('KRB-ERROR', [
    field(0, 'pvno', vno),
    field(1, 'msg-type', msgType),
    optional(field(2, 'ctime', kerberosTime)),
    optional(field(3, 'cusec', microseconds)),
    field(4, 'stime', kerberosTime),
    field(5, 'susec', microseconds),
    field(
      6,
      'error-code',
      named(int32, (v) => errorCodeName(v)),
    ),
    optional(field(7, 'crealm', realm)),
    optional(field(8, 'cname', PrincipalNameDef)),
    field(9, 'realm', realm),
    field(10, 'sname', PrincipalNameDef),
    optional(field(11, 'e-text', kerberosString)),
    optional(field(12, 'e-data', octetString)),
  ]),
  'msgType',
);

/**
 * TYPED-DATA ::= SEQUENCE SIZE (1..MAX) OF SEQUENCE {
 *   data-type  [0] Int32,
 *   data-value [1] OCTET STRING OPTIONAL
 * }
 */
export const TypedDataDef = seqOf(
  'TYPED-DATA',
  seq('TYPED-DATA entry', [
    field(0, 'data-type', named(int32, PaDataType)),
    optional(field(1, 'data-value', octetString)),
  ]),
  { min: 1 },
);

/**
 * KERB-ERROR-DATA ::= SEQUENCE {
 *   data-type  [1] INTEGER,
 *   data-value [2] OCTET STRING OPTIONAL
 * }
 * (MS-KILE 2.2.2: its tags start at 1, unlike TYPED-DATA's.)
 */
export const KerbErrorDataDef = seq('KERB-ERROR-DATA', [
  field(1, 'data-type', int32),
  optional(field(2, 'data-value', octetString)),
]);

/** KERB-ERROR-DATA's data-type for a KERB-EXT-ERROR (MS-KILE 2.2.2). */
export const KERB_ERR_TYPE_EXTENDED = 3;

/** The KRB-ERROR codec (generated from its declaration), for embedding. */
export const krbErrorCodec = new Codec<KrbErrorMessage>('KRB-ERROR', KrbErrorDef);
/** The METHOD-DATA codec (generated from its declaration), for embedding. */
export const methodDataCodec = new Codec<MethodData>('METHOD-DATA', MethodDataDef);
/** The TYPED-DATA codec (generated from its declaration), for embedding. */
export const typedDataCodec = new Codec<TypedData>('TYPED-DATA', TypedDataDef);

/**
 * Encodes a KRB-ERROR (RFC 4120 section 5.9.1).
 *
 * **The result is a view into a shared slab**: its `.buffer` also holds other encodings,
 * which may include keys. {@link ownedCopy} gives bytes of your own (to keep, transfer, or wipe).
 */
export function encodeKrbError(value: KrbErrorMessage): Uint8Array {
  return krbErrorCodec.encode(value);
}

/** Decodes a KRB-ERROR (RFC 4120 section 5.9.1); `eData` stays opaque. */
export function decodeKrbError(bytes: Uint8Array, options?: DecodeOptions): KrbErrorMessage {
  return krbErrorCodec.decode(bytes, options);
}

/**
 * Encodes METHOD-DATA (SEQUENCE OF PA-DATA), the usual KRB-ERROR e-data.
 *
 * **The result is a view into a shared slab**: its `.buffer` also holds other encodings,
 * which may include keys. {@link ownedCopy} gives bytes of your own (to keep, transfer, or wipe).
 */
export function encodeMethodData(value: MethodData): Uint8Array {
  return methodDataCodec.encode(value);
}

/** Decodes METHOD-DATA (SEQUENCE OF PA-DATA). */
export function decodeMethodData(bytes: Uint8Array, options?: DecodeOptions): MethodData {
  return methodDataCodec.decode(bytes, options);
}

/**
 * Encodes TYPED-DATA (at least one entry).
 *
 * **The result is a view into a shared slab**: its `.buffer` also holds other encodings,
 * which may include keys. {@link ownedCopy} gives bytes of your own (to keep, transfer, or wipe).
 */
export function encodeTypedData(value: TypedData): Uint8Array {
  return typedDataCodec.encode(value);
}

/** Decodes TYPED-DATA (at least one entry). */
export function decodeTypedData(bytes: Uint8Array, options?: DecodeOptions): TypedData {
  return typedDataCodec.decode(bytes, options);
}

const kerbErrorDataCodec = new Codec<KerbErrorData>('KERB-ERROR-DATA', KerbErrorDataDef);

/**
 * Encodes KERB-ERROR-DATA (MS-KILE 2.2.2), a Windows KDC's e-data for an
 * extended error.
 *
 * **The result is a view into a shared slab**: its `.buffer` also holds other encodings,
 * which may include keys. {@link ownedCopy} gives bytes of your own (to keep, transfer, or wipe).
 */
export function encodeKerbErrorData(value: KerbErrorData): Uint8Array {
  return kerbErrorDataCodec.encode(value);
}

/** Decodes KERB-ERROR-DATA (MS-KILE 2.2.2). */
export function decodeKerbErrorData(bytes: Uint8Array, options?: DecodeOptions): KerbErrorData {
  return kerbErrorDataCodec.decode(bytes, options);
}

/**
 * KERB-EXT-ERROR (MS-KILE 2.2.1), the data-value of a KERB_ERR_TYPE_EXTENDED
 * KERB-ERROR-DATA: not DER but a little-endian C struct of three 32-bit
 * words, the NTSTATUS, a reserved zero, and flags 1.
 */
export function encodeKerbExtError(ntStatus: number): Uint8Array {
  const out = new Uint8Array(12);
  const v = new DataView(out.buffer);
  v.setUint32(0, ntStatus >>> 0, true);
  v.setUint32(8, 1, true);
  return out;
}

/**
 * The NTSTATUS of a KERB-EXT-ERROR (MS-KILE 2.2.1). Throws an {@link Asn1Error}
 * for anything but 12 bytes.
 */
export function decodeKerbExtError(bytes: Uint8Array): { readonly ntStatus: number; readonly flags: number } {
  if (bytes.length !== 12) {
    throw new Asn1Error(`expected 12 bytes, got ${bytes.length}`, { path: 'KERB-EXT-ERROR' });
  }
  const v = new DataView(bytes.buffer, bytes.byteOffset, 12);
  return { ntStatus: v.getUint32(0, true), flags: v.getUint32(8, true) };
}

/**
 * Encodes PA-FX-ERROR (RFC 6113 section 5.4.4): the padata value is a KRB-ERROR.
 *
 * **The result is a view into a shared slab**: its `.buffer` also holds other encodings,
 * which may include keys. {@link ownedCopy} gives bytes of your own (to keep, transfer, or wipe).
 */
export const encodePaFxError = (v: KrbErrorMessage): Uint8Array => encodeKrbError(v);
/** Decodes PA-FX-ERROR (RFC 6113 section 5.4.4). */
export const decodePaFxError = (b: Uint8Array, o?: DecodeOptions): KrbErrorMessage => decodeKrbError(b, o);
