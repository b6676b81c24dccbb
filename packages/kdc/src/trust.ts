/**
 * Trusts between realms: the inter-realm keys of RFC 4120 section 1.2
 * (`krbtgt/TRUSTING@TRUSTED`, shared by both KDCs) and the rules AD attaches
 * to them (MS-KILE section 3.3.5.4; MS-ADTS trusted domain objects): a
 * direction, a kind that decides transitivity, and top-level names that route
 * host-based service names to the trusting realm.
 *
 * A trust `{ trusting, trusted }` lets principals of `trusted` reach services
 * of `trusting` (and the reverse when two-way). The trusted realm's KDC holds
 * `krbtgt/TRUSTING@TRUSTED` to issue referral TGTs toward the trusting realm;
 * the trusting realm's KDC holds a copy to accept them. A one-way trust
 * creates no key for the other direction, so the trusting realm cannot issue
 * tickets the trusted realm would accept, whatever its policy says.
 *
 * Each realm holds its side of every trust in a directory of its own
 * (internal/trust-directory.ts), as an AD domain holds its trusted domain
 * objects: creating or removing a trust updates the two directories, and the
 * refusals below are lookups in the trusted realm's. Routing then reads
 * these directories (routing-view.ts), never a list of every trust.
 *
 * @module
 */

import { krbtgtName, TGS_NAME } from '@krbsim/asn1';
import { ErrorCode, KerberosError } from '@krbsim/core';
import type { Key } from '@krbsim/crypto';
import { isDnsSuffix, normalizeDnsName } from './domain-realm';
import { makeEntry } from './internal/entries';
import { directoryOf, type TrustDirectory, topologyChanged } from './internal/trust-directory';
import {
  composeKvno,
  currentKvno,
  defaultSalt,
  givenKeys,
  keysFromPassword,
  randomKeys,
  type StoredKey,
  splitKvno,
} from './keys';
import type { PrincipalEntry } from './principal-db';
import { type Realm, withNewVersion } from './realm';
import type { RealmTrust, RotateKeyOptions, TrustDirection, TrustKind } from './trust-types';

export type { RotateKeyOptions, TrustDirection, TrustKind } from './trust-types';

