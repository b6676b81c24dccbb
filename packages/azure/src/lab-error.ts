/**
 * Lab errors: what the real product reports when a prerequisite is missing or
 * a rule of the preview is broken. Each is a {@link KerberosError}, so callers
 * handle them the way they handle any Kerberos failure; the Win32 status or
 * SQL error a Windows client would show is kept beside the Kerberos code.
 *
 * @module
 */

import { ERROR_BRAND, ErrorCode, KerberosError } from '@krbsim/core';

/** The Windows and SQL Server statuses the facts sheet names. */
export const WindowsStatus = {
  /** `0x6fb`: the SQL SPN was not found (the KDC answered S_PRINCIPAL_UNKNOWN). */
  SPN_NOT_FOUND: 0x6fb,
  /** `0x51f` ERROR_NO_LOGON_SERVERS: the KDC proxy is unreachable or not configured. */
  NO_LOGON_SERVERS: 0x51f,
  /** `0x52f` ERROR_ACCOUNT_RESTRICTION: a conditional access policy applies to the instance. */
  ACCOUNT_RESTRICTION: 0x52f,
  /** SQL login error 18452: Windows authentication through a Redirect connection. */
  SQL_LOGIN_UNTRUSTED_DOMAIN: 18452,
  /** SQL login error 18456: no login maps to the authenticated user. */
  SQL_LOGIN_FAILED: 18456,
} as const;

/** Options for {@link LabError}. */
export interface LabErrorOptions {
  readonly realm?: string;
  /** The Win32 status or SQL error number a Windows client would report. */
  readonly windowsStatus?: number;
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

  /** The Win32 status or SQL error number a Windows client would report, if any. */
  readonly windowsStatus: number | undefined;
  /** The missing prerequisite or broken rule, if that is what failed. */
  readonly prerequisite: string | undefined;
  /** For a refused SQL login: the user's name as SQL Server reports it (`CONTOSO\bob`). */
  readonly login: string | undefined;

  constructor(code: number, message: string, options: LabErrorOptions = {}) {
    super(code, message, { realm: options.realm, cause: options.cause });
    this.windowsStatus = options.windowsStatus;
    this.prerequisite = options.prerequisite;
    this.login = options.login;
  }

  override get name(): string {
    return 'LabError';
  }
}

/** A prerequisite of a flow is missing: names it, and says how to meet it. */
export function missingPrerequisite(prerequisite: string, remedy: string, windowsStatus?: number): LabError {
  return new LabError(ErrorCode.KDC_ERR_POLICY, `prerequisite not met: ${prerequisite}. ${remedy}`, {
    prerequisite,
    windowsStatus,
  });
}
