/**
 * Realm topologies for property tests of trust rules.
 *
 * @module
 */

export {
  arbTopology,
  arbTrustSpec,
  REALM_NAMES,
  realmSpecs,
  type TopologyArbitraryOptions,
} from './arbitrary';
export { type BuildTopologyOptions, buildTopology, type TopologyWorld } from './build';
export {
  domainSidOf,
  type PacOracleOptions,
  type PacPath,
  type PacReach,
  type PacRefusal,
  type PacRefusalReason,
  type PacVerdict,
  pacCarriedAlong,
  pacReachableRealms,
  pacRefusalAt,
  pacRefusalOf,
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
  MAX_TRUST_HOPS,
  type RealmKindSpec,
  type RealmSpec,
  reachableRealms,
  type TopologySpec,
  type TrustDirectionSpec,
  type TrustKindSpec,
  type TrustPathOptions,
  type TrustSpec,
} from './spec';
export { arbDnsLabel, arbDnsName, arbTopLevelNames, dnsNamesOverlap } from './top-level-names';
