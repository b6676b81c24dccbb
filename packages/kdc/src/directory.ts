/**
 * The directory behind a realm's PACs: the domain SID, each account's RID
 * and primary group, and the groups with their scopes and members, expanded
 * as a domain controller expands them for a logon (MS-PAC section 2.5,
 * KERB_VALIDATION_INFO; MS-ADTS section 3.1.1.4.2 and MS-KILE section
 * 3.3.5.6.4.1 for which groups go where):
 * - global and universal groups of the domain, reached from the account
 *   directly or through nested groups, plus the primary group: `GroupIds`;
 * - domain-local groups of the domain, reached from the account or from any
 *   of those groups: added to service tickets for services of the domain as
 *   resource groups (`ResourceGroupIds`, the KDC's resource SID compression),
 *   never to TGTs or across a trust.
 *
 * Nesting follows AD's scope rules: a global group holds accounts and global
 * groups; a universal group holds accounts, global and universal groups; a
 * domain-local group holds all of those and other domain-local groups.
 * Cycles are allowed (AD allows them) and expanded once.
 *
 * @module
 */

import { ErrorCode, KerberosError } from '@krbsim/core';
import { type GroupMembership, SE_GROUP_DEFAULT, SeGroupAttributes, WellKnownRid } from '@krbsim/pac';

/** A group's scope (MS-ADTS section 3.1.1.4.2, groupType). */
export type GroupScope = 'global' | 'universal' | 'domain-local';

/** What kind of account a RID belongs to. */
export type AccountKind = 'user' | 'computer';

/** A domain controller's kind: writable, or a read-only DC (RODC). */
export type DomainControllerKind = 'writable' | 'read-only';

/** One account of the directory. */
export interface DirectoryAccount {
  /** The sAMAccountName (`alice`, `SQL01$`). */
  readonly name: string;
  readonly kind: AccountKind;
  /** The relative identifier: the last sub-authority of the account's SID. */
  readonly rid: number;
  /**
   * The primary group's RID: 513 (Domain Users) for users, 515 (Domain Computers) for computers,
   * 516 (Domain Controllers) for a domain controller, 521 for a read-only one.
   */
  primaryGroupRid: number;
  /**
   * A domain controller's account (`Realm.addComputer`'s `domainController`): writable
   * (SERVER_TRUST_ACCOUNT) or read-only (PARTIAL_SECRETS_ACCOUNT).
   */
  readonly domainController?: DomainControllerKind;
  /** AD's `displayName`: the PAC's FullName. Absent: empty, as for an account created without one. */
  readonly displayName?: string;
  /**
   * An identity held elsewhere: the account's SID and group SIDs come from
   * another directory (a user Azure AD Connect synced from on-prem AD keeps
   * its on-prem SID and its groups' SIDs). Unset: this domain's SID and RID,
   * and this directory's groups.
   */
  external?: { readonly sid: string; readonly groupSids: readonly string[] };
  /**
   * `sIDHistory`: SIDs the account had in domains it was migrated from. A DC
   * puts them in the PAC's ExtraSids (MS-PAC 2.5); a trust's SID filtering
   * removes those of domains outside the trusted forest.
   */
  sidHistory?: readonly string[];
}

/** One group of the directory. */
export interface DirectoryGroup {
  readonly name: string;
  readonly rid: number;
  readonly scope: GroupScope;
}

/** The groups a domain controller puts in a logon for an account (see the module comment). */
export interface TokenGroups {
  /** The primary group first, then the global and universal groups, by RID. */
  readonly groups: readonly GroupMembership[];
  /** Domain-local groups, by RID: resource groups of service tickets in this domain. */
  readonly domainLocal: readonly GroupMembership[];
}

/** The first RID a new account or group gets; AD's own objects take the ones below. */
const FIRST_FREE_RID = 1104;

/** Groups only the forest root domain has (MS-ADTS 6.1.1.6: the root domain's well-known groups). */
const FOREST_ROOT_RIDS: ReadonlySet<number> = new Set([
  WellKnownRid.SCHEMA_ADMINS,
  WellKnownRid.ENTERPRISE_ADMINS,
]);

