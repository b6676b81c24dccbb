/**
 * The values carried inside PA-DATA: RFC 4120 section 5.2.7, RFC 6806,
 * RFC 6113 (FAST), MS-KILE and MS-SFU.
 *
 * @module
 */

import type { ApReq } from './ap';
import type {
  Checksum,
  EncryptedData,
  EncryptionKey,
  IntegerForm,
  KerberosFlags,
  KerberosTime,
  PaData,
  PrincipalName,
} from './basic';
import type { Ticket } from './ticket';

/** PA-ENC-TS-ENC (RFC 4120 section 5.2.7.2), encrypted with usage 1 as PA-ENC-TIMESTAMP. */
export interface PaEncTsEnc {
  readonly patimestamp: KerberosTime;
  readonly pausec?: number;
}

/** One ETYPE-INFO2-ENTRY (RFC 4120 section 5.2.7.5). */
export interface EtypeInfo2Entry {
  readonly etype: number;
  readonly salt?: string;
  readonly s2kparams?: Uint8Array;
}

/** ETYPE-INFO2 ::= SEQUENCE SIZE (1..MAX) OF ETYPE-INFO2-ENTRY. */
export type EtypeInfo2 = readonly EtypeInfo2Entry[];

/** KERB-PA-PAC-REQUEST (MS-KILE section 2.2.3). */
export interface PaPacRequest {
  readonly includePac: boolean;
}

/** PA-PAC-OPTIONS (MS-KILE section 2.2.10): claims, branch-aware, forward-to-full-dc, resource-based constrained delegation. */
export interface PaPacOptions {
  readonly flags: KerberosFlags;
}

/** PA-FOR-USER (MS-SFU section 2.2.1). */
export interface PaForUser {
  readonly userName: PrincipalName;
  readonly userRealm: string;
  readonly cksum: Checksum;
  readonly authPackage: string;
}

/** S4UUserID (MS-SFU section 2.2.2). */
export interface S4uUserId {
  readonly nonce: number;
  /** Set to `unsigned` when a nonce of 2^31 or more came unsigned (the default is signed, see `KdcReqBody.nonceForm`). */
  readonly nonceForm?: IntegerForm;
  readonly cname?: PrincipalName;
  readonly crealm: string;
  readonly subjectCertificate?: Uint8Array;
  readonly options?: KerberosFlags;
}

/** PA-S4U-X509-USER (MS-SFU section 2.2.2). */
export interface PaS4uX509User {
  readonly userId: S4uUserId;
  readonly checksum: Checksum;
}

/** PA-REQ-ENC-PA-REP carries a checksum of the AS-REQ (RFC 6806 section 11). */
export type PaReqEncPaRep = Checksum;

/** KrbFastArmor (RFC 6113 section 5.4.1). */
export interface KrbFastArmor {
  readonly armorType: number;
  readonly armorValue: Uint8Array;
}

/** KrbFastArmoredReq (RFC 6113 section 5.4.2). */
export interface KrbFastArmoredReq {
  readonly armor?: KrbFastArmor;
  readonly reqChecksum: Checksum;
  /** KrbFastReq, usage 51 with the armor key. */
  readonly encFastReq: EncryptedData;
}

/** PA-FX-FAST-REQUEST (RFC 6113 section 5.4.2): a CHOICE with one alternative, [0] armored-data. */
export interface PaFxFastRequest {
  readonly armoredData: KrbFastArmoredReq;
}

/** KrbFastReq (RFC 6113 section 5.4.2). `reqBody` is KDC-REQ-BODY DER. */
export interface KrbFastReq {
  readonly fastOptions: KerberosFlags;
  readonly padata: readonly PaData[];
  readonly reqBody: Uint8Array;
}

/** KrbFastArmoredRep (RFC 6113 section 5.4.3). */
export interface KrbFastArmoredRep {
  /** KrbFastResponse, usage 52 with the armor key. */
  readonly encFastRep: EncryptedData;
}

/** PA-FX-FAST-REPLY (RFC 6113 section 5.4.3): a CHOICE with one alternative, [0] armored-data. */
export interface PaFxFastReply {
  readonly armoredData: KrbFastArmoredRep;
}

/** KrbFastFinished (RFC 6113 section 5.4.3). */
export interface KrbFastFinished {
  readonly timestamp: KerberosTime;
  readonly usec: number;
  readonly crealm: string;
  readonly cname: PrincipalName;
  readonly ticketChecksum: Checksum;
}

/** KrbFastResponse (RFC 6113 section 5.4.3). */
export interface KrbFastResponse {
  readonly padata: readonly PaData[];
  readonly strengthenKey?: EncryptionKey;
  readonly finished?: KrbFastFinished;
  readonly nonce: number;
  /** Set to `unsigned` when a nonce of 2^31 or more came unsigned (the default is signed, see `KdcReqBody.nonceForm`). */
  readonly nonceForm?: IntegerForm;
}

/** PA-ENCRYPTED-CHALLENGE (RFC 6113 section 5.4.6): EncryptedData of PA-ENC-TS-ENC. */
export type PaEncryptedChallenge = EncryptedData;

/** The PA-TGS-REQ value is an AP-REQ (RFC 4120 section 5.4.1). */
export type PaTgsReq = ApReq;

/** Tickets referenced by FAST armor and S4U are plain Tickets. */
export type { Ticket };

/** One ETYPE-INFO-ENTRY (RFC 4120 section 5.2.7.4), the pre-AES form of ETYPE-INFO2. */
export interface EtypeInfoEntry {
  readonly etype: number;
  readonly salt?: Uint8Array;
}

/** ETYPE-INFO ::= SEQUENCE OF ETYPE-INFO-ENTRY. */
export type EtypeInfo = readonly EtypeInfoEntry[];
