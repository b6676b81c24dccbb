/**
 * Authenticator: RFC 4120 section 5.5.1, the plaintext of an AP-REQ's
 * authenticator (key usage 11, or 7 inside a PA-TGS-REQ).
 *
 * @module
 */

import { AppTag } from '../iana/msg-type';
import { Codec, type DecodeOptions } from '../schema/codec';
import { app, field, kerberosTime, microseconds, optional, realm, seq, uint32, vno } from '../schema/nodes';
import type { Authenticator } from '../types/ap';
import { AuthorizationDataDef, ChecksumDef, EncryptionKeyDef, PrincipalNameDef } from './basic';

/**
 * Authenticator ::= [APPLICATION 2] SEQUENCE {
 *   authenticator-vno  [0] INTEGER (5),
 *   crealm             [1] Realm,
 *   cname              [2] PrincipalName,
 *   cksum              [3] Checksum OPTIONAL,
 *   cusec              [4] Microseconds,
 *   ctime              [5] KerberosTime,
 *   subkey             [6] EncryptionKey OPTIONAL,
 *   seq-number         [7] UInt32 OPTIONAL,
 *   authorization-data [8] AuthorizationData OPTIONAL
 * }
 */
export const AuthenticatorDef = app(
  AppTag.Authenticator,
  seq('Authenticator', [
    field(0, 'authenticator-vno', vno),
    field(1, 'crealm', realm),
    field(2, 'cname', PrincipalNameDef),
    optional(field(3, 'cksum', ChecksumDef)),
    field(4, 'cusec', microseconds),
    field(5, 'ctime', kerberosTime),
    optional(field(6, 'subkey', EncryptionKeyDef)),
    optional(field(7, 'seq-number', uint32)),
    optional(field(8, 'authorization-data', AuthorizationDataDef)),
  ]),
);

/** The Authenticator codec. */
export const authenticatorCodec = new Codec<Authenticator>('Authenticator', AuthenticatorDef);

/**
 * Encodes an Authenticator (RFC 4120 section 5.5.1) as `[APPLICATION 2]` DER, ready to encrypt.
 *
 * **The result is a view into a shared slab**: its `.buffer` also holds other encodings,
 * which may include keys. {@link ownedCopy} gives bytes of your own (to keep, transfer, or wipe).
 */
export function encodeAuthenticator(value: Authenticator): Uint8Array {
  return authenticatorCodec.encode(value);
}

/**
 * Decodes a decrypted Authenticator (RFC 4120 section 5.5.1). Throws
 * {@link Asn1Error}; a wrong authenticator-vno is `KRB_AP_ERR_BADVERSION`.
 */
export function decodeAuthenticator(bytes: Uint8Array, options?: DecodeOptions): Authenticator {
  return authenticatorCodec.decode(bytes, options);
}
