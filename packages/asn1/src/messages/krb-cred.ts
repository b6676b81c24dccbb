/**
 * KRB-CRED, EncKrbCredPart and KrbCredInfo: RFC 4120 section 5.8.1, the
 * message that forwards tickets (GSS delegation, `kinit -f` forwarding).
 *
 * @module
 */

import { TicketFlags } from '../iana/flags';
import { AppTag } from '../iana/msg-type';
import { Codec, type DecodeOptions } from '../schema/codec';
import {
  app,
  field,
  kerberosFlags,
  kerberosTime,
  microseconds,
  msgType,
  nonce,
  optional,
  realm,
  seq,
  seqOf,
  vno,
} from '../schema/nodes';
import type { EncKrbCredPart, KrbCred } from '../types/cred';
import {
  EncryptedDataDef,
  EncryptionKeyDef,
  HostAddressDef,
  HostAddressesDef,
  PrincipalNameDef,
} from './basic';
import { TicketDef } from './ticket';

/**
 * KRB-CRED ::= [APPLICATION 22] SEQUENCE {
 *   pvno     [0] INTEGER (5),
 *   msg-type [1] INTEGER (22),
 *   tickets  [2] SEQUENCE OF Ticket,
 *   enc-part [3] EncryptedData -- EncKrbCredPart
 * }
 */
export const KrbCredDef = app(
  AppTag.KRB_CRED,
  seq('KRB-CRED', [
    field(0, 'pvno', vno),
    field(1, 'msg-type', msgType),
    field(2, 'tickets', seqOf('SEQUENCE OF Ticket', TicketDef)),
    field(3, 'enc-part', EncryptedDataDef),
  ]),
  'msgType',
);

/**
 * KrbCredInfo ::= SEQUENCE {
 *   key        [0] EncryptionKey,
 *   prealm     [1] Realm OPTIONAL,
 *   pname      [2] PrincipalName OPTIONAL,
 *   flags      [3] TicketFlags OPTIONAL,
 *   authtime   [4] KerberosTime OPTIONAL,
 *   starttime  [5] KerberosTime OPTIONAL,
 *   endtime    [6] KerberosTime OPTIONAL,
 *   renew-till [7] KerberosTime OPTIONAL,
 *   srealm     [8] Realm OPTIONAL,
 *   sname      [9] PrincipalName OPTIONAL,
 *   caddr      [10] HostAddresses OPTIONAL
 * }
 */
export const KrbCredInfoDef = seq('KrbCredInfo', [
  field(0, 'key', EncryptionKeyDef),
  optional(field(1, 'prealm', realm)),
  optional(field(2, 'pname', PrincipalNameDef)),
  optional(field(3, 'flags', kerberosFlags(TicketFlags))),
  optional(field(4, 'authtime', kerberosTime)),
  optional(field(5, 'starttime', kerberosTime)),
  optional(field(6, 'endtime', kerberosTime)),
  optional(field(7, 'renew-till', kerberosTime)),
  optional(field(8, 'srealm', realm)),
  optional(field(9, 'sname', PrincipalNameDef)),
  optional(field(10, 'caddr', HostAddressesDef)),
]);

/**
 * EncKrbCredPart ::= [APPLICATION 29] SEQUENCE {
 *   ticket-info [0] SEQUENCE OF KrbCredInfo,
 *   nonce       [1] UInt32 OPTIONAL,
 *   timestamp   [2] KerberosTime OPTIONAL,
 *   usec        [3] Microseconds OPTIONAL,
 *   s-address   [4] HostAddress OPTIONAL,
 *   r-address   [5] HostAddress OPTIONAL
 * }
 */
export const EncKrbCredPartDef = app(
  AppTag.EncKrbCredPart,
  seq('EncKrbCredPart', [
    field(0, 'ticket-info', seqOf('SEQUENCE OF KrbCredInfo', KrbCredInfoDef)),
    optional(field(1, 'nonce', nonce)),
    optional(field(2, 'timestamp', kerberosTime)),
    optional(field(3, 'usec', microseconds)),
    optional(field(4, 's-address', HostAddressDef)),
    optional(field(5, 'r-address', HostAddressDef)),
  ]),
);

/** The KRB-CRED codec (generated from its declaration), for embedding. */
export const krbCredCodec = new Codec<KrbCred>('KRB-CRED', KrbCredDef);
/** The EncKrbCredPart codec (generated from its declaration), for embedding. */
export const encKrbCredPartCodec = new Codec<EncKrbCredPart>('EncKrbCredPart', EncKrbCredPartDef);

/**
 * Encodes a KRB-CRED (RFC 4120 section 5.8.1).
 *
 * **The result is a view into a shared slab**: its `.buffer` also holds other encodings,
 * which may include keys. {@link ownedCopy} gives bytes of your own (to keep, transfer, or wipe).
 */
export function encodeKrbCred(value: KrbCred): Uint8Array {
  return krbCredCodec.encode(value);
}

/** Decodes a KRB-CRED (RFC 4120 section 5.8.1). */
export function decodeKrbCred(bytes: Uint8Array, options?: DecodeOptions): KrbCred {
  return krbCredCodec.decode(bytes, options);
}

/**
 * Encodes an EncKrbCredPart (RFC 4120 section 5.8.1), to encrypt with usage 14 or send with etype 0.
 *
 * **The result is a view into a shared slab**: its `.buffer` also holds other encodings,
 * which may include keys. {@link ownedCopy} gives bytes of your own (to keep, transfer, or wipe).
 */
export function encodeEncKrbCredPart(value: EncKrbCredPart): Uint8Array {
  return encKrbCredPartCodec.encode(value);
}

/** Decodes an EncKrbCredPart (RFC 4120 section 5.8.1). */
export function decodeEncKrbCredPart(bytes: Uint8Array, options?: DecodeOptions): EncKrbCredPart {
  return encKrbCredPartCodec.decode(bytes, options);
}
