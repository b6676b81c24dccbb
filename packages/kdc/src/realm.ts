/**
 * A Kerberos realm (RFC 4120 section 1.2): its name, principal database,
 * ticket policy, injected clock and random source, the `[domain_realm]`
 * table used for referrals (RFC 6806 section 8), and the trusts it takes part
 * in. A {@link Kdc} answers requests for exactly one realm.
 *
 * @module
 */

import { createHash } from 'node:crypto';
import type { AuthorizationData, EncryptionKey, PrincipalName } from '@krbsim/asn1';
import { formatPrincipal, krbtgtName, TGS_NAME } from '@krbsim/asn1';
import {
  type Clock,
  ErrorCode,
  KerberosError,
  type RandomSource,
  SeededRandom,
  systemClock,
} from '@krbsim/core';
import type { Key } from '@krbsim/crypto';
import { formatSid, parseSid } from '@krbsim/pac';
import { Directory, type DomainControllerKind, domainSidFrom } from './directory';
import { DomainRealmMap } from './domain-realm';
import { makeEntry } from './internal/entries';
import { directoryOf } from './internal/trust-directory';
import type { TicketDraft } from './issue';
import {
  composeKvno,
  currentKvno,
  defaultSalt,
  givenKeys,
  keysFromPassword,
  randomKeys,
  type StoredKey,
  splitKvno,
  upnSalt,
} from './keys';
import { LOGON_HOURS_BYTES } from './logon-hours';
import { type PkinitConfig, type PkinitOptions, resolvePkinit } from './pkinit/config';
import { type RealmKind, type RealmPolicy, resolvePolicy } from './policy';
import { PrincipalDb, type PrincipalEntry } from './principal-db';
import { parsePrincipal } from './principal-name';
import type { RealmTrust } from './trust-types';

/** What a {@link Realm.pacBuilder} is given to build the PAC of a new TGT or ticket. */
export interface PacBuildContext {
  readonly realm: Realm;
  /** The client's database entry. */
  readonly client: PrincipalEntry;
  /** The server the ticket is for (krbtgt/REALM for a TGT). */
  readonly server: PrincipalEntry;
  readonly authtime: number;
  /** The key the ticket will be encrypted with (for the PAC server signature). */
  readonly serverKey: Key;
  /** The realm's current krbtgt key of the same etype family (for the KDC signature). */
  readonly kdcKey: Key;
  /** The ticket's session key. */
  readonly sessionKey: EncryptionKey;
}

/**
 * What a {@link Realm.authorizationData} hook is given: the ticket about to
 * be issued, the authorization data it could carry, and the keys to sign
 * with. It runs in both exchanges, for local tickets, referrals and
 * cross-realm TGTs alike.
 */
export interface AuthorizationDataContext {
  readonly realm: Realm;
  /** The ticket about to be issued (AS or TGS). */
  readonly ticket: TicketDraft;
  /** The evidence ticket's authorization data (TGS: the TGT's); empty in AS. */
  readonly fromEvidence: AuthorizationData;
  /** The TGS-REQ's enc-authorization-data, decrypted; empty in AS. */
  readonly fromRequest: AuthorizationData;
  /** AS: whether the client asked for a PAC (PA-PAC-REQUEST, else the realm's default); TGS: false. */
  readonly pacRequested: boolean;
  /** The realm's current krbtgt key of the server key's etype where it has one (KDC signatures). */
  readonly kdcKey: Key;
  /**
   * What the ticket carries unless the hook decides otherwise: in AS, the
   * {@link Realm.pacBuilder} PAC when one is built; in TGS, `fromEvidence`
   * followed by `fromRequest` (RFC 4120 section 3.3.3).
   */
  readonly proposed: AuthorizationData;
}

/**
 * What a {@link Realm.issuancePolicy} hook sees before the KDC issues a
 * ticket (AS or TGS, service ticket or referral).
 */
export interface IssuanceContext {
  readonly realm: Realm;
  readonly exchange: 'AS' | 'TGS';
  /** The client, as the ticket will name it. */
  readonly cname: PrincipalName;
  readonly crealm: string;
  /** The client's entry, when the client belongs to this realm. */
  readonly client?: PrincipalEntry;
  /** The server the ticket is for: a service, or a krbtgt entry for TGTs and referrals. */
  readonly server: PrincipalEntry;
  /** Set when the ticket is a referral toward this realm. */
  readonly referralTo?: string;
}