/** Options for {@link createTrust}. */
export interface TrustOptions {
  /** The realm that holds the resources. */
  trusting: Realm;
  /** The realm that holds the users. */
  trusted: Realm;
  direction: TrustDirection;
  kind: TrustKind;
  /** Override the kind's transitivity. */
  transitive?: boolean;
  /**
   * DNS names claimed by the trusting side (`['windows.net']`): the trusted
   * realm's KDC refers any host-based service name at or below one of them to
   * the trusting realm. Two trusts of one realm may not claim overlapping names.
   */
  topLevelNames?: readonly string[];
  /**
   * DNS names claimed by the trusted side of a two-way trust (`['contoso.com']`):
   * the trusting realm's KDC refers any host-based service name at or below
   * one of them to the trusted realm. Each forest of a two-way forest trust
   * lists the other forest's names on its side (MS-ADTS 6.1.6.9.3,
   * msDS-TrustForestTrustInfo), so each refers toward the other. The same
   * collision rule, in the trusting realm's trusts. Two-way trusts only.
   */
  trustedTopLevelNames?: readonly string[];
  /**
   * Selective authentication ("Allow authentication only for selected
   * resources in the local domain", AD's TRUST_ATTRIBUTE_CROSS_ORGANIZATION
   * on the trusting side): a user of `trusted` gets a service ticket of
   * `trusting` only for an account that grants one of the user's SIDs
   * Allowed to Authenticate (`allowedToAuthenticate` of the account's
   * options; MS-KILE 3.3.5.7.5). It guards the way into `trusting` only; a
   * two-way trust's other way stays open, as the other domain's own setting
   * decides there. External and forest trusts only, into a realm that issues
   * PACs (an `active-directory` realm: the SIDs checked are a PAC's).
   * Default false.
   */
  selectiveAuthentication?: boolean;
  /**
   * SID filter quarantining (AD's `netdom trust /quarantine`,
   * TRUST_ATTRIBUTE_QUARANTINED_DOMAIN): only the SIDs of the client's own
   * domain cross the trust (MS-PAC 4.1.2.2). Default: true for an external
   * trust and for a `realm` trust between forests, false for a `realm` trust
   * within a forest (which then filters nothing). False on an external trust,
   * or a `realm` trust between forests: the trusted forest's SIDs cross, and
   * any other domain's with a RID of 1000 or more (a RID below 1000 is its own
   * forest's alone). Not for forest trusts (see `enableSidHistory`).
   * Applies both ways of a two-way trust.
   */
  quarantine?: boolean;
  /**
   * A forest trust's SID history switch (AD's `netdom trust
   * /enablesidhistory`, TRUST_ATTRIBUTE_TREAT_AS_EXTERNAL): besides the
   * trusted forest's SIDs, any domain's with a RID of 1000 or more cross it
   * (the sIDHistory of users migrated from a third forest, and the trusting
   * forest's own groups too: SID history is that powerful); a RID below 1000
   * (Domain Admins, Enterprise Admins) crosses from no other forest. Default
   * false: the trusted forest's domains' SIDs only. Forest trusts only.
   */
  enableSidHistory?: boolean;
  /**
   * TGT delegation across the trust (MS-KILE 3.3.5.7.5): whether
   * ok-as-delegate crosses it, so that a client hands its TGT to a service
   * trusted for delegation on the other side. True is AD's `netdom trust
   * /EnableTGTDelegation:Yes` (TRUST_ATTRIBUTE_CROSS_ORGANIZATION_ENABLE_TGT_DELEGATION),
   * false within a forest TRUST_ATTRIBUTE_CROSS_ORGANIZATION_NO_TGT_DELEGATION.
   * Default: true for a trust within a forest that is not quarantined, false
   * otherwise (AD's default since 2019). A quarantined trust never allows it.
   * Read by `active-directory` realms (see tgt-delegation.ts). Applies both
   * ways of a two-way trust.
   */
  tgtDelegation?: boolean;
  /** Derive the inter-realm key(s) from this password (default salt: MIT's). */
  password?: string;
  /** Or use these keys. Without either, random keys from the trusting realm's random source. */
  keys?: Key[];
  /** Key version (low 16 bits). Default 1. */
  kvno?: number;
  /** MS-KILE read-only-DC branch id put in the high 16 bits of the inter-realm kvno. */
  branchId?: number;
  /** Salt for `password`. Default: realm + components of the inter-realm principal. */
  salt?: string;
}

/** A trust between two realms (see the module documentation). */
export class Trust implements RealmTrust<Realm> {
  readonly trusting: Realm;
  readonly trusted: Realm;
  readonly direction: TrustDirection;
  readonly kind: TrustKind;
  readonly transitive: boolean;
  /** Lower-case DNS names routed to the trusting realm. */
  readonly topLevelNames: readonly string[];
  /** Lower-case DNS names routed to the trusted realm (two-way trusts). */
  readonly trustedTopLevelNames: readonly string[];
  readonly selectiveAuthentication: boolean;
  readonly quarantine: boolean;
  readonly enableSidHistory: boolean;
  /** Whether ok-as-delegate crosses the trust (`TrustOptions.tgtDelegation`). */
  readonly tgtDelegation: boolean;
  readonly #branchId: number;
  readonly #salt: string | undefined;
  #removed = false;

