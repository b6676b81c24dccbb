/**
 * Building principal database entries with the defaults every entry starts
 * from: used by `Realm` (its krbtgt, users and services) and by
 * `createTrust` (the inter-realm keys `krbtgt/TRUSTING@TRUSTED`).
 *
 * Internal: index.ts does not export this module.
 *
 * @module
 */

import type { PrincipalName } from '@krbsim/asn1';
import type { StoredKey } from '../keys';
import type { PrincipalEntry } from '../principal-db';

/** The fields an entry may set beyond name, realm, kind and keys; `encTypes` defaults to the keys' etypes. */
type EntryExtras = Partial<Omit<PrincipalEntry, 'encTypes'>> & {
  encTypes?: readonly number[] | undefined;
};

/**
 * A database entry: no aliases, no pre-authentication, enabled, not
 * ok-as-delegate, no delegation rights, unless `extra` says so.
 */
export function makeEntry(
  name: PrincipalName,
  realm: string,
  kind: PrincipalEntry['kind'],
  keys: StoredKey[],
  extra: EntryExtras = {},
): PrincipalEntry {
  const { encTypes, ...rest } = extra;
  const keyTypes = [...new Set(keys.map((k) => k.key.etype))];
  return {
    name,
    realm,
    kind,
    keys,
    aliases: [],
    requiresPreauth: false,
    disabled: false,
    okAsDelegate: false,
    authDataNotRequired: false,
    trustedToAuthForDelegation: false,
    notDelegated: false,
    allowedToDelegateTo: [],
    allowedToActOnBehalfOf: [],
    ...rest,
    encTypes: encTypes ?? keyTypes,
  };
}