/** Options for `new Realm()`. */
export interface RealmOptions {
  /** The realm name, conventionally upper case (`CONTOSO.COM`). */
  name: string;
  /** Defaults to the system clock. */
  clock?: Clock;
  /**
   * Defaults to a {@link SeededRandom} seeded with the realm name, so runs are
   * reproducible. Pass `systemRandom` for a realm served to real clients.
   */
  random?: RandomSource;
  /**
   * Which product the realm answers like: `mit` (default) or
   * `active-directory`. It chooses the defaults of `policy`.
   */
  kind?: RealmKind;
  policy?: Partial<RealmPolicy>;
  /**
   * MS-KILE read-only-DC branch: the high 16 bits of every krbtgt kvno this
   * realm issues (the Azure AD Kerberos server object is RODC-shaped).
   */
  rodcBranchId?: number;
  /** Use these keys for krbtgt/REALM@REALM (kvno version 1) instead of random ones. */
  krbtgtKeys?: Key[];
  /**
   * The AD forest the realm's domain belongs to, named by its root domain's
   * realm (`CONTOSO.COM` for `EMEA.CONTOSO.COM`). Default: the realm itself,
   * a forest of one domain. Trusts between domains of one forest are `realm`
   * trusts (AD's parent-child, tree-root and shortcut trusts): SID filtering
   * does not apply across them (MS-PAC 4.1.2.2, WithinForest), and a forest
   * trust admits the SIDs of every domain of the other forest.
   */
  forest?: string;
  /**
   * The domain's NetBIOS name (`CONTOSO`), which PACs give as LogonDomainName
   * (MS-PAC 2.5). Default: the realm's first label, upper-cased, at most 15
   * characters. Letters, digits and `-_.!@#$%^&'(){}~` only, 1 to 15 of them.
   */
  netbiosName?: string;
  /**
   * The domain SID of the realm's directory (`S-1-5-21-a-b-c`). Default: one
   * derived from the realm name, so a realm keeps its SID from run to run.
   */
  domainSid?: string;
  /**
   * Serve PKINIT (RFC 4556): the CA that client certificates chain to, the
   * KDC's certificate and key, the certificate mapping table and policy.
   * Without it, a PA-PK-AS-REQ is refused with KDC_ERR_PADATA_TYPE_NOSUPP.
   */
  pkinit?: PkinitOptions;
}

/** Options for {@link Realm.addUser}. */
export interface AddUserOptions {
  password?: string;
  /**
   * The keys. `[]`: none, as MIT's `addprinc -nokey` makes a principal that
   * logs on by PKINIT alone (a password cannot: no PA-ENC-TIMESTAMP is
   * offered, and without pre-authentication there is no reply key).
   */
  keys?: Key[];
  /**
   * Default: realm followed by the name's components (RFC 4120 section 4); in a realm that salts
   * by the UPN (`upnSalt`, AD), keys made from `password` for a user with a `upn` are salted by it.
   */
  salt?: string;
  /** The etypes to derive keys for. Default: the realm's permitted etypes. */
  encTypes?: number[];
  /** Default: the realm's `requirePreauthByDefault`. */
  requiresPreauth?: boolean;
  disabled?: boolean;
  accountExpires?: number;
  /**
   * When the password expires (ms): a logon after it is KDC_ERR_KEY_EXPIRED
   * until the password is changed. Default: the policy's `maxPasswordAgeMs`
   * from now, or never.
   */
  passwordExpires?: number;
  /**
   * AD's `logonHours`: 21 bytes, a bit for each hour of the week in UTC from
   * Sunday 00:00, least significant bit first. A logon outside them is
   * refused with KDC_ERR_CLIENT_REVOKED (MS-KILE 3.3.5.6.3). Default: any hour.
   */
  logonHours?: Uint8Array;
  /** The user principal name (`alice@contoso.com`) for NT-ENTERPRISE requests. */
  upn?: string;
  /** AD's `displayName`, the FullName of the user's PACs. Default: none (an empty FullName). */
  displayName?: string;
  /**
   * "User must change password at next logon" (AD's pwdLastSet 0): a logon
   * is refused with KDC_ERR_KEY_EXPIRED (STATUS_PASSWORD_MUST_CHANGE) but
   * for the password-change service, until {@link Realm.setPassword}.
   */
  mustChangePassword?: boolean;
  /** Key version number. Default 1. */
  kvno?: number;
  /**
   * The account's relative identifier, the last part of its SID (a mirror of
   * an existing directory sets it). Default: the directory's next free RID.
   */
  rid?: number;
  /**
   * SPNs this account serves (`setspn -S MSSQLSvc/sql.contoso.com:1433 svc_sql`):
   * a service account that logs on by its name like any user and is the
   * server of tickets for each SPN.
   */
  spns?: string[];
  /** What the account may do on others' behalf (a service account). */
  delegation?: DelegationOptions;
  /**
   * Trusted for delegation (AD's TRUSTED_FOR_DELEGATION, "trust this user for delegation to any
   * service"): tickets for its SPNs are ok-as-delegate, within what the trusts allow.
   */
  okAsDelegate?: boolean;
  /** "Account is sensitive and cannot be delegated": no forwardable tickets on its behalf. */
  sensitive?: boolean;
  /**
   * AuthorizationDataNotRequired (AD's NA flag, MS-KILE 3.3.1.1): the service
   * tickets for this account carry no PAC.
   */
  authDataNotRequired?: boolean;
}

