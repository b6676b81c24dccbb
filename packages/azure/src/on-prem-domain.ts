/**
 * The customer's on-prem Active Directory domain as a Kerberos realm.
 *
 * Facts modelled: AD-issued TGTs are renewable; users need pre-authentication;
 * the domain functional level must be 2012 or higher for the incoming
 * trust-based flow; Azure AD Connect syncs users to the tenant.
 *
 * @module
 */

import type { Clock, RandomSource } from '@krbsim/core';
import {
  type GroupScope,
  Kdc,
  type Realm as KdcRealm,
  type KdcRequestEvent,
  KpasswdService,
  Realm,
  type RealmPolicy,
} from '@krbsim/kdc';
import { type OnPremUser, onPremUserRecord } from './directory';
import { withSkewNote } from './lab-clock';

/** Options for {@link OnPremDomain}. */
export interface OnPremDomainOptions {
  /** The realm, e.g. `CONTOSO.COM`; the DNS name is its lower-case form. */
  readonly realm: string;
  /** The NetBIOS name; defaults to the realm's first label (`CONTOSO`). */
  readonly netbiosName?: string;
  /** The domain functional level, e.g. 2016. Default 2016. */
  readonly functionalLevel?: number;
  /** The domain SID (`S-1-5-21-...`). Default: derived from the realm name. */
  readonly domainSid?: string;
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly policy?: Partial<RealmPolicy>;
  readonly log?: (line: string) => void;
  /** The KDC's structured event for each request it answers. */
  readonly onRequest?: (event: KdcRequestEvent) => void;
  /** A bug in the KDC (see `KdcOptionsInit.onInternalError`). */
  readonly onInternalError?: (error: unknown) => void;
  /** Appended to the e-text of a KRB_AP_ERR_SKEW reply (the lab's default-clock note; see `lab-clock.ts`). */
  readonly skewNote?: () => string;
}

/** An on-prem AD domain: its realm, its domain controller's KDC and its users. */
export class OnPremDomain {
  readonly realm: KdcRealm;
  readonly kdc: Kdc;
  /** `contoso.com`. */
  readonly dnsName: string;
  /** `CONTOSO`. */
  readonly netbiosName: string;
  readonly functionalLevel: number;
  readonly #users = new Map<string, OnPremUser>();
  #kpasswd: KpasswdService | undefined;
  /** Called for each new user (the lab syncs it to the tenant, as Azure AD Connect does). */
  onUserAdded: ((user: OnPremUser) => void) | undefined;
  /** Called when group memberships change (the lab syncs the users' groups again). */
  onGroupsChanged: (() => void) | undefined;
  /** Called when a user is disabled or enabled (the lab syncs the user again). */
  onAccountChanged: ((user: OnPremUser) => void) | undefined;
  /**
   * Called when a user changed the password through the domain controller's password-change
   * service, with the user's record as it is now (`krbsim serve` writes it to `principals.json`).
   */
  onPasswordChanged: ((user: OnPremUser) => void) | undefined;
  /**
   * Where the password-change service ({@link passwordChangeService}) writes its line per request
   * (who asked and the result, never a password), as `KpasswdService`'s `log` option; none by default.
   */
  kpasswdLog: ((line: string) => void) | undefined;

  readonly #skewNote: (() => string) | undefined;

  constructor(opts: OnPremDomainOptions) {
    this.#skewNote = opts.skewNote;
    this.realm = new Realm({
      name: opts.realm.toUpperCase(),
      clock: opts.clock,
      random: opts.random,
      // A domain controller: aes-sha1 keys, names without case, SPNs whatever their name type,
      // errors shaped as Windows sends them (see RealmKind).
      kind: 'active-directory',
      ...(opts.domainSid !== undefined && { domainSid: opts.domainSid }),
      ...(opts.policy !== undefined && { policy: opts.policy }),
      // The PACs' LogonDomainName: the name the domain's users are known by (CONTOSO\alice).
      ...(opts.netbiosName !== undefined && { netbiosName: opts.netbiosName }),
    });
    this.kdc = new Kdc(this.realm, {
      log: opts.log,
      ...(opts.onRequest !== undefined && { onRequest: opts.onRequest }),
      ...(opts.onInternalError !== undefined && { onInternalError: opts.onInternalError }),
    });
    this.dnsName = opts.realm.toLowerCase();
    this.netbiosName = this.realm.netbiosName;
    this.functionalLevel = opts.functionalLevel ?? 2016;
    this.realm.mapDomain(`.${this.dnsName}`, this.realm.name);
  }

