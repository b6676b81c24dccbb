/**
 * Finding keys in a keytab the way an acceptor does (MIT
 * `krb5_kt_get_entry`): by principal, optionally by etype and kvno; with no
 * kvno, the highest kvno present wins.
 *
 * @module
 */

import { formatPrincipal, type QualifiedName, samePrincipal } from '@krbsim/asn1';
import { ErrorCode, KerberosError } from '@krbsim/core';
import type { Keytab, KeytabEntry, KeytabKey } from './keytab';

/** What to look up in a keytab. */
export interface KeytabQuery {
  /** The principal; name types are ignored when comparing. */
  readonly principal: QualifiedName;
  /** Only entries of this etype. */
  readonly etype?: number;
  /** Only entries of this kvno; without it, the highest kvno that matches. */
  readonly kvno?: number;
}

/**
 * Every entry matching `query`. Without `query.kvno`, only those with the
 * highest matching kvno. File order is kept.
 */
export function findKeytabEntries(keytab: Keytab, query: KeytabQuery): KeytabEntry[] {
  const matches = keytab.entries.filter(
    (e) =>
      samePrincipal(e.principal, query.principal) &&
      (query.etype === undefined || e.key.etype === query.etype) &&
      (query.kvno === undefined || e.kvno === query.kvno),
  );
  if (query.kvno !== undefined || matches.length === 0) return matches;
  const highest = Math.max(...matches.map((e) => e.kvno));
  return matches.filter((e) => e.kvno === highest);
}

/**
 * The first entry matching `query` (highest kvno when none is given), or
 * `undefined`.
 *
 * @example
 * ```ts
 * const entry = findKeytabEntry(keytab, { principal: parsePrincipal('HTTP/web@CONTOSO.COM'), etype: 18 });
 * ```
 */
export function findKeytabEntry(keytab: Keytab, query: KeytabQuery): KeytabEntry | undefined {
  return findKeytabEntries(keytab, query)[0];
}

/**
 * The key for `query`, or a {@link KerberosError} an acceptor would report:
 * `KRB_AP_ERR_BADKEYVER` when the principal and etype are there but not that
 * kvno, `KRB_AP_ERR_NOKEY` otherwise.
 */
export function getKeytabKey(keytab: Keytab, query: KeytabQuery): KeytabKey {
  const entry = findKeytabEntry(keytab, query);
  if (entry !== undefined) return entry.key;
  const name = formatPrincipal(query.principal);
  const etype = query.etype === undefined ? '' : ` etype ${query.etype}`;
  if (query.kvno !== undefined && findKeytabEntry(keytab, { ...query, kvno: undefined }) !== undefined) {
    return fail(ErrorCode.KRB_AP_ERR_BADKEYVER, `keytab has ${name}${etype} but not kvno ${query.kvno}`);
  }
  const kvno = query.kvno === undefined ? '' : ` kvno ${query.kvno}`;
  return fail(ErrorCode.KRB_AP_ERR_NOKEY, `keytab has no key for ${name}${etype}${kvno}`);
}

function fail(code: number, message: string): never {
  throw new KerberosError(code, message);
}