/** What an account may do on others' behalf (MS-SFU; AD's delegation tab). */
export interface DelegationOptions {
  /**
   * TrustedToAuthenticationForDelegation ("use any authentication
   * protocol"): its S4U2Self tickets are forwardable.
   */
  trustedToAuthenticate?: boolean;
  /** msDS-AllowedToDelegateTo: the SPNs it may reach with S4U2Proxy (constrained delegation). */
  allowedTo?: string[];
  /**
   * msDS-AllowedToActOnBehalfOfOtherIdentity: the accounts (`websvc`,
   * `SQL01$`) that may reach this one with S4U2Proxy (resource-based); an
   * account of a trusted realm with its realm (`websvc@CONTOSO.COM`).
   */
  allowedFrom?: string[];
}

/** Options for {@link Realm.addComputer}. */
export interface AddComputerOptions {
  /** The machine account password. Default: random keys. */
  password?: string;
  keys?: Key[];
  /** The computer's DNS host name. Default `<name>.<realm in lower case>`. */
  dnsHostName?: string;
  /** SPNs besides `host/<dnsHostName>` and `host/<NAME>` (a SQL Server's `MSSQLSvc/...`). */
  spns?: string[];
  encTypes?: number[];
  kvno?: number;
  /**
   * The account's relative identifier, the last part of its SID (a mirror of
   * an existing directory sets it). Default: the directory's next free RID.
   */
  rid?: number;
  /** What the machine's services may do on others' behalf. */
  delegation?: DelegationOptions;
  /**
   * Trusted for delegation (AD's TRUSTED_FOR_DELEGATION, "trust this computer for delegation to any
   * service", as every domain controller is): tickets for its SPNs are ok-as-delegate, within what
   * the trusts allow. Default: true for a writable domain controller, else false.
   */
  okAsDelegate?: boolean;
  /**
   * A domain controller's account, as promoting the machine makes it: `'writable'`
   * (SERVER_TRUST_ACCOUNT, trusted for delegation, in Domain Controllers) or `'read-only'` (an
   * RODC: PARTIAL_SECRETS_ACCOUNT, trusted to authenticate for delegation, in Read-only Domain
   * Controllers). Its logons carry what MS-PAC 4.1.2.1 has the KDC add: the Enterprise Domain
   * Controllers SID (S-1-5-9), or for an RODC the forest root's Enterprise Read-only Domain
   * Controllers group (498).
   */
  domainController?: DomainControllerKind;
  /**
   * AuthorizationDataNotRequired (AD's NA flag, MS-KILE 3.3.1.1): the service
   * tickets for this account carry no PAC.
   */
  authDataNotRequired?: boolean;
}

/** Options for {@link Realm.addService}. */
export interface AddServiceOptions {
  password?: string;
  keys?: Key[];
  salt?: string;
  /** Other SPNs for the same account (`MSSQLSvc/host`, `MSSQLSvc/host:1433`). */
  aliases?: string[];
  encTypes?: number[];
  okAsDelegate?: boolean;
  kvno?: number;
  /** What the service may do on others' behalf. */
  delegation?: DelegationOptions;
  /**
   * AuthorizationDataNotRequired (AD's NA flag, MS-KILE 3.3.1.1): the service
   * tickets for this account carry no PAC.
   */
  authDataNotRequired?: boolean;
  /** The longest life of a ticket for this service (MIT's per-principal `max_life`). Default: the realm's. */
  maxTicketLifeMs?: number;
  /** Its tickets come from the AS exchange only (MIT's DISALLOW_TGT_BASED): a TGS-REQ for it is KDC_ERR_POLICY. */
  disallowTgtBased?: boolean;
}

/** kadmin/changepw's ticket life: MIT's `kdb5_util create` gives it 5 minutes; a domain controller 2 (Samba's, checked). */
const CHANGEPW_TICKET_LIFE_MS = { mit: 5 * 60_000, 'active-directory': 2 * 60_000 } as const;

/** A Kerberos realm and its principal database. */
export class Realm {
  readonly name: string;
  /** The product this realm answers like; its policy's defaults come from it. */
  readonly kind: RealmKind;
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly policy: RealmPolicy;
  /** The MS-KILE read-only-DC branch of this realm's krbtgt kvnos (0: none). */
  readonly rodcBranchId: number;
  /** The forest of the realm's domain, by its root domain's realm name (`RealmOptions.forest`). */
  readonly forest: string;
  /** The domain's NetBIOS name (`RealmOptions.netbiosName`). */
  readonly netbiosName: string;
  /** PKINIT, when the realm serves it (`RealmOptions.pkinit`), parsed. */
  readonly pkinit: PkinitConfig | undefined;
  /** The principal database. Exposed for labs and tests that need to reach below the API. */
  readonly db: PrincipalDb;
  /** The `[domain_realm]` table (see {@link Realm.mapDomain}). */
  readonly domainRealm = new DomainRealmMap();
  /**
   * The accounts' SIDs and the groups, from which PACs are built: every user
   * and computer the realm adds gets a RID here.
   */
  readonly directory: Directory;
  /**
   * Builds the PAC (MS-PAC) for new tickets. When set, and the client asked for
   * a PAC (PA-PAC-REQUEST, or by default), its output goes into the ticket as
   * AD-IF-RELEVANT[AD-WIN2K-PAC]. When unset, tickets carry no PAC.
   */
  pacBuilder?: (ctx: PacBuildContext) => Uint8Array;
  /**
   * Chooses the authorization data of every ticket this realm issues (AS and
   * TGS, local and cross-realm): it is given what would go in by default
   * ({@link AuthorizationDataContext.proposed}) and returns what does. This
   * is where PACs are built, re-signed and filtered. Unset: the proposal.
   */
  authorizationData?: (ctx: AuthorizationDataContext) => AuthorizationData;
  /**
   * Called before every ticket is issued. It may throw a `KdcError` (or any
   * KerberosError) to refuse the request with that code, as a tenant's
   * conditional access or a missing admin consent does in Azure AD. It runs
   * after the client has authenticated, so it reveals nothing to strangers.
   */
  issuancePolicy?: (ctx: IssuanceContext) => void;

