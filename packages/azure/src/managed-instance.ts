/**
 * An Azure SQL Managed Instance with Windows authentication for Azure AD
 * principals.
 *
 * Facts modelled:
 * - Its SPN is `MSSQLSvc/<name>.<dnszone>.<sql suffix>:1433`.
 * - Windows authentication needs Azure AD authentication configured, a
 *   system-assigned service principal (`<name> principal`) and admin consent;
 *   without them no ticket is issued for the instance (the client sees the
 *   SPN as unknown, Windows status 0x6fb).
 * - Logins follow the authentication metadata mode: "AzureAD" (default,
 *   `CREATE LOGIN ... FROM EXTERNAL PROVIDER`), "Windows" (`FROM WINDOWS`)
 *   or "Paired".
 * - The connection type must be Proxy; Redirect fails with login error 18452.
 * - Preview: one Windows-authentication instance per subnet.
 *
 * - Windows logins are mapped from the ticket's PAC, as SQL Server maps a
 *   Windows token: `CREATE LOGIN [CONTOSO\SqlAdmins] FROM WINDOWS` stores the
 *   group's SID, and a user whose PAC carries that SID (a member directly or
 *   through nested groups) is admitted; a user login matches the PAC's user
 *   SID. The session's login is the user's Windows name (`SUSER_SNAME()`),
 *   and `isMember` answers as `IS_MEMBER` does.
 *
 * Inferred: the instance keeps no keytab of its own; the tenant's realm holds
 * the key for its SPN (etype 18, random) and the instance reads it through
 * its service principal. Paired mode tries a Windows login first, then an
 * Azure AD one. A ticket without a PAC (a tenant configured not to issue
 * them) is mapped through the synced directory: the user's SID, no groups.
 *
 * @module
 */

import { type Clock, DNS_LABEL_RULE, ErrorCode, isDnsLabel, isKerberosError } from '@krbsim/core';
import { EncType, generateKey } from '@krbsim/crypto';
import { formatSid, SeGroupAttributes, validationInfoSids } from '@krbsim/pac';
import { type AcceptResult, KerberosService, type PacSids } from '@krbsim/service';
import type { PemCertificate, Trace } from '@krbsim/transport';
import type { CloudUser, OnPremUser } from './directory';
import { skewErrorWithNote } from './lab-clock';
import { LabError, SqlErrorNumber } from './lab-error';
import { type ListenTdsOptions, listenTds, type TdsListener } from './tds-endpoint';
import type { AzureAdTenant } from './tenant';

/** How the instance maps an authenticated principal to a login. */
export type AuthenticationMetadataMode = 'AzureAD' | 'Windows' | 'Paired';

/** Options for a new managed instance. */
export interface ManagedInstanceOptions {
  /** The instance name, e.g. `mi1`. */
  readonly name: string;
  /** The DNS zone id Azure gives the instance's subnet, e.g. `abc123`. */
  readonly dnsZone: string;
  /** The subnet, e.g. `10.0.0.0/24`. */
  readonly subnet: string;
}

/** A login created on the instance. */
export interface SqlLogin {
  /** `CONTOSO\alice`, `CONTOSO\SqlAdmins` (Windows) or `alice@contoso.com` (Azure AD). */
  readonly name: string;
  readonly source: 'WINDOWS' | 'EXTERNAL PROVIDER';
  /** A Windows login's SID, looked up when it was created (`sys.server_principals.sid`). */
  readonly sid?: string;
}

/**
 * The SIDs of `sids` that grant access in the session's Windows token: the user and the groups the
 * PAC marks SE_GROUP_ENABLED and not SE_GROUP_USE_FOR_DENY_ONLY (MS-PAC 2.2.1). A token's disabled
 * and deny-only SIDs never grant (Windows' CheckTokenMembership), so such a group admits no one
 * through a group login and is no IS_MEMBER; SQL Server lists a deny-only group as "DENY ONLY" in
 * sys.login_token. Without a PAC, `sids` as they are.
 */
function grantingSids(result: AcceptResult, sids: PacSids | undefined): PacSids | undefined {
  const info = result.pac?.logonInfo;
  if (sids === undefined || info === undefined) return sids;
  const grants = (a: number) =>
    (a & SeGroupAttributes.ENABLED) !== 0 && (a & SeGroupAttributes.USE_FOR_DENY_ONLY) === 0;
  // A SID the PAC lists twice (a group and an ExtraSid) grants if either entry does.
  const granting = new Set(
    validationInfoSids(info)
      .filter((s) => grants(s.attributes))
      .map((s) => formatSid(s.sid)),
  );
  return { user: sids.user, groups: sids.groups.filter((g) => granting.has(g)) };
}

