/**
 * ChangePasswdData: RFC 3244 section 2, the user data of the KRB-PRIV in a
 * kpasswd "set password" request (protocol version 0xff80): the new password
 * and, to set another principal's, its name and realm.
 *
 * @module
 */

import { Codec, type DecodeOptions } from '../schema/codec';
import { field, octetString, optional, realm, seq } from '../schema/nodes';
import type { ChangePasswdData } from '../types/cred';
import { PrincipalNameDef } from './basic';

/**
 * ChangePasswdData ::= SEQUENCE {
 *   newpasswd [0] OCTET STRING,
 *   targname  [1] PrincipalName OPTIONAL,
 *   targrealm [2] Realm OPTIONAL
 * }
 */
const ChangePasswdDataDef = seq('ChangePasswdData', [
  field(0, 'newpasswd', octetString, { key: 'newPasswd' }),
  optional(field(1, 'targname', PrincipalNameDef, { key: 'targName' })),
  optional(field(2, 'targrealm', realm, { key: 'targRealm' })),
]);

const changePasswdData = new Codec<ChangePasswdData>('ChangePasswdData', ChangePasswdDataDef);

/**
 * Encodes a ChangePasswdData (RFC 3244 section 2).
 *
 * **The result is a view into a shared slab**: its `.buffer` also holds other encodings,
 * which may include keys. {@link ownedCopy} gives bytes of your own (to keep, transfer, or wipe).
 */
export function encodeChangePasswdData(value: ChangePasswdData): Uint8Array {
  return changePasswdData.encode(value);
}

/** Decodes a ChangePasswdData (RFC 3244 section 2). */
export function decodeChangePasswdData(bytes: Uint8Array, options?: DecodeOptions): ChangePasswdData {
  return changePasswdData.decode(bytes, options);
}
