/**
 * Realm topologies as plain data, for property tests of the trust rules.
 *
 * A {@link TopologySpec} says which realms exist (their kind, and for AD
 * realms which forest each domain belongs to), which trusts join them
 * (direction, kind, SID filtering and selective authentication switches) and
 * where users and services live. It knows nothing about KDCs: tests turn it
 * into running realms, and {@link reachableRealms} says, independently of the
 * KDC's own routing code, which realms a user may reach (for realms that
 * issue PACs, see also `pacReachableRealms` in sid-filtering.ts).
 *
 * @module
 */

/**
 * The longest trust path, in hops, the oracles follow: krbsim's KDC neither
 * refers a client along a longer one nor accepts a ticket that crossed more
 * (`MAX_TRUST_PATH` of `@krbsim/kdc`), and the client gives up after as many
 * referrals (its default `maxReferralHops`).
 */
export const MAX_TRUST_HOPS = 10;

/** Options of the reachability oracles ({@link reachableRealms} and those built on it). */
export interface TrustPathOptions {
  /**
   * The longest path, in hops, a user may take: a realm farther away is out
   * of reach. A positive integer; default {@link MAX_TRUST_HOPS} (10), as the
   * KDC allows. Give the client's `maxReferralHops` when it is lower (the
   * client then gives up on a longer path with KRB_ERR_GENERIC).
   */
  readonly maxHops?: number;
}

/** The longest path {@link TrustPathOptions} allow; a RangeError for one that is not a positive integer. */
function maxHopsOf(options: TrustPathOptions): number {
  const max = options.maxHops ?? MAX_TRUST_HOPS;
  if (!Number.isInteger(max) || max < 1) {
    throw new RangeError(`maxHops must be a positive integer, got ${max}`);
  }
  return max;
}

/** Access runs from the trusted realm's users to the trusting realm's services (and back, if two-way). */
export type TrustDirectionSpec = 'one-way' | 'two-way';

/**
 * external: non-transitive (AD external trust); forest and realm: transitive, but a path crosses
 * at most one forest trust (a forest trust does not extend to a third forest).
 */
export type TrustKindSpec = 'external' | 'forest' | 'realm';

/** One trust between two realms, by index into {@link TopologySpec.realms}. */
export interface TrustSpec {
  /** The realm that holds the resources. */
  readonly trusting: number;
  /** The realm whose users are trusted. */
  readonly trusted: number;
  readonly direction: TrustDirectionSpec;
  readonly kind: TrustKindSpec;
  /**
   * TGT delegation across the trust (`createTrust`'s `tgtDelegation`; off by
   * default between forests). True builds a trust other than a forest trust
   * unquarantined (`quarantine: false`) unless `quarantine` says otherwise,
   * which `createTrust` then refuses: delegation does not cross a quarantined
   * trust.
   */
  readonly tgtDelegation?: boolean;
  /**
   * SID filter quarantining (`createTrust`'s `quarantine`, AD's `netdom trust
   * /quarantine`). Absent: its default, true for an external trust and a
   * `realm` trust between forests, false for a `realm` trust within a forest
   * (see {@link isQuarantined}). Not for forest trusts, which `createTrust`
   * refuses it on.
   */
  readonly quarantine?: boolean;
  /**
   * A forest trust's SID history switch (`createTrust`'s `enableSidHistory`,
   * `netdom trust /enablesidhistory`). Absent: false. Forest trusts only.
   */
  readonly enableSidHistory?: boolean;
  /**
   * Selective authentication (`createTrust`'s `selectiveAuthentication`,
   * MS-KILE 3.3.5.7.5): users who cross the trust into the trusting realm get
   * a service ticket there only for a service that grants them Allowed to
   * Authenticate. External and forest trusts into a realm that issues PACs
   * only (`createTrust` refuses it elsewhere). Absent: false.
   */
  readonly selectiveAuthentication?: boolean;
}

/**
 * A realm's kind, as `RealmOptions.kind` of `@krbsim/kdc` names it:
 * `active-directory` realms issue PACs and SID-filter them at trusts, `mit`
 * realms issue none and carry none from another realm.
 */
export type RealmKindSpec = 'mit' | 'active-directory';

/** A realm: its Kerberos name and the DNS domain its hosts live under. */
export interface RealmSpec {
  readonly name: string;
  readonly domain: string;
  /**
   * The AD forest the realm's domain belongs to, by its root domain's realm
   * name (`RealmOptions.forest`). Absent: a forest of its own. The domains of
   * one forest are joined by `realm` trusts (as {@link TopologySpec} generators
   * make them): AD allows no other kind between them.
   */
  readonly forest?: string;
  /**
   * The domain's SID (`RealmOptions.domainSid`), `S-1-5-21-a-b-c`, for oracles
   * that reason about the SIDs of a PAC. Absent: the realm's default.
   */
  readonly domainSid?: string;
  /**
   * The realm's kind. Absent: `buildTopology`'s `kind` option (the `Realm`
   * default, `mit`, without it), and `active-directory` for the PAC oracle
   * (`pacReachableRealms`'s `kind` option says otherwise).
   */
  readonly kind?: RealmKindSpec;
}

