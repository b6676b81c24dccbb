/**
 * KRB-SAFE: RFC 4120 section 5.6.1, application data with a keyed checksum
 * (key usage 15) over the DER of `safe-body`.
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
import type { KrbSafe, KrbSafeBody } from '../types/cred';
import { ChecksumDef, HostAddressDef } from './basic';

/**
 * KRB-SAFE-BODY ::= SEQUENCE {
 *   user-data  [0] OCTET STRING,
 *   timestamp  [1] KerberosTime OPTIONAL,
 *   usec       [2] Microseconds OPTIONAL,
 *   seq-number [3] UInt32 OPTIONAL,
 *   s-address  [4] HostAddress,
 *   r-address  [5] HostAddress OPTIONAL
 * }
 */
export const KrbSafeBodyDef = seq('KRB-SAFE-BODY', [
  field(0, 'user-data', octetString),
  optional(field(1, 'timestamp', kerberosTime)),
  optional(field(2, 'usec', microseconds)),
  optional(field(3, 'seq-number', uint32)),
  field(4, 's-address', HostAddressDef),
  optional(field(5, 'r-address', HostAddressDef)),
]);

/**
 * KRB-SAFE ::= [APPLICATION 20] SEQUENCE {
 *   pvno      [0] INTEGER (5),
 *   msg-type  [1] INTEGER (20),
 *   safe-body [2] KRB-SAFE-BODY,
 *   cksum     [3] Checksum
 * }
 */
export const KrbSafeDef = app(
  AppTag.KRB_SAFE,
  seq('KRB-SAFE', [
    field(0, 'pvno', vno),
    field(1, 'msg-type', msgType),
    field(2, 'safe-body', KrbSafeBodyDef),
    field(3, 'cksum', ChecksumDef),
  ]),
  'msgType',
);

/** The KRB-SAFE codec (generated from its declaration), for embedding. */
export const krbSafeCodec = new Codec<KrbSafe>('KRB-SAFE', KrbSafeDef);
/** The KRB-SAFE-BODY codec (generated from its declaration), for embedding. */
export const krbSafeBodyCodec = new Codec<KrbSafeBody>('KRB-SAFE-BODY', KrbSafeBodyDef);

/**
 * Encodes a KRB-SAFE (RFC 4120 section 5.6.1).
 *
 * **The result is a view into a shared slab**: its `.buffer` also holds other encodings,
 * which may include keys. {@link ownedCopy} gives bytes of your own (to keep, transfer, or wipe).
 */
export function encodeKrbSafe(value: KrbSafe): Uint8Array {
  return krbSafeCodec.encode(value);
}

/** Decodes a KRB-SAFE (RFC 4120 section 5.6.1). */
export function decodeKrbSafe(bytes: Uint8Array, options?: DecodeOptions): KrbSafe {
  return krbSafeCodec.decode(bytes, options);
}

/**
 * Encodes a KRB-SAFE-BODY: the bytes the KRB-SAFE checksum covers.
 *
 * **The result is a view into a shared slab**: its `.buffer` also holds other encodings,
 * which may include keys. {@link ownedCopy} gives bytes of your own (to keep, transfer, or wipe).
 */
export function encodeKrbSafeBody(value: KrbSafeBody): Uint8Array {
  return krbSafeBodyCodec.encode(value);
}

/** Decodes a KRB-SAFE-BODY. */
export function decodeKrbSafeBody(bytes: Uint8Array, options?: DecodeOptions): KrbSafeBody {
  return krbSafeBodyCodec.decode(bytes, options);
}
