/**
 * The topology file `krbsim serve` reads: realms, their principals and
 * policies, and the trusts between them, as JSON or YAML.
 *
 * ```yaml
 * realms:
 *   - name: CONTOSO.COM
 *     kind: active-directory          # answer as a Windows DC (default: mit)
 *     domains: [contoso.com]          # hosts under these DNS domains live in this realm
 *     port: 18088                     # optional: UDP and TCP port of its KDC (default: OS-chosen)
 *     kdcProxy: false                 # true: also an HTTPS KDC proxy (MS-KKDCP), which krb5.conf names
 *     policy: { maxTicketLife: 10h, maxRenewLife: 7d, clockSkew: 5m, allowWeakCrypto: false }
 *     # policy.fast: none | supported | required (FAST, RFC 6113; default: mit supported, AD none)
 *     # policy.fastStrengthenKey: false for Heimdal 7 kinit, which ignores FAST strengthen keys
 *     # policy.allowAnonymous: true for anonymous PKINIT (RFC 8062, MIT kinit -n); needs pkinit
 *     # policy.renewsTickets: false refuses RENEW (KDC_ERR_BADOPTION) of renewable tickets, as Azure AD does
 *     # policy.requireTgsReqChecksum: false serves TGS-REQs without a body checksum, as Windows DCs do
 *     # policy.starttimeAlways: starttime in every ticket and reply (default: AD true, mit false)
 *     # policy.minPasswordLength, passwordComplexity, passwordHistory, minPasswordAge: kpasswd's rules
 *     #   (default: mit none; AD's Default Domain Policy 7, true, 24, 1d; minPasswordAge: 0 for none)
 *     # policy.maxPasswordAge: passwords expire that long after they are set (default 0: never)
 *     users:
 *       - { name: alice, password: correct horse }
 *       - { name: svc_sql, password: s3rv1ce, spns: [MSSQLSvc/db.contoso.com:1433] }   # a service account
 *     computers:                      # machine accounts NAME$ holding host/<name>.<domain> and host/NAME
 *       - { name: SQL01, spns: [MSSQLSvc/sql01.contoso.com:1433] }
 *     domainSid: S-1-5-21-1-2-3       # optional: default derived from the realm name
 *     forest: CONTOSO.COM             # optional: the forest root's realm, for a domain of a larger forest
 *     groups:                         # the directory's groups (scope: global, universal, domain-local)
 *       - { name: SqlAdmins, scope: global, members: [alice] }
 *     services:
 *       - { spn: host/server.contoso.com, password: s3rv1ce }   # a random key (from --seed) when no password
 *   - name: FABRIKAM.COM
 *     kind: active-directory
 *     groups:                         # a domain-local group may hold principals of other realms
 *       - { name: WebUsers, scope: domain-local, members: [alice@CONTOSO.COM, SqlAdmins@CONTOSO.COM] }
 *     services:                       # allowedToAuthenticate: users, computers and services too
 *       - { spn: HTTP/web.fabrikam.com, allowedToAuthenticate: [WebUsers, S-1-5-21-1-2-3-1104] }
 * trusts:
 *   - { trusting: FABRIKAM.COM, trusted: CONTOSO.COM, direction: one-way, kind: forest,
 *       topLevelNames: [fabrikam.com], password: tru5t, selectiveAuthentication: true }
 * ```
 *
 * A principal of another realm is `name@REALM` (an account or group of that
 * realm's directory) or its SID; `allowedToAuthenticate` also takes the
 * realm's own accounts and groups by name, and well-known SIDs (`S-1-5-11`,
 * Authenticated Users). Both are resolved once every realm is built.
 *
 * Validation is strict and every error names the bad field, e.g.
 * `realms[0].users[1].password: expected a string`.
 *
 * @module
 */

import {
  ERROR_BRAND,
  ErrorCode,
  isDnsName,
  KerberosError,
  withPlainFields,
  withSecretFields,
} from '@krbsim/core';
import type { RealmPolicy } from '@krbsim/kdc';
import { CST, Lexer, parse as parseYaml } from 'yaml';

/** A realm's policy, in file units (durations as `10h`, `5m`, `7d` or seconds). */
export interface PolicySpec {
  readonly maxTicketLifeMs?: number;
  readonly maxRenewLifeMs?: number;
  readonly clockSkewMs?: number;
  readonly allowWeakCrypto?: boolean;
  /** Issue renewable TGTs when asked (default true). */
  readonly renewableTgt?: boolean;
  /**
   * Honour RENEW requests (default true). `false` with `renewableTgt` left on is Azure AD
   * Kerberos: its TGTs carry the renewable flag, yet a RENEW gets KDC_ERR_BADOPTION.
   */
  readonly renewsTickets?: boolean;
  /** Issue PACs (default: the realm kind's, true in AD realms). */
  readonly issuePac?: boolean;
  /** Refuse this realm's TGTs that carry no PAC (default: the realm kind's). Only with `issuePac`. */
  readonly requirePac?: boolean;
  /** FAST (RFC 6113): `none`, `supported` or `required` (default: the realm kind's). */
  readonly fast?: 'none' | 'supported' | 'required';
  /** Send a FAST strengthen key (default true; off for Heimdal 7 clients). */
  readonly fastStrengthenKey?: boolean;
  /** Issue anonymous tickets by anonymous PKINIT (RFC 8062; needs `pkinit`). Default false. */
  readonly allowAnonymous?: boolean;
  /** Serve a TGS-REQ without a checksum of its body, as Windows DCs do (default false: refused). */
  readonly requireTgsReqChecksum?: boolean;
  /** starttime in every ticket and reply (default: the realm kind's, true in AD realms). */
  readonly starttimeAlways?: boolean;
  /** The password-change service's rules (default: the realm kind's; AD's Default Domain Policy). */
  readonly minPasswordLength?: number;
  readonly passwordComplexity?: boolean;
  readonly passwordHistoryLength?: number;
  readonly minPasswordAgeMs?: number;
  readonly maxPasswordAgeMs?: number;
}

