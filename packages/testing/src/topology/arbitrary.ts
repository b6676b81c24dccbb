/**
 * fast-check arbitraries for realm topologies: 2 to 5 realms by default (26
 * at most), trusts between distinct pairs with every direction and kind, and
 * one user per realm; on request, AD forests of several domains, the trusts'
 * SID filtering and selective authentication switches, and realms of both
 * kinds.
 *
 * {@link arbTopology} draws everything at once (no `chain`), so that a
 * failing topology shrinks: the realm count towards `minRealms`, the trusts
 * away and towards the first realms, each switch towards its default, each
 * domain towards the root of a forest of its own.
 *
 * @module
 */

import fc from 'fast-check';
import type { RealmKindSpec, RealmSpec, TopologySpec, TrustSpec } from './spec';

/**
 * The names of the realms {@link realmSpecs} and {@link arbTopology} make, in
 * order (`ALPHA`, `BRAVO`, ...: the NATO alphabet), so 26 realms at most.
 */
export const REALM_NAMES: readonly string[] = Object.freeze([
  'ALPHA',
  'BRAVO',
  'CHARLIE',
  'DELTA',
  'ECHO',
  'FOXTROT',
  'GOLF',
  'HOTEL',
  'INDIA',
  'JULIETT',
  'KILO',
  'LIMA',
  'MIKE',
  'NOVEMBER',
  'OSCAR',
  'PAPA',
  'QUEBEC',
  'ROMEO',
  'SIERRA',
  'TANGO',
  'UNIFORM',
  'VICTOR',
  'WHISKEY',
  'XRAY',
  'YANKEE',
  'ZULU',
]);

/** The password of every generated topology's users. */
const PASSWORD = 'Pa55w0rd!';

/** Realm `i`'s domain SID: `S-1-5-21-100-200-300`, `-301`, ... */
function domainSidAt(i: number): string {
  return `S-1-5-21-100-200-${300 + i}`;
}

/**
 * Realms named `ALPHA.TEST`, `BRAVO.TEST`, ... ({@link REALM_NAMES}) with DNS
 * domains `alpha.test`, ... and domain SIDs `S-1-5-21-100-200-300`,
 * `S-1-5-21-100-200-301`, ...
 *
 * @throws RangeError for a count that is not an integer from 0 to 26
 */
export function realmSpecs(count: number): RealmSpec[] {
  if (!Number.isInteger(count) || count < 0 || count > REALM_NAMES.length) {
    throw new RangeError(
      `realmSpecs: count must be an integer from 0 to ${REALM_NAMES.length}, got ${count}`,
    );
  }
  return REALM_NAMES.slice(0, count).map((n, i) => ({
    name: `${n}.TEST`,
    domain: `${n.toLowerCase()}.test`,
    domainSid: domainSidAt(i),
  }));
}

/**
 * A trust between two distinct realms among `realmCount`.
 *
 * @throws RangeError for a `realmCount` that is not an integer of 2 or more
 */
export function arbTrustSpec(realmCount: number): fc.Arbitrary<TrustSpec> {
  if (!Number.isInteger(realmCount) || realmCount < 2) {
    throw new RangeError(`arbTrustSpec: a trust needs two realms, got realmCount ${realmCount}`);
  }
  return fc
    .record({
      trusting: fc.nat({ max: realmCount - 1 }),
      offset: fc.integer({ min: 1, max: realmCount - 1 }),
      direction: fc.constantFrom('one-way' as const, 'two-way' as const),
      kind: fc.constantFrom('external' as const, 'forest' as const, 'realm' as const),
    })
    .map(({ trusting, offset, direction, kind }) => ({
      trusting,
      trusted: (trusting + offset) % realmCount,
      direction,
      kind,
    }));
}

/**
 * Options for {@link arbTopology}. Each count must be a non-negative integer,
 * `minRealms` 1 to `maxRealms`, `maxRealms` at most 26
 * ({@link REALM_NAMES}), and `minTrusts` at most `maxTrusts`.
 */
