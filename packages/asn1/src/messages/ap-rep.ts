/**
 * AP-REP and its encrypted part EncAPRepPart: RFC 4120 section 5.5.2, the
 * service's answer to an AP-REQ with mutual-required.
 *
 * @module
 */

import { AppTag } from '../iana/msg-type';
import { Codec, type DecodeOptions } from '../schema/codec';
import { app, field, kerberosTime, microseconds, msgType, optional, seq, uint32, vno } from '../schema/nodes';
import type { ApRep, EncApRepPart } from '../types/ap';
import { EncryptedDataDef, EncryptionKeyDef } from './basic';

/**
 * AP-REP ::= [APPLICATION 15] SEQUENCE {
 *   pvno     [0] INTEGER (5),
 *   msg-type [1] INTEGER (15),
 *   enc-part [2] EncryptedData -- EncAPRepPart
 * }
 */
export const ApRepDef = app(
  AppTag.AP_REP,
  seq('AP-REP', [
    field(0, 'pvno', vno),
    field(1, 'msg-type', msgType),
    field(2, 'enc-part', EncryptedDataDef),
  ]),
  'msgType',
);

/**
 * EncAPRepPart ::= [APPLICATION 27] SEQUENCE {
 *   ctime      [0] KerberosTime,
 *   cusec      [1] Microseconds,
 *   subkey     [2] EncryptionKey OPTIONAL,
 *   seq-number [3] UInt32 OPTIONAL
 * }
 */
export const EncApRepPartDef = app(
  AppTag.EncAPRepPart,
  seq('EncAPRepPart', [
    field(0, 'ctime', kerberosTime),
    field(1, 'cusec', microseconds),
    optional(field(2, 'subkey', EncryptionKeyDef)),
    optional(field(3, 'seq-number', uint32)),
  ]),
);

/** The AP-REP codec (generated from its declaration), for embedding. */
export const apRepCodec = new Codec<ApRep>('AP-REP', ApRepDef);
/** The EncAPRepPart codec (generated from its declaration), for embedding. */
export const encApRepPartCodec = new Codec<EncApRepPart>('EncAPRepPart', EncApRepPartDef);

/**
 * Encodes an AP-REP (RFC 4120 section 5.5.2).
 *
 * **The result is a view into a shared slab**: its `.buffer` also holds other encodings,
 * which may include keys. {@link ownedCopy} gives bytes of your own (to keep, transfer, or wipe).
 */
export function encodeApRep(value: ApRep): Uint8Array {
  return apRepCodec.encode(value);
}

/** Decodes an AP-REP (RFC 4120 section 5.5.2). */
export function decodeApRep(bytes: Uint8Array, options?: DecodeOptions): ApRep {
  return apRepCodec.decode(bytes, options);
}

/**
 * Encodes an EncAPRepPart (RFC 4120 section 5.5.2), ready to encrypt with usage 12.
 *
 * **The result is a view into a shared slab**: its `.buffer` also holds other encodings,
 * which may include keys. {@link ownedCopy} gives bytes of your own (to keep, transfer, or wipe).
 */
export function encodeEncApRepPart(value: EncApRepPart): Uint8Array {
  return encApRepPartCodec.encode(value);
}

/** Decodes a decrypted EncAPRepPart (RFC 4120 section 5.5.2). */
export function decodeEncApRepPart(bytes: Uint8Array, options?: DecodeOptions): EncApRepPart {
  return encApRepPartCodec.decode(bytes, options);
}
