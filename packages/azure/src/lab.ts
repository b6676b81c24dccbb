/**
 * The Azure SQL Managed Instance lab: an Azure AD tenant as the Kerberos
 * realm `KERBEROS.MICROSOFTONLINE.COM`, a customer's on-prem AD realm, the
 * one-way incoming cloud trust, managed instances found by SPN, and the two
 * client flows, all in process over real DER, with one trace of every
 * message.
 *
 * ```ts
 * const lab = createAzureSqlMiLab({ onPremRealm: 'CONTOSO.COM', seed: 42 });
 * const alice = lab.onPrem.addUser('alice', { password: 'correct horse' });
 * const mi = lab.addManagedInstance({ name: 'mi1', dnsZone: 'abc123', subnet: '10.0.0.0/24' });
 * mi.enableWindowsAuthenticationPrerequisites();
 * mi.authenticationMetadata = 'Windows';
 * mi.createLogin('CONTOSO\\alice', 'WINDOWS');
 * lab.setupCloudTrust();
 * const pc = lab.adJoinedClient(alice);
 * const ctx = await pc.initSecurityContext(mi.spn);
 * const session = mi.accept(ctx.token, pc.participant); // session.login === 'CONTOSO\\alice'
 * console.log(lab.trace.toMermaid());
 * ```
 *
 * @module
 */

import { createHash } from 'node:crypto';
import { type Clock, ErrorCode, type RandomSource, SeededRandom } from '@krbsim/core';
import type { KdcRequestEvent, RealmPolicy } from '@krbsim/kdc';
import {
  createSelfSignedCa,
  KdcProxy,
  KdcProxyTransport,
  type KdcTransport,
  kdcProxyRoute,
  type PemCertificate,
  Trace,
} from '@krbsim/transport';
import { AdJoinedClient, type AdJoinedClientOptions } from './ad-joined-client';
import { AzureAdJoinedClient, type AzureAdJoinedClientOptions } from './azure-ad-joined-client';
import { AZURE_AD_REALM, type AzureCloud, AzureClouds, tenantFromProxyUrl } from './cloud';
import {
  type CloudTrust,
  checkTopLevelNames,
  type RotateServerKeyOptions,
  setupCloudTrust,
} from './cloud-trust';
import { type CloudUser, downLevelLogonName, type OnPremUser } from './directory';
import { HybridJoinedClient, type HybridJoinedClientOptions } from './hybrid-joined-client';
import { defaultLabClock, labClockNote } from './lab-clock';
import { LabError, WindowsStatus } from './lab-error';
import { LabFaults } from './lab-faults';
import type { LabHost } from './lab-host';
import { ManagedInstance, type ManagedInstanceOptions } from './managed-instance';
import { OnPremDomain } from './on-prem-domain';
import { PartyClock } from './party-clock';
import { type AzureSqlMiQuickStart, type AzureSqlMiQuickStartOptions, quickStartIn } from './quick-start';
import { explainSpnNotFound, type SpnNotFoundCause } from './spn-not-found';
import { formatNetwork, overlaps, parseSubnet } from './subnet';
import { AzureAdTenant, type ReferredPac } from './tenant';

