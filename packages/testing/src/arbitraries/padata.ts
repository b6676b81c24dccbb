/**
 * Arbitraries for the values carried inside PA-DATA: RFC 4120 section 5.2.7,
 * RFC 6113 (FAST), RFC 6806, MS-KILE and MS-SFU.
 *
 * @module
 */

import type {
  EtypeInfo,
  EtypeInfo2,
  EtypeInfo2Entry,
  EtypeInfoEntry,
  KrbFastArmor,
  KrbFastArmoredRep,
  KrbFastArmoredReq,
  KrbFastFinished,
  KrbFastReq,
  KrbFastResponse,
  PaEncryptedChallenge,
  PaEncTsEnc,
  PaForUser,
  PaFxFastReply,
  PaFxFastRequest,
  PaPacOptions,
  PaPacRequest,
  PaReqEncPaRep,
  PaS4uX509User,
  PaTgsReq,
  S4uUserId,
} from '@krbsim/asn1';
import { encodeKdcReqBody } from '@krbsim/asn1';
import fc from 'fast-check';
import { arbApReq } from './ap';
import {
  arbChecksum,
  arbEncryptedData,
  arbEncryptionKey,
  arbEtype,
  arbInt32,
  arbKerberosFlags,
  arbKerberosString,
  arbKerberosTime,
  arbMicroseconds,
  arbPaDataList,
  arbPrincipalName,
  arbRealm,
  arbUInt32,
  octets,
  recordOptions,
} from './basic';
import { arbKdcReqBody } from './kdc';

/** PA-ENC-TS-ENC (RFC 4120 section 5.2.7.2). */
export const arbPaEncTsEnc: fc.Arbitrary<PaEncTsEnc> = fc.record(
  { patimestamp: arbKerberosTime, pausec: arbMicroseconds },
  { ...recordOptions, requiredKeys: ['patimestamp'] },
);

/** One ETYPE-INFO2-ENTRY (RFC 4120 section 5.2.7.5). */
export const arbEtypeInfo2Entry: fc.Arbitrary<EtypeInfo2Entry> = fc.record(
  {
    etype: arbEtype,
    salt: fc.oneof(
      fc.tuple(arbRealm, arbKerberosString).map(([realm, name]) => realm + name),
      arbKerberosString,
    ),
    s2kparams: octets(8),
  },
  { ...recordOptions, requiredKeys: ['etype'] },
);

/** ETYPE-INFO2 (RFC 4120 section 5.2.7.5): SIZE (1..MAX), so 1..4 entries. */
export const arbEtypeInfo2: fc.Arbitrary<EtypeInfo2> = fc.array(arbEtypeInfo2Entry, {
  minLength: 1,
  maxLength: 4,
});

/** One ETYPE-INFO-ENTRY (RFC 4120 section 5.2.7.4): the salt is raw octets. */
export const arbEtypeInfoEntry: fc.Arbitrary<EtypeInfoEntry> = fc.record(
  { etype: arbEtype, salt: octets(24) },
  { ...recordOptions, requiredKeys: ['etype'] },
);

/** ETYPE-INFO (RFC 4120 section 5.2.7.4): 0..4 entries. */
export const arbEtypeInfo: fc.Arbitrary<EtypeInfo> = fc.array(arbEtypeInfoEntry, { maxLength: 4 });

/** KERB-PA-PAC-REQUEST (MS-KILE section 2.2.3). */
export const arbPaPacRequest: fc.Arbitrary<PaPacRequest> = fc.record(
  { includePac: fc.boolean() },
  recordOptions,
);

/** PA-PAC-OPTIONS (MS-KILE section 2.2.10). */
export const arbPaPacOptions: fc.Arbitrary<PaPacOptions> = fc.record(
  { flags: arbKerberosFlags },
  recordOptions,
);

/** PA-FOR-USER (MS-SFU section 2.2.1). */
export const arbPaForUser: fc.Arbitrary<PaForUser> = fc.record(
  {
    userName: arbPrincipalName,
    userRealm: arbRealm,
    cksum: arbChecksum,
    authPackage: fc.oneof(
      { weight: 3, arbitrary: fc.constant('Kerberos') },
      { weight: 1, arbitrary: arbKerberosString },
    ),
  },
  recordOptions,
);

