/**
 * Delegated credentials: RFC 4121 section 4.1.1 lets an initiator put a
 * KRB-CRED (RFC 4120 section 5.8) in the GSS checksum when it sets the deleg
 * flag. Its EncKrbCredPart is encrypted with the authenticator subkey or the
 * session key (key usage 14), or sent in the clear (etype 0), as Windows and
 * MIT do inside GSS; all three are read here, subkey first as MIT's acceptor
 * tries them.
 *
 * @module
 */

import {
  decodeEncKrbCredPart,
  decodeKrbCred,
  type EncKrbCredPart,
  type KrbCredInfo,
  type Ticket,
} from '@krbsim/asn1';
import { ErrorCode, isKerberosError, KerberosError } from '@krbsim/core';
import { decrypt, type Key, KeyUsage } from '@krbsim/crypto';

/** Credentials a client delegated. */
export interface DelegatedCredential {
  /** The KRB-CRED as received (DER). */
  readonly krbCred: Uint8Array;
  /** The tickets, in order. */
  readonly tickets: readonly Ticket[];
  /** For each ticket, its session key and the names and times the client sent. */
  readonly info: readonly KrbCredInfo[];
}

/** Decodes and decrypts a delegated KRB-CRED. */
export function readDelegation(
  krbCred: Uint8Array,
  subkey: Key | undefined,
  sessionKey: Key,
): DelegatedCredential {
  const cred = decodeKrbCred(krbCred);
  const enc = cred.encPart;
  let part: EncKrbCredPart | undefined;
  if (enc.etype === 0) {
    part = decodeEncKrbCredPart(enc.cipher);
  } else {
    for (const key of [subkey, sessionKey]) {
      if (key === undefined || key.etype !== enc.etype) continue;
      try {
        part = decodeEncKrbCredPart(decrypt(key, KeyUsage.KRB_CRED_ENCPART, enc.cipher));
        break;
      } catch (e) {
        if (!isKerberosError(e, ErrorCode.KRB_AP_ERR_BAD_INTEGRITY)) throw e;
      }
    }
  }
  if (part === undefined) {
    throw new KerberosError(
      ErrorCode.KRB_AP_ERR_BAD_INTEGRITY,
      'the delegated credentials (KRB-CRED) did not decrypt with the subkey or the session key',
    );
  }
  if (part.ticketInfo.length !== cred.tickets.length) {
    throw new KerberosError(
      ErrorCode.KRB_AP_ERR_MODIFIED,
      `the delegated KRB-CRED has ${cred.tickets.length} tickets but ${part.ticketInfo.length} ticket-info entries`,
    );
  }
  return { krbCred, tickets: cred.tickets, info: part.ticketInfo };
}
