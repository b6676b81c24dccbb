/**
 * Why a client got "SPN not found" (0x6fb; "SQL SPN not found" for a SQL one), in terms of the lab step
 * that is missing. A KDC answers KDC_ERR_S_PRINCIPAL_UNKNOWN for several
 * reasons a test author can fix in one line, and the KDC's own message
 * (which speaks of registering the SPN) names none of them:
 * - the on-prem KDC cannot refer a managed instance's SPN to Azure AD
 *   because there is no cloud trust (`lab.setupCloudTrust()` has not run);
 * - Azure AD holds no key for the instance's SPN because the instance's
 *   Windows authentication prerequisites are not all met (admin consent,
 *   most often).
 *
 * @module
 */

import type { LabErrorReason } from './lab-error';
import type { ManagedInstance } from './managed-instance';

/** The missing step behind an unknown SPN, and how to take it. */
export interface SpnNotFoundCause {
  readonly reason: LabErrorReason;
  readonly prerequisite: string;
  /** One sentence naming the lab call that fixes it. */
  readonly explanation: string;
}

/** What the lab knows that explains an unknown SPN. */
export interface SpnNotFoundContext {
  readonly onPremRealm: string;
  readonly azureRealm: string;
  /** `database.windows.net`: the suffix of every managed instance's host name. */
  readonly sqlSuffix: string;
  readonly cloudTrust: boolean;
  readonly instances: readonly ManagedInstance[];
}

/** The lab call for each instance prerequisite, in the order `missingPrerequisites` lists them. */
function instanceRemedy(mi: ManagedInstance, prerequisite: string): { call: string; consent: boolean } {
  if (prerequisite.startsWith('admin consent')) return { call: 'mi.grantAdminConsent()', consent: true };
  if (prerequisite.startsWith('system-assigned')) {
    return { call: 'mi.enableSystemAssignedServicePrincipal()', consent: false };
  }
  return { call: `mi.configureAzureAdAuthentication() (for ${mi.name})`, consent: false };
}

/** The host of `MSSQLSvc/host:port`, `MSSQLSvc/host` or `MSSQLSvc/host:port@REALM`, lower-cased. */
function spnHost(spn: string): string {
  const service = spn.replace(/@[^@]*$/, '');
  const host = service.slice(service.indexOf('/') + 1);
  return host.replace(/:\d+$/, '').toLowerCase();
}

/**
 * How Windows' status for an unknown SPN (0x6fb) is worded for `spn`: "SQL SPN not found", as the
 * Azure SQL documentation words it, for a SQL Server SPN (`MSSQLSvc/...`, service classes having no
 * case in AD); "SPN not found" for any other, since the status is not SQL's (it is Win32's 1787,
 * ERROR_NO_TRUST_SAM_ACCOUNT, for every unknown SPN).
 */
export function spnNotFoundHeading(spn: string): string {
  return /^MSSQLSvc\//i.test(spn) ? 'SQL SPN not found (0x6fb)' : 'SPN not found (0x6fb)';
}

/**
 * The missing lab step behind a KDC_ERR_S_PRINCIPAL_UNKNOWN for `spn` from
 * `realm`, or undefined when no step explains it.
 */
export function explainSpnNotFound(
  ctx: SpnNotFoundContext,
  spn: string,
  realm: string | undefined,
): SpnNotFoundCause | undefined {
  const host = spnHost(spn);
  const mi = ctx.instances.find((m) => m.fqdn === host);
  // The on-prem KDC refers an SPN to Azure AD only across the cloud trust.
  if (
    realm === ctx.onPremRealm &&
    !ctx.cloudTrust &&
    (mi !== undefined || host.endsWith(`.${ctx.sqlSuffix}`))
  ) {
    return {
      reason: 'cloud-trust-missing',
      prerequisite: 'Set-AzureADKerberosServer -SetupCloudTrust',
      explanation:
        `${ctx.onPremRealm} has no trust to refer ${spn} to ${ctx.azureRealm}: ` +
        'run lab.setupCloudTrust() (Set-AzureADKerberosServer -SetupCloudTrust) before the incoming trust-based flow',
    };
  }
  if (mi !== undefined && !mi.windowsAuthenticationEnabled) {
    const missing = mi.missingPrerequisites;
    const first = missing[0];
    if (first === undefined) return undefined;
    const { call, consent } = instanceRemedy(mi, first);
    return {
      reason: consent ? 'admin-consent-missing' : 'instance-prerequisite-missing',
      prerequisite: first,
      explanation:
        `${ctx.azureRealm} holds no key for ${spn} until ${mi.name} is enabled for Windows authentication, ` +
        `which needs ${missing.join('; ')}: call ${call}, or mi.enableWindowsAuthenticationPrerequisites() for all of them`,
    };
  }
  return undefined;
}
