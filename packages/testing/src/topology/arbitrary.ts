/**
 * fast-check arbitraries for realm topologies: 2 to 5 realms, trusts between
 * distinct pairs with every direction and kind, and one user per realm; on
 * request, AD forests of several domains and the trusts' SID filtering
 * switches (`quarantine`, `enableSidHistory`).
 *
 * @module
 */

import fc from 'fast-check';
import type { RealmSpec, TopologySpec, TrustSpec } from './spec';

const realmNames = ['ALPHA', 'BRAVO', 'CHARLIE', 'DELTA', 'ECHO', 'FOXTROT'] as const;

/**
 * Realms named `ALPHA.TEST`, `BRAVO.TEST`, ... with DNS domains `alpha.test`,
 * ... and domain SIDs `S-1-5-21-100-200-300`, `S-1-5-21-100-200-301`, ...
 */
export function realmSpecs(count: number): RealmSpec[] {
  return realmNames.slice(0, count).map((n, i) => ({
    name: `${n}.TEST`,
    domain: `${n.toLowerCase()}.test`,
    domainSid: `S-1-5-21-100-200-${300 + i}`,
  }));
}

/** A trust between two distinct realms among `realmCount`. */
export function arbTrustSpec(realmCount: number): fc.Arbitrary<TrustSpec> {
  return fc
    .record({
      trusting: fc.nat({ max: realmCount - 1 }),
      offset: fc.integer({ min: 1, max: Math.max(1, realmCount - 1) }),
      direction: fc.constantFrom('one-way' as const, 'two-way' as const),
      kind: fc.constantFrom('external' as const, 'forest' as const, 'realm' as const),
    })
    .map(({ trusting, offset, direction, kind }) => ({
      trusting,
      trusted: (trusting + offset) % realmCount,
      direction,
      kind,
    }));
}

/** Options for {@link arbTopology}. */
export interface TopologyArbitraryOptions {
  /** Default 2. */
  readonly minRealms?: number;
  /** Default 5 (at most 6). */
  readonly maxRealms?: number;
  /**
   * At least this many generated trusts (capped at the number of pairs of
   * realms). With `forests`, one that joins a parent and its child is dropped
   * for their parent-child trust. Default 0.
   */
  readonly minTrusts?: number;
  /** At most this many generated trusts (a forest's parent-child trusts come on top). Default 6. */
  readonly maxTrusts?: number;
  /**
   * Group the realms into AD forests (`RealmSpec.forest`): each realm after
   * the first either roots a forest of its own or is a child domain of an
   * earlier realm, joined to its parent by a two-way `realm` trust (AD's
   * parent-child trust), listed before the generated trusts. A generated
   * trust between two domains of one forest is a `realm` trust (a shortcut
   * trust; `createTrust` refuses a forest or external one there). Default
   * false: every realm is a forest of its own.
   */
  readonly forests?: boolean;
  /**
   * Give trusts SID filtering switches, each left to its default half the
   * time: `quarantine` true or false on trusts other than forest trusts
   * (within a forest, true makes the QuarantinedWithinForest boundary; across
   * forests, false the relaxed one), `enableSidHistory` true or false on
   * forest trusts. Default false: every trust at its defaults.
   */
  readonly sidFiltering?: boolean;
}

/** The realm count's number of unordered pairs: the most trusts a topology can have. */
function pairsOf(n: number): number {
  return (n * (n - 1)) / 2;
}

function pairKey(t: { trusting: number; trusted: number }): string {
  return t.trusting < t.trusted ? `${t.trusting}-${t.trusted}` : `${t.trusted}-${t.trusting}`;
}

/**
 * A topology of `minRealms`..`maxRealms` realms with `minTrusts`..`maxTrusts`
 * trusts, at most one trust per unordered pair of realms (as AD allows one
 * trusted domain object per pair), every realm a forest of its own and every
 * trust at its defaults unless `forests` or `sidFiltering` say otherwise
 * (see {@link TopologyArbitraryOptions}). Without `forests`, `sidFiltering`
 * and `minTrusts`, a seed gives the realms and trusts earlier versions gave
 * it, so existing properties keep their cases.
 */
export function arbTopology(options: TopologyArbitraryOptions = {}): fc.Arbitrary<TopologySpec> {
  const { minRealms = 2, maxRealms = 5, minTrusts = 0, maxTrusts = 6 } = options;
  const forests = options.forests ?? false;
  const switches = options.sidFiltering ?? false;
  return fc.integer({ min: minRealms, max: maxRealms }).chain((n) => {
    const minLength = Math.min(minTrusts, pairsOf(n));
    const trusts = fc.uniqueArray(arbTrustSpec(n), {
      ...(minLength > 0 && { minLength }),
      maxLength: Math.max(maxTrusts, minLength),
      selector: pairKey,
    });
    if (!forests && !switches) {
      return trusts.map((trusts) => ({ realms: realmSpecs(n), trusts, password: 'Pa55w0rd!' }));
    }
    // Each realm's parent domain (-1: the root of a forest of its own).
    const parents = forests
      ? fc.tuple(
          ...Array.from({ length: n }, (_, i) =>
            i === 0 ? fc.constant(-1) : fc.oneof(fc.constant(-1), fc.nat({ max: i - 1 })),
          ),
        )
      : fc.constant(Array.from({ length: n }, () => -1));
    const knobs = fc.array(
      switches
        ? fc.record({
            quarantine: fc.option(fc.boolean(), { nil: undefined, freq: 2 }),
            enableSidHistory: fc.option(fc.boolean(), { nil: undefined, freq: 2 }),
          })
        : fc.constant({ quarantine: undefined, enableSidHistory: undefined }),
      { minLength: pairsOf(n), maxLength: pairsOf(n) },
    );
    return fc.tuple(parents, trusts, knobs).map(([parent, generated, knob]) => {
      const rootOf = (i: number): number => (parent[i]! < 0 ? i : rootOf(parent[i]!));
      const realms = realmSpecs(n).map((r, i) =>
        rootOf(i) === i ? r : { ...r, forest: realmSpecs(n)[rootOf(i)]!.name },
      );
      const parentChild: TrustSpec[] = [];
      parent.forEach((p, i) => {
        if (p >= 0) parentChild.push({ trusting: p, trusted: i, direction: 'two-way', kind: 'realm' });
      });
      const joined = new Set(parentChild.map(pairKey));
      const shortcuts = generated
        .filter((t) => !joined.has(pairKey(t)))
        .map((t): TrustSpec => (rootOf(t.trusting) === rootOf(t.trusted) ? { ...t, kind: 'realm' } : t));
      const all = [...parentChild, ...shortcuts].map((t, i): TrustSpec => {
        const k = knob[i]!;
        if (t.kind === 'forest') {
          return k.enableSidHistory === undefined ? t : { ...t, enableSidHistory: k.enableSidHistory };
        }
        return k.quarantine === undefined ? t : { ...t, quarantine: k.quarantine };
      });
      return { realms, trusts: all, password: 'Pa55w0rd!' };
    });
  });
}
