/**
 * `@krbsim/asn1`: RFC 4120 Kerberos messages as typed values, with a strict,
 * bounded DER codec.
 *
 * Every type is declared once (`src/messages/*.ts`, the ASN.1 text beside
 * each declaration) and its decoder and encoder are generated from that
 * declaration. Every failure is an {@link Asn1Error} with a field path.
 *
 * Beside the types: principal names as text (MIT's parse and unparse
 * rules), comparison and the TGS name (`src/principal.ts`); the one
 * KRB-ERROR builder, {@link krbError}; the keytab shape the client and the
 * service share.
 *
 * @packageDocumentation
 */

export { Asn1Error, isAsn1Error } from './der/errors';
export { outputCopy, ownedCopy } from './der/output';
export { parseKerberosTime } from './der/time';
export { type DerNode, decodeDerTree, formatDerTree } from './der/tree';
export { type KrbErrorFields, krbError } from './error-reply';
export {
  type ChannelBindings,
  channelBindingHash,
  decodeGssChecksum,
  encodeGssChecksum,
  GSS_CHECKSUM_TYPE,
  type GssChecksum,
  type GssChecksumOptions,
  GssFlags,
} from './gss/checksum';
export {
  GssOid,
  Krb5TokenId,
  unwrapGssToken,
  unwrapKrb5Token,
  wrapGssToken,
  wrapKrb5Token,
} from './gss/framing';
export {
  ContextFlags,
  decodeNegotiationToken,
  encodeMechTypeList,
  encodeNegotiationToken,
  NegState,
} from './gss/spnego';
export { AdType, KerbApOptions } from './iana/ad-type';
export { ApOptions, ENC_PA_REP, flagBit, flagNames, flagsOf, KdcOptions, TicketFlags } from './iana/flags';
export { AppTag, MsgType } from './iana/msg-type';
export { NameType } from './iana/name-type';
export { PaDataType } from './iana/pa-data-type';
export { PkinitOid } from './iana/pkinit-oid';
export { type KeytabEntryLike, type KeytabLike, keytabEntries } from './keytab-entry';
export {
  type AdPolicyInfo,
  adPolicyInfoMessage,
  DomainPasswordProperties,
  decodeAdPolicyInfo,
  encodeAdPolicyInfo,
} from './messages/ad-policy-info';
export { decodeApRep, decodeEncApRepPart, encodeApRep, encodeEncApRepPart } from './messages/ap-rep';
export { decodeApReq, encodeApReq } from './messages/ap-req';
export { decodeAuthenticator, encodeAuthenticator } from './messages/authenticator';
export {
  decodeAdAndOr,
  decodeAdIfRelevant,
  decodeAdKdcIssued,
  decodeAdMandatoryForKdc,
  encodeAdAndOr,
  encodeAdIfRelevant,
  encodeAdKdcIssued,
  encodeAdMandatoryForKdc,
  expandAuthorizationData,
} from './messages/authorization-data';
export {
  decodeAuthorizationData,
  decodeChecksum,
  decodeEncryptedData,
  decodeEncryptionKey,
  decodeEtypeList,
  decodeHostAddress,
  decodeHostAddresses,
  decodeLastReq,
  decodePaData,
  decodePrincipalName,
  decodeTransitedEncoding,
  encodeAuthorizationData,
  encodeChecksum,
  encodeEncryptedData,
  encodeEncryptionKey,
  encodeEtypeList,
  encodeHostAddress,
  encodeHostAddresses,
  encodeLastReq,
  encodePaData,
  encodePrincipalName,
  encodeTransitedEncoding,
} from './messages/basic';
export { decodeChangePasswdData, encodeChangePasswdData } from './messages/change-passwd';
export { decodeClientTarget, encodeClientTarget } from './messages/client-target';
export {
  decodeEncKdcRepPart,
  encodeEncAsRepPart,
  encodeEncKdcRepPart,
  encodeEncTgsRepPart,
} from './messages/enc-kdc-rep-part';
export { decodeEncTicketPart, encodeEncTicketPart } from './messages/enc-ticket-part';
export {
  decodeKrbFastArmor,
  decodeKrbFastArmoredRep,
  decodeKrbFastArmoredReq,
  decodeKrbFastFinished,
  decodeKrbFastReq,
  decodeKrbFastResponse,
  decodePaFxFastReply,
  decodePaFxFastRequest,
  encodeKrbFastArmor,
  encodeKrbFastArmoredRep,
  encodeKrbFastArmoredReq,
  encodeKrbFastFinished,
  encodeKrbFastReq,
  encodeKrbFastResponse,
  encodePaFxFastReply,
  encodePaFxFastRequest,
  FastOptions,
} from './messages/fast';
export { type JsonOptions, type JsonTypeName, messageToJson, valueToJson } from './messages/json';
export { decodeKdcProxyMessage, encodeKdcProxyMessage } from './messages/kdc-proxy';
export {
  decodeAsRep,
  decodeKdcRep,
  decodeTgsRep,
  encodeAsRep,
  encodeKdcRep,
  encodeTgsRep,
} from './messages/kdc-rep';
export {
  decodeAsReq,
  decodeKdcReq,
  decodeKdcReqBody,
  decodeTgsReq,
  encodeAsReq,
  encodeKdcReq,
  encodeKdcReqBody,
  encodeTgsReq,
} from './messages/kdc-req';
export {
  decodeKpasswdMessage,
  decodeKpasswdResult,
  encodeKpasswdMessage,
  encodeKpasswdResult,
  type KpasswdMessage,
  KpasswdResult,
  type KpasswdResultData,
  KpasswdVersion,
  kpasswdResultName,
} from './messages/kpasswd';
export {
  decodeEncKrbCredPart,
  decodeKrbCred,
  encodeEncKrbCredPart,
  encodeKrbCred,
} from './messages/krb-cred';
export {
  decodeKerbErrorData,
  decodeKerbExtError,
  decodeKrbError,
  decodeMethodData,
  decodePaFxError,
  decodeTypedData,
  encodeKerbErrorData,
  encodeKerbExtError,
  encodeKrbError,
  encodeMethodData,
  encodePaFxError,
  encodeTypedData,
  KERB_ERR_TYPE_EXTENDED,
} from './messages/krb-error';
export {
  decodeEncKrbPrivPart,
  decodeKrbPriv,
  encodeEncKrbPrivPart,
  encodeKrbPriv,
} from './messages/krb-priv';
export { decodeKrbSafe, decodeKrbSafeBody, encodeKrbSafe, encodeKrbSafeBody } from './messages/krb-safe';
export { decodeMessage, encodeMessage } from './messages/message';
export {
  decodeEtypeInfo,
  decodeEtypeInfo2,
  decodePaEncryptedChallenge,
  decodePaEncTimestamp,
  decodePaEncTsEnc,
  decodePaForUser,
  decodePaPacOptions,
  decodePaPacRequest,
  decodePaReqEncPaRep,
  decodePaS4uX509User,
  encodeEtypeInfo,
  encodeEtypeInfo2,
  encodePaEncryptedChallenge,
  encodePaEncTimestamp,
  encodePaEncTsEnc,
  encodePaForUser,
  encodePaPacOptions,
  encodePaPacRequest,
  encodePaReqEncPaRep,
  encodePaS4uX509User,
  encodeS4uUserId,
  PacOptions,
  paForUserChecksumInput,
  S4uUserIdOptions,
} from './messages/padata';
export {
  decodeAuthPack,
  decodeExternalPrincipalIdentifiers,
  decodeKdcDhKeyInfo,
  decodeKrb5PrincipalName,
  decodePaPkAsRep,
  decodePaPkAsReq,
  decodeReplyKeyPack,
  decodeTdDhParameters,
  encodeAuthPack,
  encodeExternalPrincipalIdentifiers,
  encodeKdcDhKeyInfo,
  encodeKrb5PrincipalName,
  encodePaPkAsRep,
  encodePaPkAsReq,
  encodeReplyKeyPack,
  encodeTdDhParameters,
} from './messages/pkinit';
export { decodeTicket, encodeTicket } from './messages/ticket';
export {
  decodeKerbAdRestrictions,
  decodeLsapTokenInfoIntegrity,
  encodeKerbAdRestrictions,
  encodeLsapTokenInfoIntegrity,
  RESTRICTION_TYPE_TOKEN_INFO_INTEGRITY,
  TokenIntegrityFlags,
  TokenIntegrityLevel,
} from './messages/token-restrictions';
export {
  ANONYMOUS_NAME,
  ANONYMOUS_REALM,
  formatName,
  formatPrincipal,
  krbtgtName,
  nameKey,
  type ParsePrincipalOptions,
  parsePrincipal,
  type QualifiedName,
  type ServiceHostOptions,
  sameName,
  samePrincipal,
  serviceHostOf,
  TGS_NAME,
  tgsRealmOf,
} from './principal';
export { DEFAULT_MAX_BYTES, DEFAULT_MAX_DEPTH, type DecodeOptions } from './schema/codec';
export type { Json } from './schema/json';
export {
  addTransited,
  DOMAIN_X500_COMPRESS,
  decodeTransited,
  emptyTransited,
  encodeTransited,
  transitedRealms,
} from './transited';
export type * from './types/index';