  constructor(opts: RealmOptions) {
    if (!opts.name || /[@/\\]/.test(opts.name)) {
      throw new KerberosError(ErrorCode.KRB_ERR_GENERIC, `invalid realm name '${opts.name}'`);
    }
    this.name = opts.name;
    this.clock = opts.clock ?? systemClock;
    this.random = opts.random ?? new SeededRandom(`realm:${opts.name}`);
    this.kind = opts.kind ?? 'mit';
    this.policy = resolvePolicy(opts.policy, this.kind);
    this.rodcBranchId = opts.rodcBranchId ?? 0;
    if (opts.forest !== undefined && (!opts.forest || /[@/\\]/.test(opts.forest))) {
      throw new KerberosError(ErrorCode.KRB_ERR_GENERIC, `invalid forest name '${opts.forest}'`);
    }
    this.forest = opts.forest ?? opts.name;
    const netbios = (opts.netbiosName ?? this.name.split('.')[0]!.slice(0, 15)).toUpperCase();
    if (opts.netbiosName !== undefined && !/^[A-Z0-9\-_.!@#$%^&'(){}~]{1,15}$/.test(netbios)) {
      throw new KerberosError(
        ErrorCode.KRB_ERR_GENERIC,
        `invalid NetBIOS name '${opts.netbiosName}' (1 to 15 letters, digits or -_.!@#$%^&'(){}~)`,
      );
    }
    this.netbiosName = netbios;
    this.pkinit = opts.pkinit && resolvePkinit(opts.pkinit, this.kind === 'active-directory');
    this.db = new PrincipalDb(this.policy.caseInsensitiveNames);
    this.directory = new Directory(opts.domainSid ?? nameDerivedSid(this.name), {
      forestRoot: this.forest === this.name,
      // Accounts are principals: named as the realm names them (MIT's are case-sensitive).
      caseSensitiveAccounts: !this.policy.caseInsensitiveNames,
    });
    const kvno = composeKvno(this.rodcBranchId, 1);
    const salt = defaultSalt(this.name, [TGS_NAME, this.name]);
    const keys = opts.krbtgtKeys
      ? givenKeys(opts.krbtgtKeys, kvno, salt)
      : randomKeys(this.policy.permittedEncTypes, this.random, kvno, salt);
    this.db.add(makeEntry(krbtgtName(this.name), this.name, 'krbtgt', keys));
  }

  /** The realm's own TGS entry, `krbtgt/REALM@REALM`. */
  get krbtgt(): PrincipalEntry {
    return this.db.get(krbtgtName(this.name), this.name)!;
  }

  /** The trusts this realm takes part in (either side), oldest first. */
  get trusts(): readonly RealmTrust<Realm>[] {
    return directoryOf<RealmTrust<Realm>>(this).trusts;
  }

  /**
   * Whether `name` names this realm: in an AD realm whatever its case (a
   * domain's realm is its DNS name, and MS-KILE 3.1.5.7 compares domain names
   * without regard to case), in an MIT realm exactly (RFC 4120 section 6.1).
   */
  isNamed(name: string): boolean {
    return this.kind === 'active-directory'
      ? name.toUpperCase() === this.name.toUpperCase()
      : name === this.name;
  }

  /**
   * Add a user. `name` is `alice` or `alice@REALM`. Keys come from `password`
   * and the salt (default realm + components), from `keys`, or are random.
   */
  addUser(name: string, opts: AddUserOptions = {}): PrincipalEntry {
    const q = this.#parseLocal(name);
    if (opts.rid !== undefined) this.directory.checkRid(opts.rid, name);
    const kvno = opts.kvno ?? 1;
    // AD salts a user's password keys by its UPN (`upnSalt`); given keys keep the salt given.
    const upnSalted =
      this.policy.upnSalt && opts.upn !== undefined && opts.password !== undefined && opts.salt === undefined;
    const keys = this.#makeKeys(
      q.name,
      upnSalted ? { ...opts, salt: upnSalt(this.name, opts.upn!) } : opts,
      kvno,
    );
    const entry = this.db.add(
      makeEntry(q.name, this.name, 'user', keys, {
        aliases: this.#spns(opts.spns),
        ...this.#delegation(opts.delegation),
        okAsDelegate: opts.okAsDelegate ?? false,
        notDelegated: opts.sensitive ?? false,
        authDataNotRequired: opts.authDataNotRequired ?? false,
        requiresPreauth: opts.requiresPreauth ?? this.policy.requirePreauthByDefault,
        disabled: opts.disabled ?? false,
        ...(opts.accountExpires !== undefined && { accountExpires: opts.accountExpires }),
        ...this.#passwordExpiry(opts.passwordExpires, opts.mustChangePassword === true),
        ...(opts.logonHours !== undefined && { logonHours: checkedLogonHours(opts.logonHours) }),
        ...(opts.upn !== undefined && { upn: opts.upn }),
        passwordLastSet: opts.mustChangePassword === true ? 0 : this.clock.now(),
        encTypes: opts.encTypes,
      }),
    );
    // An account of the directory when its name is one (`alice`, not `alice/admin`).
    if (q.name.nameString.length === 1) {
      this.directory.addAccount(q.name.nameString[0]!, 'user', {
        ...(opts.rid !== undefined && { rid: opts.rid }),
        ...(opts.displayName !== undefined && { displayName: opts.displayName }),
      });
    }
    return entry;
  }