export interface TopologyArbitraryOptions {
  /** At least 1. Default 2. */
  readonly minRealms?: number;
  /** At most 26. Default 5, or `minRealms` when that is more. */
  readonly maxRealms?: number;
  /**
   * At least this many generated trusts, as long as pairs of realms are left
   * (with `forests`, a parent and its child domain are joined already, by
   * their parent-child trust). Default 0.
   */
  readonly minTrusts?: number;
  /**
   * At most this many generated trusts (a forest's parent-child trusts come
   * on top). Default 6, or `minTrusts` when that is more.
   */
  readonly maxTrusts?: number;
  /**
   * Group the realms into AD forests (`RealmSpec.forest`): each realm after
   * the first either roots a forest of its own or is a child domain of an
   * earlier realm, named below it (`DELTA.CHARLIE.TEST`, domain
   * `delta.charlie.test`) and joined to it by a two-way `realm` trust (AD's
   * parent-child trust), listed before the generated trusts. A generated
   * trust between two domains of one forest is a `realm` trust (a shortcut
   * trust; `createTrust` refuses a forest or external one there). A forest
   * trust joins the roots of two forests, as AD allows: one drawn between
   * other domains of the two is moved to their roots, or, when the roots
   * already have a trust, is an external trust. Default false: every realm is
   * a forest of its own.
   */
  readonly forests?: boolean;
  /**
   * Give trusts SID filtering switches, each left to its default half the
   * time: `quarantine` true or false on trusts other than forest trusts
   * (within a forest, true makes the QuarantinedWithinForest boundary; across
   * forests, false the relaxed one), `enableSidHistory` true or false on
   * forest trusts. Default false: every trust at its defaults.
   */
  readonly sidFiltering?: boolean;
  /**
   * Give about a quarter of the external and forest trusts whose trusting
   * realm is not of kind `mit` `selectiveAuthentication: true`. For
   * topologies built as `active-directory` realms (`createTrust` refuses the
   * switch on a trust into a realm that issues no PACs). Default false.
   */
  readonly selectiveAuthentication?: boolean;
  /**
   * Give every realm a kind (`RealmSpec.kind`), `active-directory` or `mit`
   * at random, so that a path may cross both: a domain of a forest of
   * several is always `active-directory`, and a trust with a `mit` realm is
   * never a forest trust (AD makes a realm trust with a Kerberos realm).
   * Default false: no realm has a kind of its own (`buildTopology`'s `kind`
   * applies).
   */
  readonly kinds?: boolean;
}

/** The realm count's number of unordered pairs: the most trusts a topology can have. */
function pairsOf(n: number): number {
  return (n * (n - 1)) / 2;
}

/**
 * The `k`th unordered pair of realms `[i, j]`, `i < j`, in colex order:
 * (0,1), (0,2), (1,2), (0,3), ... The pairs of the first `n` realms are the
 * first `pairsOf(n)`, so that dropping realms leaves the trusts among the
 * others where they were.
 */
function pairAt(k: number): [number, number] {
  let j = 1;
  while (pairsOf(j + 1) <= k) j++;
  return [k - pairsOf(j), j];
}

/** The index of the pair of realms `a` and `b` (either order) in {@link pairAt}'s order. */
function pairIndex(a: number, b: number): number {
  return pairsOf(Math.max(a, b)) + Math.min(a, b);
}

/** What is drawn for one realm slot. */
interface RealmDraw {
  /** Its parent domain's index (lower than its own), or -1: the root of a forest of its own. */
  readonly parent: number;
  readonly kind: RealmKindSpec | undefined;
  /** The parent-child trust's `quarantine` switch. */
  readonly quarantine: boolean | undefined;
}

