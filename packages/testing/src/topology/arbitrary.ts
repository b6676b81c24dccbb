/**
 * fast-check arbitraries for realm topologies: 2 to 5 realms, trusts between
 * distinct pairs with every direction and kind, and one user per realm.
 *
 * @module
 */

import fc from 'fast-check';
import type { RealmSpec, TopologySpec, TrustSpec } from './spec';

const realmNames = ['ALPHA', 'BRAVO', 'CHARLIE', 'DELTA', 'ECHO', 'FOXTROT'] as const;

/** Realms named `ALPHA.TEST`, `BRAVO.TEST`, ... with DNS domains `alpha.test`, ... */
export function realmSpecs(count: number): RealmSpec[] {
  return realmNames.slice(0, count).map((n) => ({ name: `${n}.TEST`, domain: `${n.toLowerCase()}.test` }));
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

/**
 * A topology of `minRealms`..`maxRealms` realms with up to `maxTrusts` trusts,
 * at most one trust per unordered pair of realms (as AD allows one trusted
 * domain object per pair).
 */
export function arbTopology(
  options: { minRealms?: number; maxRealms?: number; maxTrusts?: number } = {},
): fc.Arbitrary<TopologySpec> {
  const { minRealms = 2, maxRealms = 5, maxTrusts = 6 } = options;
  return fc.integer({ min: minRealms, max: maxRealms }).chain((n) =>
    fc
      .uniqueArray(arbTrustSpec(n), {
        maxLength: maxTrusts,
        selector: (t) =>
          t.trusting < t.trusted ? `${t.trusting}-${t.trusted}` : `${t.trusted}-${t.trusting}`,
      })
      .map((trusts) => ({ realms: realmSpecs(n), trusts, password: 'Pa55w0rd!' })),
  );
}