/** Options for {@link createAzureSqlMiLab}. */
export interface AzureSqlMiLabOptions {
  /** The on-prem AD realm. Default `CONTOSO.COM`. */
  readonly onPremRealm?: string;
  /** The on-prem NetBIOS name. Default: the realm's first label. */
  readonly netbiosName?: string;
  /** The on-prem domain functional level. Default 2016. */
  readonly domainFunctionalLevel?: number;
  /**
   * The on-prem domain SID (`S-1-5-21-...`). Default: derived from the realm name. Give an
   * existing domain's, with its users' RIDs (`onPrem.addUser(name, { rid })`), to mirror a real
   * domain controller whose tickets reach the emulated tenant.
   */
  readonly onPremDomainSid?: string;
  /**
   * The on-prem domain controller's policy where it differs from an
   * `active-directory` realm's defaults (AD's Default Domain Policy): e.g.
   * `{ minPasswordAgeMs: 0 }` lets a user change a password just set.
   */
  readonly onPremPolicy?: Partial<RealmPolicy>;
  /**
   * The Azure AD realm's policy where it differs from the tenant's defaults, which are inferred
   * (`docs/azure.md`): e.g. `{ permittedEncTypes: [18] }` (the tenant's `TenantOptions.policy`).
   */
  readonly tenantPolicy?: Partial<RealmPolicy>;
  /**
   * The KRB-ERROR code with which the tenant refuses a ticket under a conditional access policy
   * (inferred; Windows reports `0x52f` whatever it is). Default KDC_ERR_POLICY.
   */
  readonly conditionalAccessErrorCode?: number;
  /** The tenant id: a GUID, in either case (kept in lower case); anything else is a RangeError. Default: derived from the seed. */
  readonly tenantId?: string;
  /** Seeds every random choice (keys, nonces, confounders). Default 42. */
  readonly seed?: number;
  /**
   * The clock of every party of the lab. Default: a `ManualClock` at
   * 2026-01-01T08:00:00Z (`AZURE_LAB_DEFAULT_TIME`) that moves only when
   * told, so a seeded lab gives the same bytes on every run. The lab's own
   * clients and instances share it; a client or service on the system clock
   * (one the test makes itself, or a real tool) is far from it and gets
   * KRB_AP_ERR_SKEW, whose message then names the lab's clock. Give such a
   * client `lab.clock`, or pass `clock: systemClock` here. Each party reads
   * it through a clock of its own (`lab.clockOf(party)`), which a test can
   * skew or advance alone.
   */
  readonly clock?: Clock;
  /** The Azure cloud. Default `AzureCloud`. */
  readonly cloud?: AzureCloud['name'];
  /** Does Azure AD Connect sync on-prem users to the tenant? Default true. */
  readonly azureAdConnect?: boolean;
  /** One line per KDC request. */
  readonly log?: (line: string) => void;
  /**
   * Each KDC's structured event for each request it answers (the realm's
   * name first), before its reply is returned: `krbsim serve` logs them.
   */
  readonly onRequest?: (realm: string, event: KdcRequestEvent) => void;
  /** A bug in a KDC (the realm's name first): its reply is a generic KRB-ERROR. Default: none. */
  readonly onInternalError?: (realm: string, error: unknown) => void;
  /**
   * What the Azure AD KDC does with the PAC of a referral TGT (incoming
   * trust flow): `filter` (default) SID-filters and re-signs it; `rebuild`
   * builds the synced user's PAC from the tenant's directory. Inferred
   * either way (see `docs/azure.md`).
   */
  readonly referredPac?: ReferredPac;
  /**
   * How many messages {@link AzureSqlMiLab.trace} keeps, the oldest dropped
   * first. Default 1,000: a flow records about 5 KB, and a long test run
   * that reuses one lab must not grow without bound. `Infinity` keeps every
   * message (the demo does).
   */
  readonly traceEntries?: number;
  /**
   * How many bytes of messages {@link AzureSqlMiLab.trace} keeps, the oldest
   * dropped first: the bound that holds when messages are large (a SQL
   * client's batches, up to 1 MiB each). Default 16 MiB; `Infinity` for none.
   */
  readonly traceBytes?: number;
  /** How long the lab's clients wait for a KDC before "no logon servers" (see `lab.faults`). Default 30 s. */
  readonly kdcTimeoutMs?: number;
}

/** The default bounds of a lab's trace (see {@link AzureSqlMiLabOptions.traceEntries} and `traceBytes`). */
const TRACE_ENTRIES = 1000;
const TRACE_BYTES = 16 * 1024 * 1024;

/** The lab; see the module documentation. */
export class AzureSqlMiLab implements LabHost {
  /** The lab's clock (see {@link AzureSqlMiLabOptions.clock}): by default a ManualClock at 2026-01-01T08:00:00Z. */
  readonly clock: Clock;
  /** True when the lab runs on its default clock (no `clock` option), whose time is not the system's. */
  readonly clockIsDefault: boolean;
  readonly random: RandomSource;
  /** The messages of the flows, in order: the last `traceEntries` (default 1,000), within `traceBytes` (16 MiB). */
  readonly trace: Trace;
  readonly cloud: AzureCloud;
  readonly tenant: AzureAdTenant;
  readonly onPrem: OnPremDomain;
  /** Is Azure AD Connect syncing on-prem users to the tenant? */
  azureAdConnect: boolean;
  /**
   * Fault injection: KDCs that are down, slow or answer garbage, and rules
   * that drop, delay, duplicate or corrupt the clients' KDC messages (see
   * `docs/fault-injection.md`).
   */
  readonly faults: LabFaults;
  readonly #clocks = new Map<string, PartyClock>();
  readonly #instances: ManagedInstance[] = [];
  readonly #proxy: KdcProxy;
  #cloudTrust: CloudTrust | undefined;
  #ca: Promise<PemCertificate> | undefined;

