/**
 * `@krbsim/azure`: the Azure SQL Managed Instance lab. An Azure AD tenant as
 * the Kerberos realm `KERBEROS.MICROSOFTONLINE.COM`, a customer's on-prem AD
 * realm, the one-way incoming cloud trust, managed instances reached by SPN
 * through referral tickets, and both client flows (incoming trust-based and
 * modern interactive), with a trace of every message.
 *
 * Facts and inferences follow `docs/azure.md`; every inferred choice is an
 * option.
 *
 * @packageDocumentation
 */

export { AdJoinedClient, type AdJoinedClientOptions } from './ad-joined-client';
export { AzureAdJoinedClient, type AzureAdJoinedClientOptions } from './azure-ad-joined-client';
export {
  AZURE_AD_REALM,
  type AzureCloud,
  AzureClouds,
  kdcProxyPolicyValue,
  kdcProxyUrl,
  tenantFromProxyUrl,
} from './cloud';
export {
  type AzureAdKerberosServerInfo,
  CloudTrust,
  type RotateServerKeyOptions,
} from './cloud-trust';
export { type CloudUser, cloudSid, downLevelLogonName, type OnPremUser } from './directory';
export { type DsregcmdStatus, type DsregcmdSubject, formatDsregcmdStatus } from './dsregcmd';
export { type HybridFlow, HybridJoinedClient, type HybridJoinedClientOptions } from './hybrid-joined-client';
export { AzureSqlMiLab, type AzureSqlMiLabOptions, createAzureSqlMiLab, tenantIdFromSeed } from './lab';
export { AZURE_LAB_DEFAULT_TIME } from './lab-clock';
export {
  LabError,
  type LabErrorOptions,
  type LabErrorReason,
  SqlErrorNumber,
  WindowsStatus,
} from './lab-error';
export {
  type KdcFault,
  LabFaults,
  type LabFaultsOptions,
  type LabKdc,
  type MessageFault,
  type MessageRule,
} from './lab-faults';
export type { LabHost } from './lab-host';
export {
  type AuthenticationMetadataMode,
  type InstanceHost,
  ManagedInstance,
  type ManagedInstanceOptions,
  type SqlLogin,
  type SqlSession,
} from './managed-instance';
export { OnPremDomain, type OnPremDomainOptions } from './on-prem-domain';
export { PartyClock } from './party-clock';
export { PRT_REFRESH_INTERVAL_MS, type PrtResponse } from './prt';
export type { AzureSqlMiQuickStart, AzureSqlMiQuickStartOptions } from './quick-start';
export type { SpnNotFoundCause } from './spn-not-found';
export {
  type ListenTdsOptions,
  type LoginOverTdsOptions,
  listenTds,
  loginOverTds,
  MANAGED_INSTANCE_VERSION,
  type TdsListener,
  type TdsLoginChannel,
  type TdsLoginEvent,
} from './tds-endpoint';
export {
  AzureAdTenant,
  azureAdRealmPolicy,
  cloudPrincipalName,
  type ReferredPac,
  type SidFilterEvent,
  type TenantOptions,
} from './tenant';
export type { SecurityContext, SecurityContextOptions, WindowsMachine } from './windows-client';
export { parseWindowsVersion, type WindowsVersion } from './windows-version';
