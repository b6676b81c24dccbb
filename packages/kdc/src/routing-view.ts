/**
 * What a realm's KDC knows when it routes a request (RFC 4120 section 3.3.1,
 * RFC 6806 section 8, MS-KILE section 3.3.5.1.2): the routing view, derived
 * from the trust directories (internal/trust-directory.ts) of the realms it is
 * linked to, and kept until the trusts change.
 *
 * A realm indexes its own trusts itself, one trust at a time. What it knows
 * beyond them, as an AD domain knows its forest's domains and the forest
 * trust information of its forest (replicated, not looked up per request),
 * is this view, built on the first request after a change and cached:
 * - `realms`: every realm linked to this one by a chain of trusts, whatever
 *   their direction or kind, by name (the first realm of a name met breadth
 *   first, partners in name order);
 * - `suffixes`: every top-level name those realms' trusts claim, normalized,
 *   with the realm it routes to: the longest claim wins, ties go to the
 *   smaller realm name;
 * - `routes`: the shortest paths over transitive trusts, in the directions
 *   they allow, from this realm (at most {@link MAX_TRUST_PATH} hops; ties
 *   broken by realm name, breadth first), crossing at most one forest trust,
 *   or none for a client that has already crossed one.
 * Building costs one walk of the component; a request then costs a lookup
 * per DNS label of the host and one per hop of the path.
 *
 * The view spans every linked realm, not only those its users may reach, so
 * that it answers as the earlier whole-graph search did (see
 * docs/architecture.md, "Routing", for where an AD domain would know less).
 *
 * @module
 */

import { dnsSuffixes, normalizeDnsName } from './domain-realm';
import type { Realm } from './realm';
import { type Trust, trustDirectory } from './trust';

/** The longest trust path (in hops) a KDC will follow or accept. */
export const MAX_TRUST_PATH = 10;

/** A claimed DNS name's route: the claim's length (longest wins) and the realm it names. */
interface SuffixRoute {
  readonly length: number;
  readonly realm: string;
}

/**
 * How a search state was reached: a realm with the forest trusts still allowed on the path
 * (`left`), from which state, over which trust.
 */
interface Step {
  readonly from: string;
  /** The state it came from (its key, see {@link stateKey}). */
  readonly fromKey: string;
  readonly trust: Trust;
  readonly realm: Realm;
}

/** The shortest paths from the view's realm with a given allowance of forest trusts. */
interface Routes {
  /** How each search state was first reached. */
  readonly steps: ReadonlyMap<string, Step>;
  /** The state each realm was first reached in (the shortest path's end). */
  readonly reached: ReadonlyMap<string, string>;
  /** The start state's key. */
  readonly start: string;
}

/** A search state's key: the realm, and the forest trusts the rest of the path may still cross. */
function stateKey(realm: string, left: number): string {
  return `${left}:${realm}`;
}

/** A realm's routing view (see the module notes). */
interface RoutingView {
  /** The realm's directory epoch the view was built at. */
  readonly epoch: number;
  readonly realms: ReadonlyMap<string, Realm>;
  readonly suffixes: ReadonlyMap<string, SuffixRoute>;
  /**
   * Shortest paths over transitive trusts, by the forest trusts the path may still cross: `[0]`
   * none (the client already crossed one), `[1]` one. A path crosses at most one forest trust.
   */
  readonly routes: readonly [Routes, Routes];
}

const views = new WeakMap<Realm, RoutingView>();

/** The routing view of `realm`, rebuilt when its directory's epoch has moved since. */
export function routingView(realm: Realm): RoutingView {
  const epoch = trustDirectory(realm).epoch;
  const cached = views.get(realm);
  if (cached !== undefined && cached.epoch === epoch) return cached;
  const view = buildView(realm, epoch);
  views.set(realm, view);
  return view;
}

