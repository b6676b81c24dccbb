/**
 * The NTSTATUS values (MS-ERREF 2.3.1) a Windows KDC reports in a
 * KRB-ERROR's KERB-EXT-ERROR (MS-KILE 2.2.1): which one tells a Windows
 * client, where the Kerberos error code alone cannot, why it was refused.
 * krbsim's KDC sends them (@krbsim/kdc's krb-error.ts) and its client reads
 * them (@krbsim/client's `KdcRefusedError`). A leaf registry: only the values
 * krbsim sends.
 *
 * @module
 */

/** NTSTATUS values, as unsigned 32-bit numbers. */
export const NtStatus = Object.freeze({
  /** The account may not be used this way (MS-SFU 3.2.5.2.3: S4U2Proxy evidence not forwardable). */
  STATUS_ACCOUNT_RESTRICTION: 0xc000006e,
  /** A logon outside the account's logon hours. */
  STATUS_INVALID_LOGON_HOURS: 0xc000006f,
  /** The password has expired (the account's `passwordExpires` has passed). */
  STATUS_PASSWORD_EXPIRED: 0xc0000071,
  /** The account is disabled. */
  STATUS_ACCOUNT_DISABLED: 0xc0000072,
  /** MS-SFU 3.2.5.2.1: Service 1 may delegate to nothing. */
  STATUS_NOT_SUPPORTED: 0xc00000bb,
  /** The account has expired. */
  STATUS_ACCOUNT_EXPIRED: 0xc0000193,
  /** Too many wrong passwords: the account is locked out (a realm's `lockoutThreshold`). */
  STATUS_ACCOUNT_LOCKED_OUT: 0xc0000234,
  /** "User must change password at next logon" (pwdLastSet 0). */
  STATUS_PASSWORD_MUST_CHANGE: 0xc0000224,
  /** MS-SFU 3.2.5.2.3: the target's resource-based list does not name Service 1. */
  STATUS_NOT_FOUND: 0xc0000225,
  /** MS-SFU 3.2.5.2.1: Service 1's list does not name the target, or the evidence is not forwardable. */
  STATUS_NO_MATCH: 0xc0000272,
  /**
   * A user from across a selective-authentication trust has no Allowed-to-Authenticate right on
   * the service's account (MS-KILE 3.3.5.7.5): the "authentication firewall".
   */
  STATUS_AUTHENTICATION_FIREWALL_FAILED: 0xc0000413,
} as const);

/** The name of an NTSTATUS value: `STATUS_ACCOUNT_DISABLED`, or `0x...` for one not in {@link NtStatus}. */
export function ntStatusName(status: number): string {
  for (const [name, value] of Object.entries(NtStatus)) if (value === status >>> 0) return name;
  return `0x${(status >>> 0).toString(16).padStart(8, '0')}`;
}
