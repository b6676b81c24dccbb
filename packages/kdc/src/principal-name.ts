/**
 * Principal names for the KDC: the one implementation is `@krbsim/asn1`'s
 * (`src/principal.ts`), re-exported here so the KDC's modules keep their
 * imports. Only {@link parsePrincipal} is the KDC's own: the realm-name form
 * of its public API with the KDC's reading of typed names.
 *
 * Kept until the KDC's modules import from `@krbsim/asn1` directly.
 *
 * @module
 */

import { NameType, parsePrincipal as parseName, type QualifiedName } from '@krbsim/asn1';

export {
  formatName,
  formatPrincipal,
  krbtgtName,
  nameKey,
  type QualifiedName,
  sameName,
  serviceHostOf,
  TGS_NAME,
  tgsRealmOf,
} from '@krbsim/asn1';

/**
 * Parse `comp1/comp2@REALM` (realm optional: `defaultRealm` is used) as
 * `@krbsim/asn1`'s `parsePrincipal` does, with the KDC's choices: a service
 * name (`MSSQLSvc/host:1433`, two or more components) is NT-SRV-INST, as
 * Windows names SPNs, and an empty component or realm (`a//b`, `alice@`) is
 * an error (`strict`), since these names come from whoever builds the realm.
 */
export function parsePrincipal(text: string, defaultRealm?: string): QualifiedName {
  return parseName(text, {
    ...(defaultRealm !== undefined && { defaultRealm }),
    serviceNameType: NameType.NT_SRV_INST,
    strict: true,
  });
}
