/**
 * The principal database of one realm: users, services (with SPN aliases),
 * the realm's own `krbtgt/REALM@REALM`, and the inter-realm keys
 * `krbtgt/OTHER@THIS` (outgoing: to issue referral TGTs) and
 * `krbtgt/THIS@OTHER` (incoming: to accept cross-realm TGTs), as MIT's KDB
 * and AD's trusted domain objects hold them (RFC 4120 section 1.2).
 *
 * Entries are keyed by `name@realm`; names fold case when the realm's policy
 * says so (AD), realms never do.
 *
 * @module
 */

import type { PrincipalName, QualifiedName } from '@krbsim/asn1';
import { formatPrincipal, nameKey } from '@krbsim/asn1';
import { ErrorCode, KerberosError } from '@krbsim/core';
import { currentKvno, type StoredKey } from './keys';

/** What an entry is: a user (client), a service, or a ticket-granting service key. */
export type PrincipalKind = 'user' | 'service' | 'krbtgt';

/** One principal of the database. Flags are mutable so a test can lock or expire an account. */
export interface PrincipalEntry {
  /** The canonical name (aliases resolve to it). */
  readonly name: PrincipalName;
  /** The realm of the name: this realm, or the other realm of an incoming inter-realm key. */
  readonly realm: string;
  readonly kind: PrincipalKind;
  /** Every key version still held, newest kvno highest. Replaced on rotation. */
  keys: readonly StoredKey[];
  /** Alternative names (SPNs) that resolve to this entry. */
  readonly aliases: readonly PrincipalName[];
  /** The user principal name (`alice@contoso.com`), matched by NT-ENTERPRISE requests. */
  readonly upn?: string;
  /** Reject AS-REQs without pre-authentication (KDC_ERR_PREAUTH_REQUIRED). */
  requiresPreauth: boolean;
  /** Disabled: KDC_ERR_CLIENT_REVOKED (as a client), KDC_ERR_SERVICE_REVOKED (as a server). A lockout is `lockoutTime`. */
  disabled: boolean;
  /** Account expiry, ms since the epoch: the policy's `accountExpiredCode` after it (MIT: KDC_ERR_NAME_EXP). */
  accountExpires?: number;
  /** Password expiry, ms since the epoch: KDC_ERR_KEY_EXPIRED after it; sent as key-expiration. */
  passwordExpires?: number;
  /**
   * When the password (or keys) were last set, ms since the epoch: AD's
   * pwdLastSet, the PAC's PasswordLastSet. 0: the user must change the
   * password at the next logon (KDC_ERR_KEY_EXPIRED). Absent: not known.
   */
  passwordLastSet?: number;
  /**
   * The keys of earlier passwords, the most recent first (AD's password
   * history, MIT's key history): as many as the realm's
   * `passwordHistoryLength` asks the current one to be compared with.
   */
  passwordHistory?: readonly (readonly StoredKey[])[];
  /** AD's `logonHours` (`logon-hours.ts`): outside them, KDC_ERR_CLIENT_REVOKED. Absent: any hour. */
  logonHours?: Uint8Array;
  /**
   * AD's `badPwdCount`, `badPasswordTime` and `lockoutTime` (ms): wrong
   * passwords counted under the realm's lockout policy (`lockout.ts`).
   */
  badPasswordCount?: number;
  badPasswordTime?: number;
  lockoutTime?: number;
  /** Set ok-as-delegate in tickets for this service (AD "trusted for delegation"). */
  okAsDelegate: boolean;
  /**
   * The longest life of a ticket for this principal as the server (MIT's
   * per-principal `max_life`): kadmin/changepw's is 5 minutes in an MIT
   * realm, 2 in a domain. Absent: the realm's policy alone.
   */
  maxTicketLifeMs?: number;
  /**
   * MIT's DISALLOW_TGT_BASED: tickets for this principal come from the AS
   * exchange only; a TGS-REQ for it is KDC_ERR_POLICY (kadmin/changepw's in
   * an MIT realm).
   */
  disallowTgtBased?: boolean;
  /**
   * AuthorizationDataNotRequired (MS-KILE 3.3.1.1; AD's userAccountControl
   * NA flag): service tickets for this service carry no PAC (3.3.5.3).
   */
  authDataNotRequired: boolean;
  /** The etypes the principal supports (msDS-SupportedEncryptionTypes), strongest first. */
  encTypes: readonly number[];
  /**
   * AD's TrustedToAuthenticationForDelegation ("use any authentication
   * protocol"): its S4U2Self tickets are forwardable (MS-SFU 3.2.5.1.2).
   */
  trustedToAuthForDelegation: boolean;
  /**
   * "Account is sensitive and cannot be delegated" (or a member of Protected
   * Users): tickets on its behalf are never forwardable.
   */
  notDelegated: boolean;
  /** msDS-AllowedToDelegateTo: the SPNs this service may reach by S4U2Proxy (classic constrained delegation). */
  allowedToDelegateTo: readonly PrincipalName[];
  /**
   * msDS-AllowedToActOnBehalfOfOtherIdentity: the accounts that may reach this
   * one by S4U2Proxy (resource-based constrained delegation, set on the
   * target): of this realm, or across a trust (MS-SFU 3.2.5.2.3).
   */
  allowedToActOnBehalfOf: readonly QualifiedName[];
  /**
   * The SIDs this account's security descriptor grants Allowed to
   * Authenticate: users who come across a selective-authentication trust
   * get service tickets for it only when one of their SIDs is here
   * (selective-authentication.ts). Set by `Realm.allowToAuthenticate`.
   */
  allowedToAuthenticate?: readonly string[];
}

