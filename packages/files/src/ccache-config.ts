/**
 * Credential cache configuration entries, the MIT krb5 convention
 * (`krb5_cc_set_config` / `krb5_cc_get_config`, shared with Heimdal): a
 * pseudo-credential whose server is
 * `krb5_ccache_conf_data/<key>[/<principal>]@X-CACHECONF:` and whose ticket
 * field holds the value. kinit records `fast_avail`, `pa_type` and
 * `refresh_time` this way; `klist` prints them as `config:` lines.
 *
 * @module
 */

import { NameType, type QualifiedName, samePrincipal } from '@krbsim/asn1';
import type { Ccache, CcacheCredential } from './ccache';

/** The realm of every config entry's server principal. */
export const CONFIG_REALM = 'X-CACHECONF:';
/** The first component of every config entry's server principal. */
export const CONFIG_NAME = 'krb5_ccache_conf_data';

/** A decoded configuration entry. */
export interface CcacheConfigEntry {
  /** The setting's name, e.g. `fast_avail`, `pa_type`, `refresh_time`. */
  readonly key: string;
  /** The principal the setting is about, as text (`krbtgt/R@R`), when scoped to one. */
  readonly principal?: string;
  /** The value, usually ASCII (`yes`, `2`, a decimal time). */
  readonly value: Uint8Array;
}

/** True when `cred` is a configuration entry rather than a ticket. */
export function isConfigCredential(cred: CcacheCredential): boolean {
  const n = cred.server.name.nameString;
  return cred.server.realm === CONFIG_REALM && (n.length === 2 || n.length === 3) && n[0] === CONFIG_NAME;
}

/** The configuration entries of a cache, in file order. */
export function readCcacheConfig(ccache: Ccache): CcacheConfigEntry[] {
  return ccache.credentials.filter(isConfigCredential).map((c) => {
    const [, key, principal] = c.server.name.nameString;
    return { key: key!, ...(principal === undefined ? {} : { principal }), value: c.ticket };
  });
}

/** The tickets of a cache: every credential that is not a configuration entry. */
export function ccacheTickets(ccache: Ccache): CcacheCredential[] {
  return ccache.credentials.filter((c) => !isConfigCredential(c));
}

/**
 * The ticket for `server` (name types ignored), or `undefined`. When the cache
 * holds several (a renewed TGT appended after the old one), the last wins, as
 * in MIT's file cache where newer credentials are appended.
 */
export function findCredential(ccache: Ccache, server: QualifiedName): CcacheCredential | undefined {
  return ccacheTickets(ccache)
    .filter((c) => samePrincipal(c.server, server))
    .at(-1);
}

/**
 * A configuration pseudo-credential as MIT writes it: client = the cache's
 * principal, server name type NT-PRINCIPAL, every time, flag and key field
 * zero, the value in the ticket field.
 *
 * @example
 * ```ts
 * configCredential(alice, { key: 'fast_avail', principal: 'krbtgt/TEST@TEST', value: utf8('yes') });
 * ```
 */
export function configCredential(client: QualifiedName, entry: CcacheConfigEntry): CcacheCredential {
  const about = entry.principal === undefined ? [] : [entry.principal];
  return {
    client,
    server: {
      realm: CONFIG_REALM,
      name: { nameType: NameType.NT_PRINCIPAL, nameString: [CONFIG_NAME, entry.key, ...about] },
    },
    key: { etype: 0, bytes: new Uint8Array(0) },
    authtime: 0,
    starttime: 0,
    endtime: 0,
    renewTill: 0,
    isSkey: false,
    ticketFlags: 0,
    addresses: [],
    authdata: [],
    ticket: entry.value,
    secondTicket: new Uint8Array(0),
  };
}