export interface UserSpec {
  readonly name: string;
  /** Readable, but not enumerable in a validated topology: printed and serialized as `'<redacted>'`. */
  readonly password: string;
  readonly requiresPreauth?: boolean;
  readonly disabled?: boolean;
  /** "User must change password at next logon": logons refused until changed through kpasswd. */
  readonly mustChangePassword?: boolean;
  /** SPNs the account serves (a service account). */
  readonly spns?: readonly string[];
  /** Trusted for delegation: tickets for its SPNs are ok-as-delegate (`addUser`'s option). */
  readonly okAsDelegate?: boolean;
  /** What the account may do on others' behalf (S4U). */
  readonly delegation?: DelegationSpec;
  /** "Account is sensitive and cannot be delegated". */
  readonly sensitive?: boolean;
  /**
   * The principals the account grants Allowed to Authenticate (see
   * `Realm.allowToAuthenticate`): `name@REALM`, a name of the account's own
   * realm, or a SID.
   */
  readonly allowedToAuthenticate?: readonly string[];
}

/** Delegation rights (see `DelegationOptions` of `@krbsim/kdc`). */
export interface DelegationSpec {
  readonly trustedToAuthenticate?: boolean;
  readonly allowedTo?: readonly string[];
  readonly allowedFrom?: readonly string[];
}

/** A group of a realm's directory (see `Directory.addGroup`). */
export interface GroupSpec {
  readonly name: string;
  readonly scope: 'global' | 'universal' | 'domain-local';
  /**
   * Accounts (users, `NAME$` computers) and groups of the same realm; in a
   * domain-local group, principals of other realms too (`name@REALM`, or a
   * SID), and in a universal group, of other domains of the forest.
   */
  readonly members: readonly string[];
}

/** A computer account `NAME$` (see `Realm.addComputer`). */
export interface ComputerSpec {
  readonly name: string;
  readonly password?: string;
  readonly dnsHostName?: string;
  readonly spns?: readonly string[];
  /** A domain controller's account (`addComputer`'s `domainController`). */
  readonly domainController?: 'writable' | 'read-only';
  /** Trusted for delegation: its tickets are ok-as-delegate (`addComputer`'s option; default true for a writable DC). */
  readonly okAsDelegate?: boolean;
  readonly delegation?: DelegationSpec;
  /**
   * The principals the account grants Allowed to Authenticate (see
   * `Realm.allowToAuthenticate`): `name@REALM`, a name of the account's own
   * realm, or a SID.
   */
  readonly allowedToAuthenticate?: readonly string[];
}

export interface ServiceSpec {
  readonly spn: string;
  readonly password?: string;
  readonly aliases?: readonly string[];
  /** Trusted for delegation: its tickets are ok-as-delegate (`addService`'s option). */
  readonly okAsDelegate?: boolean;
  readonly delegation?: DelegationSpec;
  /**
   * The principals the account grants Allowed to Authenticate (see
   * `Realm.allowToAuthenticate`): `name@REALM`, a name of the account's own
   * realm, or a SID.
   */
  readonly allowedToAuthenticate?: readonly string[];
}

/**
 * `pkinit:` of a realm (`true`, or these options): the realm serves PKINIT
 * with a KDC certificate, and each user gets a client certificate, from the
 * topology's lab CA (see `topology-pkinit.ts`).
 */
export interface PkinitSpec {
  readonly requireFreshness?: boolean;
  readonly clientEku?: 'kpClientAuth' | 'scLogin' | 'windows' | 'none';
  readonly allowUpn?: boolean;
  /** KB5014754 in an active-directory realm (`PkinitOptions.certificateMappingEnforcement`). */
  readonly certificateMappingEnforcement?: 'full' | 'compatibility';
}

export interface RealmFileSpec {
  readonly name: string;
  /** Which product the realm answers like (`Realm` option `kind`). */
  readonly kind: 'mit' | 'active-directory';
  /** The directory's domain SID (default: derived from the realm name). */
  readonly domainSid?: string;
  /** The forest of the realm's domain, by its root domain's realm (default: the realm itself). */
  readonly forest?: string;
  /** Groups of the realm's directory, in file order (members may name groups defined later). */
  readonly groups: readonly GroupSpec[];
  /** The UDP and TCP port `krbsim serve` binds this realm's KDC to; unset: OS-chosen. */
  readonly port?: number;
  readonly domains: readonly string[];
  readonly policy: PolicySpec;
  readonly users: readonly UserSpec[];
  readonly computers: readonly ComputerSpec[];
  readonly services: readonly ServiceSpec[];
  readonly pkinit?: PkinitSpec;
  /**
   * `kdcProxy: true`: `krbsim serve` also serves the realm through an HTTPS
   * KDC proxy (MS-KKDCP), as Azure AD's KERBEROS.MICROSOFTONLINE.COM is
   * reached only through `https://login.microsoftonline.com/<tenant>/kerberos`,
   * and `krb5.conf` names the proxy (`kdc` and `kpasswd_server`, with
   * `http_anchors`) instead of the UDP/TCP port, so MIT's tools go through
   * HTTPS. Served by a single process: not with `--workers` or `--replica-of`.
   * Set only when true (default false).
   */
  readonly kdcProxy?: boolean;
}

export interface TrustFileSpec {
  readonly trusting: string;
  readonly trusted: string;
  readonly direction: 'one-way' | 'two-way';
  readonly kind: 'external' | 'forest' | 'realm';
  readonly topLevelNames: readonly string[];
  /** Names routed to `trusted` (`createTrust`'s option; two-way trusts). Set only when non-empty. */
  readonly trustedTopLevelNames?: readonly string[];
  readonly password?: string;
  /** Selective authentication into `trusting` (`createTrust`'s option). Set only when true. */
  readonly selectiveAuthentication?: boolean;
  /** SID filter quarantining (`createTrust`'s option; default by kind). */
  readonly quarantine?: boolean;
  /** A forest trust's SID history switch (`createTrust`'s option). */
  readonly enableSidHistory?: boolean;
  /**
   * Whether ok-as-delegate crosses the trust (`createTrust`'s option; default: true within a forest
   * unless quarantined, else false; true between forests needs `quarantine: false` on a non-forest trust).
   */
  readonly tgtDelegation?: boolean;
}

/** A validated topology file. */
export interface TopologyFile {
  readonly realms: readonly RealmFileSpec[];
  readonly trusts: readonly TrustFileSpec[];
}

/** A topology file that does not validate; `path` names the bad field. */
export class TopologyError extends KerberosError {
  /** This class's brand: `instanceof` holds across copies of the package (see `hasErrorBrand`). */
  static override readonly [ERROR_BRAND]: string = '@krbsim/cli:TopologyError';