  /**
   * Add a computer account, as joining a machine to an AD domain does: the
   * account `NAME$`, which logs on like a user, holding the SPNs
   * `host/<dnsHostName>` and `host/<NAME>` and any in `spns`. Its keys are
   * salted as AD salts machine accounts: the realm, `host`, the name in lower
   * case, `.`, the domain in lower case (MS-KILE 3.1.1.2).
   */
  addComputer(name: string, opts: AddComputerOptions = {}): PrincipalEntry {
    const netbios = name.replace(/\$$/, '').toUpperCase();
    if (!/^[A-Z0-9][A-Z0-9-]{0,14}$/.test(netbios)) {
      throw new RangeError(`computer name '${name}' is not a NetBIOS name (1 to 15 letters, digits or '-')`);
    }
    if (opts.domainController !== undefined && !['writable', 'read-only'].includes(opts.domainController)) {
      throw new RangeError(
        `domainController must be 'writable' or 'read-only', got ${JSON.stringify(opts.domainController)}`,
      );
    }
    const dnsHostName = (opts.dnsHostName ?? `${netbios}.${this.name}`).toLowerCase();
    const account = this.#parseLocal(`${netbios}$`).name;
    if (opts.rid !== undefined) this.directory.checkRid(opts.rid, `${netbios}$`);
    // MS-KILE 3.1.1.2: the salt comes from the account name and the domain, not the host name.
    const salt = computerSalt(this.name, netbios);
    const keys = this.#makeKeys(account, { ...opts, salt }, opts.kvno ?? 1);
    const entry = this.db.add(
      makeEntry(account, this.name, 'user', keys, {
        aliases: this.#spns([`host/${dnsHostName}`, `host/${netbios}`, ...(opts.spns ?? [])]),
        ...this.#delegation({
          // An RODC's account is trusted to authenticate for delegation (userAccountControl 0x5001000).
          ...(opts.domainController === 'read-only' && { trustedToAuthenticate: true }),
          ...opts.delegation,
        }),
        okAsDelegate: opts.okAsDelegate ?? opts.domainController === 'writable',
        requiresPreauth: this.policy.requirePreauthByDefault,
        disabled: false,
        authDataNotRequired: opts.authDataNotRequired ?? false,
        passwordLastSet: this.clock.now(),
        encTypes: opts.encTypes,
      }),
    );
    this.directory.addAccount(`${netbios}$`, 'computer', {
      ...(opts.rid !== undefined && { rid: opts.rid }),
      ...(opts.domainController !== undefined && { domainController: opts.domainController }),
    });
    return entry;
  }

  /**
   * Add a service by SPN (`MSSQLSvc/mi1.abc123.database.windows.net:1433`,
   * `host/server.contoso.com`). Without a password or keys the service gets
   * random keys: read them back with {@link Realm.keysFor} to build a keytab.
   */
  addService(spn: string, opts: AddServiceOptions = {}): PrincipalEntry {
    const q = this.#parseLocal(spn);
    if (q.name.nameString[0] === TGS_NAME) {
      throw new KerberosError(ErrorCode.KRB_ERR_GENERIC, `${spn}: krbtgt principals are managed by trusts`);
    }
    const aliases = (opts.aliases ?? []).map((a) => this.#parseLocal(a).name);
    const keys = this.#makeKeys(q.name, opts, opts.kvno ?? 1);
    return this.db.add(
      makeEntry(q.name, this.name, 'service', keys, {
        aliases,
        ...this.#delegation(opts.delegation),
        okAsDelegate: opts.okAsDelegate ?? false,
        authDataNotRequired: opts.authDataNotRequired ?? false,
        requiresPreauth: false,
        encTypes: opts.encTypes,
        ...(opts.maxTicketLifeMs !== undefined && { maxTicketLifeMs: opts.maxTicketLifeMs }),
        ...(opts.disallowTgtBased === true && { disallowTgtBased: true }),
      }),
    );
  }

  /**
   * Adds `kadmin/changepw`, the principal of the password-change service
   * (RFC 3244, `KpasswdService`), as the realm's kind makes it: MIT's
   * `kdb5_util create` gives it 5-minute tickets, from the AS exchange only
   * (DISALLOW_TGT_BASED); a domain controller 2-minute tickets, from either
   * exchange (Samba's, checked). `keys`: default random, from the realm's
   * random source (a DC seals them with its krbtgt keys: pass those).
   */
  addPasswordChangeService(opts: { keys?: Key[] } = {}): PrincipalEntry {
    return this.addService('kadmin/changepw', {
      ...(opts.keys !== undefined && { keys: opts.keys }),
      maxTicketLifeMs: CHANGEPW_TICKET_LIFE_MS[this.kind],
      ...(this.kind === 'mit' && { disallowTgtBased: true }),
    });
  }

  /**
   * Register one more SPN for an account or service (`setspn -S`):
   * `realm.addSpn('MSSQLSvc/mi1.contoso.com:1433', 'MSSQLSvc/127.0.0.1:14330')`.
   */
  addSpn(name: string, spn: string): void {
    const entry = this.lookup(name);
    if (entry === undefined || entry.kind === 'krbtgt') {
      throw new KerberosError(
        ErrorCode.KDC_ERR_S_PRINCIPAL_UNKNOWN,
        `no account or service ${name} in ${this.name}`,
      );
    }
    this.db.addAlias(entry, this.#spns([spn])[0]!);
  }

  /**
   * Grant `sid` (a user or group, usually of a trusted domain) the Allowed
   * to Authenticate right on the account or service `name` (`SQL01$`,
   * `MSSQLSvc/sql01.contoso.com:1433`): the permission an administrator sets
   * on a computer object's Security tab so that users from across a
   * selective-authentication trust may use its services (see
   * `TrustOptions.selectiveAuthentication`). Everyone (`S-1-1-0`) and
   * Authenticated Users (`S-1-5-11`) open the account to all of them.
   *
   * @throws RangeError when `sid` is not a SID's text.
   */
  allowToAuthenticate(name: string, sid: string): void {
    const entry = this.lookup(name);
    if (entry === undefined || entry.kind === 'krbtgt') {
      throw new KerberosError(
        ErrorCode.KDC_ERR_S_PRINCIPAL_UNKNOWN,
        `no account or service ${name} in ${this.name}`,
      );
    }
    let text: string;
    try {
      text = formatSid(parseSid(sid));
    } catch (e) {
      throw new RangeError(`'${sid}' is not a SID (S-1-5-21-a-b-c-rid, S-1-5-11, ...)`, { cause: e });
    }
    const granted = entry.allowedToAuthenticate ?? [];
    if (!granted.includes(text)) entry.allowedToAuthenticate = [...granted, text];
  }

  /**
   * Unregister an SPN {@link addSpn} gave an account or service (`setspn -D`).
   * Returns whether `spn` was one of its SPNs; the principal's own name is
   * not removed this way.
   */
  removeSpn(name: string, spn: string): boolean {
    const entry = this.lookup(name);
    if (entry === undefined || entry.kind === 'krbtgt') return false;
    return this.db.removeAlias(entry, this.#spns([spn])[0]!);
  }

  /**
   * Find a principal by name or alias: a {@link PrincipalName} (of this realm)
   * or a string, `name` or `name@REALM`. Inter-realm keys are found as
   * `krbtgt/OTHER@THIS` (outgoing) and `krbtgt/THIS@OTHER` (incoming).
   */
  lookup(name: PrincipalName | string, realm?: string): PrincipalEntry | undefined {
    if (typeof name === 'string') {
      const q = parsePrincipal(name, this.name);
      return this.db.get(q.name, q.realm);
    }
    return this.db.get(name, realm ?? this.name);
  }

  /**
   * The keys of a principal at key version `kvno` (default: current), e.g. to
   * write a service keytab. Empty when the principal or version is unknown.
   */
  keysFor(name: PrincipalName | string, kvno?: number): Key[] {
    const entry = this.lookup(name);
    if (!entry) return [];
    const v = kvno ?? currentKvno(entry.keys);
    return entry.keys.filter((k) => k.kvno === v).map((k) => k.key);
  }

  /**
   * Give krbtgt/REALM@REALM fresh random keys under the next key version (the
   * branch id is kept). The previous versions stay, up to the policy's
   * `krbtgtKeyHistory`, so TGTs already issued still verify. Returns the new kvno.
   */
  rotateKrbtgt(): number {
    const entry = this.krbtgt;
    const { branchId, version } = splitKvno(currentKvno(entry.keys));
    const kvno = composeKvno(branchId, (version + 1) & 0xffff || 1);
    const etypes = [...new Set(entry.keys.map((k) => k.key.etype))];
    const salt = entry.keys[0]?.salt ?? defaultSalt(this.name, [TGS_NAME, this.name]);
    entry.keys = withNewVersion(
      entry.keys,
      randomKeys(etypes, this.random, kvno, salt),
      this.policy.krbtgtKeyHistory,
    );
    return kvno;
  }

  /**
   * Change a user's or service's password: new keys under the next kvno; old
   * versions are dropped, and remembered in the password history as far as
   * the policy's `passwordHistoryLength` reaches. The password counts as set
   * now (pwdLastSet), which ends a `mustChangePassword`, and an expired
   * password: it expires the policy's `maxPasswordAgeMs` from now, or never. An administrator's
   * reset: no password rule is applied (the password-change service applies
   * them, `password-policy.ts`). The keys are of the etypes the principal has keys of; for one
   * that has none (`keys: []`), of the etypes the realm's policy permits, as MIT's `cpw` derives
   * the realm's supported_enctypes. The salt: `opts.salt`, else in a realm that salts by the UPN
   * (`upnSalt`, AD) a user's UPN salt, else the salt of its keys, else its name's.
   */
  setPassword(name: string, password: string, opts: { salt?: string } = {}): number {
    const entry = this.lookup(name);
    if (!entry || entry.kind === 'krbtgt') {
      throw new KerberosError(
        ErrorCode.KDC_ERR_C_PRINCIPAL_UNKNOWN,
        `no user or service ${name} in ${this.name}`,
      );
    }
    const kvno = currentKvno(entry.keys) + 1;
    const salt = opts.salt ?? this.#passwordSalt(entry);
    const held = [...new Set(entry.keys.map((k) => k.key.etype))];
    const etypes =
      held.length > 0
        ? held
        : entry.encTypes.length > 0
          ? [...entry.encTypes]
          : this.policy.permittedEncTypes;
    const remember = this.policy.passwordHistoryLength - 1;
    if (remember > 0)
      entry.passwordHistory = [entry.keys, ...(entry.passwordHistory ?? [])].slice(0, remember);
    entry.keys = keysFromPassword(password, salt, etypes, kvno);
    // A principal that had no keys supports the etypes it has now.
    if (entry.encTypes.length === 0) entry.encTypes = etypes;
    entry.passwordLastSet = this.clock.now();
    // A new password lasts the policy's maximum age from now (an old expiry ends with the old password).
    const { passwordExpires } = this.#passwordExpiry(undefined, false);
    if (passwordExpires === undefined) delete entry.passwordExpires;
    else entry.passwordExpires = passwordExpires;
    return kvno;
  }

  /**
   * The salt of `entry`'s next password: in a realm that salts by the UPN (AD), a user's UPN salt, or
   * for a keyless computer AD's machine salt; else the salt of its keys, else its name's.
   */
  #passwordSalt(entry: PrincipalEntry): string {
    if (this.policy.upnSalt && entry.kind === 'user') {
      if (entry.upn !== undefined) return upnSalt(this.name, entry.upn);
      const name = entry.name.nameString;
      if (
        entry.keys.length === 0 &&
        name.length === 1 &&
        this.directory.account(name[0]!)?.kind === 'computer'
      )
        return computerSalt(this.name, name[0]!.replace(/\$$/, ''));
    }
    return entry.keys[0]?.salt ?? defaultSalt(this.name, entry.name.nameString);
  }

  /** A new password's expiry: the one given, else the policy's maximum age from now (none for a password to change). */
  #passwordExpiry(given: number | undefined, mustChange: boolean): { passwordExpires?: number } {
    if (given !== undefined) return { passwordExpires: given };
    const max = this.policy.maxPasswordAgeMs;
    return max > 0 && !mustChange ? { passwordExpires: this.clock.now() + max } : {};
  }

  /**
   * Unlock an account the realm's lockout policy locked (`Unlock-ADAccount`):
   * its logons are served again and its count of wrong passwords starts over.
   */
  unlockAccount(name: string): void {
    const entry = this.lookup(name);
    if (!entry || entry.kind === 'krbtgt') {
      throw new KerberosError(ErrorCode.KDC_ERR_C_PRINCIPAL_UNKNOWN, `no user ${name} in ${this.name}`);
    }
    entry.lockoutTime = undefined;
    entry.badPasswordCount = 0;
  }

  /**
   * Replace a user's or service's keys (an account whose secret is managed
   * elsewhere, such as AD's `krbtgt_AzureAD`). `kvno` is the full key version
   * (branch included); default one more than the current. Old versions are
   * dropped unless `keepPrevious`, which keeps those below `kvno` (a version
   * above it would stay current, so it goes). Returns the kvno.
   */
  setKeys(
    name: string,
    keys: Key[],
    opts: { kvno?: number; salt?: string; keepPrevious?: boolean } = {},
  ): number {
    const entry = this.lookup(name);
    if (!entry || entry.kind === 'krbtgt') {
      throw new KerberosError(
        ErrorCode.KDC_ERR_C_PRINCIPAL_UNKNOWN,
        `no user or service ${name} in ${this.name}`,
      );
    }
    if (keys.length === 0) throw new KerberosError(ErrorCode.KRB_ERR_GENERIC, `${name}: no keys given`);
    const kvno = opts.kvno ?? currentKvno(entry.keys) + 1;
    const salt = opts.salt ?? entry.keys[0]?.salt ?? defaultSalt(this.name, entry.name.nameString);
    entry.keys = withNewVersion(entry.keys, givenKeys(keys, kvno, salt), opts.keepPrevious ? Infinity : 1);
    entry.passwordLastSet = this.clock.now();
    return kvno;
  }

  /**
   * Map a DNS domain to a realm for host-based referrals, as MIT's
   * `[domain_realm]` does: `.contoso.com` maps every host below contoso.com,
   * `host.contoso.com` maps that host only.
   */
  mapDomain(domain: string, realm: string): this {
    this.domainRealm.set(domain, realm);
    return this;
  }

  #delegation(
    d: DelegationOptions | undefined,
  ): Pick<PrincipalEntry, 'trustedToAuthForDelegation' | 'allowedToDelegateTo' | 'allowedToActOnBehalfOf'> {
    return {
      trustedToAuthForDelegation: d?.trustedToAuthenticate ?? false,
      allowedToDelegateTo: this.#spns(d?.allowedTo),
      allowedToActOnBehalfOf: (d?.allowedFrom ?? []).map((a) => parsePrincipal(a, this.name)),
    };
  }

  #spns(spns: readonly string[] | undefined): PrincipalName[] {
    return (spns ?? []).map((spn) => {
      const name = this.#parseLocal(spn).name;
      if (name.nameString.length < 2 || name.nameString[0] === TGS_NAME) {
        throw new RangeError(`'${spn}' is not an SPN (service/host[:port])`);
      }
      return name;
    });
  }

  #parseLocal(text: string): { name: PrincipalName } {
    const q = parsePrincipal(text, this.name);
    if (q.realm !== this.name) {
      throw new KerberosError(ErrorCode.KRB_ERR_GENERIC, `${text} is not in realm ${this.name}`);
    }
    return q;
  }

  #makeKeys(name: PrincipalName, opts: AddUserOptions | AddServiceOptions, kvno: number): StoredKey[] {
    const salt = opts.salt ?? defaultSalt(this.name, name.nameString);
    if (opts.keys && opts.password !== undefined) {
      throw new KerberosError(
        ErrorCode.KRB_ERR_GENERIC,
        `${formatPrincipal(name, this.name)}: give a password or keys, not both`,
      );
    }
    if (opts.keys) return givenKeys(opts.keys, kvno, salt);
    const etypes = opts.encTypes ?? this.policy.permittedEncTypes;
    if (opts.password !== undefined) return keysFromPassword(opts.password, salt, etypes, kvno);
    return randomKeys(etypes, this.random, kvno, salt);
  }
}

