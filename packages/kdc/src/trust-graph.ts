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
 * - paths are at most {@link MAX_TRUST_PATH} hops.
 * Next hops come from a breadth-first search, so the path is a shortest one;
 * ties break by realm name, so the choice is deterministic.
 *
 * Every realm reachable through registered trusts is visible here: an
 * emulator can afford the global view that AD gets from its forest trust
 * information and MIT from `[capaths]`.
 *
 * @module
 */

import type { Realm } from './realm';
import type { Trust } from './trust';

/** The longest trust path (in hops) a KDC will follow or accept. */
export const MAX_TRUST_PATH = 10;

/** The trusts of `realm`, in a stable order (by the other realm's name). */
function sortedTrusts(realm: Realm): Trust[] {
  return [...realm.trusts].sort((a, b) => cmp(a.other(realm.name)!.name, b.other(realm.name)!.name));
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Every realm reachable from `start` through trusts (in any direction), by name. */
export function reachableRealms(start: Realm): Map<string, Realm> {
  const seen = new Map<string, Realm>([[start.name, start]]);
  const queue = [start];
  for (let r = queue.shift(); r !== undefined; r = queue.shift()) {
    for (const t of sortedTrusts(r)) {
      const o = t.other(r.name)!;
      if (!seen.has(o.name)) {
        seen.set(o.name, o);
        queue.push(o);
      }
    }
  }
  return seen;
}

/** The trust between realms `a` and `b` (there is at most one), seen from `a`. */
export function trustBetween(a: Realm, b: string): Trust | undefined {
  return a.trusts.find((t) => t.other(a.name)?.name === b);
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
 * realm to the target.
 */
export function nextHop(current: Realm, clientRealm: string, target: string): Hop | undefined {
  if (target === current.name) return undefined;
  const parent = new Map<string, { from: string; trust: Trust }>();
  const depth = new Map<string, number>([[current.name, 0]]);
  const byName = new Map<string, Realm>([[current.name, current]]);
  const queue: Realm[] = [current];
  for (let r = queue.shift(); r !== undefined; r = queue.shift()) {
    const d = depth.get(r.name)!;
    if (d >= MAX_TRUST_PATH) continue;
    for (const t of sortedTrusts(r)) {
      const o = t.other(r.name)!;
      if (depth.has(o.name) || !t.allows(r.name, o.name)) continue;
      if (!t.transitive && !(d === 0 && r.name === clientRealm && o.name === target)) continue;
      depth.set(o.name, d + 1);
      parent.set(o.name, { from: r.name, trust: t });
      byName.set(o.name, o);
      if (o.name === target) {
        const path = [target];
        let step = parent.get(target)!;
        while (step.from !== current.name) {
          path.unshift(step.from);
          step = parent.get(step.from)!;
        }
        return { next: byName.get(path[0]!)!, trust: step.trust, path: [current.name, ...path] };
      }
      queue.push(o);
    }
  }
  return undefined;
}

/** Why {@link checkPath} refused a path, or undefined when it is acceptable. */
export function checkPath(view: Realm, path: readonly string[]): string | undefined {
  if (path.length - 1 > MAX_TRUST_PATH) return `the path has more than ${MAX_TRUST_PATH} hops`;
  const realms = reachableRealms(view);
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
  }
  if (new Set(path).size !== path.length) return 'the path visits a realm twice';
  return undefined;
}