  readonly path: string;
  constructor(path: string, problem: string) {
    super(ErrorCode.KRB_ERR_GENERIC, `${path}: ${problem}`);
    this.path = path;
  }
  override get name(): string {
    return 'TopologyError';
  }
}

/**
 * @internal Runs `f`, a step of building what a file describes: what the
 * realm or the lab refuses (a duplicate name, an SPN taken, a SID out of
 * range) is the file's fault, reported as a TopologyError naming `path`, as
 * validation reports a field. Shared with the Azure lab (`azure-lab.ts`).
 */
export function atField<T>(path: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof TopologyError) throw e;
    if (e instanceof KerberosError || e instanceof RangeError) throw new TopologyError(path, e.message);
    throw e;
  }
}

type Obj = Record<string, unknown>;

/** The longest value an error message quotes. */
const QUOTE_MAX = 60;

/**
 * What `v` is, for an error about the field at `path`. Security: a password
 * field's value is never quoted (an error is printed and may be logged), and
 * a long value is cut.
 */
function describe(v: unknown, path: string, quote = true): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  if (/(^|\.)password$/i.test(path)) return `a ${typeof v} (not shown: a password)`;
  // `1e400` reads as Infinity, which JSON.stringify would print as null.
  if (typeof v === 'number' && !Number.isFinite(v)) {
    return Number.isNaN(v) ? 'a number that is not a number (NaN)' : `a number too large (${v})`;
  }
  // Where an object or a list should be, a string may be anything (a password, a whole file): its length only.
  if (typeof v === 'string' && !quote) return `a string of ${v.length} characters (not shown)`;
  const text = JSON.stringify(v);
  return `${typeof v} ${text.length > QUOTE_MAX ? `${text.slice(0, QUOTE_MAX)}...` : text}`;
}

/** @internal A validation step shared with the Azure lab's file form (`azure-lab-file.ts`). */
export function obj(v: unknown, path: string, allowed: readonly string[]): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new TopologyError(path, `expected an object, got ${describe(v, path, false)}`);
  }
  for (const k of Object.keys(v)) {
    if (!allowed.includes(k)) {
      throw new TopologyError(`${path}.${k}`, `unknown field (expected one of: ${allowed.join(', ')})`);
    }
  }
  return v as Obj;
}

/** @internal A validation step shared with the Azure lab's file form (`azure-lab-file.ts`). */
export function list(v: unknown, path: string, optional = true): unknown[] {
  if (v === undefined && optional) return [];
  if (!Array.isArray(v)) throw new TopologyError(path, `expected a list, got ${describe(v, path, false)}`);
  return v;
}

/** @internal A validation step shared with the Azure lab's file form (`azure-lab-file.ts`). */
export function str(v: unknown, path: string): string {
  if (typeof v !== 'string' || v.length === 0) {
    throw new TopologyError(path, `expected a non-empty string, got ${describe(v, path)}`);
  }
  return v;
}

/** @internal A validation step shared with the Azure lab's file form (`azure-lab-file.ts`). */
export function optStr(v: unknown, path: string): string | undefined {
  return v === undefined ? undefined : str(v, path);
}

/** @internal A validation step shared with the Azure lab's file form (`azure-lab-file.ts`). */
export function optBool(v: unknown, path: string): boolean | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean')
    throw new TopologyError(path, `expected true or false, got ${describe(v, path)}`);
  return v;
}

/** @internal A validation step shared with the Azure lab's file form (`azure-lab-file.ts`). */
export function oneOf<T extends string>(v: unknown, path: string, values: readonly T[], fallback?: T): T {
  if (v === undefined && fallback !== undefined) return fallback;
  if (typeof v !== 'string' || !values.includes(v as T)) {
    throw new TopologyError(path, `expected one of ${values.join(', ')}, got ${describe(v, path)}`);
  }
  return v as T;
}

/** @internal A validation step shared with the Azure lab's file form (`azure-lab-file.ts`). */
export function optPort(v: unknown, path: string): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 65535) {
    throw new TopologyError(path, `expected a port number 1..65535, got ${describe(v, path)}`);
  }
  return v;
}

const units: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * The longest duration a file may give: 100 years (36500d). A ticket's or a password's end is a
 * KerberosTime, which stops at year 9999: past that, every request would fail with no word why.
 */
const MAX_DURATION_DAYS = 36_500;

/** `90` (seconds), `'90s'`, `'5m'`, `'10h'`, `'7d'` → milliseconds, up to {@link MAX_DURATION_DAYS}. */
function duration(v: unknown, path: string): number | undefined {
  if (v === undefined) return undefined;
  let ms: number;
  if (typeof v === 'number' && Number.isInteger(v) && v > 0) ms = v * 1_000;
  else {
    const m = typeof v === 'string' ? /^(\d+)([smhd])$/.exec(v) : null;
    if (m === null)
      throw new TopologyError(path, `expected a duration like 90s, 5m, 10h or 7d, got ${describe(v, path)}`);
    ms = Number(m[1]) * units[m[2]!]!;
    if (ms <= 0) throw new TopologyError(path, 'a duration must be positive');
  }
  if (!(ms <= MAX_DURATION_DAYS * units.d!)) {
    throw new TopologyError(
      path,
      `a duration must be at most ${MAX_DURATION_DAYS}d (100 years): Kerberos times end in year 9999`,
    );
  }
  return ms;
}

/** A count: a whole number from 0. */
function count(v: unknown, path: string): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 1024) {
    throw new TopologyError(path, `expected a whole number from 0 to 1024, got ${describe(v, path)}`);
  }
  return v;
}

/** @internal A validation step shared with the Azure lab's file form (`azure-lab-file.ts`). */
export function realmName(v: unknown, path: string): string {
  const name = str(v, path);
  if (!/^[A-Z0-9]([A-Z0-9-]*[A-Z0-9])?(\.[A-Z0-9]([A-Z0-9-]*[A-Z0-9])?)*$/.test(name)) {
    throw new TopologyError(
      path,
      `realm names are upper-case DNS-style names like CONTOSO.COM, got ${JSON.stringify(name)}`,
    );
  }
  return name;
}

/** A DNS name as a file gives one (`contoso.com`), lower-cased: labels of letters, digits and hyphens. */
function dnsName(v: unknown, path: string): string {
  const name = str(v, path).toLowerCase();
  if (name.endsWith('.') || !isDnsName(name)) {
    throw new TopologyError(path, `expected a DNS name like contoso.com, got ${describe(v, path)}`);
  }
  return name;
}

