/**
 * `@krbsim/kdc`: an in-process Kerberos Key Distribution Center (RFC 4120
 * sections 3.1 and 3.3) for emulated realms, with RFC 6806 / MS-KILE
 * referrals along one-way and two-way trusts, transitivity rules, the
 * transited field of section 3.3.3.2, and key-version handling that
 * reproduces the failures of real deployments (Azure AD Kerberos and
 * on-premises AD in particular).
 *
 * A {@link Kdc} is a function from request bytes to reply bytes over a
 * {@link Realm}; trusts come from {@link createTrust}.
 *
 * @packageDocumentation
 */

/** Principal names: `@krbsim/asn1`'s, re-exported; `parsePrincipal` reads them as the KDC does. */
export {
  formatName,
  formatPrincipal,
  krbtgtName,
  type QualifiedName,
  serviceHostOf,
  TGS_NAME,
} from '@krbsim/asn1';
/** The default `permittedEncTypes`: `@krbsim/crypto`'s `defaultEncTypes` (20, 19, 18, 17). */
export { defaultEncTypes as DEFAULT_ENC_TYPES } from '@krbsim/crypto';
export {
  type AccountKind,
  Directory,
  type DirectoryAccount,
  type DirectoryGroup,
  type DirectoryOptions,
  type DomainControllerKind,
  domainSidFrom,
  type GroupScope,
  type TokenGroups,
} from './directory';
export { DomainRealmMap, isDnsSuffix } from './domain-realm';
export type { ExchangeResult, PadataRegistry } from './exchange';
export type { FastRequest } from './fast-armor';
export type { SealingKey, TicketDraft, TicketRequest } from './issue';
export { Kdc, type KdcOptionsInit, type KdcRequestEvent, MAX_REQUEST_BYTES } from './kdc';
export { composeKvno, type StoredKey, splitKvno } from './keys';
export { type KpasswdOptions, KpasswdService } from './kpasswd';
export { KdcError, type KdcErrorDetails, minimalKrbError } from './krb-error';
export { buildPac, type PacLogon } from './pac-builder';
export type {
  AsPadataHandler,
  AsRequestState,
  S4uSelf,
  TgsPadataHandler,
  TgsRequestState,
} from './padata/handler';
export { AS_PADATA_HANDLERS, TGS_PADATA_HANDLERS } from './padata/registry';
export type {
  CertificateMappingEnforcement,
  PkinitCertificateMapping,
  PkinitClientEku,
  PkinitConfig,
  PkinitOptions,
} from './pkinit/config';
export {
  defaultPolicy,
  type FastSupport,
  type KrbErrorStyle,
  policyOfKind,
  type RealmKind,
  type RealmPolicy,
  resolvePolicy,
} from './policy';
export { entryKvno, PrincipalDb, type PrincipalEntry, type PrincipalKind } from './principal-db';
export { parsePrincipal } from './principal-name';
export {
  type AddComputerOptions,
  type AddServiceOptions,
  type AddUserOptions,
  type AuthorizationDataContext,
  type DelegationOptions,
  type IssuanceContext,
  type PacBuildContext,
  Realm,
  type RealmOptions,
} from './realm';
export { realmOfHost } from './referral';
export type { HeaderKind, TgsHeader } from './tgs-header';
export type { TicketTimes } from './ticket-times';
export {
  createTrust,
  type RotateKeyOptions,
  Trust,
  type TrustDirection,
  type TrustKind,
  type TrustOptions,
} from './trust';
export { checkPath, type Hop, MAX_TRUST_PATH, nextHop } from './trust-graph';
export type { RealmTrust } from './trust-types';
