/**
 * Paths through the trust graph: which realm a KDC refers a client to next
 * (RFC 4120 section 3.3.1 "the KDC ... returns a TGT for a realm closer to
 * the target"; RFC 6806 section 8) and whether a path already travelled is
 * acceptable (the transited-policy check of RFC 4120 section 3.3.3.2, with
 * AD's transitivity rules from MS-KILE section 3.3.5.4).
 *
 * The rules:
 * - a hop X -> Y is allowed when a trust between X and Y lets principals of X
 *   reach Y (`trusted` -> `trusting`, or either way when two-way);
 * - trust is transitive only through transitive trusts: a non-transitive trust
 *   (AD external) joins exactly its two realms, so it can only be the whole
 *   path, from the client's realm straight to the target (principals of a
 *   third realm never cross it, and its far side never forwards them on);
 * - a path crosses at most one AD forest trust: a forest trust joins two
 *   forests and does not extend to a third through another (Windows' trust
 *   transitivity; MS-PAC 4.1.2.2's CrossForest filtering admits only the other
 *   forest's SIDs). Within a forest the links are `realm` trusts, transitive;
 * - paths are at most {@link MAX_TRUST_PATH} hops.
 * Next hops are on a shortest path; ties break by realm name, so the choice
 * is deterministic.
 *
 * Every answer comes from what the deciding realm knows (routing-view.ts):
 * its own trusts, looked up by partner, and its routing view, rebuilt only
 * when trusts change. A request costs one lookup per hop, whatever the
 * number of trusts.
 *
 * @module
 */

import type { Realm } from './realm';
import { MAX_TRUST_PATH, routingView } from './routing-view';
import { type Trust, trustDirectory } from './trust';

export { MAX_TRUST_PATH } from './routing-view';

/** The trust between realms `a` and `b` (there is at most one), seen from `a`. */
export function trustBetween(a: Realm, b: string): Trust | undefined {
  return trustDirectory(a).partner(b);
}

/** The result of {@link nextHop}. */
export interface Hop {
  /** The realm to refer the client to. */
  readonly next: Realm;
  /** The trust crossed to get there. */
  readonly trust: Trust;
  /** The whole remaining path, `current` first and `target` last. */
  readonly path: readonly string[];
}

/**
 * The next realm on a shortest allowed path from `current` to `target` for a
 * client of `clientRealm`, or undefined when no allowed path exists.
 * A non-transitive trust is usable only as a one-hop path from the client's
 * realm to the target; `forestTrustsCrossed` (0 or more) says how many forest
 * trusts the client's path has crossed before `current`: a path crosses one at
 * most.
 */
export function nextHop(
  current: Realm,
  clientRealm: string,
  target: string,
  forestTrustsCrossed = 0,
): Hop | undefined {
  if (target === current.name) return undefined;
  if (clientRealm === current.name) {
    // The client's own realm may use a direct trust of any kind, transitive or not.
    for (const trust of trustDirectory(current).partners(target)) {
      if (trust.allows(current.name, target)) {
        return { next: trust.other(current.name)!, trust, path: [current.name, target] };
      }
    }
  }
  // Otherwise the realm's shortest paths over transitive trusts, within the forest trusts left.
  if (forestTrustsCrossed > 1) return undefined;
  const routes = routingView(current).routes[forestTrustsCrossed === 0 ? 1 : 0];
  const end = routes.reached.get(target);
  if (end === undefined || end === routes.start) return undefined;
  let step = routes.steps.get(end)!;
  const path = [target];
  while (step.fromKey !== routes.start) {
    path.push(step.from);
    step = routes.steps.get(step.fromKey)!;
  }
  path.push(current.name);
  path.reverse();
  return { next: step.realm, trust: step.trust, path };
}

/** How many forest trusts the hops of `path` cross, by the trusts `view` knows (unknown hops count none). */
export function forestTrustsOn(view: Realm, path: readonly string[]): number {
  const realms = routingView(view).realms;
  let n = 0;
  for (let i = 0; i + 1 < path.length; i++) {
    const a = realms.get(path[i]!);
    if (a !== undefined && trustBetween(a, path[i + 1]!)?.kind === 'forest') n++;
  }
  return n;
}

/** Why {@link checkPath} refused a path, or undefined when it is acceptable. */
export function checkPath(view: Realm, path: readonly string[]): string | undefined {
  if (path.length - 1 > MAX_TRUST_PATH) return `the path has more than ${MAX_TRUST_PATH} hops`;
  // The realms `view` knows: a hop from a realm outside them is no trust it can vouch for.
  const realms = routingView(view).realms;
  let forestTrusts = 0;
  for (let i = 0; i + 1 < path.length; i++) {
    const from = path[i]!;
    const to = path[i + 1]!;
    if (from === '' || to === '') return 'the transited field has an unverifiable empty entry';
    if (from === to) return `${from} appears twice in a row`;
    const a = realms.get(from);
    const t = a ? trustBetween(a, to) : undefined;
    if (!t?.allows(from, to)) return `no trust lets principals of ${from} reach ${to}`;
    if (!t.transitive && path.length !== 2) {
      return `the trust between ${t.trusting.name} and ${t.trusted.name} is not transitive: it can only be a path's one hop`;
    }
    if (t.kind === 'forest' && ++forestTrusts > 1) {
      return `the path crosses a second forest trust (${from} to ${to}): a forest trust does not extend to a third forest`;
    }
  }
  if (new Set(path).size !== path.length) return 'the path visits a realm twice';
  return undefined;
}
