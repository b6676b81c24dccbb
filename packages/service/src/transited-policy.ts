/**
 * Which transited realms a service accepts in a ticket its KDC did not
 * check. RFC 4120 section 2.7: a service "MUST either do the transited-realm
 * checks itself or reject cross-realm tickets without
 * TRANSITED-POLICY-CHECKED set". A ticket with the flag set was checked by
 * the KDC that issued it and is not checked again; one with nothing
 * transited has no path to check. For the rest, the service asks its
 * {@link TransitedPolicy}; the default, {@link hierarchicalTransit}, is
 * MIT's `krb5_rd_req` without a `[capaths]` section: each realm must lie on
 * the hierarchical path between the client's realm and the service's.
 *
 * @module
 */

/** A ticket's path: the client's realm, the realms the ticket transited, the service's realm. */
export interface TransitedPath {
  readonly clientRealm: string;
  /** As the ticket lists them (RFC 4120 section 3.3.3.2), never empty here. */
  readonly transited: readonly string[];
  readonly serviceRealm: string;
}

/** Whether a service accepts a path its KDC did not check. */
export type TransitedPolicy = (path: TransitedPath) => boolean;

/**
 * The realms strictly between `from` and `to` on the DNS-style hierarchy
 * (RFC 4120 section 3.3.3.2, MIT's `krb5_walk_realm_tree`): up from `from`
 * to the nearest common ancestor (or, with none, to `from`'s top-level
 * name), then down to `to`. `OTHER.TEST` to `APREQ.TEST` passes `TEST`.
 */
function hierarchicalPath(from: string, to: string): Set<string> {
  const a = from.split('.');
  const b = to.split('.');
  let common = 0;
  while (common < a.length && common < b.length && a[a.length - 1 - common] === b[b.length - 1 - common]) {
    common++;
  }
  const path = new Set<string>();
  // Up: from's ancestors, to the common ancestor (or to from's top-level name when there is none).
  for (let i = 1; i <= a.length - Math.max(common, 1); i++) path.add(a.slice(i).join('.'));
  // Down: to's ancestors below the common ancestor (from its top-level name when there is none).
  for (let j = 1; j <= b.length - common - 1; j++) path.add(b.slice(j).join('.'));
  return path;
}

/**
 * The default {@link TransitedPolicy}: every transited realm lies on the
 * hierarchical path between the client's realm and the service's, as MIT's
 * acceptor rules when no `[capaths]` are configured. Within one realm no
 * path is accepted.
 */
export function hierarchicalTransit(path: TransitedPath): boolean {
  if (path.clientRealm === path.serviceRealm) return false;
  const allowed = hierarchicalPath(path.clientRealm, path.serviceRealm);
  return path.transited.every((r) => allowed.has(r));
}
