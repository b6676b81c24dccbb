/**
 * Building and serving a topology file: one {@link Realm} and one {@link Kdc}
 * per realm, the trusts between them, and one UDP+TCP listener per KDC on
 * loopback (RFC 4120 section 7.2). `krbsim serve` is a thin shell around
 * {@link startTopology}; tests call it in process.
 *
 * Each KDC listens on one port for both UDP and TCP, because a `krb5.conf`
 * `kdc = host:port` line names one port for both. Realms marked `kdcProxy`
 * are also served through one HTTPS KDC proxy (MS-KKDCP) at
 * `https://<host>:<port>/KdcProxy`, its certificate from a CA made per run.
 *
 * @module
 */

import { mkdir } from 'node:fs/promises';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { type Clock, type RandomSource, systemClock } from '@krbsim/core';
import { createTrust, type DelegationOptions, Kdc, KpasswdService, parsePrincipal, Realm } from '@krbsim/kdc';
import {
  createSelfSignedCa,
  issueServerCertificate,
  type KdcHandler,
  KdcProxy,
  type KdcRequestInfo,
  kdcParticipant,
  kdcProxyRoute,
  type ServeKdcOptions,
  serveKdc,
  serveKdcProxy,
  type Trace,
} from '@krbsim/transport';
import { connectableHost, connectableHostPort } from './connect-address';
import {
  appendPasswordChange,
  createPasswordFeed,
  PASSWORD_FEED_FILE,
  PasswordFeedReader,
} from './password-feed';
import { randomSeed, readReplicaFeed, readReplicaOf, replicaCheck, SeededKeysRandom } from './replica';
import { type RequestLogEntry, requestLogger } from './request-log';
import {
  atField,
  type DelegationSpec,
  policyOf,
  type RealmFileSpec,
  refuseKdcProxy,
  TopologyError,
  type TopologyFile,
  withSecretPasswords,
} from './topology';

export type { RequestLogEntry } from './request-log';

import { type TopologyWriteResult, writeTopologyFiles } from './topology-files';
import {
  issueTopologyCertificates,
  issueUserCertificates,
  realmPkinitOptions,
  type TopologyCertificates,
} from './topology-pkinit';

/** Options for {@link startTopology}. */
export interface StartTopologyOptions {
  /** The address every KDC listens on. Default `127.0.0.1`. */
  readonly host?: string;
  /**
   * Seed of the realms' long-term keys: the krbtgt keys, services' keys
   * without a password, trust keys without a password. Each realm draws them
   * from `SeededRandom("<seed>:<realm>")`, so every process started with
   * the same topology and seed holds the same keys (replicas, workers).
   * Default: 256 random bits, so the keys are random.
   */
  readonly seed?: number | string;
  /**
   * Where the realms draw session keys, nonces and confounders once built.
   * Default: the system CSPRNG (a test may pass a `SeededRandom`).
   */
  readonly random?: RandomSource;
  /** Default: the system clock. */
  readonly clock?: Clock;
  /** Called once per request each KDC answers (see `logRequests`). */
  readonly log?: (entry: RequestLogEntry) => void;
  /**
   * Which requests reach `log`: `all` (default), or `errors`, those answered
   * with a KRB-ERROR other than KDC_ERR_PREAUTH_REQUIRED. With `errors` an
   * entry is built only for those, so a busy KDC pays one byte test per reply.
   */
  readonly logRequests?: 'all' | 'errors';
  /**
   * Called with anything a KDC threw that is not a KerberosError (a bug; the
   * client got KRB_ERR_GENERIC), and the realm it happened in.
   */
  readonly onInternalError?: (realm: string, error: unknown) => void;
  /** The listeners' own lines (transport, peer, sizes, RESPONSE_TOO_BIG, handler failures). */
  readonly transportLog?: (line: string) => void;
  /**
   * The password-change service's line per request (`kpasswd alice@REALM -> SUCCESS`, a refusal's
   * reason, a change this process could not hand on: `onChange failed: ...`), and its realm. Never
   * a password.
   */
  readonly kpasswdLog?: (realm: string, line: string) => void;
  /**
   * Record every request each KDC answers, with its reply, into this trace
   * (from `client <address>` to `KDC <REALM>`), for `krbsim serve --html`
   * and `--pcap`. Give it a `maxEntries` bound: a served KDC runs for as long
   * as it is left running.
   */
  readonly trace?: Trace;
  /** Don't open sockets: build the realms and KDCs only (servers stays empty). */
  readonly listen?: boolean;
  /**
   * Share each KDC's sockets among the processes of a Node cluster
   * (`krbsim serve --workers`): the listeners bind with `exclusive: false`,
   * so the cluster's primary holds one UDP socket and one TCP listener per
   * port and every worker receives from them. Default false.
   */
  readonly shareSockets?: boolean;
  /**
   * Passwords changed through the realms' password-change service since the
   * topology was built, in order, applied before any socket opens: a worker
   * of `krbsim serve --workers` that replaces one holds what its peers hold.
   */
  readonly passwordChanges?: readonly PasswordChange[];
  /**
   * With `replicaOf`: how often to apply the password changes the other process made
   * (`RunningTopology.pullPasswordChanges`), in ms. Default 250; 0: only when pulled.
   */
  readonly replicaPollMs?: number;
  /**
   * The `ports.json` of a running `krbsim serve` of the same topology and
   * seed: its KDCs are listed in `krb5.conf` before this process's own (see
   * `readReplicaOf`; a realm whose check value differs is an error).
   */
  readonly replicaOf?: string;
  /**
   * Write `krb5.conf`, keytabs and `ports.json` into this directory (created
   * if missing) once every KDC listens. See {@link writeTopologyFiles}.
   */
  readonly dir?: string;
  /** With `dir`: also write `kdc.keytab`, the KDCs' krbtgt and inter-realm keys (0600). Default false. */
  readonly kdcKeytab?: boolean;
  /** Extra `[libdefaults]` for the written `krb5.conf` (`null` removes a default). */
  readonly libdefaults?: Readonly<Record<string, string | number | boolean | readonly string[] | null>>;
}