/**
 * The SIDs of `sids` a DENY matches in the session's Windows token: the user and the groups the PAC
 * marks SE_GROUP_ENABLED, deny-only ones included (MS-PAC 2.2.1). Windows' access check matches a
 * deny-only SID against deny entries only, and ignores a disabled one; SQL Server's login token
 * lists the first as "DENY ONLY". Without a PAC, `sids` as they are.
 */
function denyMatchingSids(result: AcceptResult, sids: PacSids | undefined): PacSids | undefined {
  const info = result.pac?.logonInfo;
  if (sids === undefined || info === undefined) return sids;
  const matching = new Set(
    validationInfoSids(info)
      .filter((s) => (s.attributes & SeGroupAttributes.ENABLED) !== 0)
      .map((s) => formatSid(s.sid)),
  );
  return { user: sids.user, groups: sids.groups.filter((g) => matching.has(g)) };
}

/** A login's key in the instance's table: its source and its name, compared case-insensitively. */
const loginKey = (source: SqlLogin['source'], name: string) => `${source}:${name.toLowerCase()}`;

/** A successful connection. */
export interface SqlSession {
  /**
   * The session's login name (`SUSER_SNAME()`): the user's own, e.g.
   * `CONTOSO\alice`, also when a group login admitted it.
   */
  readonly login: string;
  readonly loginSource: SqlLogin['source'];
  /** The login that admitted the user: its own, or a Windows group login of a group its token holds enabled. */
  readonly grantedBy: SqlLogin;
  /** The user's SID and group SIDs, from the ticket's PAC (the session's Windows token). */
  readonly sids: PacSids | undefined;
  /**
   * `IS_MEMBER('CONTOSO\SqlAdmins')`: whether the session's token holds
   * the SID of that Windows group or user, enabled (a group the PAC marks
   * deny-only or not enabled is none); undefined (SQL's NULL) for a name
   * that does not resolve.
   */
  isMember(name: string): boolean | undefined;
  /** The Kerberos client principal, e.g. `alice@CONTOSO.COM`. */
  readonly clientPrincipal: string;
  /** The AP-REP token to return to the client (mutual authentication). */
  readonly responseToken: Uint8Array | undefined;
  /** Realms the ticket crossed (from its transited field). */
  readonly transited: readonly string[];
  /** The full acceptance result from `@krbsim/service`. */
  readonly kerberos: AcceptResult;
}

/** What the lab gives an instance so it can resolve identities and register itself. */
export interface InstanceHost {
  readonly tenant: AzureAdTenant;
  readonly sqlSuffix: string;
  readonly trace: Trace;
  /** Finds the person behind a Kerberos client principal. */
  resolve(realm: string, name: string): { onPrem?: OnPremUser; cloud?: CloudUser } | undefined;
  /** `CONTOSO\SqlAdmins` → its SID (`LookupAccountName`), if the name resolves. */
  windowsSid(name: string): string | undefined;
  /** A user's SID → `CONTOSO\alice` (`LookupAccountSid`), if it resolves. */
  windowsName(sid: string): string | undefined;
  /** Called when the instance has met every prerequisite: registers it or throws (one per subnet). */
  enableWindowsAuthentication(mi: ManagedInstance): void;
  /** The lab's CA, which issues the instance's TLS certificate for {@link ManagedInstance.listen}. */
  certificateAuthority(): Promise<PemCertificate>;
  /** Appended to a KRB_AP_ERR_SKEW's message (the lab's default-clock note; see `lab-clock.ts`). */
  readonly skewNote?: () => string;
  /** The instance's own clock (`lab.clockOf(name)`); default the tenant realm's. */
  readonly clock?: Clock;
}

/** What a value that should have been a token is, for a TypeError: `undefined`, `a string`, `a Promise`. */
function describeValue(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (typeof v === 'object' && typeof (v as { then?: unknown }).then === 'function') {
    return 'a Promise (missing await?)';
  }
  if (typeof v === 'object') return `an object (${(v as object).constructor?.name ?? 'Object'})`;
  return `a ${typeof v}`;
}

