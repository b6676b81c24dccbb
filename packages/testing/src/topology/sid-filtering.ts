/**
 * An oracle for the SID filtering of realms that issue PACs
 * (`kind: 'active-directory'`) at trusts, MS-PAC 4.1.2.2, and for selective
 * authentication (MS-KILE 3.3.5.7.5), over a {@link TopologySpec}. It is
 * written from the rules as krbsim documents them (`TrustOptions.quarantine`,
 * `enableSidHistory` and `selectiveAuthentication`, `RealmOptions.forest` and
 * `kind`, and the kdc README's "SID filtering"), not from the KDC's code, so
 * that a property compares two independent answers:
 *
 * - the boundary each hop of a path crosses ({@link trustBoundaryOf});
 * - whether a SID of a PAC's ExtraSids crosses it ({@link sidCrosses},
 *   {@link sidsKeptAlong});
 * - whether the user's own SID crosses it; when it does not, the KDC refuses
 *   the request with KDC_ERR_POLICY, since filtering the user's SID leaves no
 *   user ({@link pacRefusalAt});
 * - whether selective authentication refuses the user
 *   ({@link pacRefusalOf});
 * - and what a user of one realm must get from each realm it may reach
 *   ({@link pacReachableRealms}). The KDC follows one of the shortest paths,
 *   chosen by a rule of its own (the oracle does not say which), and SID
 *   filtering may refuse some of those paths and not others: the oracle then
 *   says `either`.
 *
 * The boundaries, from realm F into realm R over the trust between them:
 *
 * - `within-forest`: a `realm` trust between domains of one forest, not
 *   quarantined. Nothing is filtered.
 * - `quarantined-within-forest`: the same, quarantined. Like `quarantined`,
 *   and the Enterprise Domain Controllers SID (S-1-5-9) passes too.
 * - `quarantined`: an external trust, or a `realm` trust between forests,
 *   quarantined (their default). Only SIDs of F's own domain pass: the domain
 *   its trusted domain object describes, none behind it.
 * - `cross-forest`: a forest trust. SIDs of every domain of F's forest pass,
 *   none of any other forest (R's own included).
 * - `relaxed`: a forest trust with `enableSidHistory`, or an external or
 *   inter-forest `realm` trust with `quarantine: false`. SIDs of F's forest
 *   pass, and any other domain's SID (S-1-5-21-a-b-c-rid) whose RID is 1000
 *   or more; a RID below 1000 (Domain Admins 512, Enterprise Admins 519) is
 *   its own forest's alone.
 *
 * At every boundary but `within-forest`, the identity assertion SIDs
 * S-1-18-x (MS-DTYP 2.4.2.4: S-1-18 and exactly one sub-authority) always
 * pass, and a SID that is no domain's (S-1-5-32-544, S-1-5-11, S-1-18-1-5)
 * never does, S-1-5-9 at `quarantined-within-forest` excepted. At every
 * boundary the user's own domain must not be R's: no realm across a trust
 * speaks for the receiving realm's own domain.
 *
 * Realms of mixed kinds ({@link RealmSpec.kind}): only `active-directory`
 * realms issue PACs and filter them. A `mit` realm carries no PAC of another
 * realm into the tickets it issues (referrals included), so from the first
 * `mit` realm of a path on, the user has no PAC: nothing is filtered and no
 * service ticket of the path carries one ({@link pacCarriedAlong}), and a user
 * of a `mit` realm never has one. Routing does not depend on the kinds.
 *
 * Selective authentication ({@link TrustSpec.selectiveAuthentication}): a
 * user who crosses such a trust into its trusting realm gets the
 * OTHER_ORGANIZATION SID (S-1-5-1000) in its PAC's ExtraSids, after SID
 * filtering there; a service ticket whose PAC holds it is refused
 * (KDC_ERR_POLICY) unless the service grants one of the user's SIDs Allowed
 * to Authenticate, which the services `buildTopology` makes never do. The SID
 * is filtered at later trusts like any other ExtraSid (so only a path that
 * stays within the trusting realm's forest keeps it, and `mit` realms drop
 * it with the PAC). A user who crosses such a trust without a PAC is refused
 * there, whatever it asks for: the trusting realm has nothing to check.
 *
 * The domains of a forest are those of the spec's realms with that forest;
 * as AD's are, they are assumed to be joined by trusts (arbTopology joins
 * them). The generated users are ordinary accounts, whose RIDs are 1000 or
 * more.
 *
 * @module
 */

