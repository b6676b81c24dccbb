import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  arbTopology,
  crossTo,
  forestOf,
  pacReachableRealms,
  pacRefusalAt,
  reachableRealms,
  realmSpecs,
  sidCrosses,
  sidsKeptAlong,
  type TopologySpec,
  TRUST_BOUNDARIES,
  trustBetweenSpec,
  trustBoundaryOf,
} from '../src/topology/index';

const realms = realmSpecs(4);
const spec = (trusts: TopologySpec['trusts']): TopologySpec => ({ realms, trusts, password: 'x' });

describe('reachableRealms (the oracle for trust property tests)', () => {
  it('follows a one-way trust only from the trusted side', () => {
    const s = spec([{ trusting: 1, trusted: 0, direction: 'one-way', kind: 'forest' }]);
    expect([...reachableRealms(s, 0)]).toEqual([
      [0, 0],
      [1, 1],
    ]);
    expect([...reachableRealms(s, 1)]).toEqual([[1, 0]]);
  });

  it('chains transitive trusts but uses an external trust only as a single hop', () => {
    const chain = spec([
      { trusting: 1, trusted: 0, direction: 'one-way', kind: 'forest' },
      { trusting: 2, trusted: 1, direction: 'one-way', kind: 'realm' },
    ]);
    expect(reachableRealms(chain, 0).get(2)).toBe(2);
    const broken = spec([
      { trusting: 1, trusted: 0, direction: 'one-way', kind: 'external' },
      { trusting: 2, trusted: 1, direction: 'one-way', kind: 'forest' },
    ]);
    expect(reachableRealms(broken, 0).get(1)).toBe(1);
    expect(reachableRealms(broken, 0).has(2)).toBe(false);
    expect(reachableRealms(broken, 1).get(2)).toBe(1);
  });

  it('opens both ways on a two-way trust', () => {
    const s = spec([{ trusting: 0, trusted: 3, direction: 'two-way', kind: 'external' }]);
    expect(reachableRealms(s, 0).get(3)).toBe(1);
    expect(reachableRealms(s, 3).get(0)).toBe(1);
  });

  it('never grants a one-way trust the other way, over generated topologies', () => {
    fc.assert(
      fc.property(arbTopology(), (topo) => {
        for (const t of topo.trusts) {
          if (t.direction !== 'one-way') continue;
          // With this trust alone, the trusting realm's users never reach the trusted realm.
          const alone = { ...topo, trusts: [t] };
          expect(reachableRealms(alone, t.trusting).has(t.trusted)).toBe(false);
          expect(reachableRealms(alone, t.trusted).get(t.trusting)).toBe(1);
        }
      }),
      { seed: 5, numRuns: 200 },
    );
  });
});