/** What is drawn for one trust: its pair of realms and every switch it may get. */
interface TrustDraw {
  /** A pair of realms ({@link pairAt}), taken modulo the realm count's pairs. */
  readonly pair: number;
  /** The pair's higher realm is the trusting one. */
  readonly flip: boolean;
  readonly direction: TrustSpec['direction'];
  readonly kind: TrustSpec['kind'];
  readonly quarantine: boolean | undefined;
  readonly enableSidHistory: boolean | undefined;
  readonly selectiveAuthentication: boolean | undefined;
}

/** The options with their defaults, checked. */
function checkedOptions(
  options: TopologyArbitraryOptions,
): Required<Pick<TopologyArbitraryOptions, 'minRealms' | 'maxRealms' | 'minTrusts' | 'maxTrusts'>> {
  const minRealms = options.minRealms ?? 2;
  const maxRealms = options.maxRealms ?? Math.max(5, minRealms);
  const minTrusts = options.minTrusts ?? 0;
  const maxTrusts = options.maxTrusts ?? Math.max(6, minTrusts);
  const check = (name: string, value: number, min: number, max: number, bound: string) => {
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new RangeError(`arbTopology: ${name} must be an integer from ${min} to ${bound}, got ${value}`);
    }
  };
  const names = REALM_NAMES.length;
  check('maxRealms', maxRealms, 1, names, `${names} (one realm per name of REALM_NAMES)`);
  check('minRealms', minRealms, 1, maxRealms, `maxRealms (${maxRealms})`);
  check('maxTrusts', maxTrusts, 0, Number.MAX_SAFE_INTEGER, 'any');
  check('minTrusts', minTrusts, 0, maxTrusts, `maxTrusts (${maxTrusts})`);
  return { minRealms, maxRealms, minTrusts, maxTrusts };
}

/**
 * A topology of `minRealms`..`maxRealms` realms with `minTrusts`..`maxTrusts`
 * generated trusts, at most one trust per unordered pair of realms (as AD
 * allows one trusted domain object per pair), every realm a forest of its own
 * and every trust at its defaults unless the options say otherwise (see
 * {@link TopologyArbitraryOptions}). Users log on as `user` with the spec's
 * `password`.
 *
 * @throws RangeError for options out of range (see {@link TopologyArbitraryOptions})
 */
export function arbTopology(options: TopologyArbitraryOptions = {}): fc.Arbitrary<TopologySpec> {
  const { minRealms, maxRealms, minTrusts, maxTrusts } = checkedOptions(options);
  const forests = options.forests ?? false;
  const switches = options.sidFiltering ?? false;
  const selective = options.selectiveAuthentication ?? false;
  const kinds = options.kinds ?? false;
  // A switch left to its default half the time.
  const maybe = (on: boolean): fc.Arbitrary<boolean | undefined> =>
    on ? fc.option(fc.boolean(), { nil: undefined, freq: 2 }) : fc.constant(undefined);
  const realmDraw = (i: number): fc.Arbitrary<RealmDraw> =>
    fc.record({
      // Cross-shrink: a child domain shrinks to the root of a forest of its own.
      parent:
        forests && i > 0
          ? fc.oneof({ withCrossShrink: true }, fc.constant(-1), fc.nat({ max: i - 1 }))
          : fc.constant(-1),
      kind: kinds ? fc.constantFrom<RealmKindSpec>('active-directory', 'mit') : fc.constant(undefined),
      quarantine: maybe(forests && switches),
    });
  const pairs = pairsOf(maxRealms);
  const trustDraws: fc.Arbitrary<TrustDraw[]> =
    pairs === 0
      ? fc.constant([])
      : fc.array(
          fc.record({
            pair: fc.nat({ max: pairs - 1 }),
            flip: fc.boolean(),
            direction: fc.constantFrom('one-way' as const, 'two-way' as const),
            kind: fc.constantFrom('external' as const, 'forest' as const, 'realm' as const),
            quarantine: maybe(switches),
            enableSidHistory: maybe(switches),
            selectiveAuthentication: maybe(selective),
          }),
          { minLength: Math.min(minTrusts, pairs), maxLength: Math.min(maxTrusts, pairs) },
        );
  return fc
    .record({
      count: fc.integer({ min: minRealms, max: maxRealms }),
      realms: fc.tuple(...Array.from({ length: maxRealms }, (_, i) => realmDraw(i))),
      trusts: trustDraws,
    })
    .map(({ count, realms, trusts }) => assemble(realms.slice(0, count), trusts, kinds));
}