/** A whole topology. */
export interface TopologySpec {
  readonly realms: readonly RealmSpec[];
  readonly trusts: readonly TrustSpec[];
  /**
   * The password of the one user of each realm, named `user`
   * (`buildTopology` gives it this password's AES256 key, also in
   * `TopologyWorld.userKeys`).
   */
  readonly password: string;
}

/** The forest of realm `i`: {@link RealmSpec.forest}, or the realm's own name. */
export function forestOf(spec: TopologySpec, i: number): string {
  const r = spec.realms[i]!;
  return r.forest ?? r.name;
}

/**
 * Whether a trust is quarantined (only the SIDs of the domain across it pass
 * it), as `TrustOptions.quarantine` documents its default: never a forest
 * trust; otherwise `quarantine` when given, else false when `tgtDelegation`
 * is true (see {@link TrustSpec.tgtDelegation}), else true for an external
 * trust and for a `realm` trust between forests, false for a `realm` trust
 * within a forest.
 */
export function isQuarantined(spec: TopologySpec, trust: TrustSpec): boolean {
  if (trust.kind === 'forest') return false;
  if (trust.quarantine !== undefined) return trust.quarantine;
  if (trust.tgtDelegation === true) return false;
  return trust.kind === 'external' || forestOf(spec, trust.trusting) !== forestOf(spec, trust.trusted);
}

/** True when the kind is transitive. */
export function isTransitive(kind: TrustKindSpec): boolean {
  return kind !== 'external';
}

/** The realm a user of `from` crosses into over `trust`, or undefined if the trust does not allow it. */
export function crossTo(trust: TrustSpec, from: number): number | undefined {
  if (trust.trusted === from) return trust.trusting;
  if (trust.direction === 'two-way' && trust.trusting === from) return trust.trusted;
  return undefined;
}

/**
 * The realms a user of realm `home` may reach, with the number of trust hops
 * on the shortest allowed path. For realms that issue no PACs (MIT-kind):
 * where PACs are SID-filtered at trusts, or a trust has selective
 * authentication, a path may also be refused, which `pacReachableRealms`
 * (sid-filtering.ts) adds.
 *
 * The rule, stated as the transitive closure of trust: realm X lets users of
 * realm Y in when X trusts Y directly (any kind), or when there is a chain of
 * trusts X trusts ... trusts Y in which every trust is transitive and at most
 * one is a forest trust. So a non-transitive (external) trust only ever serves
 * as a path of one hop, and two forest trusts never chain. Each hop must also
 * run in a direction its trust allows, and the path may be at most
 * `options.maxHops` hops long (default {@link MAX_TRUST_HOPS}, 10: krbsim's
 * KDC refuses longer paths).
 *
 * Written as a plain breadth-first search over realms with no knowledge of
 * the KDC's routing code, so that property tests compare two independent
 * answers.
 *
 * @throws RangeError for a `maxHops` that is not a positive integer
 */
export function reachableRealms(
  spec: TopologySpec,
  home: number,
  options: TrustPathOptions = {},
): Map<number, number> {
  const maxHops = maxHopsOf(options);
  const hops = new Map<number, number>([[home, 0]]);
  // Paths of one hop: any trust that lets `home`'s users across.
  for (const t of spec.trusts) {
    const to = crossTo(t, home);
    if (to !== undefined && !hops.has(to)) hops.set(to, 1);
  }
  // Longer paths: only transitive trusts, starting from home, one forest trust at most: breadth
  // first over (realm, forest trusts left) states.
  const transitiveHops = new Map<number, number>([[home, 0]]);
  const seen = new Set<string>([`${home}:1`]);
  let frontier: [number, number][] = [[home, 1]];
  for (let depth = 1; frontier.length > 0 && depth <= maxHops; depth++) {
    const next: [number, number][] = [];
    for (const [realm, left] of frontier) {
      for (const t of spec.trusts) {
        if (!isTransitive(t.kind)) continue;
        const to = crossTo(t, realm);
        if (to === undefined) continue;
        const nextLeft = t.kind === 'forest' ? left - 1 : left;
        if (nextLeft < 0 || seen.has(`${to}:${nextLeft}`)) continue;
        seen.add(`${to}:${nextLeft}`);
        if (!transitiveHops.has(to)) transitiveHops.set(to, depth);
        next.push([to, nextLeft]);
      }
    }
    frontier = next;
  }
  for (const [realm, n] of transitiveHops) {
    const known = hops.get(realm);
    if (known === undefined || n < known) hops.set(realm, n);
  }
  return hops;
}
