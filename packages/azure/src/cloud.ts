/**
 * Azure clouds: the DNS suffixes a managed instance lives under, the login
 * host behind the KDC proxy, and the trust's default top-level names.
 *
 * Fact: a managed instance's SPN is `MSSQLSvc/<instance>.<dnszone>.<suffix>:1433`,
 * with `database.windows.net` in the public cloud and other suffixes in
 * sovereign clouds. Fact: the cloud trust's top-level names default to
 * `windows.net`. Inferred: a sovereign cloud's trust claims the parent of its
 * database suffix in the same way; configurable per lab.
 *
 * @module
 */

/** One Azure cloud environment. */
export interface AzureCloud {
  readonly name: 'AzureCloud' | 'AzureChinaCloud' | 'AzureUSGovernment';
  /** The managed instance DNS suffix, e.g. `database.windows.net`. */
  readonly sqlSuffix: string;
  /** The Azure AD login host that fronts the KDC proxy. */
  readonly loginHost: string;
  /** Top-level names the cloud trust claims by default. */
  readonly topLevelNames: readonly string[];
}

/** The clouds krbsim knows, by name. */
export const AzureClouds: Readonly<Record<AzureCloud['name'], AzureCloud>> = {
  AzureCloud: {
    name: 'AzureCloud',
    sqlSuffix: 'database.windows.net',
    loginHost: 'login.microsoftonline.com',
    topLevelNames: ['windows.net'],
  },
  AzureChinaCloud: {
    name: 'AzureChinaCloud',
    sqlSuffix: 'database.chinacloudapi.cn',
    loginHost: 'login.chinacloudapi.cn',
    topLevelNames: ['chinacloudapi.cn'],
  },
  AzureUSGovernment: {
    name: 'AzureUSGovernment',
    sqlSuffix: 'database.usgovcloudapi.net',
    loginHost: 'login.microsoftonline.us',
    topLevelNames: ['usgovcloudapi.net'],
  },
};

/** The Azure AD Kerberos realm: one realm name for every tenant (the tenant comes from the proxy URL). */
export const AZURE_AD_REALM = 'KERBEROS.MICROSOFTONLINE.COM';

/**
 * The KDC proxy URL for a tenant, as Windows' "KDC proxy servers" policy
 * writes it: `https://login.microsoftonline.com:443:<tenantId>/kerberos`.
 */
export function kdcProxyUrl(cloud: AzureCloud, tenantId: string): string {
  return `https://${cloud.loginHost}:443:${tenantId}/kerberos`;
}

/** The policy value that maps the realm to the proxy: `<https login.microsoftonline.com:443:<tenantId>/kerberos />`. */
export function kdcProxyPolicyValue(cloud: AzureCloud, tenantId: string): string {
  return `<https ${cloud.loginHost}:443:${tenantId}/kerberos />`;
}

/** Reads the tenant id back out of a KDC proxy URL; undefined if the URL is not of that form. */
export function tenantFromProxyUrl(url: string): string | undefined {
  const m = /^https:\/\/[^/:]+:443:([0-9a-fA-F-]{36})\/kerberos\/?$/.exec(url);
  return m?.[1]?.toLowerCase();
}