import {
  crossTo,
  forestOf,
  isQuarantined,
  isTransitive,
  type RealmKindSpec,
  reachableRealms,
  type TopologySpec,
  type TrustPathOptions,
  type TrustSpec,
} from './spec';

/** The MS-PAC 4.1.2.2 trust boundary a PAC crosses (see the module documentation). */
export type TrustBoundarySpec =
  | 'within-forest'
  | 'quarantined-within-forest'
  | 'quarantined'
  | 'cross-forest'
  | 'relaxed';

/** Every boundary, for properties that check they all occurred. */
export const TRUST_BOUNDARIES: readonly TrustBoundarySpec[] = Object.freeze([
  'within-forest',
  'quarantined-within-forest',
  'quarantined',
  'cross-forest',
  'relaxed',
]);

/** The Enterprise Domain Controllers SID, which a quarantined trust within a forest lets pass. */
const ENTERPRISE_DOMAIN_CONTROLLERS = 'S-1-5-9';

/** An ordinary account's RID: RIDs below 1000 are the domain's well-known accounts and groups. */
const ACCOUNT_RID = 1000;

/** The SID a KDC adds to the PAC of a user who crossed a selective-authentication trust (MS-KILE 3.3.5.7.5). */
const OTHER_ORGANIZATION = 'S-1-5-1000';

/** Options of the PAC oracle ({@link pacReachableRealms}, {@link pacRefusalOf}, {@link pacCarriedAlong}). */
export interface PacOracleOptions extends TrustPathOptions {
  /**
   * The kind of a realm whose spec gives none ({@link RealmSpec.kind}): give
   * the `kind` the topology was built with. Default `active-directory`.
   */
  readonly kind?: RealmKindSpec;
}

/** Whether realm `i` issues PACs: its kind, or the options' default kind, is `active-directory`. */
function issuesPac(spec: TopologySpec, i: number, options: PacOracleOptions): boolean {
  return (spec.realms[i]?.kind ?? options.kind ?? 'active-directory') === 'active-directory';
}

/** The trust between realms `a` and `b`, either way round, if there is one. */
export function trustBetweenSpec(spec: TopologySpec, a: number, b: number): TrustSpec | undefined {
  return spec.trusts.find(
    (t) => (t.trusting === a && t.trusted === b) || (t.trusting === b && t.trusted === a),
  );
}

/** The boundary a PAC crosses from realm `from` into realm `to` (see the module documentation). */
export function trustBoundaryOf(spec: TopologySpec, from: number, to: number): TrustBoundarySpec {
  const trust = trustBetweenSpec(spec, from, to);
  if (trust === undefined) throw new RangeError(`no trust joins realms ${from} and ${to}`);
  if (trust.kind === 'forest') return trust.enableSidHistory === true ? 'relaxed' : 'cross-forest';
  const sameForest = forestOf(spec, from) === forestOf(spec, to);
  if (isQuarantined(spec, trust)) return sameForest ? 'quarantined-within-forest' : 'quarantined';
  return sameForest ? 'within-forest' : 'relaxed';
}

/**
 * Whether a SID of the domain of realm `domain` (undefined: a domain outside
 * the topology), with `rid`, crosses `boundary` from realm `from`.
 */
function admits(
  spec: TopologySpec,
  boundary: TrustBoundarySpec,
  from: number,
  domain: number | undefined,
  rid: number,
): boolean {
  const ofFromForest = domain !== undefined && forestOf(spec, domain) === forestOf(spec, from);
  switch (boundary) {
    case 'within-forest':
      return true;
    case 'quarantined':
    case 'quarantined-within-forest':
      return domain === from;
    case 'cross-forest':
      return ofFromForest;
    case 'relaxed':
      return ofFromForest || rid >= ACCOUNT_RID;
  }
}

/** Realm `i`'s domain SID ({@link RealmSpec.domainSid}); throws when the spec gives none. */
export function domainSidOf(spec: TopologySpec, i: number): string {
  const sid = spec.realms[i]?.domainSid;
  if (sid === undefined) throw new RangeError(`realm ${i} of the spec has no domainSid`);
  return sid;
}

/**
 * Whether `sid` (text, `S-1-5-21-a-b-c-rid` or any other) in a PAC's
 * ExtraSids crosses from realm `from` into realm `to`, by the boundary
 * between them. Needs every realm's {@link RealmSpec.domainSid}.
 */
