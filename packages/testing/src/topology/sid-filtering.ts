/**
 * An oracle for the SID filtering of realms that issue PACs
 * (`kind: 'active-directory'`) at trusts, MS-PAC 4.1.2.2, over a
 * {@link TopologySpec}. It is written from the rules as krbsim documents them
 * (`TrustOptions.quarantine` and `enableSidHistory`, `RealmOptions.forest`,
 * and the kdc README's "SID filtering"), not from the KDC's code, so that a
 * property compares two independent answers:
 *
 * - the boundary each hop of a path crosses ({@link trustBoundaryOf});
 * - whether a SID of a PAC's ExtraSids crosses it ({@link sidCrosses},
 *   {@link sidsKeptAlong});
 * - whether the user's own SID crosses it; when it does not, the KDC refuses
 *   the request with KDC_ERR_POLICY, since filtering the user's SID leaves no
 *   user ({@link pacRefusalAt});
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
 * At every boundary but `within-forest`, SIDs S-1-18-x (the identity
 * assertions) always pass, and a SID that is no domain's (S-1-5-32-544,
 * S-1-5-11) never does, S-1-5-9 at `quarantined-within-forest` excepted. At
 * every boundary the user's own domain must not be R's: no realm across a
 * trust speaks for the receiving realm's own domain.
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
  reachableRealms,
  type TopologySpec,
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

/**
 * Where a user of `path[0]` (an ordinary account of its domain) is refused
 * along `path` because its own SID does not cross a hop: the index in `path`
 * of the realm that refuses it with KDC_ERR_POLICY, or undefined when none
 * does. So a path that crosses a quarantined trust at a hop whose from-realm
 * is not the user's, or a forest trust from a forest not the user's, is
 * refused there.
 */
export function pacRefusalAt(spec: TopologySpec, path: readonly number[]): number | undefined {
  const home = path[0]!;
  for (let i = 1; i < path.length; i++) {
    const from = path[i - 1]!;
    const to = path[i]!;
    if (to === home) return i; // no realm across a trust speaks for this realm's own domain
    if (!admits(spec, trustBoundaryOf(spec, from, to), from, home, ACCOUNT_RID)) return i;
  }
  return undefined;
}

/**
 * Every shortest path a user of `home` may take to `target` under the trust
 * rules {@link reachableRealms} states (any trust for a path of one hop;
 * otherwise transitive trusts only, at most one of them a forest trust, each
 * crossed in a direction it allows): realm indexes, `home` first, `target`
 * last. `[[home]]` for `home` itself; none when `target` is out of reach.
 */
export function shortestTrustPaths(spec: TopologySpec, home: number, target: number): number[][] {
  const hops = reachableRealms(spec, home).get(target);
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

/** A shortest path and whether SID filtering refuses a user of its first realm on it. */
export interface PacPath {
  /** Realm indexes, the user's realm first, the target last. */
  readonly realms: readonly number[];
  /** The index in `realms` of the realm that refuses the user (KDC_ERR_POLICY), or undefined. */
  readonly refusedAt: number | undefined;
}

/**
 * What a user must get at a realm it may reach, when the realms issue PACs:
 * `succeeds` when every shortest path is clean (a service ticket),
 * `refused` when SID filtering refuses the user on every one (KDC_ERR_POLICY),
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
 * The realms a user of `home` may reach when the realms issue PACs and
 * SID-filter them at trusts: {@link reachableRealms}'s, each with its
 * shortest paths and the verdict they give ({@link PacVerdict}). For realms
 * that issue no PACs, {@link reachableRealms} alone is the answer.
 */
export function pacReachableRealms(spec: TopologySpec, home: number): Map<number, PacReach> {
  const out = new Map<number, PacReach>();
  for (const [target, hops] of reachableRealms(spec, home)) {
    const paths = shortestTrustPaths(spec, home, target).map((realms) => ({
      realms,
      refusedAt: pacRefusalAt(spec, realms),
    }));
    const refused = paths.filter((p) => p.refusedAt !== undefined).length;
    const verdict: PacVerdict = refused === 0 ? 'succeeds' : refused === paths.length ? 'refused' : 'either';
    out.set(target, { hops, paths, verdict });
  }
  return out;
}
