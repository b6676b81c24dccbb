/**
 * Realm topologies for property tests of trust rules.
 *
 * @module
 */

export { arbTopology, arbTrustSpec, realmSpecs } from './arbitrary';
export { type BuildTopologyOptions, buildTopology, type TopologyWorld } from './build';
export {
  crossTo,
  isTransitive,
  type RealmSpec,
  reachableRealms,
  type TopologySpec,
  type TrustDirectionSpec,
  type TrustKindSpec,
  type TrustSpec,
} from './spec';
export { arbDnsLabel, arbDnsName, arbTopLevelNames, dnsNamesOverlap } from './top-level-names';