/** S4UUserID (MS-SFU section 2.2.2). */
export const arbS4uUserId: fc.Arbitrary<S4uUserId> = fc.record(
  {
    nonce: arbUInt32,
    cname: arbPrincipalName,
    crealm: arbRealm,
    subjectCertificate: octets(64),
    options: arbKerberosFlags,
  },
  { ...recordOptions, requiredKeys: ['nonce', 'crealm'] },
);

/** PA-S4U-X509-USER (MS-SFU section 2.2.2). */
export const arbPaS4uX509User: fc.Arbitrary<PaS4uX509User> = fc.record(
  { userId: arbS4uUserId, checksum: arbChecksum },
  recordOptions,
);

/** PA-REQ-ENC-PA-REP (RFC 6806 section 11): a Checksum. */
export const arbPaReqEncPaRep: fc.Arbitrary<PaReqEncPaRep> = arbChecksum;

/** PA-ENCRYPTED-CHALLENGE (RFC 6113 section 5.4.6): an EncryptedData. */
export const arbPaEncryptedChallenge: fc.Arbitrary<PaEncryptedChallenge> = arbEncryptedData;

/** PA-TGS-REQ (RFC 4120 section 5.4.1): an AP-REQ. */
export const arbPaTgsReq: fc.Arbitrary<PaTgsReq> = arbApReq;

/** KrbFastArmor (RFC 6113 section 5.4.1); armor type 1 is FX_FAST_ARMOR_AP_REQUEST. */
export const arbKrbFastArmor: fc.Arbitrary<KrbFastArmor> = fc.record(
  {
    armorType: fc.oneof({ weight: 3, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: arbInt32 }),
    armorValue: octets(64),
  },
  recordOptions,
);

/** KrbFastArmoredReq (RFC 6113 section 5.4.2). */
export const arbKrbFastArmoredReq: fc.Arbitrary<KrbFastArmoredReq> = fc.record(
  { armor: arbKrbFastArmor, reqChecksum: arbChecksum, encFastReq: arbEncryptedData },
  { ...recordOptions, requiredKeys: ['reqChecksum', 'encFastReq'] },
);

/** PA-FX-FAST-REQUEST (RFC 6113 section 5.4.2). */
export const arbPaFxFastRequest: fc.Arbitrary<PaFxFastRequest> = fc.record(
  { armoredData: arbKrbFastArmoredReq },
  recordOptions,
);

/** FastOptions (RFC 6113 section 5.4.2): bit 0 reserved, 1 hide-client-names, 16 kdc-follow-referrals. */
export const arbFastOptions: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(0, 0x40000000, 0x00008000, 0x40008000),
  arbKerberosFlags,
);

/** KrbFastReq (RFC 6113 section 5.4.2); `reqBody` is the DER of a generated KDC-REQ-BODY. */
export const arbKrbFastReq: fc.Arbitrary<KrbFastReq> = fc.record(
  {
    fastOptions: arbFastOptions,
    padata: arbPaDataList,
    reqBody: arbKdcReqBody.map((body) => encodeKdcReqBody(body)),
  },
  recordOptions,
);

/** KrbFastArmoredRep (RFC 6113 section 5.4.3). */
export const arbKrbFastArmoredRep: fc.Arbitrary<KrbFastArmoredRep> = fc.record(
  { encFastRep: arbEncryptedData },
  recordOptions,
);

/** PA-FX-FAST-REPLY (RFC 6113 section 5.4.3). */
export const arbPaFxFastReply: fc.Arbitrary<PaFxFastReply> = fc.record(
  { armoredData: arbKrbFastArmoredRep },
  recordOptions,
);

/** KrbFastFinished (RFC 6113 section 5.4.3). */
export const arbKrbFastFinished: fc.Arbitrary<KrbFastFinished> = fc.record(
  {
    timestamp: arbKerberosTime,
    usec: arbMicroseconds,
    crealm: arbRealm,
    cname: arbPrincipalName,
    ticketChecksum: arbChecksum,
  },
  recordOptions,
);

/** KrbFastResponse (RFC 6113 section 5.4.3). */
export const arbKrbFastResponse: fc.Arbitrary<KrbFastResponse> = fc.record(
  {
    padata: arbPaDataList,
    strengthenKey: arbEncryptionKey,
    finished: arbKrbFastFinished,
    nonce: arbUInt32,
  },
  { ...recordOptions, requiredKeys: ['padata', 'nonce'] },
);