/**
 * @internal A realm's `policy` in file form, shared with the Azure lab's file
 * (`onPrem.policy`): every key optional, durations as for tickets, the
 * password rules' `0` meaning none.
 */
export function policy(v: unknown, path: string): PolicySpec {
  if (v === undefined) return {};
  const o = obj(v, path, [
    'maxTicketLife',
    'maxRenewLife',
    'clockSkew',
    'allowWeakCrypto',
    'renewableTgt',
    'renewsTickets',
    'issuePac',
    'requirePac',
    'fast',
    'fastStrengthenKey',
    'allowAnonymous',
    'requireTgsReqChecksum',
    'starttimeAlways',
    'minPasswordLength',
    'passwordComplexity',
    'passwordHistory',
    'minPasswordAge',
    'maxPasswordAge',
  ]);
  return {
    maxTicketLifeMs: duration(o.maxTicketLife, `${path}.maxTicketLife`),
    maxRenewLifeMs: duration(o.maxRenewLife, `${path}.maxRenewLife`),
    clockSkewMs: duration(o.clockSkew, `${path}.clockSkew`),
    allowWeakCrypto: optBool(o.allowWeakCrypto, `${path}.allowWeakCrypto`),
    renewableTgt: optBool(o.renewableTgt, `${path}.renewableTgt`),
    renewsTickets: optBool(o.renewsTickets, `${path}.renewsTickets`),
    issuePac: optBool(o.issuePac, `${path}.issuePac`),
    requirePac: optBool(o.requirePac, `${path}.requirePac`),
    fastStrengthenKey: optBool(o.fastStrengthenKey, `${path}.fastStrengthenKey`),
    allowAnonymous: optBool(o.allowAnonymous, `${path}.allowAnonymous`),
    requireTgsReqChecksum: optBool(o.requireTgsReqChecksum, `${path}.requireTgsReqChecksum`),
    starttimeAlways: optBool(o.starttimeAlways, `${path}.starttimeAlways`),
    minPasswordLength: count(o.minPasswordLength, `${path}.minPasswordLength`),
    passwordComplexity: optBool(o.passwordComplexity, `${path}.passwordComplexity`),
    passwordHistoryLength: count(o.passwordHistory, `${path}.passwordHistory`),
    minPasswordAgeMs: o.minPasswordAge === 0 ? 0 : duration(o.minPasswordAge, `${path}.minPasswordAge`),
    maxPasswordAgeMs: o.maxPasswordAge === 0 ? 0 : duration(o.maxPasswordAge, `${path}.maxPasswordAge`),
    ...(o.fast !== undefined && {
      fast: oneOf(o.fast, `${path}.fast`, ['none', 'supported', 'required'] as const),
    }),
  };
}

/**
 * @internal Refuses `policy` keys a realm would hold and never use, naming the key: `requirePac`
 * where the realm issues no PAC (its `issuePac`, or an `mit` realm's default), `allowAnonymous`
 * where it serves no PKINIT (anonymous tickets come by anonymous PKINIT). Shared with the Azure
 * lab's `onPrem.policy`.
 */
export function checkPolicy(
  p: PolicySpec,
  path: string,
  realm: { readonly kind: RealmFileSpec['kind']; readonly pkinit: boolean },
): void {
  const issuePac = p.issuePac ?? realm.kind === 'active-directory';
  if (p.requirePac === true && !issuePac) {
    throw new TopologyError(
      `${path}.requirePac`,
      `the realm issues no PAC (${p.issuePac === false ? 'issuePac: false' : "an mit realm's default"}), so no TGT would be refused for lacking one: set issuePac: true or drop requirePac`,
    );
  }
  if (p.allowAnonymous === true && !realm.pkinit) {
    throw new TopologyError(
      `${path}.allowAnonymous`,
      'anonymous tickets come by anonymous PKINIT (RFC 8062): the realm needs pkinit',
    );
  }
}

/** @internal The realm policy a file's `policy` sets: the keys it gives, the realm kind's defaults for the rest. */
export function policyOf(p: PolicySpec): Partial<RealmPolicy> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(p)) if (v !== undefined) out[k] = v;
  return out as Partial<RealmPolicy>;
}

