/**
 * Lab errors: what the real product reports when a prerequisite is missing or
 * a rule of the preview is broken. Each is a {@link KerberosError}, so callers
 * handle them the way they handle any Kerberos failure. Beside the Kerberos
 * wire code a lab error carries, in separate fields, the Win32 status a
 * Windows client would show ({@link LabError.windowsStatus}), the SQL Server
 * error number a SQL client would get ({@link LabError.sqlError}), and a
 * stable string {@link LabError.reason} to branch on, which names the step
 * that is missing rather than the wire symptom.
 *
 * @module
 */

import { ERROR_BRAND, ErrorCode, KerberosError } from '@krbsim/core';

/** The Win32 statuses the facts sheet names (what `klist` or SSPI reports on Windows). */
export const WindowsStatus = {
  /**
   * `0x6fb`: the SPN was not found (the KDC answered KDC_ERR_S_PRINCIPAL_UNKNOWN). The Win32 code is
   * 1787, ERROR_NO_TRUST_SAM_ACCOUNT, whatever the service; the Azure SQL documentation, whose SPN is
   * a SQL one, calls it "SQL SPN not found".
   */
  SPN_NOT_FOUND: 0x6fb,
  /** `0x51f` ERROR_NO_LOGON_SERVERS: the KDC proxy is unreachable or not configured. */
  NO_LOGON_SERVERS: 0x51f,
  /** `0x52f` ERROR_ACCOUNT_RESTRICTION: a conditional access policy applies to the instance. */
  ACCOUNT_RESTRICTION: 0x52f,
  /** `0x530` ERROR_INVALID_LOGON_HOURS: the user may not log on at this hour (STATUS_INVALID_LOGON_HOURS). */
  INVALID_LOGON_HOURS: 0x530,
  /** `0x532` ERROR_PASSWORD_EXPIRED (STATUS_PASSWORD_EXPIRED). */
  PASSWORD_EXPIRED: 0x532,
  /** `0x533` ERROR_ACCOUNT_DISABLED (STATUS_ACCOUNT_DISABLED). */
  ACCOUNT_DISABLED: 0x533,
  /** `0x701` ERROR_ACCOUNT_EXPIRED (STATUS_ACCOUNT_EXPIRED). */
  ACCOUNT_EXPIRED: 0x701,
  /** `0x775` ERROR_ACCOUNT_LOCKED_OUT: too many wrong passwords (STATUS_ACCOUNT_LOCKED_OUT). */
  ACCOUNT_LOCKED_OUT: 0x775,
  /** `0x773` ERROR_PASSWORD_MUST_CHANGE: "User must change password at next logon" (STATUS_PASSWORD_MUST_CHANGE). */
  PASSWORD_MUST_CHANGE: 0x773,
  /** `0x52d` ERROR_PASSWORD_RESTRICTION: the new password does not meet the domain's password policy. */
  PASSWORD_RESTRICTION: 0x52d,
  /**
   * `0x56` ERROR_INVALID_PASSWORD, "The specified network password is not correct" (what STATUS_WRONG_PASSWORD
   * maps to): the current password given for a change is not the account's.
   */
  WRONG_PASSWORD: 0x56,
} as const;

/** The SQL Server error numbers the lab reports (what a SQL client shows). */
export const SqlErrorNumber = {
  /** 15025: `CREATE LOGIN` of a login the instance has (its name, or a Windows login's SID). */
  PRINCIPAL_EXISTS: 15025,
  /** 15401: `CREATE LOGIN ... FROM WINDOWS` for a name the directory does not know. */
  WINDOWS_PRINCIPAL_NOT_FOUND: 15401,
  /**
   * 33130: `CREATE LOGIN ... FROM EXTERNAL PROVIDER` for a principal Azure AD does not have ("Principal
   * '...' could not be found or this principal type is not supported.").
   */
  EXTERNAL_PRINCIPAL_NOT_FOUND: 33130,
  /** 18452: Windows authentication through a Redirect connection, or an SSPI handshake that failed. */
  LOGIN_UNTRUSTED_DOMAIN: 18452,
  /** 15151: a permission statement (`DENY CONNECT SQL TO [...]`) naming a login the instance does not have. */
  PRINCIPAL_NOT_FOUND: 15151,
  /** 18456: no login maps to the authenticated user, or CONNECT SQL is denied to one its token holds. */
  LOGIN_FAILED: 18456,
} as const;

