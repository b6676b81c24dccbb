/**
 * DER helpers for tests: a permissive TLV walker, mutation arbitraries, and a
 * tiny writer for inputs built by hand.
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
export { derInt, derOid, derSeq, tlv } from './write';