describe('pacReachableRealms and sidCrosses (the SID filtering oracle)', () => {
  // ALPHA, BRAVO, CHARLIE and DELTA; DELTA a child domain of CHARLIE's forest.
  const four = realmSpecs(4).map((r, i) => (i === 3 ? { ...r, forest: 'CHARLIE.TEST' } : r));
  const ad = (trusts: TopologySpec['trusts']): TopologySpec => ({ realms: four, trusts, password: 'x' });
  const sid = (i: number, rid: number) => `${four[i]!.domainSid}-${rid}`;

  it('refuses a user from behind a quarantined trust (D -> B -> A over quarantined realm trusts)', () => {
    const s = ad([
      { trusting: 1, trusted: 3, direction: 'one-way', kind: 'realm' },
      { trusting: 0, trusted: 1, direction: 'one-way', kind: 'realm' },
    ]);
    expect(reachableRealms(s, 3).get(0)).toBe(2); // routing alone lets it through
    expect(pacReachableRealms(s, 3).get(0)).toEqual({
      hops: 2,
      paths: [{ realms: [3, 1, 0], refusedAt: 2 }],
      verdict: 'refused',
    });
    expect(pacReachableRealms(s, 3).get(1)?.verdict).toBe('succeeds'); // B's own trust with D
    expect(pacReachableRealms(s, 1).get(0)?.verdict).toBe('succeeds');
    // Unquarantined (relaxed) the second hop lets D's user in.
    const relaxed = ad([s.trusts[0]!, { ...s.trusts[1]!, quarantine: false }]);
    expect(pacReachableRealms(relaxed, 3).get(0)?.verdict).toBe('succeeds');
  });

  it("says either when one shortest path is refused and another is not, and refuses a forest trust from another forest's realm", () => {
    const s = ad([
      { trusting: 2, trusted: 3, direction: 'two-way', kind: 'realm' }, // parent-child, within-forest
      { trusting: 1, trusted: 3, direction: 'one-way', kind: 'realm' }, // quarantined
      { trusting: 0, trusted: 1, direction: 'one-way', kind: 'realm' }, // quarantined
      { trusting: 0, trusted: 2, direction: 'one-way', kind: 'forest' }, // cross-forest
    ]);
    const r = pacReachableRealms(s, 3).get(0)!;
    expect(r.verdict).toBe('either');
    expect(r.paths).toEqual([
      { realms: [3, 2, 0], refusedAt: undefined },
      { realms: [3, 1, 0], refusedAt: 2 },
    ]);
    expect(trustBoundaryOf(s, 3, 2)).toBe('within-forest');
    expect(trustBoundaryOf(s, 2, 0)).toBe('cross-forest');
    // A forest trust admits its own forest's domains: a user of BRAVO (another forest) coming
    // through CHARLIE is refused at ALPHA.
    const viaForest = ad([
      { trusting: 2, trusted: 1, direction: 'one-way', kind: 'realm', quarantine: false },
      { trusting: 0, trusted: 2, direction: 'one-way', kind: 'forest' },
    ]);
    expect(pacReachableRealms(viaForest, 1).get(0)?.verdict).toBe('refused');
    expect(pacReachableRealms(viaForest, 1).get(2)?.verdict).toBe('succeeds');
    // Unless the forest trust has SID history enabled.
    const history = ad([viaForest.trusts[0]!, { ...viaForest.trusts[1]!, enableSidHistory: true }]);
    expect(pacReachableRealms(history, 1).get(0)?.verdict).toBe('succeeds');
  });

  it('states what crosses each boundary', () => {
    const s = ad([
      { trusting: 2, trusted: 3, direction: 'two-way', kind: 'realm', quarantine: true },
      { trusting: 0, trusted: 1, direction: 'two-way', kind: 'external' },
      { trusting: 0, trusted: 2, direction: 'two-way', kind: 'forest' },
      { trusting: 1, trusted: 2, direction: 'two-way', kind: 'realm', quarantine: false },
    ]);
    const elsewhere = 'S-1-5-21-9-9-9';
    const all = [
      ...[0, 1, 2, 3].flatMap((i) => [sid(i, 512), sid(i, 1000)]),
      `${elsewhere}-999`,
      `${elsewhere}-1000`,
      'S-1-5-9',
      'S-1-5-32-544',
      'S-1-18-1',
    ];
    const kept = (from: number, to: number) => all.filter((x) => sidCrosses(s, from, to, x));
    // QuarantinedWithinForest, DELTA into CHARLIE: DELTA's own, S-1-5-9, S-1-18-x.
    expect(trustBoundaryOf(s, 3, 2)).toBe('quarantined-within-forest');
    expect(kept(3, 2)).toEqual([sid(3, 512), sid(3, 1000), 'S-1-5-9', 'S-1-18-1']);
    // Quarantined (external), BRAVO into ALPHA: BRAVO's own and S-1-18-x.
    expect(trustBoundaryOf(s, 1, 0)).toBe('quarantined');
    expect(kept(1, 0)).toEqual([sid(1, 512), sid(1, 1000), 'S-1-18-1']);
    // CrossForest, CHARLIE into ALPHA: CHARLIE's forest (CHARLIE and DELTA).
    expect(trustBoundaryOf(s, 2, 0)).toBe('cross-forest');
    expect(kept(2, 0)).toEqual([sid(2, 512), sid(2, 1000), sid(3, 512), sid(3, 1000), 'S-1-18-1']);
    // Relaxed, CHARLIE into BRAVO: CHARLIE's forest, and any domain's RID of 1000 or more.
    expect(trustBoundaryOf(s, 2, 1)).toBe('relaxed');
    expect(kept(2, 1)).toEqual([
      sid(0, 1000),
      sid(1, 1000),
      sid(2, 512),
      sid(2, 1000),
      sid(3, 512),
      sid(3, 1000),
      `${elsewhere}-1000`,
      'S-1-18-1',
    ]);
    // WithinForest, unquarantined: everything.
    const within = ad([{ trusting: 2, trusted: 3, direction: 'two-way', kind: 'realm' }]);
    expect(all.filter((x) => sidCrosses(within, 3, 2, x))).toEqual(all);
    // Along a path, what every hop keeps: DELTA -> CHARLIE -> ALPHA.
    expect(sidsKeptAlong(s, [3, 2, 0], all)).toEqual([sid(3, 512), sid(3, 1000), 'S-1-18-1']);
  });

  it('lists only shortest allowed paths, as many hops long as reachableRealms says, over generated topologies', () => {
    fc.assert(
      fc.property(arbTopology({ maxRealms: 6, maxTrusts: 9, forests: true, sidFiltering: true }), (topo) => {
        for (let home = 0; home < topo.realms.length; home++) {
          const reach = reachableRealms(topo, home);
          const pac = pacReachableRealms(topo, home);
          expect([...pac.keys()]).toEqual([...reach.keys()]);
          for (const [target, r] of pac) {
            expect(r.hops).toBe(reach.get(target));
            expect(r.paths.length).toBeGreaterThan(0);
            for (const p of r.paths) {
              expect(p.realms).toHaveLength(r.hops + 1);
              expect(p.realms[0]).toBe(home);
              expect(p.realms.at(-1)).toBe(target);
              expect(new Set(p.realms).size).toBe(p.realms.length);
              // Each hop crosses a trust in a direction it allows; an external trust only as the
              // one hop of a path, and one forest trust at most.
              const crossed = p.realms.slice(1).map((to, i) => {
                const t = trustBetweenSpec(topo, p.realms[i]!, to)!;
                expect(crossTo(t, p.realms[i]!)).toBe(to);
                return t.kind;
              });
              if (crossed.length > 1) expect(crossed).not.toContain('external');
              expect(crossed.filter((k) => k === 'forest').length).toBeLessThanOrEqual(1);
              expect(p.refusedAt).toBe(pacRefusalAt(topo, p.realms));
            }
          }
        }
      }),
      { seed: 11, numRuns: 200 },
    );
  });
});