function realm(v: unknown, path: string): RealmFileSpec {
  const o = obj(v, path, [
    'name',
    'kind',
    'domainSid',
    'forest',
    'domains',
    'port',
    'policy',
    'users',
    'computers',
    'groups',
    'services',
    'pkinit',
    'kdcProxy',
  ]);
  const groups = list(o.groups, `${path}.groups`).map((g, i) => {
    const p = `${path}.groups[${i}]`;
    const go = obj(g, p, ['name', 'scope', 'members']);
    return {
      name: str(go.name, `${p}.name`),
      scope: oneOf(go.scope, `${p}.scope`, ['global', 'universal', 'domain-local'] as const, 'global'),
      members: list(go.members, `${p}.members`).map((m, j) => str(m, `${p}.members[${j}]`)),
    };
  });
  const domainSid = optStr(o.domainSid, `${path}.domainSid`);
  if (domainSid !== undefined && !/^S-1-5-21-\d{1,10}-\d{1,10}-\d{1,10}$/.test(domainSid)) {
    throw new TopologyError(
      `${path}.domainSid`,
      `expected a domain SID like S-1-5-21-1-2-3, got ${JSON.stringify(domainSid)}`,
    );
  }
  const users = list(o.users, `${path}.users`).map((u, i) => {
    const p = `${path}.users[${i}]`;
    const uo = obj(u, p, [
      'name',
      'password',
      'requiresPreauth',
      'disabled',
      'mustChangePassword',
      'spns',
      'okAsDelegate',
      'delegation',
      'sensitive',
      'allowedToAuthenticate',
    ]);
    return {
      name: str(uo.name, `${p}.name`),
      password: str(uo.password, `${p}.password`),
      requiresPreauth: optBool(uo.requiresPreauth, `${p}.requiresPreauth`),
      disabled: optBool(uo.disabled, `${p}.disabled`),
      ...(uo.mustChangePassword !== undefined && {
        mustChangePassword: optBool(uo.mustChangePassword, `${p}.mustChangePassword`),
      }),
      ...(uo.spns !== undefined && { spns: spns(uo.spns, `${p}.spns`) }),
      ...(uo.okAsDelegate !== undefined && { okAsDelegate: optBool(uo.okAsDelegate, `${p}.okAsDelegate`) }),
      ...(uo.delegation !== undefined && { delegation: delegation(uo.delegation, `${p}.delegation`) }),
      ...(uo.sensitive !== undefined && { sensitive: optBool(uo.sensitive, `${p}.sensitive`) }),
      ...allowedToAuthenticate(uo.allowedToAuthenticate, p),
    };
  });
  const computers = list(o.computers, `${path}.computers`).map((c, i) => {
    const p = `${path}.computers[${i}]`;
    const co = obj(c, p, [
      'name',
      'password',
      'dnsHostName',
      'spns',
      'domainController',
      'okAsDelegate',
      'delegation',
      'allowedToAuthenticate',
    ]);
    const name = str(co.name, `${p}.name`);
    if (!/^[A-Za-z0-9][A-Za-z0-9-]{0,14}\$?$/.test(name)) {
      throw new TopologyError(
        `${p}.name`,
        `expected a NetBIOS name (1 to 15 letters, digits or '-'), got ${JSON.stringify(name)}`,
      );
    }
    return {
      name,
      password: optStr(co.password, `${p}.password`),
      dnsHostName: optStr(co.dnsHostName, `${p}.dnsHostName`),
      spns: spns(co.spns, `${p}.spns`),
      ...(co.domainController !== undefined && {
        domainController: oneOf(co.domainController, `${p}.domainController`, [
          'writable',
          'read-only',
        ] as const),
      }),
      ...(co.okAsDelegate !== undefined && { okAsDelegate: optBool(co.okAsDelegate, `${p}.okAsDelegate`) }),
      ...(co.delegation !== undefined && { delegation: delegation(co.delegation, `${p}.delegation`) }),
      ...allowedToAuthenticate(co.allowedToAuthenticate, p),
    };
  });
  const services = list(o.services, `${path}.services`).map((s, i) => {
    const p = `${path}.services[${i}]`;
    const so = obj(s, p, [
      'spn',
      'password',
      'aliases',
      'okAsDelegate',
      'delegation',
      'allowedToAuthenticate',
    ]);
    const spn = spnOf(so.spn, `${p}.spn`);
    return {
      spn,
      password: optStr(so.password, `${p}.password`),
      aliases: list(so.aliases, `${p}.aliases`).map((a, j) => str(a, `${p}.aliases[${j}]`)),
      ...(so.okAsDelegate !== undefined && { okAsDelegate: optBool(so.okAsDelegate, `${p}.okAsDelegate`) }),
      ...(so.delegation !== undefined && { delegation: delegation(so.delegation, `${p}.delegation`) }),
      ...allowedToAuthenticate(so.allowedToAuthenticate, p),
    };
  });
  const port = optPort(o.port, `${path}.port`);
  const forest = o.forest === undefined ? undefined : realmName(o.forest, `${path}.forest`);
  const kdcProxy = optBool(o.kdcProxy, `${path}.kdcProxy`);
  const kind = oneOf(o.kind, `${path}.kind`, ['mit', 'active-directory'] as const, 'mit');
  const pkinit =
    o.pkinit !== undefined && o.pkinit !== false ? pkinitSpec(o.pkinit, `${path}.pkinit`) : undefined;
  const p = policy(o.policy, `${path}.policy`);
  checkPolicy(p, `${path}.policy`, { kind, pkinit: pkinit !== undefined });
  return {
    name: realmName(o.name, `${path}.name`),
    kind,
    ...(domainSid !== undefined && { domainSid }),
    ...(forest !== undefined && { forest }),
    ...(port !== undefined && { port }),
    domains: list(o.domains, `${path}.domains`).map((d, i) => dnsName(d, `${path}.domains[${i}]`)),
    policy: p,
    users,
    computers,
    groups,
    services,
    ...(pkinit !== undefined && { pkinit }),
    ...(kdcProxy === true && { kdcProxy: true }),
  };
}

function pkinitSpec(v: unknown, path: string): PkinitSpec {
  if (v === true) return {};
  const o = obj(v, path, ['requireFreshness', 'clientEku', 'allowUpn', 'certificateMappingEnforcement']);
  return {
    ...(o.requireFreshness !== undefined && {
      requireFreshness: optBool(o.requireFreshness, `${path}.requireFreshness`),
    }),
    ...(o.clientEku !== undefined && {
      clientEku: oneOf(o.clientEku, `${path}.clientEku`, [
        'kpClientAuth',
        'scLogin',
        'windows',
        'none',
      ] as const),
    }),
    ...(o.allowUpn !== undefined && { allowUpn: optBool(o.allowUpn, `${path}.allowUpn`) }),
    ...(o.certificateMappingEnforcement !== undefined && {
      certificateMappingEnforcement: oneOf(
        o.certificateMappingEnforcement,
        `${path}.certificateMappingEnforcement`,
        ['full', 'compatibility'] as const,
      ),
    }),
  };
}

function delegation(v: unknown, path: string): DelegationSpec {
  const o = obj(v, path, ['trustedToAuthenticate', 'allowedTo', 'allowedFrom']);
  return {
    ...(o.trustedToAuthenticate !== undefined && {
      trustedToAuthenticate: optBool(o.trustedToAuthenticate, `${path}.trustedToAuthenticate`),
    }),
    ...(o.allowedTo !== undefined && { allowedTo: spns(o.allowedTo, `${path}.allowedTo`) }),
    ...(o.allowedFrom !== undefined && {
      allowedFrom: list(o.allowedFrom, `${path}.allowedFrom`).map((a, i) =>
        str(a, `${path}.allowedFrom[${i}]`),
      ),
    }),
  };
}

function spnOf(v: unknown, path: string): string {
  const spn = str(v, path);
  if (!spn.includes('/')) throw new TopologyError(path, `expected service/host, got ${JSON.stringify(spn)}`);
  return spn;
}

function spns(v: unknown, path: string): string[] {
  return list(v, path).map((s, i) => spnOf(s, `${path}[${i}]`));
}

