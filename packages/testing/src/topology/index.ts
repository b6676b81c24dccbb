/**
 * Realm topologies for property tests of trust rules.
 *
 * @module
 */

export { arbTopology, arbTrustSpec, realmSpecs, type TopologyArbitraryOptions } from './arbitrary';
export { type BuildTopologyOptions, buildTopology, type TopologyWorld } from './build';
export {
  domainSidOf,
  type PacPath,
  type PacReach,
  type PacVerdict,
  pacReachableRealms,
  pacRefusalAt,
  shortestTrustPaths,
  sidCrosses,
  sidsKeptAlong,
  TRUST_BOUNDARIES,
  type TrustBoundarySpec,
  trustBetweenSpec,
  trustBoundaryOf,
} from './sid-filtering';
export {
  crossTo,
  forestOf,
  isQuarantined,
  isTransitive,
  type RealmSpec,
  reachableRealms,
  type TopologySpec,
  type TrustDirectionSpec,
  type TrustKindSpec,
  type TrustSpec,
} from './spec';
export { arbDnsLabel, arbDnsName, arbTopLevelNames, dnsNamesOverlap } from './top-level-names';