describe('arbTopology with forests and SID filtering switches', () => {
  it('joins each forest by realm trusts, uses no other kind within one, and sets switches only where createTrust takes them', () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(arbTopology({ maxRealms: 6, maxTrusts: 9, forests: true, sidFiltering: true }), (topo) => {
        const pairs = topo.trusts.map((t) =>
          [Math.min(t.trusting, t.trusted), Math.max(t.trusting, t.trusted)].join(),
        );
        expect(new Set(pairs).size).toBe(pairs.length);
        for (const t of topo.trusts) {
          const same = forestOf(topo, t.trusting) === forestOf(topo, t.trusted);
          if (same) expect(t.kind).toBe('realm');
          if (t.kind === 'forest') expect(t.quarantine).toBeUndefined();
          else expect(t.enableSidHistory).toBeUndefined();
          seen.add(trustBoundaryOf(topo, t.trusting, t.trusted));
        }
        // Every domain of a forest reaches its root over the forest's own two-way realm trusts.
        for (let i = 0; i < topo.realms.length; i++) {
          const root = topo.realms.findIndex((r) => r.name === forestOf(topo, i));
          expect(root).toBeGreaterThanOrEqual(0);
          const inForest = {
            ...topo,
            trusts: topo.trusts.filter(
              (t) =>
                t.direction === 'two-way' &&
                forestOf(topo, t.trusting) === forestOf(topo, i) &&
                forestOf(topo, t.trusted) === forestOf(topo, i),
            ),
          };
          expect(reachableRealms(inForest, i).has(root)).toBe(true);
        }
      }),
      { seed: 12, numRuns: 200 },
    );
    expect([...seen].sort()).toEqual([...TRUST_BOUNDARIES].sort());
  });

  it('without the options, every realm is a forest of its own and every trust at its defaults', () => {
    fc.assert(
      fc.property(arbTopology({ minTrusts: 2, maxTrusts: 4 }), (topo) => {
        expect(topo.trusts.length).toBeGreaterThanOrEqual(
          Math.min(2, (topo.realms.length * (topo.realms.length - 1)) / 2),
        );
        for (const r of topo.realms) expect(r.forest).toBeUndefined();
        for (const t of topo.trusts) {
          expect(t.quarantine).toBeUndefined();
          expect(t.enableSidHistory).toBeUndefined();
        }
      }),
      { seed: 13, numRuns: 100 },
    );
  });
});