const BUILT_IN_GROUPS: readonly DirectoryGroup[] = [
  { name: 'Domain Admins', rid: WellKnownRid.DOMAIN_ADMINS, scope: 'global' },
  { name: 'Domain Users', rid: WellKnownRid.DOMAIN_USERS, scope: 'global' },
  { name: 'Domain Guests', rid: WellKnownRid.DOMAIN_GUESTS, scope: 'global' },
  { name: 'Domain Computers', rid: WellKnownRid.DOMAIN_COMPUTERS, scope: 'global' },
  { name: 'Domain Controllers', rid: WellKnownRid.DOMAIN_CONTROLLERS, scope: 'global' },
  { name: 'Read-only Domain Controllers', rid: WellKnownRid.READONLY_DOMAIN_CONTROLLERS, scope: 'global' },
  { name: 'Schema Admins', rid: WellKnownRid.SCHEMA_ADMINS, scope: 'universal' },
  { name: 'Enterprise Admins', rid: WellKnownRid.ENTERPRISE_ADMINS, scope: 'universal' },
  { name: 'Group Policy Creator Owners', rid: WellKnownRid.GROUP_POLICY_CREATOR_OWNERS, scope: 'global' },
  // Members cannot be delegated, as if marked sensitive (`cannotBeDelegated` in delegation.ts).
  { name: 'Protected Users', rid: WellKnownRid.PROTECTED_USERS, scope: 'global' },
  {
    name: 'Allowed RODC Password Replication Group',
    rid: WellKnownRid.ALLOWED_RODC_PASSWORD_REPLICATION_GROUP,
    scope: 'domain-local',
  },
  {
    name: 'Denied RODC Password Replication Group',
    rid: WellKnownRid.DENIED_RODC_PASSWORD_REPLICATION_GROUP,
    scope: 'domain-local',
  },
];

/**
 * The built-in groups' own memberships, as a new domain has them: the accounts whose passwords
 * no read-only DC may cache (AD's Denied RODC Password Replication Group), which a Windows DC
 * then puts in its members' service tickets as a resource group. In a child domain, Schema and
 * Enterprise Admins are the forest root's groups (see {@link DirectoryOptions.forestRoot}).
 */
const BUILT_IN_MEMBERS: readonly (readonly [group: string, member: string])[] = [
  ['Denied RODC Password Replication Group', 'Domain Admins'],
  ['Denied RODC Password Replication Group', 'Domain Controllers'],
  ['Denied RODC Password Replication Group', 'Enterprise Admins'],
  ['Denied RODC Password Replication Group', 'Group Policy Creator Owners'],
  ['Denied RODC Password Replication Group', 'Read-only Domain Controllers'],
  ['Denied RODC Password Replication Group', 'Schema Admins'],
];

/** Which scopes a group of each scope may hold as members (accounts are always allowed). */
const NESTABLE: Readonly<Record<GroupScope, readonly GroupScope[]>> = {
  global: ['global'],
  universal: ['global', 'universal'],
  'domain-local': ['global', 'universal', 'domain-local'],
};

/**
 * `S-1-5-21-a-b-c`: a domain SID as AD writes it (three 32-bit sub-authorities
 * after 21, in decimal without leading zeros: the one text a SID has, so that
 * two SIDs compare equal as text exactly when they are the same SID).
 */
const DOMAIN_SID = /^S-1-5-21-(?:0|[1-9]\d{0,9})-(?:0|[1-9]\d{0,9})-(?:0|[1-9]\d{0,9})$/;

/** A new account's primary group (see {@link Directory.addAccount}). */
function primaryGroupOf(kind: AccountKind, controller: DomainControllerKind | undefined): number {
  if (controller === 'writable') return WellKnownRid.DOMAIN_CONTROLLERS;
  if (controller === 'read-only') return WellKnownRid.READONLY_DOMAIN_CONTROLLERS;
  return kind === 'computer' ? WellKnownRid.DOMAIN_COMPUTERS : WellKnownRid.DOMAIN_USERS;
}

function refuse(message: string): never {
  throw new KerberosError(ErrorCode.KRB_ERR_GENERIC, message);
}