function trust(v: unknown, path: string, realms: ReadonlySet<string>): TrustFileSpec {
  const o = obj(v, path, [
    'trusting',
    'trusted',
    'direction',
    'kind',
    'topLevelNames',
    'trustedTopLevelNames',
    'password',
    'selectiveAuthentication',
    'quarantine',
    'enableSidHistory',
    'tgtDelegation',
  ]);
  const trusting = realmName(o.trusting, `${path}.trusting`);
  const trusted = realmName(o.trusted, `${path}.trusted`);
  for (const [field, name] of [
    ['trusting', trusting],
    ['trusted', trusted],
  ] as const) {
    if (!realms.has(name)) throw new TopologyError(`${path}.${field}`, `no realm named ${name} in this file`);
  }
  if (trusting === trusted) throw new TopologyError(`${path}.trusted`, 'a realm cannot trust itself');
  return {
    trusting,
    trusted,
    direction: oneOf(o.direction, `${path}.direction`, ['one-way', 'two-way'] as const, 'one-way'),
    kind: oneOf(o.kind, `${path}.kind`, ['external', 'forest', 'realm'] as const, 'realm'),
    topLevelNames: list(o.topLevelNames, `${path}.topLevelNames`).map((n, i) =>
      dnsName(n, `${path}.topLevelNames[${i}]`),
    ),
    ...(o.trustedTopLevelNames !== undefined && {
      trustedTopLevelNames: list(o.trustedTopLevelNames, `${path}.trustedTopLevelNames`).map((n, i) =>
        dnsName(n, `${path}.trustedTopLevelNames[${i}]`),
      ),
    }),
    password: optStr(o.password, `${path}.password`),
    ...(optBool(o.selectiveAuthentication, `${path}.selectiveAuthentication`) === true && {
      selectiveAuthentication: true,
    }),
    ...(o.quarantine !== undefined && { quarantine: optBool(o.quarantine, `${path}.quarantine`) }),
    ...(o.enableSidHistory !== undefined && {
      enableSidHistory: optBool(o.enableSidHistory, `${path}.enableSidHistory`),
    }),
    ...(o.tgtDelegation !== undefined && {
      tgtDelegation: optBool(o.tgtDelegation, `${path}.tgtDelegation`),
    }),
  };
}

/** `allowedToAuthenticate` of an account at `path`: a list of names and SIDs, when given. */
function allowedToAuthenticate(v: unknown, path: string): { allowedToAuthenticate?: readonly string[] } {
  if (v === undefined) return {};
  const p = `${path}.allowedToAuthenticate`;
  return { allowedToAuthenticate: list(v, p).map((a, i) => str(a, `${p}[${i}]`)) };
}

/**
 * @internal Refuses a topology with a `kdcProxy` realm where more than one
 * process serves it (`--workers`, `--replica-of`): the proxy, its certificate
 * and the password-change service behind it live in one process.
 */
export function refuseKdcProxy(topology: TopologyFile): void {
  const i = topology.realms.findIndex((r) => r.kdcProxy === true);
  if (i >= 0) {
    throw new TopologyError(
      `realms[${i}].kdcProxy`,
      'a replica serves no KDC proxy (not with --replica-of): its copy of the realm is its own',
    );
  }
}

/** Validates a parsed topology document. */
export function validateTopology(doc: unknown): TopologyFile {
  const o = obj(doc, 'topology', ['realms', 'trusts']);
  const realms = list(o.realms, 'realms', false).map((r, i) => realm(r, `realms[${i}]`));
  if (realms.length === 0) throw new TopologyError('realms', 'at least one realm is needed');
  const names = new Set<string>();
  realms.forEach((r, i) => {
    if (names.has(r.name)) throw new TopologyError(`realms[${i}].name`, `realm ${r.name} appears twice`);
    names.add(r.name);
  });
  // One realm per DNS domain: [domain_realm] maps a name to one realm, and a second claim would win silently.
  const domains = new Map<string, string>();
  realms.forEach((r, i) => {
    r.domains.forEach((d, j) => {
      const path = `realms[${i}].domains[${j}]`;
      const other = domains.get(d);
      if (other !== undefined) throw new TopologyError(path, `${d} is already claimed at ${other}`);
      domains.set(d, path);
    });
  });
  const ports = new Map<number, number>();
  realms.forEach((r, i) => {
    if (r.port === undefined) return;
    const other = ports.get(r.port);
    if (other !== undefined) {
      throw new TopologyError(`realms[${i}].port`, `port ${r.port} is already used by realms[${other}]`);
    }
    ports.set(r.port, i);
  });
  const trusts = list(o.trusts, 'trusts').map((t, i) => trust(t, `trusts[${i}]`, names));
  return withSecretPasswords({ realms, trusts });
}

/**
 * `topology` with the `password` of every user, computer, service and trust readable but not
 * printed: not enumerable, `'<redacted>'` under `util.inspect` and `JSON.stringify` (see
 * `withSecretFields`, @krbsim/core). What {@link validateTopology} returns, and `startTopology` keeps.
 */
export function withSecretPasswords(topology: TopologyFile): TopologyFile {
  return mapPasswords(topology, (r) => withSecretFields(r, ['password']));
}

/**
 * @internal `topology` as plain data, its passwords enumerable again: for the start message a
 * `--workers` primary sends its workers (JSON over IPC, which would carry `'<redacted>'`).
 */
export function withPlainPasswords(topology: TopologyFile): TopologyFile {
  return mapPasswords(topology, (r) => withPlainFields(r, ['password']));
}

function mapPasswords(
  topology: TopologyFile,
  f: <T extends { readonly password?: string }>(record: T) => T,
): TopologyFile {
  return {
    ...topology,
    realms: topology.realms.map((r) => ({
      ...r,
      users: r.users.map(f),
      computers: r.computers.map(f),
      services: r.services.map(f),
    })),
    trusts: topology.trusts.map(f),
  };
}

/**
 * @internal A serve file's text as data (`format` defaults to YAML, a superset
 * of JSON), before validation; shared with `serve-file.ts`.
 *
 * @throws TopologyError saying what is wrong and where. Security: a parser's
 *   message may quote the source, which may hold a password. JSON.parse's
 *   does (`Unexpected token 'H', ..."password":Hunter2"...`), and so do the
 *   YAML parser's (`Invalid escape sequence \U5ecretHu`, an alias's name): an
 *   error here says what is wrong in words of its own and the line and column,
 *   never the text. Its warnings (an unknown `!tag`, with the line) are not
 *   printed. A file nested deeper than {@link MAX_NESTING} is refused before
 *   either parser reads it (a parser's memory and stack grow with the depth).
 */
