/**
 * `@krbsim/service`: the server side of the Kerberos AP exchange (RFC 4120
 * section 3.2). A {@link KerberosService} holds a keytab and accepts AP-REQs
 * (raw, GSS-API krb5 per RFC 4121, or SPNEGO per RFC 4178), checking them as
 * section 3.2.3 requires: key selection, decryption, client match, clock
 * skew, ticket times, the PAC's signatures (MS-PAC) when the ticket has a
 * PAC, GSS checksum and channel bindings, and a bounded replay cache.
 * Mutual authentication is answered with an AP-REP framed like the request. A GSS-framed acceptance also yields the acceptor's side of the
 * security context: RFC 4121 per-message tokens (Wrap and MIC) with replay
 * and ordering checks.
 *
 * @packageDocumentation
 */

/** Kept for callers of earlier versions: the keytab shape and the service principal type live in `@krbsim/asn1`. */
export {
  type KeytabEntryLike,
  type KeytabLike,
  keytabEntries,
  type QualifiedName as ServicePrincipal,
} from '@krbsim/asn1';
/** Kept for callers of earlier versions: the set now lives in `@krbsim/crypto`. */
export { WEAK_ENC_TYPES } from '@krbsim/crypto';
/** The AP-REP for an accepted authenticator (for a service that answers with more than an AP-REP, as kpasswd does). */
export { buildApRep } from './ap-rep';
export {
  type ApReqCheck,
  ApReqError,
  ApReqFailure,
  type ApReqRules,
  type CheckedApReq,
  type CheckedTicket,
  checkApReq,
  checkTicket,
  SERVICE_AP_REQ,
  type ServerKey,
  TGS_AP_REQ,
  type TicketCheck,
} from './check-ap-req';
export type { DelegatedCredential } from './delegation';
export { ACCEPTOR_ENC_TYPES } from './etype-negotiation';
export {
  type FrameApRepOptions,
  type Framing,
  frameApRep,
  type UnframedApReq,
  unframeApReq,
} from './framing';
export { type GssStatus, GssTokenError, isGssTokenError } from './gss/gss-error';
export {
  decodePerMessageToken,
  type GssRole,
  PerMessageFlags,
  type PerMessageTokenHeader,
  PerMessageTokenId,
  usesRfc1964Tokens,
  type WrapStyle,
} from './gss/per-message-token';
export {
  GssSecurityContext,
  type SecurityContextParams,
  type UnwrapResult,
  type VerifyMicResult,
  type WrapOptions,
} from './gss/security-context';
export { checkChannelBindings } from './gss-checksum';
export { hostAddressOf, ticketServesAddress } from './host-address';
export { selectServiceKey } from './keytab';
export type { PacCheck, PacSids, VerifiedPac } from './pac';
export {
  DEFAULT_REPLAY_CACHE_ENTRIES,
  ReplayCache,
  type ReplayCacheOptions,
  type ReplayEntry,
} from './replay-cache';
export { type AcceptOptions, type AcceptResult, KerberosService, type ServiceOptions } from './service';
export { hierarchicalTransit, type TransitedPath, type TransitedPolicy } from './transited-policy';
export { type VerifiedApReq, type VerifyParams, verifyApReq } from './verify-ap-req';
export type { WindowsClientData } from './windows-client-data';
