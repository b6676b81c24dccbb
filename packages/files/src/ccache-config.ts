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

/** The realm MIT and Heimdal give a configuration entry they removed from a file cache. */
export const REMOVED_CONFIG_REALM = 'X-RMED-CONF:';

/**
 * True when `cred` is a configuration entry rather than a ticket: its server's
 * realm is `X-CACHECONF:` and its first component `krb5_ccache_conf_data`, all
 * MIT's `krb5_is_config_principal` checks (`klist` shows any such entry as
 * `config:`, whatever else its name holds).
 */
export function isConfigCredential(cred: CcacheCredential): boolean {
  return cred.server.realm === CONFIG_REALM && cred.server.name.nameString[0] === CONFIG_NAME;
}

/**
 * True when `cred` is a credential removed from a file cache. MIT (1.20 and
 * later, `krb5_cc_remove_cred`, which `krb5_cc_set_config` and replacing a
 * ticket use) and Heimdal do not shorten the file: they overwrite the entry in
 * place with endtime 0 and authtime -1, and a configuration entry's realm
 * with `X-RMED-CONF:`. Their readers skip such an entry (no live entry has
 * endtime 0 with a non-zero authtime), and so do this module's.
 */
export function isRemovedCredential(cred: CcacheCredential): boolean {
  return (cred.endtime === 0 && cred.authtime !== 0) || cred.server.realm === REMOVED_CONFIG_REALM;
}

/**
 * The configuration entries of a cache, in file order: those named as MIT's
 * `krb5_cc_set_config` names them (a key, and perhaps a principal), removed
 * ones skipped.
 */
export function readCcacheConfig(ccache: Ccache): CcacheConfigEntry[] {
  return ccache.credentials
    .filter((c) => {
      const n = c.server.name.nameString.length;
      return isConfigCredential(c) && (n === 2 || n === 3) && !isRemovedCredential(c);
    })
    .map((c) => {
      const [, key, principal] = c.server.name.nameString;
      return { key: key!, ...(principal === undefined ? {} : { principal }), value: c.ticket };
    });
}

/** The tickets of a cache: every credential that is neither a configuration entry nor removed. */
export function ccacheTickets(ccache: Ccache): CcacheCredential[] {
  return ccache.credentials.filter((c) => !isConfigCredential(c) && !isRemovedCredential(c));
}

/**
 * The ticket for `server` (name types ignored), or `undefined`; removed
 * entries are skipped. When the cache holds several (a renewed TGT appended
 * after the old one by a writer that does not remove the old one), the last,
 * the newest, wins. MIT's `krb5_cc_retrieve_cred` returns the first that
 * also meets its caller's time and enctype conditions, which this lookup
 * does not check; MIT 1.20 removes the old one when it stores a new one.
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