/** `CONTOSO\alice` from the PAC's logon information (LogonDomainName, EffectiveName). */
function pacWindowsName(result: AcceptResult): string | undefined {
  const info = result.pac?.logonInfo;
  return info === undefined ? undefined : `${info.logonDomainName}\\${info.effectiveName}`;
}

/** An Azure SQL Managed Instance. */
export class ManagedInstance {
  readonly name: string;
  readonly dnsZone: string;
  readonly subnet: string;
  /** `mi1.abc123.database.windows.net`. */
  readonly fqdn: string;
  /** `MSSQLSvc/mi1.abc123.database.windows.net:1433`. */
  readonly spn: string;
  /** The system-assigned service principal's display name. */
  readonly servicePrincipalName: string;
  #authenticationMetadata: AuthenticationMetadataMode = 'AzureAD';
  #pairedLoginOrder: 'windows-first' | 'azure-first' = 'windows-first';
  #connectionType: 'Proxy' | 'Redirect' = 'Proxy';

  /**
   * Which logins a token maps to: `AzureAD` (default), `Windows` or `Paired`. Another value is a
   * RangeError (a misspelt mode would otherwise read as another one).
   */
  get authenticationMetadata(): AuthenticationMetadataMode {
    return this.#authenticationMetadata;
  }
  set authenticationMetadata(mode: AuthenticationMetadataMode) {
    this.#authenticationMetadata = oneOf(mode, ['AzureAD', 'Windows', 'Paired'], 'authenticationMetadata');
  }

  /**
   * In `Paired` mode, which login is looked for first when a user has both: `windows-first`
   * (default) or `azure-first`. Inferred: the documentation names both kinds, not their order.
   */
  get pairedLoginOrder(): 'windows-first' | 'azure-first' {
    return this.#pairedLoginOrder;
  }
  set pairedLoginOrder(order: 'windows-first' | 'azure-first') {
    this.#pairedLoginOrder = oneOf(order, ['windows-first', 'azure-first'], 'pairedLoginOrder');
  }

  /** The connection type: `Proxy` (default) or `Redirect`, which refuses Windows logins (18452). */
  get connectionType(): 'Proxy' | 'Redirect' {
    return this.#connectionType;
  }
  set connectionType(type: 'Proxy' | 'Redirect') {
    this.#connectionType = oneOf(type, ['Proxy', 'Redirect'], 'connectionType');
  }
  #azureAdAuthentication = false;
  #servicePrincipal = false;
  #adminConsent = false;
  #windowsAuth = false;
  #service: KerberosService | undefined;
  readonly #logins = new Map<string, SqlLogin>();
  /** Windows logins by SID. */
  readonly #windowsLogins = new Map<string, SqlLogin>();
  /** The keys (as in `#logins`) of the logins CONNECT SQL is denied to (`DENY CONNECT SQL TO [login]`). */
  readonly #connectDenied = new Set<string>();
  readonly #host: InstanceHost;
  /** The TDS listeners {@link listen} opened, closed by `Symbol.asyncDispose`. */
  readonly #listeners = new Set<TdsListener>();

  /**
   * @throws LabError `invalid-instance-name` when the name or the DNS zone is not a DNS label: each
   *   is one label of the instance's host name (in any case, kept in lower case).
   */
  constructor(host: InstanceHost, opts: ManagedInstanceOptions) {
    this.#host = host;
    this.name = hostLabel(opts.name, 'name', host.sqlSuffix);
    this.dnsZone = hostLabel(opts.dnsZone, 'DNS zone', host.sqlSuffix);
    this.subnet = opts.subnet;
    this.fqdn = `${this.name}.${this.dnsZone}.${host.sqlSuffix}`;
    this.spn = `MSSQLSvc/${this.fqdn}:1433`;
    this.servicePrincipalName = `${this.name} principal`;
  }

  /** True once every prerequisite is met and the SPN is registered in the tenant's realm. */
  get windowsAuthenticationEnabled(): boolean {
    return this.#windowsAuth;
  }

