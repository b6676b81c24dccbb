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
  HostAddress,
  PrincipalName,
  Ticket,
  TransitedEncoding,
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
import type { ServerKey } from '@krbsim/service';
import { toEncryptionKey } from './keys';
import type { PrincipalEntry } from './principal-db';
import { starttimeField, type TicketTimes } from './ticket-times';

/**
 * A ticket the KDC has decided to issue, before its authorization data is
 * chosen: who the client is, which server it is for and under which name,
 * which ticket was the evidence, which key seals it, and its session key,
 * flags, times, transited path and addresses (RFC 4120 section 5.3).
 */
export interface TicketDraft {
  readonly exchange: 'AS' | 'TGS';
  /** The client as the ticket names it. */
  readonly cname: PrincipalName;
  readonly crealm: string;
  /** The client's database entry, when the client belongs to the issuing realm. */
  readonly client: PrincipalEntry | undefined;
  /** The server: a service, or a krbtgt entry for TGTs and referrals. */
  readonly server: PrincipalEntry;
  /** The server name the ticket and reply carry. */
  readonly sname: PrincipalName;
  /** The decrypted ticket presented as evidence: the TGT in a TGS exchange, none in AS. */
  readonly evidence: EncTicketPart | undefined;
  /**
   * The key that seals the ticket: the server's long-term key, with its
   * kvno; for user-to-user, the session key of the second ticket, with none
   * (RFC 4120 section 3.3.3).
   */
  readonly serverKey: SealingKey;
  readonly sessionKey: EncryptionKey;
  readonly flags: number;
  readonly times: TicketTimes;
  readonly transited: TransitedEncoding;
  readonly caddr: readonly HostAddress[] | undefined;
}

/** A key that seals a ticket, and the kvno the ticket names (none for a session key). */
export type SealingKey = Pick<ServerKey, 'key'> & { readonly kvno?: number };

/** A {@link TicketDraft} with the authorization data it will carry. */
export interface TicketRequest extends TicketDraft {
  readonly authorizationData: AuthorizationData | undefined;
}

/** The EncTicketPart of `r` (RFC 4120 section 5.3); optional fields absent when empty. */
export function encTicketPartOf(r: TicketRequest): EncTicketPart {
  const t = r.times;
  return {
    flags: r.flags,
    key: r.sessionKey,
    crealm: r.crealm,
    cname: r.cname,
    transited: r.transited,
    authtime: t.authtime,
    ...starttimeField(t),
    endtime: t.endtime,
    ...(t.renewTill !== undefined && { renewTill: t.renewTill }),
    ...(r.caddr && r.caddr.length > 0 && { caddr: [...r.caddr] }),
    ...joinAuthorizationData(r.authorizationData),
  };
}

/**
 * Seal `r` into a Ticket of `realm` (the one place tickets are made);
 * `sign` signs its PAC (`pac-issuance.ts`).
 */
export function issueTicket(
  realm: string,
  r: TicketRequest,
  random: RandomSource,
  sign?: (etp: EncTicketPart) => EncTicketPart,
): { ticket: Ticket; encTicketPart: EncTicketPart } {
  // The PAC's signatures cover the finished EncTicketPart, so they come last.
  const encTicketPart = sign === undefined ? encTicketPartOf(r) : sign(encTicketPartOf(r));
  return { ticket: sealTicket(realm, r.sname, encTicketPart, r.serverKey, random), encTicketPart };
}

/** A new random session key of `etype` from the realm's random source. */
export function newSessionKey(etype: number, random: RandomSource): EncryptionKey {
  return toEncryptionKey(generateKey(etype, { random }));
}

/** Encrypt `etp` with the server's key (usage 2) into a Ticket for `sname@realm`. */
export function sealTicket(
  realm: string,
  sname: PrincipalName,
  etp: EncTicketPart,
  serverKey: SealingKey,
  random: RandomSource,
): Ticket {
  const cipher = encrypt(serverKey.key, KeyUsage.KDC_REP_TICKET, encodeEncTicketPart(etp), { random });
  const { etype } = serverKey.key;
  const kvno = serverKey.kvno;
  return { tktVno: 5, realm, sname, encPart: { etype, ...(kvno !== undefined && { kvno }), cipher } };
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
