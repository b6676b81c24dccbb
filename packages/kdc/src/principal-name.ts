/**
 * The KDC's reading of principal names in its own API (`addUser`,
 * `addService`, `lookup`): `@krbsim/asn1`'s `parsePrincipal` (the one
 * implementation) with the choices a realm's builder expects.
 *
 * @module
 */

import { NameType, parsePrincipal as parseName, type QualifiedName } from '@krbsim/asn1';

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
