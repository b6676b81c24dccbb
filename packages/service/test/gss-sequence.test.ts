/**
 * The replay and ordering window of per-message tokens: the verdicts GSS
 * implementations give (a table written from RFC 2743 section 1.2.3 and the
 * behaviour of MIT krb5's sequence state), and a property against a model
 * that keeps every number it saw.
 */

import { GssFlags } from '@krbsim/asn1';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
// Internal: the window itself, tested directly.
import { type SequenceVerdict, SequenceWindow } from '../src/gss/sequence-window';
import { contextPair, enc } from './gss-helpers';

const MAX64 = (1n << 64n) - 1n;

interface Case {
  readonly title: string;
  readonly initial: bigint;
  readonly replay: boolean;
  readonly sequence: boolean;
  readonly steps: readonly (readonly [bigint, SequenceVerdict])[];
}

const CASES: readonly Case[] = [
  {
    title: 'no flags: nothing is checked',
    initial: 10n,
    replay: false,
    sequence: false,
    steps: [
      [11n, 'ok'],
      [10n, 'ok'],
      [10n, 'ok'],
      [9n, 'ok'],
    ],
  },
  {
    title: 'sequence: a gap, then the late one out of order',
    initial: 100n,
    replay: false,
    sequence: true,
    steps: [
      [100n, 'ok'],
      [102n, 'gap'],
      [103n, 'ok'],
      [101n, 'unseq'],
    ],
  },
  {
    title: 'sequence: the first token already skips one',
    initial: 200n,
    replay: false,
    sequence: true,
    steps: [
      [201n, 'gap'],
      [202n, 'ok'],
      [200n, 'unseq'],
      [203n, 'ok'],
    ],
  },
  {
    title: 'sequence: the 64-bit counter wraps in order',
    initial: MAX64 - 1n,
    replay: false,
    sequence: true,
    steps: [
      [MAX64 - 1n, 'ok'],
      [MAX64, 'ok'],
      [0n, 'ok'],
      [1n, 'ok'],
    ],
  },
  {
    title: 'sequence: numbers past 2^32 are in order (no 32-bit truncation)',
    initial: 0xffff_fffen,
    replay: false,
    sequence: true,
    steps: [
      [0xffff_fffen, 'ok'],
      [0xffff_ffffn, 'ok'],
      [0x1_0000_0000n, 'ok'],
      [0x1_0000_0001n, 'ok'],
    ],
  },
  {
    title: 'sequence without replay still reports a repeat',
    initial: 250n,
    replay: false,
    sequence: true,
    steps: [
      [250n, 'ok'],
      [250n, 'duplicate'],
    ],
  },
  {
    title: 'replay and sequence',
    initial: 0n,
    replay: true,
    sequence: true,
    steps: [
      [5n, 'gap'],
      [3n, 'unseq'],
      [8n, 'gap'],
      [3n, 'duplicate'],
      [0n, 'unseq'],
      [0n, 'duplicate'],
      [5n, 'duplicate'],
      [8n, 'duplicate'],
      [9n, 'ok'],
    ],
  },
  {
    title: 'replay only: reordering is silent, repeats are not',
    initial: 0n,
    replay: true,
    sequence: false,
    steps: [
      [5n, 'ok'],
      [3n, 'ok'],
      [8n, 'ok'],
      [3n, 'duplicate'],
      [0n, 'ok'],
      [0n, 'duplicate'],
      [9n, 'ok'],
    ],
  },
  {
    title: 'replay and sequence across the wrap; below the initial number is a gap',
    initial: MAX64 - 5n,
    replay: true,
    sequence: true,
    steps: [
      [MAX64, 'gap'],
      [MAX64 - 2n, 'unseq'],
      [0n, 'ok'],
      [MAX64, 'duplicate'],
      [2n, 'gap'],
      [1n, 'unseq'],
      [MAX64 - 6n, 'gap'],
    ],
  },
  {
    // Found by the model property: the jump to 2^64 - 1 (relative) moves the window past 40,
    // so when wrap-around brings 40 back in front of it, it is new again.
    title: 'a jump ahead forgets what it leaves behind, even what wrap-around brings back',
    initial: 0n,
    replay: true,
    sequence: false,
    steps: [
      [40n, 'ok'],
      [MAX64, 'ok'],
      [41n, 'ok'],
      [40n, 'ok'],
      [41n, 'duplicate'],
    ],
  },
  {
    // Found by the model property below (seed 984039292): the model, not the window, was wrong.
    title: 'a number the wrap-around makes the next one is forgotten by the jump, as MIT forgets it',
    initial: 0n,
    replay: false,
    sequence: true,
    steps: [
      [0n, 'ok'],
      [MAX64, 'gap'], // ahead of 1 as an unsigned number: the window slides past everything
      [1n, 'gap'],
      [0n, 'unseq'], // behind, within the window, and not remembered
    ],
  },
  {
    // Also found by the property (seed -124416027, with 200,000 runs): a jump across the wrap forgets
    // numbers that end up only two behind the next one.
    title: 'a jump across the 64-bit wrap forgets what was received before it',
    initial: 0n,
    replay: true,
    sequence: false,
    steps: [
      [MAX64 - 2n, 'ok'],
      [MAX64, 'ok'],
      [MAX64 - 1n, 'ok'], // ahead of 0 as an unsigned number: the window slides past everything
      [MAX64 - 2n, 'ok'], // two behind, not remembered: not a duplicate
    ],
  },
  {
    title: 'older than the 64-number window',
    initial: 0n,
    replay: true,
    sequence: true,
    steps: [
      [0n, 'ok'],
      [1n, 'ok'],
      [66n, 'gap'],
      [2n, 'old'],
      [3n, 'unseq'],
      [1n, 'old'],
    ],
  },
];