  /** The prerequisites still missing, in the order the documentation lists them. */
  get missingPrerequisites(): string[] {
    const missing: string[] = [];
    if (!this.#azureAdAuthentication) missing.push('Azure AD authentication configured on the instance');
    if (!this.#servicePrincipal) missing.push('system-assigned service principal enabled');
    if (!this.#adminConsent) missing.push(`admin consent granted to "${this.servicePrincipalName}"`);
    return missing;
  }

  /** Configures Azure AD authentication (an Azure AD admin) on the instance. */
  configureAzureAdAuthentication(): this {
    return this.#prerequisites({ azureAdAuthentication: true });
  }

  /** Enables the system-assigned service principal. */
  enableSystemAssignedServicePrincipal(): this {
    return this.#prerequisites({ servicePrincipal: true });
  }

  /** Grants admin consent to the instance's service principal. */
  grantAdminConsent(): this {
    return this.#prerequisites({ adminConsent: true });
  }

  /** All three prerequisites in one call. */
  enableWindowsAuthenticationPrerequisites(): this {
    return this.#prerequisites({ azureAdAuthentication: true, servicePrincipal: true, adminConsent: true });
  }

  /**
   * Sets prerequisites, then enables Windows authentication once all are met. Refused (another
   * instance holds the subnet), the prerequisites are as they were: every later call says why again,
   * rather than finding nothing missing and nothing enabled.
   */
  #prerequisites(set: { azureAdAuthentication?: true; servicePrincipal?: true; adminConsent?: true }): this {
    const before = [this.#azureAdAuthentication, this.#servicePrincipal, this.#adminConsent] as const;
    if (set.azureAdAuthentication) this.#azureAdAuthentication = true;
    if (set.servicePrincipal) this.#servicePrincipal = true;
    if (set.adminConsent) this.#adminConsent = true;
    try {
      return this.#refresh();
    } catch (e) {
      [this.#azureAdAuthentication, this.#servicePrincipal, this.#adminConsent] = before;
      throw e;
    }
  }

  /**
   * `CREATE LOGIN [CONTOSO\alice] FROM WINDOWS` (a user or a group) or
   * `CREATE LOGIN [alice@contoso.com] FROM EXTERNAL PROVIDER`. A Windows
   * name is looked up in the on-prem directory and its SID stored; a name
   * that does not resolve fails as SQL Server's error 15401 does. An Azure AD
   * name is looked up in the tenant by UPN (a synced or cloud-only user, in
   * any case; the tenant models no groups); one it does not have fails as
   * SQL MI's error 33130 does. A login the instance has already (by name, or
   * a Windows one by SID) fails as its error 15025 does.
   *
   * @throws LabError `login-exists` (15025), `windows-principal-not-found`
   *   (15401) or `external-principal-not-found` (33130); nothing is created.
   */
  createLogin(name: string, source: SqlLogin['source']): SqlLogin {
    oneOf(source, ['WINDOWS', 'EXTERNAL PROVIDER'], 'a login source');
    const exists = () =>
      new LabError(
        ErrorCode.KRB_ERR_GENERIC,
        `The server principal '${name}' already exists. (error 15025)`,
        { reason: 'login-exists', sqlError: SqlErrorNumber.PRINCIPAL_EXISTS },
      );
    if (
      this.#logins.has(loginKey('WINDOWS', name)) ||
      this.#logins.has(loginKey('EXTERNAL PROVIDER', name))
    ) {
      throw exists();
    }
    let login: SqlLogin = { name, source };
    if (source === 'WINDOWS') {
      const sid = this.#host.windowsSid(name);
      if (sid === undefined) {
        throw new LabError(
          ErrorCode.KRB_ERR_GENERIC,
          `Windows NT user or group '${name}' not found. Check the name again. (error 15401)`,
          { reason: 'windows-principal-not-found', sqlError: SqlErrorNumber.WINDOWS_PRINCIPAL_NOT_FOUND },
        );
      }
      if (this.#windowsLogins.has(sid)) throw exists();
      login = { name, source, sid };
      this.#windowsLogins.set(sid, login);
    } else if (this.#host.tenant.user(name) === undefined) {
      // SQL MI asks Azure AD for the principal; its answer for one Azure AD does not have.
      throw new LabError(
        ErrorCode.KRB_ERR_GENERIC,
        `Principal '${name}' could not be found or this principal type is not supported. (error 33130): ` +
          'the tenant has no user with this UPN: sync an on-prem user (lab.syncUser) or add a cloud user (lab.addCloudUser) first',
        { reason: 'external-principal-not-found', sqlError: SqlErrorNumber.EXTERNAL_PRINCIPAL_NOT_FOUND },
      );
    }
    this.#logins.set(loginKey(source, name), login);
    return login;
  }

  /**
   * `DENY CONNECT SQL TO [name]`: no one logs in through the login, and a user whose session token
   * holds it cannot log in at all, whatever other login would admit it, since a DENY takes
   * precedence over any GRANT. A Windows login is held by the user it names and by the members of
   * the group it names, directly or nested, and a group the PAC marks deny-only holds it too (a
   * deny-only SID matches DENYs only; a group not enabled matches nothing); an Azure AD login by the
   * user it names. The token holds the logins of the kinds {@link authenticationMetadata} maps (both
   * in Paired mode). Such a user gets 18456, as SQL Server answers it (state 12 in its log).
   * {@link grantConnectSql} lifts it.
   *
   * @throws LabError 15151 when the instance has no login of that name.
   */
  denyConnectSql(name: string): SqlLogin {
    const [key, login] = this.#loginNamed(name);
    this.#connectDenied.add(key);
    return login;
  }

  /**
   * `GRANT CONNECT SQL TO [name]`: CONNECT SQL as {@link createLogin} grants it, lifting a
   * {@link denyConnectSql}.
   *
   * @throws LabError 15151 when the instance has no login of that name.
   */
  grantConnectSql(name: string): SqlLogin {
    const [key, login] = this.#loginNamed(name);
    this.#connectDenied.delete(key);
    return login;
  }

  /** The login named `name` (case-insensitive, as the instance's default collation compares), and its key. */
  #loginNamed(name: string): [key: string, login: SqlLogin] {
    for (const source of ['WINDOWS', 'EXTERNAL PROVIDER'] as const) {
      const key = loginKey(source, name);
      const login = this.#logins.get(key);
      if (login !== undefined) return [key, login];
    }
    throw new LabError(
      ErrorCode.KRB_ERR_GENERIC,
      `Cannot find the login '${name}', because it does not exist or you do not have permission. (error 15151): mi.createLogin('${name}', ...) first`,
      { reason: 'no-such-login', sqlError: SqlErrorNumber.PRINCIPAL_NOT_FOUND },
    );
  }

  /**
   * Accepts a client's security token (SPNEGO, GSS-API krb5 or a raw AP-REQ)
   * and maps the user to a login. Throws a {@link LabError} or a
   * `KerberosError` with the code the check failed with. The token and the
   * answer go into the lab's trace as sent by `from`, unless `trace` is
   * false (a traced TDS listener records them inside its LOGIN7 instead).
   * `channelBindings` (the TLS channel's, `tls-server-end-point:` and the
   * certificate's hash) are checked against the token's, as SQL Server's
   * Extended Protection checks them; `requireChannelBindings` refuses a
   * token that binds no channel (Extended Protection "Required").
   */
  accept(
    token: Uint8Array,
    from = 'client',
    options: {
      readonly trace?: boolean;
      readonly channelBindings?: Uint8Array;
      readonly requireChannelBindings?: boolean;
    } = {},
  ): SqlSession {
    // Checked before anything runs: a missing token (a test that forgot an await) is the caller's bug.
    if (!(token instanceof Uint8Array)) {
      throw new TypeError(
        `mi.accept(token): token must be a Uint8Array (the client's security token, e.g. ctx.token from initSecurityContext), got ${describeValue(token)}`,
      );
    }
    const traced = options.trace !== false;
    if (!this.#windowsAuth || this.#service === undefined) {
      throw windowsAuthenticationNotEnabled(this, ErrorCode.KRB_AP_ERR_NOKEY);
    }
    if (this.connectionType === 'Redirect') {
      throw new LabError(
        ErrorCode.KRB_ERR_GENERIC,
        'Login failed (error 18452): Windows authentication needs the Proxy connection type; this instance uses Redirect',
        {
          reason: 'redirect-connection',
          sqlError: SqlErrorNumber.LOGIN_UNTRUSTED_DOMAIN,
          prerequisite: 'connection type Proxy',
        },
      );
    }
    let result: AcceptResult;
    try {
      result = this.#service.accept(token, {
        ...(options.channelBindings !== undefined && { channelBindings: options.channelBindings }),
        ...(options.requireChannelBindings === true && { requireChannelBindings: true }),
      });
    } catch (caught) {
      const e = this.#host.skewNote === undefined ? caught : skewErrorWithNote(caught, this.#host.skewNote);
      if (!traced) throw e;
      this.#host.trace.record({
        from,
        to: this.name,
        request: token,
        error: e instanceof Error ? e.message : String(e),
      });
      throw e;
    }
    if (traced) {
      this.#host.trace.record({
        from,
        to: this.name,
        request: token,
        ...(result.responseToken && { reply: result.responseToken }),
        label: `client=${result.clientPrincipal}`,
      });
    }
    const who = this.#host.resolve(result.client.realm, result.client.name.nameString.join('/'));
    // The session's Windows token: the PAC's SIDs, or (no PAC) the synced directory's SID for the user.
    const sids = result.pac?.sids ?? (who?.onPrem && { user: who.onPrem.sid, groups: [] });
    const granting = grantingSids(result, sids);
    const grantedBy = this.#mapLogin(result, who, granting);
    const windowsName =
      sids === undefined ? undefined : (this.#host.windowsName(sids.user) ?? pacWindowsName(result));
    const login = grantedBy.source === 'WINDOWS' ? (windowsName ?? grantedBy.name) : grantedBy.name;
    const denied = this.#connectDeniedBy(result, who, sids);
    if (denied !== undefined) {
      const through =
        denied === grantedBy
          ? `the login [${denied.name}] that admits the user`
          : `the login [${denied.name}], which the user's token holds, and a DENY takes precedence over the GRANT of [${grantedBy.name}]`;
      throw new LabError(
        ErrorCode.KRB_ERR_GENERIC,
        `Login failed for user '${login}' (error 18456): CONNECT SQL is denied to ${through}; mi.grantConnectSql('${denied.name}') lifts it`,
        { reason: 'connect-denied', sqlError: SqlErrorNumber.LOGIN_FAILED, login },
      );
    }
    const held = new Set(granting === undefined ? [] : [granting.user, ...granting.groups]);
    return {
      login,
      loginSource: grantedBy.source,
      grantedBy,
      sids,
      isMember: (name: string) => {
        const sid = this.#host.windowsSid(name);
        return sid === undefined ? undefined : held.has(sid);
      },
      clientPrincipal: result.clientPrincipal,
      responseToken: result.responseToken,
      transited: result.transited,
      kerberos: result,
    };
  }

  /**
   * A login of the session's token that CONNECT SQL is denied to, if any: of the logins the
   * authentication metadata mode maps, a Windows one for the user's SID or any group SID a DENY
   * matches ({@link denyMatchingSids}), or the Azure AD one for the user's UPN.
   */
  #connectDeniedBy(
    result: AcceptResult,
    who: ReturnType<InstanceHost['resolve']>,
    sids: PacSids | undefined,
  ): SqlLogin | undefined {
    if (this.#connectDenied.size === 0) return undefined;
    const denied = (l: SqlLogin | undefined) =>
      l !== undefined && this.#connectDenied.has(loginKey(l.source, l.name)) ? l : undefined;
    const matching = this.authenticationMetadata === 'AzureAD' ? undefined : denyMatchingSids(result, sids);
    for (const sid of matching === undefined ? [] : [matching.user, ...matching.groups]) {
      const l = denied(this.#windowsLogins.get(sid));
      if (l !== undefined) return l;
    }
    const upn = who?.cloud?.upn ?? who?.onPrem?.upn;
    if (this.authenticationMetadata === 'Windows' || upn === undefined) return undefined;
    return denied(this.#logins.get(loginKey('EXTERNAL PROVIDER', upn)));
  }

  /**
   * The login for an accepted ticket: a Windows login by the user's SID,
   * else by the first of its group SIDs that has one (Windows and Paired
   * modes); an Azure AD login by UPN (AzureAD and Paired modes).
   */
  #mapLogin(
    result: AcceptResult,
    who: ReturnType<InstanceHost['resolve']>,
    sids: PacSids | undefined,
  ): SqlLogin {
    let windows: SqlLogin | undefined;
    if (sids !== undefined) {
      windows = this.#windowsLogins.get(sids.user);
      for (const g of sids.groups) windows ??= this.#windowsLogins.get(g);
    }
    const upn = who?.cloud?.upn ?? who?.onPrem?.upn;
    const azure = upn === undefined ? undefined : this.#logins.get(loginKey('EXTERNAL PROVIDER', upn));
    const found =
      this.authenticationMetadata === 'Windows'
        ? windows
        : this.authenticationMetadata === 'AzureAD'
          ? azure
          : this.pairedLoginOrder === 'azure-first'
            ? (azure ?? windows)
            : (windows ?? azure);
    if (found) return found;
    // SQL Server names the user as Windows does (CONTOSO\bob) when it has a Windows name.
    // The name the on-prem directory gives the user's SID: what CREATE LOGIN ... FROM WINDOWS can take.
    const directoryName = sids === undefined ? undefined : this.#host.windowsName(sids.user);
    const windowsName = directoryName ?? pacWindowsName(result);
    const user = windowsName ?? result.clientPrincipal;
    const mode = this.authenticationMetadata;
    // What would admit the user in this mode, so the error names the missing step. A user the
    // directory does not know (cloud-only) has no Windows login: only an Azure AD one admits it.
    const would =
      mode === 'AzureAD'
        ? upn === undefined
          ? undefined
          : `mi.createLogin('${upn}', 'EXTERNAL PROVIDER')`
        : directoryName !== undefined
          ? `mi.createLogin('${directoryName}', 'WINDOWS')`
          : upn === undefined
            ? undefined
            : mode === 'Paired'
              ? `mi.createLogin('${upn}', 'EXTERNAL PROVIDER')`
              : `mi.createLogin('${upn}', 'EXTERNAL PROVIDER') with mi.authenticationMetadata = 'Paired' (or 'AzureAD')`;
    const other = mode === 'Windows' ? azure : mode === 'AzureAD' ? windows : undefined;
    const failed = `Login failed for user '${user}' (error 18456)`;
    if (other !== undefined) {
      const uses = mode === 'Windows' ? 'FROM WINDOWS logins only' : 'FROM EXTERNAL PROVIDER logins only';
      throw new LabError(
        ErrorCode.KRB_ERR_GENERIC,
        `${failed}: the login [${other.name}] FROM ${other.source} would admit ${result.clientPrincipal}, ` +
          `but the instance's authentication metadata mode is ${mode}, which maps ${uses}: ` +
          `set mi.authenticationMetadata = 'Paired'${mode === 'Windows' ? " (or 'AzureAD')" : " (or 'Windows')"}` +
          `${would === undefined || (mode !== 'AzureAD' && directoryName === undefined) ? '' : `, or ${would}`}`,
        { reason: 'login-mode-mismatch', sqlError: SqlErrorNumber.LOGIN_FAILED, login: user },
      );
    }
    throw new LabError(
      ErrorCode.KRB_ERR_GENERIC,
      `${failed}: no login maps to ${result.clientPrincipal} or to its groups in ${mode} authentication metadata mode` +
        `${would === undefined ? '' : `; ${would} would admit it`}`,
      { reason: 'login-not-found', sqlError: SqlErrorNumber.LOGIN_FAILED, login: user },
    );
  }

  #refresh(): this {
    if (this.#windowsAuth || this.missingPrerequisites.length > 0) return this;
    this.#host.enableWindowsAuthentication(this);
    const realm = this.#host.tenant.realm;
    realm.addService(this.spn, {
      keys: [generateKey(EncType.AES256_CTS_HMAC_SHA1_96, { random: realm.random })],
      aliases: [`MSSQLSvc/${this.fqdn}`],
    });
    this.#service = this.#makeService();
    this.#windowsAuth = true;
    return this;
  }

  /**
   * The instance's acceptor: a keytab with every SPN of its principal, as
   * SQL Server accepts a ticket for any SPN registered on its account. Made
   * again when an SPN is added or removed, with the replay cache of the one
   * it replaces: an authenticator already seen stays refused (RFC 4120
   * section 3.2.3).
   */
  #makeService(): KerberosService {
    const realm = this.#host.tenant.realm;
    const entry = realm.lookup(this.spn)!;
    const names = [entry.name, ...entry.aliases];
    const replayCache = this.#service?.replayCache;
    return new KerberosService({
      keytab: names.flatMap((name) =>
        entry.keys.map((k) => ({ principal: { realm: realm.name, name }, kvno: k.kvno, key: k.key })),
      ),
      clock: this.#host.clock ?? realm.clock,
      random: realm.random,
      ...(replayCache !== undefined && { replayCache }),
    });
  }

  /**
   * Serve this instance over TDS on loopback, for real SQL clients: a TDS
   * 7.4 listener whose logins go through {@link accept}, with TLS required
   * (as Azure SQL insists) and a certificate for the instance's FQDN and
   * the listen address from the lab's CA (`lab.certificateAuthority()`).
   * The listener's `MSSQLSvc/<host>:<port>` is registered on the instance,
   * and its connections go into the lab's trace (unless `trace: false`).
   * See `listenTds` for the options and the errors clients see.
   */
  async listen(options: ListenTdsOptions = {}): Promise<TdsListener> {
    const ca = options.cert === undefined ? await this.#host.certificateAuthority() : undefined;
    const listener = await listenTds(this, {
      ...(ca !== undefined && { ca }),
      trace: this.#host.trace,
      ...options,
    });
    this.#listeners.add(listener);
    return listener;
  }

  /**
   * Closes every listener {@link listen} opened (the lab's own
   * `Symbol.asyncDispose` calls this), so `await using` a lab leaves no
   * socket open.
   */
  async [Symbol.asyncDispose](): Promise<void> {
    const listeners = [...this.#listeners];
    this.#listeners.clear();
    await Promise.all(listeners.map((l) => l.close()));
  }

  /**
   * `setspn -S`: one more SPN for the instance's principal, such as
   * `MSSQLSvc/127.0.0.1:14330` for a loopback listener, since clients name
   * the service after the host and port they connect to.
   */
  addSpn(spn: string): void {
    if (!this.#windowsAuth) throw windowsAuthenticationNotEnabled(this, ErrorCode.KRB_ERR_GENERIC);
    try {
      this.#host.tenant.realm.addSpn(this.spn, spn);
    } catch (e) {
      if (!isKerberosError(e) || e.code !== ErrorCode.KDC_ERR_PRINCIPAL_NOT_UNIQUE) throw e;
      // What setspn -S says; an SPN names one account, or the KDC could not tell whose key to use.
      throw new LabError(
        ErrorCode.KDC_ERR_PRINCIPAL_NOT_UNIQUE,
        `duplicate SPN: ${spn} is registered on another account of ${this.#host.tenant.realm.name}`,
        { reason: 'duplicate-spn' },
      );
    }
    this.#service = this.#makeService();
  }

  /**
   * `setspn -D`: unregister an SPN {@link addSpn} added (a listener's, when
   * it closes). Returns whether it was registered on the instance; the
   * instance's own SPN stays.
   */
  removeSpn(spn: string): boolean {
    if (!this.#windowsAuth || !this.#host.tenant.realm.removeSpn(this.spn, spn)) return false;
    this.#service = this.#makeService();
    return true;
  }
}

/**
 * @internal An instance used (`code`: accepting a token, KRB_AP_ERR_NOKEY;
 * given an SPN or a listener, KRB_ERR_GENERIC) before its prerequisites of
 * Windows authentication were met.
 */
export function windowsAuthenticationNotEnabled(mi: ManagedInstance, code: number): LabError {
  const missing = mi.missingPrerequisites;
  return new LabError(
    code,
    `${mi.name} is not enabled for Windows authentication: missing ${missing.join('; ')}`,
    {
      reason: 'windows-authentication-not-enabled',
      prerequisite: missing[0],
    },
  );
}

/**
 * `text` in lower case when it is a DNS label (an instance's name and its DNS zone are labels of its
 * host, `<name>.<dnsZone>.database.windows.net`); a LabError naming `what` otherwise. Azure writes
 * instance names in lower case; DNS has no case (RFC 4343), so another case names the same host.
 */
function hostLabel(text: string, what: string, sqlSuffix: string): string {
  if (typeof text !== 'string' || !isDnsLabel(text)) {
    throw new LabError(
      ErrorCode.KDC_ERR_POLICY,
      `managed instance ${what} ${JSON.stringify(text)} is not a DNS label (${DNS_LABEL_RULE}): it is one label of the host name <name>.<dnsZone>.${sqlSuffix}`,
      { reason: 'invalid-instance-name' },
    );
  }
  return text.toLowerCase();
}

/** `value` when it is one of `allowed`; a RangeError naming the setting otherwise. */
function oneOf<T extends string>(value: T, allowed: readonly T[], setting: string): T {
  if (!allowed.includes(value)) {
    throw new RangeError(
      `${setting} is one of ${allowed.map((a) => `'${a}'`).join(', ')}, not ${JSON.stringify(value)}`,
    );
  }
  return value;
}