/** Options for a {@link Directory}. */
export interface DirectoryOptions {
  /**
   * Whether the domain is its forest's root (default true). Only the root
   * domain has Schema Admins (518) and Enterprise Admins (519); a child
   * domain's Denied RODC Password Replication Group holds the root's, named
   * by RID until a SID of the root's domain reaches them
   * ({@link Directory.resourceGroups}'s `forestRootSid`).
   */
  readonly forestRoot?: boolean;
  /**
   * Match account names exactly (default false: without regard to case, as AD
   * does). A realm whose principal names are case-sensitive (MIT's) sets it,
   * so that `alice` and `Alice` are two accounts. Group names are matched
   * without regard to case either way.
   */
  readonly caseSensitiveAccounts?: boolean;
}

/**
 * The accounts and groups of one domain. Names are matched without regard to case, as AD does
 * (account names exactly, with {@link DirectoryOptions.caseSensitiveAccounts}).
 */
export class Directory {
  /** The domain SID, `S-1-5-21-...`. */
  readonly domainSid: string;
  /** Whether the domain is its forest's root ({@link DirectoryOptions.forestRoot}). */
  readonly forestRoot: boolean;
  readonly #accounts = new Map<string, DirectoryAccount>();
  readonly #caseSensitiveAccounts: boolean;
  readonly #groups = new Map<string, DirectoryGroup>();
  readonly #byRid = new Map<number, DirectoryAccount | DirectoryGroup>();
  /**
   * Member keys (`a:<account key>` or `g:<name>`, lower case; `s:<SID>` for a
   * foreign principal; `r:<RID>` for a group of the forest root domain, in a
   * child domain) by group name (lower case).
   */
  readonly #members = new Map<string, Set<string>>();
  /** Groups (lower case) each member key belongs to directly. */
  readonly #memberOf = new Map<string, Set<string>>();
  #nextRid = FIRST_FREE_RID;
  /** How many memberships of foreign principals (`s:` and `r:` keys) there are. */
  #foreignMembers = 0;
  /**
   * {@link tokenGroups} by account (lower case): the KDC asks on every TGS
   * and the expansion walks every membership. Cleared by each change of a
   * membership; an entry holds for the primary group it was computed with
   * (`primaryGroupRid` can be set directly).
   */
  readonly #tokenGroups = new Map<
    string,
    { readonly primaryGroupRid: number; readonly groups: TokenGroups }
  >();

  constructor(domainSid: string, options: DirectoryOptions = {}) {
    if (
      !DOMAIN_SID.test(domainSid) ||
      domainSid
        .split('-')
        .slice(4)
        .some((n) => Number(n) > 0xffffffff)
    ) {
      throw new RangeError(
        `'${domainSid}' is not a domain SID (S-1-5-21- and three 32-bit numbers, without leading zeros)`,
      );
    }
    this.domainSid = domainSid;
    this.forestRoot = options.forestRoot ?? true;
    this.#caseSensitiveAccounts = options.caseSensitiveAccounts ?? false;
    for (const g of BUILT_IN_GROUPS) {
      if (this.forestRoot || !FOREST_ROOT_RIDS.has(g.rid)) this.#putGroup(g);
    }
    for (const [group, member] of BUILT_IN_MEMBERS) {
      const rootGroup = this.forestRoot ? undefined : BUILT_IN_GROUPS.find((g) => g.name === member);
      if (rootGroup !== undefined && FOREST_ROOT_RIDS.has(rootGroup.rid)) {
        if (this.#link(this.group(group)!, `r:${rootGroup.rid}`)) this.#foreignMembers++;
      } else {
        this.addMember(group, member);
      }
    }
  }

  /** How an account's name is keyed: as it is, or in lower case (see {@link DirectoryOptions.caseSensitiveAccounts}). */
  #accountKey(name: string): string {
    return this.#caseSensitiveAccounts ? name : name.toLowerCase();
  }

  /** The SID of a RID of this domain. */
  sidOf(rid: number): string {
    return `${this.domainSid}-${rid}`;
  }

