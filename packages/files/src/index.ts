/**
 * `@krbsim/files`: the files Kerberos tools share. MIT keytabs (format
 * 0x0502) and FILE credential caches (format 4) read and written byte for
 * byte as MIT krb5 does, and `krb5.conf` written in MIT's profile syntax.
 *
 * @packageDocumentation
 */

/** Principal names (MIT's `krb5_parse_name` / `krb5_unparse_name` rules): `@krbsim/asn1`'s, re-exported. */
export {
  formatPrincipal,
  parsePrincipal,
  type QualifiedName as KrbPrincipal,
  samePrincipal,
} from '@krbsim/asn1';
export {
  type Ccache,
  type CcacheCredential,
  type CcacheHeaderTag,
  type CredentialKey,
  parseCcache,
  serializeCcache,
} from './ccache';
export {
  type CcacheConfigEntry,
  CONFIG_NAME,
  CONFIG_REALM,
  ccacheTickets,
  configCredential,
  findCredential,
  isConfigCredential,
  isRemovedCredential,
  REMOVED_CONFIG_REALM,
  readCcacheConfig,
} from './ccache-config';
export {
  MAX_FILE_BYTES,
  readCcacheFile,
  readKeytabFile,
  stripFilePrefix,
  writeCcacheFile,
  writeKeytabFile,
  writeOwnerOnlyFile,
  writeOwnerOnlyFileSync,
} from './io';
export {
  type Keytab,
  type KeytabEntry,
  type KeytabKey,
  type ParseKeytabOptions,
  parseKeytab,
  type SerializeKeytabOptions,
  serializeKeytab,
} from './keytab';
export { findKeytabEntries, findKeytabEntry, getKeytabKey, type KeytabQuery } from './keytab-lookup';
export { keytabEntriesFromPassword, type PasswordEntriesOptions } from './keytab-password';
export {
  KRB5_CONF_DEFAULTS,
  type Krb5ConfOptions,
  type Krb5ConfRealm,
  type Krb5ConfValue,
  writeKrb5Conf,
} from './krb5-conf';