  /** @internal Use {@link createTrust}. */
  constructor(opts: TrustOptions) {
    this.trusting = opts.trusting;
    this.trusted = opts.trusted;
    this.direction = opts.direction;
    this.kind = opts.kind;
    this.transitive = opts.transitive ?? opts.kind !== 'external';
    this.topLevelNames = Object.freeze((opts.topLevelNames ?? []).map(normalizeDnsName));
    this.trustedTopLevelNames = Object.freeze((opts.trustedTopLevelNames ?? []).map(normalizeDnsName));
    this.selectiveAuthentication = opts.selectiveAuthentication ?? false;
    // A forest trust is never quarantined: it admits the other forest's domains (or, with
    // enableSidHistory, any domain but the trusting forest's).
    this.quarantine =
      opts.kind !== 'forest' &&
      (opts.quarantine ?? (opts.kind === 'external' || opts.trusting.forest !== opts.trusted.forest));
    this.enableSidHistory = opts.enableSidHistory ?? false;
    this.tgtDelegation =
      opts.tgtDelegation ?? (!this.quarantine && opts.trusting.forest === opts.trusted.forest);
    this.#branchId = opts.branchId ?? 0;
    this.#salt = opts.salt;
  }

  /** The inter-realm principals of this trust, as `[service realm, issuing realm]` pairs. */
  get interRealmPrincipals(): readonly (readonly [string, string])[] {
    const t = this.trusting.name;
    const u = this.trusted.name;
    return this.direction === 'two-way'
      ? [
          [t, u],
          [u, t],
        ]
      : [[t, u]];
  }

