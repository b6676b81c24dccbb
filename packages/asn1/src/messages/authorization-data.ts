/**
 * The authorization-data containers of RFC 4120 section 5.2.6:
 * AD-IF-RELEVANT (5.2.6.1) and AD-MANDATORY-FOR-KDC (5.2.6.4), both plain
 * AuthorizationData; AD-KDCIssued (5.2.6.2) and AD-AND-OR (5.2.6.3). The
 * Windows PAC (AD-WIN2K-PAC, 128) is left as opaque bytes for `@krbsim/pac`.
 *
 * {@link expandAuthorizationData} walks nested containers, which the input
 * can nest arbitrarily deep, so it enforces `maxDepth`.
 *
 * @module
 */

import { Asn1Error } from '../der/errors';
import { AdType } from '../iana/ad-type';
import { Codec, DEFAULT_MAX_DEPTH, type DecodeOptions } from '../schema/codec';
import { field, int32, optional, realm, seq } from '../schema/nodes';
import type { AdAndOr, AdKdcIssued, ExpandedAdEntry } from '../types/authz';
import type { AuthorizationData } from '../types/basic';
import {
  AuthorizationDataDef,
  ChecksumDef,
  decodeAuthorizationData,
  encodeAuthorizationData,
  PrincipalNameDef,
} from './basic';

/**
 * AD-KDCIssued ::= SEQUENCE {
 *   ad-checksum [0] Checksum,
 *   i-realm     [1] Realm OPTIONAL,
 *   i-sname     [2] PrincipalName OPTIONAL,
 *   elements    [3] AuthorizationData
 * }
 */
export const AdKdcIssuedDef = seq('AD-KDCIssued', [
  field(0, 'ad-checksum', ChecksumDef),
  optional(field(1, 'i-realm', realm)),
  optional(field(2, 'i-sname', PrincipalNameDef)),
  field(3, 'elements', AuthorizationDataDef),
]);

/**
 * AD-AND-OR ::= SEQUENCE {
 *   condition-count [0] Int32,
 *   elements        [1] AuthorizationData
 * }
 */
export const AdAndOrDef = seq('AD-AND-OR', [
  field(0, 'condition-count', int32),
  field(1, 'elements', AuthorizationDataDef),
]);

const adKdcIssued = new Codec<AdKdcIssued>('AD-KDCIssued', AdKdcIssuedDef);
const adAndOr = new Codec<AdAndOr>('AD-AND-OR', AdAndOrDef);

/**
 * Encodes AD-KDCIssued (RFC 4120 section 5.2.6.2).
 *
 * **The result is a view into a shared slab**: its `.buffer` also holds other encodings,
 * which may include keys. {@link ownedCopy} gives bytes of your own (to keep, transfer, or wipe).
 */
export const encodeAdKdcIssued = (v: AdKdcIssued): Uint8Array => adKdcIssued.encode(v);
/** Decodes AD-KDCIssued (RFC 4120 section 5.2.6.2). */
export const decodeAdKdcIssued = (b: Uint8Array, o?: DecodeOptions): AdKdcIssued => adKdcIssued.decode(b, o);
/**
 * Encodes AD-AND-OR (RFC 4120 section 5.2.6.3).
 *
 * **The result is a view into a shared slab**: its `.buffer` also holds other encodings,
 * which may include keys. {@link ownedCopy} gives bytes of your own (to keep, transfer, or wipe).
 */
export const encodeAdAndOr = (v: AdAndOr): Uint8Array => adAndOr.encode(v);
/** Decodes AD-AND-OR (RFC 4120 section 5.2.6.3). */
export const decodeAdAndOr = (b: Uint8Array, o?: DecodeOptions): AdAndOr => adAndOr.decode(b, o);
/**
 * Encodes AD-IF-RELEVANT (RFC 4120 section 5.2.6.1): it is AuthorizationData.
 *
 * **The result is a view into a shared slab**: its `.buffer` also holds other encodings,
 * which may include keys. {@link ownedCopy} gives bytes of your own (to keep, transfer, or wipe).
 */
export const encodeAdIfRelevant = (v: AuthorizationData): Uint8Array => encodeAuthorizationData(v);
/** Decodes AD-IF-RELEVANT (RFC 4120 section 5.2.6.1): it is AuthorizationData. */
export const decodeAdIfRelevant = (b: Uint8Array, o?: DecodeOptions): AuthorizationData =>
  decodeAuthorizationData(b, o);
/**
 * Encodes AD-MANDATORY-FOR-KDC (RFC 4120 section 5.2.6.4): it is AuthorizationData.
 *
 * **The result is a view into a shared slab**: its `.buffer` also holds other encodings,
 * which may include keys. {@link ownedCopy} gives bytes of your own (to keep, transfer, or wipe).
 */
export const encodeAdMandatoryForKdc = (v: AuthorizationData): Uint8Array => encodeAuthorizationData(v);
/** Decodes AD-MANDATORY-FOR-KDC (RFC 4120 section 5.2.6.4): it is AuthorizationData. */
export const decodeAdMandatoryForKdc = (b: Uint8Array, o?: DecodeOptions): AuthorizationData =>
  decodeAuthorizationData(b, o);

function expand(ad: AuthorizationData, depth: number, max: number, o?: DecodeOptions): ExpandedAdEntry[] {
  if (depth > max) throw new Asn1Error(`authorization data nests deeper than maxDepth ${max}`);
  return ad.map((e, i): ExpandedAdEntry => {
    try {
      switch (e.adType) {
        case AdType.AD_IF_RELEVANT:
        case AdType.AD_MANDATORY_FOR_KDC: {
          const inner = decodeAuthorizationData(e.adData, o);
          return { adType: e.adType, adData: e.adData, elements: expand(inner, depth + 1, max, o) };
        }
        case AdType.AD_KDC_ISSUED: {
          const { elements, ...kdcIssued } = decodeAdKdcIssued(e.adData, o);
          return {
            adType: e.adType,
            adData: e.adData,
            kdcIssued,
            elements: expand(elements, depth + 1, max, o),
          };
        }
        case AdType.AD_AND_OR: {
          const a = decodeAdAndOr(e.adData, o);
          return {
            adType: e.adType,
            adData: e.adData,
            conditionCount: a.conditionCount,
            elements: expand(a.elements, depth + 1, max, o),
          };
        }
        default:
          return { adType: e.adType, adData: e.adData };
      }
    } catch (x) {
      throw x instanceof Asn1Error ? x.prepend(`[${i}].ad-data`) : x;
    }
  });
}

/**
 * Decodes the containers inside `ad` recursively (AD-IF-RELEVANT,
 * AD-MANDATORY-FOR-KDC, AD-KDC-ISSUED, AD-AND-OR); other elements, including
 * the PAC, are left as bytes. Nesting deeper than `options.maxDepth`
 * (default 32) is an {@link Asn1Error}.
 */
export function expandAuthorizationData(ad: AuthorizationData, options?: DecodeOptions): ExpandedAdEntry[] {
  try {
    return expand(ad, 1, options?.maxDepth ?? DEFAULT_MAX_DEPTH, options);
  } catch (x) {
    throw x instanceof Asn1Error ? x.prepend('AuthorizationData') : x;
  }
}
