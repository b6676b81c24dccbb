/**
 * Account lockout, as an Active Directory domain applies it (MS-SAMR
 * 3.1.5.14.6 "Account Lockout State Maintenance"): each wrong password counts
 * (`badPwdCount`, starting again when the last one is older than the
 * observation window); at the realm's `lockoutThreshold` the account is
 * locked out (`lockoutTime`) for `lockoutDurationMs` (0: until unlocked), and a logon with the
 * right password resets the count. A lockout that has run its course ends
 * at the next logon. Not modelled: AD's password history check, which does
 * not count a wrong password that is one of the two previous ones.
 *
 * @module
 */

import type { RealmPolicy } from './policy';
import type { PrincipalEntry } from './principal-db';

/** Whether `entry` is locked out at `now`; a lockout that has expired is cleared. */
export function isLockedOut(entry: PrincipalEntry, now: number, policy: RealmPolicy): boolean {
  if (entry.lockoutTime === undefined) return false;
  // A duration of 0 is AD's "until an administrator unlocks the account" (Realm.unlockAccount).
  if (policy.lockoutDurationMs === 0 || now < entry.lockoutTime + policy.lockoutDurationMs) return true;
  entry.lockoutTime = undefined;
  entry.badPasswordCount = 0;
  return false;
}

/** A wrong password for `entry` at `now`: counted, and the account locked at the threshold. */
export function recordBadPassword(entry: PrincipalEntry, now: number, policy: RealmPolicy): void {
  if (policy.lockoutThreshold <= 0) return;
  const recent =
    entry.badPasswordTime !== undefined && now - entry.badPasswordTime < policy.lockoutObservationWindowMs;
  entry.badPasswordCount = (recent ? (entry.badPasswordCount ?? 0) : 0) + 1;
  entry.badPasswordTime = now;
  if (entry.badPasswordCount >= policy.lockoutThreshold) entry.lockoutTime = now;
}

/** A logon of `entry` with the right password: its count of wrong ones starts again. */
export function recordGoodPassword(entry: PrincipalEntry): void {
  if (entry.badPasswordCount !== undefined && entry.badPasswordCount !== 0) entry.badPasswordCount = 0;
}
