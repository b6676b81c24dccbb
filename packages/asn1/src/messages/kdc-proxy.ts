/**
 * KDC-PROXY-MESSAGE: MS-KKDCP section 2.2.2, the body of the HTTPS POSTs
 * between a client and a KDC proxy (and of the proxy's answers).
 *
 * The proxy forwards `kerb-message` to a KDC of `target-domain` as it is,
 * so the message keeps the four-byte big-endian length prefix of Kerberos
 * over TCP (RFC 4120 section 7.2.2); this codec treats it as opaque octets and
 * neither adds nor checks the prefix. `dclocator-hint` carries DsGetDcName
 * flags, an unsigned 32-bit set; it is read as UInt32. The proxy's reply uses
 * the same type with only `kerb-message` set. MIT's KKDCP support (the
 * `https://` kdc entries of krb5.conf) speaks the same structure.
 *
 * @module
 */

import { Codec, type DecodeOptions } from '../schema/codec';
import { field, kerberosString, octetString, optional, seq, uint32 } from '../schema/nodes';
import type { KdcProxyMessage } from '../types/proxy';

/**
 * KDC-PROXY-MESSAGE ::= SEQUENCE {
 *   kerb-message   [0] OCTET STRING,
 *   target-domain  [1] KERB-REALM OPTIONAL,
 *   dclocator-hint [2] INTEGER OPTIONAL
 * }
 * KERB-REALM ::= GeneralString
 */
export const KdcProxyMessageDef = seq('KDC-PROXY-MESSAGE', [
  field(0, 'kerb-message', octetString),
  optional(field(1, 'target-domain', kerberosString)),
  optional(field(2, 'dclocator-hint', uint32)),
]);

const kdcProxyMessage = new Codec<KdcProxyMessage>('KDC-PROXY-MESSAGE', KdcProxyMessageDef);

/**
 * Encodes a KDC-PROXY-MESSAGE (MS-KKDCP section 2.2.2).
 *
 * **The result is a view into a shared slab**: its `.buffer` also holds other encodings,
 * which may include keys. {@link ownedCopy} gives bytes of your own (to keep, transfer, or wipe).
 */
export function encodeKdcProxyMessage(value: KdcProxyMessage): Uint8Array {
  return kdcProxyMessage.encode(value);
}

/**
 * Decodes a KDC-PROXY-MESSAGE (MS-KKDCP section 2.2.2). `kerbMessage` still
 * carries the 4-byte length prefix of the TCP framing (RFC 4120 section 7.2.2):
 * strip it before `decodeMessage`. The HTTP body limit is the caller's; the
 * default `maxBytes` (1 MiB) still applies here.
 */
export function decodeKdcProxyMessage(bytes: Uint8Array, options?: DecodeOptions): KdcProxyMessage {
  return kdcProxyMessage.decode(bytes, options);
}