  /**
   * Adds a domain user with a password (pre-authentication required, as AD
   * does by default). The UPN defaults to `<name>@<dns name>`. `sidHistory`:
   * SIDs from domains the user was migrated from (its PAC's ExtraSids).
   * `disabled` and `mustChangePassword` ("User must change password at next
   * logon") make the DC refuse its logon, with the NTSTATUS Windows shows.
   * `rid`: the account's RID, to mirror a user of an existing directory
   * (with the lab's `onPremDomainSid`); default the next free one.
   */
  addUser(
    samAccountName: string,
    opts: {
      password: string;
      upn?: string;
      sidHistory?: readonly string[];
      disabled?: boolean;
      mustChangePassword?: boolean;
      rid?: number;
    },
  ): OnPremUser {
    const upn = opts.upn ?? `${samAccountName}@${this.dnsName}`;
    this.realm.addUser(samAccountName, {
      password: opts.password,
      upn,
      ...(opts.disabled === true && { disabled: true }),
      ...(opts.mustChangePassword === true && { mustChangePassword: true }),
      ...(opts.rid !== undefined && { rid: opts.rid }),
    });
    const account = this.realm.directory.account(samAccountName)!;
    for (const sid of opts.sidHistory ?? []) this.realm.directory.addSidHistory(samAccountName, sid);
    const user = onPremUserRecord({
      samAccountName,
      upn,
      realm: this.realm.name,
      netbiosDomain: this.netbiosName,
      password: opts.password,
      sid: this.realm.directory.sidOf(account.rid),
    });
    this.#users.set(samAccountName.toLowerCase(), user);
    this.onUserAdded?.(user);
    return user;
  }

  /** `Disable-ADAccount` / `Enable-ADAccount`: a disabled user's logons are refused (STATUS_ACCOUNT_DISABLED). */
  setAccountEnabled(samAccountName: string, enabled: boolean): void {
    const entry = this.realm.lookup(samAccountName);
    if (entry === undefined || !this.#users.has(samAccountName.toLowerCase())) {
      throw new RangeError(`no user ${samAccountName} in ${this.realm.name}`);
    }
    entry.disabled = !enabled;
    this.onAccountChanged?.(this.#users.get(samAccountName.toLowerCase())!);
  }

  /** Whether the user's account is enabled (not `Disable-ADAccount`ed); false for an unknown user. */
  isAccountEnabled(samAccountName: string): boolean {
    const entry = this.realm.lookup(samAccountName);
    return entry !== undefined && this.#users.has(samAccountName.toLowerCase()) && entry.disabled !== true;
  }

  /** The domain SID (`S-1-5-21-...`), from the realm's directory. */
  get domainSid(): string {
    return this.realm.directory.domainSid;
  }

  /**
   * `New-ADGroup`: a security group of the domain (global unless told), whose
   * SID is the domain SID and its RID. Returns the group's SID.
   */
  addGroup(name: string, opts: { scope?: GroupScope } = {}): string {
    const g = this.realm.directory.addGroup(name, opts);
    return this.realm.directory.sidOf(g.rid);
  }

  /** `Add-ADGroupMember`: a user (by sAMAccountName) or a group joins `group`, nested as AD allows. */
  addGroupMember(group: string, member: string): void {
    this.realm.directory.addMember(group, member);
    this.onGroupsChanged?.();
  }

  /**
   * The SID of an account or group of the domain, by sAMAccountName
   * (`alice`, `SqlAdmins`, `SQL01$`), as `LookupAccountName` finds it; undefined if none.
   */
  sidOf(name: string): string | undefined {
    const d = this.realm.directory;
    const found = d.account(name) ?? d.group(name);
    return found === undefined ? undefined : d.sidOf(found.rid);
  }

  /**
   * The SIDs of the groups a logon of the user carries from this domain:
   * the primary group and every global and universal group, directly or
   * nested (the PAC's GroupIds; MS-PAC 2.5).
   */
  groupSidsOf(samAccountName: string): string[] {
    const d = this.realm.directory;
    if (d.account(samAccountName) === undefined) return [];
    return d.tokenGroups(samAccountName).groups.map((g) => d.sidOf(g.relativeId));
  }

  /** The user with this sAMAccountName, if any. */
  user(samAccountName: string): OnPremUser | undefined {
    return this.#users.get(samAccountName.toLowerCase());
  }

  /** Every user, in the order added. */
  get users(): readonly OnPremUser[] {
    return [...this.#users.values()];
  }

  /**
   * The domain controller's password-change service (kpasswd, RFC 3244; its `handle` takes request
   * bytes and never throws). Made on first use: AD serves it for the `kadmin/changepw` SPN of the
   * krbtgt account, whose current keys seal its tickets, so the principal is added with them then (a
   * lab that changes no password keeps its directory and random draws as they were).
   */
  passwordChangeService(): KpasswdService {
    if (this.#kpasswd === undefined) {
      if (this.realm.lookup('kadmin/changepw') === undefined) {
        this.realm.addPasswordChangeService({ keys: this.realm.keysFor(`krbtgt/${this.realm.name}`) });
      }
      // Whoever changes a password (the lab's clients, a real tool at a served lab), the user's
      // record follows it, as the next interactive logon types it.
      this.#kpasswd = new KpasswdService(this.realm, {
        onChange: (principal, password) => this.#passwordChanged(principal, password),
        log: (line) => this.kpasswdLog?.(line),
      });
    }
    return this.#kpasswd;
  }

  #passwordChanged(principal: string, password: string): void {
    const key = principal.slice(0, principal.lastIndexOf('@')).toLowerCase();
    const user = this.#users.get(key);
    if (user === undefined) return;
    const changed = onPremUserRecord({ ...user, password });
    this.#users.set(key, changed);
    this.onPasswordChanged?.(changed);
  }

  /** The domain's KDC: request bytes in, reply bytes out. Never throws. */
  handle(request: Uint8Array): Uint8Array {
    const reply = this.kdc.handle(request);
    return this.#skewNote === undefined ? reply : withSkewNote(reply, this.#skewNote);
  }
}