export function sidCrosses(spec: TopologySpec, from: number, to: number, sid: string): boolean {
  const boundary = trustBoundaryOf(spec, from, to);
  if (boundary === 'within-forest') return true;
  // MS-DTYP 2.4.2.4: an identity assertion SID is S-1-18 and one sub-authority.
  if (/^S-1-18-\d+$/.test(sid)) return true;
  if (boundary === 'quarantined-within-forest' && sid === ENTERPRISE_DOMAIN_CONTROLLERS) return true;
  const m = /^(S-1-5-21-\d+-\d+-\d+)-(\d+)$/.exec(sid);
  if (m === null) return false;
  const domain = spec.realms.findIndex((r) => r.domainSid === m[1]);
  return admits(spec, boundary, from, domain < 0 ? undefined : domain, Number(m[2]));
}

/**
 * The SIDs of `sids` (a PAC's ExtraSids, in order) that cross every hop of
 * `path` (realm indexes, the user's realm first): what the PAC of a service
 * ticket of the path's last realm keeps of them.
 */
export function sidsKeptAlong(
  spec: TopologySpec,
  path: readonly number[],
  sids: readonly string[],
): string[] {
  return sids.filter((sid) => path.slice(1).every((to, i) => sidCrosses(spec, path[i]!, to, sid)));
}

/** What refuses a user along a path ({@link pacRefusalOf}): SID filtering, or selective authentication. */
export type PacRefusalReason = 'sid-filtering' | 'selective-authentication';

/** Where, and why, a path refuses its user ({@link pacRefusalOf}). */
export interface PacRefusal {
  /** The index in the path of the realm that refuses the user with KDC_ERR_POLICY. */
  readonly at: number;
  readonly reason: PacRefusalReason;
}

/**
 * Where a user of `path[0]` (an ordinary account of its realm) is refused
 * along `path` (realm indexes, the user's realm first, each hop over a trust
 * of the spec), and why, or undefined when no realm refuses it. Two rules, in
 * the order a KDC applies them at each realm (see the module documentation):
 *
 * - SID filtering (`sid-filtering`): where the user's PAC crosses a hop into
 *   a realm that issues PACs and its own SID does not cross the boundary, as
 *   at a quarantined trust whose from-realm is not the user's, or a forest
 *   trust from a forest not the user's. Only while the user has a PAC: not
 *   from a `mit` realm on.
 * - Selective authentication (`selective-authentication`): at the path's
 *   last realm, when the user crossed a selective-authentication trust into
 *   its trusting realm and the OTHER_ORGANIZATION SID that realm added is
 *   still in the PAC there (no service grants Allowed to Authenticate); or at
 *   the trusting realm itself when the user came across without a PAC.
 *
 * @throws RangeError when a hop of `path` has no trust in the spec
 */
export function pacRefusalOf(
  spec: TopologySpec,
  path: readonly number[],
  options: PacOracleOptions = {},
): PacRefusal | undefined {
  const home = path[0]!;
  // Whether the ticket the user holds at the current realm carries a PAC, and whether it is marked.
  let pac = issuesPac(spec, home, options);
  let marked = false;
  for (let i = 1; i < path.length; i++) {
    const from = path[i - 1]!;
    const to = path[i]!;
    const trust = trustBetweenSpec(spec, from, to);
    if (trust === undefined) throw new RangeError(`no trust joins realms ${from} and ${to}`);
    const filters = issuesPac(spec, to, options);
    if (pac && filters) {
      // No realm across a trust speaks for this realm's own domain.
      if (to === home) return { at: i, reason: 'sid-filtering' };
      if (!admits(spec, trustBoundaryOf(spec, from, to), from, home, ACCOUNT_RID)) {
        return { at: i, reason: 'sid-filtering' };
      }
      // The mark is an ExtraSid as any other.
      marked &&= sidCrosses(spec, from, to, OTHER_ORGANIZATION);
    }
    if (!filters) {
      // A realm that issues no PACs carries none of another realm's on.
      pac = false;
      marked = false;
    }
    if (trust.selectiveAuthentication === true && trust.trusting === to) {
      if (!pac) return { at: i, reason: 'selective-authentication' };
      marked = true;
    }
  }
  return marked ? { at: path.length - 1, reason: 'selective-authentication' } : undefined;
}

/**
 * Where a user of `path[0]` is refused along `path`: the index in `path` of
 * the realm that refuses it with KDC_ERR_POLICY, or undefined when none does
 * ({@link pacRefusalOf}, which also says why).
 */
export function pacRefusalAt(
  spec: TopologySpec,
  path: readonly number[],
  options: PacOracleOptions = {},
): number | undefined {
  return pacRefusalOf(spec, path, options)?.at;
}

