/**
 * The AS and TGS exchanges: KDC-REQ, KDC-REP and their encrypted parts
 * (RFC 4120 sections 5.4.1 and 5.4.2).
 *
 * @module
 */

import type {
  AuthorizationData,
  EncryptedData,
  EncryptionKey,
  HostAddress,
  IntegerForm,
  KerberosFlags,
  KerberosTime,
  LastReqEntry,
  PaData,
  PrincipalName,
} from './basic';
import type { Ticket } from './ticket';

/** `KDC-REQ-BODY` (RFC 4120 section 5.4.1). */
export interface KdcReqBody {
  readonly kdcOptions: KerberosFlags;
  readonly cname?: PrincipalName;
  /** The server's realm (and the client's, in an AS-REQ). */
  readonly realm: string;
  readonly sname?: PrincipalName;
  readonly from?: KerberosTime;
  readonly till: KerberosTime;
  readonly rtime?: KerberosTime;
  readonly nonce: number;
  /**
   * Set to `unsigned` when a nonce of 2^31 or more came in the canonical
   * unsigned form (`02 05 00 94 70 9c 33`). By default the encoder writes the
   * signed form (`02 04 94 70 9c 33` for 0x94709c33), as MIT and Heimdal
   * do: both declare nonces Int32, and MIT refuses the unsigned form.
   */
  readonly nonceForm?: IntegerForm;
  /** In order of preference. */
  readonly etype: readonly number[];
  readonly addresses?: readonly HostAddress[];
  /** AuthorizationData encrypted with the session key or subkey (usage 4 or 5). */
  readonly encAuthorizationData?: EncryptedData;
  readonly additionalTickets?: readonly Ticket[];
}

/**
 * `AS-REQ ::= [APPLICATION 10] KDC-REQ`, `TGS-REQ ::= [APPLICATION 12] KDC-REQ`.
 */
export interface KdcReq {
  readonly pvno: 5;
  readonly msgType: 10 | 12;
  readonly padata?: readonly PaData[];
  readonly reqBody: KdcReqBody;
  /**
   * The exact DER bytes of `req-body` as received, set by the decoder only
   * (the TGS checks the authenticator's checksum over these bytes, RFC 4120
   * section 5.5.1). Encoders ignore it.
   */
  readonly reqBodyDer?: Uint8Array;
}

/** An AS-REQ: a {@link KdcReq} whose msg-type is 10. */
export type AsReq = KdcReq & { readonly msgType: 10 };
/** A TGS-REQ: a {@link KdcReq} whose msg-type is 12. */
export type TgsReq = KdcReq & { readonly msgType: 12 };

/** `AS-REP ::= [APPLICATION 11] KDC-REP`, `TGS-REP ::= [APPLICATION 13] KDC-REP`. */
export interface KdcRep {
  readonly pvno: 5;
  readonly msgType: 11 | 13;
  readonly padata?: readonly PaData[];
  readonly crealm: string;
  readonly cname: PrincipalName;
  readonly ticket: Ticket;
  /** EncKDCRepPart: usage 3 (AS, client key), 8 (TGS, session key) or 9 (TGS, subkey). */
  readonly encPart: EncryptedData;
}

/** An AS-REP: a {@link KdcRep} whose msg-type is 11. */
export type AsRep = KdcRep & { readonly msgType: 11 };
/** A TGS-REP: a {@link KdcRep} whose msg-type is 13. */
export type TgsRep = KdcRep & { readonly msgType: 13 };

/**
 * `EncKDCRepPart` (RFC 4120 section 5.4.2), sent as EncASRepPart
 * (APPLICATION 25) or EncTGSRepPart (APPLICATION 26). MIT sends 26 in AS
 * replies too, so decoders accept either; `appTag` records which was used.
 */
export interface EncKdcRepPart {
  readonly appTag?: 25 | 26;
  readonly key: EncryptionKey;
  readonly lastReq: readonly LastReqEntry[];
  readonly nonce: number;
  /** Set to `unsigned` when a nonce of 2^31 or more came unsigned (the default is signed, see `KdcReqBody.nonceForm`). */
  readonly nonceForm?: IntegerForm;
  readonly keyExpiration?: KerberosTime;
  readonly flags: KerberosFlags;
  readonly authtime: KerberosTime;
  readonly starttime?: KerberosTime;
  readonly endtime: KerberosTime;
  readonly renewTill?: KerberosTime;
  readonly srealm: string;
  readonly sname: PrincipalName;
  readonly caddr?: readonly HostAddress[];
  /** RFC 6806 section 11: `encrypted-pa-data [12] METHOD-DATA OPTIONAL`. */
  readonly encryptedPaData?: readonly PaData[];
}

/** Alias kept for readers who look for the RFC's per-exchange names. */
export type EncAsRepPart = EncKdcRepPart;
/** Alias kept for readers who look for the RFC's per-exchange names. */
export type EncTgsRepPart = EncKdcRepPart;

/** Helper for types that carry authorization data across a TGS exchange. */
export type { AuthorizationData };
