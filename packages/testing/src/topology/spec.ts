/**
 * Realm topologies as plain data, for property tests of the trust rules.
 *
 * A {@link TopologySpec} says which realms exist, which trusts join them
 * (direction, kind, top-level names) and where users and services live. It
 * knows nothing about KDCs: tests turn it into running realms, and
 * {@link reachableRealms} says, independently of the KDC's own routing code,
 * which realms a user may reach.
 *
 * @module
 */

/** Access runs from the trusted realm's users to the trusting realm's services (and back, if two-way). */
export type TrustDirectionSpec = 'one-way' | 'two-way';

/**
 * external: non-transitive (AD external trust); forest and realm: transitive, but a path crosses
 * at most one forest trust (a forest trust does not extend to a third forest).
 */
export type TrustKindSpec = 'external' | 'forest' | 'realm';

/** One trust between two realms, by index into {@link TopologySpec.realms}. */
export interface TrustSpec {
  /** The realm that holds the resources. */
  readonly trusting: number;
  /** The realm whose users are trusted. */
  readonly trusted: number;
  readonly direction: TrustDirectionSpec;
  readonly kind: TrustKindSpec;
  /**
   * TGT delegation across the trust (`createTrust`'s `tgtDelegation`; the
   * generated realms are each a forest of their own, where it is off by
   * default). True builds the trust unquarantined, as delegation requires.
   */
  readonly tgtDelegation?: boolean;
}

/** A realm: its Kerberos name and the DNS domain its hosts live under. */
export interface RealmSpec {
  readonly name: string;
  readonly domain: string;
}

/** A whole topology. */
export interface TopologySpec {
  readonly realms: readonly RealmSpec[];
  readonly trusts: readonly TrustSpec[];
  /** One user per realm, `user<i>`, with this password. */
  readonly password: string;
}

/** True when the kind is transitive. */
export function isTransitive(kind: TrustKindSpec): boolean {
  return kind !== 'external';
}

/** The realm a user of `from` crosses into over `trust`, or undefined if the trust does not allow it. */
export function crossTo(trust: TrustSpec, from: number): number | undefined {
  if (trust.trusted === from) return trust.trusting;
  if (trust.direction === 'two-way' && trust.trusting === from) return trust.trusted;
  return undefined;
}

/**
 * The realms a user of realm `home` may reach, with the number of trust hops
 * on the shortest allowed path.
 *
 * The rule, stated as the transitive closure of trust: realm X lets users of
 * realm Y in when X trusts Y directly (any kind), or when there is a chain of
 * trusts X trusts ... trusts Y in which every trust is transitive and at most
 * one is a forest trust. So a non-transitive (external) trust only ever serves
 * as a path of one hop, and two forest trusts never chain. Each hop must also
 * run in a direction its trust allows.
 *
 * Written as a plain breadth-first search over realms with no knowledge of
 * the KDC's routing code, so that property tests compare two independent
 * answers.
 */
export function reachableRealms(spec: TopologySpec, home: number): Map<number, number> {
  const hops = new Map<number, number>([[home, 0]]);
  // Paths of one hop: any trust that lets `home`'s users across.
  for (const t of spec.trusts) {
    const to = crossTo(t, home);
    if (to !== undefined && !hops.has(to)) hops.set(to, 1);
  }
  // Longer paths: only transitive trusts, starting from home, one forest trust at most: breadth
  // first over (realm, forest trusts left) states.
  const transitiveHops = new Map<number, number>([[home, 0]]);
  const seen = new Set<string>([`${home}:1`]);
  let frontier: [number, number][] = [[home, 1]];
  for (let depth = 1; frontier.length > 0; depth++) {
    const next: [number, number][] = [];
    for (const [realm, left] of frontier) {
      for (const t of spec.trusts) {
        if (!isTransitive(t.kind)) continue;
        const to = crossTo(t, realm);
        if (to === undefined) continue;
        const nextLeft = t.kind === 'forest' ? left - 1 : left;
        if (nextLeft < 0 || seen.has(`${to}:${nextLeft}`)) continue;
        seen.add(`${to}:${nextLeft}`);
        if (!transitiveHops.has(to)) transitiveHops.set(to, depth);
        next.push([to, nextLeft]);
      }
    }
    frontier = next;
  }
  for (const [realm, n] of transitiveHops) {
    const known = hops.get(realm);
    if (known === undefined || n < known) hops.set(realm, n);
  }
  return hops;
}
