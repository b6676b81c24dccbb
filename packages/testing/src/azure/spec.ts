/**
 * Azure SQL Managed Instance labs as plain data, for property tests of the
 * lab: which on-prem domain, which users, which instances, and whether the
 * cloud trust (`Set-AzureADKerberosServer -SetupCloudTrust`) is set up.
 *
 * @module
 */

/** A managed instance of a generated lab (`addManagedInstance`'s options). */
export interface AzureInstanceSpec {
  readonly name: string;
  readonly dnsZone: string;
  /** Distinct for every instance of a lab (one instance per subnet). */
  readonly subnet: string;
}

/** A whole lab. */
export interface AzureLabSpec {
  /** The on-prem AD realm, upper case (`CORP.TEST`). */
  readonly onPremRealm: string;
  /** The lab's seed (keys, tenant id, nonces). */
  readonly seed: number;
  /** On-prem users (sAMAccountNames), synced to the tenant; each has a Windows login on every instance. */
  readonly users: readonly string[];
  readonly instances: readonly AzureInstanceSpec[];
  /** Is the incoming cloud trust set up? */
  readonly cloudTrust: boolean;
}
