/**
 * DER fuzzing helpers: a permissive TLV walker and mutation arbitraries.
 *
 * @module
 */

export { arbDerMutant, type DerMutant, longSequenceOf, nestingBomb, truncations } from './mutate';
export {
  cloneTlvs,
  derLength,
  parseTlvs,
  serializeTlvs,
  type TlvNode,
  type TlvPosition,
  tlvPositions,
  walkTlvs,
} from './tlv';