  constructor(opts: AzureSqlMiLabOptions = {}) {
    const seed = opts.seed ?? 42;
    this.clock = opts.clock ?? defaultLabClock();
    this.clockIsDefault = opts.clock === undefined;
    // A skewed party is told why: the skews set with clockOf, else, while the clock is the
    // default, the default clock (see lab-clock.ts).
    const skewNote = () => this.#skewNote();
    this.random = new SeededRandom(seed);
    this.trace = new Trace({
      clock: this.clock,
      maxEntries: opts.traceEntries ?? TRACE_ENTRIES,
      maxBytes: opts.traceBytes ?? TRACE_BYTES,
    });
    this.cloud = AzureClouds[opts.cloud ?? 'AzureCloud'];
    this.azureAdConnect = opts.azureAdConnect ?? true;
    this.faults = new LabFaults({
      clock: this.clock,
      random: new SeededRandom(`${seed}:faults`),
      ...(opts.kdcTimeoutMs !== undefined && { kdcTimeoutMs: opts.kdcTimeoutMs }),
    });
    const onPremRealm = (opts.onPremRealm ?? 'CONTOSO.COM').toUpperCase();
    for (const party of ['client', onPremRealm, AZURE_AD_REALM]) this.#addParty(party);
    this.tenant = new AzureAdTenant({
      tenantId: opts.tenantId ?? tenantIdFromSeed(seed),
      cloud: this.cloud,
      clock: this.clockOf(AZURE_AD_REALM),
      random: new SeededRandom(`${seed}:tenant`),
      log: opts.log,
      ...(opts.onRequest !== undefined && { onRequest: (e) => opts.onRequest!(AZURE_AD_REALM, e) }),
      ...(opts.onInternalError !== undefined && {
        onInternalError: (e: unknown) => opts.onInternalError!(AZURE_AD_REALM, e),
      }),
      ...(opts.referredPac !== undefined && { referredPac: opts.referredPac }),
      ...(opts.tenantPolicy !== undefined && { policy: opts.tenantPolicy }),
      ...(opts.conditionalAccessErrorCode !== undefined && {
        conditionalAccessErrorCode: opts.conditionalAccessErrorCode,
      }),
      skewNote,
    });
    this.onPrem = new OnPremDomain({
      realm: opts.onPremRealm ?? 'CONTOSO.COM',
      netbiosName: opts.netbiosName,
      functionalLevel: opts.domainFunctionalLevel,
      ...(opts.onPremDomainSid !== undefined && { domainSid: opts.onPremDomainSid }),
      ...(opts.onPremPolicy !== undefined && { policy: opts.onPremPolicy }),
      clock: this.clockOf(onPremRealm),
      random: new SeededRandom(`${seed}:onprem`),
      log: opts.log,
      ...(opts.onRequest !== undefined && { onRequest: (e) => opts.onRequest!(onPremRealm, e) }),
      ...(opts.onInternalError !== undefined && {
        onInternalError: (e: unknown) => opts.onInternalError!(onPremRealm, e),
      }),
      skewNote,
    });
    this.onPrem.onUserAdded = (u) => {
      if (this.azureAdConnect) this.syncUser(u);
    };
    // Azure AD Connect's delta sync, at once: synced users carry their groups' SIDs as they are now.
    this.onPrem.onGroupsChanged = () => {
      if (!this.azureAdConnect) return;
      for (const u of this.onPrem.users) if (this.tenant.user(u.upn)?.onPremises) this.syncUser(u);
    };
    this.onPrem.onAccountChanged = (u) => {
      if (this.azureAdConnect && this.tenant.user(u.upn)?.onPremises) this.syncUser(u);
    };
    // The proxy behind login.microsoftonline.com serves the Azure AD realm only, named in any case.
    this.#proxy = new KdcProxy(
      kdcProxyRoute({
        [AZURE_AD_REALM]: (req) => this.faults.exchange('azure-ad', req, (r) => this.tenant.handle(r)),
      }),
    );
  }

  /**
   * The clock of one party: `client` (every client of the lab), a KDC by its
   * realm (`CONTOSO.COM`, `KERBEROS.MICROSOFTONLINE.COM`), or an instance
   * by its name (`mi1`). Each is the lab's clock plus a skew of its own, 0
   * until set: `lab.clockOf('client').skewMs = 6 * Duration.minute` puts the
   * clients six minutes ahead of everyone; `lab.clockOf('client').advance(ms)`
   * moves only the clients' time (their cloud TGT, PRT and tickets expire).
   */
  clockOf(party: string): PartyClock {
    const clock = this.#party(party);
    if (clock === undefined) {
      throw new TypeError(
        `the lab has no party ${JSON.stringify(party)}: its parties are ${[...this.#clocks.keys()].join(', ')}`,
      );
    }
    return clock;
  }

  /** A party's clock by its name as given, or a realm's in upper case, or an instance's in lower case. */
  #party(name: string): PartyClock | undefined {
    return (
      this.#clocks.get(name) ?? this.#clocks.get(name.toUpperCase()) ?? this.#clocks.get(name.toLowerCase())
    );
  }

  /** The clients' clock (`clockOf('client')`). */
  get clientClock(): PartyClock {
    return this.clockOf('client');
  }

  /** What a KRB_AP_ERR_SKEW gets appended: the parties' skews if any is set, else the default-clock note, else nothing. */
  #skewNote(): string {
    const skewed = [...this.#clocks.values()].filter((c) => c.skewMs !== 0);
    if (skewed.length > 0) {
      const list = skewed.map((c) => `${c.party} ${c.skewMs > 0 ? '+' : ''}${c.skewMs} ms`).join(', ');
      return `the lab's party clocks are skewed (lab.clockOf): ${list}`;
    }
    return this.clockIsDefault ? labClockNote(this.clock) : '';
  }

  #addParty(party: string): PartyClock {
    const clock = new PartyClock(party, this.clock);
    this.#clocks.set(party, clock);
    return clock;
  }

  /** The on-prem domain controller's KDC as the lab's clients reach it: through `faults`. */
  onPremKdc(request: Uint8Array): Promise<Uint8Array> {
    return this.faults.exchange('on-prem', request, (r) => this.onPrem.handle(r));
  }

  /** The cloud trust, once {@link setupCloudTrust} has run. */
  get cloudTrust(): CloudTrust | undefined {
    return this.#cloudTrust;
  }

  /** The managed instances, in the order added. */
  get managedInstances(): readonly ManagedInstance[] {
    return this.#instances;
  }

  /**
   * Azure AD Connect: syncs one on-prem user to the tenant now, with its SID,
   * its groups' SIDs (the primary group and the global and universal groups
   * it belongs to, directly or nested), which the tenant's PACs carry, and
   * whether it is enabled.
   */
  syncUser(user: OnPremUser): CloudUser {
    const cloud: CloudUser = {
      upn: user.upn,
      objectId: objectIdFor(this.tenant.tenantId, user.upn),
      ...(!this.onPrem.isAccountEnabled(user.samAccountName) && { accountEnabled: false }),
      onPremises: {
        samAccountName: user.samAccountName,
        netbiosDomain: user.netbiosDomain,
        realm: user.realm,
        securityIdentifier: user.sid,
        groupSids: this.onPrem.groupSidsOf(user.samAccountName),
      },
    };
    this.tenant.upsertUser(cloud);
    return cloud;
  }

  /** A cloud-only user of the tenant (no on-prem account). */
  addCloudUser(upn: string): CloudUser {
    const cloud: CloudUser = { upn, objectId: objectIdFor(this.tenant.tenantId, upn) };
    this.tenant.upsertUser(cloud);
    return cloud;
  }

  /**
   * `Set-AzureADKerberosServer -Domain <dom> -SetupCloudTrust`: creates the
   * Azure AD Kerberos server object and the incoming trust, if missing.
   * Fails with the product's collision error when another trust of the
   * domain already claims the top-level names. Once made, a call with the
   * same top-level names (the cloud's by default; in any case and order)
   * returns the trust there is; a call with others is refused
   * (`cloud-trust-refused`) rather than answered with a trust that does not
   * claim them. The top-level names must be DNS names, at least one: a
   * trust that claims none routes nothing (`cloud-trust-refused`, before
   * anything is made).
   */
  setupCloudTrust(opts: { topLevelNames?: readonly string[] } = {}): CloudTrust {
    const names = opts.topLevelNames ?? this.cloud.topLevelNames;
    checkTopLevelNames(names, this.onPrem.realm.name);
    if (this.#cloudTrust !== undefined) {
      // As the trust holds them: lower case, no trailing dot; a set.
      const key = (list: readonly string[]) =>
        [...new Set(list.map((n) => n.toLowerCase().replace(/\.$/, '')))].sort().join(',');
      const held = this.#cloudTrust.trust.topLevelNames;
      if (key(held) !== key(names)) {
        throw new LabError(
          ErrorCode.KDC_ERR_POLICY,
          `the cloud trust of ${this.onPrem.realm.name} exists already, with top-level names ${held.join(', ')}: it claims no ${names.join(', ')} (set the names up once, in a new lab)`,
          { reason: 'cloud-trust-refused', realm: this.onPrem.realm.name },
        );
      }
      return this.#cloudTrust;
    }
    this.#cloudTrust = setupCloudTrust(this.tenant, this.onPrem, this.random, names);
    return this.#cloudTrust;
  }

  /** `Set-AzureADKerberosServer -RotateServerKey`. */
  rotateServerKey(opts: RotateServerKeyOptions = {}) {
    if (this.#cloudTrust === undefined) {
      throw new LabError(
        ErrorCode.KDC_ERR_POLICY,
        'there is no Azure AD Kerberos server object yet: run lab.setupCloudTrust() first',
        { reason: 'cloud-trust-missing', prerequisite: 'Set-AzureADKerberosServer -SetupCloudTrust' },
      );
    }
    return this.#cloudTrust.rotateServerKey(opts);
  }

  /** `Get-AzureADKerberosServer`. */
  getAzureAdKerberosServer() {
    return this.#cloudTrust?.info();
  }

  /**
   * A new managed instance (Windows authentication not yet enabled), with a
   * clock of its own (`lab.clockOf(name)`). Its name and DNS zone are DNS
   * labels (1 to 63 letters, digits and hyphens, no hyphen first or last; in
   * any case, kept in lower case), since its host is
   * `<name>.<dnsZone>.database.windows.net`; its subnet an IPv4 network
   * (`10.0.0.0/24`, or with a dotted mask). Everything is checked before
   * the lab changes: a refused instance leaves nothing behind.
   *
   * @throws LabError `invalid-instance-name` for a name or DNS zone that is
   *   no DNS label, `invalid-subnet` for a subnet that is no IPv4 network, and
   *   `instance-exists` for the name of an instance the lab has, in any DNS
   *   zone (Azure refuses a name already taken), or of another party of the
   *   lab (`client`), whose clock the instance would share.
   */
  addManagedInstance(opts: ManagedInstanceOptions): ManagedInstance {
    parseSubnet(opts.subnet);
    // The name is checked with the instance; a clock named by what is not a string is never kept.
    const clock = new PartyClock(typeof opts.name === 'string' ? opts.name.toLowerCase() : '', this.clock);
    const mi = new ManagedInstance(this.#instanceHost(clock), opts);
    const taken = this.#instances.find((m) => m.name === mi.name);
    if (taken !== undefined) {
      throw new LabError(
        ErrorCode.KDC_ERR_PRINCIPAL_NOT_UNIQUE,
        `a managed instance named ${mi.name} already exists (${taken.fqdn}): an instance name is unique in Azure, whatever its DNS zone`,
        { reason: 'instance-exists' },
      );
    }
    if (this.#party(mi.name) !== undefined) {
      throw new LabError(
        ErrorCode.KDC_ERR_PRINCIPAL_NOT_UNIQUE,
        `${mi.name} names another party of the lab (lab.clockOf('${mi.name}')), whose clock the instance would share: give the instance another name`,
        { reason: 'instance-exists' },
      );
    }
    this.#clocks.set(mi.name, clock);
    this.#instances.push(mi);
    return mi;
  }

  /** An AD-joined Windows client with `user` signed in (the incoming trust-based flow). */
  adJoinedClient(user: OnPremUser, opts: AdJoinedClientOptions = {}): AdJoinedClient {
    return new AdJoinedClient(this, user, opts);
  }

  /** An Azure AD-joined Windows client with `user` signed in (the modern interactive flow). */
  azureAdJoinedClient(
    user: OnPremUser | CloudUser,
    opts: AzureAdJoinedClientOptions = {},
  ): AzureAdJoinedClient {
    return new AzureAdJoinedClient(this, this.#tenantUser(user), opts);
  }

  /**
   * A hybrid-joined Windows client (joined to the domain and to Azure AD)
   * for a synced on-prem user: it holds both an on-prem TGT and a cloud TGT
   * once `signIn()` has run.
   */
  hybridJoinedClient(user: OnPremUser, opts: HybridJoinedClientOptions = {}): HybridJoinedClient {
    return new HybridJoinedClient(this, user, this.#tenantUser(user), opts);
  }

  #tenantUser(user: OnPremUser | CloudUser): CloudUser {
    const cloud = this.tenant.user(user.upn);
    if (cloud === undefined) {
      throw new LabError(
        ErrorCode.KDC_ERR_C_PRINCIPAL_UNKNOWN,
        `${user.upn} is not in the tenant: sync it with Azure AD Connect (lab.syncUser) or add it as a cloud user`,
        { reason: 'user-not-in-tenant', realm: AZURE_AD_REALM, prerequisite: 'Azure AD Connect sync' },
      );
    }
    return cloud;
  }

  /**
   * Closes what the lab opened: the TDS listeners of its instances
   * (`mi.listen()`). The lab itself holds no socket, so `await using lab =
   * createAzureSqlMiLab()` costs nothing when none was opened.
   */
  async [Symbol.asyncDispose](): Promise<void> {
    await Promise.all(this.#instances.map((mi) => mi[Symbol.asyncDispose]()));
  }

  /** The HTTP POST to a KDC proxy URL, in process. Unknown tenants and hosts fail like an unreachable proxy. */
  async postToKdcProxy(url: string, body: Uint8Array): Promise<Uint8Array> {
    const tenant = tenantFromProxyUrl(url);
    if (tenant !== this.tenant.tenantId || !url.startsWith(`https://${this.cloud.loginHost}:443:`)) {
      throw new LabError(
        ErrorCode.KDC_ERR_SVC_UNAVAILABLE,
        `no logon servers (0x51f): no KDC proxy answers at ${url}`,
        { reason: 'no-logon-servers', windowsStatus: WindowsStatus.NO_LOGON_SERVERS },
      );
    }
    return this.faults.exchange('kdc-proxy', body, (b) => this.#proxy.handle(b));
  }

  /**
   * The lab's certificate authority (made on first use, pkijs through
   * `@krbsim/transport`): it issues the managed instances' TLS certificates
   * (`mi.listen()`). Give its `certPem` to clients that check certificates.
   */
  certificateAuthority(): Promise<PemCertificate> {
    this.#ca ??= createSelfSignedCa({ commonName: `krbsim Azure lab CA (${this.tenant.tenantId})` });
    return this.#ca;
  }

  explainSpnNotFound(spn: string, realm: string | undefined): SpnNotFoundCause | undefined {
    return explainSpnNotFound(
      {
        onPremRealm: this.onPrem.realm.name,
        azureRealm: AZURE_AD_REALM,
        sqlSuffix: this.cloud.sqlSuffix,
        cloudTrust: this.#cloudTrust !== undefined,
        instances: this.#instances,
      },
      spn,
      realm,
    );
  }

  kdcProxyTransport(url: string, from: string): KdcTransport {
    return new KdcProxyTransport({ url, from, trace: this.trace, post: (u, b) => this.postToKdcProxy(u, b) });
  }

  #instanceHost(clock: PartyClock) {
    return {
      clock,
      tenant: this.tenant,
      sqlSuffix: this.cloud.sqlSuffix,
      trace: this.trace,
      resolve: (realm: string, name: string) => this.#resolve(realm, name),
      windowsSid: (name: string) => this.#windowsSid(name),
      windowsName: (sid: string) => {
        const u = this.onPrem.users.find((x) => x.sid === sid);
        return u === undefined ? undefined : downLevelLogonName(u);
      },
      certificateAuthority: () => this.certificateAuthority(),
      skewNote: () => this.#skewNote(),
      enableWindowsAuthentication: (mi: ManagedInstance) => {
        // Networks, not strings: 10.0.0.0/24 and 10.0.0.0/255.255.255.0 are one subnet (see subnet.ts).
        const net = parseSubnet(mi.subnet);
        const other = this.#instances.find(
          (m) => m !== mi && m.windowsAuthenticationEnabled && overlaps(parseSubnet(m.subnet), net),
        );
        if (other !== undefined) {
          throw new LabError(
            ErrorCode.KDC_ERR_PRINCIPAL_NOT_UNIQUE,
            `only one managed instance per subnet can be enabled for Windows authentication during the preview (SPN configuration): ${other.name} already is, in ${formatNetwork(parseSubnet(other.subnet))}, which ${mi.name}'s ${formatNetwork(net)} overlaps`,
            { reason: 'subnet-taken', prerequisite: 'one Windows-authentication instance per subnet' },
          );
        }
      },
    };
  }

  /** `CONTOSO\\SqlAdmins` → its SID in the on-prem directory (`LookupAccountName`), if any. */
  #windowsSid(name: string): string | undefined {
    const i = name.indexOf('\\');
    if (i < 0 || name.slice(0, i).toUpperCase() !== this.onPrem.netbiosName) return undefined;
    return this.onPrem.sidOf(name.slice(i + 1));
  }

  #resolve(realm: string, name: string): { onPrem?: OnPremUser; cloud?: CloudUser } | undefined {
    if (realm === this.onPrem.realm.name) {
      const onPrem = this.onPrem.user(name);
      if (onPrem === undefined) return undefined;
      const cloud = this.tenant.user(onPrem.upn);
      return { onPrem, ...(cloud && { cloud }) };
    }
    if (realm === AZURE_AD_REALM) {
      const cloud = this.tenant.user(name);
      if (cloud === undefined) return undefined;
      const onPrem = cloud.onPremises && this.onPrem.user(cloud.onPremises.samAccountName);
      return { cloud, ...(onPrem && { onPrem }) };
    }
    return undefined;
  }
}