/**
 * Whether the service ticket a user of `path[0]` gets at the path's last
 * realm carries a PAC: every realm of the path issues PACs (a `mit` realm
 * carries none of another realm's on). Its ExtraSids are then
 * {@link sidsKeptAlong}'s.
 */
export function pacCarriedAlong(
  spec: TopologySpec,
  path: readonly number[],
  options: PacOracleOptions = {},
): boolean {
  return path.every((i) => issuesPac(spec, i, options));
}

/**
 * Every shortest path a user of `home` may take to `target` under the trust
 * rules {@link reachableRealms} states (any trust for a path of one hop;
 * otherwise transitive trusts only, at most one of them a forest trust, each
 * crossed in a direction it allows, at most `options.maxHops` hops): realm
 * indexes, `home` first, `target` last. `[[home]]` for `home` itself; none
 * when `target` is out of reach.
 */
export function shortestTrustPaths(
  spec: TopologySpec,
  home: number,
  target: number,
  options: TrustPathOptions = {},
): number[][] {
  const hops = reachableRealms(spec, home, options).get(target);
  if (hops === undefined) return [];
  if (hops === 0) return [[home]];
  if (hops === 1) return [[home, target]];
  const found = new Map<string, number[]>();
  const path = [home];
  const walk = (forestTrustsLeft: number): void => {
    const at = path[path.length - 1]!;
    if (path.length - 1 === hops) {
      if (at === target) found.set(path.join(','), [...path]);
      return;
    }
    for (const t of spec.trusts) {
      if (!isTransitive(t.kind)) continue;
      const to = crossTo(t, at);
      if (to === undefined || path.includes(to)) continue;
      const left = t.kind === 'forest' ? forestTrustsLeft - 1 : forestTrustsLeft;
      if (left < 0) continue;
      path.push(to);
      walk(left);
      path.pop();
    }
  };
  walk(1);
  return [...found.values()];
}

/** A shortest path and whether SID filtering or selective authentication refuses a user of its first realm on it. */
export interface PacPath {
  /** Realm indexes, the user's realm first, the target last. */
  readonly realms: readonly number[];
  /** The index in `realms` of the realm that refuses the user (KDC_ERR_POLICY), or undefined. */
  readonly refusedAt: number | undefined;
  /** What refuses the user there ({@link pacRefusalOf}), or undefined. */
  readonly refusedBy: PacRefusalReason | undefined;
}

/**
 * What a user must get at a realm it may reach, when the realms issue PACs:
 * `succeeds` when every shortest path is clean (a service ticket),
 * `refused` when SID filtering or selective authentication refuses the user
 * on every one (KDC_ERR_POLICY),
 * `either` when the paths differ: the KDC's own choice of path decides, and
 * the answer must then be one of the two.
 */
export type PacVerdict = 'succeeds' | 'refused' | 'either';

/** A realm a user may reach, as {@link pacReachableRealms} describes it. */
export interface PacReach {
  /** Trust hops on a shortest path ({@link reachableRealms}). */
  readonly hops: number;
  /** Every shortest path ({@link shortestTrustPaths}), each with its SID filtering verdict. */
  readonly paths: readonly PacPath[];
  readonly verdict: PacVerdict;
}

/**
 * The realms a user of `home` may reach when realms issue PACs and
 * SID-filter them at trusts, or trusts have selective authentication:
 * {@link reachableRealms}'s (within `options.maxHops`), each with its
 * shortest paths and the verdict they give ({@link PacVerdict}). A realm
 * whose spec gives no kind is of `options.kind` (default
 * `active-directory`). For topologies of `mit` realms alone,
 * {@link reachableRealms} is the answer.
 *
 * @throws RangeError for a `maxHops` that is not a positive integer
 */
export function pacReachableRealms(
  spec: TopologySpec,
  home: number,
  options: PacOracleOptions = {},
): Map<number, PacReach> {
  const out = new Map<number, PacReach>();
  for (const [target, hops] of reachableRealms(spec, home, options)) {
    const paths = shortestTrustPaths(spec, home, target, options).map((realms): PacPath => {
      const refusal = pacRefusalOf(spec, realms, options);
      return { realms, refusedAt: refusal?.at, refusedBy: refusal?.reason };
    });
    const refused = paths.filter((p) => p.refusedAt !== undefined).length;
    const verdict: PacVerdict = refused === 0 ? 'succeeds' : refused === paths.length ? 'refused' : 'either';
    out.set(target, { hops, paths, verdict });
  }
  return out;
}
