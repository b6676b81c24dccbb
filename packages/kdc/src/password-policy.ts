/**
 * The rules a new password must meet when its user changes it through the
 * password-change service (kpasswd): the realm's {@link RealmPolicy}
 * `minPasswordAgeMs`, `minPasswordLength`, `passwordComplexity` and
 * `passwordHistoryLength`, checked in MIT kadmind's order (minimum life,
 * then quality, then reuse).
 *
 * Complexity is Active Directory's "Password must meet complexity
 * requirements": the password holds none of the account name (when it has
 * three characters or more) and no part of the display name of three
 * characters or more (parts split at commas, periods, hyphens, underscores,
 * spaces, number signs and tabs), without regard to case; and it has
 * characters of three of five kinds: upper-case letters, lower-case letters,
 * the digits 0-9, the symbols ~!@#$%^&*_-+=`|\(){}[]:;"'<>,.?/, and letters
 * that are neither upper- nor lower-case (most of Asia's scripts).
 *
 * History compares keys, as a domain controller compares the hashes it keeps:
 * the new password's key against the current one and the previous ones.
 *
 * @module
 */

import { timingSafeEqual } from 'node:crypto';
import { type AdPolicyInfo, DomainPasswordProperties } from '@krbsim/asn1';
import { deferredStringToKey } from '@krbsim/crypto';
import type { StoredKey } from './keys';
import type { RealmPolicy } from './policy';
import type { PrincipalEntry } from './principal-db';

/** Which rule a new password broke. */
export type PasswordRejection = 'too-young' | 'too-short' | 'not-complex' | 'in-history';

/** MIT kadmind's words for each rule (kadm5's messages); complexity, which MIT has not, in AD's name for it. */
export const passwordRejectionText: Readonly<Record<PasswordRejection, string>> = {
  'too-young': "Current password's minimum life has not expired",
  'too-short': 'Password is too short',
  'not-complex': 'Password does not meet complexity requirements',
  'in-history': 'Cannot reuse password',
};

/** What the check needs to know of the account besides its keys. */
export interface PasswordOwner {
  readonly entry: PrincipalEntry;
  /** The account name (AD's sAMAccountName). */
  readonly accountName: string;
  /** AD's displayName, when the account has one. */
  readonly displayName?: string;
}

/**
 * Checks a user's new password against the realm's rules at `now`;
 * undefined when it may be set. The minimum age does not hold a user who
 * must change the password (pwdLastSet 0). An administrator's `reset`
 * skips the minimum age, and the history too as AD resets do; with
 * `historyOnReset` it keeps the history, as MIT's kadm5_chpass_principal
 * does (only its minimum life is the user's own).
 */
export function checkNewPassword(
  policy: RealmPolicy,
  owner: PasswordOwner,
  password: string,
  now: number,
  opts: { readonly reset?: boolean; readonly historyOnReset?: boolean } = {},
): PasswordRejection | undefined {
  const reset = opts.reset === true;
  const skipHistory = reset && opts.historyOnReset !== true;
  const lastSet = owner.entry.passwordLastSet;
  if (!reset && policy.minPasswordAgeMs > 0 && lastSet !== undefined && lastSet !== 0) {
    if (now < lastSet + policy.minPasswordAgeMs) return 'too-young';
  }
  if (password.length === 0 || [...password].length < policy.minPasswordLength) return 'too-short';
  if (policy.passwordComplexity && !meetsComplexity(password, owner.accountName, owner.displayName)) {
    return 'not-complex';
  }
  if (!skipHistory && policy.passwordHistoryLength > 0 && reusesPassword(owner.entry, password)) {
    return 'in-history';
  }
  return undefined;
}

/** AD's complexity rule (see the module's comment). */
export function meetsComplexity(password: string, accountName: string, displayName?: string): boolean {
  const lower = password.toLowerCase();
  if (accountName.length >= 3 && lower.includes(accountName.toLowerCase())) return false;
  for (const token of (displayName ?? '').split(/[,.\-_ #\t]/)) {
    if (token.length >= 3 && lower.includes(token.toLowerCase())) return false;
  }
  let kinds = 0;
  for (const kind of [/\p{Lu}/u, /\p{Ll}/u, /[0-9]/, /[~!@#$%^&*_\-+=`|\\(){}[\]:;"'<>,.?/]/, OTHER_LETTER]) {
    if (kind.test(password)) kinds += 1;
  }
  return kinds >= 3;
}

/** A letter that is neither upper- nor lower-case. */
const OTHER_LETTER = /[\p{Lo}\p{Lt}\p{Lm}]/u;

/**
 * Whether `password` is the current password or one the realm remembers
 * (`Realm.setPassword` keeps as many as the history asks): its key, derived
 * with the salt and etype of each remembered key, equals that key.
 */
function reusesPassword(entry: PrincipalEntry, password: string): boolean {
  const remembered = [entry.keys, ...(entry.passwordHistory ?? [])];
  return remembered.some((keys) => {
    const newest = newestKey(keys);
    if (newest === undefined) return false;
    const derived = deferredStringToKey(newest.key.etype, password, newest.salt).bytes;
    const held = newest.key.bytes;
    return derived.length === held.length && timingSafeEqual(derived, held);
  });
}

/** The first key of the highest version: the one a history compares. */
function newestKey(keys: readonly StoredKey[]): StoredKey | undefined {
  let best: StoredKey | undefined;
  for (const k of keys) if (best === undefined || k.kvno > best.kvno) best = k;
  return best;
}

/** The realm's policy as a Windows DC reports it when it refuses a password (AD_POLICY_INFO). */
export function adPolicyInfoOf(policy: RealmPolicy): AdPolicyInfo {
  return {
    minLength: policy.minPasswordLength,
    historyLength: policy.passwordHistoryLength,
    properties: policy.passwordComplexity ? DomainPasswordProperties.COMPLEX : 0,
    maxAgeMs: policy.maxPasswordAgeMs,
    minAgeMs: policy.minPasswordAgeMs,
  };
}