/** The current (highest) key version of an entry. */
export function entryKvno(entry: PrincipalEntry): number {
  return currentKvno(entry.keys);
}

/** A realm's principal store with alias and UPN indexes. */
export class PrincipalDb {
  readonly #entries = new Map<string, PrincipalEntry>();
  readonly #byUpn = new Map<string, PrincipalEntry>();
  readonly #caseInsensitive: boolean;

  /** `caseInsensitive`: match names (not realms) without regard to case, as AD does. */
  constructor(caseInsensitive: boolean) {
    this.#caseInsensitive = caseInsensitive;
  }

  #key(name: PrincipalName, realm: string): string {
    return `${nameKey(name, this.#caseInsensitive)}@${realm}`;
  }

  /**
   * Add an entry under its name and every alias. Throws KDC_ERR_PRINCIPAL_NOT_UNIQUE
   * when any of them is taken (AD refuses duplicate SPNs the same way).
   */
  add(entry: PrincipalEntry): PrincipalEntry {
    const keys = [entry.name, ...entry.aliases].map((n) => this.#key(n, entry.realm));
    for (const [i, k] of keys.entries()) {
      if (this.#entries.has(k) || keys.indexOf(k) !== i) {
        const n = i === 0 ? entry.name : entry.aliases[i - 1]!;
        throw new KerberosError(
          ErrorCode.KDC_ERR_PRINCIPAL_NOT_UNIQUE,
          `principal ${formatPrincipal(n, entry.realm)} already exists`,
          { realm: entry.realm },
        );
      }
    }
    const upn = entry.upn === undefined ? undefined : this.#upnKey(entry.upn);
    if (upn !== undefined && this.#byUpn.has(upn)) {
      throw new KerberosError(ErrorCode.KDC_ERR_PRINCIPAL_NOT_UNIQUE, `UPN ${entry.upn} already exists`, {
        realm: entry.realm,
      });
    }
    for (const k of keys) this.#entries.set(k, entry);
    if (upn !== undefined) this.#byUpn.set(upn, entry);
    return entry;
  }

  /**
   * Give `entry` one more name (`setspn -S`). Throws
   * KDC_ERR_PRINCIPAL_NOT_UNIQUE when another entry has it.
   */
  addAlias(entry: PrincipalEntry, alias: PrincipalName): void {
    const k = this.#key(alias, entry.realm);
    const holder = this.#entries.get(k);
    if (holder === entry) return;
    if (holder !== undefined) {
      throw new KerberosError(
        ErrorCode.KDC_ERR_PRINCIPAL_NOT_UNIQUE,
        `principal ${formatPrincipal(alias, entry.realm)} already exists`,
        { realm: entry.realm },
      );
    }
    this.#entries.set(k, entry);
    (entry as { aliases: readonly PrincipalName[] }).aliases = [...entry.aliases, alias];
  }

  /**
   * Take `alias` from `entry` (`setspn -D`). Returns whether it was one of
   * the entry's aliases; its canonical name is not one.
   */
  removeAlias(entry: PrincipalEntry, alias: PrincipalName): boolean {
    const k = this.#key(alias, entry.realm);
    const i = entry.aliases.findIndex((a) => this.#key(a, entry.realm) === k);
    if (i < 0 || this.#entries.get(k) !== entry) return false;
    this.#entries.delete(k);
    (entry as { aliases: readonly PrincipalName[] }).aliases = entry.aliases.filter((_, j) => j !== i);
    return true;
  }

  /** Remove an entry (and its aliases). Returns whether it was there. */
  remove(name: PrincipalName, realm: string): boolean {
    const entry = this.get(name, realm);
    if (!entry) return false;
    for (const n of [entry.name, ...entry.aliases]) this.#entries.delete(this.#key(n, entry.realm));
    if (entry.upn !== undefined) this.#byUpn.delete(this.#upnKey(entry.upn));
    return true;
  }

  /** The entry for `name@realm`, by canonical name or alias. */
  get(name: PrincipalName, realm: string): PrincipalEntry | undefined {
    return this.#entries.get(this.#key(name, realm));
  }

  /**
   * The entry whose UPN is `upn`: without regard to case when names are
   * (AD matches UPNs and their suffixes that way), exactly otherwise (MIT).
   */
  getByUpn(upn: string): PrincipalEntry | undefined {
    return this.#byUpn.get(this.#upnKey(upn));
  }

  #upnKey(upn: string): string {
    return this.#caseInsensitive ? upn.toLowerCase() : upn;
  }

  /** Every distinct entry, in insertion order. */
  entries(): PrincipalEntry[] {
    return [...new Set(this.#entries.values())];
  }
}