/** The realm the longest top-level name covering `host` routes to, in `realm`'s view. */
export function realmOfSuffix(realm: Realm, host: string): string | undefined {
  const suffixes = routingView(realm).suffixes;
  let best: SuffixRoute | undefined;
  for (const s of dnsSuffixes(normalizeDnsName(host))) {
    const r = suffixes.get(s);
    if (r !== undefined && (best === undefined || better(r, best))) best = r;
  }
  return best?.realm;
}

/** Longer claims win; equal lengths go to the smaller realm name. */
function better(a: SuffixRoute, b: SuffixRoute): boolean {
  return a.length > b.length || (a.length === b.length && a.realm < b.realm);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function buildView(realm: Realm, epoch: number): RoutingView {
  // Each realm's trusts in partner-name order (stable: creation order among equal names).
  const sorted = new Map<Realm, Trust[]>();
  const trustsOf = (r: Realm): Trust[] => {
    let list = sorted.get(r);
    if (list === undefined) {
      list = [...trustDirectory(r).trusts].sort((a, b) => cmp(a.other(r.name)!.name, b.other(r.name)!.name));
      sorted.set(r, list);
    }
    return list;
  };

  // Linked realms, breadth first over trusts in any direction.
  const realms = new Map<string, Realm>([[realm.name, realm]]);
  const queue: Realm[] = [realm];
  for (let i = 0; i < queue.length; i++) {
    const r = queue[i]!;
    for (const t of trustsOf(r)) {
      const o = t.other(r.name)!;
      if (!realms.has(o.name)) {
        realms.set(o.name, o);
        queue.push(o);
      }
    }
  }

  // Their claims, from each realm's own index.
  const suffixes = new Map<string, SuffixRoute>();
  for (const r of realms.values()) {
    for (const [key, claims] of trustDirectory(r).claims()) {
      for (const c of claims) {
        const route = { length: c.name.length, realm: c.realm };
        const known = suffixes.get(key);
        if (known === undefined || better(route, known)) suffixes.set(key, route);
      }
    }
  }

  const routes: [Routes, Routes] = [shortestPaths(realm, trustsOf, 0), shortestPaths(realm, trustsOf, 1)];
  return { epoch, realms, suffixes, routes };
}

/**
 * Shortest paths over transitive trusts from `realm`, each hop in a direction its trust allows, a
 * forest trust only while the allowance lasts (a forest trust does not extend to a third forest):
 * breadth first over (realm, forest trusts left) states, partners in name order, at most
 * {@link MAX_TRUST_PATH} hops. A realm's first state found ends its shortest path.
 */
function shortestPaths(realm: Realm, trustsOf: (r: Realm) => Trust[], forestTrusts: number): Routes {
  const start = stateKey(realm.name, forestTrusts);
  const depth = new Map<string, number>([[start, 0]]);
  const steps = new Map<string, Step>();
  const reached = new Map<string, string>([[realm.name, start]]);
  const frontier: { readonly realm: Realm; readonly left: number; readonly key: string }[] = [
    { realm, left: forestTrusts, key: start },
  ];
  for (let i = 0; i < frontier.length; i++) {
    const { realm: r, left, key } = frontier[i]!;
    const d = depth.get(key)!;
    if (d >= MAX_TRUST_PATH) continue;
    for (const t of trustsOf(r)) {
      const o = t.other(r.name)!;
      if (!t.transitive || !t.allows(r.name, o.name)) continue;
      const forest = t.kind === 'forest';
      if (forest && left === 0) continue;
      const nextLeft = forest ? left - 1 : left;
      const next = stateKey(o.name, nextLeft);
      if (depth.has(next)) continue;
      depth.set(next, d + 1);
      steps.set(next, { from: r.name, fromKey: key, trust: t, realm: o });
      if (!reached.has(o.name)) reached.set(o.name, next);
      frontier.push({ realm: o, left: nextLeft, key: next });
    }
  }
  return { steps, reached, start };
}
