import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { arbTopology, reachableRealms, realmSpecs, type TopologySpec } from '../src/topology/index';

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
