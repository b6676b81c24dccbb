/**
 * Building what both exchanges send: the Ticket (RFC 4120 section 5.3, its
 * EncTicketPart encrypted with the server's key, usage 2), the encrypted
 * reply part (section 5.4.2), fresh session keys, and the PAC container
 * AD-IF-RELEVANT[AD-WIN2K-PAC] (RFC 4120 section 5.2.6.1, MS-PAC section 2).
 *
 * @module
 */

import type {
  AuthorizationData,
  EncKdcRepPart,
  EncryptedData,
  EncryptionKey,
  EncTicketPart,
  PrincipalName,
  Ticket,
} from '@krbsim/asn1';
import {
  AdType,
  encodeAuthorizationData,
  encodeEncAsRepPart,
  encodeEncTgsRepPart,
  encodeEncTicketPart,
} from '@krbsim/asn1';
import type { RandomSource } from '@krbsim/core';
import { encrypt, generateKey, type Key, KeyUsage } from '@krbsim/crypto';
import type { StoredKey } from './keys';
import { toEncryptionKey } from './keys';

/** A new random session key of `etype` from the realm's random source. */
export function newSessionKey(etype: number, random: RandomSource): EncryptionKey {
  return toEncryptionKey(generateKey(etype, { random }));
}

/** Encrypt `etp` with the server's key (usage 2) into a Ticket for `sname@realm`. */
export function sealTicket(
  realm: string,
  sname: PrincipalName,
  etp: EncTicketPart,
  serverKey: StoredKey,
  random: RandomSource,
): Ticket {
  const cipher = encrypt(serverKey.key, KeyUsage.KDC_REP_TICKET, encodeEncTicketPart(etp), { random });
  return { tktVno: 5, realm, sname, encPart: { etype: serverKey.key.etype, kvno: serverKey.kvno, cipher } };
}

/**
 * Encrypt the reply part. AS: EncASRepPart (APPLICATION 25, the RFC's tag;
 * MIT sends 26, which clients also accept) with the client key, usage 3.
 * TGS: EncTGSRepPart (26) with the TGT session key (usage 8) or the
 * authenticator subkey (usage 9).
 */
export function sealReplyPart(
  part: EncKdcRepPart,
  kind: 'as' | 'tgs',
  key: Key,
  usage: number,
  random: RandomSource,
  kvno?: number,
): EncryptedData {
  const der = kind === 'as' ? encodeEncAsRepPart(part) : encodeEncTgsRepPart(part);
  return {
    etype: key.etype,
    ...(kvno !== undefined && { kvno }),
    cipher: encrypt(key, usage, der, { random }),
  };
}

/** A PAC wrapped as the ticket's authorization data: AD-IF-RELEVANT containing AD-WIN2K-PAC. */
export function pacAuthorizationData(pac: Uint8Array): AuthorizationData {
  return [
    {
      adType: AdType.AD_IF_RELEVANT,
      adData: encodeAuthorizationData([{ adType: AdType.AD_WIN2K_PAC, adData: pac }]),
    },
  ];
}

/** Concatenate authorization data lists, leaving the field absent when empty. */
export function joinAuthorizationData(...lists: (AuthorizationData | undefined)[]): {
  authorizationData?: AuthorizationData;
} {
  const all = lists.flatMap((l) => l ?? []);
  return all.length > 0 ? { authorizationData: all } : {};
}
