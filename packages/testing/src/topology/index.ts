/**
 * Realm topologies for property tests of trust rules.
 *
 * @module
 */

export { arbTopology, arbTrustSpec, realmSpecs } from './arbitrary';
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
