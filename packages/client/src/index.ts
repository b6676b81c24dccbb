/**
 * `@krbsim/client`: a Kerberos V5 client (RFC 4120). Initial credentials with
 * pre-authentication, service tickets across realms with referral chasing
 * (RFC 6806), renewal, an in-memory credential cache, and the client side of
 * the AP exchange: AP-REQ building (raw, GSS-API krb5, SPNEGO) and AP-REP
 * checking.
 *
 * @packageDocumentation
 */

export type { ApRepResult } from './ap-rep';
export type { ApReqContext, ApReqOptions, ApReqResult } from './ap-req';
export {
  type CcacheCredentialLike,
  type CcacheLike,
  type CcachePrincipalLike,
  credentialFromCcache,
  credentialToCcache,
  fromCcache,
  toCcache,
} from './ccache-interop';
export {
  type InitialCredentialOptions,
  KerberosClient,
  type ServiceTicketOptions,
} from './client';
export { type Credential, credentialFromReply, hasFlag, isTgt, kdcRealmFor } from './credential';
export { CredentialCache, type CredentialCacheOptions } from './credential-cache';
export { frameApReq, type GssFraming, unframeApRep } from './gss-token';
export { ReferralError, type ReferralFailure } from './internal/referrals';
export {
  type ClientOptions,
  DEFAULT_CLOCK_SKEW_MS,
  DEFAULT_ENC_TYPES,
  DEFAULT_MAX_REFERRAL_HOPS,
  realmForHost,
  WEAK_ENC_TYPES,
} from './options';
export {
  formatPrincipal,
  krbtgtName,
  type ParsePrincipalOptions,
  parsePrincipal,
  type QualifiedName,
  sameName,
  samePrincipal,
} from './principal';
export { type InitialSecret, type KeytabEntryLike, type KeytabLike, keytabEntries } from './secret';
