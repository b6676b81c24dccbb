/**
 * Routing from each realm's own view (routing-view.ts: a realm's trust
 * directory, plus a routing view rebuilt when trusts change) against the
 * whole-graph search it replaced, over generated topologies that change
 * while they are queried: every referral target (`realmOfHost`), next hop
 * (`nextHop`) and path verdict (`checkPath`) must be the same, and so must
 * `createTrust`'s refusals (its checks now use the trusted realm's indexes).
 *
 * The oracle below is the earlier code, copied as it was (trust-graph.ts,
 * referral.ts, trust.ts and domain-realm.ts at commit 7d19b8a), reading only
 * the public API: `realm.trusts` and the trusts' own fields and methods.
 * Keep it as it is: it is the record of what the results were.
 */
import { ErrorCode, KerberosError } from '@krbsim/core';
import { checkPath, createTrust, nextHop, Realm, realmOfHost, type TrustKind } from '@krbsim/kdc';
import { arbTopology, type TopologySpec } from '@krbsim/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

type AnyTrust = Realm['trusts'][number];

// ---------------------------------------------------------------------------
// ORACLE: the whole-graph routing as it was before each realm had a view of
// its own (copied from the earlier source; do not edit).
// ---------------------------------------------------------------------------

const OLD_MAX_TRUST_PATH = 10;