/** Where one realm's KDC listens. */
export interface KdcServerInfo {
  readonly realm: string;
  readonly host: string;
  readonly udpPort: number;
  readonly tcpPort: number;
  /**
   * The realm's password-change service (kpasswd, RFC 3244), UDP and TCP on one port. Served by one
   * process: a single one, or the primary of `--workers`, which sends each change to its workers; not
   * by replicas, which hold their own copy of the realm that a change would not reach.
   */
  readonly kpasswdPort?: number;
  /**
   * For a realm with `kdcProxy`: the HTTPS KDC proxy (MS-KKDCP) that reaches its KDC, and its
   * password-change service when one is served, e.g. `https://127.0.0.1:40125/KdcProxy` (one proxy
   * for every such realm; its certificate is signed by {@link RunningTopology.kdcProxyCa}).
   */
  readonly kdcProxyUrl?: string;
}

/** The URL path of the KDC proxy `startTopology` serves for `kdcProxy` realms. */
const KDC_PROXY_PATH = '/KdcProxy';

/** A topology that {@link startTopology} brought up. */
export interface RunningTopology {
  /** The realms, by name, in file order. */
  readonly realms: ReadonlyMap<string, Realm>;
  /** One KDC per realm, by realm name. */
  readonly kdcs: ReadonlyMap<string, Kdc>;
  /** One listener per realm, by realm name (empty with `listen: false`). */
  readonly servers: ReadonlyMap<string, KdcServerInfo>;
  /**
   * The file the topology came from. Its users', computers', services' and trusts' `password`s are
   * readable but not enumerable, and print and serialize as `'<redacted>'`.
   */
  readonly topology: TopologyFile;
  /** What was written when `dir` was given. */
  readonly files?: TopologyWriteResult;
  /** Each realm's check value (see `replicaCheck`): equal in every replica. */
  readonly checks: ReadonlyMap<string, string>;
  /**
   * With `kdcProxy` realms served: the KDC proxy's CA certificate (PEM), made for this run, which
   * signs the proxy's certificate (for `127.0.0.1` or the host, and `localhost`). With `dir` it is
   * also `ca.pem` there, named by `http_anchors` in `krb5.conf` (`files.ca`).
   */
  readonly kdcProxyCa?: string;
  /**
   * A replica (`replicaOf`): apply the password changes the process it replicates made since the
   * last pull, now, and say how many (it also does so every `replicaPollMs` while it serves). 0
   * for a process that replicates none.
   */
  pullPasswordChanges(): number;
  /**
   * Build every realm again from the topology and the seed, as at start, without the password
   * changes applied since (`passwordChanges` included), with new KDCs (and password-change
   * services) serving them on the same sockets: what a replica does when the feed it follows
   * begins again (MIT's kpropd: a full resync when the primary's log restarts). `realms` and
   * `kdcs` then hold the new ones.
   */
  resync(): void;
  /** Close every socket. Idempotent. */
  close(): Promise<void>;
  /** {@link RunningTopology.close}, so `await using topo = await startTopology(...)` closes it at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Build the realms and trusts a topology file describes (no sockets). The
 * long-term keys come from `seed` (see {@link StartTopologyOptions.seed}),
 * in file order; everything drawn afterwards from `random`.
 */
export function buildRealms(
  topology: TopologyFile,
  options: Pick<StartTopologyOptions, 'seed' | 'clock' | 'random'> & {
    /** The PKINIT realms' certificates (`issueTopologyCertificates`); required when a realm has `pkinit`. */
    readonly certificates?: TopologyCertificates;
  } = {},
): Map<string, Realm> {
  const clock = options.clock ?? systemClock;
  const seed = options.seed ?? randomSeed();
  const realms = new Map<string, Realm>();
  const sources: SeededKeysRandom[] = [];
  for (const spec of topology.realms) {
    const random = new SeededKeysRandom(seed, spec.name, options.random);
    sources.push(random);
    const pkinit = options.certificates && realmPkinitOptions(spec, options.certificates);
    if (spec.pkinit !== undefined && pkinit === undefined) {
      // Certificates are issued per process (fresh keys): workers and replicas cannot share them yet.
      throw new TopologyError(
        `realms[${topology.realms.indexOf(spec)}].pkinit`,
        'a PKINIT realm needs its certificates issued first (startTopology does; krbsim serve --workers cannot serve PKINIT)',
      );
    }
    const index = topology.realms.indexOf(spec);
    const realm = atField(
      `realms[${index}]`,
      () =>
        new Realm({
          name: spec.name,
          kind: spec.kind,
          clock,
          random,
          policy: policyOf(spec.policy),
          ...(spec.domainSid !== undefined && { domainSid: spec.domainSid }),
          ...(spec.forest !== undefined && { forest: spec.forest }),
          ...(pkinit !== undefined && { pkinit }),
        }),
    );
    for (const [i, u] of spec.users.entries()) {
      atField(`realms[${index}].users[${i}]`, () =>
        realm.addUser(u.name, {
          password: u.password,
          ...(u.requiresPreauth !== undefined && { requiresPreauth: u.requiresPreauth }),
          ...(u.disabled !== undefined && { disabled: u.disabled }),
          ...(u.mustChangePassword === true && { mustChangePassword: true }),
          ...(u.spns !== undefined && { spns: [...u.spns] }),
          ...(u.okAsDelegate !== undefined && { okAsDelegate: u.okAsDelegate }),
          ...(u.delegation !== undefined && { delegation: delegationOf(u.delegation) }),
          ...(u.sensitive !== undefined && { sensitive: u.sensitive }),
        }),
      );
    }
    for (const [i, c] of spec.computers.entries()) {
      atField(`realms[${index}].computers[${i}]`, () =>
        realm.addComputer(c.name, {
          ...(c.password !== undefined && { password: c.password }),
          ...(c.dnsHostName !== undefined && { dnsHostName: c.dnsHostName }),
          spns: [...(c.spns ?? [])],
          ...(c.domainController !== undefined && { domainController: c.domainController }),
          ...(c.okAsDelegate !== undefined && { okAsDelegate: c.okAsDelegate }),
          ...(c.delegation !== undefined && { delegation: delegationOf(c.delegation) }),
        }),
      );
    }
    addGroups(realm, spec, index);
    for (const [i, s] of spec.services.entries()) {
      atField(`realms[${index}].services[${i}]`, () =>
        realm.addService(s.spn, {
          ...(s.password !== undefined && { password: s.password }),
          aliases: [...(s.aliases ?? [])],
          ...(s.okAsDelegate !== undefined && { okAsDelegate: s.okAsDelegate }),
          ...(s.delegation !== undefined && { delegation: delegationOf(s.delegation) }),
        }),
      );
    }
    realms.set(spec.name, realm);
  }
  // Every realm knows every realm's DNS domains, as one shared [domain_realm] would.
  for (const spec of topology.realms) {
    for (const domain of spec.domains) {
      for (const realm of realms.values()) {
        realm.mapDomain(`.${domain}`, spec.name);
        realm.mapDomain(domain, spec.name);
      }
    }
  }
  for (const [i, t] of topology.trusts.entries()) {
    atField(`trusts[${i}]`, () =>
      createTrust({
        trusting: realms.get(t.trusting)!,
        trusted: realms.get(t.trusted)!,
        direction: t.direction,
        kind: t.kind,
        topLevelNames: [...t.topLevelNames],
        ...(t.trustedTopLevelNames !== undefined && { trustedTopLevelNames: [...t.trustedTopLevelNames] }),
        ...(t.password !== undefined && { password: t.password }),
        ...(t.selectiveAuthentication === true && { selectiveAuthentication: true }),
        ...(t.quarantine !== undefined && { quarantine: t.quarantine }),
        ...(t.enableSidHistory !== undefined && { enableSidHistory: t.enableSidHistory }),
        ...(t.tgtDelegation !== undefined && { tgtDelegation: t.tgtDelegation }),
      }),
    );
  }
  addCrossRealmGrants(realms, topology);
  // The password-change service's principal (kpasswd), last: nothing else's keys change. From the
  // seeded stream, so that every process built from the seed (workers, replicas) holds its key.
  for (const realm of realms.values()) {
    if (realm.lookup('kadmin/changepw') === undefined) realm.addPasswordChangeService();
  }
  for (const source of sources) source.endBuild();
  return realms;
}

/** A password a realm's password-change service changed (`KpasswdService`'s `onChange`). */
export interface PasswordChange {
  readonly realm: string;
  /** `name@REALM`, as the service names it. */
  readonly principal: string;
  readonly password: string;
}

/** Set the password a change names, in the realm it names (unknown realms are skipped: the topology decides). */
export function applyPasswordChange(realms: ReadonlyMap<string, Realm>, change: PasswordChange): void {
  const realm = realms.get(change.realm);
  const at = change.principal.lastIndexOf('@');
  realm?.setPassword(at < 0 ? change.principal : change.principal.slice(0, at), change.password);
}

function delegationOf(d: DelegationSpec): DelegationOptions {
  return {
    ...(d.trustedToAuthenticate !== undefined && { trustedToAuthenticate: d.trustedToAuthenticate }),
    ...(d.allowedTo !== undefined && { allowedTo: [...d.allowedTo] }),
    ...(d.allowedFrom !== undefined && { allowedFrom: [...d.allowedFrom] }),
  };
}

/**
 * The realm's directory groups, then their members (a member may be a group
 * defined later in the file). A refusal names the field, as validation does.
 */
function addGroups(realm: Realm, spec: RealmFileSpec, index: number): void {
  const at = (path: string, f: () => void) => atField(`realms[${index}].${path}`, f);
  spec.groups.forEach((g, i) => {
    at(`groups[${i}].name`, () => realm.directory.addGroup(g.name, { scope: g.scope }));
  });
  spec.groups.forEach((g, i) => {
    g.members.forEach((m, j) => {
      // Principals of other realms wait for every realm (addCrossRealmGrants).
      if (!isForeign(m)) at(`groups[${i}].members[${j}]`, () => realm.directory.addMember(g.name, m));
    });
  });
}

/** A member or grantee named as a principal of another realm (`name@REALM`) or by SID. */
function isForeign(name: string): boolean {
  return name.includes('@') || /^S-1-/i.test(name);
}

/**
 * The SID of `name`, as a realm's topology names a principal: a SID as it
 * is, `name@REALM` an account or group of that realm's directory, a bare
 * name one of `own`'s.
 */
function sidOfName(realms: ReadonlyMap<string, Realm>, own: Realm, name: string): string {
  if (/^S-1-/i.test(name)) return name;
  const at = name.lastIndexOf('@');
  const realmName = at < 0 ? own.name : name.slice(at + 1);
  const realm = realms.get(realmName);
  if (realm === undefined) throw new RangeError(`no realm named ${realmName} in this file`);
  const account = at < 0 ? name : name.slice(0, at);
  const found = realm.directory.account(account) ?? realm.directory.group(account);
  if (found === undefined) throw new RangeError(`no account or group ${account} in ${realmName}'s directory`);
  return realm.directory.sidOf(found.rid);
}

/**
 * What names principals of other realms, once every realm is built: the
 * foreign members of domain-local groups, and each account's
 * `allowedToAuthenticate`. A refusal names the field.
 */
function addCrossRealmGrants(realms: ReadonlyMap<string, Realm>, topology: TopologyFile): void {
  topology.realms.forEach((spec, index) => {
    const realm = realms.get(spec.name)!;
    const at = (path: string, f: () => void) => atField(`realms[${index}].${path}`, f);
    spec.groups.forEach((g, i) => {
      g.members.forEach((m, j) => {
        if (!isForeign(m)) return;
        at(`groups[${i}].members[${j}]`, () =>
          realm.directory.addForeignMember(g.name, sidOfName(realms, realm, m)),
        );
      });
    });
    const grant = (path: string, account: string, grantees: readonly string[] | undefined) => {
      (grantees ?? []).forEach((name, k) => {
        at(`${path}.allowedToAuthenticate[${k}]`, () =>
          realm.allowToAuthenticate(account, sidOfName(realms, realm, name)),
        );
      });
    };
    for (const [i, u] of spec.users.entries()) grant(`users[${i}]`, u.name, u.allowedToAuthenticate);
    for (const [i, c] of spec.computers.entries()) {
      grant(`computers[${i}]`, `${c.name.replace(/\$$/, '').toUpperCase()}$`, c.allowedToAuthenticate);
    }
    for (const [i, v] of spec.services.entries()) grant(`services[${i}]`, v.spn, v.allowedToAuthenticate);
    // Resource-based delegation names the accounts that may act on the account's behalf: each must
    // be one the file defines, or it would silently never match (SQL01 for the computer SQL01$).
    const delegates = (path: string, d: DelegationSpec | undefined) => {
      (d?.allowedFrom ?? []).forEach((name, k) => {
        at(`${path}.delegation.allowedFrom[${k}]`, () => requireAccount(realms, realm, name));
      });
    };
    for (const [i, u] of spec.users.entries()) delegates(`users[${i}]`, u.delegation);
    for (const [i, c] of spec.computers.entries()) delegates(`computers[${i}]`, c.delegation);
    for (const [i, v] of spec.services.entries()) delegates(`services[${i}]`, v.delegation);
  });
}

/**
 * Refuses a name (`websvc`, `SQL01$`, `HTTP/web.contoso.com`, `websvc@CONTOSO.COM`) that names no
 * principal of the file's realms, saying what was likely meant.
 */
function requireAccount(realms: ReadonlyMap<string, Realm>, own: Realm, name: string): void {
  const p = parsePrincipal(name, own.name);
  const realm = realms.get(p.realm);
  if (realm === undefined) throw new RangeError(`no realm named ${p.realm} in this file`);
  const account = p.name.nameString.join('/');
  if (realm.lookup(p.name) !== undefined) return;
  const computer = p.name.nameString.length === 1 && realm.lookup(`${account}$`) !== undefined;
  throw new RangeError(
    `no account ${account} in ${realm.name}${computer ? ` (the computer account is ${account}$)` : ''}`,
  );
}

/** `exclusive: false` for `serveKdc`'s listen and bind: the sockets of a Node cluster's primary, shared. */
const SHARED_SOCKETS = { exclusive: false } as const;

/**
 * Start every realm of `topology`: build the realms and trusts, one KDC per
 * realm, and (unless `listen: false`) one UDP+TCP listener per KDC on
 * `host`, on the realm's `port` or an OS-chosen one shared by UDP and TCP.
 * With `dir`, write `krb5.conf`, the keytabs and `ports.json` there.
 *
 * @example
 * ```ts
 * const topo = await startTopology(parseTopology(text), { dir: '/tmp/lab' });
 * // KRB5_CONFIG=/tmp/lab/krb5.conf kinit alice@CONTOSO.COM
 * await topo.close();
 * ```
 */
export async function startTopology(
  file: TopologyFile,
  options: StartTopologyOptions = {},
): Promise<RunningTopology> {
  // Its passwords never print (a worker's copy came as plain data), and the check values are the same either way.
  const topology = withSecretPasswords(file);
  const host = options.host ?? '127.0.0.1';
  // A replica would serve a proxy of its own, to a copy of the realm the others' changes never reach.
  if (options.listen !== false && options.replicaOf !== undefined) refuseKdcProxy(topology);
  const kdcCertificates = await issueTopologyCertificates(topology, options.clock ?? systemClock);
  // The seed drawn once: a resync builds the same realms again.
  const seed = options.seed ?? randomSeed();
  const build = () =>
    buildRealms(topology, {
      ...options,
      seed,
      ...(kdcCertificates !== undefined && { certificates: kdcCertificates }),
    });
  const realms = build();
  // The users' certificates, once their accounts exist: in an AD realm they name each account's SID (KB5014754).
  const certificates =
    kdcCertificates &&
    (await issueUserCertificates(kdcCertificates, topology, realms, options.clock ?? systemClock));
  for (const change of options.passwordChanges ?? []) applyPasswordChange(realms, change);
  const checks = new Map([...realms].map(([name, realm]) => [name, replicaCheck(realm, topology)]));
  // Before any socket opens: a replica of other keys must not start.
  const replicaKdcs =
    options.replicaOf === undefined ? undefined : await readReplicaOf(options.replicaOf, topology, checks);
  // A replica follows the password changes of the process it replicates (password-feed.ts), from the start.
  const feed = options.replicaOf === undefined ? undefined : await readReplicaFeed(options.replicaOf);
  const reader =
    feed?.passwordChanges === undefined ? undefined : new PasswordFeedReader(feed.passwordChanges);
  let feedFailure: string | undefined;
  const pullPasswordChanges = (): number => {
    const skipped = reader?.skipped ?? 0;
    const restarts = reader?.restarts ?? 0;
    const wasMissing = reader?.missing ?? false;
    let changes: PasswordChange[];
    try {
      changes = reader?.read() ?? [];
      feedFailure = undefined;
    } catch (e) {
      // From a timer: a feed that cannot be read ends nothing; the replica serves what it has.
      const why = e instanceof Error ? e.message : String(e);
      if (why !== feedFailure) options.transportLog?.(`password-change feed not read: ${why}; serving on`);
      feedFailure = why;
      return 0;
    }
    if (reader !== undefined && reader.missing !== wasMissing) {
      options.transportLog?.(
        reader.missing
          ? 'password-change feed gone (the primary stopped?); serving on with the passwords as they are'
          : 'password-change feed back; following it again',
      );
    }
    if (reader !== undefined && reader.restarts > restarts) {
      // Its process started again: a new feed, over the topology's passwords. What the old feed
      // changed is undone as MIT's kpropd does a full resync, then the new feed applies.
      resync();
      options.transportLog?.(
        'password-change feed begun again (its process restarted): realms rebuilt from the topology and seed',
      );
    }
    if (reader !== undefined && reader.skipped > skipped) {
      options.transportLog?.(
        `password-change feed: ${reader.skipped - skipped} line(s) that are no change, skipped`,
      );
    }
    for (const change of changes) {
      applyPasswordChange(realms, change);
      options.transportLog?.(
        `${change.realm} password of ${change.principal} changed at the primary: applied`,
      );
    }
    return changes.length;
  };
  // A process that serves the password-change service alone (not a worker, not a replica) writes the feed.
  const feedFile =
    options.dir !== undefined &&
    options.listen !== false &&
    options.shareSockets !== true &&
    options.replicaOf === undefined
      ? resolve(options.dir, PASSWORD_FEED_FILE)
      : undefined;
  if (feedFile !== undefined) {
    await mkdir(options.dir!, { recursive: true, mode: 0o700 });
    createPasswordFeed(feedFile);
  }
  // The password-change service, for kadmin/changepw (buildRealms added it); its changes go to the feed.
  const kpasswdFor = (name: string, realm: Realm): KpasswdService =>
    new KpasswdService(realm, {
      ...(options.kpasswdLog !== undefined && { log: (line: string) => options.kpasswdLog!(name, line) }),
      ...(feedFile !== undefined && {
        onChange: (principal: string, password: string) => {
          try {
            appendPasswordChange(feedFile, { realm: name, principal, password });
          } catch (e) {
            // The realm holds the change; the kpasswd log line says its replicas will not.
            throw new Error(`not written to ${feedFile}, so no replica gets it: ${(e as Error).message}`);
          }
        },
      }),
    });
  // Each realm's KDC and password-change service, by realm name: made again by a resync.
  const kdcs = new Map<string, Kdc>();
  const kpasswds = new Map<string, KpasswdService>();
  const loggers = new Map<string, ReturnType<typeof requestLogger>>();
  const errorsOnly = options.logRequests === 'errors';
  const kdcFor = (name: string, realm: Realm): Kdc => {
    if (!loggers.has(name) && options.log !== undefined) {
      loggers.set(name, requestLogger(name, realm.clock, options.log, errorsOnly));
    }
    const logger = loggers.get(name);
    return new Kdc(realm, {
      ...(logger !== undefined && { onRequest: logger.onRequest }),
      ...(options.onInternalError !== undefined && {
        onInternalError: (e: unknown) => options.onInternalError!(name, e),
      }),
    });
  };
  /** Every realm built again from the topology and seed, without a password change since: new KDCs. */
  const resync = (): void => {
    for (const [name, realm] of build()) {
      realms.set(name, realm);
      kdcs.set(name, kdcFor(name, realm));
      if (kpasswds.has(name)) kpasswds.set(name, kpasswdFor(name, realm));
    }
  };
  pullPasswordChanges();
  const servers = new Map<string, KdcServerInfo>();
  // The kdcProxy realms' handlers: their KDC's (the listener's, so logs and traces see proxied
  // requests too) and their password-change service's.
  const proxied = new Map<string, KdcHandler>();
  const proxiedKpasswd = new Map<string, KdcHandler>();
  let kdcProxyCa: string | undefined;
  const closers: (() => Promise<void> | void)[] = [];
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await Promise.allSettled(closers.reverse().map((c) => c()));
  };

