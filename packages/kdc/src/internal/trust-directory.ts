/**
 * What one realm holds about its own trusts, as an AD domain holds its
 * trusted domain objects (MS-ADTS section 6.1.6): the trusts it takes part in
 * (either side), by the name of the realm on the other side, and the
 * top-level names those trusts claim, indexed by DNS name.
 *
 * Both indexes change one trust at a time, when `createTrust` or
 * `Trust.remove` calls {@link TrustDirectory.add} or
 * {@link TrustDirectory.remove}; nothing here is rebuilt per request. The
 * top-level name index answers "does a claimed name cover or lie below this
 * one" in one map lookup per DNS label (AD's collision rule), and is what a
 * realm's routing view (routing-view.ts) is assembled from.
 *
 * A realm's routing view also depends on the trusts of the realms it is
 * linked to, so every change ends with {@link topologyChanged}, which moves
 * the epoch of every realm in the trusts' connected component: a view built
 * at an older epoch is stale.
 *
 * Internal: index.ts does not export this module. Directories are found by
 * realm object ({@link directoryOf}), so `Realm` carries no internal members
 * in its public type.
 *
 * @module
 */

import { dnsSuffixes, normalizeDnsName } from '../domain-realm';

interface Named {
  readonly name: string;
}

/** What a directory needs of a trust (`RealmTrust`, so `Trust`, has it). */
interface DirectoryTrust {
  readonly trusting: Named;
  readonly trusted: Named;
  /** Names routed to `trusting`. */
  readonly topLevelNames: readonly string[];
  /** Names routed to `trusted` (two-way trusts). */
  readonly trustedTopLevelNames: readonly string[];
  other(name: string): (Named & object) | undefined;
}

/** One top-level name as one trust claims it: the name as the trust stores it, the trust, and the realm it routes to. */
interface Claim<T> {
  readonly name: string;
  readonly trust: T;
  readonly realm: string;
}

/** Each name `trust` claims, with the realm it routes to. */
function claimsOf<T extends DirectoryTrust>(trust: T): Claim<T>[] {
  return [
    ...trust.topLevelNames.map((name) => ({ name, trust, realm: trust.trusting.name })),
    ...trust.trustedTopLevelNames.map((name) => ({ name, trust, realm: trust.trusted.name })),
  ];
}

/** The trusts of one realm and the indexes over them (see the module notes). */
export class TrustDirectory<T extends DirectoryTrust> {
  /** The realm's name. */
  readonly owner: string;
  readonly #trusts: T[] = [];
  /** Partner realm name -> the trusts with a realm of that name, oldest first (normally one). */
  readonly #byPartner = new Map<string, T[]>();
  /** Normalized top-level name -> its claims by this realm's trusts. */
  readonly #claims = new Map<string, Claim<T>[]>();
  /** Every label suffix of every claimed name (normalized) -> how many claims have it. */
  readonly #covered = new Map<string, number>();
  #epoch = 0;

  constructor(owner: string) {
    this.owner = owner;
  }

  /** The trusts, in the order they were created. */
  get trusts(): readonly T[] {
    return this.#trusts;
  }

  /** Moved by {@link topologyChanged}: a routing view built at another epoch is stale. */
  get epoch(): number {
    return this.#epoch;
  }

  /** The oldest trust with a realm named `name` on the other side. */
  partner(name: string): T | undefined {
    return this.#byPartner.get(name)?.[0];
  }

  /** Every trust with a realm named `name` on the other side, oldest first. */
  partners(name: string): readonly T[] {
    return this.#byPartner.get(name) ?? [];
  }

  /** The claimed top-level names, normalized, with their claims. */
  claims(): ReadonlyMap<string, readonly Claim<T>[]> {
    return this.#claims;
  }

  /**
   * True when a trust of this realm claims a name that is `name`, lies above
   * it or lies below it (`dnsNamesOverlap`): one lookup per label of `name`,
   * and one more for the names below it.
   */
  overlaps(name: string): boolean {
    const n = normalizeDnsName(name);
    if (this.#covered.has(n)) return true;
    for (const s of dnsSuffixes(n)) if (this.#claims.has(s)) return true;
    return false;
  }

  /** Register a trust this realm takes part in. */
  add(trust: T): void {
    this.#trusts.push(trust);
    const partner = trust.other(this.owner)!.name;
    const list = this.#byPartner.get(partner);
    if (list) list.push(trust);
    else this.#byPartner.set(partner, [trust]);
    for (const claim of claimsOf(trust)) {
      const key = normalizeDnsName(claim.name);
      if (key.length === 0) continue; // matches nothing (isDnsSuffix)
      const claims = this.#claims.get(key);
      if (claims) claims.push(claim);
      else this.#claims.set(key, [claim]);
      for (const s of dnsSuffixes(key)) this.#covered.set(s, (this.#covered.get(s) ?? 0) + 1);
    }
  }

  /** Forget a trust; false when it was not registered. */
  remove(trust: T): boolean {
    const i = this.#trusts.indexOf(trust);
    if (i < 0) return false;
    this.#trusts.splice(i, 1);
    const partner = trust.other(this.owner)!.name;
    const list = this.#byPartner.get(partner)!.filter((t) => t !== trust);
    if (list.length > 0) this.#byPartner.set(partner, list);
    else this.#byPartner.delete(partner);
    for (const { name, realm } of claimsOf(trust)) {
      const key = normalizeDnsName(name);
      const claims = this.#claims.get(key);
      if (!claims) continue;
      const at = claims.findIndex((c) => c.trust === trust && c.name === name && c.realm === realm);
      if (at < 0) continue;
      claims.splice(at, 1);
      if (claims.length === 0) this.#claims.delete(key);
      for (const s of dnsSuffixes(key)) {
        const left = this.#covered.get(s)! - 1;
        if (left > 0) this.#covered.set(s, left);
        else this.#covered.delete(s);
      }
    }
    return true;
  }

  /** @see topologyChanged */
  bump(): void {
    this.#epoch++;
  }
}

const directories = new WeakMap<object, TrustDirectory<DirectoryTrust>>();

/**
 * The directory of `realm`, created empty on first use. `T` is what the
 * caller knows the trusts to be: only `createTrust` adds them, and it adds
 * `Trust`s, which implement `RealmTrust<Realm>`.
 */
export function directoryOf<T extends DirectoryTrust>(realm: Named & object): TrustDirectory<T> {
  let dir = directories.get(realm);
  if (dir === undefined) {
    dir = new TrustDirectory(realm.name);
    directories.set(realm, dir);
  }
  return dir as TrustDirectory<T>;
}

/**
 * A trust of `realms` was added or removed: move the epoch of every realm
 * linked to one of them by a chain of trusts (by object, whatever the names),
 * so that their routing views are rebuilt on next use. The cost, one walk of
 * the component, is paid here, not by requests.
 */
export function topologyChanged(...realms: (Named & object)[]): void {
  const seen = new Set<object>();
  const queue = [...realms];
  for (let r = queue.pop(); r !== undefined; r = queue.pop()) {
    if (seen.has(r)) continue;
    seen.add(r);
    const dir = directoryOf(r);
    dir.bump();
    for (const t of dir.trusts) {
      const o = t.other(dir.owner);
      if (o !== undefined && !seen.has(o)) queue.push(o);
    }
  }
}