  /**
   * Add an account (done by `Realm.addUser` and `Realm.addComputer`). Its
   * RID is the next free one unless given; its primary group is Domain Users
   * (513), or Domain Computers (515) for a computer, Domain Controllers (516)
   * or Read-only Domain Controllers (521) for a domain controller's;
   * `displayName` is AD's.
   */
  addAccount(
    name: string,
    kind: AccountKind,
    opts: { rid?: number; displayName?: string; domainController?: DomainControllerKind } = {},
  ): DirectoryAccount {
    const key = this.#accountKey(name);
    if (this.#accounts.has(key)) refuse(`account ${name} already exists in the directory`);
    const account: DirectoryAccount = {
      name,
      kind,
      rid: this.#claimRid(opts.rid, name),
      primaryGroupRid: primaryGroupOf(kind, opts.domainController),
      ...(opts.displayName !== undefined && { displayName: opts.displayName }),
      ...(opts.domainController !== undefined && { domainController: opts.domainController }),
    };
    this.#accounts.set(key, account);
    this.#byRid.set(account.rid, account);
    return account;
  }

  /** Add a group (`New-ADGroup -GroupScope`). Default scope: global, as AD's. */
  addGroup(name: string, opts: { scope?: GroupScope; rid?: number } = {}): DirectoryGroup {
    if (this.#groups.has(name.toLowerCase())) refuse(`group ${name} already exists in the directory`);
    const lower = name.toLowerCase();
    if ([...this.#accounts.values()].some((a) => a.name.toLowerCase() === lower))
      refuse(`${name} is already an account's name`);
    return this.#putGroup({ name, rid: this.#claimRid(opts.rid, name), scope: opts.scope ?? 'global' });
  }

  /** The account with this sAMAccountName, if any. */
  account(name: string): DirectoryAccount | undefined {
    return this.#accounts.get(this.#accountKey(name));
  }

  /** The group with this name, if any. */
  group(name: string): DirectoryGroup | undefined {
    return this.#groups.get(name.toLowerCase());
  }

  /** Every group, built-in ones first. */
  groups(): DirectoryGroup[] {
    return [...this.#groups.values()];
  }

  /**
   * Make `member` (an account or a group, by name) a member of `group`
   * (`Add-ADGroupMember`). Refused as AD refuses it: a group of a scope its
   * target cannot hold (a universal group in a global one, a domain-local
   * group in anything but a domain-local one).
   */
  addMember(group: string, member: string): void {
    const g = this.group(group) ?? refuse(`no group ${group} in the directory`);
    const asGroup = this.group(member);
    const asAccount = this.account(member);
    if (asGroup === undefined && asAccount === undefined)
      refuse(`no account or group ${member} in the directory`);
    if (asGroup !== undefined && !NESTABLE[g.scope].includes(asGroup.scope)) {
      refuse(`a ${g.scope} group cannot hold the ${asGroup.scope} group ${asGroup.name} (${g.name})`);
    }
    this.#link(
      g,
      asGroup !== undefined ? `g:${asGroup.name.toLowerCase()}` : `a:${this.#accountKey(asAccount!.name)}`,
    );
  }

  /** Makes the member `key` a member of `g`; false when it already was. */
  #link(g: DirectoryGroup, key: string): boolean {
    const gk = g.name.toLowerCase();
    const members = this.#members.get(gk)!;
    if (members.has(key)) return false;
    this.#tokenGroups.clear();
    members.add(key);
    const of = this.#memberOf.get(key) ?? new Set<string>();
    of.add(gk);
    this.#memberOf.set(key, of);
    return true;
  }

  /**
   * Make a principal of another domain, by its SID, a member of `group`:
   * what AD does for a domain-local group through a foreignSecurityPrincipal
   * object (`Add-ADGroupMember` with a user or group of a trusted domain), and
   * for a universal group with a principal of another domain of the forest. A
   * global group holds principals of its own domain only, and this domain's
   * principals are added by name. The KDC expands these memberships: a
   * domain-local group's for users who come across a trust
   * ({@link resourceGroups}), a universal group's for the users of the other
   * domains of the forest at their logon, as the global catalog does
   * ({@link universalGroups}).
   */
  addForeignMember(group: string, sid: string): void {
    const g = this.group(group) ?? refuse(`no group ${group} in the directory`);
    const text = accountSidText(sid);
    if (g.scope === 'global') {
      refuse(`a global group cannot hold a principal of another domain (${text} in ${g.name})`);
    }
    if (text.startsWith(`${this.domainSid}-`)) {
      refuse(`${text} is a SID of this domain: add its account or group by name`);
    }
    if (this.#link(g, `s:${text}`)) this.#foreignMembers++;
  }

  /** Whether any group holds a principal of another domain ({@link addForeignMember}). */
  get hasForeignMembers(): boolean {
    return this.#foreignMembers > 0;
  }

  /**
   * The domain-local groups of this domain reached from `sids`, directly or
   * through nested groups, as resource groups sorted by RID: MS-ADTS
   * GetResourceDomainInfo (3.1.1.13.4), which a KDC calls for every service
   * ticket it issues (MS-KILE 3.3.5.7.3) with the SIDs of the ticket's PAC.
   * A SID of this domain stands for its account or group; any other for the
   * foreign principal {@link addForeignMember} named, and in a child domain a
   * SID of `forestRootSid`'s domain also for the root's group of its RID (see
   * {@link DirectoryOptions.forestRoot}). SIDs the directory does not know
   * reach nothing.
   */
  resourceGroups(sids: readonly string[], forestRootSid?: string): readonly GroupMembership[] {
    if (sids.length === 0) return [];
    return Object.freeze(
      this.#reachFrom(sids, forestRootSid)
        .filter((g) => g.scope === 'domain-local')
        .map(resourceGroup),
    );
  }

  /**
   * The SIDs of the universal groups of this domain reached from `sids`
   * (principals of other domains of the forest, {@link addForeignMember}),
   * directly or through nested groups: what the global catalog adds to a
   * logon in another domain of the forest, as ExtraSids (MS-PAC 2.5).
   */
  universalGroups(sids: readonly string[]): string[] {
    if (sids.length === 0) return [];
    return this.#reachFrom(sids)
      .filter((g) => g.scope === 'universal')
      .map((g) => this.sidOf(g.rid));
  }

  /**
   * Every group reached from `sids` (of this domain: its accounts and groups; else foreign members;
   * of the forest root's domain, in a child domain, its groups by RID too).
   */
  #reachFrom(sids: readonly string[], forestRootSid?: string): DirectoryGroup[] {
    const queue: string[] = [];
    const prefix = `${this.domainSid}-`;
    const rootPrefix = this.forestRoot || forestRootSid === undefined ? undefined : `${forestRootSid}-`;
    for (const sid of sids) {
      if (!sid.startsWith(prefix)) {
        queue.push(`s:${sid}`);
        if (rootPrefix !== undefined && sid.startsWith(rootPrefix))
          queue.push(`r:${sid.slice(rootPrefix.length)}`);
        continue;
      }
      const own = this.#byRid.get(Number(sid.slice(prefix.length)));
      if (own !== undefined)
        queue.push('scope' in own ? `g:${own.name.toLowerCase()}` : `a:${this.#accountKey(own.name)}`);
    }
    return this.#reach(queue);
  }

  /**
   * Give an account an identity held in another directory (see
   * {@link DirectoryAccount.external}): its SID and its groups' SIDs.
   */
  setExternalIdentity(account: string, identity: { sid: string; groupSids?: readonly string[] }): void {
    const a = this.account(account) ?? refuse(`no account ${account} in the directory`);
    a.external = { sid: identity.sid, groupSids: [...(identity.groupSids ?? [])] };
  }

  /** Add a SID to an account's `sIDHistory` (as ADMT does when it migrates the account). */
  addSidHistory(account: string, sid: string): void {
    const a = this.account(account) ?? refuse(`no account ${account} in the directory`);
    a.sidHistory = [...(a.sidHistory ?? []), accountSidText(sid)];
  }

  /** Set an account's primary group (it must be a global group of the domain). */
  setPrimaryGroup(account: string, group: string): void {
    const a = this.account(account) ?? refuse(`no account ${account} in the directory`);
    const g = this.group(group) ?? refuse(`no group ${group} in the directory`);
    if (g.scope !== 'global') refuse(`a primary group must be a global group; ${g.name} is ${g.scope}`);
    a.primaryGroupRid = g.rid;
  }

  /**
   * The groups a logon of `account` carries: its primary group and every
   * group reached from it through membership, directly or nested, split as
   * the module comment says. Each group once; sorted by RID after the
   * primary group.
   */
  tokenGroups(account: string): TokenGroups {
    const a = this.account(account) ?? refuse(`no account ${account} in the directory`);
    const key = this.#accountKey(a.name);
    const cached = this.#tokenGroups.get(key);
    if (cached !== undefined && cached.primaryGroupRid === a.primaryGroupRid) return cached.groups;
    const queue = [`a:${key}`];
    // The primary group's own memberships count too (Domain Users in a universal group, say).
    const primary = this.#byRid.get(a.primaryGroupRid) as DirectoryGroup | undefined;
    if (primary !== undefined) queue.push(`g:${primary.name.toLowerCase()}`);
    const reached = this.#reach([...queue]);
    const membership = (g: { rid: number }): GroupMembership =>
      Object.freeze({ relativeId: g.rid, attributes: SE_GROUP_DEFAULT });
    const result: TokenGroups = Object.freeze({
      groups: Object.freeze([
        membership({ rid: a.primaryGroupRid }),
        ...reached.filter((g) => g.scope !== 'domain-local' && g.rid !== a.primaryGroupRid).map(membership),
      ]),
      domainLocal: Object.freeze(reached.filter((g) => g.scope === 'domain-local').map(resourceGroup)),
    });
    this.#tokenGroups.set(key, { primaryGroupRid: a.primaryGroupRid, groups: result });
    return result;
  }

  /** Every group reached from the member keys `queue` (consumed), directly or nested, by RID. */
  #reach(queue: string[]): DirectoryGroup[] {
    const seen = new Set<string>();
    while (queue.length > 0) {
      for (const g of this.#memberOf.get(queue.pop()!) ?? []) {
        if (seen.has(g)) continue;
        seen.add(g);
        queue.push(`g:${g}`);
      }
    }
    return [...seen].map((k) => this.#groups.get(k)!).sort((x, y) => x.rid - y.rid);
  }

  #putGroup(g: DirectoryGroup): DirectoryGroup {
    this.#groups.set(g.name.toLowerCase(), g);
    this.#members.set(g.name.toLowerCase(), new Set());
    this.#byRid.set(g.rid, g);
    return g;
  }

  #claimRid(rid: number | undefined, name: string): number {
    if (rid === undefined) {
      while (this.#byRid.has(this.#nextRid)) this.#nextRid++;
      return this.#nextRid++;
    }
    this.checkRid(rid, name);
    return rid;
  }

  /**
   * Throws unless `rid` is a domain RID no account or group of this domain
   * has: what {@link addAccount} and {@link addGroup} require of a RID they
   * are given, checked before anything is added.
   */
  checkRid(rid: number, name: string): void {
    if (!Number.isInteger(rid) || rid < 500 || rid > 0x3fffffff) {
      throw new RangeError(`RID ${rid} for ${name} is not a domain RID (500 to 2^30 - 1)`);
    }
    if (this.#byRid.has(rid)) refuse(`RID ${rid} for ${name} is taken by ${this.#byRid.get(rid)!.name}`);
  }
}

/**
 * A domain-local group in a PAC: a resource group, SE_GROUP_RESOURCE besides
 * the defaults (MS-PAC 2.2.1), as a Windows DC writes it (0x20000007).
 */
function resourceGroup(g: { rid: number }): GroupMembership {
  return Object.freeze({ relativeId: g.rid, attributes: SE_GROUP_DEFAULT | SeGroupAttributes.RESOURCE });
}

/**
 * `sid` as the one text of a domain principal's SID (`S-1-5-21-a-b-c-rid`,
 * no leading zeros, each number 32 bits); a RangeError for anything else.
 */
function accountSidText(sid: string): string {
  const m = /^S-1-5-21-(\d{1,10})-(\d{1,10})-(\d{1,10})-(\d{1,10})$/i.exec(sid);
  const parts = m?.slice(1).map(Number);
  if (parts === undefined || parts.some((n) => n > 0xffffffff)) {
    throw new RangeError(`'${sid}' is not the SID of a domain's account or group (S-1-5-21-a-b-c-rid)`);
  }
  return `S-1-5-21-${parts.join('-')}`;
}

/**
 * A domain SID drawn from `bytes` (twelve random bytes: three 32-bit
 * sub-authorities), as a domain gets one when it is created.
 */
export function domainSidFrom(bytes: Uint8Array): string {
  if (bytes.length < 12) throw new RangeError('a domain SID needs 12 random bytes');
  const view = new DataView(bytes.buffer, bytes.byteOffset, 12);
  return `S-1-5-21-${view.getUint32(0, true)}-${view.getUint32(4, true)}-${view.getUint32(8, true)}`;
}
