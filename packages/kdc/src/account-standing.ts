/**
 * Whether a client account may have tickets now: the checks of a logon
 * (MS-KILE 3.3.5.6.3, MIT's validate_as_request), made by the AS exchange,
 * by S4U2Self for the user it names, and by a TGS exchange that looks at a
 * TGT's account again (MS-KILE 3.3.5.7.1). Each refusal carries the KDC
 * error and the NTSTATUS a Windows DC gives with it; the caller decides
 * where in its own order of checks they run.
 *
 * @module
 */

import { formatPrincipal, type PrincipalName } from '@krbsim/asn1';
import { ErrorCode, NtStatus } from '@krbsim/core';
import { isLockedOut } from './lockout';
import { withinLogonHours } from './logon-hours';
import type { RealmPolicy } from './policy';
import type { PrincipalEntry } from './principal-db';

/** The client an account check is about: its name is formatted only when it is refused. */
export interface AccountName {
  readonly name: PrincipalName;
  readonly realm: string;
}

/** Why an account may not have tickets: the error code, the NTSTATUS, and e-text naming the account. */
export interface AccountRefusal {
  readonly code: number;
  readonly ntStatus: number;
  readonly message: string;
}

const nameOf = (client: AccountName): string => formatPrincipal(client.name, client.realm);

/**
 * The account's expiry, then (with `passwords`) a password to change at the
 * next logon or one that has expired: the first checks of a logon, in MIT's
 * order.
 */
export function expiryRefusal(
  entry: PrincipalEntry,
  client: AccountName,
  now: number,
  policy: RealmPolicy,
  passwords: boolean,
): AccountRefusal | undefined {
  if (entry.accountExpires !== undefined && entry.accountExpires <= now) {
    const message = `the account of ${nameOf(client)} has expired`;
    return { code: policy.accountExpiredCode, ntStatus: NtStatus.STATUS_ACCOUNT_EXPIRED, message };
  }
  if (!passwords) return undefined;
  if (entry.passwordLastSet === 0) {
    const message = `${nameOf(client)} must change the password at the next logon`;
    return { code: ErrorCode.KDC_ERR_KEY_EXPIRED, ntStatus: NtStatus.STATUS_PASSWORD_MUST_CHANGE, message };
  }
  if (entry.passwordExpires !== undefined && entry.passwordExpires <= now) {
    const message = `the password of ${nameOf(client)} has expired; change it`;
    return { code: ErrorCode.KDC_ERR_KEY_EXPIRED, ntStatus: NtStatus.STATUS_PASSWORD_EXPIRED, message };
  }
  return undefined;
}

/**
 * The account disabled, locked out by the realm's lockout policy, or
 * outside its logon hours: KDC_ERR_CLIENT_REVOKED, each with its NTSTATUS.
 */
export function standingRefusal(
  entry: PrincipalEntry,
  client: AccountName,
  now: number,
  policy: RealmPolicy,
  /** Check the logon hours too (S4U2Self: only when the service asks, MS-SFU 2.2.2). Default true. */
  logonHours = true,
): AccountRefusal | undefined {
  const revoked = (ntStatus: number, message: string): AccountRefusal => ({
    code: ErrorCode.KDC_ERR_CLIENT_REVOKED,
    ntStatus,
    message,
  });
  if (entry.disabled)
    return revoked(NtStatus.STATUS_ACCOUNT_DISABLED, `the account of ${nameOf(client)} is disabled`);
  if (isLockedOut(entry, now, policy)) {
    const message = `the account of ${nameOf(client)} is locked out (too many wrong passwords)`;
    return revoked(NtStatus.STATUS_ACCOUNT_LOCKED_OUT, message);
  }
  if (logonHours && entry.logonHours !== undefined && !withinLogonHours(entry.logonHours, now)) {
    return revoked(
      NtStatus.STATUS_INVALID_LOGON_HOURS,
      `${nameOf(client)} may not log on at this hour (logonHours)`,
    );
  }
  return undefined;
}

/**
 * The refusal of a ticket for a disabled server account: KDC_ERR_SERVICE_REVOKED
 * in an AD realm; in an MIT realm KDC_ERR_S_PRINCIPAL_UNKNOWN, as MIT's KDC
 * answers a server that may not get tickets (its log says "SERVER LOCKED OUT";
 * the client reports "Server not found").
 */
export function disabledServerRefusal(kind: 'mit' | 'active-directory'): { code: number; message: string } {
  return kind === 'mit'
    ? { code: ErrorCode.KDC_ERR_S_PRINCIPAL_UNKNOWN, message: 'the server account is disabled' }
    : { code: ErrorCode.KDC_ERR_SERVICE_REVOKED, message: 'the service account is disabled' };
}