function oldNormalizeDnsName(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

function oldIsDnsSuffix(suffix: string, host: string): boolean {
  const s = oldNormalizeDnsName(suffix);
  const h = oldNormalizeDnsName(host);
  return s.length > 0 && (h === s || h.endsWith(`.${s}`));
}

function oldDnsNamesOverlap(a: string, b: string): boolean {
  return oldIsDnsSuffix(a, b) || oldIsDnsSuffix(b, a);
}

function oldCmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function oldSortedTrusts(realm: Realm): AnyTrust[] {
  return [...realm.trusts].sort((a, b) => oldCmp(a.other(realm.name)!.name, b.other(realm.name)!.name));
}

function oldReachableRealms(start: Realm): Map<string, Realm> {
  const seen = new Map<string, Realm>([[start.name, start]]);
  const queue = [start];
  for (let r = queue.shift(); r !== undefined; r = queue.shift()) {
    for (const t of oldSortedTrusts(r)) {
      const o = t.other(r.name)!;
      if (!seen.has(o.name)) {
        seen.set(o.name, o);
        queue.push(o);
      }
    }
  }
  return seen;
}

function oldTrustBetween(a: Realm, b: string): AnyTrust | undefined {
  return a.trusts.find((t) => t.other(a.name)?.name === b);
}

interface OldHop {
  readonly next: Realm;
  readonly trust: AnyTrust;
  readonly path: readonly string[];
}

function oldNextHop(current: Realm, clientRealm: string, target: string): OldHop | undefined {
  if (target === current.name) return undefined;
  // Breadth first over (realm, forest trusts left) states: a path crosses one forest trust at most.
  const key = (name: string, left: number) => `${left}:${name}`;
  const start = key(current.name, 1);
  const parent = new Map<string, { from: string; fromKey: string; trust: AnyTrust }>();
  const depth = new Map<string, number>([[start, 0]]);
  const byName = new Map<string, Realm>([[current.name, current]]);
  const queue: { realm: Realm; left: number; key: string }[] = [{ realm: current, left: 1, key: start }];
  for (let q = queue.shift(); q !== undefined; q = queue.shift()) {
    const r = q.realm;
    const d = depth.get(q.key)!;
    if (d >= OLD_MAX_TRUST_PATH) continue;
    for (const t of oldSortedTrusts(r)) {
      const o = t.other(r.name)!;
      if (!t.allows(r.name, o.name)) continue;
      if (!t.transitive && !(d === 0 && r.name === clientRealm && o.name === target)) continue;
      const left = t.kind === 'forest' ? q.left - 1 : q.left;
      if (left < 0) continue;
      const k = key(o.name, left);
      if (depth.has(k)) continue;
      depth.set(k, d + 1);
      parent.set(k, { from: r.name, fromKey: q.key, trust: t });
      byName.set(o.name, o);
      if (o.name === target) {
        const path = [target];
        let step = parent.get(k)!;
        while (step.fromKey !== start) {
          path.unshift(step.from);
          step = parent.get(step.fromKey)!;
        }
        return { next: byName.get(path[0]!)!, trust: step.trust, path: [current.name, ...path] };
      }
      queue.push({ realm: o, left, key: k });
    }
  }
  return undefined;
}

function oldCheckPath(view: Realm, path: readonly string[]): string | undefined {
  if (path.length - 1 > OLD_MAX_TRUST_PATH) return `the path has more than ${OLD_MAX_TRUST_PATH} hops`;
  const realms = oldReachableRealms(view);
  let forestTrusts = 0;
  for (let i = 0; i + 1 < path.length; i++) {
    const from = path[i]!;
    const to = path[i + 1]!;
    if (from === '' || to === '') return 'the transited field has an unverifiable empty entry';
    if (from === to) return `${from} appears twice in a row`;
    const a = realms.get(from);
    const t = a ? oldTrustBetween(a, to) : undefined;
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

function oldRealmOfHost(realm: Realm, host: string): string | undefined {
  const mapped = realm.domainRealm.lookup(host);
  if (mapped !== undefined) return mapped;
  let best: { len: number; realm: string } | undefined;
  for (const r of oldReachableRealms(realm).values()) {
    for (const t of r.trusts) {
      const claims = [
        ...t.topLevelNames.map((n) => [n, t.trusting.name] as const),
        ...t.trustedTopLevelNames.map((n) => [n, t.trusted.name] as const),
      ];
      for (const [tln, to] of claims) {
        if (!oldIsDnsSuffix(tln, host)) continue;
        const cand = { len: tln.length, realm: to };
        if (!best || cand.len > best.len || (cand.len === best.len && cand.realm < best.realm)) best = cand;
      }
    }
  }
  return best?.realm;
}

/**
 * createTrust's refusals before any change, in its order (the key-holding
 * check that follows them is unchanged and not repeated here).
 */
function oldCreateRefusal(
  trusting: Realm,
  trusted: Realm,
  direction: 'one-way' | 'two-way',
  topLevelNames: string[],
  trustedTopLevelNames: string[],
): string | undefined {
  if (trusting === trusted || trusting.name === trusted.name)
    return `a realm cannot trust itself (${trusting.name})`;
  for (const t of trusted.trusts) {
    if (t.other(trusted.name)?.name === trusting.name) {
      return `${trusting.name} and ${trusted.name} already have a trust; remove it first`;
    }
  }
  if (trustedTopLevelNames.length > 0 && direction !== 'two-way') {
    return `trustedTopLevelNames route ${trusting.name}'s requests to ${trusted.name}: a one-way trust has no such way`;
  }
  // The names as the Trust constructor stores them; each side's against the trusts of the realm that
  // routes by them, every name either side of those trusts claims.
  const mine = topLevelNames.map(oldNormalizeDnsName);
  const theirs = trustedTopLevelNames.map(oldNormalizeDnsName);
  for (const [names, holder, owner] of [
    [mine, trusted, trusting],
    [theirs, trusting, trusted],
  ] as const) {
    // Across forests, the names of the routing realm's forest (it and the realms of its forest its
    // trusts reach) are its own.
    const forest: Realm[] = [holder];
    if (trusting.forest !== trusted.forest) {
      for (let i = 0; i < forest.length; i++) {
        for (const t of forest[i]!.trusts) {
          const o = t.other(forest[i]!.name);
          if (o !== undefined && o.forest === holder.forest && !forest.includes(o)) forest.push(o);
        }
      }
    }
    const local = trusting.forest === trusted.forest ? [] : forest.map((r) => oldNormalizeDnsName(r.name));
    for (const name of names) {
      if (name.length === 0 || name.startsWith('.')) return `invalid top level name '${name}'`;
      const clash = holder.trusts.some((t) =>
        [...t.topLevelNames, ...t.trustedTopLevelNames].some((n) => oldDnsNamesOverlap(n, name)),
      );
      if (clash) return `Collision setting top level names on trust ${owner.name}`;
      const domain = local.find((d) => oldIsDnsSuffix(d, name));
      if (domain !== undefined) {
        return `Collision setting top level names on trust ${owner.name}: ${name} lies in ${domain}, a domain of ${holder.name}'s forest`;
      }
    }
  }
  for (const name of theirs) {
    if (mine.some((n) => oldDnsNamesOverlap(n, name))) {
      return `Collision setting top level names on trust ${trusted.name}: ${name} is claimed by both sides`;
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------
// END OF ORACLE
// ---------------------------------------------------------------------------

/**
 * Top-level names that nest, repeat, differ only by case or trailing dots
 * (`net..` is stored as `net.`, longer than `net` but matching the same
 * hosts), or are invalid (`.corp`): most pairs collide, some do not.
 */
const TLNS = [
  'net',
  'windows.net',
  'database.windows.net',
  'Windows.NET.',
  'net..',
  'alpha.test',
  'svc.bravo.test',
  'corp',
  'a.corp',
  'b.a.corp',
  'x..y',
  'y',
  '.corp',
];

/** Hosts asked about: every name above, below each, and some that match nothing. */
const HOSTS = [
  ...TLNS.flatMap((n) => [n, `svc.${n}`, `a.b.${n}`, n.toUpperCase()]),
  'notwindows.net',
  'svc.charlie.test',
  'svc.alpha.test',
  'a..b',
  'net.',
  'host',
  '',
  '.',
];

const OUTSIDER = 'ELSEWHERE.TEST';

interface TrustPlan {
  readonly spec: TopologySpec['trusts'][number];
  readonly topLevelNames: string[];
  /** Refused unless the trust is two-way. */
  readonly trustedTopLevelNames: string[];
}

/** A trust's names: mostly none for the trusted side, which only a two-way trust may claim. */
const arbNames = fc.record({
  topLevelNames: fc.subarray(TLNS, { maxLength: 2 }),
  trustedTopLevelNames: fc.oneof(
    { weight: 3, arbitrary: fc.constant<string[]>([]) },
    { weight: 1, arbitrary: fc.subarray(TLNS, { maxLength: 1 }) },
  ),
});

const arbCase = arbTopology({ maxRealms: 6, maxTrusts: 9 }).chain((spec) =>
  fc.record({
    spec: fc.constant(spec),
    trusts: fc.tuple(...spec.trusts.map((t) => arbNames.map((names) => ({ spec: t, ...names })))),
    // Realm i takes realm j's name: two realm objects of one name (AD would never allow it).
    rename: fc.option(
      fc.tuple(fc.nat({ max: spec.realms.length - 1 }), fc.nat({ max: spec.realms.length - 1 })),
      {
        freq: 4,
      },
    ),
    mapped: fc.option(
      fc.tuple(fc.nat({ max: spec.realms.length - 1 }), fc.constantFrom('.windows.net', 'svc.a.corp')),
      {
        freq: 3,
      },
    ),
    steps: fc.array(
      fc.record({
        op: fc.constantFrom('remove' as const, 'recreate' as const),
        n: fc.nat(),
        names: arbNames,
      }),
      { maxLength: 4 },
    ),
    extraPaths: fc.array(fc.array(fc.nat({ max: spec.realms.length + 1 }), { minLength: 1, maxLength: 12 }), {
      maxLength: 12,
    }),
  }),
);

/** Create a trust, checking createTrust's verdict against the oracle's. */
function create(realms: Realm[], plan: TrustPlan): AnyTrust | undefined {
  const trusting = realms[plan.spec.trusting]!;
  const trusted = realms[plan.spec.trusted]!;
  const expected = oldCreateRefusal(
    trusting,
    trusted,
    plan.spec.direction,
    plan.topLevelNames,
    plan.trustedTopLevelNames,
  );
  let trust: AnyTrust | undefined;
  let refused: string | undefined;
  try {
    trust = createTrust({
      trusting,
      trusted,
      direction: plan.spec.direction,
      kind: plan.spec.kind as TrustKind,
      topLevelNames: plan.topLevelNames,
      trustedTopLevelNames: plan.trustedTopLevelNames,
    });
  } catch (e) {
    if (!(e instanceof KerberosError)) throw e;
    expect(e.code).toBe(ErrorCode.KRB_ERR_GENERIC);
    refused = e.message;
  }
  if (expected !== undefined) expect(refused).toBe(expected);
  // Past the oracle's checks, only a realm that already holds the inter-realm key refuses.
  else if (refused !== undefined) expect(refused).toMatch(/ already holds krbtgt\//);
  return trust;
}

/** Every answer of the new routing equals the oracle's, from every realm. */
function compareAll(realms: Realm[], live: AnyTrust[], extraPaths: number[][]): void {
  const names = [...new Set(realms.map((r) => r.name))];
  const symbols = [...names, OUTSIDER, ''];
  // The realm lists its trusts as before: creation order, removed ones gone.
  for (const r of realms) {
    const want = live.filter((t) => t.trusting === r || t.trusted === r);
    expect(r.trusts.length, `${r.name}.trusts`).toBe(want.length);
    expect(
      r.trusts.every((t, i) => t === want[i]),
      `${r.name}.trusts`,
    ).toBe(true);
  }

  const paths: string[][] = [];
  for (const a of symbols) {
    paths.push([a]);
    for (const b of symbols) {
      paths.push([a, b]);
      if (a === '' || b === '' || a === OUTSIDER || b === OUTSIDER || names.length > 6) continue;
      for (const c of names) paths.push([a, b, c]);
    }
  }
  for (const p of extraPaths) paths.push(p.map((i) => symbols[i % symbols.length]!));

  for (const r of realms) {
    for (const host of HOSTS)
      expect(realmOfHost(r, host), `${r.name}: ${host}`).toBe(oldRealmOfHost(r, host));
    for (const client of [...names, OUTSIDER]) {
      for (const target of [...names, OUTSIDER]) {
        const want = oldNextHop(r, client, target);
        const got = nextHop(r, client, target);
        const what = `nextHop at ${r.name} for a client of ${client} toward ${target}`;
        if (want === undefined) {
          expect(got, what).toBeUndefined();
          continue;
        }
        expect(got, what).toBeDefined();
        expect(got!.next, what).toBe(want.next);
        expect(got!.trust, what).toBe(want.trust);
        expect(got!.path, what).toEqual(want.path);
        // The whole path a referral would complete, as tgtToward checks it.
        const full = client === r.name ? want.path : [client, ...want.path];
        expect(checkPath(r, full), `${what}: ${full.join(' -> ')}`).toBe(oldCheckPath(r, full));
      }
    }
    for (const p of paths) expect(checkPath(r, p), `${r.name}: ${p.join(' -> ')}`).toBe(oldCheckPath(r, p));
  }
}

type Case = typeof arbCase extends fc.Arbitrary<infer C> ? C : never;

/** A hand-written case: these trusts, nothing renamed or mapped, no steps. */
function example(
  names: string[],
  trusts: [number, number, TrustKind, string[]][],
  extraPaths: number[][] = [],
): Case {
  const plans = trusts.map(([trusting, trusted, kind, topLevelNames]) => ({
    spec: { trusting, trusted, direction: 'one-way' as const, kind },
    topLevelNames,
    trustedTopLevelNames: [],
  }));
  return {
    spec: {
      realms: names.map((name) => ({ name, domain: name.toLowerCase() })),
      trusts: plans.map((p) => p.spec),
      password: 'x',
    },
    trusts: plans,
    rename: null,
    mapped: null,
    steps: [],
    extraPaths,
  };
}

const EXAMPLES: Case[] = [
  // `net..` is stored as `net.`: one character longer than `net`, so it wins for every host
  // under net even though the realm it names sorts after the other.
  example(
    ['ALPHA.TEST', 'BRAVO.TEST', 'CHARLIE.TEST', 'DELTA.TEST'],
    [
      [2, 0, 'forest', ['net..']],
      [1, 3, 'forest', ['net']],
      [3, 0, 'forest', []],
    ],
  ),
  // A chain of 12 realm trusts: the far end is beyond MAX_TRUST_PATH (10 hops).
  example(
    Array.from({ length: 13 }, (_, i) => `R${String(i).padStart(2, '0')}.TEST`),
    Array.from({ length: 12 }, (_, i): [number, number, TrustKind, string[]] => [
      i + 1,
      i,
      'realm',
      i === 11 ? ['far.test'] : [],
    ]),
    [Array.from({ length: 13 }, (_, i) => i), Array.from({ length: 11 }, (_, i) => i)],
  ),
];

describe('routing from each realm’s own view', () => {
  it('agrees with the whole-graph search it replaced, as trusts come and go', () => {
    fc.assert(
      fc.property(arbCase, ({ spec, trusts, rename, mapped, steps, extraPaths }) => {
        const names = spec.realms.map((r) => r.name);
        if (rename) names[rename[0]] = names[rename[1]]!;
        const realms = names.map((name) => new Realm({ name }));
        if (mapped) realms[mapped[0]]!.mapDomain(mapped[1], OUTSIDER);
        const plans: TrustPlan[] = trusts;
        const live: AnyTrust[] = [];
        for (const plan of plans) {
          const t = create(realms, plan);
          if (t) live.push(t);
        }
        compareAll(realms, live, extraPaths);
        // Change the topology after every realm has built and cached its view.
        for (const step of steps) {
          if (step.op === 'remove') {
            if (live.length === 0) continue;
            const [t] = live.splice(step.n % live.length, 1);
            t!.remove();
          } else {
            if (plans.length === 0) continue;
            const plan = plans[step.n % plans.length]!;
            const t = create(realms, { spec: plan.spec, ...step.names });
            if (t) live.push(t);
          }
          compareAll(realms, live, extraPaths);
        }
      }),
      { seed: 20261125, numRuns: 150, examples: EXAMPLES.map((c) => [c]) },
    );
  });
});