/**
 * Why a lab operation failed, stable across releases (branch on this, not on
 * the message):
 * - `cloud-trust-missing`: `lab.setupCloudTrust()` has not run, so the
 *   on-prem KDC has no trust to refer the instance's SPN to Azure AD;
 * - `cloud-trust-refused`: `lab.setupCloudTrust()` could not create the
 *   trust: another trust of the domain claims its top-level names
 *   ("Collision setting top level names"), or the realms trust each other
 *   already, or the top-level names asked for are none or not DNS names;
 *   nothing of it is left behind. Or the cloud trust exists already
 *   with other top-level names than the call asks for; it stays as it is;
 * - `admin-consent-missing`: the instance's service principal has no admin
 *   consent, so Azure AD holds no key for its SPN (`mi.grantAdminConsent()`);
 * - `instance-prerequisite-missing`: another prerequisite of Windows
 *   authentication on the instance (Azure AD authentication, the
 *   system-assigned service principal);
 * - `client-prerequisite-missing`: a prerequisite of the client's flow
 *   (Windows version, line of sight to a DC, KDC proxy policy, sync, ...);
 * - `spn-not-found`: no realm issues tickets for the SPN (0x6fb), and no
 *   lab step explains it (a typo, an instance that does not exist);
 * - `no-logon-servers`: no KDC or KDC proxy answers (0x51f);
 * - `account-restriction`: Azure AD refused by policy (0x52f);
 * - `account-refused`: the domain controller refused the user's account and
 *   said why in an NTSTATUS: disabled (0x533), locked out (0x775), expired
 *   (0x701), outside its logon hours (0x530), a password expired (0x532) or
 *   to change (0x773);
 * - `user-not-in-tenant`: the user is neither synced nor a cloud user;
 * - `no-cloud-tgt`: the last PRT refresh brought no cloud TGT;
 * - `sign-in-required`: the cloud TGT's 10 hours are over; Azure AD renews
 *   no TGT, so the user signs in again (`client.signIn()`);
 * - `windows-authentication-not-enabled`: the instance was used before its
 *   prerequisites were met;
 * - `duplicate-spn`: `mi.addSpn` (or `mi.listen`) named an SPN another
 *   account holds (`setspn -S`: "Duplicate SPN found");
 * - `redirect-connection`: the instance uses the Redirect connection type (18452);
 * - `login-not-found`: no login maps to the user or its groups (18456);
 * - `connect-denied`: CONNECT SQL is denied to a login the user's token holds
 *   (`mi.denyConnectSql`), its own or a group's (18456);
 * - `no-such-login`: `mi.denyConnectSql` or `mi.grantConnectSql` named a login
 *   the instance does not have (15151);
 * - `sql-login-refused`: the instance refused a login over TDS
 *   (`loginOverTds`): the client sees only the SQL error (`sqlError`, 18456
 *   or 18452, and its text), since the instance keeps the cause in its log,
 *   as SQL Server does;
 * - `login-mode-mismatch`: a login for the user exists, but of the kind the
 *   instance's authentication metadata mode does not use (18456);
 * - `windows-principal-not-found`: `CREATE LOGIN ... FROM WINDOWS` for an
 *   unknown name (15401);
 * - `external-principal-not-found`: `CREATE LOGIN ... FROM EXTERNAL PROVIDER`
 *   for a principal the tenant does not have (33130);
 * - `login-exists`: `mi.createLogin` of a login the instance has (15025);
 * - `instance-exists`: `lab.addManagedInstance` with the name of an instance
 *   the lab has, in any DNS zone (an instance name is unique in Azure), or of
 *   another party of the lab (`lab.clockOf`);
 * - `subnet-taken`: the preview's one Windows-authentication instance per subnet;
 * - `invalid-instance-name`: an instance's name or DNS zone is not a DNS
 *   label (1 to 63 letters, digits and hyphens, no hyphen first or last);
 * - `invalid-subnet`: an instance's subnet is not an IPv4 network
 *   (`10.0.0.0/24` or `10.0.0.0/255.255.255.0`);
 * - `key-rotation-too-soon`: the Azure AD Kerberos server key was rotated
 *   less than 24 hours ago.
 */