/**
 * Creates a lab; see {@link AzureSqlMiLab}. For the common case in one call
 * (a user, an instance with a login for it, the trust, a signed-in client),
 * see {@link createAzureSqlMiLab.quickStart}.
 */
export function createAzureSqlMiLab(opts: AzureSqlMiLabOptions = {}): AzureSqlMiLab {
  return new AzureSqlMiLab(opts);
}

/**
 * A lab set up for the common case: an on-prem user (`alice`), a managed
 * instance (`mi1`) with every Windows-authentication prerequisite and a
 * Windows login for the user, the cloud trust, and the user signed in to
 * an AD-joined client (or, with `flow: 'modern'`, an Azure AD-joined one).
 * `getToken()` runs the flow and gives the security token; `connect()`
 * logs in. The lab runs on its default clock unless `clock` is given.
 *
 * @example
 * ```ts
 * await using qs = createAzureSqlMiLab.quickStart();
 * const session = await qs.connect(); // session.login === 'CONTOSO\alice'
 * ```
 */
createAzureSqlMiLab.quickStart = (opts: AzureSqlMiQuickStartOptions = {}): AzureSqlMiQuickStart =>
  quickStartIn(new AzureSqlMiLab(opts), opts);

function guidFrom(text: string): string {
  const h = createHash('sha256').update(text).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** A tenant id that is the same for the same seed. */
export function tenantIdFromSeed(seed: number): string {
  return guidFrom(`krbsim-tenant:${seed}`);
}

function objectIdFor(tenantId: string, upn: string): string {
  return guidFrom(`${tenantId}:${upn.toLowerCase()}`);
}
