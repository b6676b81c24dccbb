/**
 * `@krbsim/client`: a Kerberos V5 client (RFC 4120). Initial credentials with
 * pre-authentication, service tickets across realms with referral chasing
 * (RFC 6806), renewal, S4U2Self and S4U2Proxy (MS-SFU), an in-memory
 * credential cache, and the client side of
 * the AP exchange: AP-REQ building (raw, GSS-API krb5, SPNEGO) and AP-REP
 * checking, which yields the initiator's GSS-API security context (RFC 4121
 * Wrap and MIC tokens; the context class lives in `@krbsim/service`, and is
 * re-exported here).
 *
 * @packageDocumentation
 */

/** Principal names, the keytab shape and the etype sets, from where they are defined (re-exported). */
export {
  formatPrincipal,
  type KeytabEntryLike,
  type KeytabLike,
  keytabEntries,
  krbtgtName,
  type ParsePrincipalOptions,
  type QualifiedName,
  sameName,
  samePrincipal,
} from '@krbsim/asn1';
export { defaultEncTypes as DEFAULT_ENC_TYPES, WEAK_ENC_TYPES } from '@krbsim/crypto';
/** The security context both sides share, from where it is defined (re-exported). */
export {
  GssSecurityContext,
  type GssStatus,
  GssTokenError,
  isGssTokenError,
  type UnwrapResult,
  type VerifyMicResult,
  type WrapOptions,
  type WrapStyle,
} from '@krbsim/service';
export type { ApRepResult } from './ap-rep';
export type { ApReqContext, ApReqOptions, ApReqResult, WindowsAuthenticatorData } from './ap-req';
export {
  type CcacheCredentialLike,
  type CcacheLike,
  type CcachePrincipalLike,
  credentialFromCcache,
  credentialToCcache,
  fromCcache,
  kdcTimeOffsetOf,
  toCcache,
} from './ccache-interop';
export {
  type ChangePasswordOptions,
  type InitialCredentialOptions,
  KerberosClient,
  type S4U2ProxyOptions,
  type S4U2SelfOptions,
  type ServiceTicketOptions,
} from './client';
export { type Credential, credentialFromReply, hasFlag, isTgt, kdcRealmFor } from './credential';
export {
  CredentialCache,
  type CredentialCacheOptions,
  type CredentialMatch,
  DEFAULT_MAX_CACHE_ENTRIES,
} from './credential-cache';
export { frameApReq, type GssFraming, unframeApRep } from './gss-token';
export { ReferralError, type ReferralFailure } from './internal/referrals';
export type { S4uEvidence } from './internal/s4u';
export { KdcRefusedError, ntStatusOf } from './kdc-refused-error';
export {
  type ClientOptions,
  DEFAULT_CLOCK_SKEW_MS,
  DEFAULT_MAX_REFERRAL_HOPS,
  realmForHost,
} from './options';
export { parsePrincipal } from './parse-principal';
export { PasswordChangeError } from './password-change-error';
export type { AnonymousPkinit, InitialSecret, PkinitIdentity, PkinitKeyDelivery } from './secret';