export type LabErrorReason =
  | 'cloud-trust-missing'
  | 'cloud-trust-refused'
  | 'admin-consent-missing'
  | 'instance-prerequisite-missing'
  | 'client-prerequisite-missing'
  | 'spn-not-found'
  | 'no-logon-servers'
  | 'account-restriction'
  | 'account-refused'
  | 'password-change-refused'
  | 'user-not-in-tenant'
  | 'no-cloud-tgt'
  | 'sign-in-required'
  | 'windows-authentication-not-enabled'
  | 'duplicate-spn'
  | 'redirect-connection'
  | 'login-not-found'
  | 'connect-denied'
  | 'no-such-login'
  | 'login-mode-mismatch'
  | 'sql-login-refused'
  | 'windows-principal-not-found'
  | 'external-principal-not-found'
  | 'login-exists'
  | 'instance-exists'
  | 'subnet-taken'
  | 'invalid-subnet'
  | 'invalid-instance-name'
  | 'key-rotation-too-soon';

/** Options for {@link LabError}. */
export interface LabErrorOptions {
  /** The stable reason (see {@link LabErrorReason}). */
  readonly reason: LabErrorReason;
  readonly realm?: string;
  /** The Win32 status a Windows client would report (see {@link WindowsStatus}). */
  readonly windowsStatus?: number;
  /** The SQL Server error number a SQL client would get (see {@link SqlErrorNumber}). */
  readonly sqlError?: number;
  /** The prerequisite or rule that failed, e.g. `'line of sight to a domain controller'`. */
  readonly prerequisite?: string;
  /** For a refused SQL login: the user's name as SQL Server reports it (`CONTOSO\bob`). */
  readonly login?: string;
  readonly cause?: unknown;
}

/** A failure of the emulated Azure SQL Managed Instance setup or flows. */
export class LabError extends KerberosError {
  /** This class's brand: `instanceof` holds across copies of the package (see `hasErrorBrand`). */
  static override readonly [ERROR_BRAND]: string = '@krbsim/azure:LabError';

  /** Why it failed, as a stable string (see {@link LabErrorReason}). */
  readonly reason: LabErrorReason;
  /** The Win32 status a Windows client would report, if any (see {@link WindowsStatus}). */
  readonly windowsStatus: number | undefined;
  /** The SQL Server error number a SQL client would get, if any (see {@link SqlErrorNumber}). */
  readonly sqlError: number | undefined;
  /** The missing prerequisite or broken rule, if that is what failed. */
  readonly prerequisite: string | undefined;
  /** For a refused SQL login: the user's name as SQL Server reports it (`CONTOSO\bob`). */
  readonly login: string | undefined;

  constructor(code: number, message: string, options: LabErrorOptions) {
    super(code, message, { realm: options.realm, cause: options.cause });
    this.reason = options.reason;
    this.windowsStatus = options.windowsStatus;
    this.sqlError = options.sqlError;
    this.prerequisite = options.prerequisite;
    this.login = options.login;
  }

  override get name(): string {
    return 'LabError';
  }
}

/** A prerequisite of a client's flow is missing: names it, and says how to meet it. */
export function missingPrerequisite(prerequisite: string, remedy: string, windowsStatus?: number): LabError {
  return new LabError(ErrorCode.KDC_ERR_POLICY, `prerequisite not met: ${prerequisite}. ${remedy}`, {
    reason: 'client-prerequisite-missing',
    prerequisite,
    windowsStatus,
  });
}