export function parseDocument(text: string, format: 'json' | 'yaml' = 'yaml'): unknown {
  const deep = format === 'json' ? jsonTooDeep(text) : yamlTooDeep(text);
  if (deep !== undefined) {
    throw new TopologyError(
      'topology',
      `nested deeper than ${MAX_NESTING} levels at ${lineColumn(text, deep)} (a serve file needs a few)`,
    );
  }
  if (format === 'json') {
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      throw new TopologyError('topology', `not valid JSON: ${jsonSyntaxError(text)}`);
    }
    // JSON.parse keeps the last of two equal keys, silently dropping the first's settings.
    const duplicate = jsonDuplicateKey(text);
    if (duplicate !== undefined) {
      throw new TopologyError(
        'topology',
        `not valid JSON: Map keys must be unique at ${lineColumn(text, duplicate)}`,
      );
    }
    return data;
  }
  try {
    return parseYaml(text, YAML_OPTIONS);
  } catch (e) {
    throw new TopologyError('topology', `not valid YAML: ${yamlProblem(e)}`);
  }
}

/** Warnings (an unresolved `!tag`) would go to stderr with the source line they are on: not printed. */
const YAML_OPTIONS = { logLevel: 'error' } as const;

/**
 * The deepest a serve file may nest its objects and lists (a topology needs 5). Deeper is refused
 * before parsing: the YAML parser's memory and stack grow with the depth (2 MB of `[` took 1.2 GB
 * and overflowed the stack).
 */
const MAX_NESTING = 64;

/** `line 3, column 14` of the character at `at` in `text`. */
function lineColumn(text: string, at: number): string {
  const before = text.slice(0, at);
  const line = before.split('\n').length;
  const column = at - before.lastIndexOf('\n');
  return `line ${line}, column ${column}`;
}

/** The YAML parser's refusal of a file whose aliases would expand it without bound. */
const EXCESSIVE_ALIASES =
  'too many aliases (*name): the file would expand to far more than it holds (a "billion laughs" file)';

/** What the YAML parser refused, in words of its own: its messages may quote the source. */
const YAML_PROBLEMS: Readonly<Record<string, string>> = {
  ALIAS_PROPS: 'an alias (*name) cannot carry an anchor or a tag',
  BAD_ALIAS: 'an alias (*name) refers to no anchor (&name) before it',
  BAD_COLLECTION_TYPE: 'a tag (!name) that does not fit its collection',
  BAD_DIRECTIVE: 'a % directive YAML does not have',
  BAD_DQ_ESCAPE: 'an escape (\\) a double-quoted string does not have',
  BAD_INDENT: 'bad indentation',
  BAD_PROP_ORDER: 'an anchor or tag where none may be',
  BAD_SCALAR_START: 'a plain value cannot start with this character (quote it)',
  BLOCK_AS_IMPLICIT_KEY: 'a key cannot be a block value',
  BLOCK_IN_FLOW: 'a block value inside [ ] or { }',
  DUPLICATE_KEY: 'Map keys must be unique',
  KEY_OVER_1024_CHARS: 'a key longer than 1024 characters',
  MISSING_CHAR: 'a character is missing (a closing quote or bracket, a colon, a comma)',
  MULTILINE_IMPLICIT_KEY: 'a key cannot span lines',
  MULTIPLE_ANCHORS: 'more than one anchor (&name) on a value',
  MULTIPLE_DOCS: 'more than one document (---): a serve file is one',
  MULTIPLE_TAGS: 'more than one tag (!name) on a value',
  NON_STRING_KEY: 'a key that is not a string',
  RESOURCE_EXHAUSTION: EXCESSIVE_ALIASES,
  TAB_AS_INDENT: 'a tab as indentation (YAML indents with spaces)',
  TAG_RESOLVE_FAILED: 'a value its tag (!name) cannot read',
  UNEXPECTED_TOKEN: 'unexpected text',
};

/** What is wrong, and where, for an error the YAML parser threw: never its message, which may quote the text. */
function yamlProblem(e: unknown): string {
  const error = e as {
    code?: unknown;
    linePos?: readonly { line: number; col: number }[];
    message?: unknown;
  };
  if (typeof error.code === 'string' && Array.isArray(error.linePos)) {
    const what = YAML_PROBLEMS[error.code] ?? `a syntax error (${error.code})`;
    const at = error.linePos[0];
    return at === undefined ? what : `${what} at line ${at.line}, column ${at.col}`;
  }
  // Thrown while the document becomes data (aliases resolved), with no position.
  const message = typeof error.message === 'string' ? error.message : '';
  if (/excessive alias/i.test(message)) return EXCESSIVE_ALIASES;
  if (/alias/i.test(message)) return YAML_PROBLEMS.BAD_ALIAS!;
  return 'not readable';
}

/** Where `text`, as JSON, first nests deeper than {@link MAX_NESTING}; undefined if it does not. */
function jsonTooDeep(text: string): number | undefined {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // A string: skipped to its closing quote (an unclosed one is JSON.parse's to report).
      for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c) i++;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > MAX_NESTING) return i;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return undefined;
}

/**
 * Where `text`, valid JSON, first repeats a key within one object; undefined if it does not.
 * Keys are compared as JSON.parse reads them (`"a"` and `"\u0061"` are one key).
 */
function jsonDuplicateKey(text: string): number | undefined {
  // One entry per open container: an object's keys so far, or null for an array.
  const stack: (Set<string> | null)[] = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      const start = i;
      for (i++; text[i] !== '"'; i++) if (text[i] === '\\') i++;
      const keys = stack.at(-1);
      if (expectKey && keys) {
        const key = JSON.parse(text.slice(start, i + 1)) as string;
        if (keys.has(key)) return start;
        keys.add(key);
      }
      expectKey = false;
    } else if (c === '{') {
      stack.push(new Set());
      expectKey = true;
    } else if (c === '[') {
      stack.push(null);
      expectKey = false;
    } else if (c === '}' || c === ']') stack.pop();
    else if (c === ',') expectKey = stack.at(-1) != null;
  }
  return undefined;
}

/**
 * Where `text`, as YAML, first nests deeper than {@link MAX_NESTING}; undefined if it does not.
 * One pass over the `yaml` package's lexer tokens (which know quoted strings, comments and block
 * scalars), erring toward counting more: a block level for each column a line's first node starts
 * at, deeper than the levels open, and for each node after a `- ` or `? ` (`- k: v` is a list
 * holding a map, `- - x` two lists, a scalar after them counted too), a list whose `- ` stands at
 * its key's column included; a flow level for each `[` and `{`. The parser reports any error.
 */