  /** True when principals may cross this trust from realm `from` into realm `to`. */
  allows(from: string, to: string): boolean {
    if (this.#removed) return false;
    const t = this.trusting.name;
    const u = this.trusted.name;
    if (from === u && to === t) return true;
    return this.direction === 'two-way' && from === t && to === u;
  }

  /** The realm on the other side from `name`, if `name` is one side. */
  other(name: string): Realm | undefined {
    if (name === this.trusting.name) return this.trusted;
    if (name === this.trusted.name) return this.trusting;
    return undefined;
  }

  /**
   * The inter-realm key entry `krbtgt/service@issuer` as held by `holder`
   * (either side), or undefined.
   */
  keyEntry(holder: 'trusting' | 'trusted', service: string, issuer: string): PrincipalEntry | undefined {
    const realm = holder === 'trusting' ? this.trusting : this.trusted;
    return realm.db.get(krbtgtName(service), issuer);
  }

  /** The current kvno of the inter-realm key `krbtgt/TRUSTING@TRUSTED` as `side` holds it. */
  keyVersion(side: 'trusting' | 'trusted'): number {
    const e = this.keyEntry(side, this.trusting.name, this.trusted.name);
    return e ? currentKvno(e.keys) : 0;
  }

  /**
   * Replace the inter-realm key(s) on one side or both (`Set-AzureADKerberosServer
   * -RotateServerKey` rotates both). Rotating one side only leaves the KDCs
   * disagreeing: the accepting KDC then fails to decrypt referral TGTs and
   * answers KRB_AP_ERR_MODIFIED, as the real product does. Returns the new kvno.
   */
  rotateKey(side: 'trusting' | 'trusted' | 'both', opts: RotateKeyOptions = {}): number {
    const sides: ('trusting' | 'trusted')[] = side === 'both' ? ['trusting', 'trusted'] : [side];
    let newKvno = 0;
    for (const [service, issuer] of this.interRealmPrincipals) {
      const current = Math.max(
        ...sides.map((s) => splitKvno(currentKvno(this.keyEntry(s, service, issuer)!.keys)).version),
      );
      const kvno = composeKvno(this.#branchId, opts.kvno ?? (current + 1) & 0xffff);
      // One key set per principal, shared by the sides being rotated.
      const keys = makeInterRealmKeys(this, service, issuer, kvno, opts.password, opts.keys, this.#salt);
      for (const s of sides) {
        const entry = this.keyEntry(s, service, issuer)!;
        entry.keys = withNewVersion(entry.keys, keys, opts.keepPrevious === false ? 1 : 2);
      }
      newKvno = kvno;
    }
    return newKvno;
  }

  /** Undo the trust: both realms forget it and its keys. */
  remove(): void {
    if (this.#removed) return;
    this.#removed = true;
    for (const [service, issuer] of this.interRealmPrincipals) {
      this.trusting.db.remove(krbtgtName(service), issuer);
      this.trusted.db.remove(krbtgtName(service), issuer);
    }
    trustDirectory(this.trusting).remove(this);
    trustDirectory(this.trusted).remove(this);
    topologyChanged(this.trusting, this.trusted);
  }
}

/**
 * The trust directory of `realm` (internal/trust-directory.ts): its trusts
 * by partner and by top-level name. Its trusts are `Trust`s, the only kind
 * {@link createTrust} registers.
 */
export function trustDirectory(realm: Realm): TrustDirectory<Trust> {
  return directoryOf<Trust>(realm);
}

function makeInterRealmKeys(
  trust: Trust,
  service: string,
  issuer: string,
  kvno: number,
  password: string | undefined,
  keys: Key[] | undefined,
  saltOverride: string | undefined,
): StoredKey[] {
  const salt = saltOverride ?? defaultSalt(issuer, [TGS_NAME, service]);
  if (keys) return givenKeys(keys, kvno, salt);
  const a = trust.trusting.policy.permittedEncTypes;
  const b = trust.trusted.policy.permittedEncTypes;
  const etypes = a.filter((e) => b.includes(e));
  if (etypes.length === 0) {
    throw new KerberosError(
      ErrorCode.KDC_ERR_ETYPE_NOSUPP,
      `${trust.trusting.name} and ${trust.trusted.name} permit no encryption type in common`,
    );
  }
  if (password !== undefined) return keysFromPassword(password, salt, etypes, kvno);
  return randomKeys(etypes, trust.trusting.random, kvno, salt);
}

/** The DNS names (lower-cased realm names) of `realm`'s forest: it and the realms its trusts join to it. */
function forestDomainNames(realm: Realm): string[] {
  const seen = new Set<Realm>([realm]);
  const queue = [realm];
  for (let i = 0; i < queue.length; i++) {
    for (const t of trustDirectory(queue[i]!).trusts) {
      const o = t.other(queue[i]!.name);
      if (o !== undefined && o.forest === realm.forest && !seen.has(o)) {
        seen.add(o);
        queue.push(o);
      }
    }
  }
  return queue.map((r) => normalizeDnsName(r.name));
}

/**
 * Create a trust and register it (and its inter-realm keys) on both realms.
 *
 * Throws a {@link KerberosError} (KRB_ERR_GENERIC) when the realms are the
 * same, already trust each other, when a forest or external trust would
 * join two domains of one forest, when selective authentication is asked
 * of a trust that cannot have it, or when a top-level name overlaps one that
 * another trust of the trusted realm already claims, with AD's text:
 * `Collision setting top level names on trust <TRUSTING REALM>`.
 */
export function createTrust(opts: TrustOptions): Trust {
  const { trusting, trusted } = opts;
  const fail = (msg: string): never => {
    throw new KerberosError(ErrorCode.KRB_ERR_GENERIC, msg, { realm: trusted.name });
  };
  if (trusting === trusted || trusting.name === trusted.name)
    fail(`a realm cannot trust itself (${trusting.name})`);
  // The trusted realm's own trust objects answer both checks: by partner name, and by DNS name.
  const tdos = trustDirectory(trusted);
  if (tdos.partner(trusting.name)) {
    fail(`${trusting.name} and ${trusted.name} already have a trust; remove it first`);
  }
  // A forest trust joins two forests; an external trust reaches a domain outside the forest. Within
  // one, domains are joined by parent-child, tree-root and shortcut trusts: `realm` trusts here.
  if (opts.kind !== 'realm' && trusting.forest === trusted.forest) {
    fail(
      `${trusting.name} and ${trusted.name} are domains of one forest (${trusting.forest}): a trust between them is a realm trust, not ${opts.kind === 'forest' ? 'a forest' : 'an external'} trust`,
    );
  }
  if (opts.kind === 'forest' && opts.quarantine !== undefined) {
    fail(
      "a forest trust is not quarantined: its SID filtering is the other forest's domains (see enableSidHistory)",
    );
  }
  if (opts.kind !== 'forest' && opts.enableSidHistory !== undefined) {
    fail(
      `enableSidHistory is a forest trust's setting, not ${opts.kind === 'external' ? 'an external' : 'a realm'} trust's (see quarantine)`,
    );
  }
  if (opts.selectiveAuthentication === true && (opts.kind === 'realm' || !trusting.policy.issuePac)) {
    fail(
      `selective authentication is a setting of an AD external or forest trust into a realm that issues PACs (the trust is ${opts.kind}; ${trusting.name} ${trusting.policy.issuePac ? 'issues' : 'issues no'} PACs)`,
    );
  }
  const trust = new Trust(opts);
  if (opts.tgtDelegation === true && trust.quarantine) {
    // MS-KILE 3.3.5.7.5: TRUST_ATTRIBUTE_QUARANTINED_DOMAIN disables it whatever else says.
    fail(
      'TGT delegation does not cross a quarantined trust: set quarantine: false, or leave tgtDelegation out',
    );
  }
  if (trust.trustedTopLevelNames.length > 0 && trust.direction !== 'two-way') {
    fail(
      `trustedTopLevelNames route ${trusting.name}'s requests to ${trusted.name}: a one-way trust has no such way`,
    );
  }
  // Each side's names are held by the realm that routes by them: the trusting realm's names by the
  // trusted realm, the trusted realm's by the trusting one; neither list overlaps the other.
  const claimed: [readonly string[], TrustDirectory<Trust>, Realm, Realm][] = [
    [trust.topLevelNames, tdos, trusting, trusted],
    [trust.trustedTopLevelNames, trustDirectory(trusting), trusted, trusting],
  ];
  for (const [names, directory, owner, router] of claimed) {
    // Across forests, a name of the routing realm's own forest is not the other side's to claim: AD
    // disables a top-level name that collides with a local domain (MS-LSAD 2.2.1.5,
    // LSA_TLN_DISABLED_CONFLICT), which krbsim refuses outright.
    const local = trusting.forest === trusted.forest ? [] : forestDomainNames(router);
    for (const name of names) {
      if (name.length === 0 || name.startsWith('.')) fail(`invalid top level name '${name}'`);
      if (directory.overlaps(name)) fail(`Collision setting top level names on trust ${owner.name}`);
      const domain = local.find((d) => isDnsSuffix(d, name));
      if (domain !== undefined) {
        fail(
          `Collision setting top level names on trust ${owner.name}: ${name} lies in ${domain}, a domain of ${router.name}'s forest`,
        );
      }
    }
  }
  for (const name of trust.trustedTopLevelNames) {
    if (trust.topLevelNames.some((n) => isDnsSuffix(n, name) || isDnsSuffix(name, n))) {
      fail(`Collision setting top level names on trust ${trusted.name}: ${name} is claimed by both sides`);
    }
  }
  const kvno = composeKvno(opts.branchId ?? 0, opts.kvno ?? 1);
  // Check before changing anything, so a refused trust leaves both realms as they were.
  for (const [service, issuer] of trust.interRealmPrincipals) {
    for (const r of [trusting, trusted]) {
      if (r.db.get(krbtgtName(service), issuer)) fail(`${r.name} already holds krbtgt/${service}@${issuer}`);
    }
  }
  for (const [service, issuer] of trust.interRealmPrincipals) {
    const keys = makeInterRealmKeys(trust, service, issuer, kvno, opts.password, opts.keys, opts.salt);
    // Each KDC holds its own copy, so one side can be rotated without the other.
    trusted.db.add(makeEntry(krbtgtName(service), issuer, 'krbtgt', [...keys]));
    trusting.db.add(makeEntry(krbtgtName(service), issuer, 'krbtgt', [...keys]));
  }
  trustDirectory(trusting).add(trust);
  tdos.add(trust);
  topologyChanged(trusting);
  return trust;
}
