/**
 * KRB-PRIV and EncKrbPrivPart: RFC 4120 section 5.7.1, encrypted application
 * data (key usage 13).
 *
 * @module
 */

import { AppTag } from '../iana/msg-type';
import { Codec, type DecodeOptions } from '../schema/codec';
import {
  app,
  field,
  kerberosTime,
  microseconds,
  msgType,
  octetString,
  optional,
  seq,
  uint32,
  vno,
} from '../schema/nodes';
import type { EncKrbPrivPart, KrbPriv } from '../types/cred';
import { EncryptedDataDef, HostAddressDef } from './basic';

/**
 * KRB-PRIV ::= [APPLICATION 21] SEQUENCE {
 *   pvno     [0] INTEGER (5),
 *   msg-type [1] INTEGER (21),
 *   -- NOTE: there is no [2] tag
 *   enc-part [3] EncryptedData -- EncKrbPrivPart
 * }
 */
export const KrbPrivDef = app(
  AppTag.KRB_PRIV,
  seq('KRB-PRIV', [
    field(0, 'pvno', vno),
    field(1, 'msg-type', msgType),
    field(3, 'enc-part', EncryptedDataDef),
  ]),
  'msgType',
);

/**
 * EncKrbPrivPart ::= [APPLICATION 28] SEQUENCE {
 *   user-data  [0] OCTET STRING,
 *   timestamp  [1] KerberosTime OPTIONAL,
 *   usec       [2] Microseconds OPTIONAL,
 *   seq-number [3] UInt32 OPTIONAL,
 *   s-address  [4] HostAddress -- sender's addr --,
 *   r-address  [5] HostAddress OPTIONAL -- recip's addr
 * }
 */
export const EncKrbPrivPartDef = app(
  AppTag.EncKrbPrivPart,
  seq('EncKrbPrivPart', [
    field(0, 'user-data', octetString),
    optional(field(1, 'timestamp', kerberosTime)),
    optional(field(2, 'usec', microseconds)),
    optional(field(3, 'seq-number', uint32)),
    field(4, 's-address', HostAddressDef),
    optional(field(5, 'r-address', HostAddressDef)),
  ]),
);

/** The KRB-PRIV codec (generated from its declaration), for embedding. */
export const krbPrivCodec = new Codec<KrbPriv>('KRB-PRIV', KrbPrivDef);
/** The EncKrbPrivPart codec (generated from its declaration), for embedding. */
export const encKrbPrivPartCodec = new Codec<EncKrbPrivPart>('EncKrbPrivPart', EncKrbPrivPartDef);

/**
 * Encodes a KRB-PRIV (RFC 4120 section 5.7.1).
 *
 * **The result is a view into a shared slab**: its `.buffer` also holds other encodings,
 * which may include keys. {@link ownedCopy} gives bytes of your own (to keep, transfer, or wipe).
 */
export function encodeKrbPriv(value: KrbPriv): Uint8Array {
  return krbPrivCodec.encode(value);
}

/** Decodes a KRB-PRIV (RFC 4120 section 5.7.1). */
export function decodeKrbPriv(bytes: Uint8Array, options?: DecodeOptions): KrbPriv {
  return krbPrivCodec.decode(bytes, options);
}

/**
 * Encodes an EncKrbPrivPart (RFC 4120 section 5.7.1), ready to encrypt with usage 13.
 *
 * **The result is a view into a shared slab**: its `.buffer` also holds other encodings,
 * which may include keys. {@link ownedCopy} gives bytes of your own (to keep, transfer, or wipe).
 */
export function encodeEncKrbPrivPart(value: EncKrbPrivPart): Uint8Array {
  return encKrbPrivPartCodec.encode(value);
}

/** Decodes a decrypted EncKrbPrivPart (RFC 4120 section 5.7.1). */
export function decodeEncKrbPrivPart(bytes: Uint8Array, options?: DecodeOptions): EncKrbPrivPart {
  return encKrbPrivPartCodec.decode(bytes, options);
}