/** The topology the draws describe (see {@link arbTopology}). */
function assemble(
  draws: readonly RealmDraw[],
  trustDraws: readonly TrustDraw[],
  kinds: boolean,
): TopologySpec {
  const n = draws.length;
  const parent = draws.map((d) => d.parent);
  const rootOf = (i: number): number => (parent[i]! < 0 ? i : rootOf(parent[i]!));
  const isRoot = (i: number) => parent[i]! < 0;
  const parents = new Set(parent);
  // A domain of a forest of several is an AD domain.
  const kindOf = (i: number): RealmKindSpec | undefined =>
    !kinds ? undefined : !isRoot(i) || parents.has(i) ? 'active-directory' : draws[i]!.kind;
  const names: string[] = [];
  for (let i = 0; i < n; i++) {
    names.push(isRoot(i) ? `${REALM_NAMES[i]}.TEST` : `${REALM_NAMES[i]}.${names[parent[i]!]}`);
  }
  const realms = names.map((name, i): RealmSpec => {
    const kind = kindOf(i);
    return {
      name,
      domain: name.toLowerCase(),
      domainSid: domainSidAt(i),
      ...(!isRoot(i) && { forest: names[rootOf(i)]! }),
      ...(kind !== undefined && { kind }),
    };
  });

  // AD's parent-child trusts first, then the generated ones, each on a pair of realms of its own.
  const used = new Set<number>();
  const trusts: TrustSpec[] = [];
  draws.forEach((d, i) => {
    if (isRoot(i)) return;
    used.add(pairIndex(parent[i]!, i));
    trusts.push({
      trusting: parent[i]!,
      trusted: i,
      direction: 'two-way',
      kind: 'realm',
      ...(d.quarantine !== undefined && { quarantine: d.quarantine }),
    });
  });
  const total = pairsOf(n);
  for (const d of trustDraws) {
    if (used.size >= total) break;
    // A pair taken already (or beyond the realm count) gives way to the next free one.
    let k = d.pair % total;
    while (used.has(k)) k = (k + 1) % total;
    const [low, high] = pairAt(k);
    let [trusting, trusted] = d.flip ? [high, low] : [low, high];
    let kind = d.kind;
    if (rootOf(trusting) === rootOf(trusted)) {
      kind = 'realm'; // a shortcut trust within a forest
    } else if (kind === 'forest' && (kindOf(trusting) === 'mit' || kindOf(trusted) === 'mit')) {
      kind = 'realm'; // AD's realm trust with a Kerberos realm
    } else if (kind === 'forest' && !(isRoot(trusting) && isRoot(trusted))) {
      // AD makes forest trusts between forest root domains only.
      const roots = pairIndex(rootOf(trusting), rootOf(trusted));
      if (used.has(roots)) {
        kind = 'external';
      } else {
        k = roots;
        [trusting, trusted] = [rootOf(trusting), rootOf(trusted)];
      }
    }
    used.add(k);
    trusts.push({
      trusting,
      trusted,
      direction: d.direction,
      kind,
      ...(kind !== 'forest' && d.quarantine !== undefined && { quarantine: d.quarantine }),
      ...(kind === 'forest' && d.enableSidHistory !== undefined && { enableSidHistory: d.enableSidHistory }),
      ...(d.selectiveAuthentication === true &&
        kind !== 'realm' &&
        kindOf(trusting) !== 'mit' && { selectiveAuthentication: true }),
    });
  }
  return { realms, trusts, password: PASSWORD };
}