function yamlTooDeep(text: string): number | undefined {
  // The block levels open, innermost last: the column their nodes start at (increasing, but a
  // list may start at its key's column: `k:` then `- x`), and whether `- ` items make it.
  const levels: { column: number; list: boolean }[] = [];
  let flow = 0;
  let at = 0; // where the token starts in `text`
  let lineOffset = 0; // where the token's line starts
  let lineStart = true;
  let afterIndicator = false; // the previous token was a `- ` or `? ` in block context
  let scalarSource = false;
  for (const token of new Lexer().lex(text)) {
    const start = at;
    const type: CST.TokenType | 'scalar-source' | null = scalarSource
      ? 'scalar-source'
      : CST.tokenType(token);
    // The lexer's markers are not characters of the text; a scalar's marker comes before its text.
    if (type === 'scalar' || type === 'doc-mode' || type === 'flow-error-end') {
      scalarSource = type === 'scalar';
      continue;
    }
    scalarSource = false;
    at += token.length;
    if (type === 'newline') {
      lineStart = true;
      lineOffset = at;
      continue;
    }
    if (type === 'space' || type === 'comment') continue;
    if (flow === 0 && (lineStart || afterIndicator)) {
      const column = start - lineOffset;
      const item = type === 'seq-item-ind';
      // A node left of the innermost level ends it; so does one at a list's column that is no item.
      let top = levels.at(-1);
      while (top !== undefined && (top.column > column || (top.column === column && top.list && !item))) {
        levels.pop();
        top = levels.at(-1);
      }
      // At the innermost level's column: one more of its nodes, unless an item starts a list there.
      if (top === undefined || top.column < column || (item && !top.list))
        levels.push({ column, list: item });
    }
    afterIndicator = flow === 0 && (type === 'seq-item-ind' || type === 'explicit-key-ind');
    // A scalar's text (plain, or a block scalar's lines however indented) may end its last line.
    lineStart = type === 'scalar-source' && token.endsWith('\n');
    if (lineStart) lineOffset = at;
    if (type === 'flow-seq-start' || type === 'flow-map-start') flow++;
    else if (flow > 0 && (type === 'flow-seq-end' || type === 'flow-map-end')) flow--;
    if (levels.length + flow > MAX_NESTING) return start;
  }
  return undefined;
}

/**
 * What is wrong with `text`, which JSON.parse refused, and where: `expected ':' after a property
 * name at line 3, column 14`. Read here rather than from JSON.parse's message, which quotes the
 * text around the error (a password, say); this says nothing of the text but its quotes.
 */
function jsonSyntaxError(text: string): string {
  let i = 0;
  const fail = (what: string): never => {
    throw new JsonSyntax(what, i);
  };
  const space = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const string = () => {
    i++; // the opening quote
    for (;;) {
      const c = text.charCodeAt(i);
      if (Number.isNaN(c)) fail('a string not closed (no closing double quote)');
      if (c === 0x22) {
        i++;
        return;
      }
      if (c < 0x20) fail('a control character (a line break, a tab) inside a string');
      if (c === 0x5c) {
        const e = text[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) fail('a \\u escape without 4 hex digits');
          i += 6;
          continue;
        }
        if (e === undefined || !'"\\/bfnrt'.includes(e)) fail('an escape (\\) JSON does not have');
        i += 2;
        continue;
      }
      i++;
    }
  };
  const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
  // Containers are walked with a stack, not recursion: a file nested deep cannot overflow it.
  const stack: ('{' | '[')[] = [];
  const value = () => {
    space();
    const c = text[i];
    if (c === undefined) fail('the text ends where a value should be');
    if (c === '{' || c === '[') {
      stack.push(c);
      i++;
      space();
      if (text[i] === (c === '{' ? '}' : ']')) {
        stack.pop();
        i++;
        return false;
      }
      if (c === '{') member();
      return true;
    }
    if (c === '"') string();
    else if (c === '-' || (c! >= '0' && c! <= '9')) {
      NUMBER.lastIndex = i;
      if (!NUMBER.test(text)) fail('a number JSON does not allow');
      i = NUMBER.lastIndex;
    } else {
      const literal = ['true', 'false', 'null'].find((l) => text.startsWith(l, i));
      if (literal === undefined) {
        fail(
          c === "'"
            ? "a single quote where a value should be (JSON's strings take double quotes)"
            : 'a value should be here (a string in double quotes, a number, true, false, null, an object or an array)',
        );
      }
      i += literal!.length;
    }
    return false;
  };
  /** A property name and its colon, inside an object. */
  const member = () => {
    space();
    if (text[i] !== '"') {
      fail(
        text[i] === "'"
          ? "a single quote where a property name should be (JSON's names take double quotes)"
          : 'a property name in double quotes should be here',
      );
    }
    string();
    space();
    if (text[i] !== ':') fail("expected ':' after a property name");
    i++;
  };
  try {
    let opened = value();
    for (;;) {
      if (!opened) {
        // A value is complete: what follows it in the container, if any.
        space();
        const top = stack.at(-1);
        if (top === undefined) break;
        const close = top === '{' ? '}' : ']';
        if (text[i] === close) {
          stack.pop();
          i++;
          continue;
        }
        if (text[i] !== ',') {
          fail(
            text[i] === undefined
              ? `the text ends inside an ${top === '{' ? 'object' : 'array'}`
              : `expected ',' or '${close}' after ${top === '{' ? 'a property value' : 'an array element'}`,
          );
        }
        i++;
        if (top === '{') member();
      }
      opened = value();
    }
    space();
    if (i < text.length) fail('more text after the JSON value');
    return 'not readable';
  } catch (e) {
    if (!(e instanceof JsonSyntax)) throw e;
    return `${e.what} at ${lineColumn(text, e.at)}`;
  }
}

/** Where {@link jsonSyntaxError} stopped, and why. */
class JsonSyntax extends Error {
  constructor(
    readonly what: string,
    readonly at: number,
  ) {
    super(what);
  }
}

/** Parses and validates a topology file's text; `format` defaults to YAML (a superset of JSON). */
export function parseTopology(text: string, format: 'json' | 'yaml' = 'yaml'): TopologyFile {
  return validateTopology(parseDocument(text, format));
}