describe('SequenceWindow', () => {
  for (const c of CASES) {
    it(c.title, () => {
      const w = new SequenceWindow(c.initial, { replay: c.replay, sequence: c.sequence });
      expect(c.steps.map(([seq]) => w.check(seq))).toEqual(c.steps.map(([, v]) => v));
    });
  }

  it('agrees with a model that remembers every number it accepted within the window', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: MAX64 }),
        fc.boolean(),
        fc.boolean(),
        fc.array(fc.integer({ min: -3, max: 90 }), { maxLength: 120 }),
        (initial, replay, sequence, offsets) => {
          const w = new SequenceWindow(initial, { replay, sequence });
          const seen = new Set<bigint>();
          let next = 0n;
          for (const off of offsets) {
            const rel = BigInt(off) & MAX64;
            let want: SequenceVerdict;
            if (!replay && !sequence) want = 'ok';
            else if (rel >= next) {
              want = rel === next || !sequence ? 'ok' : 'gap';
              // The window slides ahead by `shift` and keeps the 64 numbers behind the next one: each
              // number remembered (1 to 64 behind) moves `shift` further back, and is forgotten past 64,
              // even when 64-bit wrap-around brings it back near the next one (as MIT's g_seqstate).
              const shift = rel - next + 1n;
              for (const s of seen) if (((next - s) & MAX64) + shift > 64n) seen.delete(s);
              seen.add(rel);
              next = (rel + 1n) & MAX64;
            } else if (next - rel > 64n) want = 'old';
            else if (seen.has(rel)) want = 'duplicate';
            else {
              seen.add(rel);
              want = sequence ? 'unseq' : 'ok';
            }
            expect(w.check((initial + rel) & MAX64)).toBe(want);
          }
        },
      ),
    );
  });
});

describe('the context reports what the window says', () => {
  it('in order from both sides, for many tokens', () => {
    const { initiator, acceptor } = contextPair({ gssFlags: GssFlags.replay | GssFlags.sequence });
    for (let i = 0; i < 200; i++) {
      acceptor.verifyMic(enc(`${i}`), initiator.getMic(enc(`${i}`)));
      initiator.unwrap(acceptor.wrap(enc(`${i}`), { conf: i % 2 === 0 }));
    }
  });
});
