/**
 * Logon hours (MS-KILE 3.3.5.6.3 and 3.3.5.7.1; AD's `logonHours`
 * attribute, MS-ADA1): 21 bytes, one bit per hour of the week in UTC,
 * Sunday 00:00 first; bit `h` of the week is bit `h % 8` (least
 * significant first) of byte `h / 8`. A logon, or a TGT checked again,
 * outside them gets KDC_ERR_CLIENT_REVOKED with STATUS_INVALID_LOGON_HOURS.
 *
 * @module
 */

/** The length of an AD `logonHours` value: 168 hours, a bit each. */
export const LOGON_HOURS_BYTES = 21;

/** Whether `hours` (AD's `logonHours`) allows a logon at `now` (ms since the epoch). */
export function withinLogonHours(hours: Uint8Array, now: number): boolean {
  const t = new Date(now);
  const h = t.getUTCDay() * 24 + t.getUTCHours();
  return ((hours[h >> 3]! >> (h & 7)) & 1) === 1;
}