/**
 * `added` (keys of one new version) as a principal's current keys, with up to
 * `history - 1` of the `previous` versions older than it, newest first. A
 * KDC takes the highest kvno as current, so a previous version above the new
 * one (a kvno chosen lower, or a version that wrapped past 65535) is dropped:
 * the keys just set are the ones used.
 */
export function withNewVersion(
  previous: readonly StoredKey[],
  added: readonly StoredKey[],
  history: number,
): StoredKey[] {
  const kvno = added[0]!.kvno;
  const older = [...new Set(previous.map((k) => k.kvno))]
    .filter((v) => v < kvno)
    .sort((a, b) => b - a)
    .slice(0, Math.max(0, history - 1));
  return [...previous.filter((k) => older.includes(k.kvno)), ...added];
}

/** AD's salt of a computer account's keys (MS-KILE 3.1.1.2): `REALMhost<name>.<domain>`, both lower case. */
function computerSalt(realm: string, netbiosName: string): string {
  return `${realm}host${netbiosName.toLowerCase()}.${realm.toLowerCase()}`;
}

/** A domain SID that depends on the realm name only (SHA-256 of it, three 32-bit numbers). */
function nameDerivedSid(realm: string): string {
  return domainSidFrom(createHash('sha256').update(`krbsim domain SID\0${realm}`).digest());
}

/** A copy of a `logonHours` value, refused (RangeError) unless it has AD's 21 bytes. */
function checkedLogonHours(hours: Uint8Array): Uint8Array {
  if (hours.length !== LOGON_HOURS_BYTES) {
    throw new RangeError(
      `logonHours must be ${LOGON_HOURS_BYTES} bytes (a bit for each hour of the week), not ${hours.length}`,
    );
  }
  return hours.slice();
}