  try {
    for (const spec of topology.realms) {
      const realm = realms.get(spec.name)!;
      // The KDC's structured event for each request (handle() emits it before it returns).
      kdcs.set(spec.name, kdcFor(spec.name, realm));
      const logger = loggers.get(spec.name);
      if (options.listen === false) continue;
      // The transport's peer too: an MIT realm checks a TGT's addresses against it. The realm's KDC
      // of the moment: a resync makes another.
      const handle = (request: Uint8Array, info: KdcRequestInfo): Uint8Array =>
        kdcs.get(spec.name)!.handle(request, info);
      const answer = logger === undefined ? handle : logger.wrap(handle);
      const trace = options.trace;
      const to = kdcParticipant(spec.name);
      const handler =
        trace === undefined
          ? answer
          : (request: Uint8Array, info: KdcRequestInfo): Uint8Array => {
              const reply = answer(request, info);
              trace.record({ from: clientParticipant(info), to, transport: info.transport, request, reply });
              return reply;
            };
      // Port 0 for both: transport binds UDP and TCP to one OS-chosen port.
      const serveOptions: ServeKdcOptions = {
        host,
        udpPort: spec.port ?? 0,
        tcpPort: spec.port ?? 0,
        realm: spec.name,
        clock: realm.clock,
        ...(options.transportLog !== undefined && {
          log: (line: string) => options.transportLog!(`${spec.name} ${line}`),
        }),
        ...(options.shareSockets === true && SHARED_SOCKETS),
      };
      const server = await serveKdc(handler, serveOptions);
      closers.push(() => server.close());
      let kpasswdPort: number | undefined;
      if (options.shareSockets !== true && options.replicaOf === undefined) {
        kpasswds.set(spec.name, kpasswdFor(spec.name, realm));
        // In the trace too (`--html`, `--pcap`): the password-change exchanges, on port 464 in the capture.
        const changes = (request: Uint8Array, info: KdcRequestInfo): Uint8Array => {
          const reply = kpasswds.get(spec.name)!.handle(request);
          trace?.record({
            from: clientParticipant(info),
            to,
            transport: info.transport,
            protocol: 'kpasswd',
            request,
            reply,
          });
          return reply;
        };
        const kp = await serveKdc(changes, {
          host,
          realm: spec.name,
          clock: realm.clock,
          protocol: 'kpasswd',
          ...(options.transportLog !== undefined && {
            log: (line: string) => options.transportLog!(`${spec.name} kpasswd ${line}`),
          }),
        });
        closers.push(() => kp.close());
        kpasswdPort = kp.udpPort!;
        if (spec.kdcProxy === true) proxiedKpasswd.set(spec.name, changes);
      }
      // A worker's KDC is reached through the primary's proxy (serve-workers.ts), not one of its own.
      if (spec.kdcProxy === true && options.shareSockets !== true) proxied.set(spec.name, handler);
      servers.set(spec.name, {
        realm: spec.name,
        host,
        udpPort: server.udpPort!,
        tcpPort: server.tcpPort!,
        ...(kpasswdPort !== undefined && { kpasswdPort }),
      });
    }
    if (proxied.size > 0) {
      const served = await serveKdcProxyFor(host, proxied, proxiedKpasswd, options.transportLog);
      closers.push(() => served.close());
      kdcProxyCa = served.ca;
      for (const name of proxied.keys()) {
        servers.set(name, { ...servers.get(name)!, kdcProxyUrl: served.url });
      }
    }
    const pollMs = options.replicaPollMs ?? 250;
    if (reader !== undefined && options.listen !== false && pollMs > 0) {
      // Follow the primary's changes while serving (a poll behind at most; the timer keeps no process alive).
      const timer = setInterval(pullPasswordChanges, pollMs);
      timer.unref();
      closers.push(() => clearInterval(timer));
    }
    const files =
      options.dir === undefined
        ? undefined
        : await writeTopologyFiles(options.dir, {
            topology,
            realms,
            servers,
            ...(options.libdefaults !== undefined && { libdefaults: options.libdefaults }),
            ...(replicaKdcs !== undefined && { replicaKdcs }),
            ...(feed !== undefined && { replicaKpasswd: feed.kpasswd }),
            // A replica names the feed it follows, so that a replica of it follows that one too.
            ...((feedFile ?? feed?.passwordChanges) !== undefined && {
              passwordChanges: feedFile ?? feed!.passwordChanges!,
            }),
            ...(options.kdcKeytab === true && { kdcKeytab: true }),
            ...(certificates !== undefined && { certificates }),
            ...(kdcProxyCa !== undefined && { kdcProxyCa }),
            checks,
            now: (options.clock ?? systemClock).now(),
          });
    return {
      realms,
      kdcs,
      servers,
      topology,
      checks,
      ...(files !== undefined && { files }),
      ...(kdcProxyCa !== undefined && { kdcProxyCa }),
      pullPasswordChanges,
      resync,
      close,
      [Symbol.asyncDispose]: close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}

/**
 * One HTTPS KDC proxy (MS-KKDCP) for the `kdcProxy` realms, at {@link KDC_PROXY_PATH} on an
 * OS-chosen port of `host`, with a certificate from a CA made for this run: for the address
 * clients connect to (`127.0.0.1` for a `0.0.0.0` bind) and `localhost`. Its URL names that address.
 */
export async function serveKdcProxyFor(
  host: string,
  kdcs: ReadonlyMap<string, KdcHandler>,
  kpasswd: ReadonlyMap<string, KdcHandler>,
  log: ((line: string) => void) | undefined,
): Promise<{ url: string; ca: string; close(): Promise<void> }> {
  const reach = connectableHost(host);
  // Validity from the system clock, whatever the realms' clock: TLS clients check it against theirs.
  const ca = await createSelfSignedCa({ commonName: 'krbsim KDC proxy CA' });
  const cert = await issueServerCertificate(ca, {
    ipAddresses: isIP(reach) === 0 ? [] : [reach],
    dnsNames: isIP(reach) === 0 && reach !== 'localhost' ? [reach, 'localhost'] : ['localhost'],
  });
  const proxy = new KdcProxy(kdcProxyRoute(kdcs), { kpasswd: kdcProxyRoute(kpasswd) });
  const server = await serveKdcProxy(proxy, {
    cert: cert.certPem,
    key: cert.keyPem,
    host,
    path: KDC_PROXY_PATH,
    ...(log !== undefined && { log }),
  });
  return {
    url: `https://${connectableHostPort(host, server.port)}${KDC_PROXY_PATH}`,
    ca: ca.certPem,
    close: () => server.close(),
  };
}

/** A traced client: `client <address>`, one participant per address rather than per source port. */
function clientParticipant(info: KdcRequestInfo): string {
  const peer = info.peer;
  // The KDC proxy hands requests over without the client's address.
  if (peer === undefined) return info.transport === 'kkdcp' ? 'client (via KDC proxy)' : 'client';
  const at = peer.lastIndexOf(':');
  const host = at > 0 ? peer.slice(0, at) : peer;
  return `client ${host.replace(/^\[(.*)\]$/, '$1')}`;
}
