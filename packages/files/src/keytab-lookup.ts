/**
 * Finding keys in a keytab the way an acceptor does (MIT
 * `krb5_kt_get_entry` on a file keytab): by principal, optionally by etype
 * and kvno. Without a kvno (or with 0, MIT's "any"), the most recent kvno
 * wins; with one, an exact match, else an entry of kvno 0 (which matches any
 * kvno: Windows `ktpass` can write one), else an entry holding the kvno's low
 * 8 bits (older writers truncated it).
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
  /**
   * Only entries of this kvno (or, failing one, of kvno 0 or of its low 8
   * bits); without it, or with 0, those of the most recent kvno.
   */
  readonly kvno?: number;
}

/**
 * True when `a` is more recent than `b`, as MIT judges: a kvno below 128
 * written no earlier than one above 240 wrapped around (8-bit keytab kvnos,
 * 8-bit kadmin marshalling, 16-bit database kvnos), and is the newer;
 * otherwise the higher kvno is.
 */
function moreRecent(a: KeytabEntry, b: KeytabEntry): boolean {
  if (a.timestamp >= b.timestamp && a.kvno < 128 && b.kvno > 240) return true;
  if (a.timestamp <= b.timestamp && a.kvno > 240 && b.kvno < 128) return false;
  return a.kvno > b.kvno;
}

/**
 * Every entry matching `query`, in file order: with a kvno, those of that
 * kvno, or failing them those of kvno 0, or failing them those holding its
 * low 8 bits; without one, those of the most recent kvno (see the module).
 */
export function findKeytabEntries(keytab: Keytab, query: KeytabQuery): KeytabEntry[] {
  const matches = keytab.entries.filter(
    (e) =>
      samePrincipal(e.principal, query.principal) &&
      (query.etype === undefined || e.key.etype === query.etype),
  );
  const kvno = query.kvno;
  if (kvno === undefined || kvno === 0) {
    let latest: KeytabEntry | undefined;
    for (const e of matches) if (latest === undefined || moreRecent(e, latest)) latest = e;
    return latest === undefined ? [] : matches.filter((e) => e.kvno === latest.kvno);
  }
  for (const wanted of [kvno, 0, kvno & 0xff]) {
    const found = matches.filter((e) => e.kvno === wanted);
    if (found.length > 0) return found;
  }
  return [];
}

/**
 * The first entry matching `query` (the most recent kvno when none is
 * given), or `undefined`.
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
  if (
    query.kvno !== undefined &&
    query.kvno !== 0 &&
    findKeytabEntry(keytab, { ...query, kvno: undefined }) !== undefined
  ) {
    return fail(ErrorCode.KRB_AP_ERR_BADKEYVER, `keytab has ${name}${etype} but not kvno ${query.kvno}`);
  }
  const kvno = query.kvno === undefined || query.kvno === 0 ? '' : ` kvno ${query.kvno}`;
  return fail(ErrorCode.KRB_AP_ERR_NOKEY, `keytab has no key for ${name}${etype}${kvno}`);
}

function fail(code: number, message: string): never {
  throw new KerberosError(code, message);
}
