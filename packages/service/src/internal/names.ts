/**
 * Principal names on the service side are `@krbsim/asn1`'s; this module
 * only keeps the old names for `verify-ap-req.ts`, which imports them from
 * here. Remove it once that module imports from `@krbsim/asn1`.
 *
 * @module
 */

export {
  formatPrincipal as formatName,
  type QualifiedName as ServicePrincipal,
  sameName,
} from '@krbsim/asn1';
